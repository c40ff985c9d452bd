use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{TestApp, TestUser, answered, error_code, payload_codes};

const MATCH_FIELDS: &str = "id status origin score reasons { kind detail } pitch version \
    scenario { id status contact { name } } capability { id status contact { name } } \
    timeline { action fromStatus toStatus }";

fn doc(mutation: &str, input: &str) -> String {
    format!(
        "mutation($input: {input}!) {{ {mutation}(input: $input) {{ match {{ {MATCH_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

async fn run(
    app: &TestApp,
    user: &TestUser,
    mutation: &str,
    input_type: &str,
    input: Value,
) -> Value {
    app.gql_as(user, &doc(mutation, input_type), json!({ "input": input }))
        .await
}

async fn apply(app: &TestApp, user: &TestUser, scenario: &Value, capability: &Value) -> Value {
    run(
        app,
        user,
        "applyToScenario",
        "ApplyToScenarioInput",
        json!({ "scenarioId": scenario["id"], "capabilityId": capability["id"], "pitch": "我司防爆巡检机器人已在介休多座煤矿落地。" }),
    )
    .await
}

async fn moderate(
    app: &TestApp,
    admin: &TestUser,
    id: &Value,
    decision: &str,
    reason: Option<&str>,
) -> Value {
    run(
        app,
        admin,
        "moderateMatch",
        "ModerateMatchInput",
        json!({ "id": id, "decision": decision, "reason": reason }),
    )
    .await
}

async fn respond(app: &TestApp, user: &TestUser, id: &Value, accept: bool) -> Value {
    run(
        app,
        user,
        "respondToMatch",
        "RespondToMatchInput",
        json!({ "id": id, "accept": accept }),
    )
    .await
}

async fn select(app: &TestApp, user: &TestUser, id: &Value) -> Value {
    run(
        app,
        user,
        "selectMatch",
        "MatchIdInput",
        json!({ "id": id }),
    )
    .await
}

async fn withdraw(app: &TestApp, user: &TestUser, id: &Value) -> Value {
    run(
        app,
        user,
        "withdrawMatch",
        "MatchIdInput",
        json!({ "id": id }),
    )
    .await
}

fn m<'a>(response: &'a Value, field: &str) -> &'a Value {
    &response["data"][field]["match"]
}

async fn scenario_status(app: &TestApp, id: &Value) -> String {
    sqlx::query_scalar("SELECT status FROM scenarios WHERE id = $1")
        .bind(id.as_str().unwrap())
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

const QUERY_SCENARIO: &str = "query($id: ID) { scenario(id: $id) { status contact { name } } }";
const QUERY_CAPABILITY: &str = "query($id: ID) { capability(id: $id) { status contact { name } } }";

db_test!(
    an_application_goes_from_proposal_to_a_promoted_case,
    |app| {
        let gov = app.gov_user().await;
        let enterprise = app.enterprise_user().await;
        let rival = app.enterprise_user().await;
        let outsider = app.enterprise_user().await;
        let admin = app.admin().await;
        let scenario = scenario_in(&app, &gov, &admin, "PUBLISHED").await;
        let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
        let rival_capability = listed_capability(&app, &rival, &admin, capability_input()).await;

        let applied = apply(&app, &enterprise, &scenario, &capability).await;
        let first = m(&applied, "applyToScenario").clone();
        assert_eq!(first["status"], "PROPOSED", "{applied}");
        assert_eq!(first["origin"], "APPLICATION");
        assert!(first["score"].as_f64().unwrap() > 0.0);
        assert!(
            first["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["kind"] == "TEXT")
        );
        let rival_match = m(
            &apply(&app, &rival, &scenario, &rival_capability).await,
            "applyToScenario",
        )
        .clone();

        // Approval by an admin: the scenario starts MATCHING.
        let approved = moderate(&app, &admin, &first["id"], "APPROVE", None).await;
        assert_eq!(m(&approved, "moderateMatch")["status"], "APPROVED");
        assert_eq!(scenario_status(&app, &scenario["id"]).await, "MATCHING");
        moderate(&app, &admin, &rival_match["id"], "APPROVE", None).await;
        assert_eq!(scenario_status(&app, &scenario["id"]).await, "MATCHING");

        // Before CONNECTED nobody sees the other side's contact.
        let hidden = app
            .gql_as(&enterprise, QUERY_SCENARIO, json!({ "id": scenario["id"] }))
            .await;
        assert_eq!(answered(&hidden, "scenario")["contact"], Value::Null);

        // The unit (the party that did not start it) accepts.
        let connected = respond(&app, &gov, &first["id"], true).await;
        assert_eq!(m(&connected, "respondToMatch")["status"], "CONNECTED");
        let seen = app
            .gql_as(&enterprise, QUERY_SCENARIO, json!({ "id": scenario["id"] }))
            .await;
        assert_eq!(seen["data"]["scenario"]["contact"]["name"], "赵工");
        let seen = app
            .gql_as(&gov, QUERY_CAPABILITY, json!({ "id": capability["id"] }))
            .await;
        assert_eq!(seen["data"]["capability"]["contact"]["name"], "孙经理");
        for stranger in [&outsider, &rival] {
            let none = app
                .gql_as(stranger, QUERY_SCENARIO, json!({ "id": scenario["id"] }))
                .await;
            assert_eq!(answered(&none, "scenario")["contact"], Value::Null);
        }
        let anonymous = app
            .gql(QUERY_CAPABILITY, json!({ "id": capability["id"] }))
            .await;
        assert_eq!(answered(&anonymous, "capability")["contact"], Value::Null);

        // The parties talk.
        let post = "mutation($input: PostMatchMessageInput!) { postMatchMessage(input: $input) { message { body author { displayName } } errors { code } } }";
        let posted = app
            .gql_as(
                &enterprise,
                post,
                json!({ "input": { "matchId": first["id"], "body": "下周可安排现场勘查。" } }),
            )
            .await;
        assert_eq!(
            posted["data"]["postMatchMessage"]["message"]["body"],
            "下周可安排现场勘查。"
        );
        let outsider_post = app
            .gql_as(
                &outsider,
                post,
                json!({ "input": { "matchId": first["id"], "body": "你好" } }),
            )
            .await;
        assert_eq!(error_code(&outsider_post), Some("NOT_FOUND"));
        let messages = app
        .gql_as(&gov, "query($id: ID!) { match(id: $id) { messages { totalCount edges { node { body } } } } }", json!({ "id": first["id"] }))
        .await;
        assert_eq!(messages["data"]["match"]["messages"]["totalCount"], 1);

        // Selection: the scenario is implemented, the rival is not selected.
        let selected = select(&app, &gov, &first["id"]).await;
        assert_eq!(m(&selected, "selectMatch")["status"], "SELECTED");
        assert_eq!(scenario_status(&app, &scenario["id"]).await, "IMPLEMENTING");
        let rival_now = app
            .gql_as(
                &rival,
                "query($id: ID!) { match(id: $id) { status } }",
                json!({ "id": rival_match["id"] }),
            )
            .await;
        assert_eq!(rival_now["data"]["match"]["status"], "NOT_SELECTED");

        // Outcome: the scenario and its selected match land.
        let outcome = "mutation($input: RecordScenarioOutcomeInput!) { recordScenarioOutcome(input: $input) { scenario { status } errors { field code } } }";
        let today = chrono::Utc::now().date_naive().to_string();
        let refused = app.gql_as(&enterprise, outcome, json!({ "input": { "id": scenario["id"], "summary": "完成", "completedOn": today } })).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        let landed = app
        .gql_as(&gov, outcome, json!({ "input": { "id": scenario["id"], "summary": "两座煤矿主运输巷道实现机器人巡检，撤除固定岗位8个。", "investment": 180, "completedOn": today } }))
        .await;
        assert_eq!(
            landed["data"]["recordScenarioOutcome"]["scenario"]["status"], "LANDED",
            "{landed}"
        );
        let match_now = app
            .gql_as(
                &enterprise,
                "query($id: ID!) { match(id: $id) { status timeline { action } } }",
                json!({ "id": first["id"] }),
            )
            .await;
        assert_eq!(match_now["data"]["match"]["status"], "LANDED");

        // Promotion: the partner's capability becomes a 晋中优秀方案.
        let promote = "mutation($input: PromoteScenarioInput!) { promoteScenario(input: $input) { scenario { status } errors { code } } }";
        assert_eq!(
            error_code(
                &app.gql_as(&gov, promote, json!({ "input": { "id": scenario["id"] } }))
                    .await
            ),
            Some("FORBIDDEN")
        );
        let promoted = app
            .gql_as(
                &admin,
                promote,
                json!({ "input": { "id": scenario["id"] } }),
            )
            .await;
        assert_eq!(
            promoted["data"]["promoteScenario"]["scenario"]["status"],
            "PROMOTED"
        );
        let featured = app
            .gql(QUERY_CAPABILITY, json!({ "id": capability["id"] }))
            .await;
        assert_eq!(featured["data"]["capability"]["status"], "FEATURED");
        let again = app
            .gql_as(
                &admin,
                promote,
                json!({ "input": { "id": scenario["id"] } }),
            )
            .await;
        assert_eq!(
            payload_codes(&again["data"]["promoteScenario"]),
            ["INVALID_TRANSITION"]
        );

        // Every step left its event (two matches were proposed and approved).
        for (aggregate, action, expected) in [
            ("SCENARIO", "START_MATCHING", 1),
            ("SCENARIO", "SELECT_PARTNER", 1),
            ("SCENARIO", "RECORD_OUTCOME", 1),
            ("SCENARIO", "PROMOTE", 1),
            ("MATCH", "PROPOSE", 2),
            ("MATCH", "APPROVE", 2),
            ("MATCH", "ACCEPT", 1),
            ("MATCH", "SELECT", 1),
            ("MATCH", "NOT_SELECT", 1),
            ("MATCH", "LAND", 1),
            ("CAPABILITY", "FEATURE", 1),
        ] {
            let n = app
                .count(&format!(
                    "events WHERE aggregate_type = '{aggregate}' AND action = '{action}'"
                ))
                .await;
            assert_eq!(n, expected, "{aggregate} {action}");
        }
    }
);

db_test!(
    invitations_and_recommendations_are_answered_by_the_provider,
    |app| {
        let gov = app.gov_user().await;
        let enterprise = app.enterprise_user().await;
        let admin = app.admin().await;
        let scenario = scenario_in(&app, &gov, &admin, "PUBLISHED").await;
        let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
        let second = listed_capability(&app, &enterprise, &admin, capability_input()).await;

        let invited = run(&app, &gov, "inviteCapability", "InviteCapabilityInput", json!({ "scenarioId": scenario["id"], "capabilityId": capability["id"], "message": "诚邀贵司参与井下巡检场景对接" })).await;
        let invitation = m(&invited, "inviteCapability").clone();
        assert_eq!(invitation["origin"], "INVITATION");
        let foreign_invite = run(&app, &app.gov_user().await, "inviteCapability", "InviteCapabilityInput", json!({ "scenarioId": scenario["id"], "capabilityId": second["id"], "message": "邀请" })).await;
        assert_eq!(error_code(&foreign_invite), Some("FORBIDDEN"));
        moderate(&app, &admin, &invitation["id"], "APPROVE", None).await;
        assert_eq!(
            error_code(&respond(&app, &gov, &invitation["id"], true).await),
            Some("FORBIDDEN")
        );
        let declined = respond(&app, &enterprise, &invitation["id"], false).await;
        assert_eq!(m(&declined, "respondToMatch")["status"], "DECLINED");

        // A declined pair may be proposed again.
        let proposed = run(&app, &admin, "proposeMatch", "ProposeMatchInput", json!({ "scenarioId": scenario["id"], "capabilityId": capability["id"], "note": "引擎推荐第一名" })).await;
        let recommendation = m(&proposed, "proposeMatch").clone();
        assert_eq!(recommendation["origin"], "RECOMMENDATION");
        assert_eq!(
            error_code(
                &run(
                    &app,
                    &gov,
                    "proposeMatch",
                    "ProposeMatchInput",
                    json!({ "scenarioId": scenario["id"], "capabilityId": second["id"] })
                )
                .await
            ),
            Some("FORBIDDEN")
        );
        moderate(&app, &admin, &recommendation["id"], "APPROVE", None).await;
        let accepted = respond(&app, &enterprise, &recommendation["id"], true).await;
        assert_eq!(m(&accepted, "respondToMatch")["status"], "CONNECTED");
        let withdrawn = withdraw(&app, &admin, &recommendation["id"]).await;
        assert_eq!(
            m(&withdrawn, "withdrawMatch")["status"],
            "WITHDRAWN",
            "the initiating operator withdraws"
        );
    }
);

db_test!(concurrent_proposals_of_a_pair_make_one_match, |app| {
    let gov = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let admin = app.admin().await;
    let scenario = scenario_in(&app, &gov, &admin, "PUBLISHED").await;
    let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
    let attempts = (0..6).map(|_| apply(&app, &enterprise, &scenario, &capability));
    let results = futures_util::future::join_all(attempts).await;
    let made = results
        .iter()
        .filter(|r| r["data"]["applyToScenario"]["errors"] == json!([]))
        .count();
    assert_eq!(made, 1);
    assert_eq!(app.count("matches").await, 1);
});

db_test!(match_refusals_write_nothing, |app| {
    let gov = app.gov_user().await;
    let other_gov = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let other = app.enterprise_user().await;
    let admin = app.admin().await;
    let scenario = scenario_in(&app, &gov, &admin, "PUBLISHED").await;
    let draft = scenario_in(&app, &gov, &admin, "PLANNED").await;
    let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
    let unlisted = create_capability(&app, &enterprise, capability_input()).await;

    assert_eq!(
        error_code(&apply(&app, &gov, &scenario, &capability).await),
        Some("FORBIDDEN")
    );
    assert_eq!(
        error_code(&apply(&app, &other, &scenario, &capability).await),
        Some("FORBIDDEN")
    );
    let not_open = apply(&app, &enterprise, &draft, &capability).await;
    assert_eq!(
        payload_codes(&not_open["data"]["applyToScenario"]),
        ["INVALID_TRANSITION"]
    );
    let not_listed = apply(&app, &enterprise, &scenario, &unlisted).await;
    assert_eq!(
        payload_codes(&not_listed["data"]["applyToScenario"]),
        ["INVALID_TRANSITION"]
    );
    let no_pitch = run(
        &app,
        &enterprise,
        "applyToScenario",
        "ApplyToScenarioInput",
        json!({ "scenarioId": scenario["id"], "capabilityId": capability["id"], "pitch": " " }),
    )
    .await;
    assert_eq!(
        payload_codes(&no_pitch["data"]["applyToScenario"]),
        ["REQUIRED"]
    );
    let anonymous = app.gql(&doc("applyToScenario", "ApplyToScenarioInput"), json!({ "input": { "scenarioId": scenario["id"], "capabilityId": capability["id"], "pitch": "x" } })).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    assert_eq!(app.count("matches").await, 0);

    let first = m(
        &apply(&app, &enterprise, &scenario, &capability).await,
        "applyToScenario",
    )
    .clone();
    let duplicate = apply(&app, &enterprise, &scenario, &capability).await;
    assert_eq!(
        payload_codes(&duplicate["data"]["applyToScenario"]),
        ["DUPLICATE"]
    );
    let invited_too = run(&app, &gov, "inviteCapability", "InviteCapabilityInput", json!({ "scenarioId": scenario["id"], "capabilityId": capability["id"], "message": "诚邀对接" })).await;
    assert_eq!(
        payload_codes(&invited_too["data"]["inviteCapability"]),
        ["DUPLICATE"],
        "one live match per pair, whoever starts it"
    );
    assert_eq!(app.count("matches").await, 1);

    // Moderation is the admins'; a rejection needs a reason; responding needs an approval.
    assert_eq!(
        error_code(&moderate(&app, &gov, &first["id"], "APPROVE", None).await),
        Some("FORBIDDEN")
    );
    let no_reason = moderate(&app, &admin, &first["id"], "REJECT", None).await;
    assert_eq!(
        payload_codes(&no_reason["data"]["moderateMatch"]),
        ["REQUIRED"]
    );
    let early = respond(&app, &gov, &first["id"], true).await;
    assert_eq!(
        payload_codes(&early["data"]["respondToMatch"]),
        ["INVALID_TRANSITION"]
    );
    let early_select = select(&app, &gov, &first["id"]).await;
    assert_eq!(
        payload_codes(&early_select["data"]["selectMatch"]),
        ["INVALID_TRANSITION"]
    );
    assert_eq!(
        scenario_status(&app, &scenario["id"]).await,
        "PUBLISHED",
        "nothing moved"
    );
    moderate(&app, &admin, &first["id"], "APPROVE", None).await;

    // Only the other party responds; only the unit selects; only the initiator withdraws.
    assert_eq!(
        error_code(&respond(&app, &enterprise, &first["id"], true).await),
        Some("FORBIDDEN")
    );
    assert_eq!(
        error_code(&respond(&app, &other_gov, &first["id"], true).await),
        Some("NOT_FOUND")
    );
    assert_eq!(
        error_code(&withdraw(&app, &gov, &first["id"]).await),
        Some("FORBIDDEN")
    );
    let post = "mutation($input: PostMatchMessageInput!) { postMatchMessage(input: $input) { errors { code } } }";
    let too_early = app
        .gql_as(
            &gov,
            post,
            json!({ "input": { "matchId": first["id"], "body": "你好" } }),
        )
        .await;
    assert_eq!(
        payload_codes(&too_early["data"]["postMatchMessage"]),
        ["INVALID_TRANSITION"]
    );
    respond(&app, &gov, &first["id"], true).await;
    assert_eq!(
        error_code(&select(&app, &enterprise, &first["id"]).await),
        Some("FORBIDDEN")
    );
    select(&app, &gov, &first["id"]).await;
    let late = withdraw(&app, &enterprise, &first["id"]).await;
    assert_eq!(
        payload_codes(&late["data"]["withdrawMatch"]),
        ["INVALID_TRANSITION"]
    );
    assert_eq!(app.count("match_messages").await, 0);

    // Nobody else sees the match.
    let query = "query($id: ID!) { match(id: $id) { status } }";
    assert_eq!(
        error_code(
            &app.gql_as(&other, query, json!({ "id": first["id"] }))
                .await
        ),
        Some("NOT_FOUND")
    );
    assert_eq!(
        error_code(&app.gql(query, json!({ "id": first["id"] })).await),
        Some("UNAUTHENTICATED")
    );
    let mine = app
        .gql_as(&other, "{ matches { totalCount } }", json!({}))
        .await;
    assert_eq!(mine["data"]["matches"]["totalCount"], 0);
    let theirs = app
        .gql_as(&enterprise, "{ matches { totalCount } }", json!({}))
        .await;
    assert_eq!(theirs["data"]["matches"]["totalCount"], 1);
    let all = app
        .gql_as(
            &admin,
            "{ matches(filter: { status: SELECTED }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(all["data"]["matches"]["totalCount"], 1);
});

db_test!(ending_a_scenario_ends_its_open_matches, |app| {
    let gov = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let rival = app.enterprise_user().await;
    let admin = app.admin().await;
    let status_of = |id: Value| {
        let pool = app.state.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT status FROM matches WHERE id = $1")
                .bind(id.as_str().unwrap().to_owned())
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };

    // Closed by its unit while one match is connected and one only proposed.
    let scenario = scenario_in(&app, &gov, &admin, "PUBLISHED").await;
    let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
    let other = listed_capability(&app, &rival, &admin, capability_input()).await;
    let connected = m(
        &apply(&app, &enterprise, &scenario, &capability).await,
        "applyToScenario",
    )
    .clone();
    let proposed = m(
        &apply(&app, &rival, &scenario, &other).await,
        "applyToScenario",
    )
    .clone();
    moderate(&app, &admin, &connected["id"], "APPROVE", None).await;
    respond(&app, &gov, &connected["id"], true).await;
    let closed = act(&app, &gov, &scenario["id"], "CLOSE").await;
    assert_eq!(
        closed["data"]["transitionScenario"]["scenario"]["status"], "CLOSED",
        "{closed}"
    );
    assert_eq!(status_of(connected["id"].clone()).await, "NOT_SELECTED");
    assert_eq!(status_of(proposed["id"].clone()).await, "NOT_SELECTED");

    // Closed by its deadline with a proposal pending.
    let expiring = scenario_in(&app, &gov, &admin, "PUBLISHED").await;
    let pending = m(
        &apply(&app, &enterprise, &expiring, &capability).await,
        "applyToScenario",
    )
    .clone();
    sqlx::query("UPDATE scenarios SET deadline = '2026-01-10' WHERE id = $1")
        .bind(expiring["id"].as_str().unwrap())
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 11).unwrap();
    let ended = twolists::scenarios::service::close_expired(&app.state.db, &app.state.index, today)
        .await
        .unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(status_of(pending["id"].clone()).await, "NOT_SELECTED");
    assert_eq!(
        app.state.index.counts().0,
        0,
        "closed scenarios leave the index on the next sync"
    );
});

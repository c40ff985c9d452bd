use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{answered, error_code, payload_codes};

const QUERY_SCENARIO: &str = SCENARIO_CONTACT;
const QUERY_CAPABILITY: &str = CAPABILITY_CONTACT;
const QUERY_MATCH: &str = "query($id: ID!) { match(id: $id) { status } }";
const POST: &str = POST_MESSAGE;

fn invite_input(scenario: &Value, capability: &Value) -> Value {
    json!({ "scenarioId": scenario["id"], "capabilityId": capability["id"],
        "message": "诚邀贵司参与井下巡检场景对接" })
}

fn propose_input(scenario: &Value, capability: &Value) -> Value {
    json!({ "scenarioId": scenario["id"], "capabilityId": capability["id"], "note": "引擎推荐第一名" })
}

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

        let first = apply(&app, &enterprise, &scenario, &capability).await;
        assert_eq!(first["status"], "PROPOSED");
        assert_eq!(first["origin"], "APPLICATION");
        assert!(first["score"].as_f64().unwrap() > 0.0);
        assert!(
            first["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["kind"] == "TEXT")
        );
        let rival_match = apply(&app, &rival, &scenario, &rival_capability).await;
        assert_eq!(rival_match["status"], "PROPOSED");

        // Approval by an admin: the scenario starts MATCHING.
        let approved = moderate(&app, &admin, &first["id"], "APPROVE", None).await;
        assert_eq!(approved["status"], "APPROVED");
        assert_eq!(approved["scenario"]["status"], "MATCHING");
        let rival_approved = moderate(&app, &admin, &rival_match["id"], "APPROVE", None).await;
        assert_eq!(rival_approved["status"], "APPROVED");
        assert_eq!(
            status_in_db(&app, "scenarios", &scenario["id"]).await,
            "MATCHING"
        );

        // Before CONNECTED nobody sees the other side's contact.
        let hidden = app
            .gql_as(&enterprise, QUERY_SCENARIO, json!({ "id": scenario["id"] }))
            .await;
        assert_eq!(answered(&hidden, "scenario")["contact"], Value::Null);

        // The unit (the party that did not start it) accepts.
        let connected = respond(&app, &gov, &first["id"], true).await;
        assert_eq!(connected["status"], "CONNECTED");
        let seen = app
            .gql_as(&enterprise, QUERY_SCENARIO, json!({ "id": scenario["id"] }))
            .await;
        assert_eq!(answered(&seen, "scenario")["contact"]["name"], "赵工");
        let seen = app
            .gql_as(&gov, QUERY_CAPABILITY, json!({ "id": capability["id"] }))
            .await;
        assert_eq!(answered(&seen, "capability")["contact"]["name"], "孙经理");
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

        // The parties talk; nobody else can.
        let posted = app
            .gql_as(
                &enterprise,
                POST,
                json!({ "input": { "matchId": first["id"], "body": "下周可安排现场勘查。" } }),
            )
            .await;
        assert_eq!(
            posted["data"]["postMatchMessage"]["message"]["body"],
            "下周可安排现场勘查。"
        );
        let outsider_post = app
            .try_gql_as(
                &outsider,
                POST,
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
        assert_eq!(selected["status"], "SELECTED");
        assert_eq!(selected["scenario"]["status"], "IMPLEMENTING");
        let rival_now = app
            .gql_as(&rival, QUERY_MATCH, json!({ "id": rival_match["id"] }))
            .await;
        assert_eq!(rival_now["data"]["match"]["status"], "NOT_SELECTED");

        // Outcome: the scenario and its selected match land; only the unit or an admin records it.
        let refused = try_mutate(
            &app,
            Some(&enterprise),
            RECORD_OUTCOME,
            outcome_input(&scenario["id"]),
        )
        .await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        const OUTCOME: &str = "query($id: ID) { scenario(id: $id) { status \
            outcome { summary investment completedOn recordedAt \
            deliveredBy { capability { id code title } organization { id } } } \
            timeline { action note } } }";
        let before = app.gql(OUTCOME, json!({ "id": scenario["id"] })).await;
        assert_eq!(
            answered(&before, "scenario")["outcome"],
            Value::Null,
            "not landed yet"
        );
        let recorded = mutate(
            &app,
            &gov,
            RECORD_OUTCOME,
            "recordScenarioOutcome",
            outcome_input(&scenario["id"]),
        )
        .await;
        assert_eq!(recorded["scenario"]["status"], "LANDED");
        assert_eq!(
            recorded["outcome"]["summary"],
            outcome_input(&scenario["id"])["summary"]
        );
        // The public reads the outcome back, with who delivered it, and the timeline says it.
        let public = app.gql(OUTCOME, json!({ "id": scenario["id"] })).await;
        let read = answered(&public, "scenario");
        let outcome = &read["outcome"];
        let report = outcome_input(&scenario["id"]);
        assert_eq!(outcome["summary"], report["summary"]);
        assert_eq!(outcome["investment"], 180);
        assert_eq!(outcome["completedOn"], report["completedOn"]);
        assert!(outcome["recordedAt"].is_string(), "{public}");
        assert_eq!(outcome["deliveredBy"]["capability"]["id"], capability["id"]);
        assert_eq!(
            outcome["deliveredBy"]["capability"]["code"],
            capability["code"]
        );
        assert_eq!(
            outcome["deliveredBy"]["capability"]["title"],
            capability["title"]
        );
        assert_eq!(
            outcome["deliveredBy"]["organization"]["id"],
            json!(enterprise.org_id)
        );
        let entry = read["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "RECORD_OUTCOME")
            .unwrap()
            .clone();
        let note = entry["note"].as_str().unwrap();
        assert!(
            note.contains("两座煤矿主运输巷道实现机器人巡检") && note.contains("投资180万元"),
            "{note}"
        );
        let match_now = app
            .gql_as(&enterprise, QUERY_MATCH, json!({ "id": first["id"] }))
            .await;
        assert_eq!(match_now["data"]["match"]["status"], "LANDED");

        // Promotion: the partner's capability becomes a 晋中优秀方案.
        let refused = try_mutate(&app, Some(&gov), PROMOTE, json!({ "id": scenario["id"] })).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        let promoted = promote(&app, &admin, &scenario["id"]).await;
        assert_eq!(promoted["status"], "PROMOTED");
        let featured = app
            .gql(QUERY_CAPABILITY, json!({ "id": capability["id"] }))
            .await;
        assert_eq!(answered(&featured, "capability")["status"], "FEATURED");
        let again = try_mutate(&app, Some(&admin), PROMOTE, json!({ "id": scenario["id"] })).await;
        assert_eq!(
            payload_codes(payload(&again, "promoteScenario")),
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
        let other_gov = app.gov_user().await;
        let enterprise = app.enterprise_user().await;
        let admin = app.admin().await;
        let scenario = scenario_in(&app, &gov, &admin, "PUBLISHED").await;
        let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
        let second = listed_capability(&app, &enterprise, &admin, capability_input()).await;

        let invitation = match_step(&app, &gov, INVITE, invite_input(&scenario, &capability)).await;
        assert_eq!(invitation["origin"], "INVITATION");
        assert_eq!(invitation["status"], "PROPOSED");
        let foreign_invite = try_match_step(
            &app,
            Some(&other_gov),
            INVITE,
            invite_input(&scenario, &second),
        )
        .await;
        assert_eq!(error_code(&foreign_invite), Some("FORBIDDEN"));
        let approved = moderate(&app, &admin, &invitation["id"], "APPROVE", None).await;
        assert_eq!(approved["status"], "APPROVED");
        assert_eq!(
            error_code(&try_respond(&app, &gov, &invitation["id"], true).await),
            Some("FORBIDDEN"),
            "the inviting unit does not answer its own invitation"
        );
        let declined = respond(&app, &enterprise, &invitation["id"], false).await;
        assert_eq!(declined["status"], "DECLINED");

        // A declined pair may be proposed again; only admins propose.
        for user in [&gov, &enterprise] {
            let refused =
                try_match_step(&app, Some(user), PROPOSE, propose_input(&scenario, &second)).await;
            assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        }
        let anonymous =
            try_match_step(&app, None, PROPOSE, propose_input(&scenario, &second)).await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
        let recommendation =
            match_step(&app, &admin, PROPOSE, propose_input(&scenario, &capability)).await;
        assert_eq!(recommendation["origin"], "RECOMMENDATION");
        let duplicate = try_match_step(
            &app,
            Some(&admin),
            PROPOSE,
            propose_input(&scenario, &capability),
        )
        .await;
        assert_eq!(
            payload_codes(payload(&duplicate, "proposeMatch")),
            ["DUPLICATE"]
        );
        let approved = moderate(&app, &admin, &recommendation["id"], "APPROVE", None).await;
        assert_eq!(approved["status"], "APPROVED");
        assert_eq!(
            error_code(&try_respond(&app, &gov, &recommendation["id"], true).await),
            Some("FORBIDDEN"),
            "an admin's recommendation is answered by the provider"
        );
        let accepted = respond(&app, &enterprise, &recommendation["id"], true).await;
        assert_eq!(accepted["status"], "CONNECTED");
        let withdrawn = withdraw(&app, &admin, &recommendation["id"]).await;
        assert_eq!(
            withdrawn["status"], "WITHDRAWN",
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
    let doc = match_doc(APPLY.0, APPLY.1);
    let input = json!({ "input": apply_input(&scenario, &capability) });
    let attempts = (0..6).map(|_| app.post_graphql(Some(&enterprise.token), &doc, input.clone()));
    let results = futures_util::future::join_all(attempts).await;
    let made = results
        .iter()
        .filter(|(_, r)| r["data"]["applyToScenario"]["errors"] == json!([]))
        .count();
    assert_eq!(made, 1, "{results:?}");
    for (_, refused) in results
        .iter()
        .filter(|(_, r)| r["data"]["applyToScenario"]["errors"] != json!([]))
    {
        assert_eq!(
            payload_codes(payload(refused, "applyToScenario")),
            ["DUPLICATE"],
            "{refused}"
        );
    }
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

    // Each refusal below is checked to have written nothing (`try_*`).
    assert_eq!(
        error_code(&try_apply(&app, &gov, &scenario, &capability).await),
        Some("FORBIDDEN")
    );
    assert_eq!(
        error_code(&try_apply(&app, &other, &scenario, &capability).await),
        Some("FORBIDDEN")
    );
    let not_open = try_apply(&app, &enterprise, &draft, &capability).await;
    assert_eq!(
        payload_codes(payload(&not_open, "applyToScenario")),
        ["INVALID_TRANSITION"]
    );
    let not_listed = try_apply(&app, &enterprise, &scenario, &unlisted).await;
    assert_eq!(
        payload_codes(payload(&not_listed, "applyToScenario")),
        ["INVALID_TRANSITION"]
    );
    let mut blank = apply_input(&scenario, &capability);
    blank["pitch"] = json!(" ");
    let no_pitch = try_match_step(&app, Some(&enterprise), APPLY, blank).await;
    assert_eq!(
        payload_codes(payload(&no_pitch, "applyToScenario")),
        ["REQUIRED"]
    );
    let anonymous = try_match_step(&app, None, APPLY, apply_input(&scenario, &capability)).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let not_open = try_match_step(
        &app,
        Some(&admin),
        PROPOSE,
        propose_input(&draft, &capability),
    )
    .await;
    assert_eq!(
        payload_codes(payload(&not_open, "proposeMatch")),
        ["INVALID_TRANSITION"]
    );
    assert_eq!(app.count("matches").await, 0);

    let first = apply(&app, &enterprise, &scenario, &capability).await;
    let duplicate = try_apply(&app, &enterprise, &scenario, &capability).await;
    assert_eq!(
        payload_codes(payload(&duplicate, "applyToScenario")),
        ["DUPLICATE"]
    );
    let invited_too = try_match_step(
        &app,
        Some(&gov),
        INVITE,
        invite_input(&scenario, &capability),
    )
    .await;
    assert_eq!(
        payload_codes(payload(&invited_too, "inviteCapability")),
        ["DUPLICATE"],
        "one live match per pair, whoever starts it"
    );
    assert_eq!(app.count("matches").await, 1);

    // Moderation is the admins'; a rejection needs a reason; responding needs an approval.
    for user in [&gov, &enterprise] {
        let refused = try_moderate(&app, user, &first["id"], "APPROVE", None).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    }
    let no_reason = try_moderate(&app, &admin, &first["id"], "REJECT", Some("  ")).await;
    assert_eq!(
        payload_codes(payload(&no_reason, "moderateMatch")),
        ["REQUIRED"]
    );
    let unknown = try_moderate(&app, &admin, &json!("no-such-match"), "APPROVE", None).await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"));
    let early = try_respond(&app, &gov, &first["id"], true).await;
    assert_eq!(
        payload_codes(payload(&early, "respondToMatch")),
        ["INVALID_TRANSITION"]
    );
    let early_select = try_select(&app, &gov, &first["id"]).await;
    assert_eq!(
        payload_codes(payload(&early_select, "selectMatch")),
        ["INVALID_TRANSITION"]
    );
    assert_eq!(
        status_in_db(&app, "scenarios", &scenario["id"]).await,
        "PUBLISHED",
        "nothing moved"
    );
    let approved = moderate(&app, &admin, &first["id"], "APPROVE", None).await;
    assert_eq!(approved["status"], "APPROVED");
    let twice = try_moderate(&app, &admin, &first["id"], "APPROVE", None).await;
    assert_eq!(
        payload_codes(payload(&twice, "moderateMatch")),
        ["INVALID_TRANSITION"]
    );

    // Only the other party responds; only the unit selects; only the initiator withdraws. Each
    // refusal says who may.
    let own = try_respond(&app, &enterprise, &first["id"], true).await;
    assert_eq!(error_code(&own), Some("FORBIDDEN"));
    assert_eq!(
        own["errors"][0]["message"],
        "只有对接的另一方（未发起对接的一方）可以回应；管理员推荐的对接由能力提供方回应"
    );
    assert_eq!(
        error_code(&try_respond(&app, &other_gov, &first["id"], true).await),
        Some("NOT_FOUND")
    );
    let not_theirs = try_withdraw(&app, &gov, &first["id"]).await;
    assert_eq!(error_code(&not_theirs), Some("FORBIDDEN"));
    assert_eq!(
        not_theirs["errors"][0]["message"],
        "只有发起对接的一方可以撤回"
    );
    let too_early = app
        .try_gql_as(
            &gov,
            POST,
            json!({ "input": { "matchId": first["id"], "body": "你好" } }),
        )
        .await;
    assert_eq!(
        payload_codes(payload(&too_early, "postMatchMessage")),
        ["INVALID_TRANSITION"]
    );
    let connected = respond(&app, &gov, &first["id"], true).await;
    assert_eq!(connected["status"], "CONNECTED");
    for (user, code) in [(&enterprise, "FORBIDDEN"), (&other_gov, "NOT_FOUND")] {
        let refused = try_select(&app, user, &first["id"]).await;
        assert_eq!(error_code(&refused), Some(code), "{refused}");
    }
    let selected = select(&app, &gov, &first["id"]).await;
    assert_eq!(selected["status"], "SELECTED");
    let late = try_withdraw(&app, &enterprise, &first["id"]).await;
    assert_eq!(
        payload_codes(payload(&late, "withdrawMatch")),
        ["INVALID_TRANSITION"]
    );
    assert_eq!(app.count("match_messages").await, 0);

    // Nobody else sees the match.
    let hidden = app
        .try_gql_as(&other, QUERY_MATCH, json!({ "id": first["id"] }))
        .await;
    assert_eq!(error_code(&hidden), Some("NOT_FOUND"));
    let anonymous = app.try_gql(QUERY_MATCH, json!({ "id": first["id"] })).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let count = "{ matches { totalCount } }";
    let mine = app.gql_as(&other, count, json!({})).await;
    assert_eq!(mine["data"]["matches"]["totalCount"], 0);
    let theirs = app.gql_as(&enterprise, count, json!({})).await;
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

db_test!(
    a_rejected_proposal_ends_and_tells_its_initiator_why,
    |app| {
        let gov = app.gov_user().await;
        let enterprise = app.enterprise_user().await;
        let admin = app.admin().await;
        let scenario = scenario_in(&app, &gov, &admin, "PUBLISHED").await;
        let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
        let proposed = apply(&app, &enterprise, &scenario, &capability).await;
        let rejected = moderate(
            &app,
            &admin,
            &proposed["id"],
            "REJECT",
            Some("方案与场景需求不符"),
        )
        .await;
        assert_eq!(rejected["status"], "REJECTED");
        let last = rejected["timeline"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["action"], "REJECT");
        assert_eq!(last["toStatus"], "REJECTED");
        assert_eq!(
            status_in_db(&app, "scenarios", &scenario["id"]).await,
            "PUBLISHED",
            "a rejection does not start matching"
        );
        // A rejected match is over: no response, no selection; the pair may be proposed again.
        let respond_late = try_respond(&app, &gov, &proposed["id"], true).await;
        assert_eq!(
            payload_codes(payload(&respond_late, "respondToMatch")),
            ["INVALID_TRANSITION"]
        );
        let again = apply(&app, &enterprise, &scenario, &capability).await;
        assert_eq!(again["status"], "PROPOSED");
        let note: String = sqlx::query_scalar(
            "SELECT note FROM events WHERE aggregate_type = 'MATCH' AND action = 'REJECT'",
        )
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
        assert_eq!(note, "方案与场景需求不符");
    }
);

db_test!(ending_a_scenario_ends_its_open_matches, |app| {
    let gov = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let rival = app.enterprise_user().await;
    let admin = app.admin().await;

    // Closed by its unit while one match is connected and one only proposed.
    let scenario = scenario_in(&app, &gov, &admin, "PUBLISHED").await;
    let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
    let other = listed_capability(&app, &rival, &admin, capability_input()).await;
    let connected = apply(&app, &enterprise, &scenario, &capability).await;
    let proposed = apply(&app, &rival, &scenario, &other).await;
    assert_eq!(
        moderate(&app, &admin, &connected["id"], "APPROVE", None).await["status"],
        "APPROVED"
    );
    assert_eq!(
        respond(&app, &gov, &connected["id"], true).await["status"],
        "CONNECTED"
    );
    let closed = act(&app, &gov, &scenario["id"], "CLOSE").await;
    assert_eq!(closed["status"], "CLOSED");
    assert_eq!(
        status_in_db(&app, "matches", &connected["id"]).await,
        "NOT_SELECTED"
    );
    assert_eq!(
        status_in_db(&app, "matches", &proposed["id"]).await,
        "NOT_SELECTED"
    );

    // Closed by its deadline with a proposal pending.
    let expiring = scenario_in(&app, &gov, &admin, "PUBLISHED").await;
    let pending = apply(&app, &enterprise, &expiring, &capability).await;
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
    assert_eq!(
        status_in_db(&app, "matches", &pending["id"]).await,
        "NOT_SELECTED"
    );
    assert_eq!(
        app.state.index.counts().0,
        0,
        "closed scenarios leave the index on the next sync"
    );
});

//! County scenario managers and the two-level review (README, "County managers" and
//! "Two-level review"): where a scenario's region has a manager, PENDING_REVIEW is the
//! county's (县级初审) and its approval leads to PENDING_CITY_REVIEW (市级终审), which the city
//! publishes; elsewhere the city reviews PENDING_REVIEW at once. Either level sends back or
//! rejects with a reason. A manager acts on the scenarios of their region only.

use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{PASSWORD, TestApp, TestUser, error_code, payload_codes, unique};

const QUEUE: &str = "query($level: ReviewLevel) { reviewQueue(kind: SCENARIO, level: $level, \
    first: 100) { totalCount edges { node { ... on Scenario { id status } } } } }";

/// The ids in `user`'s scenario review queue at `level` (both levels for null).
async fn queue(app: &TestApp, user: &TestUser, level: Value) -> Vec<String> {
    let response = app.gql_as(user, QUEUE, json!({ "level": level })).await;
    response["data"]["reviewQueue"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn id_of(scenario: &Value) -> String {
    scenario["id"].as_str().unwrap().to_owned()
}

/// The kinds of `user`'s notifications, oldest first.
async fn notified(app: &TestApp, user: &TestUser) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM notifications WHERE user_id = $1 ORDER BY created_at, id")
        .bind(&user.id)
        .fetch_all(app.state.db.pool())
        .await
        .unwrap()
}

/// A review the reviewer may not take: the top-level code (nothing written, see try_review).
async fn refused_review(app: &TestApp, user: &TestUser, id: &Value, decision: &str) -> String {
    let response = try_review(app, Some(user), id, decision, Some("请补充")).await;
    error_code(&response)
        .map(str::to_owned)
        .or_else(|| {
            payload_codes(&response["data"]["reviewScenario"])
                .first()
                .cloned()
        })
        .unwrap_or_else(|| panic!("the review was taken: {response}"))
}

db_test!(
    a_county_with_a_manager_reviews_first_and_the_city_publishes,
    |app| {
        let admin = app.admin().await;
        let manager = app.county_manager("140702").await;
        let unit = app.gov_user().await;
        let scenario = scenario_in(&app, &unit, &admin, "PENDING_REVIEW").await;
        let id = scenario["id"].clone();
        assert_eq!(notified(&app, &manager).await, ["SCENARIO_SUBMITTED"]);

        // It waits for the county: in the county's queue, not the city's.
        assert!(
            queue(&app, &admin, json!("COUNTY"))
                .await
                .contains(&id_of(&scenario))
        );
        assert!(
            !queue(&app, &admin, json!("CITY"))
                .await
                .contains(&id_of(&scenario))
        );
        assert_eq!(queue(&app, &manager, json!(null)).await, [id_of(&scenario)]);

        let county = review(&app, &manager, &id, "APPROVE", None).await;
        assert_eq!(county["status"], "PENDING_CITY_REVIEW");
        assert_eq!(
            county["code"],
            Value::Null,
            "no public code before the city's approval"
        );
        assert!(
            notified(&app, &unit)
                .await
                .contains(&"SCENARIO_COUNTY_APPROVED".to_owned())
        );
        let anonymous = app
            .try_gql(&scenario_query_doc(), json!({ "id": id }))
            .await;
        assert_eq!(error_code(&anonymous), Some("NOT_FOUND"), "not public yet");

        // The city's review is the city's.
        assert_eq!(
            refused_review(&app, &manager, &id, "APPROVE").await,
            "FORBIDDEN"
        );
        assert_eq!(
            refused_review(&app, &unit, &id, "APPROVE").await,
            "FORBIDDEN"
        );
        assert!(
            queue(&app, &admin, json!("CITY"))
                .await
                .contains(&id_of(&scenario))
        );
        assert!(
            !queue(&app, &admin, json!("COUNTY"))
                .await
                .contains(&id_of(&scenario))
        );

        let published = review(&app, &admin, &id, "APPROVE", None).await;
        assert_eq!(published["status"], "PUBLISHED");
        assert!(published["code"].as_str().unwrap().starts_with("JZ-JH-"));
        let steps: Vec<&str> = published["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps,
            ["CREATE", "PLAN", "SUBMIT", "COUNTY_APPROVE", "APPROVE"]
        );
        assert_eq!(published["timeline"][3]["actor"]["id"], json!(manager.id));
    }
);

/// README, "Two-level review": the rows from the two waiting states where the region has a
/// county manager, each review decision (and the unit's withdrawal) by each actor.
/// An actor and what their attempt comes to: the new status, or the refusal's code.
type Cell = (&'static str, Result<&'static str, &'static str>);

const TWO_LEVEL_TABLE: &[(&str, &str, &[Cell])] = &[
    (
        "PENDING_REVIEW",
        "APPROVE",
        &[
            ("unit", Err("FORBIDDEN")),
            ("county manager", Ok("PENDING_CITY_REVIEW")),
            ("other county's manager", Err("FORBIDDEN")),
            ("admin", Ok("PENDING_CITY_REVIEW")),
        ],
    ),
    (
        "PENDING_REVIEW",
        "REQUEST_CHANGES",
        &[
            ("unit", Err("FORBIDDEN")),
            ("county manager", Ok("CHANGES_REQUESTED")),
            ("other county's manager", Err("FORBIDDEN")),
            ("admin", Ok("CHANGES_REQUESTED")),
        ],
    ),
    (
        "PENDING_REVIEW",
        "REJECT",
        &[
            ("unit", Err("FORBIDDEN")),
            ("county manager", Ok("REJECTED")),
            ("other county's manager", Err("FORBIDDEN")),
            ("admin", Ok("REJECTED")),
        ],
    ),
    (
        "PENDING_REVIEW",
        "WITHDRAW",
        &[
            ("unit", Ok("WITHDRAWN")),
            ("county manager", Ok("WITHDRAWN")),
            ("other county's manager", Err("NOT_FOUND")),
            ("admin", Ok("WITHDRAWN")),
        ],
    ),
    (
        "PENDING_CITY_REVIEW",
        "APPROVE",
        &[
            ("unit", Err("FORBIDDEN")),
            ("county manager", Err("FORBIDDEN")),
            ("other county's manager", Err("FORBIDDEN")),
            ("admin", Ok("PUBLISHED")),
        ],
    ),
    (
        "PENDING_CITY_REVIEW",
        "REQUEST_CHANGES",
        &[
            ("unit", Err("FORBIDDEN")),
            ("county manager", Err("FORBIDDEN")),
            ("other county's manager", Err("FORBIDDEN")),
            ("admin", Ok("CHANGES_REQUESTED")),
        ],
    ),
    (
        "PENDING_CITY_REVIEW",
        "REJECT",
        &[
            ("unit", Err("FORBIDDEN")),
            ("county manager", Err("FORBIDDEN")),
            ("other county's manager", Err("FORBIDDEN")),
            ("admin", Ok("REJECTED")),
        ],
    ),
    (
        "PENDING_CITY_REVIEW",
        "WITHDRAW",
        &[
            ("unit", Ok("WITHDRAWN")),
            ("county manager", Ok("WITHDRAWN")),
            ("other county's manager", Err("NOT_FOUND")),
            ("admin", Ok("WITHDRAWN")),
        ],
    ),
];

db_test!(the_two_level_rows_admit_whom_the_table_names, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let manager = app.county_manager("140702").await;
    let other_manager = app.county_manager("140721").await;
    let actor = |name: &str| match name {
        "unit" => &unit,
        "county manager" => &manager,
        "other county's manager" => &other_manager,
        _ => &admin,
    };
    let mut wrong = Vec::new();
    for (from, action, cells) in TWO_LEVEL_TABLE {
        for (name, expected) in *cells {
            // Each attempt on a scenario of its own (try_* check that a refusal wrote nothing).
            let scenario = scenario_in(&app, &unit, &admin, from).await;
            assert_eq!(scenario["status"], *from);
            let user = actor(name);
            let (response, field) = if *action == "WITHDRAW" {
                let response = try_act(&app, Some(user), &scenario["id"], action).await;
                (response, "transitionScenario")
            } else {
                let reason = Some("请补充");
                let response = try_review(&app, Some(user), &scenario["id"], action, reason).await;
                (response, "reviewScenario")
            };
            let got = match error_code(&response) {
                Some(code) => Err(code.to_owned()),
                None => match payload_codes(&response["data"][field]).first() {
                    Some(code) => Err(code.clone()),
                    None => Ok(response["data"][field]["scenario"]["status"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()),
                },
            };
            let expected = expected.map(str::to_owned).map_err(str::to_owned);
            if got != expected {
                wrong.push(format!(
                    "{name}: {action} from {from}: expected {expected:?}, got {got:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
});

db_test!(
    a_county_without_a_manager_goes_straight_to_the_city,
    |app| {
        let admin = app.admin().await;
        let manager = app.county_manager("140702").await;
        let unit = app.gov_user_in("140721").await;
        let scenario = scenario_in(&app, &unit, &admin, "PENDING_REVIEW").await;
        let id = scenario["id"].clone();
        assert!(
            queue(&app, &admin, json!("CITY"))
                .await
                .contains(&id_of(&scenario))
        );
        assert!(
            !queue(&app, &admin, json!("COUNTY"))
                .await
                .contains(&id_of(&scenario))
        );
        assert!(queue(&app, &manager, json!(null)).await.is_empty());
        assert!(notified(&app, &manager).await.is_empty());

        // A manager of another county may not review it.
        assert_eq!(
            refused_review(&app, &manager, &id, "APPROVE").await,
            "FORBIDDEN"
        );
        let published = review(&app, &admin, &id, "APPROVE", None).await;
        assert_eq!(published["status"], "PUBLISHED");
    }
);

db_test!(each_level_sends_back_or_rejects_with_a_reason, |app| {
    let admin = app.admin().await;
    let manager = app.county_manager("140702").await;
    let unit = app.gov_user().await;
    let enterprise = app.enterprise_user().await;

    // At the county.
    let first = scenario_in(&app, &unit, &admin, "PENDING_REVIEW").await;
    let id = first["id"].clone();
    for decision in ["REQUEST_CHANGES", "REJECT"] {
        let response = try_review(&app, Some(&manager), &id, decision, None).await;
        assert_eq!(
            payload_codes(&response["data"]["reviewScenario"]),
            ["REQUIRED"],
            "{decision} without a reason"
        );
    }
    assert_eq!(
        refused_review(&app, &unit, &id, "REJECT").await,
        "FORBIDDEN"
    );
    assert_eq!(
        refused_review(&app, &enterprise, &id, "REJECT").await,
        "FORBIDDEN"
    );
    let back = review(
        &app,
        &manager,
        &id,
        "REQUEST_CHANGES",
        Some("请补充县内试点点位"),
    )
    .await;
    assert_eq!(back["status"], "CHANGES_REQUESTED");
    assert_eq!(
        act(&app, &unit, &id, "SUBMIT").await["status"],
        "PENDING_REVIEW"
    );
    let rejected = review(&app, &manager, &id, "REJECT", Some("与县域产业规划不符")).await;
    assert_eq!(rejected["status"], "REJECTED");
    assert!(
        notified(&app, &unit)
            .await
            .contains(&"SCENARIO_REJECTED".to_owned())
    );
    let anonymous = app
        .try_gql(&scenario_query_doc(), json!({ "id": id }))
        .await;
    assert_eq!(
        error_code(&anonymous),
        Some("NOT_FOUND"),
        "a rejected scenario stays private"
    );
    let again = try_act(&app, Some(&unit), &id, "SUBMIT").await;
    assert_eq!(
        payload_codes(&again["data"]["transitionScenario"]),
        ["INVALID_TRANSITION"]
    );

    // At the city: sent back, it starts again at the county.
    let second = scenario_in(&app, &unit, &admin, "PENDING_REVIEW").await;
    let id = second["id"].clone();
    review(&app, &manager, &id, "APPROVE", None).await;
    let response = try_review(&app, Some(&admin), &id, "REJECT", None).await;
    assert_eq!(
        payload_codes(&response["data"]["reviewScenario"]),
        ["REQUIRED"]
    );
    let back = review(&app, &admin, &id, "REQUEST_CHANGES", Some("请补充验收指标")).await;
    assert_eq!(back["status"], "CHANGES_REQUESTED");
    assert_eq!(
        act(&app, &unit, &id, "SUBMIT").await["status"],
        "PENDING_REVIEW"
    );
    review(&app, &manager, &id, "APPROVE", None).await;
    let rejected = review(&app, &admin, &id, "REJECT", Some("同类场景已在清单中")).await;
    assert_eq!(rejected["status"], "REJECTED");

    // The unit may still withdraw one waiting for the city.
    let third = scenario_in(&app, &unit, &admin, "PENDING_REVIEW").await;
    review(&app, &manager, &third["id"], "APPROVE", None).await;
    assert_eq!(
        act(&app, &unit, &third["id"], "WITHDRAW").await["status"],
        "WITHDRAWN"
    );
});

db_test!(
    a_manager_acts_on_the_scenarios_of_their_region_only,
    |app| {
        let admin = app.admin().await;
        let manager = app.county_manager("140702").await;
        let other_manager = app.county_manager("140721").await;
        let unit = app.gov_user().await;
        let far_unit = app.gov_user_in("140721").await;

        // Recording a scenario for a unit of the region, and planning it as the unit would.
        let mut input = scenario_input();
        input["organizationId"] = json!(unit.org_id);
        let recorded = create_scenario(&app, &manager, input.clone()).await;
        assert_eq!(recorded["publishingUnit"]["id"], json!(unit.org_id));
        let planned = act(&app, &manager, &recorded["id"], "PLAN").await;
        assert_eq!(planned["status"], "PLANNED");
        let read = app
            .gql_as(
                &manager,
                &scenario_query_doc(),
                json!({ "id": recorded["id"] }),
            )
            .await;
        assert_eq!(
            read["data"]["scenario"]["contact"]["name"], "赵工",
            "{read}"
        );

        // Every stage of the region's list, asked for the region alone; not of others, nor the city.
        let list = "query($r: [String!]) { opportunityList(first: 50, filter: { statuses: [PLANNED], \
        regionCodes: $r }) { edges { node { id } } } }";
        let own = app.gql_as(&manager, list, json!({ "r": ["140702"] })).await;
        assert_eq!(
            own["data"]["opportunityList"]["edges"][0]["node"]["id"], recorded["id"],
            "{own}"
        );
        for regions in [json!(["140721"]), json!(["140702", "140721"]), json!(null)] {
            let refused = app
                .try_gql_as(&manager, list, json!({ "r": regions }))
                .await;
            assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{regions}");
        }

        // Not for a unit of another region, nor a capability.
        input["organizationId"] = json!(far_unit.org_id);
        let refused = try_mutate(&app, Some(&manager), &create_scenario_doc(), input).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        let mut capability = capability_input();
        capability["organizationId"] = json!(app.enterprise_user().await.org_id);
        let refused = try_mutate(&app, Some(&manager), &create_capability_doc(), capability).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));

        // Another region's manager is anyone else here: the draft does not exist for them.
        let hidden = app
            .try_gql_as(
                &other_manager,
                &scenario_query_doc(),
                json!({ "id": recorded["id"] }),
            )
            .await;
        assert_eq!(error_code(&hidden), Some("NOT_FOUND"));
        let refused = try_act(&app, Some(&other_manager), &recorded["id"], "SUBMIT").await;
        assert_eq!(error_code(&refused), Some("NOT_FOUND"));

        // Proposing matches: for the region's scenarios only.
        let enterprise = app.enterprise_user().await;
        let listed = capability_in(&app, &enterprise, &admin, "LISTED").await;
        let near = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let far = scenario_in(&app, &far_unit, &admin, "PUBLISHED").await;
        let input = |s: &Value| json!({ "scenarioId": s["id"], "capabilityId": listed["id"] });
        let proposed = match_step(&app, &manager, PROPOSE, input(&near)).await;
        assert_eq!(proposed["origin"], "RECOMMENDATION");
        let refused = try_match_step(&app, Some(&manager), PROPOSE, input(&far)).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));

        // Every stage of the region's figures; only the public ones of the others'.
        let stats = "query($r: [String!]) { stats(filter: { regionCodes: $r }) \
        { scenarios { byStatus { status count } } } }";
        let statuses = |response: Value| -> Vec<String> {
            response["data"]["stats"]["scenarios"]["byStatus"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["status"].as_str().unwrap().to_owned())
                .collect()
        };
        let own = statuses(
            app.gql_as(&manager, stats, json!({ "r": ["140702"] }))
                .await,
        );
        assert!(own.contains(&"PLANNED".to_owned()), "{own:?}");
        let theirs = statuses(
            app.gql_as(&other_manager, stats, json!({ "r": ["140702"] }))
                .await,
        );
        assert!(!theirs.contains(&"PLANNED".to_owned()), "{theirs:?}");
        assert!(theirs.contains(&"PUBLISHED".to_owned()), "{theirs:?}");
    }
);

const APPOINT: &str = "mutation($input: AppointCountyManagerInput!) { appointCountyManager(input: \
    $input) { invitation { id email status county { code name } } errors { field code } } }";
const REMOVE: &str = "mutation($id: ID!) { removeCountyManager(input: { userId: $id }) \
    { user { id membership } errors { code } } }";
const MANAGERS: &str = "query($r: String) { countyManagers(regionCode: $r, first: 50) \
    { totalCount edges { node { id role county { code } } } } }";

db_test!(admins_appoint_and_remove_county_managers, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let email = format!("yuci{}@jzcx.gov.cn", unique());
    let input =
        |email: &str, region: &str| json!({ "input": { "email": email, "regionCode": region } });

    // Refusals write nothing.
    for user in [&unit] {
        let refused = app.try_gql_as(user, APPOINT, input(&email, "140702")).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    }
    let refused = app.try_gql(APPOINT, input(&email, "140702")).await;
    assert_eq!(error_code(&refused), Some("UNAUTHENTICATED"));
    let unknown = app
        .try_gql_as(&admin, APPOINT, input(&email, "999999"))
        .await;
    assert_eq!(
        payload_codes(&unknown["data"]["appointCountyManager"]),
        ["UNKNOWN_REGION"]
    );
    let taken: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(&unit.id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let duplicate = app
        .try_gql_as(&admin, APPOINT, input(&taken, "140702"))
        .await;
    assert_eq!(
        payload_codes(&duplicate["data"]["appointCountyManager"]),
        ["DUPLICATE"]
    );

    // The appointment: an e-mail whose link sets up the account.
    let appointed = app.gql_as(&admin, APPOINT, input(&email, "140702")).await;
    let invitation = &appointed["data"]["appointCountyManager"]["invitation"];
    assert_eq!(
        invitation["county"],
        json!({ "code": "140702", "name": "榆次区" })
    );
    let body: String = sqlx::query_scalar(
        "SELECT text_body FROM email_outbox WHERE recipient = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(&email)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert!(body.contains("榆次区场景经理人"), "{body}");
    let token = invitation_token(&app, &email).await;
    let (status, page) = app.get(&format!("/accept-invitation?token={token}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("榆次区场景经理人"), "{page}");
    let accepted = app
        .gql(
            "mutation($t: String!, $p: String!) { acceptInvitation(input: { token: $t, \
             displayName: \"王经理\", password: $p }) { user { id role county { code } \
             emailVerified } errors { code } } }",
            json!({ "t": token, "p": PASSWORD }),
        )
        .await;
    let user = &accepted["data"]["acceptInvitation"]["user"];
    assert_eq!(user["role"], "COUNTY_MANAGER", "{accepted}");
    assert_eq!(user["county"]["code"], "140702");
    assert_eq!(user["emailVerified"], true);
    let listed = app.gql_as(&admin, MANAGERS, json!({ "r": "140702" })).await;
    assert_eq!(listed["data"]["countyManagers"]["totalCount"], 1);
    assert_eq!(
        listed["data"]["countyManagers"]["edges"][0]["node"]["id"],
        user["id"]
    );
    let refused = app.try_gql_as(&unit, MANAGERS, json!({ "r": null })).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"));

    // A scenario waits for the county; the removal sends it to the city and signs the manager
    // out at once.
    let session = app
        .gql(
            "mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) \
             { accessToken } }",
            json!({ "e": email, "p": PASSWORD }),
        )
        .await;
    let token = session["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let manager = TestUser {
        id: user["id"].as_str().unwrap().to_owned(),
        org_id: String::new(),
        token,
    };
    let waiting = scenario_in(&app, &unit, &admin, "PENDING_REVIEW").await;
    assert_eq!(
        queue(&app, &manager, json!("COUNTY")).await,
        [id_of(&waiting)]
    );
    let refused = app
        .try_gql_as(&manager, REMOVE, json!({ "id": manager.id }))
        .await;
    assert_eq!(
        error_code(&refused),
        Some("FORBIDDEN"),
        "a manager removes nobody"
    );
    let not_a_manager = app
        .try_gql_as(&admin, REMOVE, json!({ "id": unit.id }))
        .await;
    assert_eq!(error_code(&not_a_manager), Some("NOT_FOUND"));

    let removed = app
        .gql_as(&admin, REMOVE, json!({ "id": manager.id }))
        .await;
    assert_eq!(
        removed["data"]["removeCountyManager"]["user"]["membership"],
        "REMOVED"
    );
    let signed_out = app
        .try_gql_as(&manager, QUEUE, json!({ "level": null }))
        .await;
    assert_eq!(error_code(&signed_out), Some("UNAUTHENTICATED"));
    let again = app
        .try_gql_as(&admin, REMOVE, json!({ "id": manager.id }))
        .await;
    assert_eq!(
        payload_codes(&again["data"]["removeCountyManager"]),
        ["INVALID_TRANSITION"]
    );
    assert!(
        queue(&app, &admin, json!("CITY"))
            .await
            .contains(&id_of(&waiting))
    );
    let published = review(&app, &admin, &waiting["id"], "APPROVE", None).await;
    assert_eq!(published["status"], "PUBLISHED");
});

//! Scenarios proposed by enterprises (README, "Scenario proposals"): proposed, adopted into a
//! DISCOVERED scenario that credits the proposal, published, and the proposer's capability
//! invited; or declined, which changes nothing else; private to the proposer, the addressee and
//! admins.

use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{TestApp, TestUser, error_code, payload_codes};

const PROPOSE: &str = "mutation($input: ProposeScenarioInput!) { proposeScenario(input: $input) \
    { proposal { id status unit { id } region { code } } errors { field code message } } }";
const ADOPT: &str = "mutation($input: AdoptScenarioProposalInput!) { adoptScenarioProposal(input: \
    $input) { proposal { id status scenario { id } } scenario { id status title description \
    region { code } publishingUnit { id } industryCodes timeline { action note } } \
    errors { field code } } }";
const DECLINE: &str = "mutation($input: DeclineScenarioProposalInput!) { \
    declineScenarioProposal(input: $input) { proposal { id status decisionNote } \
    errors { field code } } }";
const READ: &str = "query($id: ID!) { scenarioProposal(id: $id) { id status } }";

fn input(capability: &Value, unit: Option<&TestUser>) -> Value {
    json!({ "input": {
        "title": "晋商老字号门店数字化改造场景",
        "problem": "榆次老城老字号门店客流统计和线上销售渠道缺失，经营数据无法沉淀。",
        "regionCode": "140702",
        "unitId": unit.map(|u| u.org_id.clone()),
        "capabilityId": capability["id"],
        "rationale": "我司零售门店数字化方案已在平遥古城二十余家老字号落地。",
    } })
}

async fn propose(
    app: &TestApp,
    enterprise: &TestUser,
    capability: &Value,
    unit: Option<&TestUser>,
) -> Value {
    let response = app
        .gql_as(enterprise, PROPOSE, input(capability, unit))
        .await;
    let payload = &response["data"]["proposeScenario"];
    assert_eq!(payload["errors"], json!([]), "{response}");
    payload["proposal"].clone()
}

async fn kinds(app: &TestApp, user: &TestUser) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM notifications WHERE user_id = $1 ORDER BY created_at, id")
        .bind(&user.id)
        .fetch_all(app.state.db.pool())
        .await
        .unwrap()
}

db_test!(
    an_adopted_proposal_is_published_and_its_capability_invited,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let enterprise = app.enterprise_user().await;
        let capability = capability_in(&app, &enterprise, &admin, "LISTED").await;
        let proposal = propose(&app, &enterprise, &capability, Some(&unit)).await;
        assert_eq!(proposal["status"], "OPEN");
        assert_eq!(kinds(&app, &unit).await, ["PROPOSAL_RECEIVED"]);

        let adopted = app
            .gql_as(
                &unit,
                ADOPT,
                json!({ "input": { "id": proposal["id"], "category": "COMMUNITY" } }),
            )
            .await;
        let payload = &adopted["data"]["adoptScenarioProposal"];
        assert_eq!(payload["errors"], json!([]), "{adopted}");
        let scenario = &payload["scenario"];
        assert_eq!(scenario["status"], "DISCOVERED");
        assert_eq!(scenario["title"], "晋商老字号门店数字化改造场景");
        assert_eq!(scenario["publishingUnit"]["id"], json!(unit.org_id));
        assert_eq!(scenario["region"]["code"], "140702");
        assert_eq!(
            scenario["industryCodes"], capability["industryCodes"],
            "the capability's industries"
        );
        let description = scenario["description"].as_str().unwrap();
        assert!(
            description.contains("通过场景建议提出") && description.contains("平遥古城"),
            "{description}"
        );
        assert!(
            scenario["timeline"][0]["note"]
                .as_str()
                .unwrap()
                .contains("采纳场景建议")
        );
        assert_eq!(payload["proposal"]["status"], "ADOPTED");
        assert_eq!(payload["proposal"]["scenario"]["id"], scenario["id"]);
        assert_eq!(
            kinds(&app, &enterprise).await.last().unwrap(),
            "PROPOSAL_ADOPTED"
        );

        // Planned, submitted and published by the unit and the city: the capability is invited.
        let id = scenario["id"].clone();
        let deadline = (chrono::Utc::now() + chrono::Duration::days(60)).date_naive();
        mutate(
            &app,
            &unit,
            &update_scenario_doc(),
            "updateScenario",
            json!({ "id": id, "expectedVersion": 1, "budgetMin": 50, "budgetMax": 200,
            "maturityRequired": 6, "deadline": deadline.to_string(),
            "contact": { "name": "钱工", "phone": "0354-7220000" } }),
        )
        .await;
        act(&app, &unit, &id, "PLAN").await;
        act(&app, &unit, &id, "SUBMIT").await;
        assert_eq!(app.count("matches").await, 0);
        let published = review(&app, &admin, &id, "APPROVE", None).await;
        assert_eq!(published["status"], "PUBLISHED");
        let matches = app
            .gql_as(
                &enterprise,
                "query($s: ID) { matches(first: 10, filter: { scenarioId: $s }) { edges { node { \
             origin status pitch capability { id } initiator { id } } } } }",
                json!({ "s": id }),
            )
            .await;
        let edges = matches["data"]["matches"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 1, "{matches}");
        let invited = &edges[0]["node"];
        assert_eq!(invited["origin"], "PROPOSAL");
        assert_eq!(invited["status"], "PROPOSED");
        assert_eq!(invited["capability"]["id"], capability["id"]);
        assert_eq!(invited["initiator"]["id"], json!(unit.org_id));
        assert!(invited["pitch"].as_str().unwrap().contains("平遥古城"));
    }
);

db_test!(a_declined_proposal_changes_nothing_else, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let capability = capability_in(&app, &enterprise, &admin, "LISTED").await;
    let proposal = propose(&app, &enterprise, &capability, Some(&unit)).await;
    let (scenarios, matches) = (app.count("scenarios").await, app.count("matches").await);

    let no_reason = app
        .try_gql_as(&unit, DECLINE, json!({ "input": { "id": proposal["id"] } }))
        .await;
    assert_eq!(
        payload_codes(&no_reason["data"]["declineScenarioProposal"]),
        ["REQUIRED"]
    );
    let declined = app
        .gql_as(
            &unit,
            DECLINE,
            json!({ "input": { "id": proposal["id"], "reason": "该区域已有同类项目在建" } }),
        )
        .await;
    let payload = &declined["data"]["declineScenarioProposal"];
    assert_eq!(payload["proposal"]["status"], "DECLINED", "{declined}");
    assert_eq!(
        payload["proposal"]["decisionNote"],
        "该区域已有同类项目在建"
    );
    assert_eq!(
        kinds(&app, &enterprise).await.last().unwrap(),
        "PROPOSAL_DECLINED"
    );
    assert_eq!(app.count("scenarios").await, scenarios);
    assert_eq!(app.count("matches").await, matches);

    for (document, extra) in [
        (ADOPT, json!({ "category": "COMMUNITY" })),
        (DECLINE, json!({ "reason": "再次" })),
    ] {
        let mut input = json!({ "id": proposal["id"] });
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let again = app
            .try_gql_as(&unit, document, json!({ "input": input }))
            .await;
        let field = if document == ADOPT {
            "adoptScenarioProposal"
        } else {
            "declineScenarioProposal"
        };
        assert_eq!(
            payload_codes(&again["data"][field]),
            ["INVALID_TRANSITION"],
            "{again}"
        );
    }
});

db_test!(bad_proposals_are_refused_and_write_nothing, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let other = app.enterprise_user().await;
    let listed = capability_in(&app, &enterprise, &admin, "LISTED").await;
    let draft = capability_in(&app, &enterprise, &admin, "DRAFT").await;
    let pending = app.pending_enterprise_user().await;

    let code =
        |response: &Value| -> Vec<String> { payload_codes(&response["data"]["proposeScenario"]) };
    let refused = app
        .try_gql_as(&pending, PROPOSE, input(&listed, None))
        .await;
    assert_eq!(code(&refused), ["ORGANIZATION_NOT_VERIFIED"]);
    let refused = app.try_gql_as(&other, PROPOSE, input(&listed, None)).await;
    assert_eq!(code(&refused), ["INVALID"], "another's capability");
    let refused = app
        .try_gql_as(&enterprise, PROPOSE, input(&draft, None))
        .await;
    assert_eq!(code(&refused), ["INVALID"], "a capability not listed");
    let mut bad = input(&listed, None);
    bad["input"]["regionCode"] = json!("999999");
    bad["input"]["unitId"] = json!(other.org_id);
    bad["input"]["title"] = json!("");
    let refused = app.try_gql_as(&enterprise, PROPOSE, bad).await;
    let mut codes = code(&refused);
    codes.sort();
    assert_eq!(
        codes,
        ["INVALID", "REQUIRED", "UNKNOWN_REGION"],
        "{refused}"
    );
    let refused = app.try_gql_as(&unit, PROPOSE, input(&listed, None)).await;
    assert_eq!(
        error_code(&refused),
        Some("FORBIDDEN"),
        "units record scenarios themselves"
    );
    assert_eq!(app.count("scenario_proposals").await, 0);
});

/// Who may do what with a proposal addressed to a unit of 榆次区 (README, "Scenario proposals"):
/// the operations × anonymous, the proposing enterprise, the unit of the county (the addressee),
/// a unit of another county, the county manager, the manager of another county, a city admin.
const ACTORS: [&str; 7] = [
    "anonymous",
    "enterprise",
    "unit of the county",
    "unit of another county",
    "manager of the county",
    "manager of another county",
    "city admin",
];

const U: &str = "UNAUTHENTICATED";
const F: &str = "FORBIDDEN";
const N: &str = "NOT_FOUND";
const OK: &str = "DONE";

const TABLE: [(&str, [&str; 7]); 4] = [
    // Only enterprises propose (with their own listed capability).
    ("proposeScenario", [U, OK, F, F, F, F, F]),
    // A proposal addressed to a unit is the unit's to decide (and admins'); the proposer reads it.
    ("scenarioProposal", [U, OK, OK, N, N, N, OK]),
    ("adoptScenarioProposal", [U, F, OK, N, N, N, OK]),
    ("declineScenarioProposal", [U, F, OK, N, N, N, OK]),
];

db_test!(every_proposal_operation_admits_whom_the_rules_name, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let capability = capability_in(&app, &enterprise, &admin, "LISTED").await;
    let people = [
        None,
        Some(enterprise.clone()),
        Some(unit.clone()),
        Some(app.gov_user_in("140721").await),
        Some(app.county_manager("140702").await),
        Some(app.county_manager("140721").await),
        Some(admin.clone()),
    ];
    let mut wrong = Vec::new();
    for (operation, expected) in TABLE {
        for (column, person) in people.iter().enumerate() {
            // A fresh proposal for every attempt, addressed to the unit of the county.
            let proposal = propose(&app, &enterprise, &capability, Some(&unit)).await;
            let (document, vars, field) = match operation {
                "proposeScenario" => (PROPOSE, input(&capability, None), operation),
                "scenarioProposal" => (READ, json!({ "id": proposal["id"] }), operation),
                "adoptScenarioProposal" => (
                    ADOPT,
                    json!({ "input": { "id": proposal["id"], "category": "COMMUNITY" } }),
                    operation,
                ),
                _ => (
                    DECLINE,
                    json!({ "input": { "id": proposal["id"], "reason": "暂无相关规划" } }),
                    operation,
                ),
            };
            let response = match person {
                Some(user) => app.try_gql_as(user, document, vars).await,
                None => app.try_gql(document, vars).await,
            };
            let got = match error_code(&response) {
                Some(code) => code.to_owned(),
                None if document == READ => OK.to_owned(),
                None => payload_codes(&response["data"][field])
                    .first()
                    .cloned()
                    .unwrap_or_else(|| OK.to_owned()),
            };
            if got != expected[column] {
                wrong.push(format!(
                    "{operation} as {}: expected {}, got {got}: {response}",
                    ACTORS[column], expected[column]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
});

const LIST: &str = "{ scenarioProposals(first: 50) { totalCount edges { node { id } } } }";

/// The ids in `user`'s list of proposals.
async fn listed(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let response = app.gql_as(user, LIST, json!({})).await;
    response["data"]["scenarioProposals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect()
}

db_test!(the_list_holds_what_the_viewer_may_read, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let other_enterprise = app.enterprise_user().await;
    let manager = app.county_manager("140702").await;
    let capability = capability_in(&app, &enterprise, &admin, "LISTED").await;
    let to_unit = propose(&app, &enterprise, &capability, Some(&unit)).await["id"].clone();
    let to_county = propose(&app, &enterprise, &capability, None).await["id"].clone();

    assert_eq!(
        listed(&app, &enterprise).await,
        [to_county.clone(), to_unit.clone()]
    );
    assert_eq!(listed(&app, &unit).await, std::slice::from_ref(&to_unit));
    assert_eq!(
        listed(&app, &manager).await,
        std::slice::from_ref(&to_county)
    );
    assert_eq!(listed(&app, &admin).await, [to_county, to_unit]);
    assert!(listed(&app, &other_enterprise).await.is_empty());
    assert!(
        listed(&app, &app.county_manager("140721").await)
            .await
            .is_empty()
    );
    let anonymous = app.try_gql(LIST, json!({})).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
});

use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{TestApp, TestUser, error_code};

const RECOMMEND_CAPABILITIES: &str = r#"
query($id: ID!, $first: Int) {
  recommendedCapabilities(scenarioId: $id, first: $first) {
    score capability { id title } reasons { kind contribution detail terms }
  }
}"#;

const RECOMMEND_SCENARIOS: &str = r#"
query($id: ID!) {
  recommendedScenarios(capabilityId: $id) { score scenario { id title } reasons { kind detail } }
}"#;

fn solar() -> Value {
    let mut input = capability_input();
    input["title"] = json!("光伏电站无人机红外巡检与组件清洗");
    input["summary"] = json!("无人机红外识别光伏组件热斑，机器人清洗组件。");
    input["description"] = json!("为分布式光伏电站提供智能运维服务。");
    input["industryCodes"] = json!(["XN01"]);
    input["tags"] = json!(["光伏", "运维"]);
    input
}

fn coking() -> Value {
    let mut input = capability_input();
    input["title"] = json!("焦炉自动测温与加热优化系统");
    input["summary"] = json!("焦炉立火道温度在线监测与加热智能调节。");
    input["description"] = json!("面向焦化企业的加热优化控制。");
    input["industryCodes"] = json!(["MT01"]);
    input["tags"] = json!(["焦炉", "测温"]);
    input
}

fn ids(list: &Value, field: &str, inner: &str) -> Vec<Value> {
    list["data"][field]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|r| r[inner]["id"].clone())
        .collect()
}

struct World {
    gov: TestUser,
    enterprise: TestUser,
    admin: TestUser,
    scenario: Value,
    robot: Value,
}

async fn world(app: &TestApp) -> World {
    let gov = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let admin = app.admin().await;
    let scenario = scenario_in(app, &gov, &admin, "PUBLISHED").await;
    listed_capability(app, &enterprise, &admin, solar()).await;
    listed_capability(app, &enterprise, &admin, coking()).await;
    let robot = listed_capability(app, &enterprise, &admin, capability_input()).await;
    World {
        gov,
        enterprise,
        admin,
        scenario,
        robot,
    }
}

db_test!(
    recommendations_rank_listed_capabilities_with_reasons,
    |app| {
        let w = world(&app).await;
        let draft = create_capability(&app, &w.enterprise, capability_input()).await;
        let response = app
            .gql_as(
                &w.gov,
                RECOMMEND_CAPABILITIES,
                json!({ "id": w.scenario["id"], "first": 2 }),
            )
            .await;
        let list = response["data"]["recommendedCapabilities"]
            .as_array()
            .unwrap_or_else(|| panic!("{response}"));
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["capability"]["id"], w.robot["id"]);
        assert!(list[0]["score"].as_f64().unwrap() > list[1]["score"].as_f64().unwrap());
        let kinds: Vec<&str> = list[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["kind"].as_str().unwrap())
            .collect();
        for kind in ["TEXT", "INDUSTRY", "MATURITY", "BUDGET"] {
            assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
        }
        let text = list[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"] == "TEXT")
            .unwrap();
        assert!(
            text["terms"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "防爆" || t == "巡检"),
            "{text}"
        );
        assert!(text["detail"].as_str().unwrap().starts_with("内容相关"));
        let all = app
            .gql_as(
                &w.admin,
                RECOMMEND_CAPABILITIES,
                json!({ "id": w.scenario["id"] }),
            )
            .await;
        let recommended = ids(&all, "recommendedCapabilities", "capability");
        assert!(
            !recommended.contains(&draft["id"]),
            "drafts are never recommended"
        );
    }
);

db_test!(
    a_pair_has_one_match_degree_from_both_sides_and_on_its_match,
    |app| {
        let w = world(&app).await;
        const FROM_SCENARIO: &str = "query($id: ID!) { recommendedCapabilities(scenarioId: $id) { score matchDegree capability { id } } }";
        const FROM_CAPABILITY: &str = "query($id: ID!) { recommendedScenarios(capabilityId: $id) { score matchDegree scenario { id } } }";
        let forward = app
            .gql_as(&w.gov, FROM_SCENARIO, json!({ "id": w.scenario["id"] }))
            .await;
        let forward = forward["data"]["recommendedCapabilities"]
            .as_array()
            .unwrap_or_else(|| panic!("{forward}"))
            .clone();
        let backward = app
            .gql_as(
                &w.enterprise,
                FROM_CAPABILITY,
                json!({ "id": w.robot["id"] }),
            )
            .await;
        let backward = backward["data"]["recommendedScenarios"]
            .as_array()
            .unwrap_or_else(|| panic!("{backward}"))
            .clone();
        let robot = forward
            .iter()
            .find(|r| r["capability"]["id"] == w.robot["id"])
            .expect("the robot is recommended for the inspection scenario");
        let scenario = backward
            .iter()
            .find(|r| r["scenario"]["id"] == w.scenario["id"])
            .expect("the inspection scenario is recommended for the robot");
        let degree = robot["matchDegree"].as_i64().unwrap();
        assert_eq!(scenario["matchDegree"], degree, "the same from either side");
        assert!((0..=100).contains(&degree));
        // The degree ranks the pairs of one list as a reviewer would: the robot far above the
        // coking and solar systems recommended beside it.
        for other in forward
            .iter()
            .filter(|r| r["capability"]["id"] != w.robot["id"])
        {
            assert!(
                other["matchDegree"].as_i64().unwrap() < degree,
                "{forward:?}"
            );
        }
        // A match keeps the degree its pair had when it was proposed.
        let proposed = apply(&app, &w.enterprise, &w.scenario, &w.robot).await;
        assert_eq!(proposed["matchDegree"], degree, "{proposed}");
    }
);

db_test!(recommendations_are_for_owners_and_admins, |app| {
    let w = world(&app).await;
    let other = app.gov_user().await;
    let vars = json!({ "id": w.scenario["id"] });
    assert_eq!(
        error_code(
            &app.try_gql_as(&other, RECOMMEND_CAPABILITIES, vars.clone())
                .await
        ),
        Some("FORBIDDEN")
    );
    assert_eq!(
        error_code(
            &app.try_gql_as(&w.enterprise, RECOMMEND_CAPABILITIES, vars.clone())
                .await
        ),
        Some("FORBIDDEN")
    );
    assert_eq!(
        error_code(&app.try_gql(RECOMMEND_CAPABILITIES, vars.clone()).await),
        Some("UNAUTHENTICATED")
    );
    let draft = scenario_in(&app, &w.gov, &w.admin, "PLANNED").await;
    let hidden = app
        .try_gql_as(&other, RECOMMEND_CAPABILITIES, json!({ "id": draft["id"] }))
        .await;
    assert_eq!(error_code(&hidden), Some("NOT_FOUND"));
    let own_draft = app
        .gql_as(&w.gov, RECOMMEND_CAPABILITIES, json!({ "id": draft["id"] }))
        .await;
    assert_eq!(
        ids(&own_draft, "recommendedCapabilities", "capability").first(),
        Some(&w.robot["id"]),
        "a unit may look while planning, and sees the same best match: {own_draft}"
    );
    for first in [0, 51] {
        let bad = app
            .try_gql_as(
                &w.gov,
                RECOMMEND_CAPABILITIES,
                json!({ "id": w.scenario["id"], "first": first }),
            )
            .await;
        assert_eq!(error_code(&bad), Some("BAD_REQUEST"));
    }
    let foreign = app
        .try_gql_as(&other, RECOMMEND_SCENARIOS, json!({ "id": w.robot["id"] }))
        .await;
    assert_eq!(error_code(&foreign), Some("FORBIDDEN"));
});

db_test!(the_index_follows_changes_in_place, |app| {
    let w = world(&app).await;
    let before = app.state.index.counts();
    assert_eq!(before, (1, 3));
    // Archiving takes the capability out.
    let archived = act_capability(&app, &w.enterprise, &w.robot["id"], "ARCHIVE").await;
    assert_eq!(archived["status"], "ARCHIVED");
    let after = app
        .gql_as(
            &w.gov,
            RECOMMEND_CAPABILITIES,
            json!({ "id": w.scenario["id"] }),
        )
        .await;
    assert!(!ids(&after, "recommendedCapabilities", "capability").contains(&w.robot["id"]));
    assert_eq!(app.state.index.counts(), (1, 2));

    // The capability side: open scenarios are recommended; a closed one drops out.
    let solar_id = app
        .gql_as(
            &w.enterprise,
            "{ myCapabilities(status: LISTED) { edges { node { id title } } } }",
            json!({}),
        )
        .await;
    let edges = solar_id["data"]["myCapabilities"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    let coking_id = edges
        .iter()
        .find(|e| e["node"]["title"] == "焦炉自动测温与加热优化系统")
        .unwrap()["node"]["id"]
        .clone();
    let scenarios = app
        .gql_as(
            &w.enterprise,
            RECOMMEND_SCENARIOS,
            json!({ "id": coking_id }),
        )
        .await;
    assert_eq!(
        ids(&scenarios, "recommendedScenarios", "scenario"),
        vec![w.scenario["id"].clone()]
    );
    let closed = act(&app, &w.gov, &w.scenario["id"], "CLOSE").await;
    assert_eq!(closed["status"], "CLOSED");
    let scenarios = app
        .gql_as(
            &w.enterprise,
            RECOMMEND_SCENARIOS,
            json!({ "id": coking_id }),
        )
        .await;
    assert!(ids(&scenarios, "recommendedScenarios", "scenario").is_empty());
    assert_eq!(app.state.index.counts(), (0, 2));

    // Only capabilities of verified organizations are loaded.
    sqlx::query("UPDATE organizations SET status = 'PENDING' WHERE id = $1")
        .bind(&w.enterprise.org_id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    app.state.index.reload().await.unwrap();
    assert_eq!(app.state.index.counts(), (0, 0));
});

db_test!(free_text_search_orders_the_lists_by_relevance, |app| {
    let w = world(&app).await;
    let mut other = scenario_input();
    other["title"] = json!("光伏电站智能运维场景");
    other["summary"] = json!("东山分布式光伏电站组件清洗与热斑检测。");
    other["description"] = json!("征集光伏运维服务。");
    other["industryCodes"] = json!(["XN01"]);
    other["tags"] = json!(["光伏"]);
    let solar_scenario = create_scenario(&app, &w.gov, other).await;
    act(&app, &w.gov, &solar_scenario["id"], "PLAN").await;
    act(&app, &w.gov, &solar_scenario["id"], "SUBMIT").await;
    let published = review(&app, &w.admin, &solar_scenario["id"], "APPROVE", None).await;
    assert_eq!(published["status"], "PUBLISHED");

    let search = |doc: &'static str, q: &'static str| {
        app.gql(
            doc,
            json!({ "filter": { "query": q }, "orderBy": "RELEVANCE" }),
        )
    };
    const OPP: &str = "query($filter: OpportunityFilter, $orderBy: ScenarioOrderBy) { opportunityList(filter: $filter, orderBy: $orderBy) { totalCount edges { node { id } } } }";
    const CAP: &str = "query($filter: CapabilityFilter, $orderBy: CapabilityOrderBy) { capabilityList(filter: $filter, orderBy: $orderBy) { totalCount edges { node { id title } } } }";
    let hits = search(OPP, "井下巡检机器人").await;
    assert_eq!(
        hits["data"]["opportunityList"]["edges"][0]["node"]["id"], w.scenario["id"],
        "{hits}"
    );
    let solar_hits = search(OPP, "光伏运维").await;
    assert_eq!(solar_hits["data"]["opportunityList"]["totalCount"], 1);
    assert_eq!(
        solar_hits["data"]["opportunityList"]["edges"][0]["node"]["id"],
        solar_scenario["id"]
    );
    let caps = search(CAP, "焦炉测温").await;
    assert_eq!(
        caps["data"]["capabilityList"]["edges"][0]["node"]["title"],
        "焦炉自动测温与加热优化系统"
    );
    let none = search(CAP, "醇氢重卡").await;
    assert_eq!(none["data"]["capabilityList"]["totalCount"], 0);
    // A query combines with the other filters and orders.
    let filtered = app
        .gql(CAP, json!({ "filter": { "query": "机器人", "industryCodes": ["MT"] }, "orderBy": "LISTED_AT" }))
        .await;
    assert_eq!(titles(&filtered), ["矿用防爆巡检机器人系统"]);
    // By relevance too: only the hits in the filter's industries, a cluster standing for its
    // sub-industries, on both lists.
    let narrowed = |doc: &'static str, codes: Value| {
        app.gql(
            doc,
            json!({ "filter": { "query": "巡检 光伏", "industryCodes": codes }, "orderBy": "RELEVANCE" }),
        )
    };
    let node_ids = |response: &Value, list: &str| -> Vec<Value> {
        assert!(response.get("errors").is_none(), "{response}");
        response["data"][list]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].clone())
            .collect()
    };
    let both = search(OPP, "巡检 光伏").await;
    assert_eq!(both["data"]["opportunityList"]["totalCount"], 2, "{both}");
    let solar_only = narrowed(OPP, json!(["XN01"])).await;
    assert_eq!(
        node_ids(&solar_only, "opportunityList"),
        [solar_scenario["id"].clone()]
    );
    assert_eq!(solar_only["data"]["opportunityList"]["totalCount"], 1);
    let mine_only = narrowed(OPP, json!(["MT"])).await;
    assert_eq!(
        node_ids(&mine_only, "opportunityList"),
        [w.scenario["id"].clone()]
    );
    assert!(node_ids(&narrowed(OPP, json!(["WL04"])).await, "opportunityList").is_empty());
    let solar_title = solar()["title"].as_str().unwrap().to_owned();
    assert!(titles(&search(CAP, "巡检 光伏").await).contains(&solar_title));
    let mining_caps = titles(&narrowed(CAP, json!(["MT"])).await);
    assert!(
        mining_caps.contains(&"矿用防爆巡检机器人系统".to_owned()),
        "{mining_caps:?}"
    );
    assert!(!mining_caps.contains(&solar_title), "{mining_caps:?}");

    // Pages of a relevance order follow the engine's order, a page at a time.
    const PAGED: &str = "query($after: String) { capabilityList(first: 1, after: $after, filter: { query: \"机器人\" }, orderBy: RELEVANCE) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }";
    let all = search(CAP, "机器人").await;
    let all: Vec<Value> = all["data"]["capabilityList"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    assert!(all.len() >= 2, "{all:?}");
    let mut after = Value::Null;
    for expected in &all {
        let page = app.gql(PAGED, json!({ "after": after })).await;
        let list = &page["data"]["capabilityList"];
        assert_eq!(list["totalCount"], all.len(), "{page}");
        assert_eq!(&list["edges"][0]["node"]["id"], expected, "{page}");
        after = list["pageInfo"]["endCursor"].clone();
        assert_eq!(
            list["pageInfo"]["hasNextPage"],
            expected != all.last().unwrap()
        );
    }
});

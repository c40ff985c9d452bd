use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{error_code, payload_codes};

const CREATE: &str = "mutation($input: CreateEditionInput!) { createEdition(input: $input) { edition { id status title } errors { field code message } } }";
const ADD: &str = "mutation($input: AddEditionItemsInput!) { addEditionItems(input: $input) { edition { id } errors { field code message } } }";
const REMOVE: &str = "mutation($input: RemoveEditionItemInput!) { removeEditionItem(input: $input) { edition { id } errors { code } } }";
const PUBLISH: &str = "mutation($id: ID!) { publishEdition(input: { id: $id }) { edition { id status publishedAt } errors { code message } } }";
const EDITION: &str = "query($id: ID!) { edition(id: $id) { title status items { totalCount edges { node { seq code title scenario { id status } capability { id } } } } } }";
const EDITIONS: &str = "query($kind: EditionKind, $drafts: Boolean) { editions(kind: $kind, includeDrafts: $drafts) { totalCount edges { node { id title } } } }";
const OPPORTUNITIES: &str = r#"
query($filter: OpportunityFilter, $orderBy: ScenarioOrderBy, $first: Int, $after: String) {
  opportunityList(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id title status } }
  }
}"#;
const QUEUE: &str = "query($kind: ReviewKind!) { reviewQueue(kind: $kind) { totalCount edges { node { __typename ... on Scenario { id } ... on Capability { id } } } } }";

fn edition_input(kind: &str, batch: i32) -> Value {
    json!({ "input": { "kind": kind, "year": 2026, "batch": batch, "title": format!("晋中市2026年第{batch}批场景机会清单") } })
}

db_test!(editions_are_created_filled_and_frozen_by_admins, |app| {
    let owner = app.gov_user().await;
    let admin = app.admin().await;
    let enterprise = app.enterprise_user().await;
    let first = scenario_in(&app, &owner, &admin, "PUBLISHED").await;
    let second = scenario_in(&app, &owner, &admin, "PUBLISHED").await;
    let third = scenario_in(&app, &owner, &admin, "PUBLISHED").await;
    let draft = scenario_in(&app, &owner, &admin, "PLANNED").await;
    let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;

    for user in [&owner, &enterprise] {
        assert_eq!(
            error_code(
                &app.try_gql_as(user, CREATE, edition_input("OPPORTUNITY", 1))
                    .await
            ),
            Some("FORBIDDEN")
        );
    }
    let created = app
        .gql_as(&admin, CREATE, edition_input("OPPORTUNITY", 1))
        .await;
    let edition_id = created["data"]["createEdition"]["edition"]["id"].clone();
    assert_eq!(
        created["data"]["createEdition"]["edition"]["status"],
        "DRAFT"
    );
    let duplicate = app
        .try_gql_as(&admin, CREATE, edition_input("OPPORTUNITY", 1))
        .await;
    assert_eq!(
        payload_codes(&duplicate["data"]["createEdition"]),
        ["DUPLICATE"]
    );
    let same_batch_other_kind = app
        .gql_as(&admin, CREATE, edition_input("CAPABILITY", 1))
        .await;
    assert_eq!(
        same_batch_other_kind["data"]["createEdition"]["errors"],
        json!([])
    );

    // Unapproved items and items of the other kind are refused, and nothing is added.
    let add = |ids: Vec<&Value>| json!({ "input": { "editionId": edition_id, "itemIds": ids } });
    let refused = app
        .try_gql_as(
            &admin,
            ADD,
            add(vec![&first["id"], &draft["id"], &capability["id"]]),
        )
        .await;
    let p = &refused["data"]["addEditionItems"];
    assert_eq!(payload_codes(p), ["INVALID", "INVALID"]);
    assert_eq!(p["errors"][0]["field"], json!(["itemIds", "1"]));
    assert_eq!(p["errors"][1]["field"], json!(["itemIds", "2"]));
    assert_eq!(
        p["errors"][1]["message"], "没有这个场景：机会清单只收录已发布的场景，能力请加入能力清单",
        "a capability in an opportunity edition is told where it belongs"
    );
    assert_eq!(app.count("edition_items").await, 0);
    let not_admin = app.try_gql_as(&owner, ADD, add(vec![&first["id"]])).await;
    assert_eq!(error_code(&not_admin), Some("FORBIDDEN"));

    let added = app
        .gql_as(
            &admin,
            ADD,
            add(vec![&second["id"], &first["id"], &third["id"]]),
        )
        .await;
    assert_eq!(added["data"]["addEditionItems"]["errors"], json!([]));
    let again = app.gql_as(&admin, ADD, add(vec![&first["id"]])).await;
    assert_eq!(
        again["data"]["addEditionItems"]["errors"],
        json!([]),
        "adding twice is harmless"
    );
    let removed = app
        .gql_as(
            &admin,
            REMOVE,
            json!({ "input": { "editionId": edition_id, "itemId": third["id"] } }),
        )
        .await;
    assert_eq!(removed["data"]["removeEditionItem"]["errors"], json!([]));
    let missing = app
        .try_gql_as(
            &admin,
            REMOVE,
            json!({ "input": { "editionId": edition_id, "itemId": third["id"] } }),
        )
        .await;
    assert_eq!(error_code(&missing), Some("NOT_FOUND"));
    // Only admins remove items and publish; anonymous callers are asked to sign in.
    let remove_first = json!({ "input": { "editionId": edition_id, "itemId": first["id"] } });
    for user in [&owner, &enterprise] {
        let refused = app.try_gql_as(user, REMOVE, remove_first.clone()).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        let refused = app
            .try_gql_as(user, PUBLISH, json!({ "id": edition_id }))
            .await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    }
    let anonymous = app.try_gql(REMOVE, remove_first).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let anonymous = app.try_gql(PUBLISH, json!({ "id": edition_id })).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    assert_eq!(app.count("edition_items").await, 2);

    // Drafts are the admins' only.
    assert_eq!(
        error_code(&app.try_gql(EDITION, json!({ "id": edition_id })).await),
        Some("NOT_FOUND")
    );
    let public_list = app
        .gql(EDITIONS, json!({ "kind": "OPPORTUNITY", "drafts": true }))
        .await;
    assert_eq!(public_list["data"]["editions"]["totalCount"], 0);

    let published = app
        .gql_as(&admin, PUBLISH, json!({ "id": edition_id }))
        .await;
    assert_eq!(
        published["data"]["publishEdition"]["edition"]["status"],
        "PUBLISHED"
    );
    let republish = app
        .try_gql_as(&admin, PUBLISH, json!({ "id": edition_id }))
        .await;
    assert_eq!(
        payload_codes(&republish["data"]["publishEdition"]),
        ["INVALID_TRANSITION"]
    );
    let frozen_add = app.try_gql_as(&admin, ADD, add(vec![&third["id"]])).await;
    assert_eq!(
        payload_codes(&frozen_add["data"]["addEditionItems"]),
        ["INVALID_TRANSITION"]
    );
    let frozen_remove = app
        .try_gql_as(
            &admin,
            REMOVE,
            json!({ "input": { "editionId": edition_id, "itemId": first["id"] } }),
        )
        .await;
    assert_eq!(
        payload_codes(&frozen_remove["data"]["removeEditionItem"]),
        ["INVALID_TRANSITION"]
    );

    // Later the scenario listed first is withdrawn: the edition keeps it, with its code and title.
    let withdrawn = act(&app, &owner, &second["id"], "WITHDRAW").await;
    assert_eq!(withdrawn["status"], "WITHDRAWN");
    let edition = app.gql(EDITION, json!({ "id": edition_id })).await;
    let items = edition["data"]["edition"]["items"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edition["data"]["edition"]["items"]["totalCount"], 2);
    assert_eq!(items[0]["node"]["seq"], 1);
    assert_eq!(items[0]["node"]["code"], second["code"]);
    assert_eq!(items[0]["node"]["title"], "煤矿井下巡检机器人应用场景");
    assert_eq!(
        items[0]["node"]["scenario"],
        Value::Null,
        "withdrawn: no longer public"
    );
    assert_eq!(items[1]["node"]["seq"], 2);
    assert_eq!(items[1]["node"]["scenario"]["id"], first["id"]);
    assert_eq!(items[1]["node"]["capability"], Value::Null);
    let public_list = app.gql(EDITIONS, json!({ "kind": "OPPORTUNITY" })).await;
    assert_eq!(public_list["data"]["editions"]["totalCount"], 1);
});

db_test!(an_empty_edition_cannot_be_published, |app| {
    let admin = app.admin().await;
    let created = app
        .gql_as(&admin, CREATE, edition_input("CAPABILITY", 2))
        .await;
    let id = &created["data"]["createEdition"]["edition"]["id"];
    let refused = app.try_gql_as(&admin, PUBLISH, json!({ "id": id })).await;
    assert_eq!(
        payload_codes(&refused["data"]["publishEdition"]),
        ["INCOMPLETE"]
    );
    let bad = app
        .try_gql_as(
            &admin,
            CREATE,
            json!({ "input": { "kind": "CAPABILITY", "year": 1999, "batch": 0, "title": "" } }),
        )
        .await;
    let mut codes = payload_codes(&bad["data"]["createEdition"]);
    codes.sort();
    assert_eq!(codes, ["OUT_OF_RANGE", "OUT_OF_RANGE", "REQUIRED"]);
});

db_test!(
    the_opportunity_list_shows_open_scenarios_with_filters,
    |app| {
        let owner = app.gov_user().await;
        let admin = app.admin().await;
        let specs = [
            ("井下巡检", "INDUSTRIAL", "MT04", "140781", 80, 300, 7, 30),
            ("古城客流", "COMMUNITY", "WL01", "140728", 50, 120, 6, 90),
            ("东山光伏", "CITY", "XN01", "140725", 200, 800, 8, 60),
        ];
        for (title, category, industry, region, min, max, trl, days) in specs {
            let mut input = scenario_input();
            input["title"] = json!(title);
            input["category"] = json!(category);
            input["industryCodes"] = json!([industry]);
            input["regionCode"] = json!(region);
            input["budgetMin"] = json!(min);
            input["budgetMax"] = json!(max);
            input["maturityRequired"] = json!(trl);
            input["deadline"] = json!(
                (chrono::Utc::now() + chrono::Duration::days(days))
                    .date_naive()
                    .to_string()
            );
            let scenario = create_scenario(&app, &owner, input).await;
            act(&app, &owner, &scenario["id"], "PLAN").await;
            act(&app, &owner, &scenario["id"], "SUBMIT").await;
            let published = review(&app, &admin, &scenario["id"], "APPROVE", None).await;
            assert_eq!(published["status"], "PUBLISHED");
        }
        scenario_in(&app, &owner, &admin, "PENDING_REVIEW").await;
        scenario_in(&app, &owner, &admin, "CLOSED").await;

        let titles = |r: &Value| -> Vec<String> {
            r["data"]["opportunityList"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
                .collect()
        };
        let all = app
            .gql(OPPORTUNITIES, json!({ "orderBy": "DEADLINE" }))
            .await;
        assert_eq!(titles(&all), ["井下巡检", "东山光伏", "古城客流"]);
        let by_budget = app.gql(OPPORTUNITIES, json!({ "orderBy": "BUDGET" })).await;
        assert_eq!(titles(&by_budget), ["东山光伏", "井下巡检", "古城客流"]);
        let newest = app.gql(OPPORTUNITIES, json!({})).await;
        assert_eq!(titles(&newest), ["东山光伏", "古城客流", "井下巡检"]);

        let filter =
            |f: Value| app.gql(OPPORTUNITIES, json!({ "filter": f, "orderBy": "DEADLINE" }));
        assert_eq!(
            titles(&filter(json!({ "category": "COMMUNITY" })).await),
            ["古城客流"]
        );
        assert_eq!(
            titles(&filter(json!({ "industryCodes": ["MT"] })).await),
            ["井下巡检"]
        );
        assert_eq!(
            titles(&filter(json!({ "industryCodes": ["MT", "WL01"] })).await),
            ["井下巡检", "古城客流"]
        );
        assert_eq!(
            titles(&filter(json!({ "regionGroup": "DONGSHAN" })).await),
            ["东山光伏"]
        );
        assert_eq!(
            titles(&filter(json!({ "regionCodes": ["140781", "140728"] })).await),
            ["井下巡检", "古城客流"]
        );
        assert_eq!(
            titles(&filter(json!({ "budgetMin": 150, "budgetMax": 250 })).await),
            ["井下巡检", "东山光伏"]
        );
        assert_eq!(
            titles(&filter(json!({ "maturityAtLeast": 7 })).await),
            ["井下巡检", "东山光伏"]
        );
        let in_45_days = (chrono::Utc::now() + chrono::Duration::days(45))
            .date_naive()
            .to_string();
        assert_eq!(
            titles(&filter(json!({ "deadlineAfter": in_45_days })).await),
            ["东山光伏", "古城客流"]
        );

        let page = app
            .gql(OPPORTUNITIES, json!({ "orderBy": "DEADLINE", "first": 2 }))
            .await;
        assert_eq!(page["data"]["opportunityList"]["totalCount"], 3);
        assert_eq!(
            page["data"]["opportunityList"]["pageInfo"]["hasNextPage"],
            true
        );
        let rest = app
        .gql(OPPORTUNITIES, json!({ "orderBy": "DEADLINE", "first": 2, "after": page["data"]["opportunityList"]["pageInfo"]["endCursor"] }))
        .await;
        assert_eq!(titles(&rest), ["古城客流"]);

        let mine = app
            .gql_as(&owner, "{ myScenarios { totalCount } }", json!({}))
            .await;
        assert_eq!(mine["data"]["myScenarios"]["totalCount"], 5);
        let anonymous = app
            .try_gql("{ myScenarios { totalCount } }", json!({}))
            .await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    }
);

db_test!(the_review_queue_is_oldest_first_and_for_admins, |app| {
    let owner = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let admin = app.admin().await;
    let older = scenario_in(&app, &owner, &admin, "PENDING_REVIEW").await;
    let newer = scenario_in(&app, &owner, &admin, "PENDING_REVIEW").await;
    scenario_in(&app, &owner, &admin, "PUBLISHED").await;
    let capability = create_capability(&app, &enterprise, capability_input()).await;
    app.gql_as(
        &enterprise,
        &transition_capability_doc(),
        json!({ "input": { "id": capability["id"], "action": "SUBMIT" } }),
    )
    .await;

    let queue = app
        .gql_as(&admin, QUEUE, json!({ "kind": "SCENARIO" }))
        .await;
    let edges = queue["data"]["reviewQueue"]["edges"].as_array().unwrap();
    assert_eq!(queue["data"]["reviewQueue"]["totalCount"], 2);
    assert_eq!(edges[0]["node"]["id"], older["id"]);
    assert_eq!(edges[1]["node"]["id"], newer["id"]);
    assert_eq!(edges[0]["node"]["__typename"], "Scenario");
    let capabilities = app
        .gql_as(&admin, QUEUE, json!({ "kind": "CAPABILITY" }))
        .await;
    assert_eq!(
        capabilities["data"]["reviewQueue"]["edges"][0]["node"]["id"],
        capability["id"]
    );
    assert_eq!(
        capabilities["data"]["reviewQueue"]["edges"][0]["node"]["__typename"],
        "Capability"
    );
    for user in [&owner, &enterprise] {
        assert_eq!(
            error_code(
                &app.try_gql_as(user, QUEUE, json!({ "kind": "SCENARIO" }))
                    .await
            ),
            Some("FORBIDDEN")
        );
    }
    assert_eq!(
        error_code(&app.try_gql(QUEUE, json!({ "kind": "SCENARIO" })).await),
        Some("UNAUTHENTICATED")
    );
});

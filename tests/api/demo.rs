use serde_json::json;
use twolists::demo::{self, DEMO_ADMIN, DEMO_PASSWORD};

use crate::db_test;

db_test!(demo_data_loads_once_and_reads_like_jinzhong, |app| {
    let loaded = demo::load(&app.state.db, &app.state.taxonomy)
        .await
        .unwrap()
        .unwrap();
    assert!(loaded.organizations >= 52);
    assert!(loaded.scenarios >= 40);
    assert!(loaded.capabilities >= 120);
    assert!(loaded.matches >= 8);
    assert!(
        demo::load(&app.state.db, &app.state.taxonomy)
            .await
            .unwrap()
            .is_none(),
        "loaded once"
    );
    assert!(
        demo::load_into_empty(&app.state.db, &app.state.taxonomy)
            .await
            .unwrap()
            .is_none()
    );

    let overview = app
        .gql(
            r#"{
              opportunityList(first: 1) { totalCount edges { node { code publishingUnit { name } } } }
              capabilityList(first: 1) { totalCount }
              editions { totalCount edges { node { title status items(first: 1) { totalCount edges { node { seq code title } } } } } }
              organizations(filter: { kind: GOVERNMENT }) { totalCount }
            }"#,
            json!({}),
        )
        .await;
    let data = &overview["data"];
    assert!(
        data["opportunityList"]["totalCount"].as_i64().unwrap() >= 20,
        "{overview}"
    );
    assert!(
        data["opportunityList"]["edges"][0]["node"]["code"]
            .as_str()
            .unwrap()
            .starts_with("JZ-JH-")
    );
    assert!(data["capabilityList"]["totalCount"].as_i64().unwrap() >= 80);
    assert_eq!(data["editions"]["totalCount"], 2);
    for edition in data["editions"]["edges"].as_array().unwrap() {
        let edition = &edition["node"];
        assert_eq!(edition["status"], "PUBLISHED");
        assert!(edition["title"].as_str().unwrap().starts_with("晋中市"));
        assert!(edition["items"]["totalCount"].as_i64().unwrap() >= 10);
        assert_eq!(edition["items"]["edges"][0]["node"]["seq"], 1);
    }
    assert!(data["organizations"]["totalCount"].as_i64().unwrap() >= 12);

    // Every state of the scenario lifecycle is represented.
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT status FROM scenarios ORDER BY status")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    let mut every: Vec<&str> = twolists::scenarios::ScenarioStatus::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    every.sort();
    assert_eq!(statuses, every);

    // The demo accounts sign in with the documented password.
    let login = app
        .gql(
            "mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { user { role } errors { code } } }",
            json!({ "e": DEMO_ADMIN, "p": DEMO_PASSWORD }),
        )
        .await;
    assert_eq!(login["data"]["login"]["user"]["role"], "ADMIN");
    let unit = app
        .gql(
            "mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { user { role organization { name } } } }",
            json!({ "e": "jx@demo.jzcx.cn", "p": DEMO_PASSWORD }),
        )
        .await;
    assert_eq!(
        unit["data"]["login"]["user"]["organization"]["name"],
        "介休市人民政府"
    );
});

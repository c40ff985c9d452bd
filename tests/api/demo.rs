use serde_json::json;
use twolists::demo::{self, DEMO_ADMIN, DEMO_PASSWORD};

use crate::db_test;
use crate::util::TestApp;

/// `(key, count)` of `SELECT <key>, COUNT(*) FROM <from> GROUP BY <key>`, ordered by key.
async fn counts_by(app: &TestApp, key: &str, from: &str) -> Vec<(String, i64)> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {key}, COUNT(*) FROM {from} GROUP BY {key} ORDER BY {key}"
    )))
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

fn pairs(expected: &[(&str, i64)]) -> Vec<(String, i64)> {
    let mut pairs: Vec<(String, i64)> = expected
        .iter()
        .map(|(k, n)| ((*k).to_owned(), *n))
        .collect();
    pairs.sort();
    pairs
}

// The figures are the README's ("Demo data").
db_test!(demo_data_loads_once_and_reads_like_jinzhong, |app| {
    let loaded = demo::load(&app.state.db, &app.state.taxonomy)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            loaded.organizations,
            loaded.scenarios,
            loaded.capabilities,
            loaded.matches,
            loaded.editions,
            loaded.proposals,
            loaded.events
        ),
        (62, 42, 133, 17, 2, 2, 2)
    );
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

    assert_eq!(
        counts_by(
            &app,
            "kind || ' ' || status",
            "organizations WHERE kind <> 'OPERATOR'"
        )
        .await,
        pairs(&[
            ("GOVERNMENT VERIFIED", 20),
            ("ENTERPRISE VERIFIED", 31),
            ("ENTERPRISE PENDING", 2),
            ("RESEARCH VERIFIED", 8),
            ("RESEARCH PENDING", 1),
        ])
    );
    assert_eq!(
        counts_by(&app, "status", "scenarios").await,
        pairs(&[
            ("DISCOVERED", 4),
            ("PLANNED", 3),
            ("PENDING_REVIEW", 2),
            ("PENDING_CITY_REVIEW", 1),
            ("CHANGES_REQUESTED", 2),
            ("PUBLISHED", 18),
            ("MATCHING", 4),
            ("IMPLEMENTING", 2),
            ("LANDED", 2),
            ("PROMOTED", 1),
            ("WITHDRAWN", 1),
            ("CLOSED", 2),
        ]),
        "every state of the scenario lifecycle"
    );
    // Two county managers; a scenario waiting at each level of the review; every approval in
    // their counties came first from the county.
    assert_eq!(
        counts_by(&app, "region_code", "users WHERE role = 'COUNTY_MANAGER'").await,
        pairs(&[("140703", 1), ("140728", 1)])
    );
    let waiting = |level: &str| {
        format!(
            "scenarios s JOIN organizations o ON o.id = s.org_id WHERE s.status = 'PENDING_REVIEW' \
             AND s.region_code {} ('140703', '140728')",
            if level == "COUNTY" { "IN" } else { "NOT IN" }
        )
    };
    assert_eq!(
        counts_by(&app, "s.region_code", &waiting("COUNTY")).await,
        pairs(&[("140703", 1)])
    );
    assert_eq!(
        counts_by(&app, "s.region_code", &waiting("CITY")).await,
        pairs(&[("140700", 1)])
    );
    let approvals: Vec<(String, i64)> = counts_by(
        &app,
        "e.action",
        "events e JOIN scenarios s ON s.id = e.aggregate_id \
         WHERE s.region_code IN ('140703', '140728') AND e.action IN ('COUNTY_APPROVE', 'APPROVE')",
    )
    .await;
    let (city, county) = (approvals[0].clone(), approvals[1].clone());
    assert_eq!(
        (city.0.as_str(), county.0.as_str()),
        ("APPROVE", "COUNTY_APPROVE")
    );
    assert!(city.1 > 0, "{approvals:?}");
    assert_eq!(
        county.1,
        city.1 + 1,
        "a county approval before each city approval, and one waiting for the city"
    );
    // A proposal adopted by 平遥县's county manager into a scenario of 平遥县人民政府, crediting
    // its proposer; one waiting at 榆次区人民政府.
    assert_eq!(
        counts_by(&app, "status", "scenario_proposals").await,
        pairs(&[("ADOPTED", 1), ("OPEN", 1)])
    );
    let (title, unit, description, adopter): (String, String, String, String) = sqlx::query_as(
        "SELECT s.title, o.name, s.description, u.display_name FROM scenario_proposals p \
         JOIN scenarios s ON s.id = p.scenario_id JOIN organizations o ON o.id = s.org_id \
         JOIN users u ON u.id = p.decided_by",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(title, "平遥古城游客流量智能预警与分流场景");
    assert_eq!(unit, "平遥县人民政府");
    assert!(
        description.contains("平遥古城数字文化有限公司"),
        "{description}"
    );
    assert_eq!(adopter, "平遥县场景经理人");
    assert_eq!(
        counts_by(&app, "status", "capabilities").await,
        pairs(&[
            ("DRAFT", 15),
            ("PENDING_REVIEW", 11),
            ("CHANGES_REQUESTED", 10),
            ("LISTED", 72),
            ("FEATURED", 21),
            ("ARCHIVED", 4),
        ])
    );
    assert_eq!(
        counts_by(&app, "origin || ' ' || status", "matches").await,
        pairs(&[
            ("APPLICATION PROPOSED", 3),
            ("APPLICATION APPROVED", 3),
            ("APPLICATION SELECTED", 2),
            ("APPLICATION LANDED", 3),
            ("APPLICATION NOT_SELECTED", 5),
            ("EVENT APPROVED", 1),
        ])
    );
    assert_eq!(
        counts_by(&app, "status", "matchmaking_events").await,
        pairs(&[("OPEN", 1), ("HELD", 1)])
    );
    assert_eq!(
        counts_by(&app, "status", "event_registrations").await,
        pairs(&[("ACCEPTED", 4), ("PENDING", 1)])
    );

    // What the public reads: the live lists and both editions.
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
    assert_eq!(
        data["opportunityList"]["totalCount"],
        18 + 4,
        "PUBLISHED and MATCHING"
    );
    let code = data["opportunityList"]["edges"][0]["node"]["code"]
        .as_str()
        .unwrap();
    assert!(code.starts_with("JZ-JH-"), "{code}");
    assert_eq!(
        data["capabilityList"]["totalCount"],
        72 + 21,
        "LISTED and FEATURED"
    );
    assert_eq!(data["organizations"]["totalCount"], 20);
    let mut editions: Vec<(String, String, i64, i64)> = data["editions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let e = &e["node"];
            (
                e["title"].as_str().unwrap().to_owned(),
                e["status"].as_str().unwrap().to_owned(),
                e["items"]["totalCount"].as_i64().unwrap(),
                e["items"]["edges"][0]["node"]["seq"].as_i64().unwrap(),
            )
        })
        .collect();
    editions.sort();
    assert_eq!(
        editions,
        [
            (
                "晋中市2026年第一批场景机会清单".to_owned(),
                "PUBLISHED".to_owned(),
                18,
                1
            ),
            (
                "晋中市2026年第一批能力清单（晋中优秀方案）".to_owned(),
                "PUBLISHED".to_owned(),
                40,
                1
            ),
        ]
    );

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

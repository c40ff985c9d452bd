//! The synthetic city of the load benchmark (`seed --synthetic`): every stage of the lifecycle,
//! readable through the API as the service's own rows are, its accounts able to sign in.

use serde_json::json;

use crate::db_test;
use crate::fixtures::LOGIN;
use twolists::synthetic::{self, Size};

const PAGE: &str = "{ opportunityList(first: 20) { totalCount edges { node { code title publishingUnit { name } industries { code } timeline { action } } } } }";
const ONE: &str = "query($code: String!) { scenario(code: $code) { status timeline { action toStatus } outcome { summary deliveredBy { capability { code } organization { name } } } } }";

db_test!(the_synthetic_city_is_a_city_the_service_reads, |app| {
    let size = Size {
        scenarios: 100,
        capabilities: 100,
    };
    let seeded = synthetic::load(&app.state.db, &app.state.taxonomy, size)
        .await
        .unwrap()
        .expect("an empty database takes the city");
    // Of every hundred scenarios (src/synthetic.rs): 10 drafts, 60 published, 12 matching, 8
    // implementing, 6 landed, 2 promoted, 2 closed; two matches for each from matching on.
    assert_eq!(seeded.scenarios, 100);
    assert_eq!(seeded.capabilities, 100);
    assert_eq!(seeded.matches, (12 + 8 + 6 + 2) * 2);
    assert_eq!(app.count("scenarios WHERE status = 'LANDED'").await, 6);
    // Live: both of a matching scenario, the selected or landed one of the others.
    assert_eq!(app.count("matches WHERE live = 1").await, 12 * 2 + 8 + 8);
    assert!(
        synthetic::load(&app.state.db, &app.state.taxonomy, size)
            .await
            .unwrap()
            .is_none(),
        "a city goes only into an empty database"
    );

    app.state.index.reload().await.unwrap();
    let page = app.gql(PAGE, json!({})).await;
    assert!(page.get("errors").is_none(), "{page}");
    assert_eq!(page["data"]["opportunityList"]["totalCount"], 60 + 12);
    let first = &page["data"]["opportunityList"]["edges"][0]["node"];
    assert!(first["publishingUnit"]["name"].is_string(), "{first}");
    assert!(!first["industries"].as_array().unwrap().is_empty());

    // A landed scenario carries its timeline and outcome.
    let code: String = sqlx::query_scalar(
        "SELECT code FROM scenarios WHERE status = 'LANDED' ORDER BY code LIMIT 1",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let landed = app.gql(ONE, json!({ "code": code })).await;
    let scenario = &landed["data"]["scenario"];
    assert_eq!(scenario["status"], "LANDED", "{landed}");
    let steps: Vec<&str> = scenario["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // The public sees the stages from publication on (README, Who sees what).
    assert_eq!(
        steps,
        [
            "APPROVE",
            "START_MATCHING",
            "SELECT_PARTNER",
            "RECORD_OUTCOME"
        ]
    );
    let recorded: Vec<String> = sqlx::query_scalar(
        "SELECT e.action FROM events e JOIN scenarios s ON s.id = e.aggregate_id \
         WHERE s.code = $1 ORDER BY e.at, e.id",
    )
    .bind(&code)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(
        recorded,
        [
            "CREATE",
            "PLAN",
            "SUBMIT",
            "APPROVE",
            "START_MATCHING",
            "SELECT_PARTNER",
            "RECORD_OUTCOME"
        ]
    );
    let delivered = &scenario["outcome"]["deliveredBy"];
    assert!(
        delivered["capability"]["code"]
            .as_str()
            .unwrap()
            .starts_with("JZ-NL-2026-")
    );
    assert!(delivered["organization"]["name"].is_string());

    // Its accounts sign in with the README's password, and a new approval takes the next code.
    for email in [synthetic::ADMIN, "u0@synthetic.jzcx.cn"] {
        let login = app
            .gql(
                LOGIN,
                json!({ "email": email, "password": synthetic::PASSWORD }),
            )
            .await;
        assert!(login["data"]["login"]["accessToken"].is_string(), "{login}");
    }
    let counter: i64 =
        sqlx::query_scalar("SELECT last FROM code_counters WHERE prefix = 'JZ-JH' AND year = 2026")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(counter, 90, "every scenario past review has a code");
});

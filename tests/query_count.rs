//! A page of items costs a fixed number of queries, however many items it holds: nested
//! organizations, actors and timelines load through per-request loaders.
//!
//! Its own test binary, because it counts every statement sqlx runs in the process.

#[path = "api/util.rs"]
#[allow(dead_code, unused_imports)]
mod util;

#[path = "api/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use tracing_subscriber::layer::SubscriberExt as _;

use fixtures::{act, create_scenario, review, scenario_input};
use util::{Backend, TestApp, TestUser};

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);
/// The text of every statement counted, in order.
static TEXTS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct CountStatements;

/// The statement text of a `sqlx::query` event.
#[derive(Default)]
struct Statement(String);

impl tracing::field::Visit for Statement {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "db.statement" {
            self.0 = value.to_owned();
        }
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "db.statement" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountStatements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut statement = Statement::default();
        event.record(&mut statement);
        let text = statement
            .0
            .trim_matches(|c: char| c.is_whitespace() || c == '"');
        let text = text.trim_start_matches("\\n").trim();
        // Opening a pool connection runs set-up statements of its own (SQLite's PRAGMAs); they
        // are the pool's, not the page's, and come whenever the pool decides to open one.
        if text.is_empty() || text.to_ascii_uppercase().starts_with("PRAGMA") {
            return;
        }
        STATEMENTS.fetch_add(1, Ordering::SeqCst);
        TEXTS.lock().unwrap().push(text.to_owned());
        if std::env::var_os("SHOW_SQL").is_some() {
            eprintln!("SQL {text}");
        }
    }
}

const PAGE: &str = r#"
query($first: Int) {
  opportunityList(first: $first) {
    totalCount
    edges { node {
      title region { name } industries { name parent { name } }
      publishingUnit { name region { name } }
      timeline { action actor { displayName organization { name } } }
    } }
  }
}"#;

const ONE: &str = r#"
query($code: String!) {
  scenario(code: $code) {
    title industries { name } publishingUnit { name region { name } }
    timeline { action actor { displayName organization { name } } }
  }
}"#;

/// A page with the long texts, through an alias and through a fragment (the item lists read a
/// description only when the document selects it).
const DESCRIBED: [&str; 3] = [
    "query($first: Int) { opportunityList(first: $first) { edges { node { text: description } } } }",
    "query($first: Int) { opportunityList(first: $first) { edges { node { ...Long } } } }
     fragment Long on Scenario { text: description }",
    "query($first: Int) { opportunityList(first: $first) { nodes { ... on Scenario { text: description } } } }",
];
const UNDESCRIBED: &str =
    "query($first: Int) { opportunityList(first: $first) { edges { node { text: title } } } }";

/// The `text` of each item of a page of `first` read with `doc`, and the statements it cost.
async fn texts_and_statements(
    app: &TestApp,
    viewer: &TestUser,
    doc: &str,
    first: i32,
) -> (Vec<String>, Vec<String>) {
    let before = TEXTS.lock().unwrap().len();
    let response = app.gql_as(viewer, doc, json!({ "first": first })).await;
    assert!(response.get("errors").is_none(), "{response}");
    let list = &response["data"]["opportunityList"];
    let items: Vec<String> = match list.get("nodes") {
        Some(nodes) => nodes.as_array().unwrap().clone(),
        None => list["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .collect::<Vec<_>>(),
    }
    .iter()
    .map(|item| item["text"].as_str().expect("a text").to_owned())
    .collect();
    assert_eq!(items.len(), first as usize);
    (items, TEXTS.lock().unwrap()[before..].to_vec())
}

/// The statements one scenario by code costs, read by `viewer`.
async fn statements_for_one(app: &TestApp, viewer: &TestUser, code: &str) -> usize {
    let before = STATEMENTS.load(Ordering::SeqCst);
    let response = app.gql_as(viewer, ONE, json!({ "code": code })).await;
    assert!(response.get("errors").is_none(), "{response}");
    assert!(response["data"]["scenario"]["publishingUnit"]["name"].is_string());
    STATEMENTS.load(Ordering::SeqCst) - before
}

/// The statements one page costs, read by `viewer` (an admin, who sees every timeline entry with
/// its actor).
async fn statements_for_page(app: &TestApp, viewer: &TestUser, first: i32) -> usize {
    statements_for(app, viewer, PAGE, first).await
}

async fn statements_for(app: &TestApp, viewer: &TestUser, page: &str, first: i32) -> usize {
    let before = STATEMENTS.load(Ordering::SeqCst);
    let response = app.gql_as(viewer, page, json!({ "first": first })).await;
    assert!(response.get("errors").is_none(), "{response}");
    let edges = response["data"]["opportunityList"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(edges.len(), first as usize);
    STATEMENTS.load(Ordering::SeqCst) - before
}

async fn check(backend: Backend) {
    let app = TestApp::new(backend).await;
    let admin = app.admin().await;
    let units = [
        app.gov_user().await,
        app.gov_user().await,
        app.gov_user().await,
    ];
    let mut code = String::new();
    for i in 0..50 {
        let owner = &units[i % units.len()];
        let scenario = create_scenario(&app, owner, scenario_input()).await;
        act(&app, owner, &scenario["id"], "PLAN").await;
        act(&app, owner, &scenario["id"], "SUBMIT").await;
        let published = review(&app, &admin, &scenario["id"], "APPROVE", None).await;
        code = published["code"]
            .as_str()
            .expect("a public code")
            .to_owned();
    }
    // The queries wait for no timer: however slowly a page resolves, each level is one batch.
    let reader = &app;
    // A first read opens the connections a page needs; opening one runs statements of its own.
    statements_for_page(reader, &admin, 50).await;
    let small = statements_for_page(reader, &admin, 5).await;
    let full = statements_for_page(reader, &admin, 50).await;
    assert_eq!(small, full, "a page of 50 costs what a page of 5 costs");
    // the viewer's standing + count + page + organizations + timelines + actors + the actors'
    // organizations
    assert_eq!(full, 7, "statements for one page");
    // Without totalCount, nothing is counted.
    let uncounted = PAGE.replace("    totalCount\n", "");
    assert!(!uncounted.contains("totalCount"));
    assert_eq!(
        statements_for(reader, &admin, &uncounted, 50).await,
        6,
        "statements for one page without its total"
    );
    // The description: read with the page when selected (no second query), left out otherwise.
    let description = scenario_input()["description"].as_str().unwrap().to_owned();
    let title = scenario_input()["title"].as_str().unwrap().to_owned();
    for doc in DESCRIBED {
        let (texts, statements) = texts_and_statements(reader, &admin, doc, 20).await;
        assert_eq!(texts, vec![description.clone(); 20], "{doc}");
        // the viewer's standing + the page
        assert_eq!(statements.len(), 2, "{doc}: {statements:#?}");
        assert!(statements[1].contains("description"), "{}", statements[1]);
    }
    let (texts, statements) = texts_and_statements(reader, &admin, UNDESCRIBED, 20).await;
    assert_eq!(texts, vec![title; 20]);
    assert_eq!(statements.len(), 2, "{statements:#?}");
    assert!(
        statements[1].contains("FROM scenarios"),
        "{}",
        statements[1]
    );
    assert!(!statements[1].contains("description"), "{}", statements[1]);
    // the viewer's standing + the scenario + its unit and its timeline (together) + the actors
    // + the organizations of those not in the unit (the admin's; the unit's is loaded already)
    assert_eq!(
        statements_for_one(reader, &admin, &code).await,
        6,
        "statements for one scenario"
    );
    check_pages(reader, &code).await;
}

/// The statements a public page costs.
async fn statements_for_path(app: &TestApp, path: &str) -> usize {
    let before = STATEMENTS.load(Ordering::SeqCst);
    let (status, body) = app.get(path).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{path}: {body}");
    STATEMENTS.load(Ordering::SeqCst) - before
}

/// The public pages over the 50 scenarios: each a fixed number of statements, however many items
/// it shows.
async fn check_pages(app: &TestApp, code: &str) {
    // A first read opens the connections the pages need.
    statements_for_path(app, "/opportunities").await;
    assert_eq!(
        statements_for_path(app, "/opportunities").await,
        statements_for_path(app, "/opportunities?page=3").await,
        "a page of 20 costs what a page of 10 costs"
    );
    let detail = format!("/opportunities/{code}");
    // A list: its page + its total + the units of its items (none when it is empty, as the
    // capabilities and cases are here); free text: the hits checked against the filter + their rows
    // + the units; a scenario: its row, unit, timeline and the rows of similar ones; the events:
    // their page and total; the sitemap: a page of each list and of the events, with totals.
    let expected = [
        ("/opportunities", 3),
        ("/opportunities?q=%E5%B7%A1%E6%A3%80&industry=MT", 3),
        ("/capabilities", 2),
        (detail.as_str(), 4),
        ("/cases", 2),
        ("/editions", 2),
        ("/feeds/opportunities.atom", 3),
        ("/open-data/opportunities.json", 3),
        ("/events", 2),
        ("/sitemap.xml", 8),
    ];
    let mut measured = Vec::new();
    for (path, _) in &expected {
        measured.push((*path, statements_for_path(app, path).await));
    }
    assert_eq!(measured, expected.to_vec(), "statements per public page");
    // Home and statistics read the figures: more statements, but as many for 50 items as for 5.
    let home = statements_for_path(app, "/").await;
    let stats = statements_for_path(app, "/stats").await;
    assert!(home <= 30 && stats <= 25, "home {home}, stats {stats}");
}

/// The statement counter is the process's: one backend at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run(backend: Backend) {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    static SUBSCRIBER: std::sync::Once = std::sync::Once::new();
    SUBSCRIBER.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(CountStatements);
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(check(backend));
}

#[test]
fn a_page_of_fifty_costs_a_fixed_number_of_queries_sqlite() {
    run(Backend::Sqlite);
}

#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL variant: build and run with TEST_DATABASE_URL set"
)]
fn a_page_of_fifty_costs_a_fixed_number_of_queries_postgres() {
    run(Backend::Postgres);
}

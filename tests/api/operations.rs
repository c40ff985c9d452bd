//! What the people who run the service read (README, "Operations"): the request id on every
//! response, and the metrics at `/metrics`.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use tower::ServiceExt as _;

use crate::fixtures::{capability_input, listed_capability, scenario_in};
use crate::util::TestApp;
use crate::{backend_test, db_test};

/// The samples of a Prometheus text exposition: series (name and labels, as written) → value.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample is `series value`");
            (series.to_owned(), value.parse().expect("a numeric value"))
        })
        .collect()
}

/// `GET /metrics`, with a bearer token if given: status, content type and body.
async fn read_metrics(app: &TestApp, token: Option<&str>) -> (StatusCode, String, String) {
    let mut request = Request::get("/metrics");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app
        .router()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

db_test!(
    metrics_count_requests_by_operation_and_errors_by_code,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        // Listing a capability re-reads it into the matching index: one refresh at least.
        let enterprise = app.enterprise_user().await;
        listed_capability(&app, &enterprise, &admin, capability_input()).await;

        const NEWEST: &str = "query Newest { opportunityList(first: 1) { totalCount } }";
        for _ in 0..2 {
            let (status, body) = app.post_graphql(None, NEWEST, json!({})).await;
            assert_eq!(status, 200);
            assert_eq!(body["data"]["opportunityList"]["totalCount"], 1, "{body}");
        }
        // Two operations in one document: the one the request names is counted.
        let body = json!({
            "query": "query Unused { __typename } query Named { __typename }",
            "operationName": "Named",
        });
        let (status, body) = app
            .request(
                Request::post("/graphql")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap(),
            )
            .await;
        assert_eq!(status, 200);
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["data"]["__typename"], "QueryRoot", "{body}");
        // A document naming a field that does not exist: a BAD_REQUEST error.
        let (_, bad) = app
            .post_graphql(None, "query Broken { noSuchField }", json!({}))
            .await;
        assert_eq!(
            bad["errors"][0]["extensions"]["code"], "BAD_REQUEST",
            "{bad}"
        );

        let (status, content_type, text) = read_metrics(&app, None).await;
        assert_eq!(status, 200);
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        let samples = samples(&text);
        let value = |series: &str| {
            *samples
                .get(series)
                .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
        };
        assert_eq!(
            value(r#"twolists_graphql_requests_total{operation="Newest"}"#),
            2.0
        );
        assert_eq!(
            value(r#"twolists_graphql_request_duration_seconds_count{operation="Newest"}"#),
            2.0
        );
        assert_eq!(
            value(
                r#"twolists_graphql_request_duration_seconds_bucket{operation="Newest",le="+Inf"}"#
            ),
            2.0
        );
        assert_eq!(
            value(r#"twolists_graphql_requests_total{operation="Named"}"#),
            1.0
        );
        assert!(!samples.keys().any(|series| series.contains("Unused")));
        // A document that fails validation runs no operation: its request counts as anonymous
        // (as the unnamed documents of the fixtures do), its error by code.
        assert!(!samples.keys().any(|series| series.contains("Broken")));
        assert!(value(r#"twolists_graphql_requests_total{operation="anonymous"}"#) >= 1.0);
        assert_eq!(
            value(r#"twolists_graphql_errors_total{code="BAD_REQUEST"}"#),
            1.0
        );
        assert!(value(r#"twolists_http_responses_total{status="200"}"#) >= 4.0);

        // The gauges are what the database, the outbox and the index hold now.
        let pending = app.count("email_outbox WHERE status = 'PENDING'").await;
        assert!(pending > 0, "registering wrote verification e-mails");
        assert_eq!(
            value(r#"twolists_mail_outbox{status="pending"}"#),
            pending as f64
        );
        assert_eq!(value(r#"twolists_mail_outbox{status="failed"}"#), 0.0);
        assert!(value("twolists_mail_outbox_oldest_pending_seconds") >= 0.0);
        assert!(value(r#"twolists_index_items{kind="scenario"}"#) >= 1.0);
        assert!(value(r#"twolists_index_items{kind="capability"}"#) >= 1.0);
        assert!(value("twolists_index_refresh_seconds_count") >= 1.0);
        assert!(value("twolists_index_rebuilt_timestamp_seconds") > 1.7e9);
        assert!(value(r#"twolists_db_connections_max{pool="pool"}"#) >= 1.0);
        assert!(value(r#"twolists_db_connections_max{pool="reads"}"#) >= 1.0);
        assert!(samples.contains_key(r#"twolists_db_connections{pool="pool",state="idle"}"#));
        assert_eq!(value("twolists_live_subscriptions"), 0.0);
        assert!(value("twolists_process_resident_memory_bytes") > 1e6);
    }
);

backend_test!(metrics_with_a_token_answer_only_its_bearer, |backend| {
    let app = TestApp::configured(backend, |config| {
        config.metrics_token = Some("Jinzhong-Metrics-Token-2026".into());
    })
    .await;
    for token in [None, Some("wrong"), Some("Jinzhong-Metrics-Token-2026x")] {
        let (status, _, body) = read_metrics(&app, token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert!(body.contains("需要指标令牌"), "{body}");
        assert!(!body.contains("twolists_"), "{body}");
    }
    let (status, _, body) = read_metrics(&app, Some("Jinzhong-Metrics-Token-2026")).await;
    assert_eq!(status, 200);
    assert!(body.contains("twolists_http_responses_total"), "{body}");
});

db_test!(every_response_carries_a_request_id, |app| {
    let request_id = |sent: Option<&str>, path: &str| {
        let mut request = Request::get(path);
        if let Some(id) = sent {
            request = request.header("x-request-id", id);
        }
        let router = app.router();
        async move {
            let response = router
                .oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap();
            response
                .headers()
                .get("x-request-id")
                .expect("every response names its request")
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    // A usable id from the client (or its proxy) comes back as it was sent.
    assert_eq!(
        request_id(Some("edge-7f3a:42"), "/healthz").await,
        "edge-7f3a:42"
    );
    assert_eq!(request_id(Some("req-1"), "/no-such-page").await, "req-1");
    // None, or one unfit for a log line, is replaced by a fresh UUID.
    let generated = request_id(None, "/healthz").await;
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");
    assert_ne!(generated, request_id(None, "/healthz").await);
    let too_long = "a".repeat(65);
    let replaced = request_id(Some(&too_long), "/healthz").await;
    assert!(uuid::Uuid::parse_str(&replaced).is_ok(), "{replaced}");
    let replaced = request_id(Some("two words"), "/healthz").await;
    assert!(uuid::Uuid::parse_str(&replaced).is_ok(), "{replaced}");
});

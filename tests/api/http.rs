use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use tower::ServiceExt as _;

use crate::util::{TestApp, error_code};
use crate::{backend_test, db_test};

/// The introspection query GraphiQL and most clients send (graphql-js `getIntrospectionQuery`).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}"#;

db_test!(health_and_readiness, |app| {
    assert_eq!(
        app.get("/healthz").await,
        (axum::http::StatusCode::OK, "ok".into())
    );
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({ "status": "ready", "liveSubscriptions": 0 })
    );
});

db_test!(readiness_fails_when_a_migration_is_missing, |app| {
    sqlx::query("DELETE FROM _sqlx_migrations")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, 503);
    assert!(body.contains("migrations pending"), "{body}");
});

// GraphiQL loads nothing from the internet: every script and style comes from the binary, and
// subscriptions go to the service's own WebSocket.
db_test!(graphiql_is_served_whole_from_the_binary, |app| {
    let (status, page) = app.get("/graphql").await;
    assert_eq!(status, 200);
    assert!(page.contains("GraphiQL.createFetcher"), "GraphiQL page");
    assert!(page.contains("subscriptionUrl: address('/graphql/ws', true)"));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing from another site: {page}"
    );
    let assets: Vec<&str> = page
        .split(['"', '\''])
        .filter(|part| part.starts_with("/graphiql/"))
        .collect();
    assert_eq!(assets.len(), 4, "{assets:?}");
    for asset in assets {
        let request = Request::get(asset).body(Body::empty()).unwrap();
        let response = app.router().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        let expected = if asset.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(
            content_type.starts_with(expected),
            "{asset}: {content_type}"
        );
        let (_, body) = app
            .request(Request::get(asset).body(Body::empty()).unwrap())
            .await;
        assert!(body.len() > 10_000, "{asset} is the real file");
        assert!(
            !String::from_utf8_lossy(&body).contains("unpkg.com"),
            "{asset} loads nothing else"
        );
    }
    let (missing, _) = app.get("/graphiql/0.0.0/graphiql.min.js").await;
    assert_eq!(missing, 404);
});

db_test!(malformed_and_oversized_bodies_are_refused, |app| {
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from("{ not json"))
        .unwrap();
    let (status, body) = app.request(request).await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error_code(&body), Some("BAD_REQUEST"));

    let huge =
        json!({ "query": format!("{{ regions {{ code }} }} #{}", "x".repeat(2 * 1024 * 1024)) });
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(huge.to_string()))
        .unwrap();
    let (status, _) = app.request(request).await;
    assert_eq!(status, 413);
});

db_test!(deep_queries_are_refused_and_introspection_is_not, |app| {
    // industries → parent → parent → … → code, `depth` fields deep in all.
    let nested = |depth: usize| {
        let mut query = String::from("code");
        for _ in 0..depth - 2 {
            query = format!("parent {{ {query} }}");
        }
        format!("{{ industries {{ {query} }} }}")
    };
    let allowed = app.gql(&nested(14), json!({})).await;
    assert!(allowed.get("errors").is_none(), "{allowed}");
    let deep = app.try_gql(&nested(15), json!({})).await;
    assert!(deep["data"].is_null(), "{deep}");
    assert_eq!(error_code(&deep), Some("BAD_REQUEST"));
    assert!(
        deep["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("嵌套层数过深"),
        "{deep}"
    );

    let invalid = app.try_gql("{ regions { noSuchField } }", json!({})).await;
    assert_eq!(error_code(&invalid), Some("BAD_REQUEST"));
    assert!(
        invalid["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("请求无效")
    );

    // Lists nested in lists multiply: children of children of … is refused as too complex long
    // before its answer would grow large.
    let fan_out =
        "{ industries { children { parent { children { parent { children { code } } } } } } }";
    let complex = app.try_gql(fan_out, json!({})).await;
    assert_eq!(error_code(&complex), Some("BAD_REQUEST"), "{complex}");
    assert!(
        complex["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("过于复杂")
    );

    let introspection = app.gql(INTROSPECTION, json!({})).await;
    assert!(introspection.get("errors").is_none(), "{introspection}");
    assert_eq!(
        introspection["data"]["__schema"]["queryType"]["name"],
        "QueryRoot"
    );
});

db_test!(internal_errors_do_not_reach_the_client, |app| {
    sqlx::query("DROP TABLE refresh_tokens")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let response = app
        .try_gql(
            "mutation { logout(input: { refreshToken: \"x\" }) { ok } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&response), Some("INTERNAL"));
    let text = response.to_string();
    assert!(text.contains("服务器内部错误"), "{text}");
    assert!(!text.to_lowercase().contains("refresh_tokens"), "{text}");
    assert!(!text.to_lowercase().contains("relation"), "{text}");
    assert!(!text.to_lowercase().contains("table"), "{text}");
});

backend_test!(browsers_on_allowed_origins_may_call_the_api, |backend| {
    let origin = "https://portal.jzcx.cn";
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/graphql")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .body(Body::empty())
            .unwrap()
    };
    let allowed = |response: &axum::http::Response<Body>| {
        response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned())
    };

    // By default no other site may call it.
    let closed = TestApp::new(backend).await;
    let response = closed.router().oneshot(preflight(origin)).await.unwrap();
    assert_eq!(allowed(&response), None);

    let open = TestApp::configured(backend, |config| {
        config.cors_origins = vec![origin.to_owned()];
    })
    .await;
    let response = open.router().oneshot(preflight(origin)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(allowed(&response).as_deref(), Some(origin));
    let methods = response.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");
    let headers = response.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(headers.contains("authorization"), "{headers}");
    let other = open
        .router()
        .oneshot(preflight("https://evil.example.com"))
        .await
        .unwrap();
    assert_eq!(allowed(&other), None, "only the listed origins");

    // The actual request carries the header too.
    let request = Request::post("/graphql")
        .header("origin", origin)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"query":"{ regions { code } }"}"#))
        .unwrap();
    let response = open.router().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(allowed(&response).as_deref(), Some(origin));
});

#[tokio::test]
async fn a_cors_origin_that_is_not_an_origin_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = twolists::Config::new(dir.path());
    config.cors_origins = vec!["portal.jzcx.cn".to_owned()];
    let refused = twolists::AppState::start(&config).await;
    let message = format!("{:#}", refused.err().expect("refused"));
    assert!(message.contains("portal.jzcx.cn"), "{message}");
    assert!(
        !dir.path().join("twolists.db").exists(),
        "refused before touching the database"
    );
}

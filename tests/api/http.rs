use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use crate::db_test;
use crate::util::error_code;

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

db_test!(graphiql_is_served_on_get, |app| {
    let (status, body) = app.get("/graphql").await;
    assert_eq!(status, 200);
    assert!(body.contains("graphiql"), "GraphiQL page");
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

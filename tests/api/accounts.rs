use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::{LOGIN, ME_WITH_ORGANIZATION, REFRESH, REGISTER};
use crate::util::{PASSWORD, TestApp, credit_code, error_code, payload_codes, unique};

const LOGOUT: &str = r#"
mutation Logout($token: String!) { logout(input: { refreshToken: $token }) { ok errors { code } } }"#;

const ME: &str = r#"
query { me { id email displayName role organization { id name kind status creditCode region { code name } } } }"#;

const CHANGE_PASSWORD: &str = r#"
mutation Change($current: String!, $new: String!) {
  changePassword(input: { currentPassword: $current, newPassword: $new }) {
    user { id } errors { field code message }
  }
}"#;

/// A refused registration: the expected code, the changes to a valid input (JSON pointer → value),
/// and the field the error names.
type Case<'a> = (&'a str, &'a [(&'a str, Value)], &'a [&'a str]);

fn enterprise_input(email: &str) -> Value {
    json!({
        "email": email,
        "password": PASSWORD,
        "displayName": "王晓明",
        "organization": {
            "name": format!("山西榆次智造科技有限公司{}", unique()),
            "kind": "ENTERPRISE",
            "creditCode": credit_code(),
            "regionCode": "140702",
        }
    })
}

/// Registers (or is refused, having written nothing); the payload.
async fn register(app: &TestApp, input: Value) -> Value {
    app.try_gql(REGISTER, json!({ "input": input })).await["data"]["register"].clone()
}

/// Registers, which must be accepted, signs in and reads `me`: the new user.
async fn registered_user(app: &TestApp, input: Value) -> Value {
    let payload = register(app, input.clone()).await;
    assert_eq!(payload["errors"], json!([]), "{payload}");
    assert_eq!(payload["ok"], true);
    let session = login(app, input["email"].as_str().unwrap(), PASSWORD).await;
    let token = session["accessToken"].as_str().unwrap();
    let (_, me) = app
        .post_graphql(Some(token), ME_WITH_ORGANIZATION, json!({}))
        .await;
    me["data"]["me"].clone()
}

/// Signs in (or is refused, having written nothing); the payload.
async fn login(app: &TestApp, email: &str, password: &str) -> Value {
    app.try_gql(LOGIN, json!({ "email": email, "password": password }))
        .await["data"]["login"]
        .clone()
}

db_test!(
    registering_an_enterprise_creates_a_pending_organization,
    |app| {
        let email = format!("wang{}@yuci-zz.cn", unique());
        let mut input = enterprise_input(&email);
        input["organization"]["creditCode"] = json!("91350100m000100y43");
        let user = &registered_user(&app, input).await;
        assert_eq!(user["email"], json!(email));
        assert_eq!(user["role"], "ENTERPRISE");
        assert_eq!(user["organization"]["status"], "PENDING");
        assert_eq!(user["organization"]["kind"], "ENTERPRISE");
        assert_eq!(user["organization"]["creditCode"], "91350100M000100Y43");
        assert_eq!(user["organization"]["region"]["name"], "榆次区");
        assert_eq!(app.count("users").await, 1);
        assert_eq!(
            app.count("events WHERE action = 'REGISTER'").await,
            1,
            "the registration is on record"
        );
    }
);

db_test!(registering_a_government_unit_needs_no_credit_code, |app| {
    let user = registered_user(
        &app,
        json!({
            "email": format!("gxj{}@sxjz.gov.cn", unique()),
            "password": PASSWORD,
            "displayName": "李芳",
            "organization": { "name": "平遥县工业和信息化局", "kind": "GOVERNMENT", "regionCode": "140728" }
        }),
    )
    .await;
    assert_eq!(user["role"], "GOVERNMENT");
    assert_eq!(user["organization"]["creditCode"], Value::Null);
});

// Each invalid field gives its own code on its own path, and nothing is written.
db_test!(registration_validation_errors_write_nothing, |app| {
    let cases: [Case; 10] = [
        ("INVALID", &[("/email", json!("not-an-email"))], &["email"]),
        ("REQUIRED", &[("/email", json!("  "))], &["email"]),
        (
            "PASSWORD_TOO_WEAK",
            &[("/password", json!("short"))],
            &["password"],
        ),
        (
            "PASSWORD_TOO_WEAK",
            &[("/password", json!("1234567890"))],
            &["password"],
        ),
        (
            "INVALID_CREDIT_CODE",
            &[("/organization/creditCode", json!("91350100M000100Y44"))],
            &["organization", "creditCode"],
        ),
        (
            "REQUIRED",
            &[
                ("/organization/kind", json!("RESEARCH")),
                ("/organization/creditCode", Value::Null),
            ],
            &["organization", "creditCode"],
        ),
        (
            "UNKNOWN_REGION",
            &[("/organization/regionCode", json!("110000"))],
            &["organization", "regionCode"],
        ),
        (
            "INVALID",
            &[("/organization/kind", json!("OPERATOR"))],
            &["organization", "kind"],
        ),
        ("REQUIRED", &[("/displayName", json!(""))], &["displayName"]),
        (
            "TOO_LONG",
            &[("/organization/name", json!("晋".repeat(101)))],
            &["organization", "name"],
        ),
    ];
    for (code, changes, field) in cases {
        let mut input = enterprise_input(&format!("v{}@example.cn", unique()));
        for (pointer, value) in changes {
            *input.pointer_mut(pointer).unwrap() = value.clone();
        }
        let payload = register(&app, input.clone()).await;
        assert_eq!(payload["ok"], false, "{input}");
        let errors = payload["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{input}: {errors:?}");
        assert_eq!(errors[0]["code"], code, "{input}");
        assert_eq!(errors[0]["field"], json!(field), "{input}");
        assert!(
            !errors[0]["message"].as_str().unwrap().is_ascii(),
            "Chinese message"
        );
    }
    assert_eq!(app.count("users").await, 0);
    assert_eq!(app.count("organizations").await, 0);
    assert_eq!(app.count("events").await, 0);
});

db_test!(several_invalid_fields_are_reported_together, |app| {
    let payload = register(
        &app,
        json!({
            "email": "bad",
            "password": "weak",
            "displayName": "张三",
            "organization": { "name": "某公司", "kind": "ENTERPRISE", "creditCode": "123", "regionCode": "000000" }
        }),
    )
    .await;
    let mut codes = payload_codes(&payload);
    codes.sort();
    assert_eq!(
        codes,
        [
            "INVALID",
            "INVALID_CREDIT_CODE",
            "PASSWORD_TOO_WEAK",
            "UNKNOWN_REGION"
        ]
    );
});

db_test!(
    a_taken_address_is_not_revealed_and_a_taken_credit_code_is_refused,
    |app| {
        let email = format!("dup{}@example.cn", unique());
        let first = enterprise_input(&email);
        assert_eq!(register(&app, first.clone()).await["errors"], json!([]));

        // A taken address gets the answer a new one gets: nothing tells it apart, nothing is
        // created, and the owner of the address hears of the attempt by e-mail.
        let mut same_email = enterprise_input(&email.to_uppercase());
        same_email["organization"]["name"] = json!("另一家公司");
        let fresh = enterprise_input(&format!("fresh{}@example.cn", unique()));
        let taken = register(&app, same_email).await;
        let new = register(&app, fresh).await;
        assert_eq!(taken, new, "the same answer");
        assert_eq!(taken, json!({ "ok": true, "errors": [] }));
        assert_eq!(
            app.count(&format!(
                "email_outbox WHERE kind = 'REGISTRATION_ATTEMPT' AND recipient = '{email}'"
            ))
            .await,
            1
        );
        assert_eq!(
            app.count("organizations WHERE name = '另一家公司'").await,
            0,
            "nothing of the second registration was kept"
        );

        let mut same_code = enterprise_input(&format!("other{}@example.cn", unique()));
        same_code["organization"]["creditCode"] = first["organization"]["creditCode"].clone();
        let payload = register(&app, same_code).await;
        assert_eq!(payload_codes(&payload), ["DUPLICATE"]);
        assert_eq!(
            payload["errors"][0]["field"],
            json!(["organization", "creditCode"])
        );

        assert_eq!(
            app.count("users").await,
            2,
            "the first and the fresh registration, nothing else"
        );
        assert_eq!(app.count("organizations").await, 2);
    }
);

db_test!(login_returns_tokens_that_identify_the_user, |app| {
    let email = format!("login{}@example.cn", unique());
    register(&app, enterprise_input(&email)).await;
    let session = login(&app, &format!("  {}  ", email.to_uppercase()), PASSWORD).await;
    assert_eq!(session["errors"], json!([]));
    assert_eq!(session["user"]["email"], json!(email));
    let token = session["accessToken"].as_str().unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(session["accessTokenExpiresAt"].as_str().unwrap())
            .unwrap();
    let ttl = expires.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(ttl > chrono::Duration::minutes(14) && ttl <= chrono::Duration::minutes(15));

    let (status, me) = app.post_graphql(Some(token), ME, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(me["data"]["me"]["email"], json!(email));
    assert_eq!(me["data"]["me"]["organization"]["status"], "PENDING");
});

db_test!(wrong_email_and_wrong_password_look_the_same, |app| {
    let email = format!("same{}@example.cn", unique());
    register(&app, enterprise_input(&email)).await;
    let wrong_password = login(&app, &email, "Wrong-Password-123").await;
    let unknown_email = login(&app, "nobody@example.cn", PASSWORD).await;
    let malformed_email = login(&app, "nobody", PASSWORD).await;
    assert_eq!(payload_codes(&wrong_password), ["INVALID_CREDENTIALS"]);
    assert_eq!(wrong_password, unknown_email);
    assert_eq!(wrong_password, malformed_email);
    assert_eq!(wrong_password["accessToken"], Value::Null);
    assert_eq!(app.count("refresh_tokens").await, 0);
});

db_test!(me_is_null_without_a_token, |app| {
    let (status, response) = app.post_graphql(None, ME, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(response["data"]["me"], Value::Null);
    assert!(response.get("errors").is_none());
});

db_test!(invalid_or_expired_tokens_are_refused, |app| {
    let user = app.enterprise_user().await;
    let (expired, _) = app.state.jwt.issue(
        &user.id,
        &user.org_id,
        twolists::auth::Role::Enterprise,
        "an-old-session",
        chrono::Utc::now() - chrono::Duration::minutes(16),
    );
    let foreign = twolists::auth::JwtKeys::from_secret(&[9u8; 40])
        .unwrap()
        .issue(
            &user.id,
            &user.org_id,
            twolists::auth::Role::Admin,
            "a-forged-session",
            chrono::Utc::now(),
        )
        .0;
    let mut tampered = user.token.clone();
    tampered.insert(tampered.len() - 3, 'x');
    for token in [
        expired.as_str(),
        foreign.as_str(),
        tampered.as_str(),
        "garbage",
    ] {
        let (status, response) = app.post_graphql(Some(token), ME, json!({})).await;
        assert_eq!(status, 401, "{token}");
        assert_eq!(error_code(&response), Some("UNAUTHENTICATED"));
        assert_eq!(response["data"], Value::Null);
    }
    // A header that is not a bearer token at all.
    let request = axum::http::Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Basic {}", user.token))
        .body(axum::body::Body::from(json!({ "query": ME }).to_string()))
        .unwrap();
    let (status, _) = app.request(request).await;
    assert_eq!(status, 401);
});

db_test!(refresh_rotates_and_reuse_revokes_the_family, |app| {
    let email = format!("r{}@example.cn", unique());
    register(&app, enterprise_input(&email)).await;
    let session = login(&app, &email, PASSWORD).await;
    let first = session["refreshToken"].as_str().unwrap().to_owned();

    let rotated = app.gql(REFRESH, json!({ "token": first })).await;
    let rotated = &rotated["data"]["refreshSession"];
    let second = rotated["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(rotated["user"]["id"], session["user"]["id"]);
    let (status, me) = app
        .post_graphql(rotated["accessToken"].as_str(), ME, json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["data"]["me"]["id"], session["user"]["id"]);

    // The first token again: refused, and the whole family with it. This refusal writes on
    // purpose (it revokes the family), so it is checked by what it wrote.
    let live = "refresh_tokens WHERE revoked_at IS NULL AND used_at IS NULL";
    assert_eq!(app.count(live).await, 1);
    let (_, replay) = app
        .post_graphql(None, REFRESH, json!({ "token": first }))
        .await;
    assert_eq!(error_code(&replay), Some("UNAUTHENTICATED"));
    assert_eq!(app.count(live).await, 0, "the family is revoked");
    let after = app.try_gql(REFRESH, json!({ "token": second })).await;
    assert_eq!(error_code(&after), Some("UNAUTHENTICATED"));

    // A separate sign-in is a separate family and still works.
    let other = login(&app, &email, PASSWORD).await;
    let fresh = app
        .gql(REFRESH, json!({ "token": other["refreshToken"] }))
        .await;
    assert!(
        fresh["data"]["refreshSession"]["accessToken"].is_string(),
        "{fresh}"
    );
});

db_test!(unknown_and_expired_refresh_tokens_are_refused, |app| {
    let unknown = app
        .try_gql(REFRESH, json!({ "token": "never-issued" }))
        .await;
    assert_eq!(error_code(&unknown), Some("UNAUTHENTICATED"));

    let email = format!("x{}@example.cn", unique());
    register(&app, enterprise_input(&email)).await;
    let token = login(&app, &email, PASSWORD).await["refreshToken"].clone();
    sqlx::query("UPDATE refresh_tokens SET expires_at = '2020-01-01T00:00:00.000000Z'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let expired = app.try_gql(REFRESH, json!({ "token": token })).await;
    assert_eq!(error_code(&expired), Some("UNAUTHENTICATED"));
});

db_test!(logout_ends_the_session, |app| {
    let email = format!("out{}@example.cn", unique());
    register(&app, enterprise_input(&email)).await;
    let token = login(&app, &email, PASSWORD).await["refreshToken"].clone();
    let out = app.gql(LOGOUT, json!({ "token": token })).await;
    assert_eq!(out["data"]["logout"]["ok"], true);
    let refreshed = app.try_gql(REFRESH, json!({ "token": token })).await;
    assert_eq!(error_code(&refreshed), Some("UNAUTHENTICATED"));
    // Logging out with a token that never existed says the same.
    let unknown = app.try_gql(LOGOUT, json!({ "token": "nothing" })).await;
    assert_eq!(unknown["data"]["logout"]["ok"], true);
});

db_test!(
    change_password_checks_the_current_one_and_ends_sessions,
    |app| {
        let email = format!("cp{}@example.cn", unique());
        register(&app, enterprise_input(&email)).await;
        let session = login(&app, &email, PASSWORD).await;
        let token = session["accessToken"].as_str().unwrap();
        let new_password = "Pingyao-City-Wall-1370";

        let anonymous = app
            .try_gql(
                CHANGE_PASSWORD,
                json!({ "current": PASSWORD, "new": new_password }),
            )
            .await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));

        let (_, wrong) = app
            .post_graphql(
                Some(token),
                CHANGE_PASSWORD,
                json!({ "current": "Not-My-Password-1", "new": new_password }),
            )
            .await;
        assert_eq!(
            payload_codes(&wrong["data"]["changePassword"]),
            ["INVALID_CREDENTIALS"]
        );
        let (_, weak) = app
            .post_graphql(
                Some(token),
                CHANGE_PASSWORD,
                json!({ "current": PASSWORD, "new": "qwertyuiop" }),
            )
            .await;
        assert_eq!(
            payload_codes(&weak["data"]["changePassword"]),
            ["PASSWORD_TOO_WEAK"]
        );
        assert_eq!(
            login(&app, &email, PASSWORD).await["errors"],
            json!([]),
            "unchanged so far"
        );

        let (_, changed) = app
            .post_graphql(
                Some(token),
                CHANGE_PASSWORD,
                json!({ "current": PASSWORD, "new": new_password }),
            )
            .await;
        assert_eq!(changed["data"]["changePassword"]["errors"], json!([]));
        assert_eq!(
            payload_codes(&login(&app, &email, PASSWORD).await),
            ["INVALID_CREDENTIALS"]
        );
        assert_eq!(login(&app, &email, new_password).await["errors"], json!([]));
        let refreshed = app
            .try_gql(REFRESH, json!({ "token": session["refreshToken"] }))
            .await;
        assert_eq!(
            error_code(&refreshed),
            Some("UNAUTHENTICATED"),
            "old sessions ended"
        );
    }
);

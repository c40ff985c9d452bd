//! The pages e-mails link to: every link in every e-mail leads to a page that answers, and the
//! account pages confirm an address and set a new password with the mutations' rules.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use crate::db_test;
use crate::fixtures::*;
use crate::util::{PASSWORD, TestApp, TestUser, unique};

/// Every link in the e-mails queued so far, as site paths: links are stored against the `{site}`
/// placeholder and resolved when sent. No e-mail may link anywhere else.
async fn links_in_outbox(app: &TestApp) -> Vec<String> {
    let bodies: Vec<(String, String)> =
        sqlx::query_as("SELECT text_body, html_body FROM email_outbox ORDER BY created_at, id")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    let mut links = Vec::new();
    for (text, html) in &bodies {
        for body in [text, html] {
            assert!(
                !body.contains("http://") && !body.contains("https://"),
                "a link off the site: {body}"
            );
            for part in body.split("{site}").skip(1) {
                let path: String = part
                    .chars()
                    .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '<' | '\''))
                    .collect();
                links.push(path.replace("&amp;", "&"));
            }
        }
    }
    links
}

pub(crate) async fn post_form(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let (status, body) = app.request(request).await;
    (status, String::from_utf8(body).unwrap())
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_owned()
}

async fn email_verified(app: &TestApp, user: &TestUser) -> bool {
    let verified: Option<String> =
        sqlx::query_scalar("SELECT email_verified_at FROM users WHERE id = $1")
            .bind(&user.id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    verified.is_some()
}

db_test!(every_link_in_every_email_leads_to_a_page, |app| {
    // Account e-mails and notifications of each part of the journey.
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let scenario = scenario_in(&app, &unit, &admin, "PENDING_REVIEW").await;
    review(
        &app,
        &admin,
        &scenario["id"],
        "REQUEST_CHANGES",
        Some("请补充"),
    )
    .await;
    let published = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
    let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
    let proposed = apply(&app, &enterprise, &published, &capability).await;
    moderate(&app, &admin, &proposed["id"], "APPROVE", None).await;
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(&unit.id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    app.gql(
        "mutation($e: String!) { requestPasswordReset(input: { email: $e }) { ok } }",
        json!({ "e": email }),
    )
    .await;

    let invited = app
        .gql_as(
            &unit,
            INVITE_MEMBER,
            json!({ "email": format!("colleague{}@example.cn", unique()) }),
        )
        .await;
    assert_eq!(
        invited["data"]["inviteMember"]["errors"],
        json!([]),
        "{invited}"
    );

    // The unit's address as it was after registration, before its owner follows the link.
    sqlx::query("UPDATE users SET email_verified_at = NULL WHERE id = $1")
        .bind(&unit.id)
        .execute(app.state.db.pool())
        .await
        .unwrap();

    let links = links_in_outbox(&app).await;
    for page in [
        "/verify-email?token=",
        "/reset-password?token=",
        "/accept-invitation?token=",
    ] {
        assert!(
            links.iter().any(|l| l.starts_with(page)),
            "{page}: {links:?}"
        );
    }
    // A notification about a public item links to its public page.
    let published_page = format!("/opportunities/{}", published["code"].as_str().unwrap());
    assert!(
        links.contains(&published_page),
        "{published_page}: {links:?}"
    );
    let capability_page = format!("/capabilities/{}", capability["code"].as_str().unwrap());
    assert!(
        links.contains(&capability_page),
        "{capability_page}: {links:?}"
    );
    let kinds = app
        .count("email_outbox WHERE kind NOT IN ('EMAIL_VERIFICATION', 'PASSWORD_RESET')")
        .await;
    assert!(kinds >= 4, "notification e-mails were written too");
    for link in &links {
        let (status, body) = app.get(link).await;
        assert_eq!(status, 200, "{link}: {body}");
        assert!(body.contains("<html lang=\"zh-CN\">"), "{link}");
    }
    // Opening the links changed nothing: the tokens still work.
    assert!(!email_verified(&app, &unit).await);
});

db_test!(the_verification_page_confirms_once, |app| {
    let email = format!("page{}@example.cn", unique());
    let registered = app
        .gql(
            REGISTER,
            json!({ "input": {
                "email": email, "password": PASSWORD, "displayName": "王芳",
                "organization": { "name": format!("平遥县文旅局{}", unique()), "kind": "GOVERNMENT",
                    "regionCode": "140728" } } }),
        )
        .await;
    assert_eq!(registered["data"]["register"]["ok"], true, "{registered}");
    let id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let user = TestUser {
        id,
        org_id: String::new(),
        token: String::new(),
    };
    let link = links_in_outbox(&app).await.pop().unwrap();
    let token = token_of(&link);

    let (status, form) = app.get(&link).await;
    assert_eq!(status, 200);
    assert!(form.contains("<form method=\"post\" action=\"/verify-email\">"));
    assert!(form.contains(&format!("value=\"{token}\"")));
    assert!(
        !email_verified(&app, &user).await,
        "opening the link changes nothing"
    );

    let (status, done) = post_form(&app, "/verify-email", &[("token", &token)]).await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("邮箱已验证"));
    assert!(email_verified(&app, &user).await);

    let before = app.snapshot().await;
    let (status, again) = post_form(&app, "/verify-email", &[("token", &token)]).await;
    assert_eq!(status, 400);
    assert!(again.contains("链接无效或已过期，请重新获取"), "{again}");
    app.assert_unchanged(&before).await;

    let (status, incomplete) = app.get("/verify-email").await;
    assert_eq!(status, 200);
    assert!(incomplete.contains("链接不完整"));
});

db_test!(
    the_reset_page_sets_a_new_password_with_the_same_rules,
    |app| {
        let unit = app.gov_user().await;
        let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(&unit.id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        let session = app
            .gql(LOGIN, json!({ "email": email, "password": PASSWORD }))
            .await;
        let refresh = session["data"]["login"]["refreshToken"].clone();
        app.gql(
            "mutation($e: String!) { requestPasswordReset(input: { email: $e }) { ok } }",
            json!({ "e": email }),
        )
        .await;
        let link = links_in_outbox(&app)
            .await
            .into_iter()
            .find(|l| l.starts_with("/reset-password"))
            .unwrap();
        let token = token_of(&link);
        let (status, form) = app.get(&link).await;
        assert_eq!(status, 200);
        assert!(form.contains("name=\"password\"") && form.contains("name=\"confirm\""));

        // Refusals write nothing and leave the link usable.
        let new_password = "Yuci-Old-Town-Gate-1368";
        for (password, confirm, says) in [
            (
                new_password,
                "Something-Else-2026",
                "两次输入的新密码不一致",
            ),
            ("1234567890", "1234567890", "密码过于常见"),
        ] {
            let before = app.snapshot().await;
            let (status, page) = post_form(
                &app,
                "/reset-password",
                &[
                    ("token", &token),
                    ("password", password),
                    ("confirm", confirm),
                ],
            )
            .await;
            assert_eq!(status, 400, "{page}");
            assert!(page.contains(says), "{page}");
            assert!(
                page.contains(&format!("value=\"{token}\"")),
                "the form again"
            );
            app.assert_unchanged(&before).await;
        }

        let (status, done) = post_form(
            &app,
            "/reset-password",
            &[
                ("token", &token),
                ("password", new_password),
                ("confirm", new_password),
            ],
        )
        .await;
        assert_eq!(status, 200, "{done}");
        assert!(done.contains("密码已重置"));
        let new_login = app
            .gql(LOGIN, json!({ "email": email, "password": new_password }))
            .await;
        assert!(new_login["data"]["login"]["accessToken"].is_string());
        let old_session = app.try_gql(REFRESH, json!({ "token": refresh })).await;
        assert_eq!(
            crate::util::error_code(&old_session),
            Some("UNAUTHENTICATED")
        );
        let (status, used) = post_form(
            &app,
            "/reset-password",
            &[
                ("token", &token),
                ("password", "Another-Strong-Pass-2026"),
                ("confirm", "Another-Strong-Pass-2026"),
            ],
        )
        .await;
        assert_eq!(status, 400);
        assert!(used.contains("链接无效或已过期"), "{used}");
    }
);

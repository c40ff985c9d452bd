//! Notifications: who hears of what in the app, e-mail through the outbox to a real SMTP server
//! (on loopback, started by the test), outages and failures, preferences, and account e-mails.

use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{
    Backend, PASSWORD, SmtpServer, TestApp, TestUser, error_code, free_port, payload_codes, unique,
};

pub const NOTIFICATIONS: &str = r#"
query($unread: Boolean, $first: Int) {
  notifications(unreadOnly: $unread, first: $first) {
    totalCount
    edges { node { id kind title body subjectType subjectId read } }
  }
  unreadNotificationCount
}"#;

const MARK_READ: &str = r#"
mutation($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) { markedCount unreadCount errors { field code } }
}"#;

const PREFERENCES: &str = "query { emailPreferences { kind label enabled } }";

const UPDATE_PREFERENCES: &str = r#"
mutation($input: UpdateEmailPreferencesInput!) {
  updateEmailPreferences(input: $input) { preferences { kind enabled } errors { field code } }
}"#;

const APPLY: &str = r#"
mutation($input: ApplyToScenarioInput!) {
  applyToScenario(input: $input) { match { id status } errors { code } }
}"#;

const MODERATE: &str = r#"
mutation($input: ModerateMatchInput!) {
  moderateMatch(input: $input) { match { id status } errors { code } }
}"#;

const RESPOND: &str = r#"
mutation($input: RespondToMatchInput!) {
  respondToMatch(input: $input) { match { id status } errors { code } }
}"#;

const MESSAGE: &str = r#"
mutation($input: PostMatchMessageInput!) {
  postMatchMessage(input: $input) { message { id } errors { code } }
}"#;

const FAILED: &str = r#"
query { failedEmails(first: 10) { totalCount edges { node { id kind recipient subject attempts lastError } } } }"#;

const RETRY: &str = r#"
mutation($input: RetryFailedEmailsInput!) {
  retryFailedEmails(input: $input) { retriedIds errors { field code } }
}"#;

const REGISTER: &str = r#"
mutation($input: RegisterInput!) { register(input: $input) { user { id emailVerified } errors { code } } }"#;

const VERIFY: &str = r#"
mutation($token: String!) { verifyEmail(input: { token: $token }) { user { id emailVerified } errors { field code message } } }"#;

const REQUEST_RESET: &str = r#"
mutation($email: String!) { requestPasswordReset(input: { email: $email }) { ok errors { code } } }"#;

const RESET: &str = r#"
mutation($token: String!, $password: String!) {
  resetPassword(input: { token: $token, newPassword: $password }) { user { id } errors { field code message } }
}"#;

const LOGIN: &str = r#"
mutation($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) { accessToken refreshToken errors { code } }
}"#;

const REFRESH: &str = r#"
mutation($token: String!) { refreshSession(input: { refreshToken: $token }) { accessToken errors { code } } }"#;

/// The kinds of a user's notifications, oldest first.
async fn kinds(app: &TestApp, user: &TestUser) -> Vec<String> {
    let response = app
        .gql_as(user, NOTIFICATIONS, json!({ "first": 100 }))
        .await;
    let mut kinds: Vec<String> = response["data"]["notifications"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.reverse();
    kinds
}

/// (kind, recipient, status) of every e-mail in the outbox, but the registration ones.
async fn outbox(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT kind, recipient, status FROM email_outbox WHERE kind <> 'EMAIL_VERIFICATION' \
         ORDER BY created_at, id",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

async fn email_of(app: &TestApp, user: &TestUser) -> String {
    sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(&user.id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// A scenario waiting for review and the changes an admin asks for, with `reason`.
async fn send_back(app: &TestApp, owner: &TestUser, admin: &TestUser, reason: &str) -> Value {
    let scenario = scenario_in(app, owner, admin, "PENDING_REVIEW").await;
    let response = review(app, admin, &scenario["id"], "REQUEST_CHANGES", Some(reason)).await;
    assert_eq!(
        payload(&response, "reviewScenario")["errors"],
        json!([]),
        "{response}"
    );
    scenario
}

db_test!(
    review_outcomes_notify_the_owner_organization_in_the_app_and_by_email,
    |app| {
        let admin = app.admin().await;
        let owner = app.gov_user().await;
        let stranger = app.enterprise_user().await;
        let scenario = send_back(&app, &owner, &admin, "请补充井下巷道条件").await;

        let inbox = app.gql_as(&owner, NOTIFICATIONS, json!({})).await;
        let list = &inbox["data"]["notifications"];
        assert_eq!(list["totalCount"], 1, "{inbox}");
        let node = &list["edges"][0]["node"];
        assert_eq!(node["kind"], "SCENARIO_CHANGES_REQUESTED");
        assert_eq!(node["subjectType"], "SCENARIO");
        assert_eq!(node["subjectId"], scenario["id"]);
        assert!(node["title"].as_str().unwrap().contains("被退回修改"));
        assert!(
            node["body"]
                .as_str()
                .unwrap()
                .contains("请补充井下巷道条件")
        );
        assert_eq!(node["read"], false);
        assert_eq!(inbox["data"]["unreadNotificationCount"], 1);
        // The admin who acted and an unrelated user hear nothing.
        assert!(kinds(&app, &admin).await.is_empty());
        assert!(kinds(&app, &stranger).await.is_empty());
        // One e-mail, to the owner, waiting in the outbox.
        assert_eq!(
            outbox(&app).await,
            vec![(
                "SCENARIO_CHANGES_REQUESTED".to_owned(),
                email_of(&app, &owner).await,
                "PENDING".to_owned()
            )]
        );

        // Another user cannot mark it read; the owner can, once.
        let id = node["id"].clone();
        let foreign = app
            .gql_as(&stranger, MARK_READ, json!({ "input": { "ids": [id] } }))
            .await;
        assert_eq!(
            foreign["data"]["markNotificationsRead"]["markedCount"], 0,
            "{foreign}"
        );
        let own = app
            .gql_as(&owner, MARK_READ, json!({ "input": { "ids": [id] } }))
            .await;
        assert_eq!(
            own["data"]["markNotificationsRead"]["markedCount"], 1,
            "{own}"
        );
        assert_eq!(own["data"]["markNotificationsRead"]["unreadCount"], 0);
        let again = app
            .gql_as(&owner, MARK_READ, json!({ "input": { "all": true } }))
            .await;
        assert_eq!(again["data"]["markNotificationsRead"]["markedCount"], 0);
        let unread = app
            .gql_as(&owner, NOTIFICATIONS, json!({ "unread": true }))
            .await;
        assert_eq!(unread["data"]["notifications"]["totalCount"], 0);
        let empty = app
            .gql_as(&owner, MARK_READ, json!({ "input": { "ids": [] } }))
            .await;
        assert_eq!(
            payload_codes(&empty["data"]["markNotificationsRead"]),
            vec!["OUT_OF_RANGE"]
        );

        // Approval after resubmission notifies again.
        let resubmit = act(&app, &owner, &scenario["id"], "SUBMIT").await;
        assert_eq!(
            payload(&resubmit, "transitionScenario")["errors"],
            json!([]),
            "{resubmit}"
        );
        let approved = review(&app, &admin, &scenario["id"], "APPROVE", None).await;
        assert_eq!(payload(&approved, "reviewScenario")["errors"], json!([]));
        assert_eq!(
            kinds(&app, &owner).await,
            vec!["SCENARIO_CHANGES_REQUESTED", "SCENARIO_APPROVED"]
        );

        // Anonymous callers get nothing.
        let anonymous = app.gql(NOTIFICATIONS, json!({})).await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
        let anonymous = app
            .gql(MARK_READ, json!({ "input": { "all": true } }))
            .await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    }
);

db_test!(
    match_events_notify_admins_and_both_parties_but_never_the_actor,
    |app| {
        let admin = app.admin().await;
        let owner = app.gov_user().await;
        let enterprise = app.enterprise_user().await;
        let scenario = scenario_in(&app, &owner, &admin, "PUBLISHED").await;
        let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
        let baseline_owner = kinds(&app, &owner).await.len();
        let baseline_enterprise = kinds(&app, &enterprise).await.len();

        let applied = app
        .gql_as(&enterprise, APPLY, json!({ "input": {
            "scenarioId": scenario["id"], "capabilityId": capability["id"], "pitch": "已在介休煤矿落地" } }))
        .await;
        let id = applied["data"]["applyToScenario"]["match"]["id"].clone();
        assert!(id.is_string(), "{applied}");
        assert_eq!(kinds(&app, &admin).await, vec!["MATCH_PROPOSED"]);
        let moderated = app
            .gql_as(
                &admin,
                MODERATE,
                json!({ "input": { "id": id, "decision": "APPROVE" } }),
            )
            .await;
        assert_eq!(
            moderated["data"]["moderateMatch"]["errors"],
            json!([]),
            "{moderated}"
        );
        let accepted = app
            .gql_as(
                &owner,
                RESPOND,
                json!({ "input": { "id": id, "accept": true } }),
            )
            .await;
        assert_eq!(
            accepted["data"]["respondToMatch"]["errors"],
            json!([]),
            "{accepted}"
        );
        let posted = app
            .gql_as(
                &enterprise,
                MESSAGE,
                json!({ "input": { "matchId": id, "body": "下周可到现场勘查<b>。" } }),
            )
            .await;
        assert_eq!(
            posted["data"]["postMatchMessage"]["errors"],
            json!([]),
            "{posted}"
        );

        let owner_kinds = kinds(&app, &owner).await[baseline_owner..].to_vec();
        // The owner accepted: no CONNECTED for them, but the message from the enterprise.
        assert_eq!(owner_kinds, vec!["MATCH_APPROVED", "MATCH_MESSAGE"]);
        let enterprise_kinds = kinds(&app, &enterprise).await[baseline_enterprise..].to_vec();
        assert_eq!(enterprise_kinds, vec!["MATCH_APPROVED", "MATCH_CONNECTED"]);
        // The admin heard of the proposal only.
        assert_eq!(kinds(&app, &admin).await, vec!["MATCH_PROPOSED"]);
        let message: String =
            sqlx::query_scalar("SELECT body FROM notifications WHERE kind = 'MATCH_MESSAGE'")
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        assert_eq!(message, "下周可到现场勘查<b>。");
    }
);

db_test!(email_preferences_turn_email_off_but_keep_the_inbox, |app| {
    let admin = app.admin().await;
    let owner = app.gov_user().await;
    let prefs = app.gql_as(&owner, PREFERENCES, json!({})).await;
    let all = prefs["data"]["emailPreferences"].as_array().unwrap();
    assert_eq!(all.len(), 14);
    assert!(
        all.iter()
            .all(|p| p["enabled"] == true && p["label"].is_string())
    );

    let off = app
        .gql_as(
            &owner,
            UPDATE_PREFERENCES,
            json!({ "input": { "preferences": [
            { "kind": "SCENARIO_CHANGES_REQUESTED", "enabled": false } ] } }),
        )
        .await;
    let updated = &off["data"]["updateEmailPreferences"];
    assert_eq!(updated["errors"], json!([]), "{off}");
    let changed: Vec<&Value> = updated["preferences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["enabled"] == false)
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["kind"], "SCENARIO_CHANGES_REQUESTED");

    send_back(&app, &owner, &admin, "请补充预算依据").await;
    assert_eq!(
        kinds(&app, &owner).await,
        vec!["SCENARIO_CHANGES_REQUESTED"]
    );
    assert!(
        outbox(&app).await.is_empty(),
        "no e-mail for a kind turned off"
    );

    let empty = app
        .gql_as(
            &owner,
            UPDATE_PREFERENCES,
            json!({ "input": { "preferences": [] } }),
        )
        .await;
    assert_eq!(
        payload_codes(&empty["data"]["updateEmailPreferences"]),
        vec!["REQUIRED"]
    );
    let anonymous = app.gql(PREFERENCES, json!({})).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let anonymous = app
        .gql(
            UPDATE_PREFERENCES,
            json!({ "input": { "preferences": [
            { "kind": "MATCH_MESSAGE", "enabled": false } ] } }),
        )
        .await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    // Refusals wrote nothing: only the one setting made above is stored.
    assert_eq!(app.count("email_preferences").await, 1);
});

async fn smtp_app(backend: Backend, smtp_url: String, max_attempts: i64) -> Option<TestApp> {
    TestApp::configured(backend, move |config| {
        config.smtp_url = Some(smtp_url);
        config.mail_max_attempts = max_attempts;
        config.public_url = "https://jzcx.example.cn".into();
    })
    .await
    .map(TestApp::with_background)
}

/// Waits until no e-mail is PENDING.
async fn drained(app: &TestApp) {
    for _ in 0..300 {
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox WHERE status = 'PENDING'")
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("e-mails still pending");
}

fn assert_once_each(messages: &[crate::util::ReceivedEmail]) {
    let mut ids: Vec<&str> = messages.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "an e-mail arrived twice");
}

mod smtp {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn emails_reach_a_real_smtp_server_once_each_with_escaped_html() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let server = SmtpServer::start().await;
            let Some(app) = smtp_app(backend, server.url(), 8).await else {
                continue;
            };
            let admin = app.admin().await;
            let owner = app.gov_user().await;
            send_back(
                &app,
                &owner,
                &admin,
                "请说明<script>alert(1)</script>防爆等级",
            )
            .await;
            drained(&app).await;
            // The owner's verification e-mail and the review outcome.
            let messages = server.wait_for(2).await;
            assert_eq!(messages.len(), 2, "{messages:?}");
            assert_once_each(&messages);
            let owner_email = email_of(&app, &owner).await;
            assert!(
                messages.iter().all(|m| m.to.contains(&owner_email)),
                "{messages:?}"
            );
            let review = messages
                .iter()
                .find(|m| m.subject.contains("被退回修改"))
                .expect("the review e-mail");
            assert!(review.subject.starts_with("【晋中场景创新】场景「"));
            assert!(
                review
                    .text
                    .contains("请说明<script>alert(1)</script>防爆等级")
            );
            assert!(
                review
                    .html
                    .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            );
            assert!(!review.html.contains("<script>"));
            assert!(
                review.text.contains("https://jzcx.example.cn/scenarios/"),
                "{}",
                review.text
            );
            let verification = messages
                .iter()
                .find(|m| m.subject.contains("验证您的邮箱"))
                .expect("the verification e-mail");
            assert!(
                verification
                    .text
                    .contains("https://jzcx.example.cn/verify-email?token=")
            );
            let sent: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox WHERE status = 'SENT'")
                    .fetch_one(app.state.db.pool())
                    .await
                    .unwrap();
            assert_eq!(sent, 2);
            // Nothing more arrives later.
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            assert_eq!(server.messages().len(), 2);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_smtp_outage_delays_email_but_loses_and_repeats_none() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let mut server = SmtpServer::start().await;
            server.stop();
            let Some(app) = smtp_app(backend, server.url(), 20).await else {
                continue;
            };
            let admin = app.admin().await;
            let owner = app.gov_user().await;
            for i in 0..3 {
                send_back(&app, &owner, &admin, &format!("第{i}次：请补充材料")).await;
            }
            // Every e-mail fails at least once while the server is down.
            for _ in 0..200 {
                let untried: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox WHERE attempts = 0")
                        .fetch_one(app.state.db.pool())
                        .await
                        .unwrap();
                if untried == 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert!(server.messages().is_empty());
            server.resume().await;
            drained(&app).await;
            let messages = server.wait_for(4).await;
            assert_eq!(messages.len(), 4, "one verification and three reviews");
            assert_once_each(&messages);
            let statuses: Vec<String> =
                sqlx::query_scalar("SELECT DISTINCT status FROM email_outbox")
                    .fetch_all(app.state.db.pool())
                    .await
                    .unwrap();
            assert_eq!(statuses, vec!["SENT"]);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failed_emails_are_shown_to_admins_and_can_be_retried() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let port = free_port();
            let Some(app) = smtp_app(backend, format!("smtp://127.0.0.1:{port}"), 2).await else {
                continue;
            };
            let admin = app.admin().await;
            let owner = app.gov_user().await;
            send_back(&app, &owner, &admin, "请补充材料").await;
            let mut failed = Value::Null;
            for _ in 0..200 {
                failed = app.gql_as(&admin, FAILED, json!({})).await;
                if failed["data"]["failedEmails"]["totalCount"] == 2 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            let list = &failed["data"]["failedEmails"];
            assert_eq!(list["totalCount"], 2, "{failed}");
            let node = &list["edges"][0]["node"];
            assert_eq!(node["attempts"], 2);
            assert_eq!(node["lastError"], "邮件服务器暂时无法送达");
            let ids: Vec<Value> = list["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].clone())
                .collect();

            let refused = app.gql_as(&owner, FAILED, json!({})).await;
            assert_eq!(error_code(&refused), Some("FORBIDDEN"));
            let refused = app
                .gql_as(&owner, RETRY, json!({ "input": { "ids": ids } }))
                .await;
            assert_eq!(error_code(&refused), Some("FORBIDDEN"));
            let empty = app
                .gql_as(&admin, RETRY, json!({ "input": { "ids": [] } }))
                .await;
            assert_eq!(
                payload_codes(&empty["data"]["retryFailedEmails"]),
                vec!["OUT_OF_RANGE"]
            );

            let server = SmtpServer::start_on(port).await;
            let mut with_unknown = ids.clone();
            with_unknown.push(json!("no-such-email"));
            let retried = app
                .gql_as(&admin, RETRY, json!({ "input": { "ids": with_unknown } }))
                .await;
            let payload = &retried["data"]["retryFailedEmails"];
            assert_eq!(
                payload["retriedIds"].as_array().unwrap().len(),
                2,
                "{retried}"
            );
            assert_eq!(payload_codes(payload), vec!["INVALID_TRANSITION"]);
            drained(&app).await;
            let messages = server.wait_for(2).await;
            assert_eq!(messages.len(), 2);
            assert_once_each(&messages);
            let after = app.gql_as(&admin, FAILED, json!({})).await;
            assert_eq!(after["data"]["failedEmails"]["totalCount"], 0);
        }
    }
}

db_test!(without_smtp_emails_are_written_as_eml_files, |app| {
    let app = app.with_background();
    app.gov_user().await;
    let outbox_dir = app.data_dir().join("outbox");
    let mut files = Vec::new();
    for _ in 0..200 {
        files = std::fs::read_dir(&outbox_dir)
            .map(|entries| entries.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        if !files.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().is_some_and(|e| e == "eml"));
    let raw = std::fs::read(&files[0]).unwrap();
    let mail = mailparse::parse_mail(&raw).unwrap();
    use mailparse::MailHeaderMap as _;
    let subject = mail.headers.get_first_value("Subject").unwrap();
    assert_eq!(subject, "【晋中场景创新】请验证您的邮箱");
    drained(&app).await;
});

fn token_in(text: &str) -> String {
    let start = text.find("token=").expect("a link with a token") + "token=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn last_email_to(app: &TestApp, email: &str, kind: &str) -> String {
    sqlx::query_scalar(
        "SELECT text_body FROM email_outbox WHERE recipient = $1 AND kind = $2 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(email)
    .bind(kind)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

db_test!(registration_sends_a_single_use_verification_link, |app| {
    let email = format!("li{}@taigu-agri.cn", unique());
    let input = json!({
        "email": email, "password": PASSWORD, "displayName": "李敏",
        "organization": { "name": format!("太谷农业科技有限公司{}", unique()), "kind": "ENTERPRISE",
            "creditCode": crate::util::credit_code(), "regionCode": "140703" }
    });
    let registered = app.gql(REGISTER, json!({ "input": input })).await;
    assert_eq!(
        registered["data"]["register"]["user"]["emailVerified"], false,
        "{registered}"
    );
    let token = token_in(&last_email_to(&app, &email, "EMAIL_VERIFICATION").await);
    assert!(token.len() >= 40);
    // Only the hash is stored.
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM account_tokens WHERE token_hash = $1")
            .bind(&token)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, 0);

    let wrong = app.gql(VERIFY, json!({ "token": "not-a-token" })).await;
    assert_eq!(
        payload_codes(&wrong["data"]["verifyEmail"]),
        vec!["INVALID_TOKEN"]
    );
    let verified = app.gql(VERIFY, json!({ "token": token })).await;
    assert_eq!(
        verified["data"]["verifyEmail"]["user"]["emailVerified"], true,
        "{verified}"
    );
    let reused = app.gql(VERIFY, json!({ "token": token })).await;
    let reused = &reused["data"]["verifyEmail"];
    assert_eq!(payload_codes(reused), vec!["INVALID_TOKEN"]);
    assert_eq!(
        reused["errors"][0]["message"],
        "链接无效或已过期，请重新获取"
    );
});

db_test!(
    password_reset_is_enumeration_safe_single_use_and_expiring,
    |app| {
        let owner = app.gov_user().await;
        let email = email_of(&app, &owner).await;
        let session = app
            .gql(LOGIN, json!({ "email": email, "password": PASSWORD }))
            .await;
        let refresh = session["data"]["login"]["refreshToken"].clone();
        assert!(refresh.is_string(), "{session}");

        let known = app.gql(REQUEST_RESET, json!({ "email": email })).await;
        let unknown = app
            .gql(
                REQUEST_RESET,
                json!({ "email": format!("nobody{}@example.cn", unique()) }),
            )
            .await;
        let malformed = app
            .gql(REQUEST_RESET, json!({ "email": "not an address" }))
            .await;
        assert_eq!(known, unknown);
        assert_eq!(known, malformed);
        assert_eq!(
            known["data"]["requestPasswordReset"],
            json!({ "ok": true, "errors": [] })
        );
        let resets: Vec<(String, String, String)> = outbox(&app).await;
        assert_eq!(resets.len(), 1, "only the known address gets an e-mail");
        assert_eq!(resets[0].0, "PASSWORD_RESET");
        let token = token_in(&last_email_to(&app, &email, "PASSWORD_RESET").await);

        // A weak password is refused and leaves the link usable.
        let weak = app
            .gql(RESET, json!({ "token": token, "password": "123" }))
            .await;
        assert_eq!(
            payload_codes(&weak["data"]["resetPassword"]),
            vec!["PASSWORD_TOO_WEAK"]
        );
        let new_password = "Pingyao-Ancient-City-1370";
        let reset = app
            .gql(RESET, json!({ "token": token, "password": new_password }))
            .await;
        assert_eq!(
            reset["data"]["resetPassword"]["errors"],
            json!([]),
            "{reset}"
        );
        let reused = app
            .gql(
                RESET,
                json!({ "token": token, "password": "Another-Strong-2026" }),
            )
            .await;
        assert_eq!(
            payload_codes(&reused["data"]["resetPassword"]),
            vec!["INVALID_TOKEN"]
        );

        // Every session ended; the new password works, the old one not.
        let old_session = app.gql(REFRESH, json!({ "token": refresh })).await;
        assert_eq!(
            error_code(&old_session),
            Some("UNAUTHENTICATED"),
            "{old_session}"
        );
        let old = app
            .gql(LOGIN, json!({ "email": email, "password": PASSWORD }))
            .await;
        assert_eq!(
            payload_codes(&old["data"]["login"]),
            vec!["INVALID_CREDENTIALS"],
            "{old}"
        );
        assert!(old["data"]["login"]["accessToken"].is_null());
        let new = app
            .gql(LOGIN, json!({ "email": email, "password": new_password }))
            .await;
        assert!(new["data"]["login"]["accessToken"].is_string(), "{new}");

        // An expired link is refused.
        app.gql(REQUEST_RESET, json!({ "email": email })).await;
        let token = token_in(&last_email_to(&app, &email, "PASSWORD_RESET").await);
        sqlx::query("UPDATE account_tokens SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE used_at IS NULL")
        .execute(app.state.db.pool())
        .await
        .unwrap();
        let expired = app
            .gql(
                RESET,
                json!({ "token": token, "password": "Expired-Link-2026" }),
            )
            .await;
        assert_eq!(
            payload_codes(&expired["data"]["resetPassword"]),
            vec!["INVALID_TOKEN"]
        );
    }
);

/// The SMTP server the e-mail tests talk to is a real one: the protocol as a client speaks it.
#[tokio::test]
async fn the_test_smtp_server_speaks_smtp_and_unstuffs_dots() {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
    use tokio::net::TcpStream;

    let server = SmtpServer::start().await;
    let stream = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut reply = String::new();
    let mut expect = async |code: &str| {
        loop {
            reply.clear();
            read.read_line(&mut reply).await.unwrap();
            assert!(reply.starts_with(code), "expected {code}, got {reply:?}");
            if reply.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        }
    };
    expect("220").await;
    for (command, code) in [
        ("EHLO client\r\n", "250"),
        ("DATA\r\n", "503"),
        ("MAIL FROM:<a@example.cn>\r\n", "250"),
        ("RCPT TO:<b@example.cn>\r\n", "250"),
        ("DATA\r\n", "354"),
    ] {
        write.write_all(command.as_bytes()).await.unwrap();
        expect(code).await;
    }
    write
        .write_all(b"Subject: hi\r\nTo: b@example.cn\r\n\r\n..leading dot\r\n.\r\n")
        .await
        .unwrap();
    expect("250").await;
    write.write_all(b"QUIT\r\n").await.unwrap();
    expect("221").await;
    let messages = server.wait_for(1).await;
    assert_eq!(messages[0].subject, "hi");
    assert_eq!(messages[0].to, "b@example.cn");
}

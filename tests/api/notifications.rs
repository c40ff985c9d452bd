//! Notifications: who hears of what in the app, e-mail through the outbox to a real SMTP server
//! (on loopback, started by the test), outages and failures, preferences, and account e-mails.

use serde_json::{Value, json};

use crate::fixtures::*;
use crate::util::{
    Backend, PASSWORD, SmtpServer, TestApp, TestUser, error_code, eventually, payload_codes, unique,
};
use crate::{backend_test, db_test};

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

const FAILED: &str = r#"
query { failedEmails(first: 10) { totalCount edges { node { id kind recipient subject attempts lastError } } } }"#;

const RETRY: &str = r#"
mutation($input: RetryFailedEmailsInput!) {
  retryFailedEmails(input: $input) { retriedIds errors { field code } }
}"#;

const VERIFY: &str = r#"
mutation($token: String!) { verifyEmail(input: { token: $token }) { user { id emailVerified } errors { field code message } } }"#;

const REQUEST_RESET: &str = r#"
mutation($email: String!) { requestPasswordReset(input: { email: $email }) { ok errors { code } } }"#;

const RESET: &str = r#"
mutation($token: String!, $password: String!) {
  resetPassword(input: { token: $token, newPassword: $password }) { user { id } errors { field code message } }
}"#;

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

/// A scenario waiting for review and the changes an admin asks for, with `reason`.
async fn send_back(app: &TestApp, owner: &TestUser, admin: &TestUser, reason: &str) -> Value {
    let scenario = scenario_in(app, owner, admin, "PENDING_REVIEW").await;
    let sent_back = review(app, admin, &scenario["id"], "REQUEST_CHANGES", Some(reason)).await;
    assert_eq!(sent_back["status"], "CHANGES_REQUESTED");
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
            .try_gql_as(&stranger, MARK_READ, json!({ "input": { "ids": [id] } }))
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
            .try_gql_as(&owner, MARK_READ, json!({ "input": { "ids": [] } }))
            .await;
        assert_eq!(
            payload_codes(&empty["data"]["markNotificationsRead"]),
            vec!["OUT_OF_RANGE"]
        );

        // Approval after resubmission notifies again.
        let resubmitted = act(&app, &owner, &scenario["id"], "SUBMIT").await;
        assert_eq!(resubmitted["status"], "PENDING_REVIEW");
        let approved = review(&app, &admin, &scenario["id"], "APPROVE", None).await;
        assert_eq!(approved["status"], "PUBLISHED");
        assert_eq!(
            kinds(&app, &owner).await,
            vec!["SCENARIO_CHANGES_REQUESTED", "SCENARIO_APPROVED"]
        );

        // Anonymous callers get nothing.
        let anonymous = app.try_gql(NOTIFICATIONS, json!({})).await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
        let anonymous = app
            .try_gql(MARK_READ, json!({ "input": { "all": true } }))
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

        let mut input = apply_input(&scenario, &capability);
        input["pitch"] = json!("已在介休煤矿落地");
        let id = match_step(&app, &enterprise, APPLY, input).await["id"].clone();
        assert_eq!(kinds(&app, &admin).await, vec!["MATCH_PROPOSED"]);
        let approved = moderate(&app, &admin, &id, "APPROVE", None).await;
        assert_eq!(approved["status"], "APPROVED");
        let accepted = respond(&app, &owner, &id, true).await;
        assert_eq!(accepted["status"], "CONNECTED");
        let posted = app
            .gql_as(
                &enterprise,
                POST_MESSAGE,
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
    // Every kind but a saved search's instant find, which is told in the app only.
    assert_eq!(all.len(), EVERY_KIND.len() + SCHEDULED_KINDS.len() - 1);
    assert!(!all.iter().any(|p| p["kind"] == "SAVED_SEARCH_MATCH"));
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
        .try_gql_as(
            &owner,
            UPDATE_PREFERENCES,
            json!({ "input": { "preferences": [] } }),
        )
        .await;
    assert_eq!(
        payload_codes(&empty["data"]["updateEmailPreferences"]),
        vec!["REQUIRED"]
    );
    let in_app_only = app
        .try_gql_as(
            &owner,
            UPDATE_PREFERENCES,
            json!({ "input": { "preferences": [
            { "kind": "SAVED_SEARCH_MATCH", "enabled": false } ] } }),
        )
        .await;
    assert_eq!(
        payload_codes(&in_app_only["data"]["updateEmailPreferences"]),
        vec!["INVALID"]
    );
    let anonymous = app.try_gql(PREFERENCES, json!({})).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let anonymous = app
        .try_gql(
            UPDATE_PREFERENCES,
            json!({ "input": { "preferences": [
            { "kind": "MATCH_MESSAGE", "enabled": false } ] } }),
        )
        .await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    // Refusals wrote nothing: only the one setting made above is stored.
    assert_eq!(app.count("email_preferences").await, 1);
});

async fn smtp_app(backend: Backend, smtp_url: String, max_attempts: i64) -> TestApp {
    TestApp::configured(backend, move |config| {
        config.smtp_url = Some(smtp_url);
        config.mail_max_attempts = max_attempts;
        config.public_url = "https://jzcx.example.cn".into();
    })
    .await
    .with_background()
}

/// The number of outbox rows matching `condition`.
async fn emails_where(app: &TestApp, condition: &str) -> i64 {
    app.count(&format!("email_outbox WHERE {condition}")).await
}

/// Waits until no e-mail is PENDING.
async fn drained(app: &TestApp) {
    eventually("every e-mail to leave PENDING", || async {
        (emails_where(app, "status = 'PENDING'").await == 0).then_some(())
    })
    .await;
}

fn assert_once_each(messages: &[crate::util::ReceivedEmail]) {
    let mut ids: Vec<&str> = messages.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "an e-mail arrived twice");
}

backend_test!(
    emails_reach_a_real_smtp_server_once_each_with_escaped_html,
    |backend| {
        let server = SmtpServer::start().await;
        let app = smtp_app(backend, server.url(), 8).await;
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
        // A scenario sent back is not public and has no page: the reader signs in to see it.
        assert!(
            review.text.contains("请登录平台查看详情"),
            "{}",
            review.text
        );
        assert!(!review.text.contains("https://"), "{}", review.text);
        let verification = messages
            .iter()
            .find(|m| m.subject.contains("验证您的邮箱"))
            .expect("the verification e-mail");
        assert!(
            verification
                .text
                .contains("https://jzcx.example.cn/verify-email?token=")
        );
        assert_eq!(emails_where(&app, "status = 'SENT'").await, 2);
        // Nothing is sent twice: a probe e-mail sent after them is the next and last to arrive.
        send_back(&app, &owner, &admin, "探针：请补充材料").await;
        let messages = server.wait_for(3).await;
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[2].text.contains("探针：请补充材料"));
        assert_once_each(&messages);
    }
);

backend_test!(
    an_smtp_outage_delays_email_but_loses_and_repeats_none,
    |backend| {
        let mut server = SmtpServer::start().await;
        server.stop();
        let app = smtp_app(backend, server.url(), 20).await;
        let admin = app.admin().await;
        let owner = app.gov_user().await;
        for i in 0..3 {
            send_back(&app, &owner, &admin, &format!("第{i}次：请补充材料")).await;
        }
        // The outage is real: every e-mail was tried, turned away, and is still waiting.
        eventually("every e-mail to fail once", || async {
            (emails_where(&app, "attempts = 0").await == 0).then_some(())
        })
        .await;
        assert!(server.turned_away() >= 4, "{}", server.turned_away());
        assert!(server.messages().is_empty());
        assert_eq!(
            emails_where(&app, "status = 'PENDING' AND last_error IS NOT NULL").await,
            4,
            "one verification and three reviews wait for a retry"
        );
        server.resume();
        drained(&app).await;
        let messages = server.wait_for(4).await;
        assert_eq!(messages.len(), 4, "one verification and three reviews");
        assert_once_each(&messages);
        assert_eq!(
            emails_where(&app, "status = 'SENT' AND attempts >= 1").await,
            4
        );
    }
);

backend_test!(
    failed_emails_are_shown_to_admins_and_can_be_retried,
    |backend| {
        let mut server = SmtpServer::start().await;
        server.stop();
        let app = smtp_app(backend, server.url(), 2).await;
        let admin = app.admin().await;
        let owner = app.gov_user().await;
        send_back(&app, &owner, &admin, "请补充材料").await;
        // The page and its total are two statements: an e-mail failing between them is counted
        // but not listed, so both are waited for.
        let failed = eventually("both e-mails to fail for good", || async {
            let failed = app.gql_as(&admin, FAILED, json!({})).await;
            let list = &failed["data"]["failedEmails"];
            (list["totalCount"] == 2 && list["edges"].as_array().is_some_and(|e| e.len() == 2))
                .then_some(failed)
        })
        .await;
        let list = &failed["data"]["failedEmails"];
        let node = &list["edges"][0]["node"];
        assert_eq!(node["attempts"], 2);
        assert_eq!(node["lastError"], "邮件服务器暂时无法送达");
        let ids: Vec<Value> = list["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].clone())
            .collect();

        let refused = app.try_gql_as(&owner, FAILED, json!({})).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        let refused = app
            .try_gql_as(&owner, RETRY, json!({ "input": { "ids": ids } }))
            .await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        let empty = app
            .try_gql_as(&admin, RETRY, json!({ "input": { "ids": [] } }))
            .await;
        assert_eq!(
            payload_codes(&empty["data"]["retryFailedEmails"]),
            vec!["OUT_OF_RANGE"]
        );
        assert!(server.messages().is_empty());

        server.resume();
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
);

db_test!(without_smtp_emails_are_written_as_eml_files, |app| {
    let app = app.with_background();
    app.gov_user().await;
    let outbox_dir = app.data_dir().join("outbox");
    drained(&app).await;
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(&outbox_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    // The file holds a link that signs its reader in: private to the service, like its folder.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&files[0]), 0o600);
        assert_eq!(mode(&outbox_dir), 0o700);
    }
    assert!(files[0].extension().is_some_and(|e| e == "eml"));
    let raw = std::fs::read(&files[0]).unwrap();
    let mail = mailparse::parse_mail(&raw).unwrap();
    use mailparse::MailHeaderMap as _;
    let subject = mail.headers.get_first_value("Subject").unwrap();
    assert_eq!(subject, "【晋中场景创新】请验证您的邮箱");
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
    assert_eq!(registered["data"]["register"]["ok"], true, "{registered}");
    let verified: Option<String> =
        sqlx::query_scalar("SELECT email_verified_at FROM users WHERE email = $1")
            .bind(&email)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(verified, None, "not verified yet");
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

    let wrong = app.try_gql(VERIFY, json!({ "token": "not-a-token" })).await;
    assert_eq!(
        payload_codes(&wrong["data"]["verifyEmail"]),
        vec!["INVALID_TOKEN"]
    );
    let verified = app.gql(VERIFY, json!({ "token": token })).await;
    assert_eq!(
        verified["data"]["verifyEmail"]["user"]["emailVerified"], true,
        "{verified}"
    );
    let reused = app.try_gql(VERIFY, json!({ "token": token })).await;
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
            .try_gql(RESET, json!({ "token": token, "password": "123" }))
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
            .try_gql(
                RESET,
                json!({ "token": token, "password": "Another-Strong-2026" }),
            )
            .await;
        assert_eq!(
            payload_codes(&reused["data"]["resetPassword"]),
            vec!["INVALID_TOKEN"]
        );

        // Every session ended; the new password works, the old one not.
        let old_session = app.try_gql(REFRESH, json!({ "token": refresh })).await;
        assert_eq!(
            error_code(&old_session),
            Some("UNAUTHENTICATED"),
            "{old_session}"
        );
        let old = app
            .try_gql(LOGIN, json!({ "email": email, "password": PASSWORD }))
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
            .try_gql(
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

/// The kinds of the saved searches' alerts and digests (README, "Saved searches and alerts"),
/// which `alerts.rs` walks through.
const SCHEDULED_KINDS: [&str; 3] = [
    "SAVED_SEARCH_MATCH",
    "SAVED_SEARCH_DIGEST",
    "WEEKLY_RECOMMENDATIONS",
];

/// The README's table of notifications ("Notifications"): kind → who hears of it.
const EVERY_KIND: [&str; 33] = [
    "SCENARIO_APPROVED",
    "SCENARIO_CHANGES_REQUESTED",
    "SCENARIO_SUBMITTED",
    "SCENARIO_COUNTY_APPROVED",
    "SCENARIO_REJECTED",
    "SCENARIO_DEADLINE_APPROACHING",
    "SCENARIO_EXPIRED",
    "SCENARIO_ENDED",
    "CAPABILITY_APPROVED",
    "CAPABILITY_CHANGES_REQUESTED",
    "ORGANIZATION_VERIFIED",
    "ORGANIZATION_REJECTED",
    "ORGANIZATION_SUSPENDED",
    "ORGANIZATION_REINSTATED",
    "MATCH_PROPOSED",
    "MATCH_APPROVED",
    "MATCH_CONNECTED",
    "MATCH_DECLINED",
    "MATCH_SELECTED",
    "MATCH_LANDED",
    "MATCH_REJECTED",
    "MATCH_NOT_SELECTED",
    "MATCH_MESSAGE",
    "PROPOSAL_RECEIVED",
    "PROPOSAL_ADOPTED",
    "PROPOSAL_DECLINED",
    "EVENT_REGISTRATION_RECEIVED",
    "EVENT_REGISTRATION_ACCEPTED",
    "EVENT_REGISTRATION_WAITLISTED",
    "EVENT_REGISTRATION_DECLINED",
    "EVENT_REGISTRATION_CANCELLED",
    "EVENT_UPDATED",
    "EVENT_CANCELLED",
];

/// The kinds of the e-mails to `user` (account e-mails aside), oldest first.
async fn email_kinds(app: &TestApp, user: &TestUser) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT kind FROM email_outbox WHERE recipient = $1 AND kind <> 'EMAIL_VERIFICATION' \
         ORDER BY created_at, id",
    )
    .bind(email_of(app, user).await)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

// Every kind of the table, end to end: each recipient the table names hears of it in the app and
// by e-mail, the one who acted does not, and nobody else does.
backend_test!(
    every_notification_kind_reaches_whom_the_table_names,
    |backend| {
        // The scheduled work runs on a clock the test moves to a deadline.
        let app = TestApp::at_time(backend, chrono::Utc::now()).await;
        let admin = app.admin().await;
        let second_admin = app.admin().await;
        let unit = app.gov_user().await;
        let provider = app.enterprise_user().await;
        let declined = app.enterprise_user().await;
        let rejected = app.pending_enterprise_user().await;
        let passed_over = app.enterprise_user().await;
        let refused = app.pending_enterprise_user().await;
        let bystander = app.enterprise_user().await;

        let far_unit = app.gov_user_in("140721").await;
        let manager = app.county_manager("140721").await;

        // SCENARIO_SUBMITTED: the county managers of the region; SCENARIO_COUNTY_APPROVED,
        // SCENARIO_APPROVED and SCENARIO_REJECTED: the owner's organization.
        let two_levels = scenario_in(&app, &far_unit, &admin, "PENDING_REVIEW").await;
        review(&app, &manager, &two_levels["id"], "APPROVE", None).await;
        review(&app, &admin, &two_levels["id"], "APPROVE", None).await;
        let refused_scenario = scenario_in(&app, &far_unit, &admin, "PENDING_REVIEW").await;
        review(
            &app,
            &manager,
            &refused_scenario["id"],
            "REJECT",
            Some("与县域规划不符"),
        )
        .await;

        // PROPOSAL_RECEIVED: the unit it is addressed to; PROPOSAL_DECLINED, PROPOSAL_ADOPTED:
        // the proposer.
        let addressee = app.gov_user().await;
        let proposer = app.enterprise_user().await;
        let offered = capability_in(&app, &proposer, &admin, "LISTED").await;
        let mut proposal_ids = Vec::new();
        for _ in 0..2 {
            let proposed = app
                .gql_as(
                    &proposer,
                    "mutation($input: ProposeScenarioInput!) { proposeScenario(input: $input) \
                     { proposal { id } errors { code } } }",
                    json!({ "input": { "title": "社区养老智能看护场景", "regionCode": "140702",
                        "problem": "独居老人夜间突发状况难以及时发现。", "unitId": addressee.org_id,
                        "capabilityId": offered["id"], "rationale": "我司毫米波看护雷达已量产。" } }),
                )
                .await;
            proposal_ids.push(proposed["data"]["proposeScenario"]["proposal"]["id"].clone());
        }
        let declined_proposal = app
            .gql_as(
                &addressee,
                "mutation($id: ID!) { declineScenarioProposal(input: { id: $id, reason: \
                 \"已有同类项目\" }) { errors { code } } }",
                json!({ "id": proposal_ids[0] }),
            )
            .await;
        assert_eq!(
            declined_proposal["data"]["declineScenarioProposal"]["errors"],
            json!([])
        );
        let adopted_proposal = app
            .gql_as(
                &addressee,
                "mutation($id: ID!) { adoptScenarioProposal(input: { id: $id, category: \
                 COMMUNITY }) { errors { code } } }",
                json!({ "id": proposal_ids[1] }),
            )
            .await;
        assert_eq!(
            adopted_proposal["data"]["adoptScenarioProposal"]["errors"],
            json!([])
        );

        // ORGANIZATION_REJECTED: its members, with the reason.
        step_organization(
            &app,
            &admin,
            "rejectOrganization",
            &refused.org_id,
            Some("营业执照与单位名称不符"),
        )
        .await;

        // ORGANIZATION_VERIFIED: its members.
        let verified = app
            .gql_as(
                &admin,
                VERIFY_ORGANIZATION,
                json!({ "id": rejected.org_id }),
            )
            .await;
        assert_eq!(
            verified["data"]["verifyOrganization"]["organization"]["status"], "VERIFIED",
            "{verified}"
        );

        // SCENARIO_CHANGES_REQUESTED, SCENARIO_APPROVED: the owner's organization.
        let scenario = send_back(&app, &unit, &admin, "请补充验收指标").await;
        act(&app, &unit, &scenario["id"], "SUBMIT").await;
        let scenario = review(&app, &admin, &scenario["id"], "APPROVE", None).await;

        // CAPABILITY_CHANGES_REQUESTED, CAPABILITY_APPROVED: the owner's organization.
        let capability = create_capability(&app, &provider, capability_input()).await;
        act_capability(&app, &provider, &capability["id"], "SUBMIT").await;
        review_capability(
            &app,
            &admin,
            &capability["id"],
            "REQUEST_CHANGES",
            Some("请补充案例"),
        )
        .await;
        act_capability(&app, &provider, &capability["id"], "SUBMIT").await;
        review_capability(&app, &admin, &capability["id"], "APPROVE", None).await;
        let others = [&declined, &rejected, &passed_over];
        let mut other_capabilities = Vec::new();
        for owner in others {
            other_capabilities
                .push(listed_capability(&app, owner, &admin, capability_input()).await);
        }

        // MATCH_PROPOSED: every administrator.
        let chosen = apply(&app, &provider, &scenario, &capability).await;
        let mut proposals = Vec::new();
        for (owner, capability) in others.iter().zip(&other_capabilities) {
            proposals.push(apply(&app, owner, &scenario, capability).await);
        }
        let [to_decline, to_reject, to_pass_over] = [&proposals[0], &proposals[1], &proposals[2]];

        // MATCH_REJECTED: the party that started it.
        moderate(&app, &admin, &to_reject["id"], "REJECT", Some("不符合需求")).await;
        // MATCH_APPROVED: both parties; MATCH_DECLINED: both parties but the one who declined.
        moderate(&app, &admin, &chosen["id"], "APPROVE", None).await;
        moderate(&app, &admin, &to_decline["id"], "APPROVE", None).await;
        respond(&app, &unit, &to_decline["id"], false).await;
        // MATCH_CONNECTED: both parties but the one who accepted.
        respond(&app, &unit, &chosen["id"], true).await;
        // MATCH_MESSAGE: both parties but the author.
        for (author, body) in [(&provider, "可安排现场勘查"), (&unit, "欢迎下周到矿")]
        {
            let posted = app
                .gql_as(
                    author,
                    POST_MESSAGE,
                    json!({ "input": { "matchId": chosen["id"], "body": body } }),
                )
                .await;
            assert_eq!(
                posted["data"]["postMatchMessage"]["errors"],
                json!([]),
                "{posted}"
            );
        }
        // MATCH_SELECTED (an admin selects for the unit): both parties; MATCH_NOT_SELECTED: the
        // capability's organization of every other live match.
        select(&app, &second_admin, &chosen["id"]).await;
        assert_eq!(
            status_in_db(&app, "matches", &to_pass_over["id"]).await,
            "NOT_SELECTED"
        );
        // MATCH_LANDED (an admin records it): both parties.
        record_outcome(&app, &second_admin, &scenario["id"]).await;
        // SCENARIO_DEADLINE_APPROACHING (scheduled): the unit and its partners;
        // SCENARIO_EXPIRED: the unit; SCENARIO_ENDED: the partners (MATCH_PROPOSED: admins).
        let closing_unit = app.gov_user().await;
        let partner = app.enterprise_user().await;
        let deadline = twolists::clock::Clock::system().today_in_china() + chrono::Days::new(5);
        let mut input = scenario_input();
        input["deadline"] = json!(deadline.to_string());
        let due = scenario_in_with(&app, &closing_unit, &admin, "PUBLISHED", input).await;
        let partner_capability =
            listed_capability(&app, &partner, &admin, capability_input()).await;
        apply(&app, &partner, &due, &partner_capability).await;
        let noon = |day: chrono::NaiveDate| {
            day.and_hms_opt(4, 0, 0).unwrap().and_utc() // 12:00 in China
        };
        app.clock().set(noon(deadline - chrono::Days::new(3)));
        app.state.scheduler.run_due().await;
        app.clock().set(noon(deadline + chrono::Days::new(1)));
        app.state.scheduler.run_due().await;
        assert_eq!(status_in_db(&app, "scenarios", &due["id"]).await, "CLOSED");

        // EVENT_REGISTRATION_RECEIVED and _CANCELLED: the county managers of the event's
        // region; _ACCEPTED (also when moved up), _WAITLISTED, _DECLINED: the registering
        // organization; EVENT_UPDATED, EVENT_CANCELLED: the organizations registered.
        let mut event = crate::activities::event_input(&[&two_levels], 1);
        event["regionCode"] = json!("140721");
        let event = crate::activities::draft_event(&app, &admin, event).await;
        let event = crate::activities::step_event(&app, &admin, &event, "PUBLISH").await;
        let attendee = app.enterprise_user().await;
        let waiter = app.enterprise_user().await;
        let turned_away = app.enterprise_user().await;
        let mut registered = Vec::new();
        for user in [&attendee, &waiter, &turned_away] {
            let capability = listed_capability(&app, user, &admin, capability_input()).await;
            registered.push(
                crate::activities::register_for(&app, user, &event, &capability, &[&two_levels])
                    .await,
            );
        }
        crate::activities::decide(&app, &admin, &registered[0], "ACCEPT").await;
        crate::activities::decide(&app, &admin, &registered[1], "ACCEPT").await;
        crate::activities::decide(&app, &admin, &registered[2], "DECLINE").await;
        let cancelled = app
            .gql_as(
                &attendee,
                "mutation($id: ID!) { cancelEventRegistration(input: { id: $id }) { errors { code } } }",
                json!({ "id": registered[0]["id"] }),
            )
            .await;
        assert_eq!(
            cancelled["data"]["cancelEventRegistration"]["errors"],
            json!([])
        );
        let mut changed = crate::activities::event_input(&[&two_levels], 2);
        changed["regionCode"] = json!("140721");
        let updated = app
            .gql_as(
                &admin,
                "mutation($input: UpdateMatchmakingEventInput!) { updateMatchmakingEvent(input: $input) \
                 { errors { code } } }",
                json!({ "input": { "id": event["id"], "event": changed } }),
            )
            .await;
        assert_eq!(
            updated["data"]["updateMatchmakingEvent"]["errors"],
            json!([])
        );
        crate::activities::step_event(&app, &admin, &event, "CANCEL").await;

        // ORGANIZATION_SUSPENDED, ORGANIZATION_REINSTATED: its members.
        step_organization(
            &app,
            &admin,
            "suspendOrganization",
            &passed_over.org_id,
            Some("发布虚假案例，核查期间暂停"),
        )
        .await;
        step_organization(
            &app,
            &admin,
            "reinstateOrganization",
            &passed_over.org_id,
            None,
        )
        .await;

        let expected: [(&TestUser, &[&str]); 18] = [
            (
                &attendee,
                &["CAPABILITY_APPROVED", "EVENT_REGISTRATION_ACCEPTED"],
            ),
            (
                &waiter,
                &[
                    "CAPABILITY_APPROVED",
                    "EVENT_REGISTRATION_WAITLISTED",
                    "EVENT_REGISTRATION_ACCEPTED",
                    "EVENT_UPDATED",
                    "EVENT_CANCELLED",
                ],
            ),
            (
                &turned_away,
                &["CAPABILITY_APPROVED", "EVENT_REGISTRATION_DECLINED"],
            ),
            (
                &closing_unit,
                &[
                    "SCENARIO_APPROVED",
                    "SCENARIO_DEADLINE_APPROACHING",
                    "SCENARIO_EXPIRED",
                ],
            ),
            (
                &partner,
                &[
                    "CAPABILITY_APPROVED",
                    "SCENARIO_DEADLINE_APPROACHING",
                    "SCENARIO_ENDED",
                ],
            ),
            (&addressee, &["PROPOSAL_RECEIVED"; 2]),
            (
                &proposer,
                &[
                    "CAPABILITY_APPROVED",
                    "PROPOSAL_DECLINED",
                    "PROPOSAL_ADOPTED",
                ],
            ),
            (
                &manager,
                &[
                    "SCENARIO_SUBMITTED",
                    "SCENARIO_SUBMITTED",
                    "EVENT_REGISTRATION_RECEIVED",
                    "EVENT_REGISTRATION_RECEIVED",
                    "EVENT_REGISTRATION_RECEIVED",
                    "EVENT_REGISTRATION_CANCELLED",
                ],
            ),
            (
                &far_unit,
                &[
                    "SCENARIO_COUNTY_APPROVED",
                    "SCENARIO_APPROVED",
                    "SCENARIO_REJECTED",
                ],
            ),
            (&admin, &["MATCH_PROPOSED"; 5]),
            (&second_admin, &["MATCH_PROPOSED"; 5]),
            (
                &unit,
                &[
                    "SCENARIO_CHANGES_REQUESTED",
                    "SCENARIO_APPROVED",
                    "MATCH_APPROVED",
                    "MATCH_APPROVED",
                    "MATCH_MESSAGE",
                    "MATCH_SELECTED",
                    "MATCH_LANDED",
                ],
            ),
            (
                &provider,
                &[
                    "CAPABILITY_CHANGES_REQUESTED",
                    "CAPABILITY_APPROVED",
                    "MATCH_APPROVED",
                    "MATCH_CONNECTED",
                    "MATCH_MESSAGE",
                    "MATCH_SELECTED",
                    "MATCH_LANDED",
                ],
            ),
            (
                &declined,
                &["CAPABILITY_APPROVED", "MATCH_APPROVED", "MATCH_DECLINED"],
            ),
            (
                &rejected,
                &[
                    "ORGANIZATION_VERIFIED",
                    "CAPABILITY_APPROVED",
                    "MATCH_REJECTED",
                ],
            ),
            (
                &passed_over,
                &[
                    "CAPABILITY_APPROVED",
                    "MATCH_NOT_SELECTED",
                    "ORGANIZATION_SUSPENDED",
                    "ORGANIZATION_REINSTATED",
                ],
            ),
            (&refused, &["ORGANIZATION_REJECTED"]),
            (&bystander, &[]),
        ];
        // The digests the moved clock may also bring (a Monday's weekly recommendations) are
        // the saved searches' test's (alerts.rs): left out here.
        let of_events = |kinds: Vec<String>| -> Vec<String> {
            kinds
                .into_iter()
                .filter(|k| !SCHEDULED_KINDS.contains(&k.as_str()))
                .collect()
        };
        let mut heard = std::collections::BTreeSet::new();
        for (user, kinds_expected) in expected {
            let in_app = of_events(kinds(&app, user).await);
            assert_eq!(in_app, kinds_expected, "in the app");
            assert_eq!(
                of_events(email_kinds(&app, user).await),
                kinds_expected,
                "by e-mail"
            );
            heard.extend(in_app);
        }
        let every: std::collections::BTreeSet<String> =
            EVERY_KIND.iter().map(|k| k.to_string()).collect();
        assert_eq!(heard, every, "every kind of the table was heard");
        let scheduled = "('SAVED_SEARCH_MATCH', 'SAVED_SEARCH_DIGEST', 'WEEKLY_RECOMMENDATIONS')";
        let total: i64 = app
            .count(&format!("notifications WHERE kind NOT IN {scheduled}"))
            .await;
        assert_eq!(
            total,
            2 + 5 + 2 + 3 + 3 + 2 + 3 + 6 + 3 + 5 + 5 + 7 + 7 + 3 + 3 + 4 + 1,
            "and nobody else heard anything"
        );
        assert_eq!(
            emails_where(
                &app,
                &format!("kind <> 'EMAIL_VERIFICATION' AND kind NOT IN {scheduled}")
            )
            .await,
            total,
            "one e-mail per notification"
        );
    }
);

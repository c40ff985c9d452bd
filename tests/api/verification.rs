//! E-mail verification (README, "Accounts"): an unverified address may sign in and draft, but
//! not put anything forward (submit for review, apply) until its owner follows the link; a new
//! link comes from `resendVerificationEmail`, at most three times in ten minutes per account.

use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{TestApp, TestUser, error_code, payload_codes};

const RESEND: &str = "mutation { resendVerificationEmail { ok errors { code message } } }";
const VERIFY: &str = "mutation($token: String!) { verifyEmail(input: { token: $token }) \
    { user { emailVerified } errors { code } } }";

/// The user's address counted as not verified, as after a registration.
async fn unverify(app: &TestApp, user: &TestUser) {
    sqlx::query("UPDATE users SET email_verified_at = NULL WHERE id = $1")
        .bind(&user.id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
}

async fn address_of(app: &TestApp, user: &TestUser) -> String {
    sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(&user.id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn verification_emails(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_outbox WHERE kind = 'EMAIL_VERIFICATION' AND recipient = $1",
    )
    .bind(email)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

/// The one payload error of a refused step: EMAIL_NOT_VERIFIED, telling how to get a new link.
fn assert_not_verified(response: &Value, field: &str) {
    let payload = &response["data"][field];
    assert_eq!(payload_codes(payload), ["EMAIL_NOT_VERIFIED"], "{response}");
    let message = payload["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("邮箱尚未验证") && message.contains("重新发送验证邮件"),
        "{message}"
    );
}

db_test!(
    an_unverified_address_drafts_but_puts_nothing_forward,
    |app| {
        let admin = app.admin().await;
        let gov = app.gov_user().await;
        let enterprise = app.enterprise_user().await;
        let scenario = scenario_in(&app, &gov, &admin, "PUBLISHED").await;
        let listed = capability_in(&app, &enterprise, &admin, "LISTED").await;
        unverify(&app, &gov).await;
        unverify(&app, &enterprise).await;

        // Drafting works.
        let planned = create_scenario(&app, &gov, scenario_input()).await;
        let planned = act(&app, &gov, &planned["id"], "PLAN").await;
        assert_eq!(planned["status"], "PLANNED");
        let draft = create_capability(&app, &enterprise, capability_input()).await;
        assert_eq!(draft["status"], "DRAFT");

        // Putting forward does not, and writes nothing (try_* check the database).
        let submit = try_act(&app, Some(&gov), &planned["id"], "SUBMIT").await;
        assert_not_verified(&submit, "transitionScenario");
        let submit = try_act_capability(&app, Some(&enterprise), &draft["id"], "SUBMIT").await;
        assert_not_verified(&submit, "transitionCapability");
        let applied = try_apply(&app, &enterprise, &scenario, &listed).await;
        assert_not_verified(&applied, "applyToScenario");

        // A new link, followed, lets the same steps through.
        for user in [&gov, &enterprise] {
            let email = address_of(&app, user).await;
            let before = verification_emails(&app, &email).await;
            let resent = app.gql_as(user, RESEND, json!({})).await;
            assert_eq!(resent["data"]["resendVerificationEmail"]["ok"], true);
            assert_eq!(verification_emails(&app, &email).await, before + 1);
            let token = emailed_token(&app, "EMAIL_VERIFICATION", &email, "/verify-email").await;
            let verified = app.gql(VERIFY, json!({ "token": token })).await;
            assert_eq!(
                verified["data"]["verifyEmail"]["user"]["emailVerified"],
                true
            );
        }
        assert_eq!(
            act(&app, &gov, &planned["id"], "SUBMIT").await["status"],
            "PENDING_REVIEW"
        );
        assert_eq!(
            act_capability(&app, &enterprise, &draft["id"], "SUBMIT").await["status"],
            "PENDING_REVIEW"
        );
        assert_eq!(
            apply(&app, &enterprise, &scenario, &listed).await["status"],
            "PROPOSED"
        );
    }
);

db_test!(an_admin_acting_for_an_unverified_member_may_submit, |app| {
    // The rule is about the person who acts: an admin's address is vouched for by whoever
    // created the account.
    let admin = app.admin().await;
    let gov = app.gov_user().await;
    unverify(&app, &gov).await;
    let planned = scenario_in(&app, &gov, &admin, "DISCOVERED").await;
    let planned = act(&app, &gov, &planned["id"], "PLAN").await;
    assert_eq!(
        act(&app, &admin, &planned["id"], "SUBMIT").await["status"],
        "PENDING_REVIEW"
    );
});

db_test!(resending_is_for_unverified_accounts_and_bounded, |app| {
    let anonymous = app.try_gql(RESEND, json!({})).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));

    let verified = app.gov_user().await;
    let refused = app.try_gql_as(&verified, RESEND, json!({})).await;
    let payload = &refused["data"]["resendVerificationEmail"];
    assert_eq!(payload["ok"], false);
    assert_eq!(payload_codes(payload), ["INVALID_TRANSITION"]);

    let user = app.enterprise_user().await;
    unverify(&app, &user).await;
    let email = address_of(&app, &user).await;
    let before = verification_emails(&app, &email).await;
    for _ in 0..3 {
        let resent = app.gql_as(&user, RESEND, json!({})).await;
        assert_eq!(resent["data"]["resendVerificationEmail"]["ok"], true);
    }
    let limited = app.try_gql_as(&user, RESEND, json!({})).await;
    assert_eq!(error_code(&limited), Some("RATE_LIMITED"));
    assert_eq!(verification_emails(&app, &email).await, before + 3);

    // The links sent before keep working: the registration's verifies the address.
    let first: String = sqlx::query_scalar(
        "SELECT text_body FROM email_outbox WHERE kind = 'EMAIL_VERIFICATION' \
         AND recipient = $1 ORDER BY created_at, id LIMIT 1",
    )
    .bind(&email)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    let token = first
        .split_whitespace()
        .find_map(|w| w.split("/verify-email?token=").nth(1))
        .unwrap();
    let verified = app.gql(VERIFY, json!({ "token": token })).await;
    assert_eq!(
        verified["data"]["verifyEmail"]["user"]["emailVerified"],
        true
    );
});

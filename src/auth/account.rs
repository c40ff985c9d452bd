//! E-mailed account links: verifying the address after registration and resetting a forgotten
//! password. Tokens are random, stored only as SHA-256 hashes, single use, and expire (24 hours
//! for verification, 1 hour for a reset). A reset ends every session of the user.

use chrono::{Duration, Utc};

use super::password;
use super::tokens;
use super::users::{Membership, USER_COLUMNS, UserRow, find_user_by_email, normalize_email};
use crate::db::{self, Db, Tx};
use crate::error::{AppError, AppResult, ErrorCode, Outcome, UserError, refuse};
use crate::mail::{self, templates};
use crate::viewer::{ClientAddr, Viewer};

use super::limits::{self, Operation};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "VERIFY_EMAIL",
            Purpose::ResetPassword => "RESET_PASSWORD",
        }
    }

    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::hours(24),
            Purpose::ResetPassword => Duration::hours(1),
        }
    }
}

/// Stores a new token for `user_id` and returns it (the only time it exists in clear).
async fn issue(tx: &mut Tx, user_id: &str, purpose: Purpose) -> Result<String, sqlx::Error> {
    let token = tokens::random_token(32);
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO account_tokens (id, user_id, purpose, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(db::new_id())
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(tokens::token_hash(&token))
    .bind(db::format_time(now))
    .bind(db::format_time(now + purpose.lifetime()))
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// Uses up a token: the user it was issued to, if it is known, unused and unexpired.
async fn consume(
    tx: &mut Tx,
    token: &str,
    purpose: Purpose,
) -> Result<Option<String>, sqlx::Error> {
    let now = db::now();
    sqlx::query_scalar(
        "UPDATE account_tokens SET used_at = $3 WHERE token_hash = $1 AND purpose = $2 \
         AND used_at IS NULL AND expires_at > $3 RETURNING user_id",
    )
    .bind(tokens::token_hash(token))
    .bind(purpose.as_str())
    .bind(&now)
    .fetch_optional(&mut **tx)
    .await
}

fn link(path: &str, token: &str) -> String {
    format!("{}{path}?token={token}", templates::SITE_URL)
}

/// Inside the registration: the verification e-mail for the new user.
pub async fn queue_verification(tx: &mut Tx, user: &UserRow) -> Result<(), sqlx::Error> {
    let token = issue(tx, &user.id, Purpose::VerifyEmail).await?;
    let email = templates::email_verification(
        &user.email,
        &user.display_name,
        &link("/verify-email", &token),
    );
    mail::enqueue(tx, &email).await
}

/// A step that needs a verified address (submitting for review, applying, proposing): refused
/// with EMAIL_NOT_VERIFIED, saying how to get a new link, while the user's is not.
async fn require_verified_email(db: &Db, user_id: &str, to_do: &str) -> AppResult<Outcome<()>> {
    let verified: Option<Option<String>> =
        sqlx::query_scalar("SELECT email_verified_at FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    match verified {
        None => Err(AppError::Unauthenticated),
        Some(Some(_)) => Ok(Ok(())),
        Some(None) => Ok(refuse(
            &[],
            ErrorCode::EmailNotVerified,
            format!(
                "您的邮箱尚未验证，验证后才能{to_do}：请点击注册时收到的验证邮件中的链接；\
                 如未收到或链接已过期，请在“账号设置”中点击“重新发送验证邮件”"
            ),
        )),
    }
}

/// Whether `user_id` may put something of the organization forward (submit it for review, apply
/// with it, propose a scenario): the organization verified by an admin, the user's address
/// verified by its owner. The one rule every such door calls.
pub async fn may_put_forward(
    db: &Db,
    user_id: &str,
    org_id: &str,
    to_do: &str,
) -> AppResult<Outcome<()>> {
    if let Err(errors) = crate::orgs::service::require_verified(db, org_id, to_do).await? {
        return Ok(Err(errors));
    }
    require_verified_email(db, user_id, to_do).await
}

/// Sends the signed-in user a new verification link, unless the address is verified already.
/// At most [`limits::RESENDS_PER_USER`] in a window, wherever the requests come from; the links
/// sent before keep working until they expire.
pub async fn resend_verification(db: &Db, viewer: &Viewer) -> AppResult<Outcome<()>> {
    let claims = viewer.require_signed_in()?;
    let user = super::users::find_user(db, &claims.sub)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if user.email_verified_at.is_some() {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            "您的邮箱已验证，无需重新发送",
        ));
    }
    limits::count_resend(db, &user.id).await?;
    let mut tx = db.begin().await?;
    queue_verification(&mut tx, &user).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

fn invalid_token() -> Vec<UserError> {
    vec![UserError::new(
        &["token"],
        ErrorCode::InvalidToken,
        "链接无效或已过期，请重新获取",
    )]
}

/// Confirms the address the token was sent to.
pub async fn verify_email(
    db: &Db,
    client: ClientAddr,
    token: &str,
) -> AppResult<Result<UserRow, Vec<UserError>>> {
    limits::count(db, Operation::VerifyEmail, client).await?;
    let mut tx = db.begin().await?;
    let Some(user_id) = consume(&mut tx, token, Purpose::VerifyEmail).await? else {
        return Ok(Err(invalid_token()));
    };
    let user: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2), \
         version = version + 1, updated_at = $2 WHERE id = $1 RETURNING {USER_COLUMNS}"
    )))
    .bind(&user_id)
    .bind(db::now())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Ok(user))
}

/// Sends a reset link when `email` belongs to an account. The caller answers the same either
/// way, so the answer tells nobody which addresses are registered.
pub async fn request_password_reset(db: &Db, client: ClientAddr, email: &str) -> AppResult<()> {
    limits::count(db, Operation::RequestPasswordReset, client).await?;
    let Some(email) = normalize_email(email) else {
        return Ok(());
    };
    let Some(user) = find_user_by_email(db, &email)
        .await?
        .filter(|u| u.membership() != Membership::Removed)
    else {
        return Ok(());
    };
    let mut tx = db.begin().await?;
    let token = issue(&mut tx, &user.id, Purpose::ResetPassword).await?;
    let email = templates::password_reset(
        &user.email,
        &user.display_name,
        &link("/reset-password", &token),
    );
    mail::enqueue(&mut tx, &email).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password with a reset token, ends every session of the user and voids their other
/// reset links. A reset also proves the address, so it counts as verified.
pub async fn reset_password(
    db: &Db,
    client: ClientAddr,
    token: &str,
    new_password: &str,
) -> AppResult<Result<UserRow, Vec<UserError>>> {
    limits::count(db, Operation::ResetPassword, client).await?;
    // A weak password is refused before the token is used, so the link still works.
    if let Some(reason) = password::weakness(new_password) {
        return Ok(Err(vec![UserError::new(
            &["newPassword"],
            ErrorCode::PasswordTooWeak,
            reason,
        )]));
    }
    let new_hash = password::hash(new_password.to_owned()).await?;
    let now = db::now();
    let mut tx = db.begin().await?;
    let Some(user_id) = consume(&mut tx, token, Purpose::ResetPassword).await? else {
        return Ok(Err(invalid_token()));
    };
    let user: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE users SET password_hash = $2, email_verified_at = COALESCE(email_verified_at, $3), \
         version = version + 1, updated_at = $3 WHERE id = $1 RETURNING {USER_COLUMNS}"
    )))
    .bind(&user_id)
    .bind(&new_hash)
    .bind(&now)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    super::service::end_sessions(&mut tx, &user_id, &now).await?;
    sqlx::query(
        "UPDATE account_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 \
         AND used_at IS NULL",
    )
    .bind(&user_id)
    .bind(Purpose::ResetPassword.as_str())
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(user))
}

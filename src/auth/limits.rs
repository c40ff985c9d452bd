//! Rate limits on the account operations a stranger can call, kept in the database so that every
//! instance counts the same (SECURITY.md, "Limits"):
//!
//! - per client address, at most [`PER_ADDRESS`] calls of one operation in [`WINDOW`];
//! - per address tried at sign-in, the first [`FREE_FAILURES`] wrong passwords cost nothing; after
//!   that each next try must wait twice as long as the last (1 s, 2 s, 4 s … at most
//!   [`MAX_WAIT`]). The owner is never locked out: the wait passes, and a reset always works.
//!
//! A refusal is `RATE_LIMITED` with the seconds to wait.

use chrono::{Duration, Utc};

use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
use crate::viewer::ClientAddr;

/// The window of the per-address counters.
pub const WINDOW: Duration = Duration::minutes(10);
/// Calls of one operation per client address and window: room for an office of staff behind one
/// address signing in at the start of the day, none for a guessing script.
pub const PER_ADDRESS: i64 = 100;
/// Wrong passwords for one address before sign-in slows down.
pub const FREE_FAILURES: i64 = 5;
/// The longest wait between sign-in tries.
pub const MAX_WAIT: Duration = Duration::minutes(15);

/// The operations counted per client address.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    Login,
    Register,
    RequestPasswordReset,
    ResetPassword,
    VerifyEmail,
    AcceptInvitation,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Login => "login",
            Operation::Register => "register",
            Operation::RequestPasswordReset => "request-password-reset",
            Operation::ResetPassword => "reset-password",
            Operation::VerifyEmail => "verify-email",
            Operation::AcceptInvitation => "accept-invitation",
        }
    }
}

/// Counts a call of `operation` from `client`; RATE_LIMITED when the window's budget is spent.
/// A call from inside the process (no address) is not counted.
pub async fn count(db: &Db, operation: Operation, client: ClientAddr) -> AppResult<()> {
    let Some(ip) = client.0 else {
        return Ok(());
    };
    bump(db, &format!("{}:{ip}", operation.as_str()), PER_ADDRESS).await
}

/// Verification e-mails one account may ask again for in [`WINDOW`].
pub const RESENDS_PER_USER: i64 = 3;

/// Counts a request of a new verification e-mail by the account `user_id`, wherever it comes
/// from; RATE_LIMITED after [`RESENDS_PER_USER`] in the window.
pub async fn count_resend(db: &Db, user_id: &str) -> AppResult<()> {
    bump(
        db,
        &format!("resend-verification:{user_id}"),
        RESENDS_PER_USER,
    )
    .await
}

/// Adds one to the counter `key` of the current window; RATE_LIMITED past `budget`.
async fn bump(db: &Db, key: &str, budget: i64) -> AppResult<()> {
    let now = Utc::now();
    let (hits, window_start): (i64, String) = sqlx::query_as(
        "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
         hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
         window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 \
         ELSE rate_limits.window_start END \
         RETURNING hits, window_start",
    )
    .bind(key)
    .bind(db::format_time(now))
    .bind(db::format_time(now - WINDOW))
    .fetch_one(db.pool())
    .await?;
    if hits <= budget {
        return Ok(());
    }
    let ends = db::parse_time(&window_start).map_or(now + WINDOW, |start| start + WINDOW);
    Err(rate_limited(ends - now))
}

/// Refuses a sign-in to `email` that comes too soon after its last wrong password.
pub async fn login_allowed(db: &Db, email: &str) -> AppResult<()> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT failures, last_failed_at FROM login_failures WHERE email = $1")
            .bind(email)
            .fetch_optional(db.pool())
            .await?;
    let Some((failures, last)) = row else {
        return Ok(());
    };
    let Some(wait) = wait_after(failures) else {
        return Ok(());
    };
    let now = Utc::now();
    let next = db::parse_time(&last).map_or(now, |last| last + wait);
    if next > now {
        return Err(rate_limited(next - now));
    }
    Ok(())
}

/// The wait a sign-in owes after `failures` wrong passwords in a row, if any.
pub fn wait_after(failures: i64) -> Option<Duration> {
    let over = failures - FREE_FAILURES;
    if over < 0 {
        return None;
    }
    let seconds = 1i64 << over.min(20);
    Some(Duration::seconds(seconds).min(MAX_WAIT))
}

/// Records a wrong password for `email`.
pub async fn login_failed(db: &Db, email: &str) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO login_failures (email, failures, last_failed_at) VALUES ($1, 1, $2) \
         ON CONFLICT (email) DO UPDATE SET failures = login_failures.failures + 1, \
         last_failed_at = $2",
    )
    .bind(email)
    .bind(db::now())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A right password clears the count.
pub async fn login_succeeded(db: &Db, email: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE email = $1")
        .bind(email)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// How long a run of wrong passwords is remembered after its last one.
pub const FAILURES_KEPT: Duration = Duration::days(1);

/// Forgets counters whose window has ended and runs of wrong passwords a day old, so that the
/// tables hold only what still limits someone. The background sweeper calls it; how many rows
/// went.
pub async fn sweep(db: &Db) -> AppResult<u64> {
    let now = Utc::now();
    let counters = sqlx::query("DELETE FROM rate_limits WHERE window_start <= $1")
        .bind(db::format_time(now - WINDOW))
        .execute(db.pool())
        .await?;
    let failures = sqlx::query("DELETE FROM login_failures WHERE last_failed_at <= $1")
        .bind(db::format_time(now - FAILURES_KEPT))
        .execute(db.pool())
        .await?;
    Ok(counters.rows_affected() + failures.rows_affected())
}

fn rate_limited(wait: Duration) -> AppError {
    AppError::RateLimited {
        retry_after_secs: wait.num_seconds().max(1) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_slows_down_and_never_locks_out() {
        assert_eq!(wait_after(FREE_FAILURES - 1), None);
        assert_eq!(wait_after(FREE_FAILURES), Some(Duration::seconds(1)));
        assert_eq!(wait_after(FREE_FAILURES + 3), Some(Duration::seconds(8)));
        assert_eq!(wait_after(FREE_FAILURES + 100), Some(MAX_WAIT));
    }
}

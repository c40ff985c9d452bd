//! The outbox table: leasing due e-mails, recording the outcome of each attempt, and what
//! administrators see of the failures.

use chrono::{Duration, Utc};

use crate::db::{self, Backend, Db, Sql};
use crate::pagination::PageRequest;

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// JSON of the e-mail's attachments, if it has any.
    pub attachments: Option<String>,
}

pub const COLUMNS: &str = "id, kind, recipient, subject, text_body, html_body, status, attempts, \
    next_attempt_at, last_error, created_at, sent_at, attachments";

/// How long a lease keeps other workers off a row: longer than one SMTP attempt can take.
pub const LEASE: Duration = Duration::seconds(120);

/// Leases up to `limit` due e-mails for `lease_id`. On PostgreSQL the rows are picked with
/// `FOR UPDATE SKIP LOCKED`, so that concurrent workers of several instances take disjoint rows;
/// on SQLite the single statement runs under the database's write lock.
pub async fn lease(db: &Db, lease_id: &str, limit: i64) -> Result<Vec<OutboxRow>, sqlx::Error> {
    let now = Utc::now();
    let skip_locked = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE email_outbox SET lease_id = $1, leased_until = $2 \
         WHERE status = 'PENDING' AND id IN (\
           SELECT id FROM email_outbox WHERE status = 'PENDING' AND next_attempt_at <= $3 \
           AND (leased_until IS NULL OR leased_until < $3) \
           ORDER BY next_attempt_at, id LIMIT $4{skip_locked}) \
         RETURNING {COLUMNS}"
    );
    let mut tx = db.begin().await?;
    let mut rows: Vec<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(lease_id)
        .bind(db::format_time(now + LEASE))
        .bind(db::format_time(now))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    rows.sort_by(|a, b| (&a.next_attempt_at, &a.id).cmp(&(&b.next_attempt_at, &b.id)));
    Ok(rows)
}

/// Marks a leased e-mail sent. False when the lease was lost (it expired and another worker took
/// the row), which the caller logs.
pub async fn mark_sent(db: &Db, id: &str, lease_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE email_outbox SET status = 'SENT', sent_at = $3, lease_id = NULL, \
         leased_until = NULL WHERE id = $1 AND lease_id = $2",
    )
    .bind(id)
    .bind(lease_id)
    .bind(db::now())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt: the next one after `retry_in`, or FAILED when `give_up`.
pub async fn mark_attempt_failed(
    db: &Db,
    id: &str,
    lease_id: &str,
    error: &str,
    retry_in: Duration,
    give_up: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE email_outbox SET attempts = attempts + 1, status = $3, next_attempt_at = $4, \
         last_error = $5, lease_id = NULL, leased_until = NULL WHERE id = $1 AND lease_id = $2",
    )
    .bind(id)
    .bind(lease_id)
    .bind(if give_up { "FAILED" } else { "PENDING" })
    .bind(db::format_time(Utc::now() + retry_in))
    .bind(error)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// FAILED e-mails, newest first: the rows of `page` (plus one, see [`PageRequest`]) and their
/// number.
pub async fn failed(db: &Db, page: PageRequest) -> Result<(Vec<OutboxRow>, i64), sqlx::Error> {
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM email_outbox WHERE status = 'FAILED' \
         ORDER BY created_at DESC, id DESC{}",
        page.sql_suffix()
    )))
    .fetch_all(db.pool())
    .await?;
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox WHERE status = 'FAILED'")
            .fetch_one(db.pool())
            .await?;
    Ok((rows, total))
}

/// Puts FAILED e-mails back in line with a fresh count of attempts; the ids of those it did
/// (ids that are unknown or not FAILED are left alone).
pub async fn retry(db: &Db, ids: &[String]) -> Result<Vec<String>, sqlx::Error> {
    let mut sql =
        Sql::new("UPDATE email_outbox SET status = 'PENDING', attempts = 0, next_attempt_at = ");
    sql.bind(db::now())
        .push(", last_error = NULL WHERE status = 'FAILED' AND id IN (");
    sql.bind_list(ids);
    sql.push(") RETURNING id");
    let (text, args) = sql.build();
    let mut tx = db.begin().await?;
    let retried: Vec<String> = sqlx::query_scalar_with(text, args)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(retried)
}

/// What waits in the outbox: e-mails still to be sent (and since when the oldest of them), and
/// e-mails given up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    pub pending: i64,
    pub oldest_pending: Option<String>,
    pub failed: i64,
}

/// The outbox's [`Backlog`], for the metrics: one statement over the unsent rows.
pub async fn backlog(db: &Db) -> Result<Backlog, sqlx::Error> {
    let rows: Vec<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT status, COUNT(*), MIN(created_at) FROM email_outbox \
         WHERE status IN ('PENDING', 'FAILED') GROUP BY status",
    )
    .fetch_all(db.pool())
    .await?;
    let mut backlog = Backlog::default();
    for (status, count, oldest) in rows {
        match status.as_str() {
            "PENDING" => {
                backlog.pending = count;
                backlog.oldest_pending = oldest;
            }
            _ => backlog.failed = count,
        }
    }
    Ok(backlog)
}

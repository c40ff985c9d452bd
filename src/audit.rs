//! The audit trail (SECURITY.md): every sign-in, succeeded or failed; every administrator's
//! change; every change of membership, role or organization status; with the actor, the client
//! address and user agent, the time and the target. Append-only: this module only inserts and
//! reads, and nothing else in the service touches the table. Never a password or a token.

use async_graphql::{ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};

use crate::db::{self, Db, Sql};
use crate::error::AppResult;
use crate::pagination::{PageRequest, Rows};
use crate::viewer::{ClientAddr, Viewer};

/// Where a request came from, for the trail.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub client: ClientAddr,
    /// The `User-Agent` header, cut to 200 characters.
    pub user_agent: Option<String>,
}

impl Origin {
    pub fn new(client: ClientAddr, user_agent: Option<&str>) -> Origin {
        Origin {
            client,
            user_agent: user_agent.map(|ua| ua.chars().take(200).collect()),
        }
    }
}

/// One entry to write.
pub struct Entry<'a> {
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    /// `DONE` or `REFUSED`.
    pub outcome: &'a str,
    pub detail: Option<&'a str>,
}

/// Appends an entry. The trail must not make a request fail: a write that fails is logged.
pub async fn record(db: &Db, origin: &Origin, entry: Entry<'_>) {
    let written = sqlx::query(
        "INSERT INTO audit_log (id, at, actor_id, ip, user_agent, action, target_type, \
         target_id, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(db::new_id())
    .bind(db::now())
    .bind(entry.actor_id)
    .bind(origin.client.0.map(|ip| ip.to_string()))
    .bind(origin.user_agent.as_deref())
    .bind(entry.action)
    .bind(entry.target_type)
    .bind(entry.target_id)
    .bind(entry.outcome)
    .bind(entry.detail)
    .execute(db.pool())
    .await;
    if let Err(e) = written {
        tracing::error!(error = %e, action = entry.action, "writing the audit trail failed");
    }
}

/// One entry of the trail, as admins read it.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct AuditRow {
    pub id: String,
    pub at: String,
    pub actor_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
}

/// What the trail may be narrowed to.
#[derive(InputObject, Default, Debug)]
pub struct AuditFilter {
    /// The GraphQL field or event, e.g. `login`, `suspendOrganization`.
    pub action: Option<String>,
    pub actor_id: Option<ID>,
    pub target_id: Option<ID>,
}

/// The trail, newest first: admins only.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    filter: AuditFilter,
    page: PageRequest,
) -> AppResult<Rows<AuditRow>> {
    viewer.require_admin()?;
    let conditions = |sql: &mut Sql| {
        sql.push(" WHERE 1 = 1");
        if let Some(action) = &filter.action {
            sql.push(" AND action = ").bind(action.clone());
        }
        if let Some(actor) = &filter.actor_id {
            sql.push(" AND actor_id = ").bind(actor.to_string());
        }
        if let Some(target) = &filter.target_id {
            sql.push(" AND target_id = ").bind(target.to_string());
        }
    };
    let mut count = Sql::new("SELECT COUNT(*) FROM audit_log");
    conditions(&mut count);
    let (text, args) = count.build();
    let total: i64 = sqlx::query_scalar_with(text, args)
        .fetch_one(db.pool())
        .await?;
    let mut select = Sql::new(
        "SELECT id, at, actor_id, ip, user_agent, action, target_type, target_id, outcome, \
         detail FROM audit_log",
    );
    conditions(&mut select);
    select.push(" ORDER BY at DESC, id DESC");
    select.push(&page.sql_suffix());
    let (text, args) = select.build();
    let rows = sqlx::query_as_with(text, args).fetch_all(db.pool()).await?;
    Ok(Rows::page((rows, total)))
}

/// An entry of the audit trail.
#[derive(SimpleObject)]
pub struct AuditEntry {
    pub id: ID,
    pub at: Option<DateTime<Utc>>,
    /// The user who acted; null for a failed sign-in to an unknown address.
    pub actor_id: Option<ID>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<ID>,
    /// DONE or REFUSED.
    pub outcome: String,
    pub detail: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        AuditEntry {
            id: ID(row.id),
            at: db::parse_time(&row.at),
            actor_id: row.actor_id.map(ID),
            ip: row.ip,
            user_agent: row.user_agent,
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id.map(ID),
            outcome: row.outcome,
            detail: row.detail,
        }
    }
}

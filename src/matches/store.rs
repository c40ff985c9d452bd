//! Match rows, messages and their SQL.

use super::machine::{MatchStatus, Step};
use crate::db::{self, Db, Sql, Tx};
use crate::events::{self, NewEvent};
use crate::machine::Rule;
use crate::pagination::PageRequest;

pub const AGGREGATE: &str = "MATCH";

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct MatchRow {
    pub id: String,
    pub scenario_id: String,
    pub capability_id: String,
    pub origin: String,
    pub initiator_org_id: String,
    pub initiator_id: String,
    pub status: String,
    pub live: i64,
    pub score: f64,
    pub match_degree: Option<i64>,
    pub reasons: String,
    pub pitch: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

pub const COLUMNS: &str = "id, scenario_id, capability_id, origin, initiator_org_id, \
    initiator_id, status, live, score, match_degree, reasons, pitch, version, created_at, \
    updated_at";

impl MatchRow {
    pub fn status(&self) -> MatchStatus {
        MatchStatus::parse(&self.status).unwrap_or(MatchStatus::Proposed)
    }
}

pub struct NewMatch<'a> {
    pub scenario_id: &'a str,
    pub capability_id: &'a str,
    pub origin: &'a str,
    pub initiator_org_id: &'a str,
    pub initiator_id: &'a str,
    pub score: f64,
    pub match_degree: Option<i64>,
    pub reasons: String,
    pub pitch: &'a str,
}

/// Inserts a PROPOSED match with its event, unless the pair already has a live match (`None`).
pub async fn insert(db: &Db, m: NewMatch<'_>) -> Result<Option<MatchRow>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row = insert_in(&mut tx, m).await?;
    if row.is_some() {
        tx.commit().await?;
    }
    Ok(row)
}

/// [`insert`] inside `tx` (a cascade of another event).
pub async fn insert_in(tx: &mut Tx, m: NewMatch<'_>) -> Result<Option<MatchRow>, sqlx::Error> {
    let initiator = m.initiator_id;
    create_in(tx, m, MatchStatus::Proposed, "PROPOSE", initiator, None).await
}

/// Inserts an APPROVED match (a pair that met at a matchmaking event and continues) with its
/// CONTINUE event (recorded by `actor`, the event's organiser), inside `tx`; `None` when the pair
/// already has a live match.
pub async fn insert_approved_in(
    tx: &mut Tx,
    m: NewMatch<'_>,
    actor: &str,
    note: &str,
) -> Result<Option<MatchRow>, sqlx::Error> {
    create_in(tx, m, MatchStatus::Approved, "CONTINUE", actor, Some(note)).await
}

async fn create_in(
    tx: &mut Tx,
    m: NewMatch<'_>,
    status: MatchStatus,
    action: &str,
    actor: &str,
    note: Option<&str>,
) -> Result<Option<MatchRow>, sqlx::Error> {
    let now = db::now();
    let existing: Option<String> = sqlx::query_scalar(
        "SELECT id FROM matches WHERE scenario_id = $1 AND capability_id = $2 AND live = 1",
    )
    .bind(m.scenario_id)
    .bind(m.capability_id)
    .fetch_optional(&mut **tx)
    .await?;
    if existing.is_some() {
        return Ok(None);
    }
    let inserted = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO matches (id, scenario_id, capability_id, origin, initiator_org_id, \
         initiator_id, status, live, score, match_degree, reasons, pitch, version, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $12, 1, $7, $8, $9, $10, 1, $11, $11) \
         RETURNING {COLUMNS}"
    )))
    .bind(db::new_id())
    .bind(m.scenario_id)
    .bind(m.capability_id)
    .bind(m.origin)
    .bind(m.initiator_org_id)
    .bind(m.initiator_id)
    .bind(m.score)
    .bind(m.match_degree)
    .bind(&m.reasons)
    .bind(m.pitch)
    .bind(&now)
    .bind(status.as_str())
    .fetch_one(&mut **tx)
    .await;
    let row: MatchRow = match inserted {
        Ok(row) => row,
        // Two proposals of the same pair at once: the unique index lets one through.
        Err(e)
            if e.as_database_error()
                .is_some_and(|d| d.is_unique_violation()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    events::record(
        tx,
        NewEvent {
            aggregate_type: AGGREGATE,
            aggregate_id: &row.id,
            action,
            from_status: None,
            to_status: Some(status.as_str()),
            actor_id: Some(actor),
            note,
        },
        &now,
    )
    .await?;
    Ok(Some(row))
}

pub async fn find(db: &Db, id: &str) -> Result<Option<MatchRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM matches WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

/// Takes `rule` inside the caller's transaction; `None` when the row moved on.
pub async fn transition_in(
    tx: &mut Tx,
    current: &MatchRow,
    rule: Rule<MatchStatus, Step>,
    actor_id: Option<&str>,
    note: Option<&str>,
) -> Result<Option<MatchRow>, sqlx::Error> {
    let now = db::now();
    let row: Option<MatchRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE matches SET status = $4, live = $5, version = version + 1, updated_at = $6 \
         WHERE id = $1 AND status = $2 AND version = $3 RETURNING {COLUMNS}"
    )))
    .bind(&current.id)
    .bind(rule.from.as_str())
    .bind(current.version)
    .bind(rule.to.as_str())
    .bind(i64::from(rule.to.is_live()))
    .bind(&now)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    events::record(
        tx,
        NewEvent {
            aggregate_type: AGGREGATE,
            aggregate_id: &row.id,
            action: rule.action.as_str(),
            from_status: Some(rule.from.as_str()),
            to_status: Some(rule.to.as_str()),
            actor_id,
            note,
        },
        &now,
    )
    .await?;
    Ok(Some(row))
}

/// The matches of a scenario in the given states, inside a transaction.
pub async fn of_scenario(
    tx: &mut Tx,
    scenario_id: &str,
    statuses: &[MatchStatus],
) -> Result<Vec<MatchRow>, sqlx::Error> {
    let statuses: Vec<String> = statuses.iter().map(|s| s.as_str().to_owned()).collect();
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM matches WHERE scenario_id = "
    ));
    sql.bind(scenario_id.to_owned())
        .push(" AND status IN (")
        .bind_list(&statuses)
        .push(") ORDER BY created_at");
    let (text, args) = sql.build();
    sqlx::query_as_with(text, args).fetch_all(&mut **tx).await
}

#[derive(Default, Debug, Clone)]
pub struct ListFilter {
    /// Only matches this organization is a party to (None for admins: all).
    pub party_org: Option<String>,
    pub status: Option<MatchStatus>,
    pub scenario_id: Option<String>,
    pub capability_id: Option<String>,
}

fn push_where(sql: &mut Sql, f: &ListFilter) {
    sql.push(" WHERE 1 = 1");
    if let Some(org) = &f.party_org {
        sql.push(" AND (m.initiator_org_id = ")
            .bind(org.clone())
            .push(" OR s.org_id = ")
            .bind(org.clone())
            .push(" OR c.org_id = ")
            .bind(org.clone())
            .push(")");
    }
    if let Some(status) = f.status {
        sql.push(" AND m.status = ")
            .bind(status.as_str().to_owned());
    }
    if let Some(id) = &f.scenario_id {
        sql.push(" AND m.scenario_id = ").bind(id.clone());
    }
    if let Some(id) = &f.capability_id {
        sql.push(" AND m.capability_id = ").bind(id.clone());
    }
}

const FROM: &str = " FROM matches m JOIN scenarios s ON s.id = m.scenario_id \
                    JOIN capabilities c ON c.id = m.capability_id";

pub async fn list(
    db: &Db,
    f: &ListFilter,
    page: PageRequest,
) -> Result<(Vec<MatchRow>, i64), sqlx::Error> {
    let mut count = Sql::new(&format!("SELECT COUNT(*){FROM}"));
    push_where(&mut count, f);
    let (text, args) = count.build();
    let total: i64 = sqlx::query_scalar_with(text, args)
        .fetch_one(db.pool())
        .await?;
    let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("m.{c}")).collect();
    let mut select = Sql::new(&format!("SELECT {}{FROM}", columns.join(", ")));
    push_where(&mut select, f);
    select.push(" ORDER BY m.updated_at DESC, m.id DESC");
    select.push(&page.sql_suffix());
    let (text, args) = select.build();
    let rows = sqlx::query_as_with(text, args).fetch_all(db.pool()).await?;
    Ok((rows, total))
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct MessageRow {
    pub id: String,
    pub match_id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: String,
}

pub async fn insert_message(
    db: &Db,
    match_id: &str,
    author_id: &str,
    body: &str,
) -> Result<MessageRow, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row = sqlx::query_as(
        "INSERT INTO match_messages (id, match_id, author_id, body, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id, match_id, author_id, body, created_at",
    )
    .bind(db::new_id())
    .bind(match_id)
    .bind(author_id)
    .bind(body)
    .bind(db::now())
    .fetch_one(&mut *tx)
    .await?;
    crate::notifications::on_match_message(&mut tx, match_id, author_id, body).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn messages(
    db: &Db,
    match_id: &str,
    page: PageRequest,
) -> Result<(Vec<MessageRow>, i64), sqlx::Error> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM match_messages WHERE match_id = $1")
        .bind(match_id)
        .fetch_one(db.pool())
        .await?;
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, match_id, author_id, body, created_at FROM match_messages \
         WHERE match_id = $1 ORDER BY created_at, id{}",
        page.sql_suffix()
    )))
    .bind(match_id)
    .fetch_all(db.pool())
    .await?;
    Ok((rows, total))
}

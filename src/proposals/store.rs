//! Proposal rows and their SQL. Every write is one transaction with its event.

use super::{AGGREGATE, ProposalStatus};
use crate::db::{self, Db, Sql, Tx};
use crate::events::{self, NewEvent};
use crate::pagination::PageRequest;

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ProposalRow {
    pub id: String,
    pub proposer_org_id: String,
    pub proposed_by: String,
    pub capability_id: String,
    pub title: String,
    pub problem: String,
    pub region_code: String,
    pub unit_id: Option<String>,
    pub rationale: String,
    pub status: String,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub scenario_id: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl ProposalRow {
    pub fn status(&self) -> ProposalStatus {
        ProposalStatus::parse(&self.status).unwrap_or(ProposalStatus::Open)
    }
}

const COLUMNS: &str = "id, proposer_org_id, proposed_by, capability_id, title, problem, \
    region_code, unit_id, rationale, status, decision_note, decided_by, decided_at, scenario_id, \
    version, created_at, updated_at";

/// What a new proposal says.
pub struct NewProposal<'a> {
    pub proposer_org_id: &'a str,
    pub proposed_by: &'a str,
    pub capability_id: &'a str,
    pub title: &'a str,
    pub problem: &'a str,
    pub region_code: &'a str,
    pub unit_id: Option<&'a str>,
    pub rationale: &'a str,
}

pub async fn insert(db: &Db, p: NewProposal<'_>) -> Result<ProposalRow, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let row: ProposalRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO scenario_proposals (id, proposer_org_id, proposed_by, capability_id, title, \
         problem, region_code, unit_id, rationale, status, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'OPEN', 1, $10, $10) RETURNING {COLUMNS}"
    )))
    .bind(db::new_id())
    .bind(p.proposer_org_id)
    .bind(p.proposed_by)
    .bind(p.capability_id)
    .bind(p.title)
    .bind(p.problem)
    .bind(p.region_code)
    .bind(p.unit_id)
    .bind(p.rationale)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    record(&mut tx, &row, "PROPOSE", None, p.proposed_by, None, &now).await?;
    tx.commit().await?;
    Ok(row)
}

async fn record(
    tx: &mut Tx,
    row: &ProposalRow,
    action: &str,
    from: Option<ProposalStatus>,
    actor_id: &str,
    note: Option<&str>,
    now: &str,
) -> Result<(), sqlx::Error> {
    events::record(
        tx,
        NewEvent {
            aggregate_type: AGGREGATE,
            aggregate_id: &row.id,
            action,
            from_status: from.map(ProposalStatus::as_str),
            to_status: Some(row.status().as_str()),
            actor_id: Some(actor_id),
            note,
        },
        now,
    )
    .await
}

pub async fn find(db: &Db, id: &str) -> Result<Option<ProposalRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM scenario_proposals WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

/// The proposal a scenario was adopted from, in `tx`.
pub async fn of_scenario(
    tx: &mut Tx,
    scenario_id: &str,
) -> Result<Option<ProposalRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM scenario_proposals WHERE scenario_id = $1"
    )))
    .bind(scenario_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Who may read which proposals: every one (admins), or those of an organization (as proposer or
/// addressed unit) and, for a county manager, those of their region addressed to no unit (the
/// rule of `service::can_read`, as SQL).
#[derive(Default)]
pub struct Visible {
    pub all: bool,
    pub org_id: Option<String>,
    pub county: Option<String>,
}

/// Proposals the viewer may read, newest first, in one status if asked.
pub async fn list(
    db: &Db,
    visible: &Visible,
    status: Option<ProposalStatus>,
    page: PageRequest,
) -> Result<(Vec<ProposalRow>, i64), sqlx::Error> {
    let condition = |sql: &mut Sql| {
        sql.push(" WHERE 1 = 1");
        if !visible.all {
            sql.push(" AND (1 = 0");
            if let Some(org) = &visible.org_id {
                sql.push(" OR proposer_org_id = ").bind(org.clone());
                sql.push(" OR unit_id = ").bind(org.clone());
            }
            if let Some(county) = &visible.county {
                sql.push(" OR (unit_id IS NULL AND region_code = ")
                    .bind(county.clone())
                    .push(")");
            }
            sql.push(")");
        }
        if let Some(status) = status {
            sql.push(" AND status = ").bind(status.as_str().to_owned());
        }
    };
    let mut select = Sql::new(&format!("SELECT {COLUMNS} FROM scenario_proposals"));
    condition(&mut select);
    select.push(" ORDER BY created_at DESC, id DESC");
    select.push(&page.sql_suffix());
    let count = page.count.then(|| {
        let mut count = Sql::new("SELECT COUNT(*) FROM scenario_proposals");
        condition(&mut count);
        count
    });
    db.page_and_total(select, count).await
}

/// Ends an OPEN proposal: ADOPTED into `scenario_id`, or DECLINED with the reason; with its
/// event. `None` when it changed meanwhile.
pub async fn decide(
    tx: &mut Tx,
    current: &ProposalRow,
    to: ProposalStatus,
    actor_id: &str,
    note: Option<&str>,
    scenario_id: Option<&str>,
) -> Result<Option<ProposalRow>, sqlx::Error> {
    let now = db::now();
    let row: Option<ProposalRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE scenario_proposals SET status = $3, decision_note = $4, decided_by = $5, \
         decided_at = $6, scenario_id = $7, version = version + 1, updated_at = $6 \
         WHERE id = $1 AND version = $2 AND status = 'OPEN' RETURNING {COLUMNS}"
    )))
    .bind(&current.id)
    .bind(current.version)
    .bind(to.as_str())
    .bind(note)
    .bind(actor_id)
    .bind(&now)
    .bind(scenario_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let action = match to {
        ProposalStatus::Adopted => "ADOPT",
        _ => "DECLINE",
    };
    record(
        tx,
        &row,
        action,
        Some(ProposalStatus::Open),
        actor_id,
        note,
        &now,
    )
    .await?;
    Ok(Some(row))
}

//! Scenario rows and their SQL. Every write is one transaction that also writes its event.

use chrono::NaiveDate;

use super::machine::{ScenarioStatus, Step};
use super::model::{ImportReport, SkippedRow};
use crate::db::{self, Backend, Db, Sql, Tx};
use crate::events::{self, NewEvent};
use crate::items::{self, Contact, LongText};
use crate::machine::Rule;
use crate::pagination::PageRequest;

pub const AGGREGATE: &str = "SCENARIO";
pub const CODE_PREFIX: &str = "JZ-JH";

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct ScenarioRow {
    pub id: String,
    pub code: Option<String>,
    pub org_id: String,
    pub created_by: String,
    pub title: String,
    pub summary: String,
    /// Left unread by a list whose document does not select it.
    #[sqlx(default, try_from = "String")]
    pub description: LongText,
    pub category: String,
    pub industry_codes: String,
    pub tags: String,
    pub region_code: String,
    pub budget_min: Option<i64>,
    pub budget_max: Option<i64>,
    pub cooperation_modes: String,
    pub maturity_required: Option<i64>,
    pub deadline: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub status: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    pub published_at: Option<String>,
    pub outcome_summary: Option<String>,
    pub outcome_investment: Option<i64>,
    pub completed_on: Option<String>,
    pub outcome_recorded_at: Option<String>,
    /// Who delivered the landed scenario, as they were at landing.
    pub outcome_capability_id: Option<String>,
    pub outcome_capability_code: Option<String>,
    pub outcome_capability_title: Option<String>,
    pub outcome_org_id: Option<String>,
}

/// Every column but the description, which a list reads only when asked.
macro_rules! short_columns {
    () => {
        "id, code, org_id, created_by, title, summary, category, industry_codes, tags, \
        region_code, budget_min, budget_max, cooperation_modes, maturity_required, deadline, \
        contact_name, contact_phone, contact_email, status, version, created_at, updated_at, \
        submitted_at, published_at, outcome_summary, outcome_investment, completed_on, \
        outcome_recorded_at, outcome_capability_id, outcome_capability_code, \
        outcome_capability_title, outcome_org_id"
    };
}

pub const COLUMNS: &str = concat!(short_columns!(), ", description");

impl ScenarioRow {
    pub fn status(&self) -> ScenarioStatus {
        ScenarioStatus::parse(&self.status).unwrap_or(ScenarioStatus::Discovered)
    }

    pub fn industry_codes(&self) -> Vec<String> {
        items::split_codes(&self.industry_codes)
    }

    pub fn tags(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }

    pub fn deadline(&self) -> Option<NaiveDate> {
        self.deadline.as_deref().and_then(|d| d.parse().ok())
    }

    pub fn contact(&self) -> Option<Contact> {
        Some(Contact {
            name: self.contact_name.clone()?,
            phone: self.contact_phone.clone()?,
            email: self.contact_email.clone(),
        })
    }
}

/// The owner-editable content of a scenario, validated.
#[derive(Clone, Debug)]
pub struct ScenarioContent {
    pub title: String,
    pub summary: String,
    pub description: String,
    pub category: String,
    pub industry_codes: Vec<String>,
    pub tags: Vec<String>,
    pub region_code: String,
    pub budget_min: Option<i64>,
    pub budget_max: Option<i64>,
    pub cooperation_modes: Vec<String>,
    pub maturity_required: Option<i64>,
    pub deadline: Option<NaiveDate>,
    pub contact: Option<Contact>,
}

async fn replace_industries(tx: &mut Tx, id: &str, codes: &[String]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM scenario_industries WHERE scenario_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    insert_industries(tx, id, codes).await
}

async fn insert_industries(tx: &mut Tx, id: &str, codes: &[String]) -> Result<(), sqlx::Error> {
    for code in codes {
        sqlx::query("INSERT INTO scenario_industries (scenario_id, industry_code) VALUES ($1, $2)")
            .bind(id)
            .bind(code)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn insert(
    db: &Db,
    org_id: &str,
    actor_id: &str,
    content: &ScenarioContent,
) -> Result<ScenarioRow, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row = insert_in(&mut tx, org_id, actor_id, content, None, &db::now()).await?;
    tx.commit().await?;
    Ok(row)
}

/// A new DISCOVERED scenario of `org_id` and its CREATE event (with `note`), in `tx`.
pub async fn insert_in(
    tx: &mut Tx,
    org_id: &str,
    actor_id: &str,
    content: &ScenarioContent,
    note: Option<&str>,
    now: &str,
) -> Result<ScenarioRow, sqlx::Error> {
    let id = db::new_id();
    let contact = content.contact.as_ref();
    let row: ScenarioRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO scenarios (id, org_id, created_by, title, summary, description, category, \
         industry_codes, tags, region_code, budget_min, budget_max, cooperation_modes, \
         maturity_required, deadline, contact_name, contact_phone, contact_email, status, \
         version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18, $19, 1, $20, $20) RETURNING {COLUMNS}"
    )))
    .bind(&id)
    .bind(org_id)
    .bind(actor_id)
    .bind(&content.title)
    .bind(&content.summary)
    .bind(&content.description)
    .bind(&content.category)
    .bind(items::join_codes(&content.industry_codes))
    .bind(serde_json::to_string(&content.tags).expect("tags serialize"))
    .bind(&content.region_code)
    .bind(content.budget_min)
    .bind(content.budget_max)
    .bind(content.cooperation_modes.join(","))
    .bind(content.maturity_required)
    .bind(content.deadline.map(|d| d.to_string()))
    .bind(contact.map(|c| c.name.clone()))
    .bind(contact.map(|c| c.phone.clone()))
    .bind(contact.and_then(|c| c.email.clone()))
    .bind(ScenarioStatus::Discovered.as_str())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    insert_industries(tx, &id, &content.industry_codes).await?;
    events::record(
        tx,
        NewEvent {
            aggregate_type: AGGREGATE,
            aggregate_id: &id,
            action: "CREATE",
            from_status: None,
            to_status: Some(ScenarioStatus::Discovered.as_str()),
            actor_id: Some(actor_id),
            note,
        },
        now,
    )
    .await?;
    Ok(row)
}

/// A validated row of an import: where it stood in the file, the key that recognises the
/// scenario, the note its CREATE event carries, and the content.
pub struct Imported {
    pub line: usize,
    pub key: String,
    pub note: String,
    pub content: ScenarioContent,
}

/// Writes an import in one transaction: each row whose key is not that of a scenario the unit
/// already has (`key` of its title) becomes a DISCOVERED scenario; the others are skipped.
/// Imports for one unit run one after the other (the unit's row is locked first), so that two
/// at once cannot both create the same scenario. `progress` hears how many rows of how many are written.
pub async fn import(
    db: &Db,
    org_id: &str,
    actor_id: &str,
    rows: &[Imported],
    key: fn(&str) -> String,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ImportReport, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE organizations SET id = id WHERE id = $1")
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    let existing: Vec<(String, String)> =
        sqlx::query_as("SELECT id, title FROM scenarios WHERE org_id = $1 ORDER BY created_at, id")
            .bind(org_id)
            .fetch_all(&mut *tx)
            .await?;
    let mut known: std::collections::HashMap<String, String> =
        std::collections::HashMap::with_capacity(existing.len());
    for (id, title) in existing {
        known.entry(key(&title)).or_insert(id);
    }
    let mut report = ImportReport::default();
    for (done, row) in rows.iter().enumerate() {
        match known.get(&row.key) {
            Some(id) => report.skipped.push(SkippedRow {
                line: row.line,
                scenario_id: id.clone(),
            }),
            None => {
                insert_in(
                    &mut tx,
                    org_id,
                    actor_id,
                    &row.content,
                    Some(&row.note),
                    &now,
                )
                .await?;
                report.created += 1;
            }
        }
        progress(done + 1, rows.len());
    }
    tx.commit().await?;
    Ok(report)
}

/// Replaces the content if the scenario is still at `version` and in `status`; `None` otherwise.
pub async fn update_content(
    db: &Db,
    current: &ScenarioRow,
    content: &ScenarioContent,
    actor_id: &str,
    action: &str,
) -> Result<Option<ScenarioRow>, sqlx::Error> {
    let now = db::now();
    let contact = content.contact.as_ref();
    let mut tx = db.begin().await?;
    let row: Option<ScenarioRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE scenarios SET title = $3, summary = $4, description = $5, category = $6, \
         industry_codes = $7, tags = $8, region_code = $9, budget_min = $10, budget_max = $11, \
         cooperation_modes = $12, maturity_required = $13, deadline = $14, contact_name = $15, \
         contact_phone = $16, contact_email = $17, updated_at = $18, version = version + 1 \
         WHERE id = $1 AND version = $2 AND status = $19 RETURNING {COLUMNS}"
    )))
    .bind(&current.id)
    .bind(current.version)
    .bind(&content.title)
    .bind(&content.summary)
    .bind(&content.description)
    .bind(&content.category)
    .bind(items::join_codes(&content.industry_codes))
    .bind(serde_json::to_string(&content.tags).expect("tags serialize"))
    .bind(&content.region_code)
    .bind(content.budget_min)
    .bind(content.budget_max)
    .bind(content.cooperation_modes.join(","))
    .bind(content.maturity_required)
    .bind(content.deadline.map(|d| d.to_string()))
    .bind(contact.map(|c| c.name.clone()))
    .bind(contact.map(|c| c.phone.clone()))
    .bind(contact.and_then(|c| c.email.clone()))
    .bind(&now)
    .bind(&current.status)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    if current.industry_codes != row.industry_codes {
        replace_industries(&mut tx, &row.id, &row.industry_codes()).await?;
    }
    events::record(
        &mut tx,
        NewEvent {
            aggregate_type: AGGREGATE,
            aggregate_id: &row.id,
            action,
            from_status: Some(&row.status),
            to_status: Some(&row.status),
            actor_id: Some(actor_id),
            note: None,
        },
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(row))
}

/// Takes `rule` from the scenario's current state and version, with its event, in one
/// transaction. `None` when the row moved on meanwhile (nothing is written then).
pub async fn transition(
    db: &Db,
    current: &ScenarioRow,
    rule: Rule<ScenarioStatus, Step>,
    actor_id: Option<&str>,
    note: Option<&str>,
) -> Result<Option<ScenarioRow>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row = transition_in(&mut tx, current, rule, actor_id, note).await?;
    if row.is_some() {
        tx.commit().await?;
    }
    Ok(row)
}

const TABLE: items::ItemTable = items::ItemTable {
    table: "scenarios",
    columns: COLUMNS,
    aggregate: AGGREGATE,
    code_prefix: CODE_PREFIX,
    approved_at: "published_at",
};

/// [`transition`] inside a transaction of the caller's (for cascades that change several
/// aggregates at once). `None` when the row moved on; the caller then rolls back.
pub async fn transition_in(
    tx: &mut Tx,
    current: &ScenarioRow,
    rule: Rule<ScenarioStatus, Step>,
    actor_id: Option<&str>,
    note: Option<&str>,
) -> Result<Option<ScenarioRow>, sqlx::Error> {
    let effect = match rule.action {
        Step::Submit => items::StepEffect::Submit,
        Step::Approve => items::StepEffect::Approve,
        _ => items::StepEffect::None,
    };
    items::take_step(
        tx,
        &TABLE,
        (&current.id, current.version, current.code.is_some()),
        (rule.from.as_str(), rule.action.as_str(), rule.to.as_str()),
        effect,
        actor_id,
        note,
    )
    .await
}

/// What a landed scenario achieved, as recorded by its unit.
pub struct OutcomeRecord<'a> {
    pub summary: &'a str,
    pub investment: Option<i64>,
    pub completed_on: NaiveDate,
    /// Who delivered it: the capability of the selected match, as it is at landing.
    pub partner: Option<Partner<'a>>,
}

/// The capability that delivered a scenario and its organization.
pub struct Partner<'a> {
    pub capability_id: &'a str,
    pub code: Option<&'a str>,
    pub title: &'a str,
    pub org_id: &'a str,
}

/// Records the outcome of an implemented scenario on its row (inside the landing transaction).
pub async fn set_outcome(
    tx: &mut Tx,
    id: &str,
    outcome: &OutcomeRecord<'_>,
) -> Result<(), sqlx::Error> {
    let partner = outcome.partner.as_ref();
    sqlx::query(
        "UPDATE scenarios SET outcome_summary = $2, outcome_investment = $3, completed_on = $4, \
         outcome_recorded_at = $5, outcome_capability_id = $6, outcome_capability_code = $7, \
         outcome_capability_title = $8, outcome_org_id = $9 WHERE id = $1",
    )
    .bind(id)
    .bind(outcome.summary)
    .bind(outcome.investment)
    .bind(outcome.completed_on.to_string())
    .bind(db::now())
    .bind(partner.map(|p| p.capability_id))
    .bind(partner.and_then(|p| p.code))
    .bind(partner.map(|p| p.title))
    .bind(partner.map(|p| p.org_id))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Changes the deadline or the contact of a published scenario (no review needed).
pub async fn update_published(
    db: &Db,
    current: &ScenarioRow,
    deadline: Option<NaiveDate>,
    contact: Option<&Contact>,
    actor_id: &str,
    action: &str,
    note: Option<&str>,
) -> Result<Option<ScenarioRow>, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let row: Option<ScenarioRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE scenarios SET deadline = COALESCE($3, deadline), \
         contact_name = COALESCE($4, contact_name), contact_phone = COALESCE($5, contact_phone), \
         contact_email = CASE WHEN $6 = 1 THEN $7 ELSE contact_email END, \
         updated_at = $8, version = version + 1 \
         WHERE id = $1 AND version = $2 AND status = $9 RETURNING {COLUMNS}"
    )))
    .bind(&current.id)
    .bind(current.version)
    .bind(deadline.map(|d| d.to_string()))
    .bind(contact.map(|c| c.name.clone()))
    .bind(contact.map(|c| c.phone.clone()))
    .bind(i64::from(contact.is_some()))
    .bind(contact.and_then(|c| c.email.clone()))
    .bind(&now)
    .bind(&current.status)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    events::record(
        &mut tx,
        NewEvent {
            aggregate_type: AGGREGATE,
            aggregate_id: &row.id,
            action,
            from_status: Some(&row.status),
            to_status: Some(&row.status),
            actor_id: Some(actor_id),
            note,
        },
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(row))
}

pub async fn find(db: &Db, id: &str) -> Result<Option<ScenarioRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let result = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM scenarios WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *reader)
    .await;
    reader.done(result)
}

pub async fn find_by_code(db: &Db, code: &str) -> Result<Option<ScenarioRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let result = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM scenarios WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(&mut *reader)
    .await;
    reader.done(result)
}

pub async fn find_many(db: &Db, ids: &[String]) -> Result<Vec<ScenarioRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM scenarios WHERE id IN ("));
    sql.bind_list(ids);
    sql.push(")");
    let (text, args) = sql.build();
    let mut reader = db.reader().await?;
    let result = sqlx::query_as_with(text, args)
        .fetch_all(&mut *reader)
        .await;
    reader.done(result)
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Order {
    /// Newest publication first.
    PublishedAt,
    /// Soonest deadline first.
    Deadline,
    /// Largest budget first.
    Budget,
    /// Most recently changed first (the owner's own list).
    UpdatedAt,
    /// Oldest submission first (the review queue).
    SubmittedAt,
}

/// What a list of scenarios is narrowed to; every field is optional. Codes are already expanded
/// (a cluster to its sub-industries, a group to its counties).
#[derive(Default, Debug, Clone)]
pub struct ListQuery {
    pub statuses: Vec<ScenarioStatus>,
    pub org_id: Option<String>,
    pub category: Option<String>,
    pub industry_codes: Option<Vec<String>>,
    pub region_codes: Option<Vec<String>>,
    pub budget_min: Option<i64>,
    pub budget_max: Option<i64>,
    pub maturity_at_least: Option<i64>,
    pub deadline_after: Option<NaiveDate>,
    pub ids: Option<Vec<String>>,
    /// The city's review queue: PENDING_CITY_REVIEW, and PENDING_REVIEW outside these regions
    /// (those with a county manager, whose county reviews first).
    pub awaiting_city_except: Option<Vec<String>>,
}

fn push_where(sql: &mut Sql, q: &ListQuery, backend: Backend) {
    sql.push(" WHERE 1 = 1");
    if !q.statuses.is_empty() {
        // As literals, in one order: a partial index of the public list (migration 0011) is
        // used only when the query names its statuses as the index does.
        let mut statuses: Vec<&str> = q.statuses.iter().map(|s| s.as_str()).collect();
        statuses.sort_unstable();
        statuses.dedup();
        let literals: Vec<String> = statuses.iter().map(|s| format!("'{s}'")).collect();
        sql.push(&format!(" AND status IN ({})", literals.join(", ")));
    }
    if let Some(org) = &q.org_id {
        sql.push(" AND org_id = ").bind(org.clone());
    }
    if let Some(category) = &q.category {
        sql.push(" AND category = ").bind(category.clone());
    }
    if let Some(codes) = &q.industry_codes {
        if codes.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            sql.push(
                " AND EXISTS (SELECT 1 FROM scenario_industries si \
                 WHERE si.scenario_id = scenarios.id AND si.industry_code IN (",
            )
            .bind_list(codes)
            .push("))");
        }
    }
    if let Some(managed) = &q.awaiting_city_except {
        sql.push(" AND (status = 'PENDING_CITY_REVIEW' OR (status = 'PENDING_REVIEW'");
        if !managed.is_empty() {
            sql.push(" AND region_code NOT IN (")
                .bind_list(managed)
                .push(")");
        }
        sql.push("))");
    }
    if let Some(regions) = &q.region_codes {
        if regions.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            sql.push(" AND region_code IN (")
                .bind_list(regions)
                .push(")");
        }
    }
    // Budget overlap: the scenario's range meets the asked one (open ends count as unbounded).
    if let Some(min) = q.budget_min {
        sql.push(" AND (budget_max IS NULL OR budget_max >= ")
            .bind(min)
            .push(")");
    }
    if let Some(max) = q.budget_max {
        sql.push(" AND (budget_min IS NULL OR budget_min <= ")
            .bind(max)
            .push(")");
    }
    if let Some(trl) = q.maturity_at_least {
        sql.push(" AND maturity_required >= ").bind(trl);
    }
    if let Some(date) = q.deadline_after {
        sql.push(" AND deadline > ").bind(date.to_string());
    }
    if let Some(ids) = &q.ids {
        if ids.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            sql.push(" AND id IN ").bind_set(backend, ids);
        }
    }
}

/// The ids of the rows that pass `q`, in no order.
pub async fn passing(db: &Db, q: &ListQuery) -> Result<Vec<String>, sqlx::Error> {
    let mut select = Sql::new("SELECT id FROM scenarios");
    push_where(&mut select, q, db.backend());
    let (text, args) = select.build();
    let mut reader = db.reader().await?;
    let ids = sqlx::query_scalar_with(text, args)
        .fetch_all(&mut *reader)
        .await;
    reader.done(ids)
}

pub async fn list(
    db: &Db,
    q: &ListQuery,
    order: Order,
    page: PageRequest,
) -> Result<(Vec<ScenarioRow>, i64), sqlx::Error> {
    // Counting scans every matching row: only when the total is wanted.
    let count = page.count.then(|| {
        let mut count = Sql::new("SELECT COUNT(*) FROM scenarios");
        push_where(&mut count, q, db.backend());
        count
    });

    let columns = if page.long_texts {
        COLUMNS
    } else {
        short_columns!()
    };
    let mut select = Sql::new(&format!("SELECT {columns} FROM scenarios"));
    push_where(&mut select, q, db.backend());
    select.push(match order {
        // Items never published (an admin's list of drafts) come last, on both databases.
        // Public statuses all have a publication time: the plain order, which the public
        // list's index serves (migration 0011).
        Order::PublishedAt
            if !q.statuses.is_empty() && q.statuses.iter().all(|s| s.is_public()) =>
        {
            " ORDER BY published_at DESC, id DESC"
        }
        Order::PublishedAt => {
            " ORDER BY CASE WHEN published_at IS NULL THEN 1 ELSE 0 END, published_at DESC, id DESC"
        }
        Order::Deadline => " ORDER BY CASE WHEN deadline IS NULL THEN 1 ELSE 0 END, deadline, id",
        Order::Budget => {
            " ORDER BY CASE WHEN budget_max IS NULL THEN 1 ELSE 0 END, budget_max DESC, id DESC"
        }
        Order::UpdatedAt => " ORDER BY updated_at DESC, id DESC",
        Order::SubmittedAt => " ORDER BY submitted_at, id",
    });
    select.push(&page.sql_suffix());
    db.page_and_total(select, count).await
}

/// PUBLISHED scenarios whose deadline is before `today`.
/// Open scenarios (PUBLISHED or MATCHING) first published at or after `since`, oldest first, at
/// most `limit`.
pub async fn open_published_since(
    db: &Db,
    since: &str,
    limit: i64,
) -> Result<Vec<ScenarioRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let result = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM scenarios WHERE status IN ($1, $2) AND published_at >= $3 \
         ORDER BY published_at, id LIMIT $4"
    )))
    .bind(ScenarioStatus::Published.as_str())
    .bind(ScenarioStatus::Matching.as_str())
    .bind(since)
    .bind(limit)
    .fetch_all(&mut *reader)
    .await;
    reader.done(result)
}

/// Open scenarios (PUBLISHED or MATCHING) whose deadline falls between `today` and `last`, with
/// no reminder written yet for that deadline: (id, deadline).
pub async fn due_for_reminder(
    db: &Db,
    today: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let result = sqlx::query_as(
        "SELECT s.id, s.deadline FROM scenarios s WHERE s.status IN ($1, $2) \
         AND s.deadline >= $3 AND s.deadline <= $4 AND NOT EXISTS (\
           SELECT 1 FROM deadline_reminders r WHERE r.scenario_id = s.id \
           AND r.deadline = s.deadline) \
         ORDER BY s.deadline, s.id",
    )
    .bind(ScenarioStatus::Published.as_str())
    .bind(ScenarioStatus::Matching.as_str())
    .bind(today.to_string())
    .bind(last.to_string())
    .fetch_all(&mut *reader)
    .await;
    reader.done(result)
}

/// Writes that the reminder of `deadline` went out, in the transaction that sends it; false when
/// it had been written already (another instance sent it).
pub async fn mark_reminded(
    tx: &mut Tx,
    scenario_id: &str,
    deadline: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO deadline_reminders (scenario_id, deadline, sent_at) VALUES ($1, $2, $3) \
         ON CONFLICT (scenario_id, deadline) DO NOTHING",
    )
    .bind(scenario_id)
    .bind(deadline)
    .bind(db::now())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn expired(db: &Db, today: NaiveDate) -> Result<Vec<ScenarioRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let result = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM scenarios WHERE status = $1 AND deadline < $2 ORDER BY deadline"
    )))
    .bind(ScenarioStatus::Published.as_str())
    .bind(today.to_string())
    .fetch_all(&mut *reader)
    .await;
    reader.done(result)
}

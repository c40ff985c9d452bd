//! Matchmaking events, their agenda and registrations: rows and SQL. Every change is one
//! transaction with its event in the log.

use super::{EventStatus, EventStep, RegistrationStatus, RegistrationStep};
use crate::db::{self, Db, Sql, Tx};
use crate::events::{self, NewEvent};
use crate::machine::Rule;
use crate::pagination::PageRequest;

pub const AGGREGATE: &str = "EVENT";
pub const REGISTRATION: &str = "EVENT_REGISTRATION";

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct EventRow {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub description: String,
    pub starts_at: String,
    pub ends_at: String,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub region_code: String,
    pub capacity: i64,
    pub accepted: i64,
    pub registration_deadline: String,
    pub status: String,
    pub organizer_id: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl EventRow {
    pub fn status(&self) -> EventStatus {
        EventStatus::parse(&self.status).unwrap_or(EventStatus::Draft)
    }
}

const COLUMNS: &str = "id, title, kind, description, starts_at, ends_at, place, online_url, \
    region_code, capacity, accepted, registration_deadline, status, organizer_id, version, \
    created_at, updated_at";

/// What an organiser writes of an event.
#[derive(Clone, Debug)]
pub struct EventContent {
    pub title: String,
    pub kind: String,
    pub description: String,
    pub starts_at: String,
    pub ends_at: String,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub region_code: String,
    pub capacity: i64,
    pub registration_deadline: String,
    pub agenda: Vec<String>,
}

pub async fn insert(
    db: &Db,
    c: &EventContent,
    organizer_id: &str,
) -> Result<EventRow, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let row: EventRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO matchmaking_events (id, title, kind, description, starts_at, ends_at, place, \
         online_url, region_code, capacity, registration_deadline, status, organizer_id, \
         version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         'DRAFT', $12, 1, $13, $13) RETURNING {COLUMNS}"
    )))
    .bind(db::new_id())
    .bind(&c.title)
    .bind(&c.kind)
    .bind(&c.description)
    .bind(&c.starts_at)
    .bind(&c.ends_at)
    .bind(&c.place)
    .bind(&c.online_url)
    .bind(&c.region_code)
    .bind(c.capacity)
    .bind(&c.registration_deadline)
    .bind(organizer_id)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    write_agenda(&mut tx, &row.id, &c.agenda).await?;
    record(
        &mut tx,
        AGGREGATE,
        &row.id,
        "CREATE",
        None,
        row.status.as_str(),
        Some(organizer_id),
        None,
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

async fn write_agenda(tx: &mut Tx, event_id: &str, agenda: &[String]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM event_agenda WHERE event_id = $1")
        .bind(event_id)
        .execute(&mut **tx)
        .await?;
    for (position, scenario_id) in agenda.iter().enumerate() {
        sqlx::query(
            "INSERT INTO event_agenda (event_id, scenario_id, position) VALUES ($1, $2, $3)",
        )
        .bind(event_id)
        .bind(scenario_id)
        .bind(position as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Rewrites an event's content if it is still at `current.version`; `None` when it moved on.
pub async fn update(
    db: &Db,
    current: &EventRow,
    c: &EventContent,
    actor_id: &str,
) -> Result<Option<EventRow>, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let row: Option<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE matchmaking_events SET title = $3, kind = $4, description = $5, starts_at = $6, \
         ends_at = $7, place = $8, online_url = $9, region_code = $10, capacity = $11, \
         registration_deadline = $12, version = version + 1, updated_at = $13 \
         WHERE id = $1 AND version = $2 AND accepted <= $11 RETURNING {COLUMNS}"
    )))
    .bind(&current.id)
    .bind(current.version)
    .bind(&c.title)
    .bind(&c.kind)
    .bind(&c.description)
    .bind(&c.starts_at)
    .bind(&c.ends_at)
    .bind(&c.place)
    .bind(&c.online_url)
    .bind(&c.region_code)
    .bind(c.capacity)
    .bind(&c.registration_deadline)
    .bind(&now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    write_agenda(&mut tx, &row.id, &c.agenda).await?;
    record(
        &mut tx,
        AGGREGATE,
        &row.id,
        "UPDATE",
        Some(&current.status),
        &row.status,
        Some(actor_id),
        None,
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(row))
}

/// Takes a step of the event's lifecycle if it is still where `current` saw it.
pub async fn transition(
    db: &Db,
    current: &EventRow,
    rule: Rule<EventStatus, EventStep>,
    actor_id: Option<&str>,
    note: Option<&str>,
) -> Result<Option<EventRow>, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let row: Option<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE matchmaking_events SET status = $3, version = version + 1, updated_at = $4 \
         WHERE id = $1 AND status = $2 RETURNING {COLUMNS}"
    )))
    .bind(&current.id)
    .bind(rule.from.as_str())
    .bind(rule.to.as_str())
    .bind(&now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    record(
        &mut tx,
        AGGREGATE,
        &row.id,
        rule.action.as_str(),
        Some(rule.from.as_str()),
        rule.to.as_str(),
        actor_id,
        note,
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(row))
}

#[allow(clippy::too_many_arguments)]
async fn record(
    tx: &mut Tx,
    aggregate_type: &'static str,
    id: &str,
    action: &str,
    from: Option<&str>,
    to: &str,
    actor_id: Option<&str>,
    note: Option<&str>,
    now: &str,
) -> Result<(), sqlx::Error> {
    events::record(
        tx,
        NewEvent {
            aggregate_type,
            aggregate_id: id,
            action,
            from_status: from,
            to_status: Some(to),
            actor_id,
            note,
        },
        now,
    )
    .await
}

pub async fn find(db: &Db, id: &str) -> Result<Option<EventRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM matchmaking_events WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *reader)
    .await;
    reader.done(row)
}

/// Several events by id, in no particular order.
pub async fn find_many(db: &Db, ids: &[String]) -> Result<Vec<EventRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM matchmaking_events WHERE id IN ("
    ));
    sql.bind_list(ids);
    sql.push(")");
    let (text, args) = sql.build();
    let mut reader = db.reader().await?;
    let rows = sqlx::query_as_with(text, args)
        .fetch_all(&mut *reader)
        .await;
    reader.done(rows)
}

/// Which events a list shows: public ones, and drafts of the regions the viewer organises for
/// (every region for admins).
pub struct Listing {
    pub statuses: Vec<EventStatus>,
    pub drafts_of: DraftsOf,
    pub region_codes: Option<Vec<String>>,
}

pub enum DraftsOf {
    None,
    Region(String),
    All,
}

/// Events, soonest first.
pub async fn list(
    db: &Db,
    listing: &Listing,
    page: PageRequest,
) -> Result<(Vec<EventRow>, i64), sqlx::Error> {
    let condition = |sql: &mut Sql| {
        sql.push(" WHERE 1 = 1");
        let statuses: Vec<String> = listing
            .statuses
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        let public: Vec<String> = statuses.iter().filter(|s| *s != "DRAFT").cloned().collect();
        let drafts = statuses.iter().any(|s| s == "DRAFT");
        sql.push(" AND (1 = 0");
        if !public.is_empty() {
            sql.push(" OR status IN (").bind_list(&public).push(")");
        }
        if drafts {
            match &listing.drafts_of {
                DraftsOf::None => {}
                DraftsOf::Region(region) => {
                    sql.push(" OR (status = 'DRAFT' AND region_code = ")
                        .bind(region.clone())
                        .push(")");
                }
                DraftsOf::All => {
                    sql.push(" OR status = 'DRAFT'");
                }
            }
        }
        sql.push(")");
        if let Some(regions) = &listing.region_codes {
            sql.and_in("region_code", regions);
        }
    };
    let mut select = Sql::new(&format!("SELECT {COLUMNS} FROM matchmaking_events"));
    condition(&mut select);
    select.push(" ORDER BY starts_at, id");
    select.push(&page.sql_suffix());
    let count = page.count.then(|| {
        let mut count = Sql::new("SELECT COUNT(*) FROM matchmaking_events");
        condition(&mut count);
        count
    });
    db.page_and_total(select, count).await
}

/// The scenario ids on an event's agenda, in order.
pub async fn agenda(db: &Db, event_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let ids = sqlx::query_scalar(
        "SELECT scenario_id FROM event_agenda WHERE event_id = $1 ORDER BY position",
    )
    .bind(event_id)
    .fetch_all(&mut *reader)
    .await;
    reader.done(ids)
}

/// The agendas of several events: (event id, scenario id), in order.
pub async fn agendas(db: &Db, event_ids: &[String]) -> Result<Vec<(String, String)>, sqlx::Error> {
    if event_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("SELECT event_id, scenario_id FROM event_agenda WHERE event_id IN (");
    sql.bind_list(event_ids);
    sql.push(") ORDER BY event_id, position");
    let (text, args) = sql.build();
    let mut reader = db.reader().await?;
    let rows = sqlx::query_as_with(text, args)
        .fetch_all(&mut *reader)
        .await;
    reader.done(rows)
}

/// OPEN events whose registration deadline passed at `now`.
pub async fn past_registration(db: &Db, now: &str) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM matchmaking_events WHERE status = 'OPEN' \
         AND registration_deadline < $1 ORDER BY registration_deadline, id"
    )))
    .bind(now)
    .fetch_all(&mut *reader)
    .await;
    reader.done(rows)
}

// ---- Registrations ------------------------------------------------------------------------------

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct RegistrationRow {
    pub id: String,
    pub event_id: String,
    pub org_id: String,
    pub registered_by: String,
    pub capability_id: String,
    pub scenario_ids: String,
    pub note: String,
    pub status: String,
    pub waitlisted_at: Option<String>,
    pub decision_note: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl RegistrationRow {
    pub fn status(&self) -> RegistrationStatus {
        RegistrationStatus::parse(&self.status).unwrap_or(RegistrationStatus::Pending)
    }

    pub fn scenario_ids(&self) -> Vec<String> {
        serde_json::from_str(&self.scenario_ids).unwrap_or_default()
    }
}

const REGISTRATION_COLUMNS: &str = "id, event_id, org_id, registered_by, capability_id, \
    scenario_ids, note, status, waitlisted_at, decision_note, version, created_at, updated_at";

pub struct NewRegistration<'a> {
    pub event_id: &'a str,
    pub org_id: &'a str,
    pub registered_by: &'a str,
    pub capability_id: &'a str,
    pub scenario_ids: &'a [String],
    pub note: &'a str,
}

/// Writes a PENDING registration; `None` when the organization has a live one for the event
/// (the partial unique index decides, also under concurrent requests).
pub async fn register(
    db: &Db,
    r: NewRegistration<'_>,
) -> Result<Option<RegistrationRow>, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let inserted = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO event_registrations (id, event_id, org_id, registered_by, capability_id, \
         scenario_ids, note, status, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'PENDING', 1, $8, $8) RETURNING {REGISTRATION_COLUMNS}"
    )))
    .bind(db::new_id())
    .bind(r.event_id)
    .bind(r.org_id)
    .bind(r.registered_by)
    .bind(r.capability_id)
    .bind(serde_json::to_string(r.scenario_ids).expect("ids serialize"))
    .bind(r.note)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await;
    let row: RegistrationRow = match inserted {
        Ok(row) => row,
        Err(e)
            if e.as_database_error()
                .is_some_and(|d| d.is_unique_violation()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    record(
        &mut tx,
        REGISTRATION,
        &row.id,
        RegistrationStep::Register.as_str(),
        None,
        &row.status,
        Some(r.registered_by),
        None,
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(row))
}

/// An event's accepted registrations (at most its capacity).
pub async fn accepted(db: &Db, event_id: &str) -> Result<Vec<RegistrationRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REGISTRATION_COLUMNS} FROM event_registrations \
         WHERE event_id = $1 AND status = 'ACCEPTED' ORDER BY created_at, id"
    )))
    .bind(event_id)
    .fetch_all(&mut *reader)
    .await;
    reader.done(rows)
}

pub async fn find_registration(db: &Db, id: &str) -> Result<Option<RegistrationRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REGISTRATION_COLUMNS} FROM event_registrations WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *reader)
    .await;
    reader.done(row)
}

/// Registrations, oldest first: an event's (all of them, or one organization's), or every one
/// of an organization.
pub async fn registrations(
    db: &Db,
    event_id: Option<&str>,
    org_id: Option<&str>,
    page: PageRequest,
) -> Result<(Vec<RegistrationRow>, i64), sqlx::Error> {
    let condition = |sql: &mut Sql| {
        sql.push(" WHERE 1 = 1");
        if let Some(event) = event_id {
            sql.push(" AND event_id = ").bind(event.to_owned());
        }
        if let Some(org) = org_id {
            sql.push(" AND org_id = ").bind(org.to_owned());
        }
    };
    let mut select = Sql::new(&format!(
        "SELECT {REGISTRATION_COLUMNS} FROM event_registrations"
    ));
    condition(&mut select);
    select.push(" ORDER BY created_at, id");
    select.push(&page.sql_suffix());
    let count = page.count.then(|| {
        let mut count = Sql::new("SELECT COUNT(*) FROM event_registrations");
        condition(&mut count);
        count
    });
    db.page_and_total(select, count).await
}

async fn step_registration(
    tx: &mut Tx,
    current: &RegistrationRow,
    rule: Rule<RegistrationStatus, RegistrationStep>,
    actor_id: Option<&str>,
    note: Option<&str>,
    now: &str,
) -> Result<Option<RegistrationRow>, sqlx::Error> {
    let waitlisted_at = (rule.to == RegistrationStatus::Waitlisted).then_some(now);
    let row: Option<RegistrationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE event_registrations SET status = $3, version = version + 1, updated_at = $4, \
         waitlisted_at = COALESCE($5, waitlisted_at), decision_note = COALESCE($6, decision_note) \
         WHERE id = $1 AND status = $2 RETURNING {REGISTRATION_COLUMNS}"
    )))
    .bind(&current.id)
    .bind(rule.from.as_str())
    .bind(rule.to.as_str())
    .bind(now)
    .bind(waitlisted_at)
    .bind(note)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = &row {
        record(
            tx,
            REGISTRATION,
            &row.id,
            rule.action.as_str(),
            Some(rule.from.as_str()),
            rule.to.as_str(),
            actor_id,
            note,
            now,
        )
        .await?;
    }
    Ok(row)
}

/// Takes a place of the event for an acceptance; false when it is full.
async fn take_place(tx: &mut Tx, event_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE matchmaking_events SET accepted = accepted + 1 \
         WHERE id = $1 AND accepted < capacity",
    )
    .bind(event_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The organiser accepts: ACCEPTED when a place is free, else WAITLISTED (`waitlist`'s rule).
/// `None` when the registration moved on meanwhile.
pub async fn accept(
    db: &Db,
    current: &RegistrationRow,
    accept: Rule<RegistrationStatus, RegistrationStep>,
    waitlist: Rule<RegistrationStatus, RegistrationStep>,
    actor_id: &str,
) -> Result<Option<RegistrationRow>, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let rule = if take_place(&mut tx, &current.event_id).await? {
        accept
    } else {
        waitlist
    };
    let Some(row) = step_registration(&mut tx, current, rule, Some(actor_id), None, &now).await?
    else {
        return Ok(None);
    };
    tx.commit().await?;
    Ok(Some(row))
}

/// A step that frees no place and takes none (declining).
pub async fn decide(
    db: &Db,
    current: &RegistrationRow,
    rule: Rule<RegistrationStatus, RegistrationStep>,
    actor_id: &str,
    note: Option<&str>,
) -> Result<Option<RegistrationRow>, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let Some(row) = step_registration(&mut tx, current, rule, Some(actor_id), note, &now).await?
    else {
        return Ok(None);
    };
    tx.commit().await?;
    Ok(Some(row))
}

/// Cancels a registration; an accepted one frees its place, which the longest-waiting
/// registration takes (`promote`'s rule), in the same transaction.
pub async fn cancel(
    db: &Db,
    current: &RegistrationRow,
    cancel: Rule<RegistrationStatus, RegistrationStep>,
    promote: Rule<RegistrationStatus, RegistrationStep>,
    actor_id: &str,
) -> Result<Option<RegistrationRow>, sqlx::Error> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let Some(row) = step_registration(&mut tx, current, cancel, Some(actor_id), None, &now).await?
    else {
        return Ok(None);
    };
    if cancel.from == RegistrationStatus::Accepted {
        let next: Option<RegistrationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REGISTRATION_COLUMNS} FROM event_registrations \
             WHERE event_id = $1 AND status = 'WAITLISTED' ORDER BY waitlisted_at, id LIMIT 1"
        )))
        .bind(&current.event_id)
        .fetch_optional(&mut *tx)
        .await?;
        match next {
            Some(next) => {
                step_registration(&mut tx, &next, promote, None, None, &now)
                    .await?
                    .ok_or_else(db::stale)?;
            }
            None => {
                sqlx::query("UPDATE matchmaking_events SET accepted = accepted - 1 WHERE id = $1")
                    .bind(&current.event_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(Some(row))
}

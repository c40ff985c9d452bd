//! Notification rows: who they go to, writing them, and reading a user's own.

use crate::db::{self, Db, Sql, Tx};
use crate::pagination::PageRequest;

use super::{Audience, NotificationKind};

/// What an event is about, as much as a notification needs to say.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Subject {
    pub aggregate: String,
    pub id: String,
    pub title: String,
    pub code: Option<String>,
    /// For a scenario or capability: its status now.
    pub status: Option<String>,
    /// The organization that owns it (for a match: the scenario's publisher).
    pub owner_org: String,
    /// For a match: the capability's title and organization, and who started it.
    pub other_title: Option<String>,
    pub other_org: Option<String>,
    pub initiator_org: Option<String>,
    /// For a scenario: its region (whose county managers may hear of it).
    pub region: Option<String>,
}

pub async fn subject(
    tx: &mut Tx,
    aggregate: &str,
    id: &str,
) -> Result<Option<Subject>, sqlx::Error> {
    let sql = match aggregate {
        "SCENARIO" | "CAPABILITY" => format!(
            "SELECT '{aggregate}' AS aggregate, id, title, code, status, org_id AS owner_org, \
             NULL AS other_title, NULL AS other_org, NULL AS initiator_org, {} AS region \
             FROM {} WHERE id = $1",
            if aggregate == "SCENARIO" {
                "region_code"
            } else {
                "NULL"
            },
            if aggregate == "SCENARIO" {
                "scenarios"
            } else {
                "capabilities"
            }
        ),
        "ORGANIZATION" => "SELECT 'ORGANIZATION' AS aggregate, id, name AS title, NULL AS code, \
             NULL AS status, \
             id AS owner_org, NULL AS other_title, NULL AS other_org, NULL AS initiator_org, \
             NULL AS region FROM organizations WHERE id = $1"
            .to_owned(),
        "PROPOSAL" => "SELECT 'PROPOSAL' AS aggregate, id, title, NULL AS code, status, \
             proposer_org_id AS owner_org, NULL AS other_title, unit_id AS other_org, \
             NULL AS initiator_org, region_code AS region FROM scenario_proposals WHERE id = $1"
            .to_owned(),
        "EVENT" => "SELECT 'EVENT' AS aggregate, id, title, id AS code, status, '' AS owner_org, \
             NULL AS other_title, NULL AS other_org, NULL AS initiator_org, \
             region_code AS region FROM matchmaking_events WHERE id = $1"
            .to_owned(),
        "EVENT_REGISTRATION" => "SELECT 'EVENT_REGISTRATION' AS aggregate, r.id, e.title, \
             e.id AS code, e.status, r.org_id AS owner_org, c.title AS other_title, \
             NULL AS other_org, NULL AS initiator_org, e.region_code AS region \
             FROM event_registrations r JOIN matchmaking_events e ON e.id = r.event_id \
             JOIN capabilities c ON c.id = r.capability_id WHERE r.id = $1"
            .to_owned(),
        "MATCH" => "SELECT 'MATCH' AS aggregate, m.id, s.title, NULL AS code, NULL AS status, \
             s.org_id AS owner_org, \
             c.title AS other_title, c.org_id AS other_org, m.initiator_org_id AS initiator_org, \
             NULL AS region FROM matches m JOIN scenarios s ON s.id = m.scenario_id \
             JOIN capabilities c ON c.id = m.capability_id WHERE m.id = $1"
            .to_owned(),
        _ => return Ok(None),
    };
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// A user to notify, and whether they want this kind by e-mail.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct Recipient {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub email_enabled: bool,
}

#[derive(sqlx::FromRow)]
struct RecipientRow {
    id: String,
    email: String,
    display_name: String,
    email_enabled: i64,
}

pub async fn recipients(
    tx: &mut Tx,
    audience: Audience,
    subject: &Subject,
    kind: NotificationKind,
) -> Result<Vec<Recipient>, sqlx::Error> {
    let orgs: Vec<String> = match audience {
        Audience::Owner => vec![subject.owner_org.clone()],
        Audience::Admins => vec![],
        Audience::Parties => std::iter::once(subject.owner_org.clone())
            .chain(subject.other_org.clone())
            .collect(),
        Audience::Initiator => subject.initiator_org.iter().cloned().collect(),
        Audience::CapabilityOwner => subject.other_org.iter().cloned().collect(),
        Audience::CountyManagers => vec![],
        Audience::Addressee => subject.other_org.iter().cloned().collect(),
        Audience::Organizers => vec![],
        Audience::Registrants => {
            sqlx::query_scalar(
                "SELECT DISTINCT org_id FROM event_registrations WHERE event_id = $1 \
                 AND status IN ('PENDING', 'ACCEPTED', 'WAITLISTED')",
            )
            .bind(&subject.id)
            .fetch_all(&mut **tx)
            .await?
        }
        Audience::Partners | Audience::OwnerAndPartners => {
            let mut orgs: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT c.org_id FROM matches m \
                 JOIN capabilities c ON c.id = m.capability_id \
                 WHERE m.scenario_id = $1 AND m.status IN ('PROPOSED', 'APPROVED', 'CONNECTED')",
            )
            .bind(&subject.id)
            .fetch_all(&mut **tx)
            .await?;
            if audience == Audience::OwnerAndPartners {
                orgs.push(subject.owner_org.clone());
            }
            orgs
        }
    };
    // A proposal without a unit, and an event's organisers: the region's county managers, or
    // the city's admins.
    let audience = match audience {
        Audience::Organizers => managers_or_admins(tx, subject).await?,
        Audience::Addressee if orgs.is_empty() => managers_or_admins(tx, subject).await?,
        other => other,
    };
    let mut sql = Sql::new(
        "SELECT u.id, u.email, u.display_name, COALESCE(p.enabled, 1) AS email_enabled \
         FROM users u LEFT JOIN email_preferences p ON p.user_id = u.id AND p.kind = ",
    );
    sql.bind(kind.as_str().to_owned());
    sql.push(" WHERE u.membership <> 'REMOVED'");
    if audience == Audience::Admins {
        sql.push(" AND u.role = 'ADMIN'");
    } else if audience == Audience::CountyManagers {
        let Some(region) = &subject.region else {
            return Ok(vec![]);
        };
        sql.push(" AND u.role = 'COUNTY_MANAGER' AND u.region_code = ")
            .bind(region.clone());
    } else if orgs.is_empty() {
        return Ok(vec![]);
    } else {
        sql.push(" AND u.organization_id IN (");
        sql.bind_list(&orgs);
        sql.push(")");
    }
    sql.push(" ORDER BY u.created_at, u.id");
    let (text, args) = sql.build();
    let rows: Vec<RecipientRow> = sqlx::query_as_with(text, args).fetch_all(&mut **tx).await?;
    Ok(rows
        .into_iter()
        .map(|r| Recipient {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            email_enabled: r.email_enabled != 0,
        })
        .collect())
}

/// The county managers of the subject's region where it has any in office, else the admins.
async fn managers_or_admins(tx: &mut Tx, subject: &Subject) -> Result<Audience, sqlx::Error> {
    let managers: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM users WHERE role = 'COUNTY_MANAGER' AND region_code = $1 \
         AND membership <> 'REMOVED' LIMIT 1",
    )
    .bind(&subject.region)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(if managers.is_some() {
        Audience::CountyManagers
    } else {
        Audience::Admins
    })
}

/// What a calendar entry of an event needs.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct EventCalendar {
    pub id: String,
    pub title: String,
    pub description: String,
    pub starts_at: String,
    pub ends_at: String,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub status: String,
    pub version: i64,
}

pub async fn event_calendar(
    tx: &mut Tx,
    event_id: &str,
) -> Result<Option<EventCalendar>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, title, description, starts_at, ends_at, place, online_url, status, version \
         FROM matchmaking_events WHERE id = $1",
    )
    .bind(event_id)
    .fetch_optional(&mut **tx)
    .await
}

/// Writes one notification; its id.
pub async fn insert(
    tx: &mut Tx,
    user_id: &str,
    kind: NotificationKind,
    title: &str,
    body: &str,
    subject: &Subject,
) -> Result<String, sqlx::Error> {
    let id = db::new_id();
    sqlx::query(
        "INSERT INTO notifications (id, user_id, kind, title, body, subject_type, subject_id, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(kind.as_str())
    .bind(title)
    .bind(body)
    .bind(&subject.aggregate)
    .bind(&subject.id)
    .bind(db::now())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct NotificationRow {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub subject_type: String,
    pub subject_id: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

const COLUMNS: &str =
    "id, user_id, kind, title, body, subject_type, subject_id, created_at, read_at";

/// A user's notifications, newest first: the rows of `page` (plus one) and their number.
pub async fn list(
    db: &Db,
    user_id: &str,
    unread_only: bool,
    page: PageRequest,
) -> Result<(Vec<NotificationRow>, i64), sqlx::Error> {
    let unread = if unread_only {
        " AND read_at IS NULL"
    } else {
        ""
    };
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notifications WHERE user_id = $1{unread} \
         ORDER BY created_at DESC, id DESC{}",
        page.sql_suffix()
    )))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    let total = count(db, user_id, unread_only).await?;
    Ok((rows, total))
}

pub async fn count(db: &Db, user_id: &str, unread_only: bool) -> Result<i64, sqlx::Error> {
    let unread = if unread_only {
        " AND read_at IS NULL"
    } else {
        ""
    };
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1{unread}"
    )))
    .bind(user_id)
    .fetch_one(db.pool())
    .await
}

/// One notification, if it belongs to `user_id`.
pub async fn find_own(
    db: &Db,
    user_id: &str,
    id: &str,
) -> Result<Option<NotificationRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notifications WHERE id = $1 AND user_id = $2"
    )))
    .bind(id)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await
}

/// Marks the user's own unread notifications read (the given ones, or all); how many changed.
pub async fn mark_read(db: &Db, user_id: &str, ids: Option<&[String]>) -> Result<u64, sqlx::Error> {
    let mut sql = Sql::new("UPDATE notifications SET read_at = ");
    sql.bind(db::now())
        .push(" WHERE read_at IS NULL AND user_id = ")
        .bind(user_id.to_owned());
    if let Some(ids) = ids {
        sql.push(" AND id IN (");
        sql.bind_list(ids);
        sql.push(")");
    }
    let (text, args) = sql.build();
    let mut tx = db.begin().await?;
    let done = sqlx::query_with(text, args).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// The kinds a user turned off for e-mail.
pub async fn email_disabled(db: &Db, user_id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT kind FROM email_preferences WHERE user_id = $1 AND enabled = 0")
        .bind(user_id)
        .fetch_all(db.pool())
        .await
}

/// Sets a user's e-mail preferences, kind by kind, in one transaction.
pub async fn set_email_preferences(
    db: &Db,
    user_id: &str,
    settings: &[(NotificationKind, bool)],
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    for (kind, enabled) in settings {
        sqlx::query(
            "INSERT INTO email_preferences (user_id, kind, enabled) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, kind) DO UPDATE SET enabled = excluded.enabled",
        )
        .bind(user_id)
        .bind(kind.as_str())
        .bind(i64::from(*enabled))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

//! Capability rows and their SQL. Every write is one transaction that also writes its event.

use async_graphql::SimpleObject;
use serde::{Deserialize, Serialize};

use super::machine::{CapabilityStatus, Step};
use crate::db::{self, Backend, Db, Sql, Tx};
use crate::events::{self, NewEvent};
use crate::items::{self, Contact, LongText};
use crate::machine::Rule;
use crate::pagination::PageRequest;

pub const AGGREGATE: &str = "CAPABILITY";
pub const CODE_PREFIX: &str = "JZ-NL";

/// A deployment already delivered (落地案例).
#[derive(SimpleObject, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeliveredCase {
    pub title: String,
    /// 客户单位
    pub client: String,
    pub year: i32,
    pub summary: String,
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct CapabilityRow {
    pub id: String,
    pub code: Option<String>,
    pub org_id: String,
    pub created_by: String,
    pub title: String,
    pub summary: String,
    /// Left unread by a list whose document does not select it.
    #[sqlx(default, try_from = "String")]
    pub description: LongText,
    pub industry_codes: String,
    pub tags: String,
    pub maturity: i64,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub service_region_codes: String,
    pub cases: String,
    pub certifications: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub status: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    pub listed_at: Option<String>,
}

/// Every column but the description, which a list reads only when asked.
macro_rules! short_columns {
    () => {
        "id, code, org_id, created_by, title, summary, industry_codes, tags, maturity, \
        price_min, price_max, service_region_codes, cases, certifications, contact_name, \
        contact_phone, contact_email, status, version, created_at, updated_at, submitted_at, \
        listed_at"
    };
}

pub const COLUMNS: &str = concat!(short_columns!(), ", description");

impl CapabilityRow {
    pub fn status(&self) -> CapabilityStatus {
        CapabilityStatus::parse(&self.status).unwrap_or(CapabilityStatus::Draft)
    }
    pub fn industry_codes(&self) -> Vec<String> {
        items::split_codes(&self.industry_codes)
    }
    pub fn service_region_codes(&self) -> Vec<String> {
        items::split_codes(&self.service_region_codes)
    }
    pub fn tags(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }
    pub fn cases(&self) -> Vec<DeliveredCase> {
        serde_json::from_str(&self.cases).unwrap_or_default()
    }
    pub fn certifications(&self) -> Vec<String> {
        serde_json::from_str(&self.certifications).unwrap_or_default()
    }
    pub fn contact(&self) -> Option<Contact> {
        Some(Contact {
            name: self.contact_name.clone()?,
            phone: self.contact_phone.clone()?,
            email: self.contact_email.clone(),
        })
    }
}

/// The owner-editable content of a capability, validated.
#[derive(Clone, Debug)]
pub struct CapabilityContent {
    pub title: String,
    pub summary: String,
    pub description: String,
    pub industry_codes: Vec<String>,
    pub tags: Vec<String>,
    pub maturity: i64,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub service_region_codes: Vec<String>,
    pub cases: Vec<DeliveredCase>,
    pub certifications: Vec<String>,
    pub contact: Option<Contact>,
}

async fn replace_links(
    tx: &mut Tx,
    id: &str,
    content: &CapabilityContent,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM capability_industries WHERE capability_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM capability_regions WHERE capability_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for code in &content.industry_codes {
        sqlx::query(
            "INSERT INTO capability_industries (capability_id, industry_code) VALUES ($1, $2)",
        )
        .bind(id)
        .bind(code)
        .execute(&mut **tx)
        .await?;
    }
    for code in &content.service_region_codes {
        sqlx::query("INSERT INTO capability_regions (capability_id, region_code) VALUES ($1, $2)")
            .bind(id)
            .bind(code)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("list serializes")
}

pub async fn insert(
    db: &Db,
    org_id: &str,
    actor_id: &str,
    content: &CapabilityContent,
) -> Result<CapabilityRow, sqlx::Error> {
    let now = db::now();
    let id = db::new_id();
    let contact = content.contact.as_ref();
    let mut tx = db.begin().await?;
    let row: CapabilityRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO capabilities (id, org_id, created_by, title, summary, description, \
         industry_codes, tags, maturity, price_min, price_max, service_region_codes, cases, \
         certifications, contact_name, contact_phone, contact_email, status, version, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
         $16, $17, $18, 1, $19, $19) RETURNING {COLUMNS}"
    )))
    .bind(&id)
    .bind(org_id)
    .bind(actor_id)
    .bind(&content.title)
    .bind(&content.summary)
    .bind(&content.description)
    .bind(items::join_codes(&content.industry_codes))
    .bind(json(&content.tags))
    .bind(content.maturity)
    .bind(content.price_min)
    .bind(content.price_max)
    .bind(items::join_codes(&content.service_region_codes))
    .bind(json(&content.cases))
    .bind(json(&content.certifications))
    .bind(contact.map(|c| c.name.clone()))
    .bind(contact.map(|c| c.phone.clone()))
    .bind(contact.and_then(|c| c.email.clone()))
    .bind(CapabilityStatus::Draft.as_str())
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    replace_links(&mut tx, &id, content).await?;
    events::record(
        &mut tx,
        NewEvent {
            aggregate_type: AGGREGATE,
            aggregate_id: &id,
            action: "CREATE",
            from_status: None,
            to_status: Some(CapabilityStatus::Draft.as_str()),
            actor_id: Some(actor_id),
            note: None,
        },
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Replaces the content if the row is still at its version and status, moving it to `to` (a
/// listed capability goes back to review). `None` when it changed meanwhile.
pub async fn update_content(
    db: &Db,
    current: &CapabilityRow,
    content: &CapabilityContent,
    to: CapabilityStatus,
    actor_id: &str,
) -> Result<Option<CapabilityRow>, sqlx::Error> {
    let now = db::now();
    let contact = content.contact.as_ref();
    let mut tx = db.begin().await?;
    let row: Option<CapabilityRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE capabilities SET title = $3, summary = $4, description = $5, industry_codes = $6, \
         tags = $7, maturity = $8, price_min = $9, price_max = $10, service_region_codes = $11, \
         cases = $12, certifications = $13, contact_name = $14, contact_phone = $15, \
         contact_email = $16, status = $17, updated_at = $18, version = version + 1, \
         submitted_at = CASE WHEN $17 = 'PENDING_REVIEW' THEN $18 ELSE submitted_at END \
         WHERE id = $1 AND version = $2 AND status = $19 RETURNING {COLUMNS}"
    )))
    .bind(&current.id)
    .bind(current.version)
    .bind(&content.title)
    .bind(&content.summary)
    .bind(&content.description)
    .bind(items::join_codes(&content.industry_codes))
    .bind(json(&content.tags))
    .bind(content.maturity)
    .bind(content.price_min)
    .bind(content.price_max)
    .bind(items::join_codes(&content.service_region_codes))
    .bind(json(&content.cases))
    .bind(json(&content.certifications))
    .bind(contact.map(|c| c.name.clone()))
    .bind(contact.map(|c| c.phone.clone()))
    .bind(contact.and_then(|c| c.email.clone()))
    .bind(to.as_str())
    .bind(&now)
    .bind(&current.status)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    replace_links(&mut tx, &row.id, content).await?;
    events::record(
        &mut tx,
        NewEvent {
            aggregate_type: AGGREGATE,
            aggregate_id: &row.id,
            action: "EDIT",
            from_status: Some(&current.status),
            to_status: Some(to.as_str()),
            actor_id: Some(actor_id),
            note: None,
        },
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(row))
}

/// Takes `rule` from the capability's current state and version, with its event, in one
/// transaction; approval assigns the public code the first time. `None` when the row moved on.
pub async fn transition(
    db: &Db,
    current: &CapabilityRow,
    rule: Rule<CapabilityStatus, Step>,
    actor_id: Option<&str>,
    note: Option<&str>,
) -> Result<Option<CapabilityRow>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row = transition_in(&mut tx, current, rule, actor_id, note).await?;
    if row.is_some() {
        tx.commit().await?;
    }
    Ok(row)
}

const TABLE: items::ItemTable = items::ItemTable {
    table: "capabilities",
    columns: COLUMNS,
    aggregate: AGGREGATE,
    code_prefix: CODE_PREFIX,
    approved_at: "listed_at",
};

/// [`transition`] inside a transaction of the caller's.
pub async fn transition_in(
    tx: &mut Tx,
    current: &CapabilityRow,
    rule: Rule<CapabilityStatus, Step>,
    actor_id: Option<&str>,
    note: Option<&str>,
) -> Result<Option<CapabilityRow>, sqlx::Error> {
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

pub async fn find(db: &Db, id: &str) -> Result<Option<CapabilityRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let result = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM capabilities WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *reader)
    .await;
    reader.done(result)
}

pub async fn find_by_code(db: &Db, code: &str) -> Result<Option<CapabilityRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let result = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM capabilities WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(&mut *reader)
    .await;
    reader.done(result)
}

pub async fn find_many(db: &Db, ids: &[String]) -> Result<Vec<CapabilityRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM capabilities WHERE id IN ("));
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
    /// Newest listing first.
    ListedAt,
    /// Most mature first.
    Maturity,
    /// Lowest price first.
    Price,
    UpdatedAt,
    SubmittedAt,
}

/// What a list of capabilities is narrowed to; codes are already expanded.
#[derive(Default, Debug, Clone)]
pub struct ListQuery {
    pub statuses: Vec<CapabilityStatus>,
    pub org_id: Option<String>,
    pub industry_codes: Option<Vec<String>>,
    /// Capabilities serving any of these regions (the whole city serves all).
    pub region_codes: Option<Vec<String>>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub maturity_at_least: Option<i64>,
    pub ids: Option<Vec<String>>,
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
    if let Some(codes) = &q.industry_codes {
        if codes.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            sql.push(
                " AND EXISTS (SELECT 1 FROM capability_industries ci \
                 WHERE ci.capability_id = capabilities.id AND ci.industry_code IN (",
            )
            .bind_list(codes)
            .push("))");
        }
    }
    if let Some(regions) = &q.region_codes {
        let mut regions = regions.clone();
        regions.push(crate::taxonomy::CITY_REGION.to_owned());
        sql.push(
            " AND EXISTS (SELECT 1 FROM capability_regions cr \
             WHERE cr.capability_id = capabilities.id AND cr.region_code IN (",
        )
        .bind_list(&regions)
        .push("))");
    }
    if let Some(min) = q.price_min {
        sql.push(" AND (price_max IS NULL OR price_max >= ")
            .bind(min)
            .push(")");
    }
    if let Some(max) = q.price_max {
        sql.push(" AND (price_min IS NULL OR price_min <= ")
            .bind(max)
            .push(")");
    }
    if let Some(trl) = q.maturity_at_least {
        sql.push(" AND maturity >= ").bind(trl);
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
    let mut select = Sql::new("SELECT id FROM capabilities");
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
) -> Result<(Vec<CapabilityRow>, i64), sqlx::Error> {
    // Counting scans every matching row: only when the total is wanted.
    let count = page.count.then(|| {
        let mut count = Sql::new("SELECT COUNT(*) FROM capabilities");
        push_where(&mut count, q, db.backend());
        count
    });

    let columns = if page.long_texts {
        COLUMNS
    } else {
        short_columns!()
    };
    let mut select = Sql::new(&format!("SELECT {columns} FROM capabilities"));
    push_where(&mut select, q, db.backend());
    select.push(match order {
        // Public statuses all have a listing time: the plain order, which the public list's
        // index serves (migration 0011).
        Order::ListedAt if !q.statuses.is_empty() && q.statuses.iter().all(|s| s.is_public()) => {
            " ORDER BY listed_at DESC, id DESC"
        }
        // Items never listed (an admin's list of drafts) come last, on both databases.
        Order::ListedAt => {
            " ORDER BY CASE WHEN listed_at IS NULL THEN 1 ELSE 0 END, listed_at DESC, id DESC"
        }
        Order::Maturity => " ORDER BY maturity DESC, listed_at DESC, id DESC",
        Order::Price => " ORDER BY CASE WHEN price_min IS NULL THEN 1 ELSE 0 END, price_min, id",
        Order::UpdatedAt => " ORDER BY updated_at DESC, id DESC",
        Order::SubmittedAt => " ORDER BY submitted_at, id",
    });
    select.push(&page.sql_suffix());
    db.page_and_total(select, count).await
}

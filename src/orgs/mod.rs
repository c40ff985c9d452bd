//! Organizations: government units, enterprises, research institutes and the platform operator.
//! Ownership of every list item is by organization. An organization is PENDING until an admin
//! verifies it.

pub mod credit_code;
pub mod graphql;
mod loader;
pub mod service;

use async_graphql::Enum;

use crate::db::{self, Db, Sql, Tx};
use crate::events::{self, NewEvent};
use crate::machine::{self, By, Rule};
use crate::pagination::PageRequest;
use crate::taxonomy::CITY_REGION;

pub use graphql::{OrgMutation, OrgQuery, Organization, OrganizationFilter};
pub use loader::OrganizationLoader;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrganizationKind {
    /// 政府单位：县区政府、委办局、开发区
    Government,
    /// 企业
    Enterprise,
    /// 科研院所、高校
    Research,
    /// 平台运营方（市场景促进中心）
    Operator,
}

impl OrganizationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationKind::Government => "GOVERNMENT",
            OrganizationKind::Enterprise => "ENTERPRISE",
            OrganizationKind::Research => "RESEARCH",
            OrganizationKind::Operator => "OPERATOR",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "GOVERNMENT" => Some(OrganizationKind::Government),
            "ENTERPRISE" => Some(OrganizationKind::Enterprise),
            "RESEARCH" => Some(OrganizationKind::Research),
            "OPERATOR" => Some(OrganizationKind::Operator),
            _ => None,
        }
    }

    /// Enterprises and research institutes must give a unified social credit code.
    pub fn requires_credit_code(self) -> bool {
        matches!(
            self,
            OrganizationKind::Enterprise | OrganizationKind::Research
        )
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrganizationStatus {
    /// Registered, waiting for an admin to verify it: may write drafts, not submit or apply.
    Pending,
    Verified,
    /// The registration was refused, with a reason its members were told: may sign in and
    /// read, not act. An admin may still verify it later.
    Rejected,
    /// Suspended by an admin, with a reason its members were told: may sign in and read, not
    /// act; its published items stay as they are, its capabilities leave the recommendations.
    Suspended,
}

impl OrganizationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationStatus::Pending => "PENDING",
            OrganizationStatus::Verified => "VERIFIED",
            OrganizationStatus::Rejected => "REJECTED",
            OrganizationStatus::Suspended => "SUSPENDED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PENDING" => Some(OrganizationStatus::Pending),
            "VERIFIED" => Some(OrganizationStatus::Verified),
            "REJECTED" => Some(OrganizationStatus::Rejected),
            "SUSPENDED" => Some(OrganizationStatus::Suspended),
            _ => None,
        }
    }
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct OrganizationRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub credit_code: Option<String>,
    pub region_code: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub verified_at: Option<String>,
    pub status_reason: Option<String>,
}

impl OrganizationRow {
    pub fn kind(&self) -> OrganizationKind {
        OrganizationKind::parse(&self.kind).unwrap_or(OrganizationKind::Enterprise)
    }

    pub fn status(&self) -> OrganizationStatus {
        OrganizationStatus::parse(&self.status).unwrap_or(OrganizationStatus::Pending)
    }
}

const COLUMNS: &str = "id, name, kind, status, credit_code, region_code, version, created_at, \
                       updated_at, verified_at, status_reason";

pub const OPERATOR_NAME: &str = "晋中市场景创新促进中心";

pub struct NewOrganization<'a> {
    pub name: &'a str,
    pub kind: OrganizationKind,
    pub status: OrganizationStatus,
    pub credit_code: Option<&'a str>,
    pub region_code: &'a str,
}

pub async fn insert(tx: &mut Tx, org: NewOrganization<'_>) -> Result<OrganizationRow, sqlx::Error> {
    let now = db::now();
    let verified_at = (org.status == OrganizationStatus::Verified).then(|| now.clone());
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO organizations (id, name, kind, status, credit_code, region_code, version, \
         created_at, updated_at, verified_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8) \
         RETURNING {COLUMNS}"
    )))
    .bind(db::new_id())
    .bind(org.name)
    .bind(org.kind.as_str())
    .bind(org.status.as_str())
    .bind(org.credit_code)
    .bind(org.region_code)
    .bind(&now)
    .bind(verified_at)
    .fetch_one(&mut **tx)
    .await
}

/// The operator organization admins belong to, created on first use.
pub async fn ensure_operator(tx: &mut Tx) -> Result<OrganizationRow, sqlx::Error> {
    let existing: Option<OrganizationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM organizations WHERE kind = 'OPERATOR' ORDER BY created_at LIMIT 1"
    )))
    .fetch_optional(&mut **tx)
    .await?;
    match existing {
        Some(org) => Ok(org),
        None => {
            insert(
                tx,
                NewOrganization {
                    name: OPERATOR_NAME,
                    kind: OrganizationKind::Operator,
                    status: OrganizationStatus::Verified,
                    credit_code: None,
                    region_code: CITY_REGION,
                },
            )
            .await
        }
    }
}

/// The operator organization (the admins' and county managers'), once an admin exists.
pub async fn operator(db: &Db) -> Result<Option<OrganizationRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM organizations WHERE kind = 'OPERATOR' ORDER BY created_at LIMIT 1"
    )))
    .fetch_optional(db.pool())
    .await
}

pub async fn find(db: &Db, id: &str) -> Result<Option<OrganizationRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let result = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM organizations WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *reader)
    .await;
    reader.done(result)
}

/// The organization with this id or unified social credit code (the command line names one
/// either way).
pub async fn find_by_key(db: &Db, key: &str) -> Result<Option<OrganizationRow>, sqlx::Error> {
    let key = key.trim();
    let code = credit_code::normalize(key).unwrap_or_default();
    let mut reader = db.reader().await?;
    let result = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM organizations WHERE id = $1 OR credit_code = $2"
    )))
    .bind(key)
    .bind(code)
    .fetch_optional(&mut *reader)
    .await;
    reader.done(result)
}

pub async fn find_many(db: &Db, ids: &[String]) -> Result<Vec<OrganizationRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM organizations WHERE id IN ("
    ));
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(id.clone());
    }
    sql.push(")");
    let (text, args) = sql.build();
    let mut reader = db.reader().await?;
    let result = sqlx::query_as_with(text, args)
        .fetch_all(&mut *reader)
        .await;
    reader.done(result)
}

/// What a list of organizations may be narrowed to. `visible_to_org` restricts non-admins to
/// public (verified or suspended) organizations plus their own.
#[derive(Default, Debug, Clone)]
pub struct ListFilter {
    pub kind: Option<OrganizationKind>,
    pub status: Option<OrganizationStatus>,
    pub region_code: Option<String>,
    pub name_contains: Option<String>,
    pub visible_to_org: Option<Option<String>>,
}

fn push_where(sql: &mut Sql, filter: &ListFilter) {
    sql.push(" WHERE kind <> 'OPERATOR'");
    if let Some(kind) = filter.kind {
        sql.push(" AND kind = ").bind(kind.as_str().to_owned());
    }
    if let Some(status) = filter.status {
        sql.push(" AND status = ").bind(status.as_str().to_owned());
    }
    if let Some(region) = &filter.region_code {
        sql.push(" AND region_code = ").bind(region.clone());
    }
    if let Some(text) = &filter.name_contains {
        // LOWER on both sides: SQLite's LIKE ignores ASCII case and PostgreSQL's does not.
        sql.push(" AND LOWER(name) LIKE ")
            .bind(format!("%{}%", escape_like(&text.to_lowercase())));
        sql.push(" ESCAPE '\\'");
    }
    if let Some(own) = &filter.visible_to_org {
        sql.push(" AND (status IN ('VERIFIED', 'SUSPENDED')");
        if let Some(own) = own {
            sql.push(" OR id = ").bind(own.clone());
        }
        sql.push(")");
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub async fn list(
    db: &Db,
    filter: &ListFilter,
    page: PageRequest,
) -> Result<(Vec<OrganizationRow>, i64), sqlx::Error> {
    let mut count = Sql::new("SELECT COUNT(*) FROM organizations");
    push_where(&mut count, filter);
    let (text, args) = count.build();
    let mut reader = db.reader().await?;
    let total = sqlx::query_scalar_with(text, args)
        .fetch_one(&mut *reader)
        .await;
    let total: i64 = reader.done(total)?;

    let mut select = Sql::new(&format!("SELECT {COLUMNS} FROM organizations"));
    push_where(&mut select, filter);
    select.push(" ORDER BY created_at DESC, id DESC");
    select.push(&page.sql_suffix());
    let (text, args) = select.build();
    let mut reader = db.reader().await?;
    let rows = sqlx::query_as_with(text, args)
        .fetch_all(&mut *reader)
        .await;
    let rows = reader.done(rows)?;
    Ok((rows, total))
}

/// What an admin does to an organization after it registered.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrganizationAction {
    /// Confirms it is who it says it is.
    Verify,
    /// Refuses the registration, with a reason.
    Reject,
    /// Stops a verified organization from acting, with a reason.
    Suspend,
    /// Lifts a suspension.
    Reinstate,
}

impl OrganizationAction {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationAction::Verify => "VERIFY",
            OrganizationAction::Reject => "REJECT",
            OrganizationAction::Suspend => "SUSPEND",
            OrganizationAction::Reinstate => "REINSTATE",
        }
    }

    /// Whether the step must say why (its members are told).
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            OrganizationAction::Reject | OrganizationAction::Suspend
        )
    }
}

/// The organization lifecycle as data: every step is an admin's.
pub const RULES: &[Rule<OrganizationStatus, OrganizationAction>] = {
    use OrganizationAction as A;
    use OrganizationStatus as S;
    const fn admin(from: S, action: A, to: S) -> Rule<OrganizationStatus, OrganizationAction> {
        Rule {
            from,
            action,
            by: By::Admin,
            to,
        }
    }
    &[
        admin(S::Pending, A::Verify, S::Verified),
        admin(S::Rejected, A::Verify, S::Verified),
        admin(S::Pending, A::Reject, S::Rejected),
        admin(S::Verified, A::Suspend, S::Suspended),
        admin(S::Suspended, A::Reinstate, S::Verified),
    ]
};

pub enum StepOutcome {
    Done(Box<OrganizationRow>),
    NotFound,
    /// No rule takes the action from the organization's current status.
    NotAllowed(OrganizationStatus),
}

/// Takes an admin step on an organization, with its event (and so its notifications), in one
/// transaction. The reason, when given, is kept on the organization until the next step.
pub async fn step(
    db: &Db,
    id: &str,
    action: OrganizationAction,
    actor_id: &str,
    reason: Option<&str>,
) -> Result<StepOutcome, sqlx::Error> {
    let mut tx = db.begin().await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(from) = status.as_deref().and_then(OrganizationStatus::parse) else {
        return Ok(StepOutcome::NotFound);
    };
    let Some(rule) = machine::lookup(RULES, from, action) else {
        return Ok(StepOutcome::NotAllowed(from));
    };
    let now = db::now();
    let kept_reason = action.needs_reason().then_some(reason).flatten();
    let verified_at = (rule.to == OrganizationStatus::Verified).then(|| now.clone());
    let updated: Option<OrganizationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE organizations SET status = $3, status_reason = $4, \
         verified_at = COALESCE($5, verified_at), updated_at = $6, version = version + 1 \
         WHERE id = $1 AND status = $2 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(from.as_str())
    .bind(rule.to.as_str())
    .bind(kept_reason)
    .bind(verified_at)
    .bind(&now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(org) = updated else {
        // Someone else moved it between the read and the write.
        return Err(db::stale());
    };
    events::record(
        &mut tx,
        NewEvent {
            aggregate_type: "ORGANIZATION",
            aggregate_id: &org.id,
            action: action.as_str(),
            from_status: Some(from.as_str()),
            to_status: Some(rule.to.as_str()),
            actor_id: Some(actor_id),
            note: reason,
        },
        &now,
    )
    .await?;
    tx.commit().await?;
    Ok(StepOutcome::Done(Box::new(org)))
}

pub struct OrganizationChanges {
    pub name: Option<String>,
    pub region_code: Option<String>,
}

/// Applies `changes` if the row is still at `expected_version`; `None` when it is not (or gone).
pub async fn update(
    db: &Db,
    id: &str,
    expected_version: i64,
    changes: &OrganizationChanges,
) -> Result<Option<OrganizationRow>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row: Option<OrganizationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE organizations SET name = COALESCE($3, name), \
         region_code = COALESCE($4, region_code), updated_at = $5, version = version + 1 \
         WHERE id = $1 AND version = $2 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(expected_version)
    .bind(changes.name.as_deref())
    .bind(changes.region_code.as_deref())
    .bind(db::now())
    .fetch_optional(&mut *tx)
    .await?;
    if row.is_some() {
        crate::notifications::feed::announce_change(&mut tx, "ORGANIZATION", id).await?;
    }
    tx.commit().await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(escape_like("晋中"), "晋中");
    }
}

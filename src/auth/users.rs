//! User rows and their SQL, and the canonical form of an e-mail address.

use async_graphql::Enum;

use super::Role;
use crate::db::{self, Db, Sql, Tx};

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: String,
    pub organization_id: String,
    pub email_verified_at: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub membership: String,
    pub joined_via: String,
    pub removed_at: Option<String>,
    /// Of a county manager: the region they look after.
    pub region_code: Option<String>,
}

impl UserRow {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Enterprise)
    }

    pub fn membership(&self) -> Membership {
        Membership::parse(&self.membership).unwrap_or(Membership::Removed)
    }

    pub fn joined_via(&self) -> JoinedVia {
        JoinedVia::parse(&self.joined_via).unwrap_or(JoinedVia::Registration)
    }
}

/// A user's place in their organization. Each organization has exactly one manager while it
/// has members.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Membership {
    /// 单位管理员: invites and removes colleagues and hands the role on.
    Manager,
    Member,
    /// Removed by the manager or an admin: cannot sign in; kept for the history that names them.
    Removed,
}

impl Membership {
    pub fn as_str(self) -> &'static str {
        match self {
            Membership::Manager => "MANAGER",
            Membership::Member => "MEMBER",
            Membership::Removed => "REMOVED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "MANAGER" => Some(Membership::Manager),
            "MEMBER" => Some(Membership::Member),
            "REMOVED" => Some(Membership::Removed),
            _ => None,
        }
    }
}

/// How a user came into their organization.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum JoinedVia {
    /// Registered the organization.
    Registration,
    /// Accepted an invitation from a manager.
    Invitation,
    /// Created on the command line (administrators, demo data).
    CommandLine,
}

impl JoinedVia {
    pub fn as_str(self) -> &'static str {
        match self {
            JoinedVia::Registration => "REGISTRATION",
            JoinedVia::Invitation => "INVITATION",
            JoinedVia::CommandLine => "COMMAND_LINE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "REGISTRATION" => Some(JoinedVia::Registration),
            "INVITATION" => Some(JoinedVia::Invitation),
            "COMMAND_LINE" => Some(JoinedVia::CommandLine),
            _ => None,
        }
    }
}

pub const USER_COLUMNS: &str = "id, email, password_hash, display_name, role, organization_id, \
                            email_verified_at, version, created_at, membership, joined_via, \
                            removed_at, region_code";

pub async fn find_user(db: &Db, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let result = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *reader)
    .await;
    reader.done(result)
}

pub async fn find_users(db: &Db, ids: &[String]) -> Result<Vec<UserRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("SELECT {USER_COLUMNS} FROM users WHERE id IN ("));
    sql.bind_list(ids);
    sql.push(")");
    let (text, args) = sql.build();
    let mut reader = db.reader().await?;
    let result = sqlx::query_as_with(text, args)
        .fetch_all(&mut *reader)
        .await;
    reader.done(result)
}

pub async fn find_user_by_email(db: &Db, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let mut reader = db.reader().await?;
    let result = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    )))
    .bind(email)
    .fetch_optional(&mut *reader)
    .await;
    reader.done(result)
}

/// Who a new user is. The first member of an organization becomes its manager.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub organization_id: &'a str,
    pub joined_via: JoinedVia,
    /// The address is known to be the user's (an invitation link was followed, or whoever
    /// created the account vouches for it); otherwise its owner verifies it by e-mail.
    pub email_verified: bool,
    /// Of a county manager: the region they look after.
    pub region_code: Option<&'a str>,
}

pub async fn insert_user(tx: &mut Tx, user: NewUser<'_>) -> Result<UserRow, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO users (id, email, password_hash, display_name, role, organization_id, \
         version, created_at, updated_at, joined_via, email_verified_at, region_code, membership) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8, $9, $10, \
         CASE WHEN $5 = 'COUNTY_MANAGER' OR EXISTS (SELECT 1 FROM users \
         WHERE organization_id = $6 AND membership = 'MANAGER') THEN 'MEMBER' ELSE 'MANAGER' END) \
         RETURNING {USER_COLUMNS}"
    )))
    .bind(db::new_id())
    .bind(user.email)
    .bind(user.password_hash)
    .bind(user.display_name)
    .bind(user.role.as_str())
    .bind(user.organization_id)
    .bind(db::now())
    .bind(user.joined_via.as_str())
    .bind(user.email_verified.then(db::now))
    .bind(user.region_code)
    .fetch_one(&mut **tx)
    .await
}

/// The canonical form of an e-mail address (trimmed, lower case) if it has a plausible form.
pub fn normalize_email(input: &str) -> Option<String> {
    let email = input.trim().to_lowercase();
    if email.len() > 254 {
        return None;
    }
    let (local, domain) = email.split_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"@<>()[],;:\"\\".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    (local_ok && domain_ok).then_some(email)
}

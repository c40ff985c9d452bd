//! User rows and their SQL, and the canonical form of an e-mail address.

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
}

impl UserRow {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Enterprise)
    }
}

pub const USER_COLUMNS: &str = "id, email, password_hash, display_name, role, organization_id, \
                            email_verified_at, version, created_at";

pub async fn find_user(db: &Db, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

pub async fn find_users(db: &Db, ids: &[String]) -> Result<Vec<UserRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(&format!("SELECT {USER_COLUMNS} FROM users WHERE id IN ("));
    sql.bind_list(ids);
    sql.push(")");
    let (text, args) = sql.build();
    sqlx::query_as_with(text, args).fetch_all(db.pool()).await
}

pub async fn find_user_by_email(db: &Db, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    )))
    .bind(email)
    .fetch_optional(db.pool())
    .await
}

pub async fn insert_user(
    tx: &mut Tx,
    email: &str,
    password_hash: &str,
    display_name: &str,
    role: Role,
    organization_id: &str,
) -> Result<UserRow, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO users (id, email, password_hash, display_name, role, organization_id, \
         version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) \
         RETURNING {USER_COLUMNS}"
    )))
    .bind(db::new_id())
    .bind(email)
    .bind(password_hash)
    .bind(display_name)
    .bind(role.as_str())
    .bind(organization_id)
    .bind(db::now())
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

//! Invitations to join an organization. A manager (or an admin) invites a colleague by e-mail;
//! the e-mail carries a single-use link to the account page `/accept-invitation`, valid for seven
//! days, where the colleague chooses a name and password. The token is stored only as its SHA-256
//! hash. A new invitation to the same address replaces the open one; accepting proves the address.

use async_graphql::Enum;
use chrono::{Duration, Utc};

use super::members::{self, require_manager};
use super::password;
use super::tokens;
use super::users::{
    JoinedVia, Membership, NewUser, USER_COLUMNS, UserRow, find_user_by_email, insert_user,
    normalize_email,
};
use crate::audit::Origin;
use crate::db::{self, Db, Sql};
use crate::error::{AppError, AppResult, ErrorCode, Outcome, UserError, Validator, refuse};
use crate::mail::{self, templates};
use crate::orgs::{self, OrganizationKind, OrganizationRow};
use crate::pagination::{PageRequest, Rows};
use crate::viewer::{Role, Viewer};

/// How long an invitation link works.
pub const LIFETIME: Duration = Duration::days(7);

/// The most invitations one organization may have open at a time.
pub const MAX_OPEN: i64 = 20;

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct InvitationRow {
    pub id: String,
    pub organization_id: String,
    pub email: String,
    pub invited_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub accepted_at: Option<String>,
    pub accepted_user_id: Option<String>,
    pub revoked_at: Option<String>,
    /// An appointment of a county manager: the region they will look after.
    pub region_code: Option<String>,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum InvitationStatus {
    /// Sent, not yet used; the link works until it expires.
    Open,
    Accepted,
    /// Withdrawn by a manager or an admin, or replaced by a newer invitation.
    Revoked,
    Expired,
}

impl InvitationRow {
    pub fn status(&self) -> InvitationStatus {
        if self.accepted_at.is_some() {
            InvitationStatus::Accepted
        } else if self.revoked_at.is_some() {
            InvitationStatus::Revoked
        } else if self.expires_at <= db::now() {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Open
        }
    }
}

const COLUMNS: &str = "id, organization_id, email, invited_by, created_at, expires_at, \
                       accepted_at, accepted_user_id, revoked_at, region_code";

/// Invites `email` into the organization (the viewer's own unless an admin names one), replacing
/// an open invitation to the same address, and queues the e-mail with the link.
pub async fn invite(
    db: &Db,
    viewer: &Viewer,
    organization_id: Option<&str>,
    email: &str,
) -> AppResult<Outcome<InvitationRow>> {
    let claims = viewer.require_user()?;
    let org_id = match organization_id {
        Some(id) => id.to_owned(),
        None if viewer.is_admin() => {
            return Ok(refuse(
                &["organizationId"],
                ErrorCode::Required,
                "请选择要邀请成员加入的单位",
            ));
        }
        None => claims.org.clone(),
    };
    let org = orgs::find(db, &org_id)
        .await?
        .filter(|org| orgs::service::can_see(viewer, org))
        .ok_or(AppError::NotFound)?;
    let claims = require_manager(db, viewer, &org.id).await?;
    if org.kind() == OrganizationKind::Operator {
        return Err(AppError::NotYours(
            "平台管理员账号由命令行 create-admin 创建，不能通过邀请加入",
        ));
    }
    let Some(email) = normalize_email(email) else {
        let message = if email.trim().is_empty() {
            "请填写受邀人的邮箱"
        } else {
            "邮箱格式不正确"
        };
        return Ok(refuse(&["email"], ErrorCode::Invalid, message));
    };
    if let Some(existing) = find_user_by_email(db, &email).await? {
        let rejoining =
            existing.organization_id == org.id && existing.membership() == Membership::Removed;
        if !rejoining {
            let message = if existing.organization_id == org.id {
                "该邮箱已是本单位成员"
            } else {
                "该邮箱已注册平台账号，一个邮箱只能属于一个单位"
            };
            return Ok(refuse(&["email"], ErrorCode::Duplicate, message));
        }
    }
    send(db, &org, &email, &claims.sub, None).await
}

/// Whom an invitation appoints a county manager of: the region's code and name.
pub struct Appointment<'a> {
    pub region_code: &'a str,
    pub region_name: &'a str,
}

/// Writes the invitation of `email` (normalized, checked) into `org` from `inviter_id`,
/// replacing an open one to the same address, and queues its e-mail: one transaction.
pub(super) async fn send(
    db: &Db,
    org: &OrganizationRow,
    email: &str,
    inviter_id: &str,
    appointment: Option<Appointment<'_>>,
) -> AppResult<Outcome<InvitationRow>> {
    let now = Utc::now();
    let now_text = db::format_time(now);
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE invitations SET revoked_at = $3 WHERE organization_id = $1 AND email = $2 \
         AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(&org.id)
    .bind(email)
    .bind(&now_text)
    .execute(&mut *tx)
    .await?;
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invitations WHERE organization_id = $1 AND accepted_at IS NULL \
         AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(&org.id)
    .bind(&now_text)
    .fetch_one(&mut *tx)
    .await?;
    if open >= MAX_OPEN {
        return Ok(refuse(
            &["email"],
            ErrorCode::LimitReached,
            format!("本单位已有{MAX_OPEN}份未接受的邀请，请等待接受或撤回部分邀请后再试"),
        ));
    }
    let token = tokens::random_token(32);
    let row: InvitationRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO invitations (id, organization_id, email, invited_by, token_hash, \
         created_at, expires_at, role, region_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING {COLUMNS}"
    )))
    .bind(db::new_id())
    .bind(&org.id)
    .bind(email)
    .bind(inviter_id)
    .bind(tokens::token_hash(&token))
    .bind(&now_text)
    .bind(db::format_time(now + LIFETIME))
    .bind(appointment.as_ref().map(|_| Role::CountyManager.as_str()))
    .bind(appointment.as_ref().map(|a| a.region_code))
    .fetch_one(&mut *tx)
    .await?;
    let inviter: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(inviter_id)
        .fetch_one(&mut *tx)
        .await?;
    let link = format!("{}/accept-invitation?token={token}", templates::SITE_URL);
    let email = match &appointment {
        Some(a) => templates::county_manager_appointment(email, a.region_name, &inviter, &link),
        None => templates::invitation(email, &org.name, &inviter, &link),
    };
    mail::enqueue(&mut tx, &email).await?;
    tx.commit().await?;
    Ok(Ok(row))
}

/// Withdraws an open invitation: its link stops working.
pub async fn revoke(db: &Db, viewer: &Viewer, id: &str) -> AppResult<Outcome<InvitationRow>> {
    viewer.require_user()?;
    let row = find(db, id).await?.ok_or(AppError::NotFound)?;
    if !viewer.is_admin() && viewer.org_id() != Some(row.organization_id.as_str()) {
        return Err(AppError::NotFound);
    }
    require_manager(db, viewer, &row.organization_id).await?;
    if row.status() != InvitationStatus::Open {
        return Ok(refuse(
            &["id"],
            ErrorCode::InvalidTransition,
            "该邀请已被接受、撤回或已过期，无需撤回",
        ));
    }
    let mut tx = db.begin().await?;
    let revoked: InvitationRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE invitations SET revoked_at = $2 WHERE id = $1 AND accepted_at IS NULL \
         AND revoked_at IS NULL RETURNING {COLUMNS}"
    )))
    .bind(&row.id)
    .bind(db::now())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::Conflict)?;
    tx.commit().await?;
    Ok(Ok(revoked))
}

/// The invitations of an organization, newest first: for its manager and admins.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    org_id: &str,
    page: PageRequest,
) -> AppResult<Rows<InvitationRow>> {
    let claims = viewer.require_signed_in()?;
    let refusal = "只有本单位管理员和平台管理员可以查看邀请";
    let org = super::members::insiders_only(db, viewer, org_id, refusal).await?;
    if !viewer.is_admin() {
        let me = super::users::find_user(db, &claims.sub)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if me.membership() != Membership::Manager {
            return Err(AppError::NotYours(refusal));
        }
    }
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM invitations WHERE organization_id = $1")
            .bind(&org.id)
            .fetch_one(db.pool())
            .await?;
    let mut select = Sql::new(&format!(
        "SELECT {COLUMNS} FROM invitations WHERE organization_id = "
    ));
    select.bind(org.id.clone());
    select.push(" ORDER BY created_at DESC, id DESC");
    select.push(&page.sql_suffix());
    let (text, args) = select.build();
    let rows = sqlx::query_as_with(text, args).fetch_all(db.pool()).await?;
    Ok(Rows::page((rows, total)))
}

async fn find(db: &Db, id: &str) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invitations WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

/// An open invitation and the organization it is to, for the page that accepts it.
pub struct Pending {
    pub email: String,
    pub organization: OrganizationRow,
    /// Of an appointment of a county manager: the name of the region.
    pub county: Option<String>,
}

/// What an unused, unexpired token invites to, without using it up.
pub async fn describe(db: &Db, token: &str) -> AppResult<Option<Pending>> {
    let row: Option<InvitationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invitations WHERE token_hash = $1 AND accepted_at IS NULL \
         AND revoked_at IS NULL AND expires_at > $2"
    )))
    .bind(tokens::token_hash(token))
    .bind(db::now())
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let organization = orgs::find(db, &row.organization_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let county: Option<String> = match &row.region_code {
        Some(code) => {
            sqlx::query_scalar("SELECT name FROM regions WHERE code = $1")
                .bind(code)
                .fetch_optional(db.pool())
                .await?
        }
        None => None,
    };
    Ok(Some(Pending {
        email: row.email,
        organization,
        county,
    }))
}

fn invalid_token() -> Vec<UserError> {
    vec![UserError::new(
        &["token"],
        ErrorCode::InvalidToken,
        "邀请链接无效、已被使用或已过期，请联系单位管理员重新邀请",
    )]
}

/// Uses an invitation: creates the colleague's account in the organization (or lets a removed
/// member back in), with the address counted as verified. Name and password are checked before
/// the token is used, so a refused attempt leaves the link working.
pub async fn accept(
    db: &Db,
    origin: &Origin,
    token: &str,
    display_name: &str,
    new_password: &str,
) -> AppResult<Outcome<UserRow>> {
    super::limits::count(
        db,
        super::limits::Operation::AcceptInvitation,
        origin.client,
    )
    .await?;
    let mut v = Validator::default();
    v.text(&["displayName"], "姓名", display_name, 40);
    if let Some(reason) = password::weakness(new_password) {
        v.push(&["password"], ErrorCode::PasswordTooWeak, reason);
    }
    if let Err(errors) = v.finish() {
        return Ok(Err(errors));
    }
    let password_hash = password::hash(new_password.to_owned()).await?;
    let now = db::now();
    let mut tx = db.begin().await?;
    let used: Option<InvitationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE invitations SET accepted_at = $2 WHERE token_hash = $1 AND accepted_at IS NULL \
         AND revoked_at IS NULL AND expires_at > $2 RETURNING {COLUMNS}"
    )))
    .bind(tokens::token_hash(token))
    .bind(&now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(invitation) = used else {
        return Ok(Err(invalid_token()));
    };
    let org_kind: String = sqlx::query_scalar("SELECT kind FROM organizations WHERE id = $1")
        .bind(&invitation.organization_id)
        .fetch_one(&mut *tx)
        .await?;
    let role = match (&invitation.region_code, OrganizationKind::parse(&org_kind)) {
        (Some(_), _) => Role::CountyManager,
        (None, Some(OrganizationKind::Government)) => Role::Government,
        (None, _) => Role::Enterprise,
    };
    let existing: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    )))
    .bind(&invitation.email)
    .fetch_optional(&mut *tx)
    .await?;
    let user: UserRow = match existing {
        Some(user)
            if user.organization_id == invitation.organization_id
                && user.membership() == Membership::Removed =>
        {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "UPDATE users SET membership = 'MEMBER', removed_at = NULL, password_hash = $2, \
                 display_name = $3, email_verified_at = COALESCE(email_verified_at, $4), \
                 role = $5, region_code = $6, \
                 updated_at = $4, version = version + 1 WHERE id = $1 RETURNING {USER_COLUMNS}"
            )))
            .bind(&user.id)
            .bind(&password_hash)
            .bind(display_name.trim())
            .bind(&now)
            .bind(role.as_str())
            .bind(&invitation.region_code)
            .fetch_one(&mut *tx)
            .await?
        }
        Some(_) => {
            return Ok(refuse(
                &["token"],
                ErrorCode::Duplicate,
                "该邮箱已注册平台账号，请直接登录",
            ));
        }
        None => {
            insert_user(
                &mut tx,
                NewUser {
                    email: &invitation.email,
                    password_hash: &password_hash,
                    display_name: display_name.trim(),
                    role,
                    organization_id: &invitation.organization_id,
                    joined_via: JoinedVia::Invitation,
                    email_verified: true,
                    region_code: invitation.region_code.as_deref(),
                },
            )
            .await?
        }
    };
    sqlx::query("UPDATE invitations SET accepted_user_id = $2 WHERE id = $1")
        .bind(&invitation.id)
        .bind(&user.id)
        .execute(&mut *tx)
        .await?;
    members::record(&mut tx, &user, "JOIN", &user.id, &now).await?;
    tx.commit().await?;
    let entry = crate::audit::Entry {
        actor_id: Some(&user.id),
        action: "acceptInvitation",
        target_type: Some("ORGANIZATION"),
        target_id: Some(&user.organization_id),
        outcome: "DONE",
        detail: Some(&invitation.id),
    };
    crate::audit::record(db, origin, entry).await;
    Ok(Ok(user))
}

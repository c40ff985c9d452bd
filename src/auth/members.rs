//! The people of an organization: its first user is its manager (单位管理员), who invites
//! colleagues ([`super::invitations`]), hands the role on and removes members. A removed member
//! can no longer sign in, and their sessions end at once. Admins may do all of this for any
//! organization, and see removed members and who registered the organization.

use super::users::{Membership, USER_COLUMNS, UserRow, find_user};
use crate::db::{self, Db, Sql, Tx};
use crate::error::{AppError, AppResult, ErrorCode, Outcome, refuse};
use crate::events::{self, NewEvent};
use crate::orgs;
use crate::pagination::{PageRequest, Rows};
use crate::viewer::{Claims, Viewer};

/// Who may manage the members of `org_id`: its manager, or an admin. The manager must be able to
/// act (an organization that is suspended cannot change its members).
pub async fn require_manager<'a>(
    db: &Db,
    viewer: &'a Viewer,
    org_id: &str,
) -> AppResult<&'a Claims> {
    let claims = viewer.require_user()?;
    if viewer.is_admin() {
        return Ok(claims);
    }
    if claims.org != org_id {
        return Err(AppError::Forbidden);
    }
    let me = find_user(db, &claims.sub)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    if me.membership() != Membership::Manager {
        return Err(AppError::NotYours(
            "只有本单位管理员可以邀请、移除成员或转交管理员",
        ));
    }
    Ok(claims)
}

/// The organization `org_id`, for its own members and admins. Anyone else is refused with
/// `refusal` (FORBIDDEN) when they may see the organization, and told it does not exist when they
/// may not.
pub(super) async fn insiders_only(
    db: &Db,
    viewer: &Viewer,
    org_id: &str,
    refusal: &'static str,
) -> AppResult<orgs::OrganizationRow> {
    let claims = viewer.require_signed_in()?;
    let org = orgs::find(db, org_id).await?.ok_or(AppError::NotFound)?;
    if viewer.is_admin() || claims.org == org.id {
        Ok(org)
    } else if orgs::service::can_see(viewer, &org) {
        Err(AppError::NotYours(refusal))
    } else {
        Err(AppError::NotFound)
    }
}

/// The members of an organization, the manager first, then by joining date: for its own
/// members and admins. Only admins may ask for removed members too.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    org_id: &str,
    include_removed: bool,
    page: PageRequest,
) -> AppResult<Rows<UserRow>> {
    let org = insiders_only(
        db,
        viewer,
        org_id,
        "只有本单位成员和平台管理员可以查看成员名单",
    )
    .await?;
    if include_removed && !viewer.is_admin() {
        return Err(AppError::NotYours("只有平台管理员可以查看已移除的成员"));
    }
    let removed = if include_removed {
        ""
    } else {
        " AND membership <> 'REMOVED'"
    };
    let mut count = Sql::new("SELECT COUNT(*) FROM users WHERE organization_id = ");
    count.bind(org.id.clone()).push(removed);
    let (text, args) = count.build();
    let total: i64 = sqlx::query_scalar_with(text, args)
        .fetch_one(db.pool())
        .await?;
    let mut select = Sql::new(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE organization_id = "
    ));
    select.bind(org.id.clone()).push(removed);
    select.push(
        " ORDER BY CASE membership WHEN 'MANAGER' THEN 0 WHEN 'MEMBER' THEN 1 ELSE 2 END, \
         created_at, id",
    );
    select.push(&page.sql_suffix());
    let (text, args) = select.build();
    let rows = sqlx::query_as_with(text, args).fetch_all(db.pool()).await?;
    Ok(Rows::page((rows, total)))
}

/// A member of the organization `org_id`, or NOT_FOUND (a user of another organization is not
/// the manager's to see).
async fn member_of(db: &Db, viewer: &Viewer, user_id: &str) -> AppResult<UserRow> {
    let user = find_user(db, user_id).await?.ok_or(AppError::NotFound)?;
    if !viewer.is_admin() && viewer.org_id() != Some(user.organization_id.as_str()) {
        return Err(AppError::NotFound);
    }
    Ok(user)
}

/// The member a manager (or an admin) acts on, who must be a plain MEMBER: the refusal says what
/// is wrong when it is the manager (`if_manager`) or a removed member (`if_removed`).
async fn plain_member<'a>(
    db: &Db,
    viewer: &'a Viewer,
    user_id: &str,
    if_manager: &str,
    if_removed: &str,
) -> AppResult<Outcome<(UserRow, &'a Claims)>> {
    viewer.require_user()?;
    let target = member_of(db, viewer, user_id).await?;
    let claims = require_manager(db, viewer, &target.organization_id).await?;
    let refusal = match target.membership() {
        Membership::Member => return Ok(Ok((target, claims))),
        Membership::Manager => if_manager,
        Membership::Removed => if_removed,
    };
    Ok(refuse(&["userId"], ErrorCode::InvalidTransition, refusal))
}

/// Makes `user_id` the manager of their organization; the current manager stays as a member.
pub async fn change_manager(
    db: &Db,
    viewer: &Viewer,
    user_id: &str,
) -> AppResult<Outcome<UserRow>> {
    let (target, claims) = match plain_member(
        db,
        viewer,
        user_id,
        "该成员已是本单位管理员",
        "该成员已被移除，请先重新邀请",
    )
    .await?
    {
        Ok(found) => found,
        Err(errors) => return Ok(Err(errors)),
    };
    let now = db::now();
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE users SET membership = 'MEMBER', updated_at = $2, version = version + 1 \
         WHERE organization_id = $1 AND membership = 'MANAGER'",
    )
    .bind(&target.organization_id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    let promoted: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE users SET membership = 'MANAGER', updated_at = $3, version = version + 1 \
         WHERE id = $1 AND version = $2 AND membership = 'MEMBER' RETURNING {USER_COLUMNS}"
    )))
    .bind(&target.id)
    .bind(target.version)
    .bind(&now)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::Conflict)?;
    record(&mut tx, &promoted, "CHANGE_MANAGER", &claims.sub, &now).await?;
    tx.commit().await?;
    Ok(Ok(promoted))
}

/// Removes a member: they can no longer sign in, their sessions and e-mailed links end at once,
/// and what they wrote stays with the organization. The manager cannot be removed before the
/// role is handed on.
pub async fn remove(db: &Db, viewer: &Viewer, user_id: &str) -> AppResult<Outcome<UserRow>> {
    let (target, claims) = match plain_member(
        db,
        viewer,
        user_id,
        "不能移除单位管理员，请先将管理员转交给其他成员",
        "该成员已被移除",
    )
    .await?
    {
        Ok(found) => found,
        Err(errors) => return Ok(Err(errors)),
    };
    let removed = end_membership(db, &target, "REMOVE_MEMBER", &claims.sub).await?;
    Ok(Ok(removed))
}

/// Removes `target` (as read, at its version) in one transaction: the membership ends, every
/// session and e-mailed link of theirs with it, and the organization's history records
/// `action` by `actor_id`. CONFLICT when the user changed meanwhile.
pub(super) async fn end_membership(
    db: &Db,
    target: &UserRow,
    action: &str,
    actor_id: &str,
) -> AppResult<UserRow> {
    let now = db::now();
    let mut tx = db.begin().await?;
    let removed: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE users SET membership = 'REMOVED', removed_at = $3, updated_at = $3, \
         version = version + 1 WHERE id = $1 AND version = $2 AND membership <> 'REMOVED' \
         RETURNING {USER_COLUMNS}"
    )))
    .bind(&target.id)
    .bind(target.version)
    .bind(&now)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::Conflict)?;
    end_access(&mut tx, &removed.id, &now).await?;
    record(&mut tx, &removed, action, actor_id, &now).await?;
    tx.commit().await?;
    Ok(removed)
}

/// Ends every session of a user and voids their unused e-mailed links.
async fn end_access(tx: &mut Tx, user_id: &str, now: &str) -> Result<(), sqlx::Error> {
    super::service::end_sessions(tx, user_id, now).await?;
    sqlx::query("UPDATE account_tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A membership change in the organization's history; the note names the member.
pub async fn record(
    tx: &mut Tx,
    member: &UserRow,
    action: &str,
    actor_id: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    events::record(
        tx,
        NewEvent {
            aggregate_type: "ORGANIZATION",
            aggregate_id: &member.organization_id,
            action,
            from_status: None,
            to_status: None,
            actor_id: Some(actor_id),
            note: Some(&member.display_name),
        },
        now,
    )
    .await
}

//! County scenario managers (县级场景经理人, README "County managers"): members of the operator
//! with the role COUNTY_MANAGER, each looking after the scenarios of one region (a county or
//! district, or 140700 for the city-level units). City admins appoint them by e-mail (the link
//! of an invitation sets up the account) or with `create-admin --region`, and remove them; a
//! removal ends their sessions at once.

use super::invitations::{self, Appointment, InvitationRow};
use super::members;
use super::users::{Membership, USER_COLUMNS, UserRow, find_user, find_user_by_email};
use crate::db::{Db, Sql};
use crate::error::{AppError, AppResult, ErrorCode, Outcome, refuse};
use crate::orgs;
use crate::pagination::{PageRequest, Rows};
use crate::taxonomy::Taxonomy;
use crate::viewer::{Role, Viewer};

/// Admin: appoints `email` manager of `region_code`: an invitation into the operator whose link
/// creates the manager's account.
pub async fn appoint(
    db: &Db,
    taxonomy: &Taxonomy,
    viewer: &Viewer,
    email: &str,
    region_code: &str,
) -> AppResult<Outcome<InvitationRow>> {
    let admin = viewer.require_admin()?;
    let Some(region) = taxonomy.region(region_code.trim()) else {
        return Ok(refuse(
            &["regionCode"],
            ErrorCode::UnknownRegion,
            "所在地区不存在",
        ));
    };
    let Some(email) = super::users::normalize_email(email) else {
        return Ok(refuse(&["email"], ErrorCode::Invalid, "邮箱格式不正确"));
    };
    let operator = orgs::operator(db).await?.ok_or(AppError::NotFound)?;
    if let Some(existing) = find_user_by_email(db, &email).await? {
        let rejoining =
            existing.organization_id == operator.id && existing.membership() == Membership::Removed;
        if !rejoining {
            return Ok(refuse(
                &["email"],
                ErrorCode::Duplicate,
                "该邮箱已注册平台账号，一个邮箱只能有一个身份；请使用其他邮箱",
            ));
        }
    }
    let appointment = Appointment {
        region_code: &region.code,
        region_name: &region.name,
    };
    invitations::send(db, &operator, &email, &admin.sub, Some(appointment)).await
}

/// Admin: ends a county manager's appointment: the account is removed and its sessions end.
pub async fn remove(db: &Db, viewer: &Viewer, user_id: &str) -> AppResult<Outcome<UserRow>> {
    let admin = viewer.require_admin()?;
    let target = find_user(db, user_id)
        .await?
        .filter(|u| u.role() == Role::CountyManager)
        .ok_or(AppError::NotFound)?;
    if target.membership() == Membership::Removed {
        return Ok(refuse(
            &["userId"],
            ErrorCode::InvalidTransition,
            "该场景经理人已被免去",
        ));
    }
    let removed = members::end_membership(db, &target, "REMOVE_COUNTY_MANAGER", &admin.sub).await?;
    Ok(Ok(removed))
}

/// Admin: the county managers in office (of one region if asked), by region, then by name.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    region_code: Option<&str>,
    page: PageRequest,
) -> AppResult<Rows<UserRow>> {
    viewer.require_admin()?;
    let mut sql = Sql::new(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE membership <> 'REMOVED' AND role = "
    ));
    sql.bind(Role::CountyManager.as_str().to_owned());
    let mut count =
        Sql::new("SELECT COUNT(*) FROM users WHERE membership <> 'REMOVED' AND role = ");
    count.bind(Role::CountyManager.as_str().to_owned());
    if let Some(region) = region_code {
        sql.push(" AND region_code = ").bind(region.to_owned());
        count.push(" AND region_code = ").bind(region.to_owned());
    }
    sql.push(" ORDER BY region_code, display_name, id");
    sql.push(&page.sql_suffix());
    let counted = page.count.then_some(count);
    Ok(Rows::page(db.page_and_total(sql, counted).await?))
}

/// Whether `region_code` has a county manager in office: then its scenarios are reviewed there
/// first (README, "Two-level review").
pub async fn in_office(db: &Db, region_code: &str) -> AppResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM users WHERE role = $1 AND region_code = $2 AND membership <> 'REMOVED' \
         LIMIT 1",
    )
    .bind(Role::CountyManager.as_str())
    .bind(region_code)
    .fetch_optional(db.pool())
    .await?;
    Ok(found.is_some())
}

/// The regions with a county manager in office, in code order.
pub async fn regions_in_office(db: &Db) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT region_code FROM users WHERE role = $1 AND membership <> 'REMOVED' \
         AND region_code IS NOT NULL ORDER BY region_code",
    )
    .bind(Role::CountyManager.as_str())
    .fetch_all(db.pool())
    .await?)
}

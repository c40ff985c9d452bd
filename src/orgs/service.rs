//! The organization rules every door calls: who sees a pending organization, who verifies one,
//! and who may change its name or region.

use super::{
    ListFilter, OrganizationAction, OrganizationChanges, OrganizationKind, OrganizationRow,
    OrganizationStatus, StepOutcome,
};
use crate::db::Db;
use crate::error::{AppError, AppResult, ErrorCode, Outcome, Validator, refuse};
use crate::pagination::{PageRequest, Rows};
use crate::search::{Changed, LiveIndex};
use crate::taxonomy::Taxonomy;
use crate::viewer::Viewer;

/// Verified and suspended organizations are public (a suspended one's published items stay);
/// pending and rejected ones are visible to their own members and to admins only.
pub fn can_see(viewer: &Viewer, org: &OrganizationRow) -> bool {
    is_public(org.status()) || is_insider(viewer, org)
}

fn is_public(status: OrganizationStatus) -> bool {
    matches!(
        status,
        OrganizationStatus::Verified | OrganizationStatus::Suspended
    )
}

/// A member of the organization or an admin.
fn is_insider(viewer: &Viewer, org: &OrganizationRow) -> bool {
    viewer.is_admin() || viewer.org_id() == Some(org.id.as_str())
}

/// Why an admin rejected or suspended the organization: for its members and admins.
pub fn status_reason<'a>(viewer: &Viewer, org: &'a OrganizationRow) -> Option<&'a str> {
    is_insider(viewer, org)
        .then_some(org.status_reason.as_deref())
        .flatten()
}

/// Only a verified organization may submit for review or apply: a refusal naming what it may do
/// once verified (`to_do`, e.g. 提交审核) when `org_id` is still pending.
pub async fn require_verified(db: &Db, org_id: &str, to_do: &str) -> AppResult<Outcome<()>> {
    let org = super::find(db, org_id).await?.ok_or(AppError::NotFound)?;
    if org.status() == OrganizationStatus::Verified {
        Ok(Ok(()))
    } else {
        Ok(refuse(
            &[],
            ErrorCode::OrganizationNotVerified,
            format!("本单位尚未通过平台认证，认证后才能{to_do}"),
        ))
    }
}

/// What a list of organizations may be narrowed to.
#[derive(Default)]
pub struct Filter {
    pub kind: Option<OrganizationKind>,
    /// Admins only: others always see verified organizations (and their own).
    pub status: Option<OrganizationStatus>,
    pub region_code: Option<String>,
    pub name_contains: Option<String>,
}

/// Organizations, newest first: the verified ones (and the viewer's own); every one for admins.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    filter: Filter,
    page: PageRequest,
) -> AppResult<Rows<OrganizationRow>> {
    let list_filter = ListFilter {
        kind: filter.kind,
        status: filter.status,
        region_code: filter.region_code,
        name_contains: filter.name_contains.filter(|s| !s.trim().is_empty()),
        visible_to_org: (!viewer.is_admin()).then(|| viewer.org_id().map(str::to_owned)),
    };
    Ok(Rows::page(super::list(db, &list_filter, page).await?))
}

/// Admin: a step of the organization lifecycle ([`super::RULES`]): verify a registration (its
/// listed capabilities become candidates for matching), reject it, suspend a verified
/// organization or reinstate it. Rejecting and suspending need a reason, which the members read
/// in their notification.
pub async fn step(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    id: &str,
    action: OrganizationAction,
    reason: Option<&str>,
) -> AppResult<Outcome<OrganizationRow>> {
    let admin = viewer.require_admin()?;
    let reason = reason.map(str::trim).filter(|n| !n.is_empty());
    let mut v = Validator::default();
    match reason {
        None if action.needs_reason() => {
            v.push(
                &["reason"],
                ErrorCode::Required,
                "请填写原因，该单位的成员会收到",
            );
        }
        Some(reason) => {
            v.text(&["reason"], "原因", reason, 500);
        }
        None => {}
    }
    if let Err(errors) = v.finish() {
        return Ok(Err(errors));
    }
    match super::step(db, id, action, &admin.sub, reason).await? {
        StepOutcome::Done(org) => {
            index.changed(Changed::Organization, &org.id).await;
            Ok(Ok(*org))
        }
        StepOutcome::NotFound => Err(AppError::NotFound),
        StepOutcome::NotAllowed(status) => Ok(refuse(
            &["id"],
            ErrorCode::InvalidTransition,
            format!(
                "该组织当前状态为{}，{}",
                status_label(status),
                allowed_from(action)
            ),
        )),
    }
}

/// Which states the action starts from, in words.
fn allowed_from(action: OrganizationAction) -> &'static str {
    match action {
        OrganizationAction::Verify => "只有待审核或未通过认证的组织可以认证",
        OrganizationAction::Reject => "只有待审核的组织可以驳回",
        OrganizationAction::Suspend => "只有已认证的组织可以暂停",
        OrganizationAction::Reinstate => "只有已暂停的组织可以恢复",
    }
}

/// A member of the organization, or an admin, changes its region, and its name while it is
/// pending; once verified, only an admin changes the name.
pub async fn update(
    db: &Db,
    taxonomy: &Taxonomy,
    viewer: &Viewer,
    id: &str,
    expected_version: i64,
    name: Option<&str>,
    region_code: Option<&str>,
) -> AppResult<Outcome<OrganizationRow>> {
    let claims = viewer.require_user()?;
    let current = super::find(db, id)
        .await?
        .filter(|org| can_see(viewer, org))
        .ok_or(AppError::NotFound)?;
    if !viewer.is_admin() && claims.org != current.id {
        return Err(AppError::Forbidden);
    }
    let mut v = Validator::default();
    let name = name.map(|n| n.trim().to_owned());
    // A verified name is what the platform vouches for: after verification only an admin changes
    // it, so that no unit renames itself into another while keeping its verified status.
    if name.as_deref().is_some_and(|n| n != current.name)
        && current.status() != OrganizationStatus::Pending
        && !viewer.is_admin()
    {
        return Err(AppError::NotYours(
            "单位通过认证后，名称只能由平台管理员修改：请联系平台管理员并提供更名证明",
        ));
    }
    if let Some(name) = &name {
        v.text(&["name"], "组织名称", name, 100);
    }
    if let Some(region) = region_code
        && taxonomy.region(region).is_none()
    {
        v.push(&["regionCode"], ErrorCode::UnknownRegion, "所在地区不存在");
    }
    if let Err(errors) = v.finish() {
        return Ok(Err(errors));
    }
    let changes = OrganizationChanges {
        name,
        region_code: region_code.map(str::to_owned),
    };
    let updated = super::update(db, &current.id, expected_version, &changes)
        .await?
        .ok_or(AppError::Conflict)?;
    Ok(Ok(updated))
}

fn status_label(status: OrganizationStatus) -> &'static str {
    match status {
        OrganizationStatus::Pending => "待审核",
        OrganizationStatus::Verified => "已认证",
        OrganizationStatus::Rejected => "未通过认证",
        OrganizationStatus::Suspended => "已暂停",
    }
}

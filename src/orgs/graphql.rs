use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    ListFilter, OrganizationChanges, OrganizationKind, OrganizationLoader, OrganizationRow,
    OrganizationStatus, VerifyOutcome,
};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, ErrorCode, UserError, Validator};
use crate::loaders;
use crate::pagination::{Page, PageRequest};
use crate::search::{Changed, LiveIndex};
use crate::taxonomy::{Region, Taxonomy};
use crate::viewer::Viewer;

/// A government unit, enterprise, research institute or the platform operator.
#[derive(Clone, Debug)]
pub struct Organization(pub OrganizationRow);

#[Object]
impl Organization {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> OrganizationKind {
        self.0.kind()
    }
    async fn status(&self) -> OrganizationStatus {
        self.0.status()
    }
    /// 统一社会信用代码 (GB 32100-2015); required for enterprises and research institutes.
    async fn credit_code(&self) -> Option<&str> {
        self.0.credit_code.as_deref()
    }
    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        taxonomy.region(&self.0.region_code).cloned().map(Region)
    }
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
    async fn verified_at(&self) -> Option<DateTime<Utc>> {
        self.0.verified_at.as_deref().and_then(db::parse_time)
    }
}

/// Loads an organization through the request's DataLoader.
pub async fn load_organization(ctx: &Context<'_>, id: &str) -> AppResult<Option<Organization>> {
    let row = loaders::load_one::<OrganizationLoader>(ctx, id).await?;
    Ok(row.map(Organization))
}

/// Pending organizations are visible to their own members and to admins only.
fn may_see(viewer: &Viewer, org: &OrganizationRow) -> bool {
    org.status() == OrganizationStatus::Verified
        || viewer.is_admin()
        || viewer.org_id() == Some(org.id.as_str())
}

#[derive(InputObject, Default)]
pub struct OrganizationFilter {
    pub kind: Option<OrganizationKind>,
    /// Admins only: others always see verified organizations (and their own).
    pub status: Option<OrganizationStatus>,
    pub region_code: Option<String>,
    /// Part of the name.
    pub name_contains: Option<String>,
}

#[derive(Default)]
pub struct OrgQuery;

#[Object]
impl OrgQuery {
    async fn organization(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Organization>> {
        let org = load_organization(ctx, &id)
            .await?
            .filter(|org| may_see(Viewer::of(ctx), &org.0))
            .ok_or(AppError::NotFound)?;
        Ok(Some(org))
    }

    /// Organizations, newest first. The public sees verified ones; admins see all.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrganizationFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Organization>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let viewer = Viewer::of(ctx);
        let filter = filter.unwrap_or_default();
        let list_filter = ListFilter {
            kind: filter.kind,
            status: filter.status,
            region_code: filter.region_code,
            name_contains: filter.name_contains.filter(|s| !s.trim().is_empty()),
            visible_to_org: (!viewer.is_admin()).then(|| viewer.org_id().map(str::to_owned)),
        };
        let db = ctx.data_unchecked::<Db>();
        let (rows, total) = super::list(db, &list_filter, page).await?;
        Ok(page.connection(rows, total, Organization))
    }
}

#[derive(InputObject)]
pub struct VerifyOrganizationInput {
    pub id: ID,
    /// Why, for the record.
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct VerifyOrganizationPayload {
    pub organization: Option<Organization>,
    pub errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    pub id: ID,
    /// The `version` the change is based on; a newer one means someone else changed it first.
    pub expected_version: i64,
    pub name: Option<String>,
    pub region_code: Option<String>,
}

#[derive(SimpleObject)]
pub struct UpdateOrganizationPayload {
    pub organization: Option<Organization>,
    pub errors: Vec<UserError>,
}

#[derive(Default)]
pub struct OrgMutation;

#[Object]
impl OrgMutation {
    /// Admin: confirms that a registered organization is who it says it is (PENDING → VERIFIED).
    async fn verify_organization(
        &self,
        ctx: &Context<'_>,
        input: VerifyOrganizationInput,
    ) -> AppResult<VerifyOrganizationPayload> {
        let admin = Viewer::of(ctx).require_admin()?;
        let db = ctx.data_unchecked::<Db>();
        let note = input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        match super::verify(db, &input.id, &admin.sub, note).await? {
            VerifyOutcome::Verified(org) => {
                // Its listed capabilities become candidates for matching.
                ctx.data_unchecked::<Arc<LiveIndex>>()
                    .changed(Changed::Organization, &org.id)
                    .await;
                Ok(VerifyOrganizationPayload {
                    organization: Some(Organization(*org)),
                    errors: vec![],
                })
            }
            VerifyOutcome::NotFound => Err(AppError::NotFound),
            VerifyOutcome::NotPending(status) => Ok(VerifyOrganizationPayload {
                organization: None,
                errors: vec![UserError::new(
                    &["id"],
                    ErrorCode::InvalidTransition,
                    format!(
                        "该组织当前状态为{}，只有待审核的组织可以认证",
                        status_label(status)
                    ),
                )],
            }),
        }
    }

    /// A member of the organization, or an admin, changes its name or region.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        input: UpdateOrganizationInput,
    ) -> AppResult<UpdateOrganizationPayload> {
        let viewer = Viewer::of(ctx);
        let claims = viewer.require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let current = super::find(db, &input.id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !viewer.is_admin() && claims.org != current.id {
            return Err(AppError::Forbidden);
        }
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        let mut v = Validator::default();
        let name = input.name.map(|n| n.trim().to_owned());
        if let Some(name) = &name {
            v.text(&["name"], "组织名称", name, 100);
        }
        if let Some(region) = &input.region_code
            && taxonomy.region(region).is_none()
        {
            v.push(&["regionCode"], ErrorCode::UnknownRegion, "所在地区不存在");
        }
        if let Err(errors) = v.finish() {
            return Ok(UpdateOrganizationPayload {
                organization: None,
                errors,
            });
        }
        let changes = OrganizationChanges {
            name,
            region_code: input.region_code,
        };
        let updated = super::update(db, &current.id, input.expected_version, &changes)
            .await?
            .ok_or(AppError::Conflict)?;
        Ok(UpdateOrganizationPayload {
            organization: Some(Organization(updated)),
            errors: vec![],
        })
    }
}

fn status_label(status: OrganizationStatus) -> &'static str {
    match status {
        OrganizationStatus::Pending => "待审核",
        OrganizationStatus::Verified => "已认证",
    }
}

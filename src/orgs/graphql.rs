//! The GraphQL door of the organizations. Rules live in [`super::service`].

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service;
use super::{
    OrganizationAction, OrganizationKind, OrganizationLoader, OrganizationRow, OrganizationStatus,
};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, UserError};
use crate::loaders;
use crate::pagination::{Page, PageRequest};
use crate::search::LiveIndex;
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
    /// Why an admin rejected or suspended it: for its members and admins; null otherwise.
    async fn status_reason(&self, ctx: &Context<'_>) -> Option<&str> {
        service::status_reason(Viewer::of(ctx), &self.0)
    }
}

/// Loads an organization through the request's loader.
pub async fn load_organization(ctx: &Context<'_>, id: &str) -> AppResult<Option<Organization>> {
    let row = loaders::load_one::<OrganizationLoader>(ctx, id).await?;
    Ok(row.map(Organization))
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
            .filter(|org| service::can_see(Viewer::of(ctx), &org.0))
            .ok_or(AppError::NotFound)?;
        Ok(Some(org))
    }

    /// Organizations, newest first. The public sees verified ones, members also their own;
    /// admins see all.
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrganizationFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Organization>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = service::Filter {
            kind: f.kind,
            status: f.status,
            region_code: f.region_code,
            name_contains: f.name_contains,
        };
        let rows = service::list(ctx.data_unchecked::<Db>(), Viewer::of(ctx), filter, page).await?;
        Ok(page.connection_of(rows, Organization))
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
pub struct OrganizationStepInput {
    pub id: ID,
    /// Why: required to reject or suspend (the members read it); optional to reinstate.
    pub reason: Option<String>,
}

#[derive(SimpleObject)]
pub struct OrganizationStepPayload {
    pub organization: Option<Organization>,
    pub errors: Vec<UserError>,
}

crate::error::outcome_payload!(OrganizationStepPayload {
    organization: Organization(OrganizationRow)
});

async fn step(
    ctx: &Context<'_>,
    id: &str,
    action: OrganizationAction,
    reason: Option<String>,
) -> AppResult<crate::error::Outcome<OrganizationRow>> {
    service::step(
        ctx.data_unchecked::<Db>(),
        ctx.data_unchecked::<Arc<LiveIndex>>(),
        Viewer::of(ctx),
        id,
        action,
        reason.as_deref(),
    )
    .await
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

crate::error::outcome_payload!(VerifyOrganizationPayload {
    organization: Organization(OrganizationRow)
});
crate::error::outcome_payload!(UpdateOrganizationPayload {
    organization: Organization(OrganizationRow)
});

#[derive(Default)]
pub struct OrgMutation;

#[Object]
impl OrgMutation {
    /// Admin: confirms that a registered organization is who it says it is (PENDING or REJECTED
    /// → VERIFIED).
    async fn verify_organization(
        &self,
        ctx: &Context<'_>,
        input: VerifyOrganizationInput,
    ) -> AppResult<VerifyOrganizationPayload> {
        let outcome = step(ctx, &input.id, OrganizationAction::Verify, input.note).await?;
        Ok(VerifyOrganizationPayload::from(outcome))
    }

    /// Admin: refuses a registration (PENDING → REJECTED). Its members are told the reason and
    /// may sign in and read, not act.
    async fn reject_organization(
        &self,
        ctx: &Context<'_>,
        input: OrganizationStepInput,
    ) -> AppResult<OrganizationStepPayload> {
        let outcome = step(ctx, &input.id, OrganizationAction::Reject, input.reason).await?;
        Ok(OrganizationStepPayload::from(outcome))
    }

    /// Admin: suspends a verified organization (VERIFIED → SUSPENDED). Its members are told the
    /// reason and may sign in and read, not act; its published items stay as they are and its
    /// capabilities leave the recommendations.
    async fn suspend_organization(
        &self,
        ctx: &Context<'_>,
        input: OrganizationStepInput,
    ) -> AppResult<OrganizationStepPayload> {
        let outcome = step(ctx, &input.id, OrganizationAction::Suspend, input.reason).await?;
        Ok(OrganizationStepPayload::from(outcome))
    }

    /// Admin: lifts a suspension (SUSPENDED → VERIFIED); the members are told.
    async fn reinstate_organization(
        &self,
        ctx: &Context<'_>,
        input: OrganizationStepInput,
    ) -> AppResult<OrganizationStepPayload> {
        let outcome = step(ctx, &input.id, OrganizationAction::Reinstate, input.reason).await?;
        Ok(OrganizationStepPayload::from(outcome))
    }

    /// A member of the organization, or an admin, changes its region, and its name while it is
    /// pending; once verified, only an admin changes the name (FORBIDDEN otherwise).
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        input: UpdateOrganizationInput,
    ) -> AppResult<UpdateOrganizationPayload> {
        let outcome = service::update(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<Taxonomy>>(),
            Viewer::of(ctx),
            &input.id,
            input.expected_version,
            input.name.as_deref(),
            input.region_code.as_deref(),
        )
        .await?;
        Ok(UpdateOrganizationPayload::from(outcome))
    }
}

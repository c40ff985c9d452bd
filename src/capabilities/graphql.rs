//! The GraphQL door of the capabilities: reads the input, calls [`super::service`], and maps the
//! answer to the payload. No rule lives here.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::loader::CapabilityLoader;
use super::machine::{CapabilityAction, CapabilityStatus};
use super::model::{CapabilityFields, CapabilityFilter, CapabilityOrderBy};
use super::service;
use super::store::{CapabilityRow, DeliveredCase};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, UserError};
use crate::items::graphql::{TimelineEvent, item_timeline};
use crate::items::{Contact, ContactPartnersLoader, Key, ReviewDecision};
use crate::loaders;
use crate::orgs::Organization;
use crate::orgs::graphql::load_organization;
use crate::pagination::{Page, PageRequest};
use crate::search::LiveIndex;
use crate::taxonomy::{Industry, Region, Taxonomy};
use crate::viewer::Viewer;

/// An entry of the capability list (能力清单).
#[derive(Clone, Debug)]
pub struct Capability(pub CapabilityRow);

#[Object]
impl Capability {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Public code `JZ-NL-<year>-<seq>`, assigned on first approval.
    async fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    async fn description(&self, ctx: &Context<'_>) -> AppResult<String> {
        if let Some(text) = self.0.description.read() {
            return Ok(text.to_owned());
        }
        // Read by a list that did not expect the field: the page's items load in one query.
        let row = loaders::load_one::<CapabilityLoader>(ctx, &self.0.id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(row.description.whole().to_owned())
    }
    async fn industry_codes(&self) -> Vec<String> {
        self.0.industry_codes()
    }
    async fn industries(&self, ctx: &Context<'_>) -> Vec<Industry> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        self.0
            .industry_codes()
            .iter()
            .filter_map(|code| taxonomy.industry(code).cloned().map(Industry))
            .collect()
    }
    async fn tags(&self) -> Vec<String> {
        self.0.tags()
    }
    /// Technology readiness level 1–9.
    async fn maturity(&self) -> i64 {
        self.0.maturity
    }
    /// 报价下限（万元）
    async fn price_min(&self) -> Option<i64> {
        self.0.price_min
    }
    /// 报价上限（万元）
    async fn price_max(&self) -> Option<i64> {
        self.0.price_max
    }
    async fn service_region_codes(&self) -> Vec<String> {
        self.0.service_region_codes()
    }
    /// Where the provider delivers; 晋中市 (140700) means every county.
    async fn service_regions(&self, ctx: &Context<'_>) -> Vec<Region> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        self.0
            .service_region_codes()
            .iter()
            .filter_map(|code| taxonomy.region(code).cloned().map(Region))
            .collect()
    }
    async fn cases(&self) -> Vec<DeliveredCase> {
        self.0.cases()
    }
    async fn certifications(&self) -> Vec<String> {
        self.0.certifications()
    }
    /// Shown to the owner and admins, and to the other party of a match from CONNECTED on.
    async fn contact(&self, ctx: &Context<'_>) -> AppResult<Option<Contact>> {
        let viewer = Viewer::of(ctx);
        let partners = if viewer.org_id().is_some() && !service::can_manage(viewer, &self.0) {
            loaders::load_one::<ContactPartnersLoader>(ctx, &self.0.id)
                .await?
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(service::visible_contact(viewer, &self.0, &partners))
    }
    async fn status(&self) -> CapabilityStatus {
        self.0.status()
    }
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// The enterprise or research institute offering it.
    async fn provider(&self, ctx: &Context<'_>) -> AppResult<Organization> {
        load_organization(ctx, &self.0.org_id)
            .await?
            .ok_or_else(|| AppError::internal("capability without organization"))
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.updated_at)
    }
    async fn listed_at(&self) -> Option<DateTime<Utc>> {
        self.0.listed_at.as_deref().and_then(db::parse_time)
    }
    /// Every change, oldest first, for its organization and admins; everyone else sees the steps
    /// into public stages, without who took them.
    async fn timeline(&self, ctx: &Context<'_>) -> AppResult<Vec<TimelineEvent>> {
        item_timeline(ctx, &self.0.id, |viewer, events| {
            service::readable_timeline(viewer, &self.0, events)
        })
        .await
    }
}

#[derive(InputObject)]
pub struct CreateCapabilityInput {
    /// Admins only: the enterprise or institute the capability is created for.
    pub organization_id: Option<ID>,
    #[graphql(flatten)]
    pub fields: CapabilityFields,
}

#[derive(InputObject)]
pub struct UpdateCapabilityInput {
    pub id: ID,
    pub expected_version: i64,
    #[graphql(flatten)]
    pub fields: CapabilityFields,
}

#[derive(InputObject)]
pub struct TransitionCapabilityInput {
    pub id: ID,
    pub action: CapabilityAction,
    pub note: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(InputObject)]
pub struct ReviewCapabilityInput {
    pub id: ID,
    pub decision: ReviewDecision,
    pub reason: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(InputObject)]
pub struct FeatureCapabilityInput {
    pub id: ID,
    pub note: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(SimpleObject)]
pub struct CapabilityPayload {
    pub capability: Option<Capability>,
    pub errors: Vec<UserError>,
}

crate::error::outcome_payload!(CapabilityPayload {
    capability: Capability(CapabilityRow)
});

#[derive(Default)]
pub struct CapabilityQuery;

#[Object]
impl CapabilityQuery {
    /// A capability by id or public code. Drafts and items under review are visible to their
    /// provider and admins only (NOT_FOUND for others).
    async fn capability(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        code: Option<String>,
    ) -> AppResult<Option<Capability>> {
        let key = Key::of(id.as_deref().map(String::as_str), code.as_deref())?;
        let row = service::find(ctx.data_unchecked::<Db>(), Viewer::of(ctx), key).await?;
        Ok(Some(Capability(row)))
    }

    /// The live capability list: LISTED and FEATURED capabilities. No sign-in needed.
    async fn capability_list(
        &self,
        ctx: &Context<'_>,
        filter: Option<CapabilityFilter>,
        order_by: Option<CapabilityOrderBy>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Capability>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = service::capability_list(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<Taxonomy>>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            filter.unwrap_or_default(),
            order_by.unwrap_or_default(),
            page,
        )
        .await?;
        Ok(page.connection_of(rows, Capability))
    }

    /// The signed-in organization's capabilities in every status, most recently changed first.
    async fn my_capabilities(
        &self,
        ctx: &Context<'_>,
        status: Option<CapabilityStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Capability>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows =
            service::of_viewer(ctx.data_unchecked::<Db>(), Viewer::of(ctx), status, page).await?;
        Ok(page.connection_of(rows, Capability))
    }
}

#[derive(Default)]
pub struct CapabilityMutation;

#[Object]
impl CapabilityMutation {
    /// An enterprise or research institute drafts a capability. Admins may create one for them.
    async fn create_capability(
        &self,
        ctx: &Context<'_>,
        input: CreateCapabilityInput,
    ) -> AppResult<CapabilityPayload> {
        service::create(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<Taxonomy>>(),
            Viewer::of(ctx),
            input.organization_id.as_ref().map(|id| id.as_str()),
            input.fields,
        )
        .await
        .map(CapabilityPayload::from)
    }

    /// Changes a capability's content. A LISTED capability goes back to PENDING_REVIEW.
    async fn update_capability(
        &self,
        ctx: &Context<'_>,
        input: UpdateCapabilityInput,
    ) -> AppResult<CapabilityPayload> {
        service::update(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<Taxonomy>>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &input.id,
            input.expected_version,
            input.fields,
        )
        .await
        .map(CapabilityPayload::from)
    }

    /// The provider's lifecycle actions: SUBMIT, ARCHIVE.
    async fn transition_capability(
        &self,
        ctx: &Context<'_>,
        input: TransitionCapabilityInput,
    ) -> AppResult<CapabilityPayload> {
        service::transition(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &input.id,
            input.action,
            input.note.as_deref(),
            input.expected_version,
        )
        .await
        .map(CapabilityPayload::from)
    }

    /// Admin: lists a submitted capability (with its public code on first approval) or sends it
    /// back with a reason.
    async fn review_capability(
        &self,
        ctx: &Context<'_>,
        input: ReviewCapabilityInput,
    ) -> AppResult<CapabilityPayload> {
        service::review(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &input.id,
            input.decision,
            input.reason.as_deref(),
            input.expected_version,
        )
        .await
        .map(CapabilityPayload::from)
    }

    /// Admin: names a listed capability a 晋中优秀方案 (FEATURED).
    async fn feature_capability(
        &self,
        ctx: &Context<'_>,
        input: FeatureCapabilityInput,
    ) -> AppResult<CapabilityPayload> {
        service::feature(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &input.id,
            input.note.as_deref(),
            input.expected_version,
        )
        .await
        .map(CapabilityPayload::from)
    }
}

//! The GraphQL door of the scenarios: reads the input, calls [`super::service`], and maps the
//! answer to the payload. No rule lives here.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::loader::ScenarioLoader;
use super::machine::{ScenarioAction, ScenarioStatus};
use super::model::{
    CooperationMode, OpportunityFilter, ScenarioCategoryCode, ScenarioFields, ScenarioOrderBy,
    ScenarioReviewDecision,
};
use super::service;
use super::store::ScenarioRow;
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, UserError};
use crate::items::graphql::{TimelineEvent, item_timeline};
use crate::items::{Contact, ContactInput, ContactPartnersLoader, Key};
use crate::loaders;
use crate::orgs::Organization;
use crate::orgs::graphql::load_organization;
use crate::pagination::{Page, PageRequest};
use crate::search::LiveIndex;
use crate::taxonomy::{Industry, Region, Taxonomy};
use crate::viewer::Viewer;

#[derive(Clone, Debug)]
pub struct Scenario(pub ScenarioRow);

#[Object]
impl Scenario {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Public code `JZ-JH-<year>-<seq>`, assigned on first approval.
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
        let row = loaders::load_one::<ScenarioLoader>(ctx, &self.0.id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(row.description.whole().to_owned())
    }
    async fn category(&self) -> Option<ScenarioCategoryCode> {
        ScenarioCategoryCode::parse(&self.0.category)
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
    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        taxonomy.region(&self.0.region_code).cloned().map(Region)
    }
    /// 预算下限（万元）
    async fn budget_min(&self) -> Option<i64> {
        self.0.budget_min
    }
    /// 预算上限（万元）
    async fn budget_max(&self) -> Option<i64> {
        self.0.budget_max
    }
    async fn cooperation_modes(&self) -> Vec<CooperationMode> {
        self.0
            .cooperation_modes
            .split(',')
            .filter_map(CooperationMode::parse)
            .collect()
    }
    /// Lowest technology readiness level (1–9) a solution must have.
    async fn maturity_required(&self) -> Option<i64> {
        self.0.maturity_required
    }
    async fn deadline(&self) -> Option<NaiveDate> {
        self.0.deadline()
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
    async fn status(&self) -> ScenarioStatus {
        self.0.status()
    }
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn publishing_unit(&self, ctx: &Context<'_>) -> AppResult<Organization> {
        load_organization(ctx, &self.0.org_id)
            .await?
            .ok_or_else(|| AppError::internal("scenario without organization"))
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.updated_at)
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at.as_deref().and_then(db::parse_time)
    }
    /// Every change, oldest first, for its organization and admins; everyone else sees the steps
    /// into public stages, without who took them.
    async fn timeline(&self, ctx: &Context<'_>) -> AppResult<Vec<TimelineEvent>> {
        item_timeline(ctx, &self.0.id, |viewer, events| {
            service::readable_timeline(viewer, &self.0, events)
        })
        .await
    }
    /// What the scenario achieved, as its unit recorded it: from LANDED on, for everyone who
    /// may read the scenario; null before.
    async fn outcome(&self) -> Option<ScenarioOutcome> {
        ScenarioOutcome::of(&self.0)
    }
}

/// The outcome of a landed scenario (落地成效).
pub struct ScenarioOutcome(ScenarioRow);

impl ScenarioOutcome {
    /// The outcome of `row`, once it has landed.
    pub fn of(row: &ScenarioRow) -> Option<ScenarioOutcome> {
        let landed = matches!(
            row.status(),
            ScenarioStatus::Landed | ScenarioStatus::Promoted
        );
        (landed && row.outcome_summary.is_some()).then(|| ScenarioOutcome(row.clone()))
    }
}

#[Object]
impl ScenarioOutcome {
    async fn summary(&self) -> &str {
        self.0.outcome_summary.as_deref().unwrap_or_default()
    }
    /// Investment in 万元, when the unit gave it.
    async fn investment(&self) -> Option<i64> {
        self.0.outcome_investment
    }
    async fn completed_on(&self) -> Option<NaiveDate> {
        self.0.completed_on.as_deref().and_then(|d| d.parse().ok())
    }
    async fn recorded_at(&self) -> Option<DateTime<Utc>> {
        self.0
            .outcome_recorded_at
            .as_deref()
            .and_then(db::parse_time)
    }
    /// The partner selected in 对接, whose capability delivered the scenario.
    async fn delivered_by(&self) -> Option<DeliveredBy> {
        let row = &self.0;
        Some(DeliveredBy {
            capability: DeliveredCapability {
                id: row.outcome_capability_id.clone()?.into(),
                code: row.outcome_capability_code.clone(),
                title: row.outcome_capability_title.clone()?,
            },
            org_id: row.outcome_org_id.clone()?,
        })
    }
}

/// Who delivered a landed scenario, as they were when it landed (kept as history, the way a
/// published edition keeps its items).
pub struct DeliveredBy {
    capability: DeliveredCapability,
    org_id: String,
}

#[Object]
impl DeliveredBy {
    /// The capability: its id (`capability(id:)` reads it while it is public), code and title.
    async fn capability(&self) -> &DeliveredCapability {
        &self.capability
    }
    /// The organization that delivered it.
    async fn organization(&self, ctx: &Context<'_>) -> AppResult<Organization> {
        load_organization(ctx, &self.org_id)
            .await?
            .ok_or_else(|| AppError::internal("outcome without organization"))
    }
}

/// A capability as it was when the scenario it delivered landed.
#[derive(SimpleObject)]
pub struct DeliveredCapability {
    pub id: ID,
    pub code: Option<String>,
    pub title: String,
}

#[derive(InputObject)]
pub struct CreateScenarioInput {
    /// Admins only: the government unit the scenario is created for.
    pub organization_id: Option<ID>,
    #[graphql(flatten)]
    pub fields: ScenarioFields,
}

#[derive(InputObject)]
pub struct UpdateScenarioInput {
    pub id: ID,
    pub expected_version: i64,
    #[graphql(flatten)]
    pub fields: ScenarioFields,
}

#[derive(InputObject)]
pub struct TransitionScenarioInput {
    pub id: ID,
    pub action: ScenarioAction,
    pub note: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(InputObject)]
pub struct ReviewScenarioInput {
    pub id: ID,
    pub decision: ScenarioReviewDecision,
    /// Required when requesting changes; shown to the unit.
    pub reason: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(InputObject)]
pub struct ExtendScenarioDeadlineInput {
    pub id: ID,
    pub deadline: NaiveDate,
    pub expected_version: Option<i64>,
}

#[derive(InputObject)]
pub struct UpdateScenarioContactInput {
    pub id: ID,
    pub contact: ContactInput,
    pub expected_version: Option<i64>,
}

/// The answer of every scenario mutation.
#[derive(SimpleObject)]
pub struct ScenarioPayload {
    pub scenario: Option<Scenario>,
    pub errors: Vec<UserError>,
}

crate::error::outcome_payload!(ScenarioPayload {
    scenario: Scenario(ScenarioRow)
});

#[derive(Default)]
pub struct ScenarioQuery;

#[Object]
impl ScenarioQuery {
    /// A scenario by id or public code. Drafts and items under review are visible to their unit
    /// and admins only (NOT_FOUND for others).
    async fn scenario(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        code: Option<String>,
    ) -> AppResult<Option<Scenario>> {
        let key = Key::of(id.as_deref().map(String::as_str), code.as_deref())?;
        let row = service::find(ctx.data_unchecked::<Db>(), Viewer::of(ctx), key).await?;
        Ok(Some(Scenario(row)))
    }

    /// The live opportunity list: PUBLISHED and MATCHING scenarios. No sign-in needed.
    async fn opportunity_list(
        &self,
        ctx: &Context<'_>,
        filter: Option<OpportunityFilter>,
        order_by: Option<ScenarioOrderBy>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Scenario>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = service::opportunity_list(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<Taxonomy>>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            filter.unwrap_or_default(),
            order_by.unwrap_or_default(),
            page,
        )
        .await?;
        Ok(page.connection_of(rows, Scenario))
    }

    /// The signed-in unit's scenarios in every status, most recently changed first.
    async fn my_scenarios(
        &self,
        ctx: &Context<'_>,
        status: Option<ScenarioStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Scenario>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows =
            service::of_viewer(ctx.data_unchecked::<Db>(), Viewer::of(ctx), status, page).await?;
        Ok(page.connection_of(rows, Scenario))
    }
}

#[derive(Default)]
pub struct ScenarioMutation;

#[Object]
impl ScenarioMutation {
    /// A government unit records a scenario (挖掘). Admins may create one for a unit.
    async fn create_scenario(
        &self,
        ctx: &Context<'_>,
        input: CreateScenarioInput,
    ) -> AppResult<ScenarioPayload> {
        service::create(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<Taxonomy>>(),
            Viewer::of(ctx),
            input.organization_id.as_ref().map(|id| id.as_str()),
            input.fields,
        )
        .await
        .map(ScenarioPayload::from)
    }

    /// Changes a scenario's content; only in DISCOVERED, PLANNED and CHANGES_REQUESTED.
    async fn update_scenario(
        &self,
        ctx: &Context<'_>,
        input: UpdateScenarioInput,
    ) -> AppResult<ScenarioPayload> {
        service::update(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<Taxonomy>>(),
            Viewer::of(ctx),
            &input.id,
            input.expected_version,
            input.fields,
        )
        .await
        .map(ScenarioPayload::from)
    }

    /// The owner's lifecycle actions: PLAN, SUBMIT, WITHDRAW, CLOSE.
    async fn transition_scenario(
        &self,
        ctx: &Context<'_>,
        input: TransitionScenarioInput,
    ) -> AppResult<ScenarioPayload> {
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
        .map(ScenarioPayload::from)
    }

    /// Reviews a submitted scenario: where its region has a county manager, first the county
    /// (its manager; APPROVE sends it to PENDING_CITY_REVIEW), then the city (admins; APPROVE
    /// publishes it, with its public code on first approval). Either level may REQUEST_CHANGES
    /// or REJECT, with a reason.
    async fn review_scenario(
        &self,
        ctx: &Context<'_>,
        input: ReviewScenarioInput,
    ) -> AppResult<ScenarioPayload> {
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
        .map(ScenarioPayload::from)
    }

    /// Moves the deadline of a published scenario later.
    async fn extend_scenario_deadline(
        &self,
        ctx: &Context<'_>,
        input: ExtendScenarioDeadlineInput,
    ) -> AppResult<ScenarioPayload> {
        service::extend_deadline(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &input.id,
            input.deadline,
            input.expected_version,
        )
        .await
        .map(ScenarioPayload::from)
    }

    /// Changes the contact of a published scenario.
    async fn update_scenario_contact(
        &self,
        ctx: &Context<'_>,
        input: UpdateScenarioContactInput,
    ) -> AppResult<ScenarioPayload> {
        service::update_contact(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &input.id,
            &input.contact,
            input.expected_version,
        )
        .await
        .map(ScenarioPayload::from)
    }
}

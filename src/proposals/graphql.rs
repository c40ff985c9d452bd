//! The GraphQL door of scenario proposals: a thin adapter over [`super::service`].

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::ProposalStatus;
use super::service::{self, Adoption, Proposal};
use super::store::ProposalRow;
use crate::capabilities::{Capability, CapabilityLoader};
use crate::db::{self, Db};
use crate::error::{AppResult, Outcome, UserError};
use crate::loaders;
use crate::orgs::{self, Organization};
use crate::pagination::{Page, PageRequest};
use crate::scenarios::model::ScenarioCategoryCode;
use crate::scenarios::{Scenario, ScenarioLoader};
use crate::taxonomy::{Region, Taxonomy};
use crate::viewer::Viewer;

/// A scenario an enterprise proposed (场景建议, 反向挖掘): for its proposer, its addressee and
/// admins.
pub struct ScenarioProposal(pub ProposalRow);

#[Object]
impl ScenarioProposal {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What problem the proposer has seen.
    async fn problem(&self) -> &str {
        &self.0.problem
    }
    /// Where.
    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        taxonomy.region(&self.0.region_code).cloned().map(Region)
    }
    /// The unit it is addressed to; null when it is addressed to the region's county managers
    /// (or the city where the region has none).
    async fn unit(&self, ctx: &Context<'_>) -> AppResult<Option<Organization>> {
        match &self.0.unit_id {
            Some(id) => orgs::graphql::load_organization(ctx, id).await,
            None => Ok(None),
        }
    }
    async fn proposer(&self, ctx: &Context<'_>) -> AppResult<Option<Organization>> {
        orgs::graphql::load_organization(ctx, &self.0.proposer_org_id).await
    }
    /// The proposer's capability that fits.
    async fn capability(&self, ctx: &Context<'_>) -> AppResult<Option<Capability>> {
        Ok(
            loaders::load_one::<CapabilityLoader>(ctx, &self.0.capability_id)
                .await?
                .map(Capability),
        )
    }
    /// Why the capability fits.
    async fn rationale(&self) -> &str {
        &self.0.rationale
    }
    async fn status(&self) -> ProposalStatus {
        self.0.status()
    }
    /// The reason of a decline.
    async fn decision_note(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at.as_deref().and_then(db::parse_time)
    }
    /// The scenario it was adopted into.
    async fn scenario(&self, ctx: &Context<'_>) -> AppResult<Option<Scenario>> {
        match &self.0.scenario_id {
            Some(id) => Ok(loaders::load_one::<ScenarioLoader>(ctx, id)
                .await?
                .filter(|row| crate::scenarios::service::can_read(Viewer::of(ctx), row))
                .map(Scenario)),
            None => Ok(None),
        }
    }
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
}

#[derive(Default)]
pub struct ProposalQuery;

#[Object]
impl ProposalQuery {
    /// The scenario proposals the viewer may read (their own organization's, those addressed to
    /// their unit or their region; all for admins), newest first.
    async fn scenario_proposals(
        &self,
        ctx: &Context<'_>,
        status: Option<ProposalStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<ScenarioProposal>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = service::list(ctx.data_unchecked::<Db>(), Viewer::of(ctx), status, page).await?;
        Ok(page.connection_of(rows, ScenarioProposal))
    }

    /// One scenario proposal (NOT_FOUND to anyone but its proposer, its addressee and admins).
    async fn scenario_proposal(&self, ctx: &Context<'_>, id: ID) -> AppResult<ScenarioProposal> {
        let row = service::find(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &id).await?;
        Ok(ScenarioProposal(row))
    }
}

#[derive(InputObject)]
pub struct ProposeScenarioInput {
    /// At most 60 characters.
    pub title: String,
    /// What problem, as the proposer has seen it; at most 2000 characters.
    pub problem: String,
    /// Where: a county or district (or 140700).
    pub region_code: String,
    /// The government unit it concerns, if known: the proposal is addressed to it; otherwise to
    /// the region's county managers, or the city where the region has none.
    pub unit_id: Option<ID>,
    /// One of the proposer's listed capabilities.
    pub capability_id: ID,
    /// Why the capability fits; at most 1000 characters.
    pub rationale: String,
}

#[derive(InputObject)]
pub struct AdoptScenarioProposalInput {
    pub id: ID,
    /// The unit the scenario is for: needed when the proposal names none.
    pub organization_id: Option<ID>,
    pub category: ScenarioCategoryCode,
    /// Defaults to the industries of the proposer's capability.
    pub industry_codes: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct DeclineScenarioProposalInput {
    pub id: ID,
    /// Required: the proposer reads it.
    pub reason: Option<String>,
}

#[derive(SimpleObject)]
pub struct ProposalPayload {
    pub proposal: Option<ScenarioProposal>,
    pub errors: Vec<UserError>,
}

impl From<Outcome<ProposalRow>> for ProposalPayload {
    fn from(outcome: Outcome<ProposalRow>) -> Self {
        match outcome {
            Ok(row) => ProposalPayload {
                proposal: Some(ScenarioProposal(row)),
                errors: vec![],
            },
            Err(errors) => ProposalPayload {
                proposal: None,
                errors,
            },
        }
    }
}

#[derive(SimpleObject)]
pub struct AdoptScenarioProposalPayload {
    pub proposal: Option<ScenarioProposal>,
    /// The new DISCOVERED scenario of the unit.
    pub scenario: Option<Scenario>,
    pub errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ProposalMutation;

#[Object]
impl ProposalMutation {
    /// A verified enterprise or research institute proposes a scenario (反向挖掘) with one of its
    /// listed capabilities.
    async fn propose_scenario(
        &self,
        ctx: &Context<'_>,
        input: ProposeScenarioInput,
    ) -> AppResult<ProposalPayload> {
        let outcome = service::propose(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<Taxonomy>>(),
            Viewer::of(ctx),
            Proposal {
                title: &input.title,
                problem: &input.problem,
                region_code: &input.region_code,
                unit_id: input.unit_id.as_ref().map(|id| id.as_str()),
                capability_id: &input.capability_id,
                rationale: &input.rationale,
            },
        )
        .await?;
        Ok(ProposalPayload::from(outcome))
    }

    /// The addressee (or an admin) adopts an open proposal into a new DISCOVERED scenario of a
    /// unit, prefilled from it and crediting the proposer; when that scenario is published, the
    /// proposer's capability is invited (a match with origin PROPOSAL).
    async fn adopt_scenario_proposal(
        &self,
        ctx: &Context<'_>,
        input: AdoptScenarioProposalInput,
    ) -> AppResult<AdoptScenarioProposalPayload> {
        let outcome = service::adopt(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<Taxonomy>>(),
            Viewer::of(ctx),
            &input.id,
            Adoption {
                organization_id: input.organization_id.as_ref().map(|id| id.as_str()),
                category: input.category,
                industry_codes: input.industry_codes,
            },
        )
        .await?;
        Ok(match outcome {
            Ok((proposal, scenario)) => AdoptScenarioProposalPayload {
                proposal: Some(ScenarioProposal(proposal)),
                scenario: Some(Scenario(scenario)),
                errors: vec![],
            },
            Err(errors) => AdoptScenarioProposalPayload {
                proposal: None,
                scenario: None,
                errors,
            },
        })
    }

    /// The addressee (or an admin) declines an open proposal with a reason.
    async fn decline_scenario_proposal(
        &self,
        ctx: &Context<'_>,
        input: DeclineScenarioProposalInput,
    ) -> AppResult<ProposalPayload> {
        let outcome = service::decline(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &input.id,
            input.reason.as_deref(),
        )
        .await?;
        Ok(ProposalPayload::from(outcome))
    }
}

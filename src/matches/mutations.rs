//! The GraphQL door of the 对接 mutations: reads the input, calls [`super::service`], and maps
//! the answer to the payload. No rule lives here.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDate;

use super::graphql::{Match, MatchMessage};
use super::model::ModerationDecision;
use super::service::{self, LandingReport};
use super::store::{MatchRow, MessageRow};
use crate::db::Db;
use crate::error::{AppResult, Outcome, UserError};
use crate::scenarios::graphql::ScenarioOutcome;
use crate::scenarios::{Scenario, ScenarioRow};
use crate::search::LiveIndex;
use crate::viewer::Viewer;

#[derive(SimpleObject)]
pub struct MatchPayload {
    #[graphql(name = "match")]
    pub match_: Option<Match>,
    pub errors: Vec<UserError>,
}

crate::error::outcome_payload!(MatchPayload {
    match_: Match(MatchRow)
});

#[derive(InputObject)]
pub struct ApplyToScenarioInput {
    pub scenario_id: ID,
    /// One of the applicant's listed capabilities.
    pub capability_id: ID,
    /// Why this capability fits (at most 1000 characters).
    pub pitch: String,
}

#[derive(InputObject)]
pub struct InviteCapabilityInput {
    pub scenario_id: ID,
    pub capability_id: ID,
    pub message: String,
}

#[derive(InputObject)]
pub struct ProposeMatchInput {
    pub scenario_id: ID,
    pub capability_id: ID,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct ModerateMatchInput {
    pub id: ID,
    pub decision: ModerationDecision,
    /// Required when rejecting.
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct RespondToMatchInput {
    pub id: ID,
    pub accept: bool,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct MatchIdInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct PostMatchMessageInput {
    pub match_id: ID,
    /// At most 2000 characters.
    pub body: String,
}

#[derive(SimpleObject)]
pub struct PostMatchMessagePayload {
    pub message: Option<MatchMessage>,
    pub errors: Vec<UserError>,
}

crate::error::outcome_payload!(PostMatchMessagePayload {
    message: MatchMessage(MessageRow)
});

#[derive(InputObject)]
pub struct RecordScenarioOutcomeInput {
    pub id: ID,
    /// What was delivered and achieved (at most 2000 characters).
    pub summary: String,
    /// Investment in 万元.
    pub investment: Option<i32>,
    pub completed_on: NaiveDate,
}

#[derive(InputObject)]
pub struct PromoteScenarioInput {
    pub id: ID,
    pub note: Option<String>,
}

#[derive(SimpleObject)]
pub struct PromoteScenarioPayload {
    pub scenario: Option<Scenario>,
    pub errors: Vec<UserError>,
}

crate::error::outcome_payload!(PromoteScenarioPayload {
    scenario: Scenario(ScenarioRow)
});

#[derive(SimpleObject)]
pub struct RecordScenarioOutcomePayload {
    /// The scenario, now LANDED.
    pub scenario: Option<Scenario>,
    /// What was recorded.
    pub outcome: Option<ScenarioOutcome>,
    pub errors: Vec<UserError>,
}

impl From<Outcome<ScenarioRow>> for RecordScenarioOutcomePayload {
    fn from(outcome: Outcome<ScenarioRow>) -> Self {
        match outcome {
            Ok(row) => RecordScenarioOutcomePayload {
                outcome: ScenarioOutcome::of(&row),
                scenario: Some(Scenario(row)),
                errors: Vec::new(),
            },
            Err(errors) => RecordScenarioOutcomePayload {
                scenario: None,
                outcome: None,
                errors,
            },
        }
    }
}

#[derive(Default)]
pub struct MatchMutation;

#[Object]
impl MatchMutation {
    /// An enterprise applies to a published scenario with one of its listed capabilities.
    async fn apply_to_scenario(
        &self,
        ctx: &Context<'_>,
        input: ApplyToScenarioInput,
    ) -> AppResult<MatchPayload> {
        service::apply(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &input.scenario_id,
            &input.capability_id,
            &input.pitch,
        )
        .await
        .map(MatchPayload::from)
    }

    /// A scenario's unit invites a listed capability.
    async fn invite_capability(
        &self,
        ctx: &Context<'_>,
        input: InviteCapabilityInput,
    ) -> AppResult<MatchPayload> {
        service::invite(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &input.scenario_id,
            &input.capability_id,
            &input.message,
        )
        .await
        .map(MatchPayload::from)
    }

    /// Admin: proposes a pairing, typically from a recommendation.
    async fn propose_match(
        &self,
        ctx: &Context<'_>,
        input: ProposeMatchInput,
    ) -> AppResult<MatchPayload> {
        service::propose(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &input.scenario_id,
            &input.capability_id,
            input.note.as_deref(),
        )
        .await
        .map(MatchPayload::from)
    }

    /// Admin: approves a proposal (the scenario's first approved match moves it to MATCHING) or
    /// rejects it with a reason.
    async fn moderate_match(
        &self,
        ctx: &Context<'_>,
        input: ModerateMatchInput,
    ) -> AppResult<MatchPayload> {
        service::moderate(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &input.id,
            input.decision,
            input.reason.as_deref(),
        )
        .await
        .map(MatchPayload::from)
    }

    /// The party that did not start the match accepts (CONNECTED: contacts are shared) or
    /// declines it.
    async fn respond_to_match(
        &self,
        ctx: &Context<'_>,
        input: RespondToMatchInput,
    ) -> AppResult<MatchPayload> {
        service::respond(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &input.id,
            input.accept,
            input.note.as_deref(),
        )
        .await
        .map(MatchPayload::from)
    }

    /// The scenario's unit selects its partner from a connected match: the scenario moves to
    /// IMPLEMENTING and every other live match of it to NOT_SELECTED.
    async fn select_match(
        &self,
        ctx: &Context<'_>,
        input: MatchIdInput,
    ) -> AppResult<MatchPayload> {
        service::select(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &input.id,
        )
        .await
        .map(MatchPayload::from)
    }

    /// The initiator withdraws a match before it is selected.
    async fn withdraw_match(
        &self,
        ctx: &Context<'_>,
        input: MatchIdInput,
    ) -> AppResult<MatchPayload> {
        service::withdraw(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &input.id)
            .await
            .map(MatchPayload::from)
    }

    /// The two parties (and admins) talk, from CONNECTED on.
    async fn post_match_message(
        &self,
        ctx: &Context<'_>,
        input: PostMatchMessageInput,
    ) -> AppResult<PostMatchMessagePayload> {
        service::post_message(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &input.match_id,
            &input.body,
        )
        .await
        .map(PostMatchMessagePayload::from)
    }

    /// The unit records what its implemented scenario achieved: the scenario and its selected
    /// match become LANDED.
    async fn record_scenario_outcome(
        &self,
        ctx: &Context<'_>,
        input: RecordScenarioOutcomeInput,
    ) -> AppResult<RecordScenarioOutcomePayload> {
        let report = LandingReport {
            summary: &input.summary,
            investment: input.investment,
            completed_on: input.completed_on,
        };
        service::record_outcome(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &input.id,
            report,
        )
        .await
        .map(RecordScenarioOutcomePayload::from)
    }

    /// Admin: promotes a landed scenario (推广); its partner's capability becomes a
    /// 晋中优秀方案 (FEATURED).
    async fn promote_scenario(
        &self,
        ctx: &Context<'_>,
        input: PromoteScenarioInput,
    ) -> AppResult<PromoteScenarioPayload> {
        service::promote_scenario(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &input.id,
            input.note.as_deref(),
        )
        .await
        .map(PromoteScenarioPayload::from)
    }
}

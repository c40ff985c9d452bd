//! The 对接 mutations and their cascades. Each cascade is one transaction with an event per
//! object changed.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDate;

use super::graphql::{Match, MatchOrigin, Sides};
use super::machine::{RULES, Step};
use super::service;
use super::store::{self, MatchRow};
use crate::db::Db;
use crate::error::{AppError, AppResult, ErrorCode, UserError, Validator};
use crate::items;
use crate::machine::lookup;
use crate::orgs::{self, OrganizationStatus};
use crate::scenarios::machine::Step as ScenarioStep;
use crate::scenarios::{Scenario, ScenarioRow};
use crate::search::{Changed, LiveIndex};
use crate::viewer::{Role, Viewer};
use crate::{capabilities, scenarios};

#[derive(SimpleObject)]
pub struct MatchPayload {
    #[graphql(name = "match")]
    pub match_: Option<Match>,
    pub errors: Vec<UserError>,
}

impl MatchPayload {
    fn ok(row: MatchRow) -> Self {
        MatchPayload {
            match_: Some(Match(row)),
            errors: vec![],
        }
    }

    fn refused(code: ErrorCode, field: &[&str], message: impl Into<String>) -> Self {
        MatchPayload {
            match_: None,
            errors: vec![UserError::new(field, code, message)],
        }
    }
}

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

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ModerationDecision {
    Approve,
    Reject,
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
    pub message: Option<super::graphql::MatchMessage>,
    pub errors: Vec<UserError>,
}

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

fn invalid_match_transition(row: &MatchRow, step: Step) -> MatchPayload {
    let allowed: Vec<&str> = RULES
        .iter()
        .filter(|r| r.action == step)
        .map(|r| r.from.label())
        .collect();
    MatchPayload::refused(
        ErrorCode::InvalidTransition,
        &[],
        items::transition_refusal(row.status().label(), step.label(), &allowed),
    )
}

/// The refusal of a missing or overlong pitch or message (at most 1000 characters), if any.
fn text_refusal(field: &str, label: &str, text: &str) -> Option<MatchPayload> {
    let mut v = Validator::default();
    (!v.text(&[field], label, text, 1000)).then(|| MatchPayload {
        match_: None,
        errors: v.into_errors(),
    })
}

fn clean(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// Checks that a new match may be proposed: the scenario is open, the capability listed. Returns
/// the two rows, or the refusal.
async fn open_pair(
    db: &Db,
    scenario_id: &str,
    capability_id: &str,
) -> AppResult<Result<(ScenarioRow, capabilities::CapabilityRow), MatchPayload>> {
    let scenario = scenarios::store::find(db, scenario_id).await?;
    let capability = capabilities::store::find(db, capability_id).await?;
    let (Some(scenario), Some(capability)) = (scenario, capability) else {
        return Err(AppError::NotFound);
    };
    if !scenario.status().is_open() {
        return Ok(Err(MatchPayload::refused(
            ErrorCode::InvalidTransition,
            &["scenarioId"],
            format!(
                "场景当前状态为「{}」，仅「已发布」「对接中」的场景可以对接",
                scenario.status().label()
            ),
        )));
    }
    if !capability.status().is_public() {
        return Ok(Err(MatchPayload::refused(
            ErrorCode::InvalidTransition,
            &["capabilityId"],
            format!(
                "能力当前状态为「{}」，仅已入库的能力可以对接",
                capability.status().label()
            ),
        )));
    }
    Ok(Ok((scenario, capability)))
}

/// Proposes the pair; a pair with a live match is refused as a duplicate.
async fn propose(
    ctx: &Context<'_>,
    scenario: &ScenarioRow,
    capability_id: &str,
    origin: MatchOrigin,
    initiator_org: &str,
    initiator: &str,
    pitch: &str,
) -> AppResult<MatchPayload> {
    let db = ctx.data_unchecked::<Db>();
    let index = ctx.data_unchecked::<Arc<LiveIndex>>();
    let proposed = service::propose(
        db,
        index,
        scenario,
        capability_id,
        origin,
        initiator_org,
        initiator,
        pitch,
    )
    .await?;
    Ok(match proposed {
        Some(row) => MatchPayload::ok(row),
        None => MatchPayload::refused(
            ErrorCode::Duplicate,
            &["capabilityId"],
            "该场景与该能力已有进行中的对接",
        ),
    })
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
        let claims = Viewer::of(ctx).require_user()?;
        if claims.role != Role::Enterprise {
            return Err(AppError::Forbidden);
        }
        let db = ctx.data_unchecked::<Db>();
        let (scenario, capability) =
            match open_pair(db, &input.scenario_id, &input.capability_id).await? {
                Ok(pair) => pair,
                Err(refusal) => return Ok(refusal),
            };
        if capability.org_id != claims.org {
            return Err(AppError::Forbidden);
        }
        let org = orgs::find(db, &claims.org)
            .await?
            .ok_or(AppError::NotFound)?;
        if org.status() != OrganizationStatus::Verified {
            return Ok(MatchPayload::refused(
                ErrorCode::OrganizationNotVerified,
                &[],
                "本单位尚未通过平台认证，认证后才能申请对接",
            ));
        }
        if let Some(refusal) = text_refusal("pitch", "申请说明", &input.pitch) {
            return Ok(refusal);
        }
        propose(
            ctx,
            &scenario,
            &capability.id,
            MatchOrigin::Application,
            &claims.org,
            &claims.sub,
            input.pitch.trim(),
        )
        .await
    }

    /// A scenario's unit invites a listed capability.
    async fn invite_capability(
        &self,
        ctx: &Context<'_>,
        input: InviteCapabilityInput,
    ) -> AppResult<MatchPayload> {
        let claims = Viewer::of(ctx).require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let (scenario, capability) =
            match open_pair(db, &input.scenario_id, &input.capability_id).await? {
                Ok(pair) => pair,
                Err(refusal) => return Ok(refusal),
            };
        if scenario.org_id != claims.org {
            return Err(AppError::Forbidden);
        }
        if let Some(refusal) = text_refusal("message", "邀请说明", &input.message) {
            return Ok(refusal);
        }
        propose(
            ctx,
            &scenario,
            &capability.id,
            MatchOrigin::Invitation,
            &claims.org,
            &claims.sub,
            input.message.trim(),
        )
        .await
    }

    /// Admin: proposes a pairing, typically from a recommendation.
    async fn propose_match(
        &self,
        ctx: &Context<'_>,
        input: ProposeMatchInput,
    ) -> AppResult<MatchPayload> {
        let admin = Viewer::of(ctx).require_admin()?;
        let db = ctx.data_unchecked::<Db>();
        let (scenario, capability) =
            match open_pair(db, &input.scenario_id, &input.capability_id).await? {
                Ok(pair) => pair,
                Err(refusal) => return Ok(refusal),
            };
        let note = clean(input.note.as_deref()).unwrap_or("平台推荐");
        propose(
            ctx,
            &scenario,
            &capability.id,
            MatchOrigin::Recommendation,
            &admin.org,
            &admin.sub,
            note,
        )
        .await
    }

    /// Admin: approves a proposal (the scenario's first approved match moves it to MATCHING) or
    /// rejects it with a reason.
    async fn moderate_match(
        &self,
        ctx: &Context<'_>,
        input: ModerateMatchInput,
    ) -> AppResult<MatchPayload> {
        let admin = Viewer::of(ctx).require_admin()?;
        let db = ctx.data_unchecked::<Db>();
        let current = store::find(db, &input.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let step = match input.decision {
            ModerationDecision::Approve => Step::Approve,
            ModerationDecision::Reject => Step::Reject,
        };
        let Some(rule) = lookup(RULES, current.status(), step) else {
            return Ok(invalid_match_transition(&current, step));
        };
        let reason = clean(input.reason.as_deref());
        if step == Step::Reject && reason.is_none() {
            return Ok(MatchPayload::refused(
                ErrorCode::Required,
                &["reason"],
                "不通过时请说明原因",
            ));
        }
        if step == Step::Reject {
            let row = service::step(db, &current, rule, &admin.sub, reason).await?;
            return Ok(MatchPayload::ok(row));
        }
        let (row, started) = service::approve(db, &current, rule, &admin.sub).await?;
        if let Some(scenario) = &started {
            ctx.data_unchecked::<Arc<LiveIndex>>()
                .put_scenario(&scenario.id, scenario.indexed_document().as_ref());
        }
        Ok(MatchPayload::ok(row))
    }

    /// The party that did not start the match accepts (CONNECTED: contacts are shared) or
    /// declines it.
    async fn respond_to_match(
        &self,
        ctx: &Context<'_>,
        input: RespondToMatchInput,
    ) -> AppResult<MatchPayload> {
        let viewer = Viewer::of(ctx);
        let claims = viewer.require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let current = store::find(db, &input.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let sides = Sides::load(db, &current).await?;
        if !(sides.is_party(viewer) || viewer.is_admin()) {
            return Err(AppError::NotFound);
        }
        if sides.counterparty(&current) != claims.org {
            return Err(AppError::Forbidden);
        }
        let step = if input.accept {
            Step::Accept
        } else {
            Step::Decline
        };
        let Some(rule) = lookup(RULES, current.status(), step) else {
            return Ok(invalid_match_transition(&current, step));
        };
        let note = clean(input.note.as_deref());
        let row = service::step(db, &current, rule, &claims.sub, note).await?;
        Ok(MatchPayload::ok(row))
    }

    /// The scenario's unit selects its partner from a connected match: the scenario moves to
    /// IMPLEMENTING and every other live match of it to NOT_SELECTED.
    async fn select_match(
        &self,
        ctx: &Context<'_>,
        input: MatchIdInput,
    ) -> AppResult<MatchPayload> {
        let viewer = Viewer::of(ctx);
        let claims = viewer.require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let current = store::find(db, &input.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let sides = Sides::load(db, &current).await?;
        if !(sides.is_party(viewer) || viewer.is_admin()) {
            return Err(AppError::NotFound);
        }
        if !(viewer.is_admin() || sides.scenario.org_id == claims.org) {
            return Err(AppError::Forbidden);
        }
        let Some(rule) = lookup(RULES, current.status(), Step::Select) else {
            return Ok(invalid_match_transition(&current, Step::Select));
        };
        let Some((row, scenario)) =
            service::select(db, &current, rule, &sides.scenario, &claims.sub).await?
        else {
            return Ok(MatchPayload::refused(
                ErrorCode::InvalidTransition,
                &[],
                format!(
                    "场景当前状态为「{}」，不能选定合作方",
                    sides.scenario.status().label()
                ),
            ));
        };
        ctx.data_unchecked::<Arc<LiveIndex>>()
            .put_scenario(&scenario.id, scenario.indexed_document().as_ref());
        Ok(MatchPayload::ok(row))
    }

    /// The initiator withdraws a match before it is selected.
    async fn withdraw_match(
        &self,
        ctx: &Context<'_>,
        input: MatchIdInput,
    ) -> AppResult<MatchPayload> {
        let viewer = Viewer::of(ctx);
        let claims = viewer.require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let current = store::find(db, &input.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let sides = Sides::load(db, &current).await?;
        if !(sides.is_party(viewer) || viewer.is_admin()) {
            return Err(AppError::NotFound);
        }
        if current.initiator_org_id != claims.org {
            return Err(AppError::Forbidden);
        }
        let Some(rule) = lookup(RULES, current.status(), Step::Withdraw) else {
            return Ok(invalid_match_transition(&current, Step::Withdraw));
        };
        let row = service::step(db, &current, rule, &claims.sub, None).await?;
        Ok(MatchPayload::ok(row))
    }

    /// The two parties (and admins) talk, from CONNECTED on.
    async fn post_match_message(
        &self,
        ctx: &Context<'_>,
        input: PostMatchMessageInput,
    ) -> AppResult<PostMatchMessagePayload> {
        let viewer = Viewer::of(ctx);
        let claims = viewer.require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let current = store::find(db, &input.match_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let sides = Sides::load(db, &current).await?;
        if !(sides.is_party(viewer) || viewer.is_admin()) {
            return Err(AppError::NotFound);
        }
        let refuse = |code, field: &[&str], message: String| PostMatchMessagePayload {
            message: None,
            errors: vec![UserError::new(field, code, message)],
        };
        if !current.status().shares_contacts() {
            return Ok(refuse(
                ErrorCode::InvalidTransition,
                &[],
                format!(
                    "对接当前状态为「{}」，双方确认对接后才能留言",
                    current.status().label()
                ),
            ));
        }
        let mut v = Validator::default();
        if !v.text(&["body"], "留言", &input.body, 2000) {
            return Ok(PostMatchMessagePayload {
                message: None,
                errors: v.into_errors(),
            });
        }
        let row = store::insert_message(db, &current.id, &claims.sub, input.body.trim()).await?;
        Ok(PostMatchMessagePayload {
            message: Some(super::graphql::MatchMessage(row)),
            errors: vec![],
        })
    }

    /// The unit records what its implemented scenario achieved: the scenario and its selected
    /// match become LANDED.
    async fn record_scenario_outcome(
        &self,
        ctx: &Context<'_>,
        input: RecordScenarioOutcomeInput,
    ) -> AppResult<PromoteScenarioPayload> {
        let viewer = Viewer::of(ctx);
        let claims = viewer.require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let scenario = scenarios::store::find(db, &input.id)
            .await?
            .filter(|s| scenarios::service::can_read(viewer, s))
            .ok_or(AppError::NotFound)?;
        if !(viewer.is_admin() || scenario.org_id == claims.org) {
            return Err(AppError::Forbidden);
        }
        let refuse = |code, field: &[&str], message: String| PromoteScenarioPayload {
            scenario: None,
            errors: vec![UserError::new(field, code, message)],
        };
        let Some(rule) = lookup(
            scenarios::RULES,
            scenario.status(),
            ScenarioStep::RecordOutcome,
        ) else {
            return Ok(refuse(
                ErrorCode::InvalidTransition,
                &[],
                format!(
                    "场景当前状态为「{}」，仅「实施中」的场景可以登记落地成效",
                    scenario.status().label()
                ),
            ));
        };
        let mut v = Validator::default();
        v.text(&["summary"], "落地成效", &input.summary, 2000);
        if input.investment.is_some_and(|i| i < 0) {
            v.push(&["investment"], ErrorCode::OutOfRange, "投资额不能为负数");
        }
        if input.completed_on > items::today_in_china() {
            v.push(&["completedOn"], ErrorCode::Invalid, "完成日期不能晚于今天");
        }
        if let Err(errors) = v.finish() {
            return Ok(PromoteScenarioPayload {
                scenario: None,
                errors,
            });
        }
        let row = service::land(
            db,
            &scenario,
            rule,
            &claims.sub,
            input.summary.trim(),
            input.investment.map(i64::from),
            input.completed_on,
        )
        .await?;
        Ok(PromoteScenarioPayload {
            scenario: Some(Scenario(row)),
            errors: vec![],
        })
    }

    /// Admin: promotes a landed scenario (推广); its partner's capability becomes a
    /// 晋中优秀方案 (FEATURED).
    async fn promote_scenario(
        &self,
        ctx: &Context<'_>,
        input: PromoteScenarioInput,
    ) -> AppResult<PromoteScenarioPayload> {
        let admin = Viewer::of(ctx).require_admin()?;
        let db = ctx.data_unchecked::<Db>();
        let scenario = scenarios::store::find(db, &input.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let Some(rule) = lookup(scenarios::RULES, scenario.status(), ScenarioStep::Promote) else {
            return Ok(PromoteScenarioPayload {
                scenario: None,
                errors: vec![UserError::new(
                    &[],
                    ErrorCode::InvalidTransition,
                    format!(
                        "场景当前状态为「{}」，仅「已落地」的场景可以推广",
                        scenario.status().label()
                    ),
                )],
            });
        };
        let note = clean(input.note.as_deref());
        let (promoted, featured) = service::promote(db, &scenario, rule, &admin.sub, note).await?;
        let index = ctx.data_unchecked::<Arc<LiveIndex>>();
        for id in &featured {
            index.changed(Changed::Capability, id).await;
        }
        Ok(PromoteScenarioPayload {
            scenario: Some(Scenario(promoted)),
            errors: vec![],
        })
    }
}

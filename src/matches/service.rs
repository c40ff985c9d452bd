//! The 对接 rules every door calls: who may see a match and take each step, what a valid
//! proposal, message or outcome is, and the recommendations a unit or provider may ask for. The
//! transactions and cascades themselves are in [`super::steps`].

use chrono::NaiveDate;

use super::machine::{MatchStatus, RULES, Step};
use super::model::{MatchOrigin, ModerationDecision, Sides};
use super::steps;
use super::store::{self, ListFilter, MatchRow, MessageRow};
use crate::auth;
use crate::capabilities::{self, CapabilityRow};
use crate::db::Db;
use crate::error::{AppError, AppResult, ErrorCode, Outcome, UserError, Validator, refuse};
use crate::items::{self, OwnedItem, clean_note};
use crate::machine::lookup;
use crate::matching::Ranked;
use crate::orgs;
use crate::pagination::{PageRequest, Rows};
use crate::scenarios::machine::Step as ScenarioStep;
use crate::scenarios::{self, ScenarioRow};
use crate::search::{Changed, LiveIndex};
use crate::viewer::{Role, Viewer};

/// Most recommendations one request may ask for.
pub const MAX_RECOMMENDATIONS: i32 = 50;
/// How many recommendations come back when the request does not say.
pub const DEFAULT_RECOMMENDATIONS: i32 = 10;

// ---- Visibility -------------------------------------------------------------------------------

/// A match is visible to its two parties, admins and the county manager of its scenario's
/// region.
pub fn can_see(viewer: &Viewer, sides: &Sides) -> bool {
    sides.is_party(viewer) || scenarios::service::can_manage(viewer, &sides.scenario)
}

/// The match and its sides, if the viewer may see it (NOT_FOUND otherwise).
pub async fn find(db: &Db, viewer: &Viewer, id: &str) -> AppResult<(MatchRow, Sides)> {
    viewer.require_signed_in()?;
    let row = store::find(db, id).await?.ok_or(AppError::NotFound)?;
    let sides = Sides::load(db, &row).await?;
    if !can_see(viewer, &sides) {
        return Err(AppError::NotFound);
    }
    Ok((row, sides))
}

/// The viewer's organization's matches (every match for admins), most recent first.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    status: Option<MatchStatus>,
    scenario_id: Option<String>,
    capability_id: Option<String>,
    page: PageRequest,
) -> AppResult<Rows<MatchRow>> {
    let claims = viewer.require_user()?;
    let filter = ListFilter {
        party_org: (!viewer.is_admin()).then(|| claims.org.clone()),
        status,
        scenario_id,
        capability_id,
    };
    Ok(Rows::page(store::list(db, &filter, page).await?))
}

// ---- Recommendations --------------------------------------------------------------------------

/// How many recommendations to rank: `first`, 1 to [`MAX_RECOMMENDATIONS`].
fn recommendation_limit(first: Option<i32>) -> AppResult<usize> {
    let first = first.unwrap_or(DEFAULT_RECOMMENDATIONS);
    if (1..=MAX_RECOMMENDATIONS).contains(&first) {
        Ok(first as usize)
    } else {
        Err(AppError::BadRequest(format!(
            "first 应在1到{MAX_RECOMMENDATIONS}之间"
        )))
    }
}

/// Who may ask for an item's recommendations: those who manage it. Others are FORBIDDEN when
/// the item is public and told it does not exist when it is not.
fn check_recommendations_allowed(viewer: &Viewer, item: &impl OwnedItem) -> AppResult<()> {
    if items::can_manage(viewer, item) {
        Ok(())
    } else if item.is_public() {
        Err(AppError::Forbidden)
    } else {
        Err(AppError::NotFound)
    }
}

/// The best listed capabilities for a scenario, with the engine's ranking (its unit and admins).
pub async fn recommended_capabilities(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    scenario_id: &str,
    first: Option<i32>,
) -> AppResult<Vec<(CapabilityRow, Ranked)>> {
    viewer.require_signed_in()?;
    let limit = recommendation_limit(first)?;
    let row = scenarios::store::find(db, scenario_id)
        .await?
        .ok_or(AppError::NotFound)?;
    check_recommendations_allowed(viewer, &row)?;
    let ranked = index.rank_capabilities(row.document(), limit).await;
    let ids: Vec<String> = ranked.iter().map(|r| r.id.clone()).collect();
    let rows = capabilities::store::find_many(db, &ids).await?;
    Ok(ranked
        .into_iter()
        .filter_map(|r| Some((rows.iter().find(|c| c.id == r.id)?.clone(), r)))
        .collect())
}

/// The best open scenarios for a capability, with the engine's ranking (its provider and
/// admins).
pub async fn recommended_scenarios(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    capability_id: &str,
    first: Option<i32>,
) -> AppResult<Vec<(ScenarioRow, Ranked)>> {
    viewer.require_signed_in()?;
    let limit = recommendation_limit(first)?;
    let row = capabilities::store::find(db, capability_id)
        .await?
        .ok_or(AppError::NotFound)?;
    check_recommendations_allowed(viewer, &row)?;
    let org = orgs::find(db, &row.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ranked = index
        .rank_scenarios(row.document(&org.region_code), limit)
        .await;
    let ids: Vec<String> = ranked.iter().map(|r| r.id.clone()).collect();
    let rows = scenarios::store::find_many(db, &ids).await?;
    Ok(ranked
        .into_iter()
        .filter_map(|r| Some((rows.iter().find(|s| s.id == r.id)?.clone(), r)))
        .collect())
}

// ---- Proposals --------------------------------------------------------------------------------

/// The refusal of a missing or overlong pitch or message (at most 1000 characters), if any.
fn text_refusal(field: &str, label: &str, text: &str) -> Option<Vec<UserError>> {
    let mut v = Validator::default();
    (!v.text(&[field], label, text, 1000)).then(|| v.into_errors())
}

/// Checks that a new match may be proposed: the scenario is open, the capability listed. Returns
/// the two rows, or the refusal.
async fn open_pair(
    db: &Db,
    scenario_id: &str,
    capability_id: &str,
) -> AppResult<Outcome<(ScenarioRow, CapabilityRow)>> {
    let scenario = scenarios::store::find(db, scenario_id).await?;
    let capability = capabilities::store::find(db, capability_id).await?;
    let (Some(scenario), Some(capability)) = (scenario, capability) else {
        return Err(AppError::NotFound);
    };
    if !scenario.status().is_open() {
        return Ok(refuse(
            &["scenarioId"],
            ErrorCode::InvalidTransition,
            format!(
                "场景当前状态为「{}」，仅「已发布」「对接中」的场景可以对接",
                scenario.status().label()
            ),
        ));
    }
    if !capability.status().is_public() {
        return Ok(refuse(
            &["capabilityId"],
            ErrorCode::InvalidTransition,
            format!(
                "能力当前状态为「{}」，仅已入库的能力可以对接",
                capability.status().label()
            ),
        ));
    }
    Ok(Ok((scenario, capability)))
}

/// Who proposes a match and why.
struct Proposal<'a> {
    origin: MatchOrigin,
    initiator_org: &'a str,
    initiator: &'a str,
    pitch: &'a str,
}

/// Proposes the pair; a pair with a live match is refused as a duplicate.
async fn propose_pair(
    db: &Db,
    index: &LiveIndex,
    scenario: &ScenarioRow,
    capability_id: &str,
    p: Proposal<'_>,
) -> AppResult<Outcome<MatchRow>> {
    let proposed = steps::propose(
        db,
        index,
        scenario,
        capability_id,
        p.origin,
        p.initiator_org,
        p.initiator,
        p.pitch,
    )
    .await?;
    Ok(match proposed {
        Some(row) => Ok(row),
        None => refuse(
            &["capabilityId"],
            ErrorCode::Duplicate,
            "该场景与该能力已有进行中的对接",
        ),
    })
}

/// An enterprise applies to a published scenario with one of its listed capabilities.
pub async fn apply(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    scenario_id: &str,
    capability_id: &str,
    pitch: &str,
) -> AppResult<Outcome<MatchRow>> {
    let claims = viewer.require_user()?;
    if claims.role != Role::Enterprise {
        return Err(AppError::Forbidden);
    }
    let (scenario, capability) = match open_pair(db, scenario_id, capability_id).await? {
        Ok(pair) => pair,
        Err(errors) => return Ok(Err(errors)),
    };
    if capability.org_id != claims.org {
        return Err(AppError::Forbidden);
    }
    if let Err(errors) =
        auth::account::may_put_forward(db, &claims.sub, &claims.org, "申请对接").await?
    {
        return Ok(Err(errors));
    }
    if let Some(errors) = text_refusal("pitch", "申请说明", pitch) {
        return Ok(Err(errors));
    }
    let proposal = Proposal {
        origin: MatchOrigin::Application,
        initiator_org: &claims.org,
        initiator: &claims.sub,
        pitch: pitch.trim(),
    };
    propose_pair(db, index, &scenario, &capability.id, proposal).await
}

/// A scenario's unit invites a listed capability.
pub async fn invite(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    scenario_id: &str,
    capability_id: &str,
    message: &str,
) -> AppResult<Outcome<MatchRow>> {
    let claims = viewer.require_user()?;
    let (scenario, capability) = match open_pair(db, scenario_id, capability_id).await? {
        Ok(pair) => pair,
        Err(errors) => return Ok(Err(errors)),
    };
    if scenario.org_id != claims.org {
        return Err(AppError::Forbidden);
    }
    if let Some(errors) = text_refusal("message", "邀请说明", message) {
        return Ok(Err(errors));
    }
    let proposal = Proposal {
        origin: MatchOrigin::Invitation,
        initiator_org: &claims.org,
        initiator: &claims.sub,
        pitch: message.trim(),
    };
    propose_pair(db, index, &scenario, &capability.id, proposal).await
}

/// An admin, or the county manager of the scenario's region, proposes a pairing, typically
/// from a recommendation.
pub async fn propose(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    scenario_id: &str,
    capability_id: &str,
    note: Option<&str>,
) -> AppResult<Outcome<MatchRow>> {
    let admin = viewer.require_user()?;
    if !(viewer.is_admin() || viewer.county().is_some()) {
        return Err(AppError::Forbidden);
    }
    let (scenario, capability) = match open_pair(db, scenario_id, capability_id).await? {
        Ok(pair) => pair,
        Err(errors) => return Ok(Err(errors)),
    };
    if !viewer.looks_after(&scenario.region_code) {
        return Err(AppError::NotYours("场景经理人只能为本地区的场景推荐对接"));
    }
    let proposal = Proposal {
        origin: MatchOrigin::Recommendation,
        initiator_org: &admin.org,
        initiator: &admin.sub,
        pitch: clean_note(note).unwrap_or("平台推荐"),
    };
    propose_pair(db, index, &scenario, &capability.id, proposal).await
}

// ---- Steps ------------------------------------------------------------------------------------

fn invalid_transition(row: &MatchRow, step: Step) -> Vec<UserError> {
    let mut error =
        items::invalid_transition(RULES, row.status(), step, MatchStatus::label, Step::label);
    error.field = None;
    vec![error]
}

/// Admin: approves a proposal (the scenario's first approved match moves it to MATCHING) or
/// rejects it with a reason.
pub async fn moderate(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    id: &str,
    decision: ModerationDecision,
    reason: Option<&str>,
) -> AppResult<Outcome<MatchRow>> {
    let admin = viewer.require_admin()?;
    let current = store::find(db, id).await?.ok_or(AppError::NotFound)?;
    let step = match decision {
        ModerationDecision::Approve => Step::Approve,
        ModerationDecision::Reject => Step::Reject,
    };
    let Some(rule) = lookup(RULES, current.status(), step) else {
        return Ok(Err(invalid_transition(&current, step)));
    };
    let reason = clean_note(reason);
    if step == Step::Reject {
        let Some(reason) = reason else {
            return Ok(refuse(
                &["reason"],
                ErrorCode::Required,
                "不通过时请说明原因",
            ));
        };
        return Ok(Ok(steps::step(
            db,
            &current,
            rule,
            &admin.sub,
            Some(reason),
        )
        .await?));
    }
    let (row, started) = steps::approve(db, &current, rule, &admin.sub).await?;
    if let Some(scenario) = &started {
        scenarios::documents::sync(index, scenario);
    }
    Ok(Ok(row))
}

/// The party that did not start the match accepts (CONNECTED: contacts are shared) or declines
/// it.
pub async fn respond(
    db: &Db,
    viewer: &Viewer,
    id: &str,
    accept: bool,
    note: Option<&str>,
) -> AppResult<Outcome<MatchRow>> {
    let claims = viewer.require_user()?;
    let (current, sides) = find(db, viewer, id).await?;
    if sides.counterparty(&current) != claims.org {
        return Err(AppError::NotYours(
            "只有对接的另一方（未发起对接的一方）可以回应；管理员推荐的对接由能力提供方回应",
        ));
    }
    let step = if accept { Step::Accept } else { Step::Decline };
    let Some(rule) = lookup(RULES, current.status(), step) else {
        return Ok(Err(invalid_transition(&current, step)));
    };
    Ok(Ok(steps::step(
        db,
        &current,
        rule,
        &claims.sub,
        clean_note(note),
    )
    .await?))
}

/// The scenario's unit selects its partner from a connected match: the scenario moves to
/// IMPLEMENTING and every other live match of it to NOT_SELECTED.
pub async fn select(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    id: &str,
) -> AppResult<Outcome<MatchRow>> {
    let claims = viewer.require_user()?;
    let (current, sides) = find(db, viewer, id).await?;
    if !scenarios::service::can_manage(viewer, &sides.scenario) {
        return Err(AppError::NotYours(
            "只有场景发布单位（或代其操作的管理员）可以选定合作方",
        ));
    }
    let Some(rule) = lookup(RULES, current.status(), Step::Select) else {
        return Ok(Err(invalid_transition(&current, Step::Select)));
    };
    let Some((row, scenario)) =
        steps::select(db, &current, rule, &sides.scenario, &claims.sub).await?
    else {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            format!(
                "场景当前状态为「{}」，不能选定合作方",
                sides.scenario.status().label()
            ),
        ));
    };
    scenarios::documents::sync(index, &scenario);
    Ok(Ok(row))
}

/// The initiator withdraws a match before it is selected.
pub async fn withdraw(db: &Db, viewer: &Viewer, id: &str) -> AppResult<Outcome<MatchRow>> {
    let claims = viewer.require_user()?;
    let (current, _) = find(db, viewer, id).await?;
    if current.initiator_org_id != claims.org {
        return Err(AppError::NotYours("只有发起对接的一方可以撤回"));
    }
    let Some(rule) = lookup(RULES, current.status(), Step::Withdraw) else {
        return Ok(Err(invalid_transition(&current, Step::Withdraw)));
    };
    Ok(Ok(steps::step(db, &current, rule, &claims.sub, None).await?))
}

/// The two parties (and admins) talk, from CONNECTED on.
pub async fn post_message(
    db: &Db,
    viewer: &Viewer,
    match_id: &str,
    body: &str,
) -> AppResult<Outcome<MessageRow>> {
    let claims = viewer.require_user()?;
    let (current, sides) = find(db, viewer, match_id).await?;
    if !sides.is_party(viewer) {
        return Err(AppError::NotYours(
            "对接留言仅限对接双方，平台管理员可以查看",
        ));
    }
    if !current.status().shares_contacts() {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            format!(
                "对接当前状态为「{}」，双方确认对接后才能留言",
                current.status().label()
            ),
        ));
    }
    let mut v = Validator::default();
    if !v.text(&["body"], "留言", body, 2000) {
        return Ok(Err(v.into_errors()));
    }
    Ok(Ok(store::insert_message(
        db,
        &current.id,
        &claims.sub,
        body.trim(),
    )
    .await?))
}

// ---- 落地 and 推广 ----------------------------------------------------------------------------

/// What a unit reports when its implemented scenario landed.
pub struct LandingReport<'a> {
    pub summary: &'a str,
    /// Investment in 万元.
    pub investment: Option<i32>,
    pub completed_on: NaiveDate,
}

/// The unit records what its implemented scenario achieved: the scenario and its selected match
/// become LANDED.
pub async fn record_outcome(
    db: &Db,
    viewer: &Viewer,
    scenario_id: &str,
    report: LandingReport<'_>,
) -> AppResult<Outcome<ScenarioRow>> {
    let claims = viewer.require_user()?;
    let scenario = scenarios::store::find(db, scenario_id)
        .await?
        .filter(|s| scenarios::service::can_read(viewer, s))
        .ok_or(AppError::NotFound)?;
    if !scenarios::service::can_manage(viewer, &scenario) {
        return Err(AppError::Forbidden);
    }
    let Some(rule) = lookup(
        scenarios::RULES,
        scenario.status(),
        ScenarioStep::RecordOutcome,
    ) else {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            format!(
                "场景当前状态为「{}」，仅「实施中」的场景可以登记落地成效",
                scenario.status().label()
            ),
        ));
    };
    let mut v = Validator::default();
    v.text(&["summary"], "落地成效", report.summary, 2000);
    if report.investment.is_some_and(|i| i < 0) {
        v.push(&["investment"], ErrorCode::OutOfRange, "投资额不能为负数");
    }
    if report.completed_on > items::today_in_china() {
        v.push(&["completedOn"], ErrorCode::Invalid, "完成日期不能晚于今天");
    }
    if let Err(errors) = v.finish() {
        return Ok(Err(errors));
    }
    let row = steps::land(
        db,
        &scenario,
        rule,
        &claims.sub,
        report.summary.trim(),
        report.investment.map(i64::from),
        report.completed_on,
    )
    .await?;
    Ok(Ok(row))
}

/// Admin: promotes a landed scenario (推广); its partner's listed capability becomes a
/// 晋中优秀方案 (FEATURED).
pub async fn promote_scenario(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    scenario_id: &str,
    note: Option<&str>,
) -> AppResult<Outcome<ScenarioRow>> {
    let admin = viewer.require_admin()?;
    let scenario = scenarios::store::find(db, scenario_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(rule) = lookup(scenarios::RULES, scenario.status(), ScenarioStep::Promote) else {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            format!(
                "场景当前状态为「{}」，仅「已落地」的场景可以推广",
                scenario.status().label()
            ),
        ));
    };
    let (promoted, featured) =
        steps::promote(db, &scenario, rule, &admin.sub, clean_note(note)).await?;
    for id in &featured {
        index.changed(Changed::Capability, id).await;
    }
    Ok(Ok(promoted))
}

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::machine::MatchStatus;
use super::store::{self, MatchRow, MessageRow};
use crate::capabilities::Capability;
use crate::capabilities::{CapabilityLoader, CapabilityRow};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
use crate::items::{TimelineEvent, timeline};
use crate::loaders;
use crate::matching::{Ranked, Reason, ReasonKind};
use crate::pagination::{Page, PageRequest};
use crate::scenarios::Scenario;
use crate::scenarios::{ScenarioLoader, ScenarioRow};
use crate::search::LiveIndex;
use crate::viewer::Viewer;
use crate::{capabilities, orgs, scenarios};

/// Most recommendations one request may ask for.
pub const MAX_RECOMMENDATIONS: i32 = 50;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MatchReasonKind {
    /// 内容相关
    Text,
    /// 行业匹配
    Industry,
    /// 地区匹配
    Region,
    /// 技术成熟度
    Maturity,
    /// 预算与报价
    Budget,
    /// 落地案例
    TrackRecord,
}

/// Why a recommendation scored as it did: one signal, its part of the score, and a sentence.
#[derive(SimpleObject, Clone, Debug)]
pub struct MatchReason {
    pub kind: MatchReasonKind,
    /// What this signal added to the score (negative for a shortfall).
    pub contribution: f64,
    /// A short Chinese explanation.
    pub detail: String,
    /// For TEXT: the terms both sides share, most telling first.
    pub terms: Vec<String>,
}

impl From<&Reason> for MatchReason {
    fn from(r: &Reason) -> Self {
        MatchReason {
            kind: match r.kind {
                ReasonKind::Text => MatchReasonKind::Text,
                ReasonKind::Industry => MatchReasonKind::Industry,
                ReasonKind::Region => MatchReasonKind::Region,
                ReasonKind::Maturity => MatchReasonKind::Maturity,
                ReasonKind::Budget => MatchReasonKind::Budget,
                ReasonKind::TrackRecord => MatchReasonKind::TrackRecord,
            },
            contribution: round4(r.contribution),
            detail: r.detail.clone(),
            terms: r.terms.clone(),
        }
    }
}

#[derive(SimpleObject)]
pub struct RecommendedCapability {
    pub capability: Capability,
    pub score: f64,
    pub reasons: Vec<MatchReason>,
}

#[derive(SimpleObject)]
pub struct RecommendedScenario {
    pub scenario: Scenario,
    pub score: f64,
    pub reasons: Vec<MatchReason>,
}

/// How many recommendations come back when `first` is not given.
pub const DEFAULT_RECOMMENDATIONS: i32 = 10;

fn limit(first: Option<i32>) -> AppResult<usize> {
    let first = first.unwrap_or(DEFAULT_RECOMMENDATIONS);
    if (1..=MAX_RECOMMENDATIONS).contains(&first) {
        Ok(first as usize)
    } else {
        Err(AppError::BadRequest(format!(
            "first 应在1到{MAX_RECOMMENDATIONS}之间"
        )))
    }
}

fn score(r: &Ranked) -> f64 {
    round4(r.score)
}

/// Four decimals are all a score means; rounding in f64 keeps the JSON free of f32 noise.
fn round4(x: f32) -> f64 {
    (f64::from(x) * 10_000.0).round() / 10_000.0
}

#[derive(Default)]
pub struct MatchQuery;

#[Object]
impl MatchQuery {
    /// The best listed capabilities for a scenario, with reasons (its unit and admins).
    async fn recommended_capabilities(
        &self,
        ctx: &Context<'_>,
        scenario_id: ID,
        #[graphql(desc = "How many, 1–50; 10 when not given.")] first: Option<i32>,
    ) -> AppResult<Vec<RecommendedCapability>> {
        let viewer = Viewer::of(ctx);
        viewer.require_user()?;
        let limit = limit(first)?;
        let db = ctx.data_unchecked::<Db>();
        let row = scenarios::store::find(db, &scenario_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !scenarios::service::can_manage(viewer, &row) {
            return Err(if row.status().is_public() {
                AppError::Forbidden
            } else {
                AppError::NotFound
            });
        }
        let index = ctx.data_unchecked::<Arc<LiveIndex>>();
        let ranked = index.rank_capabilities(&row.document(), limit);
        let ids: Vec<String> = ranked.iter().map(|r| r.id.clone()).collect();
        let rows = capabilities::store::find_many(db, &ids).await?;
        Ok(ranked
            .iter()
            .filter_map(|r| {
                let row = rows.iter().find(|c| c.id == r.id)?.clone();
                Some(RecommendedCapability {
                    capability: Capability(row),
                    score: score(r),
                    reasons: r.reasons.iter().map(MatchReason::from).collect(),
                })
            })
            .collect())
    }

    /// The best open scenarios for a capability, with reasons (its provider and admins).
    async fn recommended_scenarios(
        &self,
        ctx: &Context<'_>,
        capability_id: ID,
        #[graphql(desc = "How many, 1–50; 10 when not given.")] first: Option<i32>,
    ) -> AppResult<Vec<RecommendedScenario>> {
        let viewer = Viewer::of(ctx);
        viewer.require_user()?;
        let limit = limit(first)?;
        let db = ctx.data_unchecked::<Db>();
        let row = capabilities::store::find(db, &capability_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !capabilities::service::can_manage(viewer, &row) {
            return Err(if row.status().is_public() {
                AppError::Forbidden
            } else {
                AppError::NotFound
            });
        }
        let org = orgs::find(db, &row.org_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let index = ctx.data_unchecked::<Arc<LiveIndex>>();
        let ranked = index.rank_scenarios(&row.document(&org.region_code), limit);
        let ids: Vec<String> = ranked.iter().map(|r| r.id.clone()).collect();
        let rows = scenarios::store::find_many(db, &ids).await?;
        Ok(ranked
            .iter()
            .filter_map(|r| {
                let row = rows.iter().find(|s| s.id == r.id)?.clone();
                Some(RecommendedScenario {
                    scenario: Scenario(row),
                    score: score(r),
                    reasons: r.reasons.iter().map(MatchReason::from).collect(),
                })
            })
            .collect())
    }
}

/// How a match started.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MatchOrigin {
    /// An enterprise applied with a pitch.
    Application,
    /// The scenario's unit invited a capability.
    Invitation,
    /// An admin proposed an engine result.
    Recommendation,
}

impl MatchOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOrigin::Application => "APPLICATION",
            MatchOrigin::Invitation => "INVITATION",
            MatchOrigin::Recommendation => "RECOMMENDATION",
        }
    }

    fn parse(s: &str) -> MatchOrigin {
        match s {
            "APPLICATION" => MatchOrigin::Application,
            "INVITATION" => MatchOrigin::Invitation,
            _ => MatchOrigin::Recommendation,
        }
    }
}

/// A scenario × capability pairing (对接).
pub struct Match(pub MatchRow);

/// The organizations on each side of a match.
pub struct Sides {
    pub scenario: ScenarioRow,
    pub capability: CapabilityRow,
}

impl Sides {
    pub async fn load(db: &Db, m: &MatchRow) -> AppResult<Sides> {
        let scenario = scenarios::store::find(db, &m.scenario_id)
            .await?
            .ok_or_else(|| AppError::internal("match without scenario"))?;
        let capability = capabilities::store::find(db, &m.capability_id)
            .await?
            .ok_or_else(|| AppError::internal("match without capability"))?;
        Ok(Sides {
            scenario,
            capability,
        })
    }

    pub fn is_party(&self, viewer: &Viewer) -> bool {
        viewer
            .org_id()
            .is_some_and(|org| org == self.scenario.org_id || org == self.capability.org_id)
    }

    /// The organization that answers a proposal: the side that did not start it. An admin's
    /// recommendation is answered by the capability's provider.
    pub fn counterparty(&self, m: &MatchRow) -> &str {
        match MatchOrigin::parse(&m.origin) {
            MatchOrigin::Application => &self.scenario.org_id,
            MatchOrigin::Invitation | MatchOrigin::Recommendation => &self.capability.org_id,
        }
    }
}

#[Object]
impl Match {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn origin(&self) -> MatchOrigin {
        MatchOrigin::parse(&self.0.origin)
    }
    async fn status(&self) -> MatchStatus {
        self.0.status()
    }
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// The engine's score when the match was proposed.
    async fn score(&self) -> f64 {
        (self.0.score * 10_000.0).round() / 10_000.0
    }
    /// The engine's reasons when the match was proposed.
    async fn reasons(&self) -> Vec<MatchReason> {
        serde_json::from_str::<Vec<StoredReason>>(&self.0.reasons)
            .unwrap_or_default()
            .into_iter()
            .map(MatchReason::from)
            .collect()
    }
    /// The applicant's pitch, the unit's invitation or the admin's note.
    async fn pitch(&self) -> &str {
        &self.0.pitch
    }
    async fn scenario(&self, ctx: &Context<'_>) -> AppResult<Option<Scenario>> {
        Ok(
            loaders::load_one::<ScenarioLoader>(ctx, &self.0.scenario_id)
                .await?
                .map(Scenario),
        )
    }
    async fn capability(&self, ctx: &Context<'_>) -> AppResult<Option<Capability>> {
        Ok(
            loaders::load_one::<CapabilityLoader>(ctx, &self.0.capability_id)
                .await?
                .map(Capability),
        )
    }
    async fn initiator(&self, ctx: &Context<'_>) -> AppResult<Option<orgs::Organization>> {
        orgs::graphql::load_organization(ctx, &self.0.initiator_org_id).await
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.updated_at)
    }
    async fn timeline(&self, ctx: &Context<'_>) -> AppResult<Vec<TimelineEvent>> {
        timeline(ctx, &self.0.id).await
    }
    /// The parties' conversation, oldest first.
    async fn messages(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<MatchMessage>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let db = ctx.data_unchecked::<Db>();
        let (rows, total) = store::messages(db, &self.0.id, page).await?;
        Ok(page.connection(rows, total, MatchMessage))
    }
}

/// A reason as stored with the match.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct StoredReason {
    kind: String,
    contribution: f64,
    detail: String,
    terms: Vec<String>,
}

impl From<&Reason> for StoredReason {
    fn from(r: &Reason) -> Self {
        let m = MatchReason::from(r);
        StoredReason {
            kind: format!("{:?}", m.kind),
            contribution: m.contribution,
            detail: m.detail,
            terms: m.terms,
        }
    }
}

impl From<StoredReason> for MatchReason {
    fn from(r: StoredReason) -> Self {
        MatchReason {
            kind: match r.kind.as_str() {
                "Industry" => MatchReasonKind::Industry,
                "Region" => MatchReasonKind::Region,
                "Maturity" => MatchReasonKind::Maturity,
                "Budget" => MatchReasonKind::Budget,
                "TrackRecord" => MatchReasonKind::TrackRecord,
                _ => MatchReasonKind::Text,
            },
            contribution: r.contribution,
            detail: r.detail,
            terms: r.terms,
        }
    }
}

pub struct MatchMessage(pub MessageRow);

#[Object]
impl MatchMessage {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn author(&self, ctx: &Context<'_>) -> AppResult<Option<crate::auth::User>> {
        Ok(
            loaders::load_one::<crate::auth::UserLoader>(ctx, &self.0.author_id)
                .await?
                .map(crate::auth::User::new),
        )
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
}

#[derive(InputObject, Default)]
pub struct MatchFilter {
    pub status: Option<MatchStatus>,
    pub scenario_id: Option<ID>,
    pub capability_id: Option<ID>,
}

#[derive(Default)]
pub struct MatchListQuery;

#[Object]
impl MatchListQuery {
    /// A match; visible to its two parties and admins (NOT_FOUND for anyone else).
    #[graphql(name = "match")]
    async fn match_(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Match>> {
        let viewer = Viewer::of(ctx);
        viewer.require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let row = store::find(db, &id).await?.ok_or(AppError::NotFound)?;
        let sides = Sides::load(db, &row).await?;
        if !(viewer.is_admin() || sides.is_party(viewer)) {
            return Err(AppError::NotFound);
        }
        Ok(Some(Match(row)))
    }

    /// The signed-in organization's matches (all of them for admins), most recent first.
    async fn matches(
        &self,
        ctx: &Context<'_>,
        filter: Option<MatchFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Match>> {
        let viewer = Viewer::of(ctx);
        let claims = viewer.require_user()?;
        let page = PageRequest::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let list = store::ListFilter {
            party_org: (!viewer.is_admin()).then(|| claims.org.clone()),
            status: f.status,
            scenario_id: f.scenario_id.map(|id| id.to_string()),
            capability_id: f.capability_id.map(|id| id.to_string()),
        };
        let db = ctx.data_unchecked::<Db>();
        let (rows, total) = store::list(db, &list, page).await?;
        Ok(page.connection(rows, total, Match))
    }
}

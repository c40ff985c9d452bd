//! The GraphQL door of matching and 对接 reads: recommendations with reasons, matches and their
//! conversation. Rules live in [`super::service`].

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::machine::MatchStatus;
use super::model::{MatchOrigin, StoredReason, round4};
use super::service;
use super::store::{self, MatchRow, MessageRow};
use crate::capabilities::{Capability, CapabilityLoader};
use crate::db::{self, Db};
use crate::error::AppResult;
use crate::items::graphql::{TimelineEvent, timeline};
use crate::loaders;
use crate::matching::{Ranked, Reason, ReasonKind};
use crate::orgs;
use crate::pagination::{Page, PageRequest};
use crate::scenarios::{Scenario, ScenarioLoader};
use crate::search::LiveIndex;
use crate::viewer::Viewer;

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
    /// 语义相近：the two items say related things in other words (word vectors), compared with
    /// the other candidates; negative when further than they are.
    Semantic,
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
                ReasonKind::Semantic => MatchReasonKind::Semantic,
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
    /// Orders this list; relative to the other candidates, so not comparable across lists.
    pub score: f64,
    /// 匹配度, 0–100: the chance, in percent, that reviewers judge the pair a fit for the need.
    /// The same for the pair from either side and in any list (README, Match degree).
    pub match_degree: i32,
    pub reasons: Vec<MatchReason>,
}

#[derive(SimpleObject)]
pub struct RecommendedScenario {
    pub scenario: Scenario,
    /// Orders this list; relative to the other candidates, so not comparable across lists.
    pub score: f64,
    /// 匹配度, 0–100: the chance, in percent, that reviewers judge the pair a fit for the need.
    /// The same for the pair from either side and in any list (README, Match degree).
    pub match_degree: i32,
    pub reasons: Vec<MatchReason>,
}

fn score(r: &Ranked) -> f64 {
    round4(r.score)
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
        let ranked = service::recommended_capabilities(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &scenario_id,
            first,
        )
        .await?;
        Ok(ranked
            .into_iter()
            .map(|(row, r)| RecommendedCapability {
                capability: Capability(row),
                score: score(&r),
                match_degree: i32::from(r.degree),
                reasons: r.reasons.iter().map(MatchReason::from).collect(),
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
        let ranked = service::recommended_scenarios(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &capability_id,
            first,
        )
        .await?;
        Ok(ranked
            .into_iter()
            .map(|(row, r)| RecommendedScenario {
                scenario: Scenario(row),
                score: score(&r),
                match_degree: i32::from(r.degree),
                reasons: r.reasons.iter().map(MatchReason::from).collect(),
            })
            .collect())
    }
}

/// A scenario × capability pairing (对接).
pub struct Match(pub MatchRow);

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
    /// The match degree (匹配度, 0–100) when the match was proposed; null for pairs the engine
    /// could not weigh.
    async fn match_degree(&self) -> Option<i64> {
        self.0.match_degree
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
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let db = ctx.data_unchecked::<Db>();
        let (rows, total) = store::messages(db, &self.0.id, page).await?;
        Ok(page.connection(rows, total, MatchMessage))
    }
}

/// Why the engine proposed a match, as stored with it.
impl From<StoredReason> for MatchReason {
    fn from(r: StoredReason) -> Self {
        MatchReason {
            kind: match r.kind.as_str() {
                "Industry" => MatchReasonKind::Industry,
                "Region" => MatchReasonKind::Region,
                "Maturity" => MatchReasonKind::Maturity,
                "Budget" => MatchReasonKind::Budget,
                "TrackRecord" => MatchReasonKind::TrackRecord,
                "Semantic" => MatchReasonKind::Semantic,
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
        let (row, _) = service::find(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &id).await?;
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
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let rows = service::list(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            f.status,
            f.scenario_id.map(|id| id.to_string()),
            f.capability_id.map(|id| id.to_string()),
            page,
        )
        .await?;
        Ok(page.connection_of(rows, Match))
    }
}

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};

use super::index::{LiveIndex, capability_doc, scenario_doc};
use crate::auth::Viewer;
use crate::capabilities::Capability;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::matching::{Ranked, Reason, ReasonKind};
use crate::scenarios::Scenario;
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
            contribution: f64::from((r.contribution * 10_000.0).round() / 10_000.0),
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
    f64::from((r.score * 10_000.0).round() / 10_000.0)
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
        if !scenarios::graphql::can_manage(viewer, &row) {
            return Err(if row.status().is_public() {
                AppError::Forbidden
            } else {
                AppError::NotFound
            });
        }
        let index = ctx.data_unchecked::<Arc<LiveIndex>>();
        let ranked = index.rank_capabilities(&scenario_doc(&row), limit);
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
        if !capabilities::graphql::can_manage(viewer, &row) {
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
        let ranked = index.rank_scenarios(&capability_doc(&row, &org.region_code), limit);
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

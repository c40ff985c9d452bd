//! The figures of the statistics (统计), as the service computes them.

use async_graphql::{Enum, SimpleObject};

use crate::matches::MatchStatus;
use crate::matches::model::MatchOrigin;
use crate::scenarios::ScenarioStatus;

/// Whose figures these are.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum StatsScope {
    /// Everything: administrators.
    All,
    /// Computed from published items only (scenarios from 发布 on, listed capabilities): everyone
    /// else.
    Published,
}

/// The stages of a scenario's path (DESIGN.md): 挖掘 → 策划 → 发布 → 对接 → 落地 → 推广.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ScenarioStage {
    /// 挖掘：DISCOVERED
    Discovery,
    /// 策划：PLANNED, PENDING_REVIEW, CHANGES_REQUESTED
    Planning,
    /// 发布：PUBLISHED
    Publication,
    /// 对接：MATCHING
    Matchmaking,
    /// 落地：IMPLEMENTING, LANDED
    Landing,
    /// 推广：PROMOTED
    Promotion,
}

impl ScenarioStage {
    pub const ALL: [ScenarioStage; 6] = [
        ScenarioStage::Discovery,
        ScenarioStage::Planning,
        ScenarioStage::Publication,
        ScenarioStage::Matchmaking,
        ScenarioStage::Landing,
        ScenarioStage::Promotion,
    ];

    /// The stage a status belongs to; none for WITHDRAWN, CLOSED and REJECTED, which left the
    /// path.
    pub fn of(status: ScenarioStatus) -> Option<ScenarioStage> {
        use ScenarioStatus as S;
        Some(match status {
            S::Discovered => ScenarioStage::Discovery,
            S::Planned | S::PendingReview | S::PendingCityReview | S::ChangesRequested => {
                ScenarioStage::Planning
            }
            S::Published => ScenarioStage::Publication,
            S::Matching => ScenarioStage::Matchmaking,
            S::Implementing | S::Landed => ScenarioStage::Landing,
            S::Promoted => ScenarioStage::Promotion,
            S::Withdrawn | S::Closed | S::Rejected => return None,
        })
    }

    /// 1 for 挖掘 … 6 for 推广.
    pub fn rank(self) -> i64 {
        ScenarioStage::ALL
            .iter()
            .position(|stage| *stage == self)
            .expect("every stage is in ALL") as i64
            + 1
    }

    pub fn label(self) -> &'static str {
        match self {
            ScenarioStage::Discovery => "挖掘",
            ScenarioStage::Planning => "策划",
            ScenarioStage::Publication => "发布",
            ScenarioStage::Matchmaking => "对接",
            ScenarioStage::Landing => "落地",
            ScenarioStage::Promotion => "推广",
        }
    }
}

/// A group of items (a region, a cluster, a category) with how many there are, and an amount
/// where the figure has one.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct StatBucket {
    /// The region, industry cluster, category or group code (`PINGCHUAN`, `DONGSHAN`, `CITY`).
    pub code: String,
    pub name: String,
    pub count: i64,
    /// Landed investment in 万元 (landed scenarios); featured capabilities (capabilities); null
    /// elsewhere.
    pub amount: Option<i64>,
}

#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct ScenarioStatusCount {
    pub status: ScenarioStatus,
    pub count: i64,
}

/// One stage of the funnel.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct FunnelStage {
    pub stage: ScenarioStage,
    pub name: String,
    /// Scenarios that reached this stage at some time (and may have gone further or left);
    /// null where the scope does not show the stage (before 发布 for non-administrators).
    pub reached: Option<i64>,
    /// Scenarios in this stage now; null where the scope does not show it.
    pub now: Option<i64>,
}

/// How long scenarios took from entering one stage to entering the next.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct StageDuration {
    pub from: ScenarioStage,
    pub to: ScenarioStage,
    /// The median, in days to one decimal; null when no scenario took the step, or where the
    /// scope does not show the stage (before 发布 for non-administrators).
    pub median_days: Option<f64>,
    /// Scenarios that took the step; null where the scope does not show it.
    pub scenarios: Option<i64>,
}

/// Scenarios (机会清单).
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct ScenarioStats {
    pub total: i64,
    pub by_status: Vec<ScenarioStatusCount>,
    /// By county or district; the city level as 140700.
    pub by_region: Vec<StatBucket>,
    /// 平川 (PINGCHUAN), 东山 (DONGSHAN), and the city level (CITY).
    pub by_region_group: Vec<StatBucket>,
    /// By industry cluster: a scenario with industries in two clusters counts in each.
    pub by_cluster: Vec<StatBucket>,
    pub by_category: Vec<StatBucket>,
    /// 挖掘 → 策划 → 发布 → 对接 → 落地 → 推广.
    pub funnel: Vec<FunnelStage>,
    /// Median days from each stage to the next: 挖掘 (recorded) → 策划 → 发布 → 对接 → 落地 → 推广,
    /// from the first entry into one to the first into the other.
    pub stage_days: Vec<StageDuration>,
    /// Of the scenarios that reached 发布, the share that found a partner (reached 落地); null
    /// when none was published.
    pub partner_share: Option<f64>,
    /// Landed and promoted scenarios by region: `count` scenarios, `amount` investment in 万元.
    pub landed_by_region: Vec<StatBucket>,
    /// The same by cluster (a scenario in two clusters counts, with its investment, in each).
    pub landed_by_cluster: Vec<StatBucket>,
}

/// Capabilities (能力清单): listed ones, featured (晋中优秀方案) among them.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct CapabilityStats {
    pub listed: i64,
    pub featured: i64,
    /// By the provider's region: `count` listed, `amount` featured.
    pub by_region: Vec<StatBucket>,
    /// By cluster: `count` listed, `amount` featured.
    pub by_cluster: Vec<StatBucket>,
}

#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct MatchStatusCount {
    pub status: MatchStatus,
    pub count: i64,
}

#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct MatchOriginCount {
    pub origin: MatchOrigin,
    pub count: i64,
}

/// A capability by its matches with the selected scenarios.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct CapabilityRank {
    pub capability_id: String,
    pub code: Option<String>,
    pub title: String,
    pub organization_name: String,
    pub matches: i64,
}

/// Matches (对接) of the selected scenarios.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct MatchStats {
    pub total: i64,
    pub by_status: Vec<MatchStatusCount>,
    /// Application, invitation, recommendation.
    pub by_origin: Vec<MatchOriginCount>,
    /// The ten capabilities with the most matches, most first.
    pub top_capabilities: Vec<CapabilityRank>,
}

/// Matchmaking events (对接活动) of the selected regions, starting in the selected year.
#[derive(SimpleObject, Clone, Debug, Default, PartialEq, Eq)]
pub struct EventStats {
    /// Announced: every event out of its draft (open, closed, held, archived, cancelled).
    pub announced: i64,
    /// Held (HELD or ARCHIVED).
    pub held: i64,
    /// Registrations received by those events, cancelled ones aside.
    pub registrations: i64,
    /// Registrations accepted (places taken).
    pub accepted: i64,
    /// Administrators only (matches are private to their parties): matches born at events
    /// (origin EVENT) with the selected scenarios.
    pub matches: Option<i64>,
    /// Administrators only: how many of those landed.
    pub landed: Option<i64>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Stats {
    pub scope: StatsScope,
    pub scenarios: ScenarioStats,
    pub capabilities: CapabilityStats,
    pub events: EventStats,
    /// Administrators only; null for everyone else (matches are private to their parties).
    pub matches: Option<MatchStats>,
}

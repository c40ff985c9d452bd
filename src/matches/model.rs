//! The match's own vocabulary: how it started, what an admin decides, the engine's reasons as
//! stored with it, and the two sides it joins.

use async_graphql::Enum;

use super::store::MatchRow;
use crate::capabilities::{self, CapabilityRow};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::matching::Reason;
use crate::scenarios::{self, ScenarioRow};
use crate::viewer::Viewer;

/// How a match started.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MatchOrigin {
    /// An enterprise applied with a pitch.
    Application,
    /// The scenario's unit invited a capability.
    Invitation,
    /// An admin proposed an engine result.
    Recommendation,
    /// The scenario was adopted from the capability's provider's proposal (反向挖掘): invited
    /// when it was published.
    Proposal,
    /// The pair met at a matchmaking event (对接活动) and continues: approved when recorded.
    Event,
}

impl MatchOrigin {
    pub const ALL: [MatchOrigin; 5] = [
        MatchOrigin::Application,
        MatchOrigin::Invitation,
        MatchOrigin::Recommendation,
        MatchOrigin::Proposal,
        MatchOrigin::Event,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MatchOrigin::Application => "APPLICATION",
            MatchOrigin::Invitation => "INVITATION",
            MatchOrigin::Recommendation => "RECOMMENDATION",
            MatchOrigin::Proposal => "PROPOSAL",
            MatchOrigin::Event => "EVENT",
        }
    }

    pub fn parse(s: &str) -> MatchOrigin {
        match s {
            "APPLICATION" => MatchOrigin::Application,
            "INVITATION" => MatchOrigin::Invitation,
            "PROPOSAL" => MatchOrigin::Proposal,
            "EVENT" => MatchOrigin::Event,
            _ => MatchOrigin::Recommendation,
        }
    }
}

// An admin's decision on a proposed match.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ModerationDecision {
    Approve,
    Reject,
}

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
    /// recommendation is answered by the capability's provider; a pair from a matchmaking event
    /// (started by the enterprise that registered) by the scenario's unit.
    pub fn counterparty(&self, m: &MatchRow) -> &str {
        match MatchOrigin::parse(&m.origin) {
            MatchOrigin::Application | MatchOrigin::Event => &self.scenario.org_id,
            MatchOrigin::Invitation | MatchOrigin::Recommendation | MatchOrigin::Proposal => {
                &self.capability.org_id
            }
        }
    }
}

/// A reason as stored with the match: the engine's reason when the match was proposed.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
pub struct StoredReason {
    /// The engine's reason kind by name: Text, Industry, Region, Maturity, Budget, TrackRecord,
    /// Semantic.
    pub kind: String,
    pub contribution: f64,
    pub detail: String,
    pub terms: Vec<String>,
}

impl From<&Reason> for StoredReason {
    fn from(r: &Reason) -> Self {
        StoredReason {
            kind: format!("{:?}", r.kind),
            contribution: round4(r.contribution),
            detail: r.detail.clone(),
            terms: r.terms.clone(),
        }
    }
}

/// Four decimals are all a score means; rounding in f64 keeps the JSON free of f32 noise.
pub fn round4(x: f32) -> f64 {
    (f64::from(x) * 10_000.0).round() / 10_000.0
}

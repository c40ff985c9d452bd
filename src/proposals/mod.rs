//! Scenarios proposed by enterprises (反向挖掘, README "Scenario proposals"): a verified
//! enterprise describes a problem it has seen in a county, names the unit it concerns if it knows
//! it, and says why one of its listed capabilities fits. The addressee — the unit, else the
//! county managers of the region, else the city — adopts it into a new DISCOVERED scenario of a
//! unit (prefilled, crediting the proposal) or declines it with a reason. When the adopted
//! scenario is published, the proposer's capability is invited at once (a match with origin
//! PROPOSAL, in the publishing transaction).

mod graphql;
pub mod service;
pub mod store;

pub use graphql::{ProposalMutation, ProposalQuery, ScenarioProposal};
pub use service::on_scenario_event;
pub use store::ProposalRow;

use async_graphql::Enum;

pub const AGGREGATE: &str = "PROPOSAL";

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Waiting for the addressee.
    Open,
    /// Adopted into a scenario of a unit.
    Adopted,
    /// Declined, with the reason.
    Declined,
}

impl ProposalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalStatus::Open => "OPEN",
            ProposalStatus::Adopted => "ADOPTED",
            ProposalStatus::Declined => "DECLINED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            ProposalStatus::Open,
            ProposalStatus::Adopted,
            ProposalStatus::Declined,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }
}

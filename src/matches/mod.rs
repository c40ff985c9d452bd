//! Matching in the service and the 对接 lifecycle: the documents the live index holds, the
//! recommendations it answers, and matches from proposal to a landed, promoted case.

pub mod documents;
pub mod graphql;
pub mod machine;
pub mod model;
mod mutations;
pub mod service;
pub mod steps;
pub mod store;

pub use graphql::{MatchListQuery, MatchQuery};
pub use machine::{MatchStatus, RULES};
pub use mutations::MatchMutation;

//! Matching in the service: the live index over the two lists and the recommendations it
//! answers. (The 对接 lifecycle of matches builds on this slice.)

pub mod graphql;
pub mod index;

pub use graphql::MatchQuery;
pub use index::LiveIndex;

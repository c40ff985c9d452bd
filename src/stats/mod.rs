//! Statistics (统计) for the people who report on the platform: scenarios by status, region,
//! cluster and category, the 挖掘 → 推广 funnel, landed investment, capabilities, matches.
//! Administrators see everything; everyone else the figures of published items.

pub mod graphql;
pub mod model;
pub mod service;
mod store;

pub use graphql::StatsQuery;

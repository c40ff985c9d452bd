//! Scenarios: the opportunity list (机会清单). Government units record, plan and submit them;
//! admins review; published ones are open to everyone.

pub mod documents;
pub mod graphql;
pub mod machine;
pub mod model;
pub mod service;
pub mod store;

pub use graphql::{Scenario, ScenarioMutation, ScenarioQuery};
pub use machine::{RULES, ScenarioStatus};
pub use store::ScenarioRow;
mod loader;
pub use loader::ScenarioLoader;

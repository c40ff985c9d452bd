//! Capabilities: the capability list (能力清单). Enterprises and research institutes post what
//! they can deliver; admins review, list and feature the best as 晋中优秀方案.

pub mod documents;
pub mod graphql;
pub mod machine;
pub mod model;
pub mod service;
pub mod store;

pub use graphql::{Capability, CapabilityMutation, CapabilityQuery};
pub use machine::{CapabilityStatus, RULES};
pub use store::CapabilityRow;
mod loader;
pub use loader::CapabilityLoader;

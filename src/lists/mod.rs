//! The published lists: numbered editions (批次) of the opportunity and capability lists, and the
//! admins' review queue over both.

pub mod graphql;
pub mod model;
pub mod service;
pub mod store;

pub use graphql::{Edition, ListsMutation, ListsQuery};

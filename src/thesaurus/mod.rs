//! The editable domain thesaurus: groups of words that name the same need or the same kind of
//! solution, which matching and free-text search use. Administrators list, add, edit and remove
//! groups; each change is recorded in the group's timeline and applied to the live index of
//! every instance without a restart. The groups shipped with the service are written once, at
//! the first start.

pub mod graphql;
pub mod service;
pub mod store;

pub use graphql::{ThesaurusMutation, ThesaurusQuery};

//! The capability's own vocabulary: the fields a provider writes, and what the capability list
//! is filtered and ordered by.

use async_graphql::{Enum, InputObject};

use super::CapabilityStatus;
use crate::items::ContactInput;
use crate::taxonomy::RegionGroup;

#[derive(InputObject, Clone)]
pub struct DeliveredCaseInput {
    pub title: String,
    pub client: String,
    pub year: i32,
    pub summary: String,
}

/// The fields of a capability as the provider writes them. Creating needs title, summary,
/// description, industryCodes and maturity; submitting for review needs a contact. In an update,
/// a missing field keeps its current value.
#[derive(InputObject, Default)]
pub struct CapabilityFields {
    /// Required on create; at most 60 characters.
    pub title: Option<String>,
    /// Required on create; at most 200 characters.
    pub summary: Option<String>,
    /// Required on create; at most 5000 characters.
    pub description: Option<String>,
    /// Required on create: at least one industry code of the taxonomy.
    pub industry_codes: Option<Vec<String>>,
    /// At most 10 tags of at most 20 characters.
    pub tags: Option<Vec<String>>,
    /// Required on create: technology readiness level 1–9.
    pub maturity: Option<i32>,
    /// Price range in 万元.
    pub price_min: Option<i32>,
    pub price_max: Option<i32>,
    /// Defaults to the provider's region; 140700 serves the whole city.
    pub service_region_codes: Option<Vec<String>>,
    pub cases: Option<Vec<DeliveredCaseInput>>,
    pub certifications: Option<Vec<String>>,
    /// Needed to submit for review.
    pub contact: Option<ContactInput>,
}

#[derive(InputObject, Default, Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityFilter {
    /// Free text in Chinese (words or phrases); combine with `orderBy: RELEVANCE`.
    pub query: Option<String>,
    /// A cluster code (e.g. MT) matches all of its sub-industries.
    pub industry_codes: Option<Vec<String>>,
    /// Capabilities serving any of these regions.
    pub region_codes: Option<Vec<String>>,
    pub region_group: Option<RegionGroup>,
    /// Capabilities whose price range meets [budgetMin, budgetMax] (万元).
    pub budget_min: Option<i32>,
    pub budget_max: Option<i32>,
    pub maturity_at_least: Option<i32>,
    /// The states to list; LISTED and FEATURED when absent (`[FEATURED]` is the 晋中优秀方案
    /// list). Anyone may list those two; admins any state. Free text (`query`) searches the live
    /// list only.
    pub statuses: Option<Vec<CapabilityStatus>>,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum CapabilityOrderBy {
    /// Newest first.
    #[default]
    ListedAt,
    /// Most mature first.
    Maturity,
    /// Lowest price first.
    Price,
    /// Best match of `filter.query` first (newest first without a query).
    Relevance,
}

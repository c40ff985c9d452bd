//! The scenario's own vocabulary: its category and cooperation modes, the fields an owner writes,
//! and what the opportunity list is filtered and ordered by.

use async_graphql::{Enum, InputObject};
use chrono::NaiveDate;

use super::ScenarioStatus;
use crate::items::ContactInput;
use crate::taxonomy::RegionGroup;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScenarioCategoryCode {
    /// 智慧应用新兴场景
    Industrial,
    /// 智慧城市场景
    City,
    /// 智慧社区场景
    Community,
}

impl ScenarioCategoryCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioCategoryCode::Industrial => "INDUSTRIAL",
            ScenarioCategoryCode::City => "CITY",
            ScenarioCategoryCode::Community => "COMMUNITY",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Industrial, Self::City, Self::Community]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CooperationMode {
    /// 采购
    Procurement,
    /// 联合研发
    JointRd,
    /// 场景开放（免费试用、试点）
    SiteOpen,
    /// 投资合作
    Investment,
    Other,
}

impl CooperationMode {
    pub const ALL: [CooperationMode; 5] = [
        CooperationMode::Procurement,
        CooperationMode::JointRd,
        CooperationMode::SiteOpen,
        CooperationMode::Investment,
        CooperationMode::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CooperationMode::Procurement => "PROCUREMENT",
            CooperationMode::JointRd => "JOINT_RD",
            CooperationMode::SiteOpen => "SITE_OPEN",
            CooperationMode::Investment => "INVESTMENT",
            CooperationMode::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The mode's Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            CooperationMode::Procurement => "采购",
            CooperationMode::JointRd => "联合研发",
            CooperationMode::SiteOpen => "场景开放",
            CooperationMode::Investment => "投资合作",
            CooperationMode::Other => "其他",
        }
    }
}

/// The fields of a scenario as the owner writes them. Creating needs title, summary,
/// description, category and industryCodes (the rest may come later); planning (PLAN) needs
/// budgetMin or budgetMax, maturityRequired, a deadline after today and a contact. In an update, a
/// missing field keeps its current value.
#[derive(InputObject, Default)]
pub struct ScenarioFields {
    /// Required on create; at most 60 characters.
    pub title: Option<String>,
    /// Required on create; at most 200 characters.
    pub summary: Option<String>,
    /// Required on create; at most 5000 characters.
    pub description: Option<String>,
    /// Required on create.
    pub category: Option<ScenarioCategoryCode>,
    /// Required on create: at least one industry code of the taxonomy (a cluster such as MT
    /// stands for all of its sub-industries).
    pub industry_codes: Option<Vec<String>>,
    /// At most 10 tags of at most 20 characters.
    pub tags: Option<Vec<String>>,
    /// Defaults to the publishing unit's region.
    pub region_code: Option<String>,
    /// Budget range in 万元; one end is needed to plan.
    pub budget_min: Option<i32>,
    pub budget_max: Option<i32>,
    pub cooperation_modes: Option<Vec<CooperationMode>>,
    /// Technology readiness level 1–9; needed to plan.
    pub maturity_required: Option<i32>,
    /// The last day applications are taken; after today, needed to plan.
    pub deadline: Option<NaiveDate>,
    /// Needed to plan.
    pub contact: Option<ContactInput>,
}

#[derive(InputObject, Default, Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpportunityFilter {
    /// Free text in Chinese (words or phrases), matched with the same tokenizer as the
    /// recommendations; combine with `orderBy: RELEVANCE`.
    pub query: Option<String>,
    pub category: Option<ScenarioCategoryCode>,
    /// A cluster code (e.g. MT) matches all of its sub-industries.
    pub industry_codes: Option<Vec<String>>,
    pub region_codes: Option<Vec<String>>,
    pub region_group: Option<RegionGroup>,
    /// Scenarios whose budget range meets [budgetMin, budgetMax] (万元).
    pub budget_min: Option<i32>,
    pub budget_max: Option<i32>,
    /// Scenarios asking for at least this readiness level.
    pub maturity_at_least: Option<i32>,
    /// Scenarios whose deadline is after this date.
    pub deadline_after: Option<NaiveDate>,
    /// The stages to list; PUBLISHED and MATCHING (the live list) when absent. Anyone may list
    /// the public stages (PUBLISHED, MATCHING, IMPLEMENTING, LANDED, PROMOTED, CLOSED); admins
    /// any state. Free text (`query`) searches the live list only.
    pub statuses: Option<Vec<ScenarioStatus>>,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum ScenarioOrderBy {
    /// Newest first.
    #[default]
    PublishedAt,
    /// Soonest deadline first.
    Deadline,
    /// Largest budget first.
    Budget,
    /// Best match of `filter.query` first (newest first without a query).
    Relevance,
}

/// A row of a collected-scenario file (场景征集表) as a door read it: where it stands in the file
/// (the spreadsheet's row number), its fields, and what the door could not read (a field it left
/// empty for that reason, named by its input path).
pub struct ImportRow {
    pub line: usize,
    pub fields: ScenarioFields,
    pub problems: Vec<crate::error::UserError>,
}

/// What is wrong with one row of an import: its row number and the field it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub error: crate::error::UserError,
}

/// A row that was not imported because the unit already has that scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedRow {
    pub line: usize,
    pub scenario_id: String,
}

/// What an import wrote: how many scenarios it created and which rows it skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub skipped: Vec<SkippedRow>,
}

/// A reviewer's decision on a submitted scenario (either level).
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ScenarioReviewDecision {
    /// The county's approval sends it to the city; the city's publishes it.
    Approve,
    /// Back to the unit with the reason (退回修改).
    RequestChanges,
    /// Not to be published, with the reason (驳回); the scenario ends.
    Reject,
}

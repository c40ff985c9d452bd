//! The capability lifecycle: DRAFT → PENDING_REVIEW → LISTED → FEATURED (晋中优秀方案), with
//! CHANGES_REQUESTED, edits of a listed item going back to review, and ARCHIVED.

use async_graphql::Enum;

use crate::machine::{By, Rule};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CapabilityStatus {
    /// 草稿
    Draft,
    /// 待审核
    PendingReview,
    /// 退回修改
    ChangesRequested,
    /// 已入库：on the capability list.
    Listed,
    /// 晋中优秀方案
    Featured,
    /// 已归档
    Archived,
}

impl CapabilityStatus {
    pub const ALL: [CapabilityStatus; 6] = [
        CapabilityStatus::Draft,
        CapabilityStatus::PendingReview,
        CapabilityStatus::ChangesRequested,
        CapabilityStatus::Listed,
        CapabilityStatus::Featured,
        CapabilityStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CapabilityStatus::Draft => "DRAFT",
            CapabilityStatus::PendingReview => "PENDING_REVIEW",
            CapabilityStatus::ChangesRequested => "CHANGES_REQUESTED",
            CapabilityStatus::Listed => "LISTED",
            CapabilityStatus::Featured => "FEATURED",
            CapabilityStatus::Archived => "ARCHIVED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            CapabilityStatus::Draft => "草稿",
            CapabilityStatus::PendingReview => "待审核",
            CapabilityStatus::ChangesRequested => "退回修改",
            CapabilityStatus::Listed => "已入库",
            CapabilityStatus::Featured => "晋中优秀方案",
            CapabilityStatus::Archived => "已归档",
        }
    }

    /// On the live capability list, readable by anyone.
    pub fn is_public(self) -> bool {
        matches!(self, CapabilityStatus::Listed | CapabilityStatus::Featured)
    }

    /// Content may be edited (a listed item then goes back to review).
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            CapabilityStatus::Draft | CapabilityStatus::ChangesRequested | CapabilityStatus::Listed
        )
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Submit,
    Approve,
    RequestChanges,
    /// Editing a listed capability sends it back to review.
    Edit,
    Feature,
    Archive,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Submit => "SUBMIT",
            Step::Approve => "APPROVE",
            Step::RequestChanges => "REQUEST_CHANGES",
            Step::Edit => "EDIT",
            Step::Feature => "FEATURE",
            Step::Archive => "ARCHIVE",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Step::Submit => "提交审核",
            Step::Approve => "审核通过",
            Step::RequestChanges => "退回修改",
            Step::Edit => "修改",
            Step::Feature => "评为晋中优秀方案",
            Step::Archive => "归档",
        }
    }
}

/// The owner's actions through `transitionCapability`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CapabilityAction {
    Submit,
    Archive,
}

impl From<CapabilityAction> for Step {
    fn from(action: CapabilityAction) -> Step {
        match action {
            CapabilityAction::Submit => Step::Submit,
            CapabilityAction::Archive => Step::Archive,
        }
    }
}

use CapabilityStatus as S;

const fn rule(from: S, action: Step, by: By, to: S) -> Rule<S, Step> {
    Rule {
        from,
        action,
        by,
        to,
    }
}

pub const RULES: &[Rule<S, Step>] = &[
    rule(S::Draft, Step::Submit, By::Owner, S::PendingReview),
    rule(
        S::ChangesRequested,
        Step::Submit,
        By::Owner,
        S::PendingReview,
    ),
    rule(S::PendingReview, Step::Approve, By::Admin, S::Listed),
    rule(
        S::PendingReview,
        Step::RequestChanges,
        By::Admin,
        S::ChangesRequested,
    ),
    rule(S::Listed, Step::Edit, By::Owner, S::PendingReview),
    rule(S::Listed, Step::Feature, By::Admin, S::Featured),
    rule(S::Listed, Step::Archive, By::Owner, S::Archived),
    rule(S::Featured, Step::Archive, By::Owner, S::Archived),
];

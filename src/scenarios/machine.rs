//! The scenario lifecycle (DESIGN.md, Lifecycles): 挖掘 DISCOVERED → 策划 PLANNED → review →
//! 发布 PUBLISHED → 对接 MATCHING → 落地 … One row per allowed transition. Review has two
//! levels where the scenario's county has a manager (县级初审 → 市级终审), one elsewhere.

use async_graphql::Enum;

use crate::machine::{By, Rule};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScenarioStatus {
    /// 挖掘：recorded by the unit, not yet planned.
    Discovered,
    /// 策划：budget, maturity, deadline and contact settled.
    Planned,
    /// 待审核：waiting for the first review there is (the county's, where it has a manager).
    PendingReview,
    /// 待市级终审：the county approved; the city publishes.
    PendingCityReview,
    /// 退回修改
    ChangesRequested,
    /// 已发布：on the opportunity list.
    Published,
    /// 对接中：a match has been approved.
    Matching,
    /// 实施中：a partner is selected.
    Implementing,
    /// 已落地
    Landed,
    /// 已推广
    Promoted,
    /// 已撤回
    Withdrawn,
    /// 已关闭
    Closed,
    /// 未通过审核：rejected at either level, with the reason.
    Rejected,
}

impl ScenarioStatus {
    pub const ALL: [ScenarioStatus; 13] = [
        ScenarioStatus::Discovered,
        ScenarioStatus::Planned,
        ScenarioStatus::PendingReview,
        ScenarioStatus::PendingCityReview,
        ScenarioStatus::ChangesRequested,
        ScenarioStatus::Published,
        ScenarioStatus::Matching,
        ScenarioStatus::Implementing,
        ScenarioStatus::Landed,
        ScenarioStatus::Promoted,
        ScenarioStatus::Withdrawn,
        ScenarioStatus::Closed,
        ScenarioStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioStatus::Discovered => "DISCOVERED",
            ScenarioStatus::Planned => "PLANNED",
            ScenarioStatus::PendingReview => "PENDING_REVIEW",
            ScenarioStatus::PendingCityReview => "PENDING_CITY_REVIEW",
            ScenarioStatus::ChangesRequested => "CHANGES_REQUESTED",
            ScenarioStatus::Published => "PUBLISHED",
            ScenarioStatus::Matching => "MATCHING",
            ScenarioStatus::Implementing => "IMPLEMENTING",
            ScenarioStatus::Landed => "LANDED",
            ScenarioStatus::Promoted => "PROMOTED",
            ScenarioStatus::Withdrawn => "WITHDRAWN",
            ScenarioStatus::Closed => "CLOSED",
            ScenarioStatus::Rejected => "REJECTED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ScenarioStatus::Discovered => "挖掘",
            ScenarioStatus::Planned => "策划",
            ScenarioStatus::PendingReview => "待审核",
            ScenarioStatus::PendingCityReview => "待市级终审",
            ScenarioStatus::ChangesRequested => "退回修改",
            ScenarioStatus::Published => "已发布",
            ScenarioStatus::Matching => "对接中",
            ScenarioStatus::Implementing => "实施中",
            ScenarioStatus::Landed => "已落地",
            ScenarioStatus::Promoted => "已推广",
            ScenarioStatus::Withdrawn => "已撤回",
            ScenarioStatus::Closed => "已关闭",
            ScenarioStatus::Rejected => "未通过审核",
        }
    }

    /// Approved at some point: anyone may read it.
    pub fn is_public(self) -> bool {
        matches!(
            self,
            ScenarioStatus::Published
                | ScenarioStatus::Matching
                | ScenarioStatus::Implementing
                | ScenarioStatus::Landed
                | ScenarioStatus::Promoted
                | ScenarioStatus::Closed
        )
    }

    /// On the live opportunity list.
    pub fn is_open(self) -> bool {
        matches!(self, ScenarioStatus::Published | ScenarioStatus::Matching)
    }

    /// Substantive edits are allowed.
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            ScenarioStatus::Discovered | ScenarioStatus::Planned | ScenarioStatus::ChangesRequested
        )
    }
}

/// Every step of the lifecycle, whoever takes it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Plan,
    Submit,
    /// The county approves; the city reviews next.
    CountyApprove,
    /// The city approves: published.
    Approve,
    RequestChanges,
    Reject,
    Withdraw,
    Close,
    /// The deadline passed with no partner.
    Expire,
    /// The first match was approved.
    StartMatching,
    /// The unit selected its partner.
    SelectPartner,
    /// The unit recorded the outcome.
    RecordOutcome,
    /// An admin promotes the landed case.
    Promote,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Plan => "PLAN",
            Step::Submit => "SUBMIT",
            Step::CountyApprove => "COUNTY_APPROVE",
            Step::Approve => "APPROVE",
            Step::Reject => "REJECT",
            Step::RequestChanges => "REQUEST_CHANGES",
            Step::Withdraw => "WITHDRAW",
            Step::Close => "CLOSE",
            Step::Expire => "EXPIRE",
            Step::StartMatching => "START_MATCHING",
            Step::SelectPartner => "SELECT_PARTNER",
            Step::RecordOutcome => "RECORD_OUTCOME",
            Step::Promote => "PROMOTE",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Step::Plan => "策划",
            Step::Submit => "提交审核",
            Step::CountyApprove => "县级初审通过",
            Step::Approve => "审核通过",
            Step::Reject => "驳回",
            Step::RequestChanges => "退回修改",
            Step::Withdraw => "撤回",
            Step::Close => "关闭",
            Step::Expire => "到期关闭",
            Step::StartMatching => "进入对接",
            Step::SelectPartner => "选定合作方",
            Step::RecordOutcome => "登记落地成效",
            Step::Promote => "推广",
        }
    }
}

/// The owner's actions through `transitionScenario`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ScenarioAction {
    Plan,
    Submit,
    Withdraw,
    Close,
}

impl From<ScenarioAction> for Step {
    fn from(action: ScenarioAction) -> Step {
        match action {
            ScenarioAction::Plan => Step::Plan,
            ScenarioAction::Submit => Step::Submit,
            ScenarioAction::Withdraw => Step::Withdraw,
            ScenarioAction::Close => Step::Close,
        }
    }
}

use ScenarioStatus as S;

const fn rule(from: S, action: Step, by: By, to: S) -> Rule<S, Step> {
    Rule {
        from,
        action,
        by,
        to,
    }
}

pub const RULES: &[Rule<S, Step>] = &[
    rule(S::Discovered, Step::Plan, By::Owner, S::Planned),
    rule(S::Planned, Step::Submit, By::Owner, S::PendingReview),
    rule(
        S::ChangesRequested,
        Step::Submit,
        By::Owner,
        S::PendingReview,
    ),
    // 县级初审: where the county has a manager, the county reviews first; elsewhere the city.
    rule(
        S::PendingReview,
        Step::CountyApprove,
        By::County,
        S::PendingCityReview,
    ),
    rule(S::PendingReview, Step::Approve, By::Admin, S::Published),
    rule(
        S::PendingReview,
        Step::RequestChanges,
        By::Reviewer,
        S::ChangesRequested,
    ),
    rule(S::PendingReview, Step::Reject, By::Reviewer, S::Rejected),
    // 市级终审.
    rule(S::PendingCityReview, Step::Approve, By::Admin, S::Published),
    rule(
        S::PendingCityReview,
        Step::RequestChanges,
        By::Admin,
        S::ChangesRequested,
    ),
    rule(S::PendingCityReview, Step::Reject, By::Admin, S::Rejected),
    rule(S::Discovered, Step::Withdraw, By::Owner, S::Withdrawn),
    rule(S::Planned, Step::Withdraw, By::Owner, S::Withdrawn),
    rule(S::PendingReview, Step::Withdraw, By::Owner, S::Withdrawn),
    rule(
        S::PendingCityReview,
        Step::Withdraw,
        By::Owner,
        S::Withdrawn,
    ),
    rule(S::ChangesRequested, Step::Withdraw, By::Owner, S::Withdrawn),
    rule(S::Published, Step::Withdraw, By::Owner, S::Withdrawn),
    rule(S::Matching, Step::Withdraw, By::Owner, S::Withdrawn),
    rule(S::Published, Step::Close, By::Owner, S::Closed),
    rule(S::Matching, Step::Close, By::Owner, S::Closed),
    rule(S::Published, Step::Expire, By::System, S::Closed),
    rule(S::Published, Step::StartMatching, By::System, S::Matching),
    rule(S::Matching, Step::SelectPartner, By::Owner, S::Implementing),
    rule(S::Implementing, Step::RecordOutcome, By::Owner, S::Landed),
    rule(S::Landed, Step::Promote, By::Admin, S::Promoted),
];

//! The match (对接) lifecycle, one row per allowed transition.

use async_graphql::Enum;

use crate::machine::{By, Rule};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum MatchStatus {
    /// 待审核：proposed, waiting for an admin.
    Proposed,
    /// 已通过：waiting for the other party.
    Approved,
    /// 已对接：both parties agreed; contacts are shared.
    Connected,
    /// 已选定：the unit's chosen partner.
    Selected,
    /// 已落地
    Landed,
    /// 未通过
    Rejected,
    /// 已婉拒
    Declined,
    /// 未入选
    NotSelected,
    /// 已撤回
    Withdrawn,
}

impl MatchStatus {
    pub const ALL: [MatchStatus; 9] = [
        MatchStatus::Proposed,
        MatchStatus::Approved,
        MatchStatus::Connected,
        MatchStatus::Selected,
        MatchStatus::Landed,
        MatchStatus::Rejected,
        MatchStatus::Declined,
        MatchStatus::NotSelected,
        MatchStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MatchStatus::Proposed => "PROPOSED",
            MatchStatus::Approved => "APPROVED",
            MatchStatus::Connected => "CONNECTED",
            MatchStatus::Selected => "SELECTED",
            MatchStatus::Landed => "LANDED",
            MatchStatus::Rejected => "REJECTED",
            MatchStatus::Declined => "DECLINED",
            MatchStatus::NotSelected => "NOT_SELECTED",
            MatchStatus::Withdrawn => "WITHDRAWN",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            MatchStatus::Proposed => "待审核",
            MatchStatus::Approved => "待对方确认",
            MatchStatus::Connected => "已对接",
            MatchStatus::Selected => "已选定",
            MatchStatus::Landed => "已落地",
            MatchStatus::Rejected => "未通过",
            MatchStatus::Declined => "已婉拒",
            MatchStatus::NotSelected => "未入选",
            MatchStatus::Withdrawn => "已撤回",
        }
    }

    /// Live matches count for "one live match per pair".
    pub fn is_live(self) -> bool {
        matches!(
            self,
            MatchStatus::Proposed
                | MatchStatus::Approved
                | MatchStatus::Connected
                | MatchStatus::Selected
                | MatchStatus::Landed
        )
    }

    /// From here on, the two parties see each other's contacts.
    pub fn shares_contacts(self) -> bool {
        matches!(
            self,
            MatchStatus::Connected | MatchStatus::Selected | MatchStatus::Landed
        )
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Approve,
    Reject,
    Accept,
    Decline,
    Select,
    /// Another match of the scenario was selected.
    NotSelect,
    /// The scenario ended (withdrawn, closed, or past its deadline) before a partner was chosen.
    End,
    Land,
    Withdraw,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Approve => "APPROVE",
            Step::Reject => "REJECT",
            Step::Accept => "ACCEPT",
            Step::Decline => "DECLINE",
            Step::Select => "SELECT",
            Step::NotSelect => "NOT_SELECT",
            Step::End => "END",
            Step::Land => "LAND",
            Step::Withdraw => "WITHDRAW",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Step::Approve => "审核通过",
            Step::Reject => "审核不通过",
            Step::Accept => "接受对接",
            Step::Decline => "婉拒对接",
            Step::Select => "选定合作方",
            Step::NotSelect => "未入选",
            Step::End => "场景结束征集",
            Step::Land => "落地",
            Step::Withdraw => "撤回",
        }
    }
}

use MatchStatus as S;

const fn rule(from: S, action: Step, by: By, to: S) -> Rule<S, Step> {
    Rule {
        from,
        action,
        by,
        to,
    }
}

pub const RULES: &[Rule<S, Step>] = &[
    rule(S::Proposed, Step::Approve, By::Admin, S::Approved),
    rule(S::Proposed, Step::Reject, By::Admin, S::Rejected),
    rule(S::Approved, Step::Accept, By::Counterparty, S::Connected),
    rule(S::Approved, Step::Decline, By::Counterparty, S::Declined),
    rule(S::Connected, Step::Select, By::ScenarioOwner, S::Selected),
    rule(S::Proposed, Step::NotSelect, By::System, S::NotSelected),
    rule(S::Approved, Step::NotSelect, By::System, S::NotSelected),
    rule(S::Connected, Step::NotSelect, By::System, S::NotSelected),
    rule(S::Proposed, Step::End, By::System, S::NotSelected),
    rule(S::Approved, Step::End, By::System, S::NotSelected),
    rule(S::Connected, Step::End, By::System, S::NotSelected),
    rule(S::Selected, Step::Land, By::System, S::Landed),
    rule(S::Proposed, Step::Withdraw, By::Initiator, S::Withdrawn),
    rule(S::Approved, Step::Withdraw, By::Initiator, S::Withdrawn),
    rule(S::Connected, Step::Withdraw, By::Initiator, S::Withdrawn),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contact_sharing_statuses_are_those_the_lifecycle_says() {
        let sharing: Vec<&str> = MatchStatus::ALL
            .into_iter()
            .filter(|s| s.shares_contacts())
            .map(MatchStatus::as_str)
            .collect();
        assert_eq!(sharing, crate::items::CONTACT_SHARING_STATUSES);
    }
}

//! 对接活动: matchmaking events. Admins and county managers organise release meetings (发布会),
//! roadshows (路演) and matchmaking sessions (对接会) around scenarios of the opportunity list;
//! verified enterprises register with one of their listed capabilities for scenarios on the
//! agenda, and the organiser accepts them within the capacity, with a waiting list promoted in
//! order when someone cancels (README, "Matchmaking events").

mod graphql;
pub mod service;
pub mod store;

pub use graphql::{ActivityMutation, ActivityQuery, AgendaLoader, EventLoader};

use async_graphql::Enum;

use crate::machine::{By, Rule};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// 发布会
    ReleaseMeeting,
    /// 路演
    Roadshow,
    /// 对接会
    MatchmakingSession,
}

impl EventKind {
    pub const ALL: [EventKind; 3] = [
        EventKind::ReleaseMeeting,
        EventKind::Roadshow,
        EventKind::MatchmakingSession,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ReleaseMeeting => "RELEASE_MEETING",
            EventKind::Roadshow => "ROADSHOW",
            EventKind::MatchmakingSession => "MATCHMAKING_SESSION",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            EventKind::ReleaseMeeting => "发布会",
            EventKind::Roadshow => "路演",
            EventKind::MatchmakingSession => "对接会",
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum EventStatus {
    /// 草稿：only its organisers see it.
    Draft,
    /// 报名中
    Open,
    /// 报名截止
    Closed,
    /// 已举办
    Held,
    /// 已归档
    Archived,
    /// 已取消
    Cancelled,
}

impl EventStatus {
    pub const ALL: [EventStatus; 6] = [
        EventStatus::Draft,
        EventStatus::Open,
        EventStatus::Closed,
        EventStatus::Held,
        EventStatus::Archived,
        EventStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Draft => "DRAFT",
            EventStatus::Open => "OPEN",
            EventStatus::Closed => "CLOSED",
            EventStatus::Held => "HELD",
            EventStatus::Archived => "ARCHIVED",
            EventStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            EventStatus::Draft => "草稿",
            EventStatus::Open => "报名中",
            EventStatus::Closed => "报名截止",
            EventStatus::Held => "已举办",
            EventStatus::Archived => "已归档",
            EventStatus::Cancelled => "已取消",
        }
    }

    /// Everyone may read an event that left its draft.
    pub fn is_public(self) -> bool {
        self != EventStatus::Draft
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EventAction {
    /// 发布：registration opens.
    Publish,
    /// 截止报名
    CloseRegistration,
    /// 登记已举办
    MarkHeld,
    Archive,
    Cancel,
}

/// The steps of an event: the organiser's, and the service's own.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EventStep {
    Publish,
    CloseRegistration,
    /// Its registration deadline passed (the scheduled `deadlines` job).
    Expire,
    MarkHeld,
    Archive,
    Cancel,
}

impl From<EventAction> for EventStep {
    fn from(action: EventAction) -> Self {
        match action {
            EventAction::Publish => EventStep::Publish,
            EventAction::CloseRegistration => EventStep::CloseRegistration,
            EventAction::MarkHeld => EventStep::MarkHeld,
            EventAction::Archive => EventStep::Archive,
            EventAction::Cancel => EventStep::Cancel,
        }
    }
}

impl EventStep {
    pub fn as_str(self) -> &'static str {
        match self {
            EventStep::Publish => "PUBLISH",
            EventStep::CloseRegistration => "CLOSE_REGISTRATION",
            EventStep::Expire => "EXPIRE",
            EventStep::MarkHeld => "MARK_HELD",
            EventStep::Archive => "ARCHIVE",
            EventStep::Cancel => "CANCEL",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EventStep::Publish => "发布",
            EventStep::CloseRegistration => "截止报名",
            EventStep::Expire => "报名截止（到期）",
            EventStep::MarkHeld => "登记已举办",
            EventStep::Archive => "归档",
            EventStep::Cancel => "取消",
        }
    }
}

const fn rule<S, A>(from: S, action: A, by: By, to: S) -> Rule<S, A> {
    Rule {
        from,
        action,
        by,
        to,
    }
}

/// The event lifecycle. `By::County`: the organiser, a county manager of the event's region,
/// or an admin.
pub const EVENT_RULES: &[Rule<EventStatus, EventStep>] = {
    use EventStatus as S;
    use EventStep as A;
    &[
        rule(S::Draft, A::Publish, By::County, S::Open),
        rule(S::Open, A::CloseRegistration, By::County, S::Closed),
        rule(S::Open, A::Expire, By::System, S::Closed),
        rule(S::Open, A::MarkHeld, By::County, S::Held),
        rule(S::Closed, A::MarkHeld, By::County, S::Held),
        rule(S::Held, A::Archive, By::County, S::Archived),
        rule(S::Draft, A::Cancel, By::County, S::Cancelled),
        rule(S::Open, A::Cancel, By::County, S::Cancelled),
        rule(S::Closed, A::Cancel, By::County, S::Cancelled),
    ]
};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum RegistrationStatus {
    /// 待确认
    Pending,
    /// 已确认参加
    Accepted,
    /// 候补
    Waitlisted,
    /// 未通过
    Declined,
    /// 已取消
    Cancelled,
}

impl RegistrationStatus {
    pub const ALL: [RegistrationStatus; 5] = [
        RegistrationStatus::Pending,
        RegistrationStatus::Accepted,
        RegistrationStatus::Waitlisted,
        RegistrationStatus::Declined,
        RegistrationStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Pending => "PENDING",
            RegistrationStatus::Accepted => "ACCEPTED",
            RegistrationStatus::Waitlisted => "WAITLISTED",
            RegistrationStatus::Declined => "DECLINED",
            RegistrationStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            RegistrationStatus::Pending => "待确认",
            RegistrationStatus::Accepted => "已确认参加",
            RegistrationStatus::Waitlisted => "候补",
            RegistrationStatus::Declined => "未通过",
            RegistrationStatus::Cancelled => "已取消",
        }
    }

    /// Holds the organization's one registration for the event.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            RegistrationStatus::Pending
                | RegistrationStatus::Accepted
                | RegistrationStatus::Waitlisted
        )
    }
}

/// The organiser's decision on a registration.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RegistrationDecision {
    /// Accepted while there is room, else on the waiting list.
    Accept,
    Decline,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RegistrationStep {
    Register,
    Accept,
    /// Accepted when the event was full: on the waiting list.
    Waitlist,
    /// A place came free: the longest-waiting moves up.
    Promote,
    Decline,
    Cancel,
}

impl RegistrationStep {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStep::Register => "REGISTER",
            RegistrationStep::Accept => "ACCEPT",
            RegistrationStep::Waitlist => "WAITLIST",
            RegistrationStep::Promote => "PROMOTE",
            RegistrationStep::Decline => "DECLINE",
            RegistrationStep::Cancel => "CANCEL",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RegistrationStep::Register => "报名",
            RegistrationStep::Accept => "确认参加",
            RegistrationStep::Waitlist => "列入候补",
            RegistrationStep::Promote => "候补转正",
            RegistrationStep::Decline => "未通过",
            RegistrationStep::Cancel => "取消报名",
        }
    }
}

/// The registration lifecycle. `By::County`: the event's organiser (or an admin); `By::Initiator`:
/// the registering organization; `By::System`: the service, as the capacity decides.
pub const REGISTRATION_RULES: &[Rule<RegistrationStatus, RegistrationStep>] = {
    use RegistrationStatus as S;
    use RegistrationStep as A;
    &[
        rule(S::Pending, A::Accept, By::County, S::Accepted),
        rule(S::Pending, A::Waitlist, By::County, S::Waitlisted),
        rule(S::Waitlisted, A::Promote, By::System, S::Accepted),
        rule(S::Pending, A::Decline, By::County, S::Declined),
        rule(S::Waitlisted, A::Decline, By::County, S::Declined),
        rule(S::Pending, A::Cancel, By::Initiator, S::Cancelled),
        rule(S::Accepted, A::Cancel, By::Initiator, S::Cancelled),
        rule(S::Waitlisted, A::Cancel, By::Initiator, S::Cancelled),
    ]
};

//! Notifications (DESIGN.md, Notifications): who hears of which event, in the app and by e-mail.
//!
//! Every event goes through [`on_event`] (an event handler) inside the transaction that records
//! it. A row of
//! [`RULES`] names the notification kind and its audience; each recipient gets an in-app row and,
//! unless they turned that kind off, an e-mail in the outbox — both committed with the event or
//! not at all. The [`feed`] then carries new notifications to live subscriptions, across
//! instances on PostgreSQL.

pub mod feed;
mod graphql;
pub mod service;
pub mod store;

pub use feed::{Delivery, Feed};
pub use graphql::{NotificationMutation, NotificationQuery, NotificationSubscription};

use async_graphql::Enum;
use futures_util::future::BoxFuture;

use Audience::*;
use NotificationKind as K;

use crate::db::Tx;
use crate::events::NewEvent;
use crate::mail::{self, templates};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// 场景通过审核
    ScenarioApproved,
    /// 场景被退回修改
    ScenarioChangesRequested,
    /// 新的场景待县级初审（场景经理人）
    ScenarioSubmitted,
    /// 场景通过县级初审，待市级终审
    ScenarioCountyApproved,
    /// 场景未通过审核（附原因）
    ScenarioRejected,
    /// 场景截止日期临近（发布单位与对接中的企业）
    ScenarioDeadlineApproaching,
    /// 场景已到截止日期，系统自动关闭（发布单位）
    ScenarioExpired,
    /// 场景已结束征集：关闭、撤回或到期（对接中的企业）
    ScenarioEnded,
    /// 能力通过审核
    CapabilityApproved,
    /// 能力被退回修改
    CapabilityChangesRequested,
    /// 单位通过认证
    OrganizationVerified,
    /// 单位未通过认证（附原因）
    OrganizationRejected,
    /// 单位被暂停（附原因）
    OrganizationSuspended,
    /// 单位恢复使用
    OrganizationReinstated,
    /// 新的对接待审核（管理员）
    MatchProposed,
    /// 对接通过审核
    MatchApproved,
    /// 对接未通过审核
    MatchRejected,
    /// 对接成功
    MatchConnected,
    /// 对接被婉拒
    MatchDeclined,
    /// 被选定为合作方
    MatchSelected,
    /// 对接未入选
    MatchNotSelected,
    /// 场景落地
    MatchLanded,
    /// 对接留言
    MatchMessage,
    /// 新的场景建议（所提交的单位、场景经理人或市级）
    ProposalReceived,
    /// 场景建议被采纳
    ProposalAdopted,
    /// 场景建议未被采纳（附原因）
    ProposalDeclined,
    /// 新的活动报名（活动组织者）
    EventRegistrationReceived,
    /// 活动报名已确认（附日历文件）
    EventRegistrationAccepted,
    /// 活动名额已满，报名列入候补
    EventRegistrationWaitlisted,
    /// 活动报名未通过（附原因）
    EventRegistrationDeclined,
    /// 企业取消了活动报名（活动组织者）
    EventRegistrationCancelled,
    /// 活动信息有变更（报名的企业）
    EventUpdated,
    /// 活动已取消（报名的企业）
    EventCancelled,
    /// 订阅的搜索有新发布的内容（即时提醒，站内）
    SavedSearchMatch,
    /// 订阅搜索每日汇总
    SavedSearchDigest,
    /// 每周推荐：新发布的场景推荐了贵单位的能力
    WeeklyRecommendations,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 36] = [
        NotificationKind::ScenarioApproved,
        NotificationKind::ScenarioChangesRequested,
        NotificationKind::ScenarioSubmitted,
        NotificationKind::ScenarioCountyApproved,
        NotificationKind::ScenarioRejected,
        NotificationKind::ScenarioDeadlineApproaching,
        NotificationKind::ScenarioExpired,
        NotificationKind::ScenarioEnded,
        NotificationKind::CapabilityApproved,
        NotificationKind::CapabilityChangesRequested,
        NotificationKind::OrganizationVerified,
        NotificationKind::OrganizationRejected,
        NotificationKind::OrganizationSuspended,
        NotificationKind::OrganizationReinstated,
        NotificationKind::MatchProposed,
        NotificationKind::MatchApproved,
        NotificationKind::MatchRejected,
        NotificationKind::MatchConnected,
        NotificationKind::MatchDeclined,
        NotificationKind::MatchSelected,
        NotificationKind::MatchNotSelected,
        NotificationKind::MatchLanded,
        NotificationKind::MatchMessage,
        NotificationKind::ProposalReceived,
        NotificationKind::ProposalAdopted,
        NotificationKind::ProposalDeclined,
        NotificationKind::EventRegistrationReceived,
        NotificationKind::EventRegistrationAccepted,
        NotificationKind::EventRegistrationWaitlisted,
        NotificationKind::EventRegistrationDeclined,
        NotificationKind::EventRegistrationCancelled,
        NotificationKind::EventUpdated,
        NotificationKind::EventCancelled,
        NotificationKind::SavedSearchMatch,
        NotificationKind::SavedSearchDigest,
        NotificationKind::WeeklyRecommendations,
    ];

    /// The kinds the scheduled work writes for one user (`notify_user`), not an event.
    pub const SCHEDULED: [NotificationKind; 3] = [
        NotificationKind::SavedSearchMatch,
        NotificationKind::SavedSearchDigest,
        NotificationKind::WeeklyRecommendations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::ScenarioApproved => "SCENARIO_APPROVED",
            NotificationKind::ScenarioChangesRequested => "SCENARIO_CHANGES_REQUESTED",
            NotificationKind::ScenarioSubmitted => "SCENARIO_SUBMITTED",
            NotificationKind::ScenarioCountyApproved => "SCENARIO_COUNTY_APPROVED",
            NotificationKind::ScenarioRejected => "SCENARIO_REJECTED",
            NotificationKind::ScenarioDeadlineApproaching => "SCENARIO_DEADLINE_APPROACHING",
            NotificationKind::ScenarioExpired => "SCENARIO_EXPIRED",
            NotificationKind::ScenarioEnded => "SCENARIO_ENDED",
            NotificationKind::CapabilityApproved => "CAPABILITY_APPROVED",
            NotificationKind::CapabilityChangesRequested => "CAPABILITY_CHANGES_REQUESTED",
            NotificationKind::OrganizationVerified => "ORGANIZATION_VERIFIED",
            NotificationKind::OrganizationRejected => "ORGANIZATION_REJECTED",
            NotificationKind::OrganizationSuspended => "ORGANIZATION_SUSPENDED",
            NotificationKind::OrganizationReinstated => "ORGANIZATION_REINSTATED",
            NotificationKind::MatchProposed => "MATCH_PROPOSED",
            NotificationKind::MatchApproved => "MATCH_APPROVED",
            NotificationKind::MatchRejected => "MATCH_REJECTED",
            NotificationKind::MatchConnected => "MATCH_CONNECTED",
            NotificationKind::MatchDeclined => "MATCH_DECLINED",
            NotificationKind::MatchSelected => "MATCH_SELECTED",
            NotificationKind::MatchNotSelected => "MATCH_NOT_SELECTED",
            NotificationKind::MatchLanded => "MATCH_LANDED",
            NotificationKind::MatchMessage => "MATCH_MESSAGE",
            NotificationKind::ProposalReceived => "PROPOSAL_RECEIVED",
            NotificationKind::ProposalAdopted => "PROPOSAL_ADOPTED",
            NotificationKind::ProposalDeclined => "PROPOSAL_DECLINED",
            NotificationKind::EventRegistrationReceived => "EVENT_REGISTRATION_RECEIVED",
            NotificationKind::EventRegistrationAccepted => "EVENT_REGISTRATION_ACCEPTED",
            NotificationKind::EventRegistrationWaitlisted => "EVENT_REGISTRATION_WAITLISTED",
            NotificationKind::EventRegistrationDeclined => "EVENT_REGISTRATION_DECLINED",
            NotificationKind::EventRegistrationCancelled => "EVENT_REGISTRATION_CANCELLED",
            NotificationKind::EventUpdated => "EVENT_UPDATED",
            NotificationKind::EventCancelled => "EVENT_CANCELLED",
            NotificationKind::SavedSearchMatch => "SAVED_SEARCH_MATCH",
            NotificationKind::SavedSearchDigest => "SAVED_SEARCH_DIGEST",
            NotificationKind::WeeklyRecommendations => "WEEKLY_RECOMMENDATIONS",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether this kind ever comes by e-mail. A saved search's find is told in the app; its
    /// e-mail is the daily digest.
    pub fn by_email(self) -> bool {
        self != NotificationKind::SavedSearchMatch
    }

    /// What users see in their e-mail settings.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::ScenarioApproved => "场景通过审核",
            NotificationKind::ScenarioChangesRequested => "场景被退回修改",
            NotificationKind::ScenarioSubmitted => "新的场景待县级初审",
            NotificationKind::ScenarioCountyApproved => "场景通过县级初审",
            NotificationKind::ScenarioRejected => "场景未通过审核",
            NotificationKind::ScenarioDeadlineApproaching => "场景截止日期临近",
            NotificationKind::ScenarioExpired => "场景到期自动关闭",
            NotificationKind::ScenarioEnded => "对接中的场景结束征集",
            NotificationKind::CapabilityApproved => "能力通过审核",
            NotificationKind::CapabilityChangesRequested => "能力被退回修改",
            NotificationKind::OrganizationVerified => "单位通过认证",
            NotificationKind::OrganizationRejected => "单位未通过认证",
            NotificationKind::OrganizationSuspended => "单位被暂停",
            NotificationKind::OrganizationReinstated => "单位恢复使用",
            NotificationKind::MatchProposed => "新的对接待审核",
            NotificationKind::MatchApproved => "对接通过审核",
            NotificationKind::MatchRejected => "对接未通过审核",
            NotificationKind::MatchConnected => "对接成功",
            NotificationKind::MatchDeclined => "对接被婉拒",
            NotificationKind::MatchSelected => "选定合作方",
            NotificationKind::MatchNotSelected => "对接未入选",
            NotificationKind::MatchLanded => "场景落地",
            NotificationKind::MatchMessage => "对接留言",
            NotificationKind::ProposalReceived => "新的场景建议",
            NotificationKind::ProposalAdopted => "场景建议被采纳",
            NotificationKind::ProposalDeclined => "场景建议未被采纳",
            NotificationKind::EventRegistrationReceived => "新的活动报名",
            NotificationKind::EventRegistrationAccepted => "活动报名已确认",
            NotificationKind::EventRegistrationWaitlisted => "活动报名列入候补",
            NotificationKind::EventRegistrationDeclined => "活动报名未通过",
            NotificationKind::EventRegistrationCancelled => "活动报名被取消",
            NotificationKind::EventUpdated => "活动信息变更",
            NotificationKind::EventCancelled => "活动取消",
            NotificationKind::SavedSearchMatch => "订阅搜索即时提醒",
            NotificationKind::SavedSearchDigest => "订阅搜索每日汇总",
            NotificationKind::WeeklyRecommendations => "每周推荐场景",
        }
    }
}

/// Who hears of an event.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The users of the organization that owns the scenario, capability or organization.
    Owner,
    /// Every administrator.
    Admins,
    /// The users of both organizations of a match.
    Parties,
    /// The users of the organization that started the match.
    Initiator,
    /// The users of the organization whose capability the match offers.
    CapabilityOwner,
    /// The county managers of the scenario's region.
    CountyManagers,
    /// Of a proposal: the unit it names, else the county managers of its region, else every
    /// administrator.
    Addressee,
    /// Of a scenario: the organizations whose capabilities are in a live match with it
    /// (proposed, approved or connected).
    Partners,
    /// Of a scenario: its unit and its partners.
    OwnerAndPartners,
    /// Of an event or a registration: the county managers of the event's region, else every
    /// administrator.
    Organizers,
    /// Of an event: the organizations with a live registration (pending, accepted, waiting).
    Registrants,
}

/// One row of the notification table: the event (aggregate and action) and whom it concerns.
#[derive(Copy, Clone, Debug)]
pub struct Rule {
    pub aggregate: &'static str,
    pub action: &'static str,
    pub kind: NotificationKind,
    pub audience: Audience,
}

const fn rule(
    aggregate: &'static str,
    action: &'static str,
    kind: NotificationKind,
    audience: Audience,
) -> Rule {
    Rule {
        aggregate,
        action,
        kind,
        audience,
    }
}

/// Which events notify whom. The one who acted is never notified of their own action.
pub const RULES: &[Rule] = &[
    rule("SCENARIO", "APPROVE", K::ScenarioApproved, Owner),
    rule(
        "SCENARIO",
        "REQUEST_CHANGES",
        K::ScenarioChangesRequested,
        Owner,
    ),
    rule("SCENARIO", "SUBMIT", K::ScenarioSubmitted, CountyManagers),
    rule(
        "SCENARIO",
        "COUNTY_APPROVE",
        K::ScenarioCountyApproved,
        Owner,
    ),
    rule("SCENARIO", "REJECT", K::ScenarioRejected, Owner),
    rule(
        "SCENARIO",
        REMIND_DEADLINE,
        K::ScenarioDeadlineApproaching,
        OwnerAndPartners,
    ),
    rule("SCENARIO", "EXPIRE", K::ScenarioExpired, Owner),
    rule("SCENARIO", "EXPIRE", K::ScenarioEnded, Partners),
    rule("SCENARIO", "CLOSE", K::ScenarioEnded, Partners),
    rule("SCENARIO", "WITHDRAW", K::ScenarioEnded, Partners),
    rule("CAPABILITY", "APPROVE", K::CapabilityApproved, Owner),
    rule(
        "CAPABILITY",
        "REQUEST_CHANGES",
        K::CapabilityChangesRequested,
        Owner,
    ),
    rule("ORGANIZATION", "VERIFY", K::OrganizationVerified, Owner),
    rule("ORGANIZATION", "REJECT", K::OrganizationRejected, Owner),
    rule("ORGANIZATION", "SUSPEND", K::OrganizationSuspended, Owner),
    rule(
        "ORGANIZATION",
        "REINSTATE",
        K::OrganizationReinstated,
        Owner,
    ),
    rule("MATCH", "PROPOSE", K::MatchProposed, Admins),
    rule("MATCH", "APPROVE", K::MatchApproved, Parties),
    rule("MATCH", "CONTINUE", K::MatchApproved, Parties),
    rule("MATCH", "REJECT", K::MatchRejected, Initiator),
    rule("MATCH", "ACCEPT", K::MatchConnected, Parties),
    rule("MATCH", "DECLINE", K::MatchDeclined, Parties),
    rule("MATCH", "SELECT", K::MatchSelected, Parties),
    rule("MATCH", "NOT_SELECT", K::MatchNotSelected, CapabilityOwner),
    rule("MATCH", "LAND", K::MatchLanded, Parties),
    rule("MATCH", "MESSAGE", K::MatchMessage, Parties),
    rule("PROPOSAL", "PROPOSE", K::ProposalReceived, Addressee),
    rule("PROPOSAL", "ADOPT", K::ProposalAdopted, Owner),
    rule("PROPOSAL", "DECLINE", K::ProposalDeclined, Owner),
    rule(
        "EVENT_REGISTRATION",
        "REGISTER",
        K::EventRegistrationReceived,
        Organizers,
    ),
    rule(
        "EVENT_REGISTRATION",
        "ACCEPT",
        K::EventRegistrationAccepted,
        Owner,
    ),
    rule(
        "EVENT_REGISTRATION",
        "PROMOTE",
        K::EventRegistrationAccepted,
        Owner,
    ),
    rule(
        "EVENT_REGISTRATION",
        "WAITLIST",
        K::EventRegistrationWaitlisted,
        Owner,
    ),
    rule(
        "EVENT_REGISTRATION",
        "DECLINE",
        K::EventRegistrationDeclined,
        Owner,
    ),
    rule(
        "EVENT_REGISTRATION",
        "CANCEL",
        K::EventRegistrationCancelled,
        Organizers,
    ),
    rule("EVENT", "UPDATE", K::EventUpdated, Registrants),
    rule("EVENT", "CANCEL", K::EventCancelled, Registrants),
];

/// The action of the reminder that a scenario's deadline is near: no step of its lifecycle, but
/// a notice the scheduled work gives ([`remind_deadline`]).
pub const REMIND_DEADLINE: &str = "REMIND_DEADLINE";

/// The rules of an event, in the table's order (an expiry tells the unit and the partners
/// different things).
pub fn rules_for<'a>(
    aggregate: &'a str,
    action: &'a str,
) -> impl Iterator<Item = &'static Rule> + 'a {
    RULES
        .iter()
        .filter(move |r| r.aggregate == aggregate && r.action == action)
}

/// The first rule of an event.
pub fn rule_for(aggregate: &str, action: &str) -> Option<&'static Rule> {
    rules_for(aggregate, action).next()
}

/// A notification about to be written for one recipient.
struct Message {
    title: String,
    body: String,
}

/// The event handler: writes the notifications (and e-mails) `event` causes, inside its
/// transaction.
pub fn on_event<'a>(
    tx: &'a mut Tx,
    event: &'a NewEvent<'a>,
) -> BoxFuture<'a, Result<(), sqlx::Error>> {
    Box::pin(notify(tx, event))
}

async fn notify(tx: &mut Tx, event: &NewEvent<'_>) -> Result<(), sqlx::Error> {
    let mut subject = None;
    for rule in rules_for(event.aggregate_type, event.action) {
        if subject.is_none() {
            subject = store::subject(tx, event.aggregate_type, event.aggregate_id).await?;
        }
        let Some(subject) = &subject else {
            return Ok(());
        };
        let message = compose(rule.kind, subject, event.note);
        let recipients = store::recipients(tx, rule.audience, subject, rule.kind).await?;
        let attachments = attachments_of(tx, rule.kind, subject).await?;
        deliver(
            tx,
            rule.kind,
            subject,
            &message,
            &recipients,
            event.actor_id,
            &attachments,
        )
        .await?;
    }
    Ok(())
}

/// The reminder that a published scenario's deadline (`deadline`, in `days` days) is near, to its
/// unit and its partners in 对接.
pub async fn remind_deadline(
    tx: &mut Tx,
    scenario_id: &str,
    deadline: chrono::NaiveDate,
    days: i64,
) -> Result<(), sqlx::Error> {
    let note = match days {
        0 => format!("截止日期为今天（{deadline}）"),
        1 => format!("截止日期为明天（{deadline}）"),
        n => format!("距截止日期还有{n}天（{deadline}）"),
    };
    let event = NewEvent {
        aggregate_type: "SCENARIO",
        aggregate_id: scenario_id,
        action: REMIND_DEADLINE,
        from_status: None,
        to_status: None,
        actor_id: None,
        note: Some(&note),
    };
    notify(tx, &event).await
}

/// The notifications of a message posted on a match: to both parties but the author.
pub async fn on_match_message(
    tx: &mut Tx,
    match_id: &str,
    author_id: &str,
    body: &str,
) -> Result<(), sqlx::Error> {
    let event = NewEvent {
        aggregate_type: "MATCH",
        aggregate_id: match_id,
        action: "MESSAGE",
        from_status: None,
        to_status: None,
        actor_id: Some(author_id),
        note: Some(body),
    };
    notify(tx, &event).await
}

/// The public page of a list item in a status (its path), if it has one then; installed by the
/// assembly, which knows the pages (`web`), at start.
pub type PublicPage = fn(aggregate: &str, status: &str, code: &str) -> Option<String>;

static PUBLIC_PAGE: std::sync::OnceLock<PublicPage> = std::sync::OnceLock::new();

/// Sets where e-mails link to (once per process; later calls keep the first).
pub fn install_public_pages(page: PublicPage) {
    let _ = PUBLIC_PAGE.set(page);
}

fn public_page_of(subject: &store::Subject) -> Option<String> {
    public_page(
        &subject.aggregate,
        subject.status.as_deref()?,
        subject.code.as_deref()?,
    )
}

/// The path of a list item's public page in `status`, if it has one then.
pub fn public_page(aggregate: &str, status: &str, code: &str) -> Option<String> {
    let page = PUBLIC_PAGE.get()?;
    page(aggregate, status, code)
}

/// A notification the scheduled work writes for one user (a saved search's find, a digest):
/// in the app, and live. Its e-mail, if any, the caller writes (a digest is one e-mail for many
/// finds).
pub async fn notify_user(
    tx: &mut Tx,
    user_id: &str,
    kind: NotificationKind,
    title: &str,
    body: &str,
    subject: (&str, &str),
) -> Result<(), sqlx::Error> {
    let subject = store::Subject {
        aggregate: subject.0.to_owned(),
        id: subject.1.to_owned(),
        title: title.to_owned(),
        code: None,
        status: None,
        owner_org: String::new(),
        other_title: None,
        other_org: None,
        initiator_org: None,
        region: None,
    };
    let id = store::insert(tx, user_id, kind, title, body, &subject).await?;
    feed::announce_notification(tx, user_id, &id).await
}

/// Whether `user_id` wants `kind` by e-mail (yes unless turned off).
pub async fn wants_email(
    tx: &mut Tx,
    user_id: &str,
    kind: NotificationKind,
) -> Result<bool, sqlx::Error> {
    let enabled: Option<i64> = sqlx::query_scalar(
        "SELECT enabled FROM email_preferences WHERE user_id = $1 AND kind = $2",
    )
    .bind(user_id)
    .bind(kind.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(enabled.is_none_or(|e| e != 0))
}

/// Turns e-mail of `kind` off for `user_id` (an unsubscribe link), in `tx`.
pub async fn turn_email_off(
    tx: &mut Tx,
    user_id: &str,
    kind: NotificationKind,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO email_preferences (user_id, kind, enabled) VALUES ($1, $2, 0) \
         ON CONFLICT (user_id, kind) DO UPDATE SET enabled = 0",
    )
    .bind(user_id)
    .bind(kind.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The files an e-mail of `kind` carries: an event's calendar entry when a registration is
/// accepted, and when the event changes or is cancelled (so that calendars follow).
async fn attachments_of(
    tx: &mut Tx,
    kind: NotificationKind,
    subject: &store::Subject,
) -> Result<Vec<mail::Attachment>, sqlx::Error> {
    if !matches!(
        kind,
        K::EventRegistrationAccepted | K::EventUpdated | K::EventCancelled
    ) {
        return Ok(Vec::new());
    }
    let Some(event_id) = subject.code.as_deref() else {
        return Ok(Vec::new());
    };
    let Some(event) = store::event_calendar(tx, event_id).await? else {
        return Ok(Vec::new());
    };
    let (Some(starts_at), Some(ends_at)) = (
        crate::db::parse_time(&event.starts_at),
        crate::db::parse_time(&event.ends_at),
    ) else {
        return Ok(Vec::new());
    };
    let page = public_page("EVENT", &event.status, &event.id)
        .map(|path| format!("{}{path}", templates::SITE_URL));
    let location = event.place.as_deref().or(event.online_url.as_deref());
    let body = mail::ics::calendar(
        &[mail::ics::CalendarEvent {
            uid: &event.id,
            sequence: event.version,
            title: &event.title,
            description: &event.description,
            starts_at,
            ends_at,
            location,
            url: page.as_deref(),
            cancelled: event.status == "CANCELLED",
        }],
        chrono::Utc::now(),
    );
    Ok(vec![mail::Attachment {
        filename: "event.ics".to_owned(),
        content_type: mail::ics::CONTENT_TYPE.to_owned(),
        body,
    }])
}

async fn deliver(
    tx: &mut Tx,
    kind: NotificationKind,
    subject: &store::Subject,
    message: &Message,
    recipients: &[store::Recipient],
    actor_id: Option<&str>,
    attachments: &[mail::Attachment],
) -> Result<(), sqlx::Error> {
    for r in recipients
        .iter()
        .filter(|r| Some(r.id.as_str()) != actor_id)
    {
        let id = store::insert(tx, &r.id, kind, &message.title, &message.body, subject).await?;
        feed::announce_notification(tx, &r.id, &id).await?;
        if r.email_enabled {
            // A link to the item's public page while it has one; otherwise the reader signs in.
            let link = public_page_of(subject).map(|path| format!("{}{path}", templates::SITE_URL));
            let paragraphs = match link {
                Some(_) => vec![message.body.clone()],
                None => vec![message.body.clone(), "请登录平台查看详情。".to_owned()],
            };
            let mut email = templates::render(&templates::Content {
                kind: kind.as_str(),
                to: &r.email,
                greeting_name: &r.display_name,
                title: &message.title,
                paragraphs: &paragraphs,
                action: link.as_deref().map(|link| ("查看公开页面", link)),
                footer: "您收到此邮件是因为开启了该类通知的邮件提醒，可在“通知设置”中关闭。",
            });
            email.attachments = attachments.to_vec();
            mail::enqueue(tx, &email).await?;
        }
    }
    Ok(())
}

/// "原因：…。" for a step that gave one, empty otherwise.
fn reason_sentence(note: &Option<String>) -> String {
    match note {
        Some(n) => format!("原因：{n}。"),
        None => String::new(),
    }
}

/// The longest excerpt of user text a notification quotes.
const EXCERPT: usize = 200;

fn excerpt(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= EXCERPT {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(EXCERPT).collect();
        format!("{cut}…")
    }
}

fn compose(kind: NotificationKind, s: &store::Subject, note: Option<&str>) -> Message {
    let note = note.map(excerpt).filter(|n| !n.is_empty());
    let reason = |prefix: &str| match &note {
        Some(n) => format!("{prefix}：{n}"),
        None => String::new(),
    };
    let code = s.code.as_deref().unwrap_or("—");
    let pair = format!(
        "「{}」×「{}」",
        s.title,
        s.other_title.as_deref().unwrap_or("")
    );
    let (title, body) = match kind {
        K::ScenarioApproved => (
            format!("场景「{}」已通过审核", s.title),
            format!("该场景已发布到场景机会清单，编号 {code}。"),
        ),
        K::ScenarioChangesRequested => (
            format!("场景「{}」被退回修改", s.title),
            format!("请根据审核意见修改后重新提交。{}", reason("审核意见")),
        ),
        K::ScenarioSubmitted => (
            format!("新的场景「{}」待县级初审", s.title),
            "本地区的政府单位提交了场景，请在审核队列中进行县级初审。".to_owned(),
        ),
        K::ScenarioCountyApproved => (
            format!("场景「{}」已通过县级初审", s.title),
            "该场景已提交市场景促进中心进行市级终审，通过后发布到场景机会清单。".to_owned(),
        ),
        K::ScenarioRejected => (
            format!("场景「{}」未通过审核", s.title),
            format!("该场景不予发布。{}", reason("审核意见")),
        ),
        K::ScenarioDeadlineApproaching => (
            format!("场景「{}」即将截止", s.title),
            format!(
                "{}。{}",
                note.unwrap_or_default(),
                if s.status.as_deref() == Some("PUBLISHED") {
                    "截止后场景将自动关闭征集，尚未完成的对接随之结束；如需延长，发布单位可修改截止日期。"
                } else {
                    "请抓紧推进对接，在截止前选定合作方。"
                }
            ),
        ),
        K::ScenarioExpired => (
            format!("场景「{}」已到期关闭", s.title),
            "该场景已过截止日期且尚未选定合作方，系统已自动关闭征集；尚未完成的对接随之结束。"
                .to_owned(),
        ),
        K::ScenarioEnded => (
            format!("场景「{}」已结束征集", s.title),
            format!(
                "贵单位参与对接的这一场景已结束征集，本次对接随之结束，感谢参与。{}",
                reason("说明")
            ),
        ),
        K::EventRegistrationReceived => (
            format!("活动「{}」有新的报名", s.title),
            format!(
                "企业以能力「{}」报名了该活动，请在活动管理中确认或说明原因婉拒。",
                s.other_title.as_deref().unwrap_or("")
            ),
        ),
        K::EventRegistrationAccepted => (
            format!("您已确认参加活动「{}」", s.title),
            "贵单位的报名已确认。活动时间、地点见附件日历文件（.ics），可直接添加到日历；如不能出席，请及时取消报名，名额将递补给候补单位。"
                .to_owned(),
        ),
        K::EventRegistrationWaitlisted => (
            format!("活动「{}」报名已列入候补", s.title),
            "活动名额已满，贵单位已列入候补名单；有名额空出时将按报名顺序递补并通知您。"
                .to_owned(),
        ),
        K::EventRegistrationDeclined => (
            format!("活动「{}」报名未通过", s.title),
            format!("感谢报名。{}", reason("原因")),
        ),
        K::EventRegistrationCancelled => (
            format!("活动「{}」有报名取消", s.title),
            format!(
                "企业取消了以能力「{}」的报名；如有候补单位，已按顺序递补。",
                s.other_title.as_deref().unwrap_or("")
            ),
        ),
        K::EventUpdated => (
            format!("活动「{}」信息有变更", s.title),
            "活动的时间、地点或议程已调整，请查看活动页面；附件为更新后的日历文件。".to_owned(),
        ),
        K::EventCancelled => (
            format!("活动「{}」已取消", s.title),
            format!("很抱歉，该活动已取消。{}", reason_sentence(&note)),
        ),
        K::ProposalReceived => (
            format!("新的场景建议「{}」", s.title),
            "企业提出了一条场景建议，请查看后采纳为场景或说明不予采纳的原因。".to_owned(),
        ),
        K::ProposalAdopted => (
            format!("场景建议「{}」已被采纳", s.title),
            "您提出的场景建议已被采纳为场景；场景发布后，贵单位的能力将自动受邀对接。".to_owned(),
        ),
        K::ProposalDeclined => (
            format!("场景建议「{}」未被采纳", s.title),
            format!("感谢您的建议。{}", reason("原因")),
        ),
        K::CapabilityApproved => (
            format!("能力「{}」已通过审核", s.title),
            format!("该能力已列入能力清单，编号 {code}。"),
        ),
        K::CapabilityChangesRequested => (
            format!("能力「{}」被退回修改", s.title),
            format!("请根据审核意见修改后重新提交。{}", reason("审核意见")),
        ),
        K::OrganizationVerified => (
            format!("单位「{}」已通过认证", s.title),
            "贵单位现在可以发布场景和能力，并参与场景对接。".to_owned(),
        ),
        K::OrganizationRejected => (
            format!("单位「{}」未通过认证", s.title),
            format!(
                "贵单位的注册未通过平台审核，暂不能提交或发布内容。{}如有疑问请联系平台管理员。",
                reason_sentence(&note)
            ),
        ),
        K::OrganizationSuspended => (
            format!("单位「{}」已被暂停", s.title),
            format!(
                "贵单位已被平台暂停，暂时不能提交、修改或对接；已发布的内容保持不变。{}如有疑问请联系平台管理员。",
                reason_sentence(&note)
            ),
        ),
        K::OrganizationReinstated => (
            format!("单位「{}」已恢复使用", s.title),
            "贵单位已恢复正常，可以继续发布场景和能力、参与场景对接。".to_owned(),
        ),
        K::MatchProposed => (
            format!("新的对接待审核：{pair}"),
            "请在对接管理中审核该对接。".to_owned(),
        ),
        K::MatchApproved => (
            format!("对接已通过审核：{pair}"),
            "对接已通过平台审核，等待对方确认。".to_owned(),
        ),
        K::MatchRejected => (
            format!("对接未通过审核：{pair}"),
            format!("很遗憾，该对接未通过平台审核。{}", reason("原因")),
        ),
        K::MatchConnected => (
            format!("对接成功：{pair}"),
            "双方已确认对接，联系方式已对双方可见，请登录平台查看并尽快联系。".to_owned(),
        ),
        K::MatchDeclined => (
            format!("对接被婉拒：{pair}"),
            format!("对方婉拒了本次对接。{}", reason("说明")),
        ),
        K::MatchSelected => (
            format!("已选定合作方：{pair}"),
            "场景发布单位已选定该方案，场景进入实施阶段。".to_owned(),
        ),
        K::MatchNotSelected => (
            format!("对接未入选：{pair}"),
            "场景发布单位已选定其他合作方，感谢参与。".to_owned(),
        ),
        K::MatchLanded => (
            format!("场景已落地：{pair}"),
            "场景发布单位已登记落地成效。".to_owned(),
        ),
        K::MatchMessage => (format!("对接有新留言：{pair}"), note.unwrap_or_default()),
        // Written by the scheduled work with their own text (`notify_user`), never from an event.
        K::SavedSearchMatch | K::SavedSearchDigest | K::WeeklyRecommendations => {
            (s.title.clone(), note.unwrap_or_default())
        }
    };
    Message { title, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_rule_or_is_scheduled_and_round_trips() {
        for kind in NotificationKind::ALL {
            let scheduled = NotificationKind::SCHEDULED.contains(&kind);
            assert_ne!(
                RULES.iter().any(|r| r.kind == kind),
                scheduled,
                "{kind:?}: a rule, or written by the scheduled work"
            );
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
            assert!(!kind.label().is_empty());
        }
    }

    #[test]
    fn an_event_tells_each_audience_once() {
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                assert!(
                    (a.aggregate, a.action, a.kind) != (b.aggregate, b.action, b.kind),
                    "{} {} {:?} twice",
                    a.aggregate,
                    a.action,
                    a.kind
                );
            }
        }
    }

    #[test]
    fn excerpts_are_cut_at_a_character_boundary() {
        let long = "煤".repeat(EXCERPT + 5);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt("  短  "), "短");
    }
}

//! The rules of matchmaking events, which every door calls: who organises (admins, and the
//! county managers of the event's region), what a valid event is, who may read it (everyone once
//! it left its draft), who may register (a verified enterprise, through a member with a verified
//! address, with a listed capability of its own, for scenarios on the agenda, while registration
//! is open), and how the capacity and the waiting list work.

use chrono::{DateTime, Utc};

use super::store::{
    self, DraftsOf, EventContent, EventRow, Listing, NewRegistration, RegistrationRow,
};
use super::{
    EVENT_RULES, EventAction, EventKind, EventStatus, EventStep, REGISTRATION_RULES,
    RegistrationDecision, RegistrationStatus, RegistrationStep,
};
use crate::auth;
use crate::capabilities;
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, ErrorCode, Outcome, Validator, refuse};
use crate::items::clean_note;
use crate::machine::lookup;
use crate::matches::{self, steps::ContinuingPair, store::MatchRow};
use crate::pagination::{PageRequest, Rows};
use crate::scenarios::{self, ScenarioStatus};
use crate::search::LiveIndex;
use crate::taxonomy::{CITY_REGION, Taxonomy};
use crate::viewer::{Role, Viewer};

/// Most scenarios on one agenda.
pub const MAX_AGENDA: usize = 20;
/// The largest capacity of one event.
pub const MAX_CAPACITY: i64 = 2000;

// ---- Who ----------------------------------------------------------------------------------------

/// An event's organisers: admins, and the county managers of its region.
pub fn can_organise(viewer: &Viewer, event: &EventRow) -> bool {
    viewer.looks_after(&event.region_code)
}

pub fn can_read(viewer: &Viewer, event: &EventRow) -> bool {
    event.status().is_public() || can_organise(viewer, event)
}

/// The event, if the viewer may read it (NOT_FOUND otherwise).
pub async fn find(db: &Db, viewer: &Viewer, id: &str) -> AppResult<EventRow> {
    store::find(db, id)
        .await?
        .filter(|e| can_read(viewer, e))
        .ok_or(AppError::NotFound)
}

/// An event the viewer organises: NOT_FOUND when they may not see it, FORBIDDEN when they see it
/// but do not organise it.
async fn find_organised(db: &Db, viewer: &Viewer, id: &str) -> AppResult<EventRow> {
    viewer.require_user()?;
    let event = find(db, viewer, id).await?;
    if !can_organise(viewer, &event) {
        return Err(AppError::Forbidden);
    }
    Ok(event)
}

/// Admins and county managers organise; everyone else is refused.
fn require_organiser(viewer: &Viewer) -> AppResult<()> {
    let claims = viewer.require_user()?;
    match claims.role {
        Role::Admin | Role::CountyManager => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

// ---- Events ---------------------------------------------------------------------------------------

/// What an organiser gives for an event.
#[derive(Clone, Debug)]
pub struct EventFields {
    pub title: String,
    pub kind: EventKind,
    pub description: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub region_code: Option<String>,
    pub capacity: i32,
    pub registration_deadline: DateTime<Utc>,
    pub scenario_ids: Vec<String>,
}

async fn validate(
    db: &Db,
    taxonomy: &Taxonomy,
    viewer: &Viewer,
    f: EventFields,
) -> AppResult<Result<EventContent, Vec<crate::error::UserError>>> {
    let mut v = Validator::default();
    v.text(&["title"], "活动名称", &f.title, 60);
    let description = f.description.as_deref().map(str::trim).unwrap_or_default();
    if !description.is_empty() {
        v.text(&["description"], "活动介绍", description, 2000);
    }
    let now = Utc::now();
    if f.starts_at <= now {
        v.push(&["startsAt"], ErrorCode::Incomplete, "开始时间须晚于现在");
    }
    if f.ends_at <= f.starts_at {
        v.push(&["endsAt"], ErrorCode::Invalid, "结束时间须晚于开始时间");
    }
    if f.registration_deadline <= now || f.registration_deadline > f.starts_at {
        v.push(
            &["registrationDeadline"],
            ErrorCode::Invalid,
            "报名截止时间须晚于现在、不晚于活动开始",
        );
    }
    let place = clean_note(f.place.as_deref());
    let online_url = clean_note(f.online_url.as_deref());
    if place.is_none() && online_url.is_none() {
        v.push(
            &["place"],
            ErrorCode::Required,
            "请填写活动地点或线上会议链接",
        );
    }
    if let Some(place) = place {
        v.text(&["place"], "活动地点", place, 200);
    }
    if let Some(url) = online_url {
        let web = url.starts_with("https://") || url.starts_with("http://");
        let clean = crate::error::text_problem(url, true).is_none()
            && !url.chars().any(char::is_whitespace);
        if !web || url.len() > 500 || !clean {
            v.push(
                &["onlineUrl"],
                ErrorCode::Invalid,
                "线上会议链接须是 http(s) 网址",
            );
        }
    }
    let capacity = i64::from(f.capacity);
    if !(1..=MAX_CAPACITY).contains(&capacity) {
        v.push(
            &["capacity"],
            ErrorCode::OutOfRange,
            format!("名额须在 1 至 {MAX_CAPACITY} 之间"),
        );
    }
    let region = match (f.region_code.as_deref().map(str::trim), viewer.county()) {
        (Some(region), _) => region.to_owned(),
        (None, Some(county)) => county.to_owned(),
        (None, None) => CITY_REGION.to_owned(),
    };
    if taxonomy.region(&region).is_none() {
        v.push(&["regionCode"], ErrorCode::UnknownRegion, "所在地区不存在");
    } else if !viewer.looks_after(&region) {
        v.push(
            &["regionCode"],
            ErrorCode::Invalid,
            "场景经理人只能组织本地区的活动",
        );
    }
    // The size first: what follows looks at each id against the others.
    let mut agenda: Vec<String> = Vec::new();
    if f.scenario_ids.len() <= MAX_AGENDA {
        for id in &f.scenario_ids {
            if !agenda.contains(id) {
                agenda.push(id.clone());
            }
        }
    }
    if agenda.is_empty() || f.scenario_ids.len() > MAX_AGENDA {
        v.push(
            &["scenarioIds"],
            ErrorCode::OutOfRange,
            format!("活动议程须包含 1 至 {MAX_AGENDA} 个场景"),
        );
    } else {
        let found = scenarios::store::find_many(db, &agenda).await?;
        let all_open = agenda.iter().all(|id| {
            found.iter().any(|s| {
                &s.id == id
                    && matches!(
                        s.status(),
                        ScenarioStatus::Published | ScenarioStatus::Matching
                    )
            })
        });
        if !all_open {
            v.push(
                &["scenarioIds"],
                ErrorCode::Invalid,
                "议程中的场景须是机会清单上正在征集的场景",
            );
        }
    }
    if let Err(errors) = v.finish() {
        return Ok(Err(errors));
    }
    Ok(Ok(EventContent {
        title: f.title.trim().to_owned(),
        kind: f.kind.as_str().to_owned(),
        description: description.to_owned(),
        starts_at: db::format_time(f.starts_at),
        ends_at: db::format_time(f.ends_at),
        place: place.map(str::to_owned),
        online_url: online_url.map(str::to_owned),
        region_code: region,
        capacity,
        registration_deadline: db::format_time(f.registration_deadline),
        agenda,
    }))
}

/// Creates a DRAFT event (admins and county managers; a manager's own region).
pub async fn create(
    db: &Db,
    taxonomy: &Taxonomy,
    viewer: &Viewer,
    fields: EventFields,
) -> AppResult<Outcome<EventRow>> {
    require_organiser(viewer)?;
    let claims = viewer.require_user()?;
    let content = match validate(db, taxonomy, viewer, fields).await? {
        Ok(content) => content,
        Err(errors) => return Ok(Err(errors)),
    };
    Ok(Ok(store::insert(db, &content, &claims.sub).await?))
}

/// Rewrites a DRAFT or OPEN event; its capacity never below the places already taken.
pub async fn update(
    db: &Db,
    taxonomy: &Taxonomy,
    viewer: &Viewer,
    id: &str,
    fields: EventFields,
) -> AppResult<Outcome<EventRow>> {
    let current = find_organised(db, viewer, id).await?;
    let claims = viewer.require_user()?;
    if !matches!(current.status(), EventStatus::Draft | EventStatus::Open) {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            format!("{}的活动不能修改", current.status().label()),
        ));
    }
    let content = match validate(db, taxonomy, viewer, fields).await? {
        Ok(content) => content,
        Err(errors) => return Ok(Err(errors)),
    };
    if content.capacity < current.accepted {
        return Ok(refuse(
            &["capacity"],
            ErrorCode::OutOfRange,
            format!("已确认{}家参加，名额不能少于此数", current.accepted),
        ));
    }
    store::update(db, &current, &content, &claims.sub)
        .await?
        .map(Ok)
        .ok_or(AppError::Conflict)
}

/// Takes a step of the event's lifecycle (README, "Matchmaking events").
pub async fn transition(
    db: &Db,
    viewer: &Viewer,
    id: &str,
    action: EventAction,
    note: Option<&str>,
) -> AppResult<Outcome<EventRow>> {
    let current = find_organised(db, viewer, id).await?;
    let claims = viewer.require_user()?;
    let step = EventStep::from(action);
    let Some(rule) = lookup(EVENT_RULES, current.status(), step) else {
        return Ok(refuse(
            &["action"],
            ErrorCode::InvalidTransition,
            format!("{}的活动不能{}", current.status().label(), step.label()),
        ));
    };
    let now = Utc::now();
    if step == EventStep::Publish {
        let deadline = db::parse_time(&current.registration_deadline);
        if deadline.is_none_or(|d| d <= now) {
            return Ok(refuse(
                &["registrationDeadline"],
                ErrorCode::Incomplete,
                "报名截止时间已过，请修改后再发布",
            ));
        }
    }
    if step == EventStep::MarkHeld && db::parse_time(&current.starts_at).is_some_and(|s| s > now) {
        return Ok(refuse(
            &["action"],
            ErrorCode::Incomplete,
            "活动尚未开始，不能登记为已举办",
        ));
    }
    store::transition(db, &current, rule, Some(&claims.sub), clean_note(note))
        .await?
        .map(Ok)
        .ok_or(AppError::Conflict)
}

/// Closes the registration of OPEN events whose deadline passed at `now` (the scheduled
/// `deadlines` job); the number closed.
pub async fn close_past_registration(db: &Db, now: DateTime<Utc>) -> AppResult<usize> {
    let rule = lookup(EVENT_RULES, EventStatus::Open, EventStep::Expire)
        .expect("the lifecycle closes registration at its deadline");
    let mut closed = 0;
    for event in store::past_registration(db, &db::format_time(now)).await? {
        if store::transition(db, &event, rule, None, Some("报名截止时间已到"))
            .await?
            .is_some()
        {
            closed += 1;
        }
    }
    Ok(closed)
}

/// Events the viewer may read, soonest first: the public stages for everyone, drafts too for
/// their organisers.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    statuses: Option<Vec<EventStatus>>,
    region_codes: Option<Vec<String>>,
    page: PageRequest,
) -> AppResult<Rows<EventRow>> {
    let statuses =
        statuses.unwrap_or_else(|| vec![EventStatus::Open, EventStatus::Closed, EventStatus::Held]);
    let drafts_of = if viewer.is_admin() {
        DraftsOf::All
    } else if let Some(county) = viewer.county() {
        DraftsOf::Region(county.to_owned())
    } else {
        DraftsOf::None
    };
    let listing = Listing {
        statuses,
        drafts_of,
        region_codes,
    };
    Ok(Rows::page(store::list(db, &listing, page).await?))
}

/// The scenarios on the event's agenda that the viewer may read, in order.
pub async fn agenda(
    db: &Db,
    viewer: &Viewer,
    event: &EventRow,
) -> AppResult<Vec<scenarios::ScenarioRow>> {
    let ids = store::agenda(db, &event.id).await?;
    let mut rows = scenarios::store::find_many(db, &ids).await?;
    rows.retain(|row| scenarios::service::can_read(viewer, row));
    rows.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
    Ok(rows)
}

// ---- Registrations ------------------------------------------------------------------------------

/// A registration is private to its organization, the event's organisers and admins.
pub fn can_read_registration(viewer: &Viewer, event: &EventRow, row: &RegistrationRow) -> bool {
    viewer.org_id() == Some(row.org_id.as_str()) || can_organise(viewer, event)
}

/// What an enterprise gives to register.
pub struct Registration<'a> {
    pub event_id: &'a str,
    pub capability_id: &'a str,
    pub scenario_ids: &'a [String],
    pub note: Option<&'a str>,
}

/// Registers the viewer's organization for an OPEN event before its registration deadline.
pub async fn register(
    db: &Db,
    viewer: &Viewer,
    r: Registration<'_>,
) -> AppResult<Outcome<RegistrationRow>> {
    let claims = viewer.require_user()?;
    let event = find(db, viewer, r.event_id).await?;
    if claims.role != Role::Enterprise {
        return Err(AppError::NotYours("对接活动由企业和科研院所报名"));
    }
    if let Err(errors) =
        auth::account::may_put_forward(db, &claims.sub, &claims.org, "报名对接活动").await?
    {
        return Ok(Err(errors));
    }
    if event.status() != EventStatus::Open
        || db::parse_time(&event.registration_deadline).is_none_or(|d| d <= Utc::now())
    {
        return Ok(refuse(
            &["eventId"],
            ErrorCode::InvalidTransition,
            "该活动不在报名期内",
        ));
    }
    let mut v = Validator::default();
    let capability = capabilities::store::find(db, r.capability_id).await?;
    if !capability
        .as_ref()
        .is_some_and(|c| c.org_id == claims.org && c.status().is_public())
    {
        v.push(
            &["capabilityId"],
            ErrorCode::Invalid,
            "请选择本单位已列入能力清单的能力",
        );
    }
    let agenda = store::agenda(db, &event.id).await?;
    // The size first: what follows looks at each id against the others.
    let mut chosen: Vec<String> = Vec::new();
    if r.scenario_ids.len() <= MAX_AGENDA {
        for id in r.scenario_ids {
            if !chosen.contains(id) {
                chosen.push(id.clone());
            }
        }
    }
    if chosen.is_empty() || !chosen.iter().all(|id| agenda.contains(id)) {
        v.push(
            &["scenarioIds"],
            ErrorCode::Invalid,
            "请从活动议程中选择至少一个场景",
        );
    }
    let note = clean_note(r.note).unwrap_or_default();
    if !note.is_empty() {
        v.text(&["note"], "报名说明", note, 500);
    }
    if let Err(errors) = v.finish() {
        return Ok(Err(errors));
    }
    let row = store::register(
        db,
        NewRegistration {
            event_id: &event.id,
            org_id: &claims.org,
            registered_by: &claims.sub,
            capability_id: r.capability_id,
            scenario_ids: &chosen,
            note,
        },
    )
    .await?;
    match row {
        Some(row) => Ok(Ok(row)),
        None => Ok(refuse(
            &["eventId"],
            ErrorCode::Duplicate,
            "贵单位已报名该活动",
        )),
    }
}

/// The registration and its event, if the viewer may read it (NOT_FOUND otherwise).
async fn find_registration(
    db: &Db,
    viewer: &Viewer,
    id: &str,
) -> AppResult<(EventRow, RegistrationRow)> {
    viewer.require_user()?;
    let row = store::find_registration(db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let event = store::find(db, &row.event_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !can_read_registration(viewer, &event, &row) {
        return Err(AppError::NotFound);
    }
    Ok((event, row))
}

/// The organiser accepts (within the capacity, else onto the waiting list) or declines.
pub async fn decide(
    db: &Db,
    viewer: &Viewer,
    id: &str,
    decision: RegistrationDecision,
    note: Option<&str>,
) -> AppResult<Outcome<RegistrationRow>> {
    let (event, current) = find_registration(db, viewer, id).await?;
    let claims = viewer.require_user()?;
    if !can_organise(viewer, &event) {
        return Err(AppError::Forbidden);
    }
    if !matches!(event.status(), EventStatus::Open | EventStatus::Closed) {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            format!("{}的活动不能再处理报名", event.status().label()),
        ));
    }
    let step = match decision {
        RegistrationDecision::Accept => RegistrationStep::Accept,
        RegistrationDecision::Decline => RegistrationStep::Decline,
    };
    let Some(rule) = lookup(REGISTRATION_RULES, current.status(), step) else {
        return Ok(refuse(
            &["decision"],
            ErrorCode::InvalidTransition,
            format!("{}的报名不能{}", current.status().label(), step.label()),
        ));
    };
    let note = clean_note(note);
    if step == RegistrationStep::Decline && note.is_none() {
        return Ok(refuse(&["note"], ErrorCode::Required, "请说明未通过的原因"));
    }
    let row = match step {
        RegistrationStep::Accept => {
            let waitlist = lookup(
                REGISTRATION_RULES,
                current.status(),
                RegistrationStep::Waitlist,
            )
            .expect("a pending registration can wait");
            store::accept(db, &current, rule, waitlist, &claims.sub).await?
        }
        _ => store::decide(db, &current, rule, &claims.sub, note).await?,
    };
    row.map(Ok).ok_or(AppError::Conflict)
}

/// The registering organization cancels; an accepted place goes to the longest-waiting.
pub async fn cancel(db: &Db, viewer: &Viewer, id: &str) -> AppResult<Outcome<RegistrationRow>> {
    let (event, current) = find_registration(db, viewer, id).await?;
    let claims = viewer.require_user()?;
    if viewer.org_id() != Some(current.org_id.as_str()) {
        return Err(AppError::Forbidden);
    }
    if !matches!(event.status(), EventStatus::Open | EventStatus::Closed) {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            format!("{}的活动不能取消报名", event.status().label()),
        ));
    }
    let Some(rule) = lookup(
        REGISTRATION_RULES,
        current.status(),
        RegistrationStep::Cancel,
    ) else {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            format!("{}的报名不能取消", current.status().label()),
        ));
    };
    let promote = lookup(
        REGISTRATION_RULES,
        RegistrationStatus::Waitlisted,
        RegistrationStep::Promote,
    )
    .expect("the waiting list moves up");
    store::cancel(db, &current, rule, promote, &claims.sub)
        .await?
        .map(Ok)
        .ok_or(AppError::Conflict)
}

/// The most pairs one record of outcomes takes.
pub const MAX_PAIRS: usize = 200;

/// After a HELD event, its organiser records which pairs continue: an accepted registration and a
/// scenario of the agenda. Each becomes an APPROVED match of origin EVENT, in one transaction; a
/// pair that has a live match already keeps it. The matches made.
pub async fn record_outcomes(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    event_id: &str,
    pairs: &[(String, String)],
) -> AppResult<Outcome<Vec<MatchRow>>> {
    let event = find_organised(db, viewer, event_id).await?;
    let claims = viewer.require_user()?;
    if event.status() != EventStatus::Held {
        return Ok(refuse(
            &["eventId"],
            ErrorCode::InvalidTransition,
            "活动登记为已举办后，才能记录继续推进的对接",
        ));
    }
    if pairs.is_empty() || pairs.len() > MAX_PAIRS {
        return Ok(refuse(
            &["pairs"],
            ErrorCode::OutOfRange,
            format!("请记录 1 至 {MAX_PAIRS} 对继续推进的对接"),
        ));
    }
    let agenda = store::agenda(db, &event.id).await?;
    let scenarios = scenarios::store::find_many(db, &agenda).await?;
    let accepted = store::accepted(db, &event.id).await?;
    let mut registrations = Vec::new();
    let mut v = Validator::default();
    for (i, (registration_id, scenario_id)) in pairs.iter().enumerate() {
        let index = i.to_string();
        let registration = accepted.iter().find(|r| &r.id == registration_id);
        if registration.is_none() {
            v.push(
                &["pairs", &index, "registrationId"],
                ErrorCode::Invalid,
                "请选择本活动已确认参加的报名",
            );
        }
        let scenario = scenarios.iter().find(|s| {
            &s.id == scenario_id
                && matches!(
                    s.status(),
                    ScenarioStatus::Published | ScenarioStatus::Matching
                )
        });
        if scenario.is_none() {
            v.push(
                &["pairs", &index, "scenarioId"],
                ErrorCode::Invalid,
                "请选择活动议程中仍在征集的场景",
            );
        }
        if let (Some(r), Some(s)) = (registration, scenario) {
            registrations.push((r, s));
        }
    }
    if let Err(errors) = v.finish() {
        return Ok(Err(errors));
    }
    let continuing: Vec<ContinuingPair<'_>> = registrations
        .iter()
        .map(|(r, s)| ContinuingPair {
            scenario: s,
            capability_id: &r.capability_id,
            initiator_org: &r.org_id,
            initiator: &r.registered_by,
        })
        .collect();
    let note = format!("在对接活动「{}」上洽谈，双方同意继续推进", event.title);
    let (created, started) =
        matches::steps::continue_after_event(db, index, &continuing, &claims.sub, &note).await?;
    for scenario in &started {
        scenarios::documents::sync(index, scenario);
    }
    Ok(Ok(created))
}

/// An event's registrations the viewer may read: all for its organisers, their own
/// organization's for anyone else.
pub async fn registrations(
    db: &Db,
    viewer: &Viewer,
    event: &EventRow,
    page: PageRequest,
) -> AppResult<Rows<RegistrationRow>> {
    let claims = viewer.require_signed_in()?;
    let org = (!can_organise(viewer, event)).then_some(claims.org.as_str());
    Ok(Rows::page(
        store::registrations(db, Some(&event.id), org, page).await?,
    ))
}

/// The registrations of the viewer's organization for every event, oldest first.
pub async fn own_registrations(
    db: &Db,
    viewer: &Viewer,
    page: PageRequest,
) -> AppResult<Rows<RegistrationRow>> {
    let claims = viewer.require_signed_in()?;
    Ok(Rows::page(
        store::registrations(db, None, Some(&claims.org), page).await?,
    ))
}

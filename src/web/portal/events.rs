//! The public pages of matchmaking events: the list (`/events`), an event with its agenda
//! (`/events/{id}`) and its calendar entry (`/events/{id}.ics`). Read as a visitor through the
//! events' service, so a draft is never shown and a registration never is.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::Serialize;

use super::pages::{PageParams, Pager, address, page_number, page_request, params};
use super::view;
use super::{Failure, Head, PageResult, Portal, VISITOR, cacheable, render};
use crate::activities::store::EventRow;
use crate::activities::{self, EventKind};
use crate::clock::china;
use crate::db;
use crate::error::AppError;
use crate::mail::ics;

/// Events on a page of the list.
const PER_PAGE: i64 = 20;

pub fn event_path(id: &str) -> String {
    format!("/events/{}", view::encode(id))
}

/// A stored time as it reads in Jinzhong, e.g. 2026年12月22日 09:30.
pub(super) fn china_time(at: &str) -> String {
    db::parse_time(at)
        .map(|t| {
            t.with_timezone(&china())
                .format("%Y年%m月%d日 %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

#[derive(Serialize)]
struct EventView {
    url: String,
    ics: String,
    title: String,
    kind: &'static str,
    status: &'static str,
    open: bool,
    starts: String,
    ends: String,
    deadline: String,
    place: Option<String>,
    online_url: Option<String>,
    region: String,
    capacity: i64,
    accepted: i64,
    description: Vec<String>,
}

fn event_view(portal: &Portal, row: &EventRow) -> EventView {
    EventView {
        url: event_path(&row.id),
        ics: format!("{}.ics", event_path(&row.id)),
        title: row.title.clone(),
        kind: EventKind::parse(&row.kind).map_or("", EventKind::label),
        status: row.status().label(),
        open: row.status() == activities::EventStatus::Open,
        starts: china_time(&row.starts_at),
        ends: china_time(&row.ends_at),
        deadline: china_time(&row.registration_deadline),
        place: row.place.clone(),
        online_url: row.online_url.clone(),
        region: portal
            .taxonomy
            .region(&row.region_code)
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        capacity: row.capacity,
        accepted: row.accepted,
        description: row
            .description
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

#[derive(Serialize)]
struct EventsPage {
    events: Vec<EventView>,
    pager: Pager,
}

pub async fn list(
    State(portal): State<Portal>,
    request: HeaderMap,
    query: Result<Query<PageParams>, QueryRejection>,
) -> PageResult {
    let number = page_number(params(query)?.page.as_deref())?;
    let page = page_request(number, PER_PAGE);
    let (rows, total) = activities::service::list(&portal.db, &VISITOR, None, None, page)
        .await?
        .window(&page);
    let head = Head {
        title: "对接活动".to_owned(),
        description: "晋中市场景发布会、路演和对接会：活动时间、地点、议程与报名。".to_owned(),
        path: address("/events", &[], number),
        section: "events",
    };
    let page = EventsPage {
        events: rows.iter().map(|r| event_view(&portal, r)).collect(),
        pager: Pager::new(number, total, PER_PAGE, |n| address("/events", &[], n)),
    };
    render(&portal, &request, "events.html", head, page)
}

#[derive(Serialize)]
struct AgendaItem {
    code: String,
    title: String,
    url: String,
}

#[derive(Serialize)]
struct EventPage {
    e: EventView,
    agenda: Vec<AgendaItem>,
}

/// An event's page, or with `.ics` its calendar entry.
pub async fn event(
    State(portal): State<Portal>,
    request: HeaderMap,
    Path(file): Path<String>,
) -> PageResult {
    let (id, calendar) = match file.strip_suffix(".ics") {
        Some(id) => (id, true),
        None => (file.as_str(), false),
    };
    let row = activities::service::find(&portal.db, &VISITOR, id).await?;
    if calendar {
        return calendar_file(&portal, &request, &row);
    }
    let agenda = activities::service::agenda(&portal.db, &VISITOR, &row)
        .await?
        .into_iter()
        .filter_map(|s| {
            let code = s.code?;
            Some(AgendaItem {
                url: view::scenario_path(&code),
                code,
                title: s.title,
            })
        })
        .collect();
    let head = Head {
        title: row.title.clone(),
        description: format!(
            "{}：{}，{}",
            EventKind::parse(&row.kind).map_or("", EventKind::label),
            china_time(&row.starts_at),
            row.place.as_deref().unwrap_or("线上")
        ),
        path: event_path(&row.id),
        section: "events",
    };
    let page = EventPage {
        e: event_view(&portal, &row),
        agenda,
    };
    render(&portal, &request, "event.html", head, page)
}

fn calendar_file(portal: &Portal, request: &HeaderMap, row: &EventRow) -> PageResult {
    let (Some(starts_at), Some(ends_at)) =
        (db::parse_time(&row.starts_at), db::parse_time(&row.ends_at))
    else {
        return Err(Failure(AppError::internal("an event without valid times")));
    };
    let page = portal.url(&event_path(&row.id));
    let body = ics::calendar(
        &[ics::CalendarEvent {
            uid: &row.id,
            sequence: row.version,
            title: &row.title,
            description: &row.description,
            starts_at,
            ends_at,
            location: row.place.as_deref().or(row.online_url.as_deref()),
            url: Some(&page),
            cancelled: row.status() == activities::EventStatus::Cancelled,
        }],
        db::parse_time(&row.updated_at).unwrap_or(starts_at),
    );
    Ok(cacheable(request, ics::CONTENT_TYPE, body.into_bytes()))
}

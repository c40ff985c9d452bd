//! What other sites and programs read: Atom feeds of the newest items, the open data (the
//! published lists as JSON pages in a documented, stable format with public codes; README, "Open
//! data"), `sitemap.xml` and `robots.txt`.

use std::fmt::Write as _;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};

use super::pages::{PageParams, case_rows, newest_scenarios, org_names, page_request};
use super::view;
use super::{Failure, PageResult, Portal, SITE_NAME, VISITOR, cacheable};
use crate::activities::{self, EventKind, EventStatus};
use crate::capabilities::model::CapabilityFilter;
use crate::capabilities::{self, CapabilityRow, CapabilityStatus};
use crate::error::AppError;
use crate::items;
use crate::lists;
use crate::mail::templates::escape_html;
use crate::pagination::PageRequest;
use crate::scenarios::{ScenarioRow, ScenarioStatus};
use crate::taxonomy::Taxonomy;

/// Entries in a feed.
const FEED_ENTRIES: i64 = 50;
/// Items on a page of open data.
const OPEN_DATA_PAGE: i64 = 100;
/// Items of each list in the sitemap, the newest (a sitemap holds at most 50,000 addresses).
const SITEMAP_ITEMS: i64 = 5_000;
/// The open data's format, named in every answer; a change that is not backward compatible gets
/// a new name.
pub const OPEN_DATA_FORMAT: &str = "jinzhong-twolists/open-data/v1";

async fn newest_capabilities(
    portal: &Portal,
    page: PageRequest,
) -> Result<(Vec<CapabilityRow>, i64), Failure> {
    Ok(capabilities::service::capability_list(
        &portal.db,
        &portal.taxonomy,
        &portal.index,
        &VISITOR,
        CapabilityFilter::default(),
        capabilities::model::CapabilityOrderBy::ListedAt,
        page,
    )
    .await?
    .window(&page))
}

/// Organization names of `rows` by id, as a lookup (one query).
async fn names<T>(
    portal: &Portal,
    rows: &[T],
    org: impl Fn(&T) -> &String,
) -> Result<impl Fn(&str) -> String, Failure> {
    let names = org_names(portal, rows.iter().map(|r| org(r).clone())).await?;
    Ok(move |id: &str| names.get(id).cloned().unwrap_or_default())
}

// ---- Atom -------------------------------------------------------------------------------------

/// An entry of a feed.
struct Entry {
    path: String,
    title: String,
    summary: String,
    author: String,
    updated: String,
    categories: Vec<String>,
}

/// The time an Atom document gives when it has no entry.
const EPOCH: &str = "1970-01-01T00:00:00Z";

fn atom_document(
    portal: &Portal,
    path: &str,
    title: &str,
    page: &str,
    entries: &[Entry],
) -> String {
    let updated = entries
        .iter()
        .map(|e| e.updated.as_str())
        .max()
        .unwrap_or(EPOCH);
    let mut xml = String::with_capacity(1024 + entries.len() * 512);
    let _ = write!(
        xml,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-CN\">\n\
         <id>{id}</id>\n<title>{title} · {site}</title>\n<updated>{updated}</updated>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{id}\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{page}\"/>\n\
         <author><name>{site}</name></author>\n",
        id = escape_html(&portal.url(path)),
        title = escape_html(title),
        site = escape_html(SITE_NAME),
        page = escape_html(&portal.url(page)),
    );
    for e in entries {
        let url = escape_html(&portal.url(&e.path));
        let _ = write!(
            xml,
            "<entry>\n<id>{url}</id>\n<title>{}</title>\n<updated>{}</updated>\n\
             <link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n\
             <author><name>{}</name></author>\n<summary>{}</summary>\n",
            escape_html(&e.title),
            escape_html(&e.updated),
            escape_html(&e.author),
            escape_html(&e.summary),
        );
        for term in &e.categories {
            let _ = writeln!(xml, "<category term=\"{}\"/>", escape_html(term));
        }
        xml.push_str("</entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

pub async fn atom(
    State(portal): State<Portal>,
    request: HeaderMap,
    Path(file): Path<String>,
) -> PageResult {
    let first = page_request(1, FEED_ENTRIES);
    let (title, page, entries) = match file.as_str() {
        "opportunities.atom" => {
            let (rows, _) = newest_scenarios(&portal, None, first).await?;
            let names = names(&portal, &rows, |r| &r.org_id).await?;
            let entries = rows
                .iter()
                .map(|r| Entry {
                    path: view::scenario_path(r.code.as_deref().unwrap_or_default()),
                    title: r.title.clone(),
                    summary: r.summary.clone(),
                    author: names(&r.org_id),
                    updated: r
                        .published_at
                        .clone()
                        .unwrap_or_else(|| r.updated_at.clone()),
                    categories: view::industry_names(&portal.taxonomy, &r.industry_codes()),
                })
                .collect::<Vec<_>>();
            ("机会清单", "/opportunities", entries)
        }
        "capabilities.atom" => {
            let (rows, _) = newest_capabilities(&portal, first).await?;
            let names = names(&portal, &rows, |r| &r.org_id).await?;
            let entries = rows
                .iter()
                .map(|r| Entry {
                    path: view::capability_path(r.code.as_deref().unwrap_or_default()),
                    title: r.title.clone(),
                    summary: r.summary.clone(),
                    author: names(&r.org_id),
                    updated: r.listed_at.clone().unwrap_or_else(|| r.updated_at.clone()),
                    categories: view::industry_names(&portal.taxonomy, &r.industry_codes()),
                })
                .collect::<Vec<_>>();
            ("能力清单", "/capabilities", entries)
        }
        "cases.atom" => {
            let (rows, _) = case_rows(&portal, first).await?;
            let names = names(&portal, &rows, |r| &r.org_id).await?;
            let entries = rows
                .iter()
                .map(|r| Entry {
                    path: view::case_path(r.code.as_deref().unwrap_or_default()),
                    title: r.title.clone(),
                    summary: r
                        .outcome_summary
                        .clone()
                        .unwrap_or_else(|| r.summary.clone()),
                    author: names(&r.org_id),
                    updated: r
                        .outcome_recorded_at
                        .clone()
                        .unwrap_or_else(|| r.updated_at.clone()),
                    categories: view::industry_names(&portal.taxonomy, &r.industry_codes()),
                })
                .collect::<Vec<_>>();
            ("落地案例", "/cases", entries)
        }
        "events.atom" => {
            let public = EventStatus::ALL
                .into_iter()
                .filter(|s| s.is_public())
                .collect();
            let (rows, _) =
                activities::service::list(&portal.db, &VISITOR, Some(public), None, first)
                    .await?
                    .window(&first);
            let entries = rows
                .iter()
                .map(|r| Entry {
                    path: super::events::event_path(&r.id),
                    title: r.title.clone(),
                    summary: format!(
                        "{}｜{}｜{}｜{}",
                        EventKind::parse(&r.kind).map_or("", EventKind::label),
                        super::events::china_time(&r.starts_at),
                        r.place.as_deref().unwrap_or("线上"),
                        r.status().label()
                    ),
                    author: portal
                        .taxonomy
                        .region(&r.region_code)
                        .map(|region| region.name.clone())
                        .unwrap_or_default(),
                    updated: r.updated_at.clone(),
                    categories: vec![
                        EventKind::parse(&r.kind)
                            .map_or("", EventKind::label)
                            .to_owned(),
                    ],
                })
                .collect::<Vec<_>>();
            ("对接活动", "/events", entries)
        }
        _ => return Err(Failure(AppError::NotFound)),
    };
    let xml = atom_document(&portal, &format!("/feeds/{file}"), title, page, &entries);
    Ok(cacheable(
        &request,
        "application/atom+xml; charset=utf-8",
        xml.into_bytes(),
    ))
}

// ---- Open data --------------------------------------------------------------------------------

fn coded(code: &str, name: Option<&str>) -> Value {
    json!({ "code": code, "name": name })
}

fn industries(taxonomy: &Taxonomy, codes: &[String]) -> Value {
    codes
        .iter()
        .map(|c| coded(c, taxonomy.industry(c).map(|i| i.name.as_str())))
        .collect()
}

fn region(taxonomy: &Taxonomy, code: &str) -> Value {
    coded(code, taxonomy.region(code).map(|r| r.name.as_str()))
}

fn scenario_json(portal: &Portal, unit: String, r: &ScenarioRow) -> Value {
    let t = &portal.taxonomy;
    let code = r.code.clone().unwrap_or_default();
    json!({
        "code": code,
        "url": portal.url(&view::scenario_path(&code)),
        "title": r.title,
        "summary": r.summary,
        "description": r.description.whole(),
        "category": coded(&r.category, t.category(&r.category).map(|c| c.name.as_str())),
        "industries": industries(t, &r.industry_codes()),
        "region": region(t, &r.region_code),
        "unit": unit,
        "budget_min": r.budget_min,
        "budget_max": r.budget_max,
        "cooperation_modes": items::split_codes(&r.cooperation_modes),
        "maturity_required": r.maturity_required,
        "deadline": r.deadline,
        "tags": r.tags(),
        "status": coded(r.status().as_str(), Some(r.status().label())),
        "published_at": r.published_at,
    })
}

fn capability_json(portal: &Portal, provider: String, r: &CapabilityRow) -> Value {
    let t = &portal.taxonomy;
    let code = r.code.clone().unwrap_or_default();
    json!({
        "code": code,
        "url": portal.url(&view::capability_path(&code)),
        "title": r.title,
        "summary": r.summary,
        "description": r.description.whole(),
        "provider": provider,
        "industries": industries(t, &r.industry_codes()),
        "service_regions": r.service_region_codes().iter().map(|c| region(t, c)).collect::<Vec<_>>(),
        "maturity": r.maturity,
        "price_min": r.price_min,
        "price_max": r.price_max,
        "certifications": r.certifications(),
        "cases": r.cases(),
        "tags": r.tags(),
        "featured": r.status() == CapabilityStatus::Featured,
        "status": coded(r.status().as_str(), Some(r.status().label())),
        "listed_at": r.listed_at,
    })
}

fn case_json(portal: &Portal, unit: String, r: &ScenarioRow) -> Value {
    let code = r.code.clone().unwrap_or_default();
    let capability = match (&r.outcome_capability_code, &r.outcome_capability_title) {
        (Some(c), Some(title)) => json!({
            "code": c, "title": title, "url": portal.url(&view::capability_path(c)),
        }),
        _ => Value::Null,
    };
    json!({
        "code": code,
        "url": portal.url(&view::case_path(&code)),
        "scenario_url": portal.url(&view::scenario_path(&code)),
        "title": r.title,
        "summary": r.summary,
        "unit": unit,
        "region": region(&portal.taxonomy, &r.region_code),
        "industries": industries(&portal.taxonomy, &r.industry_codes()),
        "status": coded(r.status().as_str(), Some(r.status().label())),
        "outcome": {
            "summary": r.outcome_summary,
            "investment": r.outcome_investment,
            "completed_on": r.completed_on,
            "capability": capability,
        },
    })
}

#[derive(Serialize)]
struct OpenData {
    format: &'static str,
    kind: &'static str,
    site: String,
    page: i64,
    per_page: i64,
    total: i64,
    next: Option<String>,
    items: Vec<Value>,
}

pub async fn open_data(
    State(portal): State<Portal>,
    request: HeaderMap,
    Path(file): Path<String>,
    query: Result<Query<PageParams>, QueryRejection>,
) -> Result<Response, Failure> {
    let number = super::pages::page_number(super::pages::params(query)?.page.as_deref())?;
    let page = PageRequest {
        long_texts: true,
        ..page_request(number, OPEN_DATA_PAGE)
    };
    let (kind, total, items) = match file.as_str() {
        "opportunities.json" => {
            let (rows, total) = newest_scenarios(&portal, None, page).await?;
            let names = names(&portal, &rows, |r| &r.org_id).await?;
            let items = rows
                .iter()
                .map(|r| scenario_json(&portal, names(&r.org_id), r))
                .collect();
            ("opportunities", total, items)
        }
        "capabilities.json" => {
            let (rows, total) = newest_capabilities(&portal, page).await?;
            let names = names(&portal, &rows, |r| &r.org_id).await?;
            let items = rows
                .iter()
                .map(|r| capability_json(&portal, names(&r.org_id), r))
                .collect();
            ("capabilities", total, items)
        }
        "cases.json" => {
            let (rows, total) = case_rows(&portal, page).await?;
            let names = names(&portal, &rows, |r| &r.org_id).await?;
            let items = rows
                .iter()
                .map(|r| case_json(&portal, names(&r.org_id), r))
                .collect();
            ("cases", total, items)
        }
        _ => return Err(Failure(AppError::NotFound)),
    };
    let last = (total + OPEN_DATA_PAGE - 1) / OPEN_DATA_PAGE;
    let body = OpenData {
        format: OPEN_DATA_FORMAT,
        kind,
        site: portal.site.to_string(),
        page: number,
        per_page: OPEN_DATA_PAGE,
        total,
        next: (number < last.min(super::pages::MAX_PAGE_NUMBER))
            .then(|| portal.url(&format!("/open-data/{file}?page={}", number + 1))),
        items,
    };
    let json = serde_json::to_vec(&body).map_err(|e| Failure(AppError::internal(e.to_string())))?;
    Ok(cacheable(&request, "application/json; charset=utf-8", json))
}

// ---- Sitemap and robots -------------------------------------------------------------------------

pub async fn sitemap(State(portal): State<Portal>, request: HeaderMap) -> PageResult {
    let all = page_request(1, SITEMAP_ITEMS);
    let public: Vec<ScenarioStatus> = ScenarioStatus::ALL
        .into_iter()
        .filter(|s| s.is_public())
        .collect();
    let (scenarios, _) = newest_scenarios(&portal, Some(public), all).await?;
    let (capabilities, _) = newest_capabilities(&portal, all).await?;
    let (editions, _) = lists::service::list(&portal.db, &VISITOR, None, None, false, all)
        .await?
        .window(&all);
    let public_events = EventStatus::ALL
        .into_iter()
        .filter(|s| s.is_public())
        .collect();
    let (events, _) =
        activities::service::list(&portal.db, &VISITOR, Some(public_events), None, all)
            .await?
            .window(&all);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut url = |path: &str, modified: Option<&str>| {
        let _ = write!(xml, "<url><loc>{}</loc>", escape_html(&portal.url(path)));
        if let Some(day) = modified.and_then(items::day_in_china) {
            let _ = write!(xml, "<lastmod>{day}</lastmod>");
        }
        xml.push_str("</url>\n");
    };
    for path in [
        "/",
        "/opportunities",
        "/capabilities",
        "/editions",
        "/cases",
        "/events",
        "/stats",
    ] {
        url(path, None);
    }
    for e in &events {
        url(&super::events::event_path(&e.id), Some(&e.updated_at));
    }
    for s in &scenarios {
        url(
            &view::scenario_path(s.code.as_deref().unwrap_or_default()),
            Some(&s.updated_at),
        );
    }
    for c in &capabilities {
        url(
            &view::capability_path(c.code.as_deref().unwrap_or_default()),
            Some(&c.updated_at),
        );
    }
    for e in &editions {
        url(
            &format!("/editions/{}", view::encode(&e.id)),
            e.published_at.as_deref(),
        );
    }
    xml.push_str("</urlset>\n");
    Ok(cacheable(
        &request,
        "application/xml; charset=utf-8",
        xml.into_bytes(),
    ))
}

pub async fn robots(State(portal): State<Portal>, request: HeaderMap) -> Response {
    let text = format!(
        "User-agent: *\nAllow: /\nDisallow: /graphql\nDisallow: /exports/\n\
         Disallow: /verify-email\nDisallow: /reset-password\nDisallow: /accept-invitation\n\
         Sitemap: {}\n",
        portal.url("/sitemap.xml")
    );
    cacheable(&request, "text/plain; charset=utf-8", text.into_bytes())
}

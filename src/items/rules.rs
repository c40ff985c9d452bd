//! The rules scenarios and capabilities share: who owns and who may read an item and its
//! contact, stale versions, refused steps, the owner of a new item, and free-text ranked lists.
//! Each slice's service names its own functions and calls these.

use std::future::Future;

use super::{Contact, transition_refusal};
use crate::error::{AppError, AppResult, ErrorCode, Outcome, UserError, refuse};
use crate::events::EventRow;
use crate::machine::Rule;
use crate::pagination::{PageRequest, Rows};
use crate::viewer::{Role, Viewer};

/// A list item: owned by an organization, public once approved.
pub trait OwnedItem {
    fn owner_org(&self) -> &str;
    /// Approved at some point: anyone may read it.
    fn is_public(&self) -> bool;
    fn stored_contact(&self) -> Option<Contact>;
    /// The region whose county manager looks after the item too (scenarios only).
    fn county(&self) -> Option<&str> {
        None
    }
}

/// The part of an item's timeline the viewer may read: all of it for those who manage the item;
/// for everyone else only the steps into a public stage (their notes are public, as a landed
/// scenario's outcome is), without who took them. A review's reasons and the names of staff stay
/// the unit's and the platform's business.
pub fn visible_timeline(
    viewer: &Viewer,
    item: &impl OwnedItem,
    events: Vec<EventRow>,
    is_public_stage: impl Fn(&str) -> bool,
) -> Vec<EventRow> {
    if can_manage(viewer, item) {
        return events;
    }
    events
        .into_iter()
        .filter(|e| e.to_status.as_deref().is_some_and(&is_public_stage))
        .map(|e| EventRow {
            actor_id: None,
            ..e
        })
        .collect()
}

/// The viewer manages the item: a member of its organization, an admin, or (of a scenario) a
/// county manager of its region.
pub fn can_manage(viewer: &Viewer, item: &impl OwnedItem) -> bool {
    viewer.is_admin()
        || viewer.org_id() == Some(item.owner_org())
        || item
            .county()
            .is_some_and(|region| viewer.looks_after(region))
}

/// The statuses a public list shows: those asked for, or the live ones (`live`) when none are.
/// Anyone may ask for statuses in which items are public; admins for any, and so may a county
/// manager whose filter is their own region alone (`own_county`, scenarios only). One rule for
/// both lists.
pub fn list_statuses<S: Copy + PartialEq>(
    viewer: &Viewer,
    own_county: bool,
    asked: Option<Vec<S>>,
    live: &[S],
    is_public: impl Fn(S) -> bool,
) -> AppResult<Vec<S>> {
    // Each status once: a request repeating one many times stays one condition of the query.
    let mut distinct: Vec<S> = Vec::new();
    for status in asked.unwrap_or_default() {
        if !distinct.contains(&status) {
            distinct.push(status);
        }
    }
    if distinct.is_empty() {
        Ok(live.to_vec())
    } else if viewer.is_admin() || own_county || distinct.iter().all(|s| is_public(*s)) {
        Ok(distinct)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The viewer may read the item: it has been public, or they manage it. Everyone else is told
/// it does not exist.
pub fn can_read(viewer: &Viewer, item: &impl OwnedItem) -> bool {
    item.is_public() || can_manage(viewer, item)
}

/// The item's contact as the viewer may see it: to its organization and admins, and to the
/// other party of a match that shares contacts (`partners`, the organizations of such matches).
pub fn visible_contact(
    viewer: &Viewer,
    item: &impl OwnedItem,
    partners: &[String],
) -> Option<Contact> {
    let shared = viewer
        .org_id()
        .is_some_and(|org| partners.iter().any(|p| p == org));
    (can_manage(viewer, item) || shared)
        .then(|| item.stored_contact())
        .flatten()
}

/// How a request names a list item: by id or by public code, exactly one of the two.
pub enum Key<'a> {
    Id(&'a str),
    Code(&'a str),
}

impl<'a> Key<'a> {
    /// The key a request gave; BAD_REQUEST unless exactly one of `id` and `code` is there.
    pub fn of(id: Option<&'a str>, code: Option<&'a str>) -> AppResult<Key<'a>> {
        match (id, code) {
            (Some(id), None) => Ok(Key::Id(id)),
            (None, Some(code)) => Ok(Key::Code(code.trim())),
            _ => Err(AppError::BadRequest("请提供 id 或 code 之一".into())),
        }
    }
}

/// CONFLICT when the caller saw another version than the stored one.
pub fn check_version(stored: i64, expected: Option<i64>) -> AppResult<()> {
    match expected {
        Some(v) if v != stored => Err(AppError::Conflict),
        _ => Ok(()),
    }
}

/// The refusal of a step not allowed from `current`: names the current state and the states the
/// step is allowed from.
pub fn invalid_transition<S: Copy, A: Copy + PartialEq>(
    rules: &[Rule<S, A>],
    current: S,
    step: A,
    status_label: impl Fn(S) -> &'static str,
    step_label: impl Fn(A) -> &'static str,
) -> UserError {
    let allowed: Vec<&str> = rules
        .iter()
        .filter(|r| r.action == step)
        .map(|r| status_label(r.from))
        .collect();
    UserError::new(
        &["action"],
        ErrorCode::InvalidTransition,
        transition_refusal(status_label(current), step_label(step), &allowed),
    )
}

/// The organization a new item is recorded for: a member of an organization of `own_role`
/// records for their own; an admin names one (`missing` when they did not); anyone else is
/// FORBIDDEN.
pub fn owner_of_new(
    viewer: &Viewer,
    own_role: Role,
    named: Option<&str>,
    missing: &str,
) -> AppResult<Outcome<String>> {
    let claims = viewer.require_user()?;
    match (claims.role, named) {
        (role, None) if role == own_role => Ok(Ok(claims.org.clone())),
        (role, Some(id)) if role == own_role && id == claims.org => Ok(Ok(claims.org.clone())),
        (Role::Admin, Some(id)) => Ok(Ok(id.to_owned())),
        (Role::Admin, None) => Ok(refuse(&["organizationId"], ErrorCode::Required, missing)),
        // A county manager records scenarios for units (the slice checks the unit's region).
        (Role::CountyManager, Some(id)) if own_role == Role::Government => Ok(Ok(id.to_owned())),
        (Role::CountyManager, None) if own_role == Role::Government => {
            Ok(refuse(&["organizationId"], ErrorCode::Required, missing))
        }
        _ => Err(AppError::Forbidden),
    }
}

/// Up to `limit` of `rows` in the order of `ids` (an engine's hits, best first), keeping those
/// `keep` admits and leaving out `except` (the item the hits were found for).
pub fn in_hit_order<R: Clone>(
    ids: &[String],
    rows: &[R],
    id: impl Fn(&R) -> &str,
    keep: impl Fn(&R) -> bool,
    except: &str,
    limit: usize,
) -> Vec<R> {
    ids.iter()
        .filter(|hit| hit.as_str() != except)
        .filter_map(|hit| rows.iter().find(|r| id(r) == hit.as_str() && keep(r)))
        .take(limit)
        .cloned()
        .collect()
}

/// A list narrowed by free text. Without an order by relevance, `list` is asked for a page of the
/// rows among the engine's `hits` (all rows when there was no text). By relevance, `passing`
/// tells which hits pass the other filters (their ids only), the page is cut from those in the
/// engine's order, and `rows` reads the page's rows alone. `passing` is asked about the best hits
/// first, in growing batches, until the page and one more have passed; every hit (up to
/// `MAX_TEXT_HITS`) is checked only when the total is wanted.
pub async fn ranked_list<R, L, LF, P, PF, G, GF>(
    hits: Option<Vec<(String, f32)>>,
    by_relevance: bool,
    page: PageRequest,
    id: impl Fn(&R) -> &String,
    list: L,
    passing: P,
    rows: G,
) -> AppResult<Rows<R>>
where
    L: FnOnce(Option<Vec<String>>, PageRequest) -> LF,
    LF: Future<Output = Result<(Vec<R>, i64), sqlx::Error>>,
    P: Fn(Vec<String>) -> PF,
    PF: Future<Output = Result<Vec<String>, sqlx::Error>>,
    G: FnOnce(Vec<String>) -> GF,
    GF: Future<Output = Result<Vec<R>, sqlx::Error>>,
{
    let hits = match hits {
        Some(hits) if by_relevance => hits,
        other => {
            let ids = other.map(|hits| hits.into_iter().map(|(id, _)| id).collect());
            return Ok(Rows::page(list(ids, page).await?));
        }
    };
    // A cursor far past the hits (a client's, so any number) must not overflow.
    let wanted = usize::try_from(page.offset.saturating_add(page.limit).saturating_add(1))
        .unwrap_or(usize::MAX);
    let mut passed = std::collections::HashSet::new();
    let mut checked = 0;
    let mut batch = wanted.saturating_mul(4).max(FIRST_BATCH);
    while checked < hits.len() && (page.count || passed.len() < wanted) {
        let end = checked.saturating_add(batch).min(hits.len());
        let ids = hits[checked..end]
            .iter()
            .map(|(id, _)| id.clone())
            .collect();
        passed.extend(passing(ids).await?);
        checked = end;
        batch = batch.saturating_mul(2);
    }
    let ranked: Vec<&String> = hits[..checked]
        .iter()
        .map(|(id, _)| id)
        .filter(|id| passed.contains(*id))
        .collect();
    // The page and one more, which tells whether another page follows.
    let window: Vec<String> = ranked
        .iter()
        .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
        .take(page.limit as usize + 1)
        .map(|id| (*id).clone())
        .collect();
    let position: std::collections::HashMap<&str, usize> = window
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut found = rows(window.clone()).await?;
    found.sort_by_key(|row| position.get(id(row).as_str()).copied());
    Ok(Rows::Page {
        rows: found,
        // Not counted unless every hit was checked (only when the total is wanted, or when the
        // hits ran out first).
        total: if checked == hits.len() {
            ranked.len() as i64
        } else {
            -1
        },
    })
}

/// The smallest first batch of hits checked against the filters.
const FIRST_BATCH: usize = 64;

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Ranks 1,000 hits of which every other one passes the filters, and returns the page's ids,
    /// the total and how many hits were checked.
    async fn rank(page: PageRequest) -> (Vec<String>, i64, usize) {
        let hits: Vec<(String, f32)> = (0..1000)
            .map(|i| (format!("h{i:04}"), 1000.0 - i as f32))
            .collect();
        let checked = Mutex::new(0);
        let rows = ranked_list(
            Some(hits),
            true,
            page,
            |row: &String| row,
            |_, _| async { unreachable!("by relevance, no plain list is read") },
            |ids: Vec<String>| {
                *checked.lock().unwrap() += ids.len();
                async move {
                    let even = |id: &String| id[1..].parse::<u32>().unwrap() % 2 == 0;
                    Ok(ids.into_iter().filter(even).collect())
                }
            },
            |ids| async move { Ok(ids) },
        )
        .await
        .unwrap();
        let Rows::Page { rows, total } = rows else {
            panic!("a page");
        };
        (rows, total, checked.into_inner().unwrap())
    }

    #[tokio::test]
    async fn without_the_total_only_the_best_hits_are_checked() {
        let page = PageRequest {
            count: false,
            ..PageRequest::first(20)
        };
        let (rows, total, checked) = rank(page).await;
        let expected: Vec<String> = (0..21).map(|i| format!("h{:04}", i * 2)).collect();
        assert_eq!(
            rows, expected,
            "the page and one more, in the engine's order"
        );
        assert_eq!(checked, 84, "one batch of four times the page and one more");
        assert_eq!(total, -1, "not counted");
    }

    #[tokio::test]
    async fn with_the_total_every_hit_is_checked() {
        let (rows, total, checked) = rank(PageRequest::first(20)).await;
        assert_eq!(rows.len(), 21);
        assert_eq!(checked, 1000);
        assert_eq!(total, 500);
    }

    #[tokio::test]
    async fn a_cursor_past_every_hit_gives_an_empty_page() {
        let page = PageRequest {
            offset: i64::MAX - 1,
            count: false,
            ..PageRequest::first(20)
        };
        let (rows, total, checked) = rank(page).await;
        assert!(rows.is_empty());
        assert_eq!(checked, 1000, "every hit checked, none far enough");
        assert_eq!(total, 500);
    }

    #[tokio::test]
    async fn a_later_page_checks_further() {
        let page = PageRequest {
            offset: 180,
            count: false,
            ..PageRequest::first(20)
        };
        let (rows, _, checked) = rank(page).await;
        assert_eq!(rows.first().map(String::as_str), Some("h0360"));
        assert_eq!(rows.len(), 21);
        // 804 in the first batch hold 402 that pass: more than the 201 wanted.
        assert_eq!(checked, 804);
    }
}

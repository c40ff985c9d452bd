//! The rules of saved searches and alerts, which every door calls: a user keeps their own saved
//! searches (private to them); newly published items are checked against every saved search of
//! their list with the list's own filter; finds are told at once in the app (INSTANT) and by
//! e-mail in one digest a day; enterprises get a weekly digest of the new scenarios that
//! recommend their capabilities; a signed link in each digest turns it off without signing in.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike as _, Utc};

use super::store::{self, Find, SavedSearchRow};
use super::{AlertFrequency, SavedSearchList};
use crate::auth::JwtKeys;
use crate::capabilities::{self, model::CapabilityFilter};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, ErrorCode, Outcome, UserError, Validator, refuse};
use crate::items;
use crate::mail::{self, templates};
use crate::notifications::{self, NotificationKind};
use crate::pagination::{PageRequest, Rows};
use crate::scenarios::{self, model::OpportunityFilter};
use crate::search::LiveIndex;
use crate::taxonomy::Taxonomy;
use crate::viewer::Viewer;

/// Most saved searches one user keeps.
pub const MAX_SAVED_SEARCHES: i64 = 20;
/// The longest name of a saved search, in characters.
pub const MAX_NAME_CHARS: usize = 40;
/// Most industry or region codes a saved filter holds (it is checked every minute).
pub const MAX_CODES: usize = 50;
/// Most queued items one run of the alerts job checks.
const QUEUE_BATCH: i64 = 200;
/// How many of the engine's recommendations for a new scenario the weekly digest considers.
pub const TOP_RECOMMENDATIONS: usize = 10;
/// Most new scenarios one weekly digest run reads.
const WEEKLY_SCENARIOS: i64 = 500;

/// What a saved search filters: one of the two lists, with its filter.
#[derive(Clone, Debug)]
pub enum SearchFilter {
    Opportunity(OpportunityFilter),
    Capability(CapabilityFilter),
}

impl SearchFilter {
    pub fn list(&self) -> SavedSearchList {
        match self {
            SearchFilter::Opportunity(_) => SavedSearchList::Opportunity,
            SearchFilter::Capability(_) => SavedSearchList::Capability,
        }
    }

    /// The filter as JSON, with only the fields given.
    fn to_json(&self) -> String {
        let value = match self {
            SearchFilter::Opportunity(f) => serde_json::to_value(f),
            SearchFilter::Capability(f) => serde_json::to_value(f),
        }
        .expect("a filter serializes");
        let given: serde_json::Map<String, serde_json::Value> = value
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        serde_json::Value::Object(given).to_string()
    }

    /// The filter a saved row holds; `None` for a row that does not parse.
    pub fn of_row(row: &SavedSearchRow) -> Option<SearchFilter> {
        match SavedSearchList::parse(&row.list)? {
            SavedSearchList::Opportunity => serde_json::from_str(&row.filter)
                .ok()
                .map(SearchFilter::Opportunity),
            SavedSearchList::Capability => serde_json::from_str(&row.filter)
                .ok()
                .map(SearchFilter::Capability),
        }
    }

    fn query(&self) -> Option<&str> {
        match self {
            SearchFilter::Opportunity(f) => f.query.as_deref(),
            SearchFilter::Capability(f) => f.query.as_deref(),
        }
    }

    /// The lengths of its lists of codes, by field.
    fn code_lists(&self) -> [(&'static str, usize); 2] {
        let len = |codes: &Option<Vec<String>>| codes.as_ref().map_or(0, Vec::len);
        match self {
            SearchFilter::Opportunity(f) => [
                ("industryCodes", len(&f.industry_codes)),
                ("regionCodes", len(&f.region_codes)),
            ],
            SearchFilter::Capability(f) => [
                ("industryCodes", len(&f.industry_codes)),
                ("regionCodes", len(&f.region_codes)),
            ],
        }
    }

    fn has_statuses(&self) -> bool {
        match self {
            SearchFilter::Opportunity(f) => f.statuses.is_some(),
            SearchFilter::Capability(f) => f.statuses.is_some(),
        }
    }
}

/// Saves a search for the signed-in user.
pub async fn save(
    db: &Db,
    viewer: &Viewer,
    name: &str,
    filter: Option<SearchFilter>,
    frequency: AlertFrequency,
) -> AppResult<Outcome<SavedSearchRow>> {
    let claims = viewer.require_signed_in()?;
    let mut errors = Vec::new();
    let name = name.trim();
    check_name(name, &mut errors);
    match &filter {
        None => errors.push(UserError::new(
            &[],
            ErrorCode::Required,
            "请给出机会清单或能力清单的筛选条件（二选一）",
        )),
        Some(f) => {
            let field = match f.list() {
                SavedSearchList::Opportunity => "opportunityFilter",
                SavedSearchList::Capability => "capabilityFilter",
            };
            if f.has_statuses() {
                errors.push(UserError::new(
                    &[field, "statuses"],
                    ErrorCode::Invalid,
                    "订阅只提醒新发布的内容，请勿指定状态",
                ));
            }
            for (list, len) in f.code_lists() {
                if len > MAX_CODES {
                    errors.push(UserError::new(
                        &[field, list],
                        ErrorCode::TooLong,
                        format!("每类代码最多{MAX_CODES}个"),
                    ));
                }
            }
            if items::free_text(f.query()).is_err() {
                errors.push(UserError::new(
                    &[field, "query"],
                    ErrorCode::TooLong,
                    format!("搜索词不能超过{}个字", items::MAX_QUERY_CHARS),
                ));
            }
        }
    }
    let Some(filter) = filter.filter(|_| errors.is_empty()) else {
        return Ok(Err(errors));
    };
    let row = SavedSearchRow {
        id: db::new_id(),
        user_id: claims.sub.clone(),
        list: filter.list().as_str().to_owned(),
        name: name.to_owned(),
        filter: filter.to_json(),
        frequency: frequency.as_str().to_owned(),
        created_at: db::now(),
    };
    let mut tx = db.begin().await?;
    if store::count_of_user(&mut tx, &claims.sub).await? >= MAX_SAVED_SEARCHES {
        return Ok(refuse(
            &[],
            ErrorCode::LimitReached,
            format!("每位用户最多保存{MAX_SAVED_SEARCHES}个订阅搜索，请先删除不再需要的"),
        ));
    }
    store::insert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(Ok(row))
}

/// A name as every one-line name is checked: present, short, free of control characters.
fn check_name(name: &str, errors: &mut Vec<UserError>) {
    let mut v = Validator::default();
    v.text(&["name"], "订阅名称", name, MAX_NAME_CHARS);
    errors.extend(v.into_errors());
}

/// The signed-in user's own saved search; NOT_FOUND for anyone else's (they are private).
async fn find_own(db: &Db, viewer: &Viewer, id: &str) -> AppResult<SavedSearchRow> {
    let claims = viewer.require_signed_in()?;
    store::find(db, id)
        .await?
        .filter(|row| row.user_id == claims.sub)
        .ok_or(AppError::NotFound)
}

/// Renames a saved search or changes how often it alerts.
pub async fn update(
    db: &Db,
    viewer: &Viewer,
    id: &str,
    name: Option<&str>,
    frequency: Option<AlertFrequency>,
) -> AppResult<Outcome<SavedSearchRow>> {
    let current = find_own(db, viewer, id).await?;
    let name = name.map(str::trim).unwrap_or(&current.name);
    let mut errors = Vec::new();
    check_name(name, &mut errors);
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let frequency = match frequency {
        Some(f) => f.as_str(),
        None => current.frequency.as_str(),
    };
    let mut tx = db.begin().await?;
    let row = store::update(&mut tx, &current.id, name, frequency)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Ok(row))
}

/// Deletes a saved search (and what it found that no digest has carried yet).
pub async fn delete(db: &Db, viewer: &Viewer, id: &str) -> AppResult<String> {
    let current = find_own(db, viewer, id).await?;
    let mut tx = db.begin().await?;
    if !store::delete(&mut tx, &current.id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(current.id)
}

/// The signed-in user's saved searches, newest first.
pub async fn list(db: &Db, viewer: &Viewer, page: PageRequest) -> AppResult<Rows<SavedSearchRow>> {
    let claims = viewer.require_signed_in()?;
    Ok(Rows::page(store::of_user(db, &claims.sub, page).await?))
}

// ---- The alerts job ---------------------------------------------------------------------------

/// Checks the newly published items against every saved search of their list, as the list itself
/// filters (free text included), records the finds, and tells the users of INSTANT searches in
/// the app at once. Each item is checked once: it leaves the queue in the transaction that
/// records its finds. The number of finds.
pub async fn check_new_items(db: &Db, taxonomy: &Taxonomy, index: &LiveIndex) -> AppResult<usize> {
    let queued = store::queued(db, QUEUE_BATCH).await?;
    if queued.is_empty() {
        return Ok(0);
    }
    // This instance's index may not have heard of an item published on another one yet.
    for (item_type, item_id) in &queued {
        index.changed_aggregate(item_type, item_id).await;
    }
    let ids_of = |kind: &str| -> Vec<String> {
        queued
            .iter()
            .filter(|(t, _)| t == kind)
            .map(|(_, id)| id.clone())
            .collect()
    };
    let scenario_ids = ids_of(scenarios::store::AGGREGATE);
    let capability_ids = ids_of(capabilities::store::AGGREGATE);
    let mut titles: BTreeMap<String, (String, String)> = BTreeMap::new();
    for row in scenarios::store::find_many(db, &scenario_ids).await? {
        titles.insert(row.id.clone(), (row.title.clone(), row.summary.clone()));
    }
    for row in capabilities::store::find_many(db, &capability_ids).await? {
        titles.insert(row.id.clone(), (row.title.clone(), row.summary.clone()));
    }

    // (saved search, item type, item id) found.
    let mut finds: Vec<(SavedSearchRow, &'static str, String)> = Vec::new();
    for (list, ids) in [
        (SavedSearchList::Opportunity, &scenario_ids),
        (SavedSearchList::Capability, &capability_ids),
    ] {
        if ids.is_empty() {
            continue;
        }
        for search in store::of_list(db, list.as_str()).await? {
            let found = match SearchFilter::of_row(&search) {
                Some(SearchFilter::Opportunity(f)) => {
                    scenarios::service::found_among(db, taxonomy, index, &f, ids.clone()).await?
                }
                Some(SearchFilter::Capability(f)) => {
                    capabilities::service::found_among(db, taxonomy, index, &f, ids.clone()).await?
                }
                None => {
                    tracing::warn!(saved_search = %search.id, "a saved search's filter does not parse");
                    continue;
                }
            };
            for id in found {
                finds.push((search.clone(), list.item_type(), id));
            }
        }
    }

    let mut tx = db.begin().await?;
    let mut recorded = 0;
    for (search, item_type, item_id) in &finds {
        if !store::insert_hit(&mut tx, &search.id, item_type, item_id).await? {
            continue;
        }
        recorded += 1;
        if search.frequency == AlertFrequency::Instant.as_str() {
            let (title, summary) = titles.get(item_id).cloned().unwrap_or_default();
            notifications::notify_user(
                &mut tx,
                &search.user_id,
                NotificationKind::SavedSearchMatch,
                &format!("订阅「{}」有新内容：{title}", search.name),
                &summary,
                (item_type, item_id),
            )
            .await?;
        }
    }
    for (item_type, item_id) in &queued {
        store::dequeue(&mut tx, item_type, item_id).await?;
    }
    tx.commit().await?;
    Ok(recorded)
}

// ---- Digests ----------------------------------------------------------------------------------

/// The link that turns `kind` of e-mail off for `user_id`, as it goes into an e-mail.
fn unsubscribe_link(
    jwt: &JwtKeys,
    user_id: &str,
    kind: NotificationKind,
    now: DateTime<Utc>,
) -> String {
    format!(
        "{}/unsubscribe?token={}",
        templates::SITE_URL,
        jwt.sign_link(user_id, kind.as_str(), now)
    )
}

/// The link to an item's public page, as it goes into an e-mail.
fn page_link(item_type: &str, status: &str, code: Option<&str>) -> Option<String> {
    notifications::public_page(item_type, status, code?)
        .map(|path| format!("{}{path}", templates::SITE_URL))
}

/// Sends each user with finds their digest of `period` (a day, `YYYY-MM-DD` in China): one
/// e-mail with every find since their last digest (unless they turned it off), and one in-app
/// notification for the finds of their DAILY searches. At most one per user and day, whichever
/// instance runs it and however often. The number of digests.
pub async fn send_daily_digests(
    db: &Db,
    jwt: &JwtKeys,
    period: &str,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let kind = NotificationKind::SavedSearchDigest;
    let mut sent = 0;
    for user_id in store::users_with_pending_hits(db).await? {
        let mut tx = db.begin().await?;
        let digest_id = db::new_id();
        let finds = store::take_pending_hits(&mut tx, &user_id, &digest_id).await?;
        if finds.is_empty()
            || !store::record_digest(
                &mut tx,
                &digest_id,
                &user_id,
                kind.as_str(),
                period,
                finds.len() as i64,
            )
            .await?
        {
            // Nothing new, or today's digest went out already: the finds wait for tomorrow's.
            tx.rollback().await?;
            continue;
        }
        let title = format!("订阅搜索每日汇总（{period}）：{}条新内容", finds.len());
        let daily: Vec<&Find> = finds
            .iter()
            .filter(|f| f.frequency == AlertFrequency::Daily.as_str())
            .collect();
        if !daily.is_empty() {
            let names: Vec<String> = daily
                .iter()
                .take(5)
                .map(|f| format!("「{}」", f.title))
                .collect();
            let more = if daily.len() > 5 { "等" } else { "" };
            notifications::notify_user(
                &mut tx,
                &user_id,
                kind,
                &title,
                &format!(
                    "您订阅的搜索有{}条新内容：{}{more}。",
                    daily.len(),
                    names.join("")
                ),
                ("DIGEST", &digest_id),
            )
            .await?;
        }
        if notifications::wants_email(&mut tx, &user_id, kind).await?
            && let Some((email, name)) = store::addressee(&mut tx, &user_id).await?
        {
            let entries: Vec<templates::DigestEntry> = finds
                .iter()
                .map(|f| templates::DigestEntry {
                    heading: format!("【{}】{}{}", f.search_name, f.title, code_suffix(&f.code)),
                    lines: vec![excerpt(&f.summary)],
                    link: page_link(&f.item_type, &f.status, f.code.as_deref()),
                })
                .collect();
            let link = unsubscribe_link(jwt, &user_id, kind, now);
            let email = templates::render_digest(&templates::Digest {
                kind: kind.as_str(),
                to: &email,
                greeting_name: &name,
                title: &title,
                intro: "以下是您订阅的搜索自上次汇总以来新发布的内容：",
                entries: &entries,
                unsubscribe: ("订阅搜索每日汇总邮件", &link),
            });
            mail::enqueue(&mut tx, &email).await?;
        }
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

/// The week of `at` in China, as `2026-W49` (ISO weeks).
pub fn week_of(at: DateTime<Utc>) -> String {
    let week = at.with_timezone(&crate::clock::china()).iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// Sends every member of an organization whose capabilities are among the top recommendations of
/// a scenario published since `since` the weekly digest of `period`: each such scenario, the
/// capability recommended and the engine's reasons. At most one per user and week. The number of
/// digests.
pub async fn send_weekly_recommendations(
    db: &Db,
    index: &LiveIndex,
    jwt: &JwtKeys,
    since: DateTime<Utc>,
    period: &str,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let kind = NotificationKind::WeeklyRecommendations;
    let new = scenarios::store::open_published_since(db, &db::format_time(since), WEEKLY_SCENARIOS)
        .await?;
    // Per organization: (scenario, capability id, degree, reasons).
    let mut ranked = Vec::new();
    for scenario in &new {
        for r in index
            .rank_capabilities(scenario.document(), TOP_RECOMMENDATIONS)
            .await
        {
            ranked.push((scenario, r));
        }
    }
    let capability_ids: Vec<String> = ranked.iter().map(|(_, r)| r.id.clone()).collect();
    let capabilities: BTreeMap<String, capabilities::CapabilityRow> =
        capabilities::store::find_many(db, &capability_ids)
            .await?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
    let mut by_org: BTreeMap<String, Vec<templates::DigestEntry>> = BTreeMap::new();
    for (scenario, r) in &ranked {
        let Some(capability) = capabilities.get(&r.id) else {
            continue;
        };
        let reasons: Vec<&str> = r
            .reasons
            .iter()
            .filter(|reason| reason.contribution > 0.0)
            .map(|reason| reason.detail.as_str())
            .take(3)
            .collect();
        let mut lines = vec![format!(
            "推荐贵单位的「{}」，匹配度 {}",
            capability.title, r.degree
        )];
        if !reasons.is_empty() {
            lines.push(format!("推荐理由：{}", reasons.join("；")));
        }
        by_org
            .entry(capability.org_id.clone())
            .or_default()
            .push(templates::DigestEntry {
                heading: format!("{}{}", scenario.title, code_suffix(&scenario.code)),
                lines,
                link: page_link(
                    scenarios::store::AGGREGATE,
                    &scenario.status,
                    scenario.code.as_deref(),
                ),
            });
    }
    let orgs: Vec<String> = by_org.keys().cloned().collect();
    let mut sent = 0;
    for member in store::members_of(db, &orgs).await? {
        let entries = &by_org[&member.organization_id];
        let mut tx = db.begin().await?;
        let digest_id = db::new_id();
        if !store::record_digest(
            &mut tx,
            &digest_id,
            &member.id,
            kind.as_str(),
            period,
            entries.len() as i64,
        )
        .await?
        {
            tx.rollback().await?;
            continue;
        }
        let title = format!(
            "每周推荐（{period}）：{}个新场景推荐了贵单位的能力",
            entries.len()
        );
        let headings: Vec<String> = entries
            .iter()
            .take(5)
            .map(|e| format!("「{}」", e.heading))
            .collect();
        notifications::notify_user(
            &mut tx,
            &member.id,
            kind,
            &title,
            &format!(
                "本周新发布的场景{}在推荐中列出了贵单位的能力。",
                headings.join("")
            ),
            ("DIGEST", &digest_id),
        )
        .await?;
        if notifications::wants_email(&mut tx, &member.id, kind).await? {
            let link = unsubscribe_link(jwt, &member.id, kind, now);
            let email = templates::render_digest(&templates::Digest {
                kind: kind.as_str(),
                to: &member.email,
                greeting_name: &member.display_name,
                title: &title,
                intro: "以下是本周新发布、且平台推荐了贵单位能力的场景，欢迎登录平台申请对接：",
                entries,
                unsubscribe: ("每周推荐邮件", &link),
            });
            mail::enqueue(&mut tx, &email).await?;
        }
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

fn code_suffix(code: &Option<String>) -> String {
    code.as_deref()
        .map(|c| format!("（{c}）"))
        .unwrap_or_default()
}

/// The longest summary a digest quotes.
const EXCERPT: usize = 80;

fn excerpt(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= EXCERPT {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(EXCERPT).collect::<String>())
    }
}

// ---- Unsubscribing ----------------------------------------------------------------------------

/// Why an unsubscribe link did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Not signed by this service, altered, expired, or for something that cannot be turned off.
    Invalid,
    /// Used before.
    Used,
}

/// What an unsubscribe link turned off: the kind, and the address it no longer goes to.
#[derive(Debug, Clone)]
pub struct Unsubscribed {
    pub kind: NotificationKind,
    pub email: String,
}

/// Follows an unsubscribe link: turns off the e-mail it names for the user it names, without
/// signing in. Each link works once; a forged, altered or expired one changes nothing.
pub async fn unsubscribe(
    db: &Db,
    jwt: &JwtKeys,
    token: &str,
) -> AppResult<Result<Unsubscribed, LinkRefusal>> {
    let Some((user_id, what)) = jwt.verify_link(token.trim()) else {
        return Ok(Err(LinkRefusal::Invalid));
    };
    let Some(kind) = NotificationKind::parse(&what)
        .filter(|k| NotificationKind::SCHEDULED.contains(k) && k.by_email())
    else {
        return Ok(Err(LinkRefusal::Invalid));
    };
    let mut tx = db.begin().await?;
    let Some((email, _)) = store::addressee(&mut tx, &user_id).await? else {
        return Ok(Err(LinkRefusal::Invalid));
    };
    if !store::use_link(&mut tx, &crate::auth::tokens::token_hash(token.trim())).await? {
        return Ok(Err(LinkRefusal::Used));
    }
    notifications::turn_email_off(&mut tx, &user_id, kind).await?;
    tx.commit().await?;
    Ok(Ok(Unsubscribed { kind, email }))
}

//! The scenario rules every door calls: who may see and change a scenario, what a valid one is,
//! and which lifecycle step is allowed for whom. Each write is one transaction; a refusal writes
//! nothing and comes back as [`Outcome`]'s errors, a permission failure as an [`AppError`].

use chrono::NaiveDate;

use super::documents;
use super::machine::{RULES, ScenarioAction, ScenarioStatus, Step};
use super::model::{
    ImportReport, ImportRow, OpportunityFilter, RowError, ScenarioCategoryCode, ScenarioFields,
    ScenarioOrderBy, ScenarioReviewDecision,
};
use super::store::{self, ListQuery, Order, ScenarioContent, ScenarioRow};
use crate::auth;
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, ErrorCode, Outcome, UserError, Validator, refuse};
use crate::events::EventRow;
use crate::items::{self, Contact, ContactInput, Key, OwnedItem, clean_note};
use crate::machine::{By, lookup};
use crate::notifications;
use crate::orgs::{self, OrganizationKind};
use crate::pagination::{PageRequest, Rows};
use crate::search::LiveIndex;
use crate::taxonomy::Taxonomy;
use crate::viewer::{Role, Viewer};

// ---- Visibility -------------------------------------------------------------------------------

impl OwnedItem for ScenarioRow {
    fn owner_org(&self) -> &str {
        &self.org_id
    }
    fn is_public(&self) -> bool {
        self.status().is_public()
    }
    fn stored_contact(&self) -> Option<Contact> {
        self.contact()
    }
    fn county(&self) -> Option<&str> {
        Some(&self.region_code)
    }
}

/// The viewer manages the scenario: a member of its unit, an admin, or a county manager of the
/// scenario's region (README, "County managers").
pub fn can_manage(viewer: &Viewer, row: &ScenarioRow) -> bool {
    items::can_manage(viewer, row)
}

/// The viewer may read the scenario: it has been public (approved once), or they manage it.
/// Everyone else is told it does not exist.
pub fn can_read(viewer: &Viewer, row: &ScenarioRow) -> bool {
    items::can_read(viewer, row)
}

/// The scenario's contact as the viewer may see it: to its unit and admins, and to the other
/// party of a match from CONNECTED on (`partners`, the organizations of such matches).
pub fn visible_contact(viewer: &Viewer, row: &ScenarioRow, partners: &[String]) -> Option<Contact> {
    items::visible_contact(viewer, row, partners)
}

/// The scenario, if the viewer may read it (NOT_FOUND otherwise).
pub async fn find(db: &Db, viewer: &Viewer, key: Key<'_>) -> AppResult<ScenarioRow> {
    let row = match key {
        Key::Id(id) => store::find(db, id).await?,
        Key::Code(code) => store::find_by_code(db, code).await?,
    };
    row.filter(|row| can_read(viewer, row))
        .ok_or(AppError::NotFound)
}

/// A scenario the viewer may change: NOT_FOUND when they may not even see it, FORBIDDEN when
/// they see it but it is not theirs.
pub async fn find_managed(db: &Db, viewer: &Viewer, id: &str) -> AppResult<ScenarioRow> {
    viewer.require_user()?;
    let row = find(db, viewer, Key::Id(id)).await?;
    if !can_manage(viewer, &row) {
        return Err(AppError::Forbidden);
    }
    Ok(row)
}

// ---- Lists ------------------------------------------------------------------------------------

/// The opportunity list: PUBLISHED and MATCHING scenarios for anyone, or the stages asked for
/// (public ones for anyone, any for admins and for a county manager listing their own region).
pub async fn opportunity_list(
    db: &Db,
    taxonomy: &Taxonomy,
    index: &LiveIndex,
    viewer: &Viewer,
    filter: OpportunityFilter,
    order_by: ScenarioOrderBy,
    page: PageRequest,
) -> AppResult<Rows<ScenarioRow>> {
    let f = filter;
    let order = match order_by {
        ScenarioOrderBy::PublishedAt | ScenarioOrderBy::Relevance => Order::PublishedAt,
        ScenarioOrderBy::Deadline => Order::Deadline,
        ScenarioOrderBy::Budget => Order::Budget,
    };
    let industries = f
        .industry_codes
        .as_ref()
        .map(|c| items::expand_industries(taxonomy, c));
    // The engine keeps only the hits in the filter's industries: fewer for the database to check.
    let hits = match items::free_text(f.query.as_deref())? {
        Some(text) => Some(
            index
                .search_scenarios(text, items::MAX_TEXT_HITS, industries.clone())
                .await,
        ),
        None => None,
    };
    let own_county =
        viewer.asks_for_own_county(f.region_codes.as_deref(), f.region_group.is_some());
    let statuses = items::list_statuses(
        viewer,
        own_county,
        f.statuses.clone(),
        &[ScenarioStatus::Published, ScenarioStatus::Matching],
        ScenarioStatus::is_public,
    )?;
    let query = &list_query(taxonomy, &f, statuses, industries);
    let by_relevance = order_by == ScenarioOrderBy::Relevance;
    items::ranked_list(
        hits,
        by_relevance,
        page,
        |row: &ScenarioRow| &row.id,
        |ids, page| async move {
            store::list(
                db,
                &ListQuery {
                    ids,
                    ..query.clone()
                },
                order,
                page,
            )
            .await
        },
        |ids| async move {
            store::passing(
                db,
                &ListQuery {
                    ids: Some(ids),
                    ..query.clone()
                },
            )
            .await
        },
        |ids| async move { store::find_many(db, &ids).await },
    )
    .await
}

/// The list query of a filter's fields but its text and statuses.
fn list_query(
    taxonomy: &Taxonomy,
    f: &OpportunityFilter,
    statuses: Vec<ScenarioStatus>,
    industries: Option<Vec<String>>,
) -> ListQuery {
    ListQuery {
        statuses,
        category: f.category.map(|c| c.as_str().to_owned()),
        industry_codes: industries,
        region_codes: items::expand_regions(taxonomy, f.region_codes.as_deref(), f.region_group),
        budget_min: f.budget_min.map(i64::from),
        budget_max: f.budget_max.map(i64::from),
        maturity_at_least: f.maturity_at_least.map(i64::from),
        deadline_after: f.deadline_after,
        ..Default::default()
    }
}

/// Which of the scenarios `ids` the opportunity list would show anyone for `filter` (its
/// statuses aside: the live list), free text included: what a saved search hears of.
pub async fn found_among(
    db: &Db,
    taxonomy: &Taxonomy,
    index: &LiveIndex,
    filter: &OpportunityFilter,
    mut ids: Vec<String>,
) -> AppResult<Vec<String>> {
    let industries = filter
        .industry_codes
        .as_ref()
        .map(|c| items::expand_industries(taxonomy, c));
    if let Some(text) = items::free_text(filter.query.as_deref())? {
        let hits = index
            .search_scenarios(text, items::MAX_TEXT_HITS, industries.clone())
            .await;
        ids.retain(|id| hits.iter().any(|(hit, _)| hit == id));
    }
    if ids.is_empty() {
        return Ok(ids);
    }
    let live = vec![ScenarioStatus::Published, ScenarioStatus::Matching];
    let query = ListQuery {
        ids: Some(ids),
        ..list_query(taxonomy, filter, live, industries)
    };
    Ok(store::passing(db, &query).await?)
}

/// The signed-in viewer's organization's scenarios in every status, most recently changed first.
pub async fn of_viewer(
    db: &Db,
    viewer: &Viewer,
    status: Option<ScenarioStatus>,
    page: PageRequest,
) -> AppResult<Rows<ScenarioRow>> {
    let claims = viewer.require_user()?;
    let query = ListQuery {
        statuses: status.into_iter().collect(),
        org_id: Some(claims.org.clone()),
        ..Default::default()
    };
    Ok(Rows::page(
        store::list(db, &query, Order::UpdatedAt, page).await?,
    ))
}

// ---- Public reading ---------------------------------------------------------------------------

/// The part of the scenario's timeline the viewer may read (the one rule every door applies).
pub fn readable_timeline(
    viewer: &Viewer,
    row: &ScenarioRow,
    events: Vec<EventRow>,
) -> Vec<EventRow> {
    items::visible_timeline(viewer, row, events, |s| {
        ScenarioStatus::parse(s).is_some_and(ScenarioStatus::is_public)
    })
}

/// The scenario's timeline as the viewer may read it, oldest first (one query).
pub async fn timeline(db: &Db, viewer: &Viewer, row: &ScenarioRow) -> AppResult<Vec<EventRow>> {
    let events = crate::events::timeline(db, &row.id).await?;
    Ok(readable_timeline(viewer, row, events))
}

/// Up to `limit` open scenarios most like `row`, best first: the engine's free-text search over
/// its title (one query for the rows).
pub async fn similar(
    db: &Db,
    index: &LiveIndex,
    row: &ScenarioRow,
    limit: usize,
) -> AppResult<Vec<ScenarioRow>> {
    let ids: Vec<String> = index
        .search_scenarios(&row.title, limit * 3 + 1, None)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let rows = store::find_many(db, &ids).await?;
    Ok(items::in_hit_order(
        &ids,
        &rows,
        |r| &r.id,
        |r| r.status().is_open(),
        &row.id,
        limit,
    ))
}

// ---- Writes -----------------------------------------------------------------------------------

/// A government unit records a scenario (挖掘); an admin may record one for a unit.
pub async fn create(
    db: &Db,
    taxonomy: &Taxonomy,
    viewer: &Viewer,
    organization_id: Option<&str>,
    fields: ScenarioFields,
) -> AppResult<Outcome<ScenarioRow>> {
    let claims = viewer.require_user()?;
    let missing = "请选择发布场景的政府单位";
    let org_id = match items::owner_of_new(viewer, Role::Government, organization_id, missing)? {
        Ok(org_id) => org_id,
        Err(errors) => return Ok(Err(errors)),
    };
    let org = orgs::find(db, &org_id).await?.ok_or(AppError::NotFound)?;
    if org.kind() != OrganizationKind::Government {
        return Ok(refuse(
            &["organizationId"],
            ErrorCode::Invalid,
            "场景只能由政府单位发布",
        ));
    }
    if viewer
        .county()
        .is_some_and(|county| county != org.region_code)
    {
        return Err(AppError::NotYours(
            "场景经理人只能为本地区的政府单位记录场景",
        ));
    }
    let content = match validate_content(taxonomy, None, &org.region_code, fields) {
        Ok(content) => content,
        Err(errors) => return Ok(Err(errors)),
    };
    if viewer
        .county()
        .is_some_and(|county| county != content.region_code)
    {
        return Err(AppError::NotYours("场景经理人只能记录本地区的场景"));
    }
    Ok(Ok(store::insert(db, &org.id, &claims.sub, &content).await?))
}

// ---- Bulk import (场景征集) -------------------------------------------------------------------

/// The most rows one import takes.
pub const MAX_IMPORT_ROWS: usize = 5_000;

/// How an import recognises a scenario the unit already has: the same title, ignoring white
/// space (half- and full-width) and the case of Latin letters.
pub fn title_key(title: &str) -> String {
    title
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Who may import collected scenarios (README, "Import"): admins. Doors ask before they read a
/// file, and record the import as made by the returned account.
pub fn importer(viewer: &Viewer) -> AppResult<&crate::viewer::Claims> {
    viewer.require_admin()
}

/// Imports `rows` (read from the file `source`) as new DISCOVERED scenarios of the government
/// unit, recorded as created by `actor_id`. Every row is validated as [`create`] validates a
/// scenario, and nothing is written unless every row passes; then all are written in one
/// transaction. A row whose title is that of a scenario the unit already has ([`title_key`]) is
/// skipped, so importing the same file again creates nothing; two rows of one file with the
/// same title are an error. `progress` hears how many rows of how many are written.
pub async fn import_as(
    db: &Db,
    taxonomy: &Taxonomy,
    actor_id: &str,
    organization_id: &str,
    source: &str,
    rows: Vec<ImportRow>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> AppResult<Result<ImportReport, Vec<RowError>>> {
    let whole = |code, message: &str| {
        Ok(Err(vec![RowError {
            line: 0,
            error: UserError::new(&[], code, message),
        }]))
    };
    if rows.is_empty() {
        return whole(
            ErrorCode::Required,
            "文件中没有场景数据：请从第2行起每行填写一个场景",
        );
    }
    if rows.len() > MAX_IMPORT_ROWS {
        return whole(
            ErrorCode::OutOfRange,
            &format!(
                "一次最多导入{MAX_IMPORT_ROWS}个场景，本文件有{}行，请分批导入",
                rows.len()
            ),
        );
    }
    let org = orgs::find(db, organization_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if org.kind() != OrganizationKind::Government {
        return whole(ErrorCode::Invalid, "场景只能由政府单位发布，请选择政府单位");
    }
    let mut errors = Vec::new();
    let mut valid = Vec::with_capacity(rows.len());
    let mut first_line: std::collections::HashMap<String, usize> = Default::default();
    for ImportRow {
        line,
        fields,
        problems,
    } in rows
    {
        let mut row_errors = match validate_content(taxonomy, None, &org.region_code, fields) {
            Ok(content) if problems.is_empty() => {
                let key = title_key(&content.title);
                if let Some(first) = first_line.get(&key) {
                    let message = format!("与第{first}行的场景名称相同");
                    vec![UserError::new(&["title"], ErrorCode::Duplicate, message)]
                } else {
                    first_line.insert(key.clone(), line);
                    let note = format!("批量导入：{source}第{line}行");
                    valid.push(store::Imported {
                        line,
                        key,
                        note,
                        content,
                    });
                    continue;
                }
            }
            Ok(_) => Vec::new(),
            // A field the door could not read is reported once, not again as missing.
            Err(found) => found
                .into_iter()
                .filter(|e| !problems.iter().any(|p| covers(p, e)))
                .collect(),
        };
        row_errors.splice(0..0, problems);
        errors.extend(row_errors.into_iter().map(|error| RowError { line, error }));
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let report = store::import(db, &org.id, actor_id, &valid, title_key, progress).await?;
    Ok(Ok(report))
}

/// Whether `problem` concerns the field of `error` (or a field that contains it).
fn covers(problem: &UserError, error: &UserError) -> bool {
    match (&problem.field, &error.field) {
        (Some(p), Some(e)) => e.starts_with(p),
        _ => false,
    }
}

/// Changes a scenario's content; only in DISCOVERED, PLANNED and CHANGES_REQUESTED.
pub async fn update(
    db: &Db,
    taxonomy: &Taxonomy,
    viewer: &Viewer,
    id: &str,
    expected_version: i64,
    fields: ScenarioFields,
) -> AppResult<Outcome<ScenarioRow>> {
    let current = find_managed(db, viewer, id).await?;
    check_version(&current, Some(expected_version))?;
    if !current.status().is_editable() {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            format!(
                "当前状态为「{}」，不能修改场景内容；仅「挖掘」「策划」「退回修改」状态可修改",
                current.status().label()
            ),
        ));
    }
    let content = match validate_content(taxonomy, Some(&current), &current.region_code, fields) {
        Ok(content) => content,
        Err(errors) => return Ok(Err(errors)),
    };
    let claims = viewer.require_user()?;
    let row = store::update_content(db, &current, &content, &claims.sub, "EDIT")
        .await?
        .ok_or(AppError::Conflict)?;
    Ok(Ok(row))
}

/// The owner's lifecycle actions: PLAN, SUBMIT, WITHDRAW, CLOSE. Ending a scenario also ends its
/// unselected matches (an event handler, in the same transaction).
pub async fn transition(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    id: &str,
    action: ScenarioAction,
    note: Option<&str>,
    expected_version: Option<i64>,
) -> AppResult<Outcome<ScenarioRow>> {
    let current = find_managed(db, viewer, id).await?;
    check_version(&current, expected_version)?;
    let step = Step::from(action);
    let Some(rule) = lookup(RULES, current.status(), step) else {
        return Ok(Err(vec![invalid_transition(&current, step)]));
    };
    debug_assert_eq!(rule.by, By::Owner);
    match step {
        Step::Plan => {
            if let Err(errors) = check_plan_complete(&current) {
                return Ok(Err(errors));
            }
        }
        Step::Submit => {
            let user = &viewer.require_user()?.sub;
            if let Err(errors) =
                auth::account::may_put_forward(db, user, &current.org_id, "提交审核").await?
            {
                return Ok(Err(errors));
            }
            if let Err(errors) = check_plan_complete(&current) {
                return Ok(Err(errors));
            }
        }
        _ => {}
    }
    let claims = viewer.require_user()?;
    let row = store::transition(db, &current, rule, Some(&claims.sub), clean_note(note))
        .await?
        .ok_or(AppError::Conflict)?;
    documents::sync(index, &row);
    Ok(Ok(row))
}

/// Reviews a submitted scenario (README, "Two-level review"). Where the scenario's region has a
/// county manager, PENDING_REVIEW is the county's (its manager, or an admin for the county):
/// approval sends it to PENDING_CITY_REVIEW. The city's review (admins) publishes it, with its
/// public code on first approval. Either level may send it back or reject it, with a reason.
pub async fn review(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    id: &str,
    decision: ScenarioReviewDecision,
    reason: Option<&str>,
    expected_version: Option<i64>,
) -> AppResult<Outcome<ScenarioRow>> {
    let reviewer = viewer.require_user()?;
    if !(viewer.is_admin() || viewer.county().is_some()) {
        return Err(AppError::Forbidden);
    }
    let current = store::find(db, id).await?.ok_or(AppError::NotFound)?;
    if !viewer.looks_after(&current.region_code) {
        // A manager of another region: the scenario is none of theirs.
        return Err(AppError::Forbidden);
    }
    check_version(&current, expected_version)?;
    let county_level = current.status() == ScenarioStatus::PendingReview
        && auth::managers::in_office(db, &current.region_code).await?;
    let step = match decision {
        ScenarioReviewDecision::Approve if county_level => Step::CountyApprove,
        ScenarioReviewDecision::Approve => Step::Approve,
        ScenarioReviewDecision::RequestChanges => Step::RequestChanges,
        ScenarioReviewDecision::Reject => Step::Reject,
    };
    let Some(rule) = lookup(RULES, current.status(), step) else {
        return Ok(Err(vec![invalid_transition(&current, step)]));
    };
    let may = match rule.by {
        By::County => true,
        By::Reviewer => county_level || viewer.is_admin(),
        _ => viewer.is_admin(),
    };
    if !may {
        return Err(AppError::NotYours("市级终审由市场景促进中心进行"));
    }
    let reason = clean_note(reason);
    if step != Step::Approve && step != Step::CountyApprove && reason.is_none() {
        let message = if step == Step::Reject {
            "驳回时请说明原因"
        } else {
            "退回修改时请说明原因"
        };
        return Ok(refuse(&["reason"], ErrorCode::Required, message));
    }
    let row = store::transition(db, &current, rule, Some(&reviewer.sub), reason)
        .await?
        .ok_or(AppError::Conflict)?;
    documents::sync(index, &row);
    Ok(Ok(row))
}

/// Moves the deadline of a published scenario later.
pub async fn extend_deadline(
    db: &Db,
    viewer: &Viewer,
    id: &str,
    deadline: NaiveDate,
    expected_version: Option<i64>,
) -> AppResult<Outcome<ScenarioRow>> {
    let current = find_managed(db, viewer, id).await?;
    check_version(&current, expected_version)?;
    if !current.status().is_open() {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            format!(
                "当前状态为「{}」，仅「已发布」「对接中」的场景可以延长截止日期",
                current.status().label()
            ),
        ));
    }
    let later_than_now =
        current.deadline().is_none_or(|d| deadline > d) && deadline > items::today_in_china();
    if !later_than_now {
        return Ok(refuse(
            &["deadline"],
            ErrorCode::Invalid,
            "新的截止日期须晚于原截止日期和今天",
        ));
    }
    let claims = viewer.require_user()?;
    let note = format!("截止日期延长至{}", deadline.format("%Y年%m月%d日"));
    let row = store::update_published(
        db,
        &current,
        Some(deadline),
        None,
        &claims.sub,
        "EXTEND_DEADLINE",
        Some(&note),
    )
    .await?
    .ok_or(AppError::Conflict)?;
    Ok(Ok(row))
}

/// Changes the contact of a published scenario.
pub async fn update_contact(
    db: &Db,
    viewer: &Viewer,
    id: &str,
    contact: &ContactInput,
    expected_version: Option<i64>,
) -> AppResult<Outcome<ScenarioRow>> {
    let current = find_managed(db, viewer, id).await?;
    check_version(&current, expected_version)?;
    if !current.status().is_open() {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            format!(
                "当前状态为「{}」，仅「已发布」「对接中」的场景可以更换联系人；其他状态请修改场景",
                current.status().label()
            ),
        ));
    }
    let mut v = Validator::default();
    let Some(contact) = contact.validate(&mut v, "contact") else {
        return Ok(Err(v.into_errors()));
    };
    let claims = viewer.require_user()?;
    let row = store::update_published(
        db,
        &current,
        None,
        Some(&contact),
        &claims.sub,
        "CHANGE_CONTACT",
        None,
    )
    .await?
    .ok_or(AppError::Conflict)?;
    Ok(Ok(row))
}

/// Closes every PUBLISHED scenario whose deadline is before `today` (the service's own step,
/// with no human actor); the event handlers end its unselected matches in the same
/// transaction. Scenarios in MATCHING stay open. Takes them out of the matching index and
/// returns them.
pub async fn close_expired(
    db: &Db,
    index: &LiveIndex,
    today: NaiveDate,
) -> AppResult<Vec<ScenarioRow>> {
    let rule = lookup(RULES, ScenarioStatus::Published, Step::Expire)
        .expect("the lifecycle closes expired scenarios");
    let mut closed = Vec::new();
    for row in store::expired(db, today).await? {
        // A scenario that changed meanwhile (an approved match, an extension) is left alone.
        match store::transition(db, &row, rule, None, Some("截止日期已过，系统自动关闭")).await
        {
            Ok(Some(row)) => {
                documents::sync(index, &row);
                closed.push(row);
            }
            Ok(None) => {}
            Err(e) if db::is_stale(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(closed)
}

/// Reminds the unit and its partners of every open scenario whose deadline is at most
/// `days_before` days after `today` (and not past) that its deadline is near: once per scenario
/// and deadline, however often this runs and on however many instances (the reminder is written
/// in the transaction that notifies). A reminder missed while the service was down goes out when
/// it runs again, if the deadline is still ahead. The number sent.
pub async fn remind_deadlines(db: &Db, today: NaiveDate, days_before: u32) -> AppResult<usize> {
    let last = today + chrono::Days::new(u64::from(days_before));
    let mut sent = 0;
    for (id, deadline) in store::due_for_reminder(db, today, last).await? {
        let Ok(day) = NaiveDate::parse_from_str(&deadline, "%Y-%m-%d") else {
            continue;
        };
        let mut tx = db.begin().await?;
        if store::mark_reminded(&mut tx, &id, &deadline).await? {
            notifications::remind_deadline(&mut tx, &id, day, (day - today).num_days()).await?;
            sent += 1;
        }
        tx.commit().await?;
    }
    Ok(sent)
}

// ---- Rules ------------------------------------------------------------------------------------

/// CONFLICT when the caller saw another version than the stored one.
fn check_version(row: &ScenarioRow, expected: Option<i64>) -> AppResult<()> {
    items::check_version(row.version, expected)
}

fn invalid_transition(row: &ScenarioRow, step: Step) -> UserError {
    items::invalid_transition(
        RULES,
        row.status(),
        step,
        ScenarioStatus::label,
        Step::label,
    )
}

/// Validates the content of a new scenario of a unit of `unit_region` (the default region), as
/// `create` does: for doors that create one under their own rule (an adopted proposal).
pub fn validate_new(
    taxonomy: &Taxonomy,
    unit_region: &str,
    fields: ScenarioFields,
) -> Result<ScenarioContent, Vec<UserError>> {
    validate_content(taxonomy, None, unit_region, fields)
}

/// Merges `fields` over `base` (or defaults) and validates the whole.
fn validate_content(
    taxonomy: &Taxonomy,
    base: Option<&ScenarioRow>,
    default_region: &str,
    fields: ScenarioFields,
) -> Result<ScenarioContent, Vec<UserError>> {
    let mut v = Validator::default();
    let title = fields
        .title
        .or_else(|| base.map(|b| b.title.clone()))
        .unwrap_or_default();
    let summary = fields
        .summary
        .or_else(|| base.map(|b| b.summary.clone()))
        .unwrap_or_default();
    let description = fields
        .description
        .or_else(|| base.map(|b| b.description.whole().to_owned()))
        .unwrap_or_default();
    v.text(&["title"], "场景名称", &title, 60);
    v.text(&["summary"], "场景简介", &summary, 200);
    v.text(&["description"], "场景描述", &description, 5000);
    let category = fields
        .category
        .or_else(|| base.and_then(|b| ScenarioCategoryCode::parse(&b.category)));
    if category.is_none() {
        v.push(&["category"], ErrorCode::Required, "请选择场景类别");
    }
    let industry_codes = fields
        .industry_codes
        .unwrap_or_else(|| base.map(|b| b.industry_codes()).unwrap_or_default());
    let industry_codes = items::validate_industries(&mut v, taxonomy, &industry_codes);
    let tags = fields
        .tags
        .unwrap_or_else(|| base.map(|b| b.tags()).unwrap_or_default());
    let tags = items::validate_tags(&mut v, &tags);
    let region_code = fields
        .region_code
        .map(|r| r.trim().to_owned())
        .or_else(|| base.map(|b| b.region_code.clone()))
        .unwrap_or_else(|| default_region.to_owned());
    if taxonomy.region(&region_code).is_none() {
        v.push(&["regionCode"], ErrorCode::UnknownRegion, "所在地区不存在");
    }
    let budget_min = fields
        .budget_min
        .or_else(|| base.and_then(|b| b.budget_min.map(|x| x as i32)));
    let budget_max = fields
        .budget_max
        .or_else(|| base.and_then(|b| b.budget_max.map(|x| x as i32)));
    items::validate_range(
        &mut v,
        ("budgetMin", "budgetMax"),
        "预算",
        budget_min,
        budget_max,
    );
    let cooperation_modes: Vec<String> = match fields.cooperation_modes {
        Some(modes) => {
            let mut out: Vec<String> = modes.iter().map(|m| m.as_str().to_owned()).collect();
            out.dedup();
            out
        }
        None => base
            .map(|b| {
                b.cooperation_modes
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    };
    let maturity_required = fields
        .maturity_required
        .or_else(|| base.and_then(|b| b.maturity_required.map(|x| x as i32)));
    items::validate_trl(&mut v, "maturityRequired", maturity_required);
    let deadline = fields.deadline.or_else(|| base.and_then(|b| b.deadline()));
    let contact = match fields.contact {
        Some(contact) => contact.validate(&mut v, "contact"),
        None => base.and_then(|b| b.contact()),
    };
    v.finish()?;
    Ok(ScenarioContent {
        title: title.trim().to_owned(),
        summary: summary.trim().to_owned(),
        description: description.trim().to_owned(),
        category: category.expect("checked").as_str().to_owned(),
        industry_codes,
        tags,
        region_code,
        budget_min: budget_min.map(i64::from),
        budget_max: budget_max.map(i64::from),
        cooperation_modes,
        maturity_required: maturity_required.map(i64::from),
        deadline,
        contact,
    })
}

/// What planning needs: budget, maturity, a deadline after today, a contact.
fn check_plan_complete(row: &ScenarioRow) -> Result<(), Vec<UserError>> {
    let mut v = Validator::default();
    if row.budget_min.is_none() || row.budget_max.is_none() {
        v.push(&["budgetMin"], ErrorCode::Incomplete, "请填写预算范围");
    }
    if row.maturity_required.is_none() {
        v.push(
            &["maturityRequired"],
            ErrorCode::Incomplete,
            "请填写要求的技术成熟度",
        );
    }
    match row.deadline() {
        None => v.push(&["deadline"], ErrorCode::Incomplete, "请填写征集截止日期"),
        Some(d) if d <= items::today_in_china() => v.push(
            &["deadline"],
            ErrorCode::Incomplete,
            "征集截止日期须晚于今天",
        ),
        Some(_) => {}
    }
    if row.contact().is_none() {
        v.push(&["contact"], ErrorCode::Incomplete, "请填写联系人");
    }
    v.finish()
}

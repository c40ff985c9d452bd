//! The rules of the published lists every door calls: who sees drafts, what may enter an
//! edition, and the steps from a draft to a frozen, published edition; and the admins' review
//! queue over both lists.

use super::model::{EditionKind, ReviewKind, ReviewLevel};
use super::store::{self, EditionItemRow, EditionRow, Snapshot};
use crate::auth;
use crate::capabilities::{self, CapabilityRow, CapabilityStatus};
use crate::db::Db;
use crate::error::{AppError, AppResult, ErrorCode, Outcome, UserError, Validator, refuse};
use crate::pagination::{PageRequest, Rows};
use crate::scenarios::{self, ScenarioRow, ScenarioStatus};
use crate::viewer::Viewer;

/// An edition is public once published; drafts are for admins.
pub fn can_see(viewer: &Viewer, edition: &EditionRow) -> bool {
    edition.status == "PUBLISHED" || viewer.is_admin()
}

/// Editions, newest first; drafts only when an admin asks for them.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    kind: Option<EditionKind>,
    year: Option<i32>,
    include_drafts: bool,
    page: PageRequest,
) -> AppResult<Rows<EditionRow>> {
    let include_drafts = include_drafts && viewer.is_admin();
    Ok(Rows::page(
        store::list(
            db,
            kind.map(EditionKind::as_str),
            year.map(i64::from),
            include_drafts,
            page,
        )
        .await?,
    ))
}

/// The edition, if the viewer may see it (NOT_FOUND otherwise).
pub async fn find(db: &Db, viewer: &Viewer, id: &str) -> AppResult<EditionRow> {
    store::find(db, id)
        .await?
        .filter(|row| can_see(viewer, row))
        .ok_or(AppError::NotFound)
}

/// A page of an edition's entries, in order.
pub async fn items(
    db: &Db,
    edition: &EditionRow,
    page: PageRequest,
) -> AppResult<Rows<EditionItemRow>> {
    Ok(Rows::page(store::items_page(db, &edition.id, page).await?))
}

/// An item waiting for an admin's review.
// One page of the queue at a time: boxing the larger row would add an allocation per item.
#[allow(clippy::large_enum_variant)]
pub enum Pending {
    Scenario(ScenarioRow),
    Capability(CapabilityRow),
}

/// Admin: items of one kind waiting for review, oldest submission first.
pub async fn review_queue(
    db: &Db,
    viewer: &Viewer,
    kind: ReviewKind,
    level: Option<ReviewLevel>,
    page: PageRequest,
) -> AppResult<Rows<Pending>> {
    viewer.require_user()?;
    let county = viewer.county();
    if !viewer.is_admin() && (county.is_none() || kind != ReviewKind::Scenario) {
        return Err(AppError::Forbidden);
    }
    let (rows, total) = match kind {
        ReviewKind::Scenario => {
            use scenarios::store::{ListQuery, Order, list};
            let mut query = ListQuery {
                // A county manager sees their region's queue, at both levels.
                region_codes: county.map(|c| vec![c.to_owned()]),
                ..Default::default()
            };
            match level {
                None => {
                    query.statuses = vec![
                        ScenarioStatus::PendingReview,
                        ScenarioStatus::PendingCityReview,
                    ]
                }
                Some(ReviewLevel::County) => {
                    query.statuses = vec![ScenarioStatus::PendingReview];
                    let managed = auth::managers::regions_in_office(db).await?;
                    query.region_codes = Some(match county {
                        Some(c) => managed.into_iter().filter(|r| r == c).collect(),
                        None => managed,
                    });
                }
                Some(ReviewLevel::City) => {
                    query.awaiting_city_except = Some(auth::managers::regions_in_office(db).await?);
                }
            }
            let (rows, total) = list(db, &query, Order::SubmittedAt, page).await?;
            (rows.into_iter().map(Pending::Scenario).collect(), total)
        }
        ReviewKind::Capability => {
            use capabilities::store::{ListQuery, Order, list};
            let query = ListQuery {
                statuses: vec![CapabilityStatus::PendingReview],
                ..Default::default()
            };
            let (rows, total) = list(db, &query, Order::SubmittedAt, page).await?;
            (rows.into_iter().map(Pending::Capability).collect(), total)
        }
    };
    Ok(Rows::Page { rows, total })
}

fn not_draft<T>() -> Outcome<T> {
    refuse(
        &[],
        ErrorCode::InvalidTransition,
        "清单已发布，内容和顺序不能再改变",
    )
}

/// Admin: starts a new numbered edition (DRAFT).
pub async fn create(
    db: &Db,
    viewer: &Viewer,
    kind: EditionKind,
    year: i32,
    batch: i32,
    title: &str,
) -> AppResult<Outcome<EditionRow>> {
    let admin = viewer.require_admin()?;
    let mut v = Validator::default();
    v.text(&["title"], "清单名称", title, 100);
    if !(2000..=2100).contains(&year) {
        v.push(
            &["year"],
            ErrorCode::OutOfRange,
            "年份应在2000年到2100年之间",
        );
    }
    if !(1..=99).contains(&batch) {
        v.push(&["batch"], ErrorCode::OutOfRange, "批次应在1到99之间");
    }
    if let Err(errors) = v.finish() {
        return Ok(Err(errors));
    }
    match store::insert(
        db,
        kind.as_str(),
        i64::from(year),
        i64::from(batch),
        title.trim(),
        &admin.sub,
    )
    .await
    {
        Ok(row) => Ok(Ok(row)),
        Err(e) if is_duplicate_batch(&e) => Ok(refuse(
            &["batch"],
            ErrorCode::Duplicate,
            format!("{year}年第{batch}批清单已存在"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Admin: appends approved items of the edition's kind to a draft edition.
pub async fn add_items(
    db: &Db,
    viewer: &Viewer,
    edition_id: &str,
    item_ids: &[String],
) -> AppResult<Outcome<EditionRow>> {
    viewer.require_admin()?;
    let edition = store::find(db, edition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if edition.status != "DRAFT" {
        return Ok(not_draft());
    }
    let mut ids: Vec<String> = Vec::new();
    for id in item_ids {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    if ids.is_empty() {
        return Ok(refuse(
            &["itemIds"],
            ErrorCode::Required,
            "请选择要列入清单的条目",
        ));
    }
    if let Err(errors) = snapshots(db, EditionKind::parse(&edition.kind), &ids).await? {
        return Ok(Err(errors));
    }
    match store::add_items(db, &edition.id, &ids).await? {
        Some(row) => Ok(Ok(row)),
        None => Ok(not_draft()),
    }
}

/// Admin: takes an item out of a draft edition.
pub async fn remove_item(
    db: &Db,
    viewer: &Viewer,
    edition_id: &str,
    item_id: &str,
) -> AppResult<Outcome<EditionRow>> {
    viewer.require_admin()?;
    let edition = store::find(db, edition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if edition.status != "DRAFT" {
        return Ok(not_draft());
    }
    match store::remove_item(db, &edition.id, item_id).await? {
        None => Ok(not_draft()),
        Some((_, false)) => Err(AppError::NotFound),
        Some((_, true)) => Ok(Ok(store::find(db, &edition.id)
            .await?
            .ok_or(AppError::NotFound)?)),
    }
}

/// Admin: publishes a draft edition and freezes it.
pub async fn publish(db: &Db, viewer: &Viewer, id: &str) -> AppResult<Outcome<EditionRow>> {
    let admin = viewer.require_admin()?;
    let edition = store::find(db, id).await?.ok_or(AppError::NotFound)?;
    if edition.status != "DRAFT" {
        return Ok(not_draft());
    }
    let items = store::all_items(db, &edition.id).await?;
    if items.is_empty() {
        return Ok(refuse(
            &[],
            ErrorCode::Incomplete,
            "清单中还没有条目，不能发布",
        ));
    }
    let ids: Vec<String> = items.iter().map(|i| i.item_id.clone()).collect();
    let snapshots = match snapshots(db, EditionKind::parse(&edition.kind), &ids).await? {
        Ok(snapshots) => snapshots,
        Err(errors) => return Ok(Err(errors)),
    };
    match store::publish(db, &edition, &snapshots, &admin.sub).await? {
        Some(row) => Ok(Ok(row)),
        None => Err(AppError::Conflict),
    }
}

/// The published-or-later states an item must be in to enter an edition.
fn accepts_scenario(status: ScenarioStatus) -> bool {
    matches!(
        status,
        ScenarioStatus::Published
            | ScenarioStatus::Matching
            | ScenarioStatus::Implementing
            | ScenarioStatus::Landed
            | ScenarioStatus::Promoted
    )
}

/// An item as an edition sees it: its code and title, and why it may not enter, if it may not.
struct Candidate {
    id: String,
    code: Option<String>,
    title: String,
    refusal: Option<String>,
}

/// Code and title of each requested item of the edition's kind, or the errors of the items that
/// may not enter it.
pub async fn snapshots(
    db: &Db,
    kind: EditionKind,
    ids: &[String],
) -> AppResult<Result<Vec<Snapshot>, Vec<UserError>>> {
    let candidates: Vec<Candidate> = match kind {
        EditionKind::Opportunity => scenarios::store::find_many(db, ids)
            .await?
            .into_iter()
            .map(|r| Candidate {
                refusal: (!accepts_scenario(r.status())).then(|| {
                    format!(
                        "场景“{}”当前状态为「{}」，未经发布不能列入清单",
                        r.title,
                        r.status().label()
                    )
                }),
                id: r.id,
                code: r.code,
                title: r.title,
            })
            .collect(),
        EditionKind::Capability => capabilities::store::find_many(db, ids)
            .await?
            .into_iter()
            .map(|r| Candidate {
                refusal: (!r.status().is_public()).then(|| {
                    format!(
                        "能力“{}”当前状态为「{}」，未经审核入库不能列入清单",
                        r.title,
                        r.status().label()
                    )
                }),
                id: r.id,
                code: r.code,
                title: r.title,
            })
            .collect(),
    };
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let field = ["itemIds", &i.to_string()];
        match candidates.iter().find(|c| &c.id == id) {
            Some(Candidate {
                refusal: Some(why), ..
            }) => errors.push(UserError::new(&field, ErrorCode::Invalid, why.clone())),
            Some(c) => out.push(Snapshot {
                item_id: c.id.clone(),
                code: c.code.clone(),
                title: c.title.clone(),
            }),
            None => errors.push(UserError::new(&field, ErrorCode::Invalid, not_found(kind))),
        }
    }
    Ok(if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    })
}

/// What is wrong with an id that names no item of the edition's kind, and what to do.
fn not_found(kind: EditionKind) -> &'static str {
    match kind {
        EditionKind::Opportunity => "没有这个场景：机会清单只收录已发布的场景，能力请加入能力清单",
        EditionKind::Capability => "没有这个能力：能力清单只收录已入库的能力，场景请加入机会清单",
    }
}

fn is_duplicate_batch(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|e| {
        e.is_unique_violation()
            && (e.constraint() == Some("editions_kind_year_batch_key")
                || e.message().contains("editions.kind"))
    })
}

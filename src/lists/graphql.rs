use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Union};
use chrono::{DateTime, Utc};

use super::store::{self, EditionItemRow, EditionRow, Snapshot};
use crate::capabilities::service::can_manage as can_manage_capability;
use crate::capabilities::{Capability, CapabilityLoader, CapabilityStatus};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, ErrorCode, UserError, Validator};
use crate::items::{TimelineEvent, timeline};
use crate::loaders;
use crate::pagination::{Page, PageRequest};
use crate::scenarios::service::can_manage as can_manage_scenario;
use crate::scenarios::{Scenario, ScenarioLoader, ScenarioStatus};
use crate::viewer::Viewer;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EditionKind {
    /// 场景机会清单
    Opportunity,
    /// 能力清单
    Capability,
}

impl EditionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EditionKind::Opportunity => "OPPORTUNITY",
            EditionKind::Capability => "CAPABILITY",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "CAPABILITY" {
            EditionKind::Capability
        } else {
            EditionKind::Opportunity
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum EditionStatus {
    Draft,
    /// Frozen: membership and order never change.
    Published,
}

/// A numbered batch of a published list, e.g. 晋中市2026年第一批场景机会清单.
pub struct Edition(pub EditionRow);

#[Object]
impl Edition {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn kind(&self) -> EditionKind {
        EditionKind::parse(&self.0.kind)
    }
    async fn year(&self) -> i64 {
        self.0.year
    }
    async fn batch(&self) -> i64 {
        self.0.batch
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn status(&self) -> EditionStatus {
        if self.0.status == "PUBLISHED" {
            EditionStatus::Published
        } else {
            EditionStatus::Draft
        }
    }
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at.as_deref().and_then(db::parse_time)
    }
    /// The items in their order (`seq` 1..n once published).
    async fn items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<EditionItem>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let db = ctx.data_unchecked::<Db>();
        let (rows, total) = store::items_page(db, &self.0.id, page).await?;
        let kind = EditionKind::parse(&self.0.kind);
        Ok(page.connection(rows, total, |row| EditionItem { row, kind }))
    }
    async fn timeline(&self, ctx: &Context<'_>) -> AppResult<Vec<TimelineEvent>> {
        timeline(ctx, &self.0.id).await
    }
}

/// One entry of an edition.
pub struct EditionItem {
    row: EditionItemRow,
    kind: EditionKind,
}

#[Object]
impl EditionItem {
    /// Position in the edition, 1..n.
    async fn seq(&self) -> i64 {
        self.row.seq
    }
    /// The item's public code as published (null while the edition is a draft).
    async fn code(&self) -> Option<&str> {
        self.row.code.as_deref()
    }
    /// The item's title as published (null while the edition is a draft).
    async fn title(&self) -> Option<&str> {
        self.row.title.as_deref()
    }
    /// The scenario as it is now, where the viewer may read it.
    async fn scenario(&self, ctx: &Context<'_>) -> AppResult<Option<Scenario>> {
        if self.kind != EditionKind::Opportunity {
            return Ok(None);
        }
        let row = loaders::load_one::<ScenarioLoader>(ctx, &self.row.item_id).await?;
        let viewer = Viewer::of(ctx);
        Ok(row
            .filter(|r| r.status().is_public() || can_manage_scenario(viewer, r))
            .map(Scenario))
    }
    /// The capability as it is now, where the viewer may read it.
    async fn capability(&self, ctx: &Context<'_>) -> AppResult<Option<Capability>> {
        if self.kind != EditionKind::Capability {
            return Ok(None);
        }
        let row = loaders::load_one::<CapabilityLoader>(ctx, &self.row.item_id).await?;
        let viewer = Viewer::of(ctx);
        Ok(row
            .filter(|r| r.status().is_public() || can_manage_capability(viewer, r))
            .map(Capability))
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReviewKind {
    Scenario,
    Capability,
}

/// An item waiting for an admin's review.
#[derive(Union)]
pub enum ReviewItem {
    Scenario(Scenario),
    Capability(Capability),
}

#[derive(Default)]
pub struct ListsQuery;

#[Object]
impl ListsQuery {
    /// Published editions, newest first. Admins may include drafts.
    async fn editions(
        &self,
        ctx: &Context<'_>,
        kind: Option<EditionKind>,
        year: Option<i32>,
        include_drafts: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Edition>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let include_drafts = include_drafts.unwrap_or(false) && Viewer::of(ctx).is_admin();
        let db = ctx.data_unchecked::<Db>();
        let (rows, total) = store::list(
            db,
            kind.map(EditionKind::as_str),
            year.map(i64::from),
            include_drafts,
            page,
        )
        .await?;
        Ok(page.connection(rows, total, Edition))
    }

    /// An edition; drafts are visible to admins only.
    async fn edition(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Edition>> {
        let db = ctx.data_unchecked::<Db>();
        let row = store::find(db, &id)
            .await?
            .filter(|row| row.status == "PUBLISHED" || Viewer::of(ctx).is_admin())
            .ok_or(AppError::NotFound)?;
        Ok(Some(Edition(row)))
    }

    /// Admin: items waiting for review, oldest submission first.
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        kind: ReviewKind,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<ReviewItem>> {
        Viewer::of(ctx).require_admin()?;
        let page = PageRequest::new(first, after.as_deref())?;
        let db = ctx.data_unchecked::<Db>();
        Ok(match kind {
            ReviewKind::Scenario => {
                use crate::scenarios::store::{ListQuery, Order, list};
                let query = ListQuery {
                    statuses: vec![ScenarioStatus::PendingReview],
                    ..Default::default()
                };
                let (rows, total) = list(db, &query, Order::SubmittedAt, page).await?;
                page.connection(rows, total, |row| ReviewItem::Scenario(Scenario(row)))
            }
            ReviewKind::Capability => {
                use crate::capabilities::store::{ListQuery, Order, list};
                let query = ListQuery {
                    statuses: vec![CapabilityStatus::PendingReview],
                    ..Default::default()
                };
                let (rows, total) = list(db, &query, Order::SubmittedAt, page).await?;
                page.connection(rows, total, |row| ReviewItem::Capability(Capability(row)))
            }
        })
    }
}

#[derive(InputObject)]
pub struct CreateEditionInput {
    pub kind: EditionKind,
    pub year: i32,
    /// 批次, from 1.
    pub batch: i32,
    /// e.g. 晋中市2026年第一批场景机会清单
    pub title: String,
}

#[derive(InputObject)]
pub struct AddEditionItemsInput {
    pub edition_id: ID,
    /// Scenario ids for an OPPORTUNITY edition, capability ids for a CAPABILITY edition; appended
    /// in this order.
    pub item_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct RemoveEditionItemInput {
    pub edition_id: ID,
    pub item_id: ID,
}

#[derive(InputObject)]
pub struct PublishEditionInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct EditionPayload {
    pub edition: Option<Edition>,
    pub errors: Vec<UserError>,
}

impl EditionPayload {
    fn ok(row: EditionRow) -> Self {
        EditionPayload {
            edition: Some(Edition(row)),
            errors: vec![],
        }
    }

    fn refused(errors: Vec<UserError>) -> Self {
        EditionPayload {
            edition: None,
            errors,
        }
    }
}

fn not_draft() -> EditionPayload {
    EditionPayload::refused(vec![UserError::new(
        &[],
        ErrorCode::InvalidTransition,
        "清单已发布，内容和顺序不能再改变",
    )])
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
    let (noun, candidates): (&str, Vec<Candidate>) = match kind {
        EditionKind::Opportunity => (
            "场景",
            crate::scenarios::store::find_many(db, ids)
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
        ),
        EditionKind::Capability => (
            "能力",
            crate::capabilities::store::find_many(db, ids)
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
        ),
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
            None => errors.push(UserError::new(
                &field,
                ErrorCode::Invalid,
                format!("{noun}不存在"),
            )),
        }
    }
    Ok(if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    })
}

#[derive(Default)]
pub struct ListsMutation;

#[Object]
impl ListsMutation {
    /// Admin: starts a new numbered edition (DRAFT).
    async fn create_edition(
        &self,
        ctx: &Context<'_>,
        input: CreateEditionInput,
    ) -> AppResult<EditionPayload> {
        let admin = Viewer::of(ctx).require_admin()?;
        let mut v = Validator::default();
        v.text(&["title"], "清单名称", &input.title, 100);
        if !(2000..=2100).contains(&input.year) {
            v.push(
                &["year"],
                ErrorCode::OutOfRange,
                "年份应在2000年到2100年之间",
            );
        }
        if !(1..=99).contains(&input.batch) {
            v.push(&["batch"], ErrorCode::OutOfRange, "批次应在1到99之间");
        }
        if let Err(errors) = v.finish() {
            return Ok(EditionPayload::refused(errors));
        }
        let db = ctx.data_unchecked::<Db>();
        match store::insert(
            db,
            input.kind.as_str(),
            i64::from(input.year),
            i64::from(input.batch),
            input.title.trim(),
            &admin.sub,
        )
        .await
        {
            Ok(row) => Ok(EditionPayload::ok(row)),
            Err(e) if is_duplicate_batch(&e) => Ok(EditionPayload::refused(vec![UserError::new(
                &["batch"],
                ErrorCode::Duplicate,
                format!("{}年第{}批清单已存在", input.year, input.batch),
            )])),
            Err(e) => Err(e.into()),
        }
    }

    /// Admin: appends approved items of the edition's kind to a draft edition.
    async fn add_edition_items(
        &self,
        ctx: &Context<'_>,
        input: AddEditionItemsInput,
    ) -> AppResult<EditionPayload> {
        Viewer::of(ctx).require_admin()?;
        let db = ctx.data_unchecked::<Db>();
        let edition = store::find(db, &input.edition_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if edition.status != "DRAFT" {
            return Ok(not_draft());
        }
        let mut ids: Vec<String> = Vec::new();
        for id in input.item_ids.iter().map(|id| id.to_string()) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Ok(EditionPayload::refused(vec![UserError::new(
                &["itemIds"],
                ErrorCode::Required,
                "请选择要列入清单的条目",
            )]));
        }
        if let Err(errors) = snapshots(db, EditionKind::parse(&edition.kind), &ids).await? {
            return Ok(EditionPayload::refused(errors));
        }
        match store::add_items(db, &edition.id, &ids).await? {
            Some(row) => Ok(EditionPayload::ok(row)),
            None => Ok(not_draft()),
        }
    }

    /// Admin: takes an item out of a draft edition.
    async fn remove_edition_item(
        &self,
        ctx: &Context<'_>,
        input: RemoveEditionItemInput,
    ) -> AppResult<EditionPayload> {
        Viewer::of(ctx).require_admin()?;
        let db = ctx.data_unchecked::<Db>();
        let edition = store::find(db, &input.edition_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if edition.status != "DRAFT" {
            return Ok(not_draft());
        }
        match store::remove_item(db, &edition.id, &input.item_id).await? {
            None => Ok(not_draft()),
            Some((_, false)) => Err(AppError::NotFound),
            Some((_, true)) => {
                let row = store::find(db, &edition.id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                Ok(EditionPayload::ok(row))
            }
        }
    }

    /// Admin: publishes a draft edition and freezes it.
    async fn publish_edition(
        &self,
        ctx: &Context<'_>,
        input: PublishEditionInput,
    ) -> AppResult<EditionPayload> {
        let admin = Viewer::of(ctx).require_admin()?;
        let db = ctx.data_unchecked::<Db>();
        let edition = store::find(db, &input.id)
            .await?
            .ok_or(AppError::NotFound)?;
        if edition.status != "DRAFT" {
            return Ok(not_draft());
        }
        let items = store::all_items(db, &edition.id).await?;
        if items.is_empty() {
            return Ok(EditionPayload::refused(vec![UserError::new(
                &[],
                ErrorCode::Incomplete,
                "清单中还没有条目，不能发布",
            )]));
        }
        let ids: Vec<String> = items.iter().map(|i| i.item_id.clone()).collect();
        let snapshots = match snapshots(db, EditionKind::parse(&edition.kind), &ids).await? {
            Ok(snapshots) => snapshots,
            Err(errors) => return Ok(EditionPayload::refused(errors)),
        };
        match store::publish(db, &edition, &snapshots, &admin.sub).await? {
            Some(row) => Ok(EditionPayload::ok(row)),
            None => Err(AppError::Conflict),
        }
    }
}

fn is_duplicate_batch(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|e| {
        e.is_unique_violation()
            && (e.constraint() == Some("editions_kind_year_batch_key")
                || e.message().contains("editions.kind"))
    })
}

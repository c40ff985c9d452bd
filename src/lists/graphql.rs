//! The GraphQL door of the published lists and the review queue. Rules live in
//! [`super::service`].

use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Union};
use chrono::{DateTime, Utc};

use super::model::{EditionKind, EditionStatus, ReviewKind, ReviewLevel};
use super::service::{self, Pending};
use super::store::{EditionItemRow, EditionRow};
use crate::capabilities::{self, Capability, CapabilityLoader};
use crate::db::{self, Db};
use crate::error::{AppResult, UserError};
use crate::items::graphql::{TimelineEvent, timeline};
use crate::loaders;
use crate::pagination::{Page, PageRequest};
use crate::scenarios::{self, Scenario, ScenarioLoader};
use crate::viewer::Viewer;

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
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = service::items(ctx.data_unchecked::<Db>(), &self.0, page).await?;
        let kind = EditionKind::parse(&self.0.kind);
        Ok(page.connection_of(rows, |row| EditionItem { row, kind }))
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
            .filter(|r| scenarios::service::can_read(viewer, r))
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
            .filter(|r| capabilities::service::can_read(viewer, r))
            .map(Capability))
    }
}

/// An item waiting for an admin's review.
// Built only to answer one page of the queue: the rows differ in size, and boxing them would add
// an allocation per item for nothing.
#[allow(clippy::large_enum_variant)]
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
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = service::list(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            kind,
            year,
            include_drafts.unwrap_or(false),
            page,
        )
        .await?;
        Ok(page.connection_of(rows, Edition))
    }

    /// An edition; drafts are visible to admins only.
    async fn edition(&self, ctx: &Context<'_>, id: ID) -> AppResult<Option<Edition>> {
        let row = service::find(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &id).await?;
        Ok(Some(Edition(row)))
    }

    /// Items waiting for review, oldest submission first: for admins; a county manager sees the
    /// scenarios of their region. `level` narrows scenarios to the county's review (县级初审) or
    /// the city's (市级终审); without it both.
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        kind: ReviewKind,
        level: Option<ReviewLevel>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<ReviewItem>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let db = ctx.data_unchecked::<Db>();
        let rows = service::review_queue(db, Viewer::of(ctx), kind, level, page).await?;
        Ok(page.connection_of(rows, |item| match item {
            Pending::Scenario(row) => ReviewItem::Scenario(Scenario(row)),
            Pending::Capability(row) => ReviewItem::Capability(Capability(row)),
        }))
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

crate::error::outcome_payload!(EditionPayload {
    edition: Edition(EditionRow)
});

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
        service::create(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            input.kind,
            input.year,
            input.batch,
            &input.title,
        )
        .await
        .map(EditionPayload::from)
    }

    /// Admin: appends approved items of the edition's kind to a draft edition.
    async fn add_edition_items(
        &self,
        ctx: &Context<'_>,
        input: AddEditionItemsInput,
    ) -> AppResult<EditionPayload> {
        let ids: Vec<String> = input.item_ids.iter().map(|id| id.to_string()).collect();
        service::add_items(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &input.edition_id,
            &ids,
        )
        .await
        .map(EditionPayload::from)
    }

    /// Admin: takes an item out of a draft edition.
    async fn remove_edition_item(
        &self,
        ctx: &Context<'_>,
        input: RemoveEditionItemInput,
    ) -> AppResult<EditionPayload> {
        service::remove_item(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            &input.edition_id,
            &input.item_id,
        )
        .await
        .map(EditionPayload::from)
    }

    /// Admin: publishes a draft edition and freezes it.
    async fn publish_edition(
        &self,
        ctx: &Context<'_>,
        input: PublishEditionInput,
    ) -> AppResult<EditionPayload> {
        service::publish(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &input.id)
            .await
            .map(EditionPayload::from)
    }
}

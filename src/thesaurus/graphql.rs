//! The GraphQL door of the thesaurus. Rules live in [`super::service`].

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service::{self, GroupInput};
use super::store::GroupRow;
use crate::db::{self, Db};
use crate::error::{AppResult, UserError};
use crate::items::graphql::{TimelineEvent, timeline};
use crate::pagination::{Page, PageRequest};
use crate::search::LiveIndex;
use crate::viewer::Viewer;

/// A group of words that name the same need or the same kind of solution (巡检 点检 智能巡检):
/// a word of a query also finds items that use another word of its group, at a lower weight.
pub struct ThesaurusGroup(pub GroupRow);

#[Object]
impl ThesaurusGroup {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The heading the group is filed under, e.g. 煤矿智能化、洗选.
    async fn topic(&self) -> &str {
        &self.0.topic
    }
    /// The words, as entered.
    async fn words(&self) -> Vec<&str> {
        self.0.words().collect()
    }
    /// Give it back when changing or removing the group.
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.updated_at)
    }
    /// Who changed the group, when, and how (groups shipped with the service start empty).
    async fn timeline(&self, ctx: &Context<'_>) -> AppResult<Vec<TimelineEvent>> {
        timeline(ctx, &self.0.id).await
    }
}

#[derive(Default)]
pub struct ThesaurusQuery;

#[Object]
impl ThesaurusQuery {
    /// Admin: the thesaurus groups in their order; with `word`, only the groups holding that word.
    async fn thesaurus_groups(
        &self,
        ctx: &Context<'_>,
        word: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<ThesaurusGroup>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = service::list(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            word.as_deref(),
            page,
        )
        .await?;
        Ok(page.connection_of(rows, ThesaurusGroup))
    }

    /// Admin: one thesaurus group.
    async fn thesaurus_group(&self, ctx: &Context<'_>, id: ID) -> AppResult<ThesaurusGroup> {
        service::find(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &id)
            .await
            .map(ThesaurusGroup)
    }
}

#[derive(InputObject)]
pub struct SaveThesaurusGroupInput {
    /// The group to change; without it, a new group.
    pub id: Option<ID>,
    /// The group's `version` as read; required when changing a group.
    pub version: Option<i64>,
    pub topic: String,
    /// Two to thirty words of two to twenty characters (汉字, letters, digits).
    pub words: Vec<String>,
}

#[derive(InputObject)]
pub struct DeleteThesaurusGroupInput {
    pub id: ID,
    /// The group's `version` as read.
    pub version: i64,
}

#[derive(SimpleObject)]
pub struct ThesaurusGroupPayload {
    pub group: Option<ThesaurusGroup>,
    pub errors: Vec<UserError>,
}

crate::error::outcome_payload!(ThesaurusGroupPayload {
    group: ThesaurusGroup(GroupRow)
});

#[derive(SimpleObject)]
pub struct DeleteThesaurusGroupPayload {
    /// The removed group's id.
    pub deleted_id: Option<ID>,
    /// Empty: a group can always be removed (an unknown or changed group is a top-level error).
    pub errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ThesaurusMutation;

#[Object]
impl ThesaurusMutation {
    /// Admin: adds a thesaurus group (no `id`) or changes one. Matching and search use it from
    /// the moment this returns, on every instance.
    async fn save_thesaurus_group(
        &self,
        ctx: &Context<'_>,
        input: SaveThesaurusGroupInput,
    ) -> AppResult<ThesaurusGroupPayload> {
        service::save(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            GroupInput {
                id: input.id.as_ref().map(|id| id.as_str()),
                version: input.version,
                topic: &input.topic,
                words: &input.words,
            },
        )
        .await
        .map(ThesaurusGroupPayload::from)
    }

    /// Admin: removes a thesaurus group.
    async fn delete_thesaurus_group(
        &self,
        ctx: &Context<'_>,
        input: DeleteThesaurusGroupInput,
    ) -> AppResult<DeleteThesaurusGroupPayload> {
        let id = service::delete(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<LiveIndex>>(),
            Viewer::of(ctx),
            &input.id,
            input.version,
        )
        .await?;
        Ok(DeleteThesaurusGroupPayload {
            deleted_id: Some(ID(id)),
            errors: Vec::new(),
        })
    }
}

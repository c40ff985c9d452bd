//! The timeline of an item, as its GraphQL field shows it: the event log, with the actor.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use crate::auth::{User, UserLoader};
use crate::db;
use crate::error::AppResult;
use crate::events::{EventRow, TimelineLoader};
use crate::loaders;
use crate::viewer::Viewer;

/// One entry of an item's timeline.
pub struct TimelineEvent(pub EventRow);

#[Object]
impl TimelineEvent {
    async fn at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.at)
    }
    /// What happened, e.g. SUBMIT, APPROVE, CLOSE.
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn from_status(&self) -> Option<&str> {
        self.0.from_status.as_deref()
    }
    async fn to_status(&self) -> Option<&str> {
        self.0.to_status.as_deref()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// Who did it; null when the service did it by itself (e.g. closing at the deadline).
    async fn actor(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        let Some(actor_id) = &self.0.actor_id else {
            return Ok(None);
        };
        let row = loaders::load_one::<UserLoader>(ctx, actor_id).await?;
        Ok(row.map(User::new))
    }
}

/// The timeline of a list item, oldest first, as the viewer may read it (`readable`: the
/// slice's rule, which [`super::rules::visible_timeline`] serves).
pub async fn item_timeline(
    ctx: &Context<'_>,
    id: &str,
    readable: impl FnOnce(&Viewer, Vec<EventRow>) -> Vec<EventRow>,
) -> AppResult<Vec<TimelineEvent>> {
    let rows = loaders::load_one::<TimelineLoader>(ctx, id)
        .await?
        .unwrap_or_default();
    Ok(readable(Viewer::of(ctx), rows)
        .into_iter()
        .map(TimelineEvent)
        .collect())
}

/// The timeline of an aggregate, oldest first.
pub async fn timeline(ctx: &Context<'_>, aggregate_id: &str) -> AppResult<Vec<TimelineEvent>> {
    let rows = loaders::load_one::<TimelineLoader>(ctx, aggregate_id).await?;
    Ok(rows
        .unwrap_or_default()
        .into_iter()
        .map(TimelineEvent)
        .collect())
}

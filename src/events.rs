//! The event log: every state change of every aggregate (who, when, from, to, note), written in
//! the same transaction as the change. Timelines and the audit log read from here, and the
//! notifications an event causes are written with it.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use crate::auth::{User, UserLoader};
use crate::db::{self, Db, Sql, Tx};
use crate::error::AppResult;
use crate::loaders;

pub struct NewEvent<'a> {
    pub aggregate_type: &'static str,
    pub aggregate_id: &'a str,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    /// None for changes the service makes by itself.
    pub actor_id: Option<&'a str>,
    pub note: Option<&'a str>,
}

pub async fn record(tx: &mut Tx, event: NewEvent<'_>, at: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO events (id, aggregate_type, aggregate_id, action, from_status, to_status, \
         actor_id, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(db::new_id())
    .bind(event.aggregate_type)
    .bind(event.aggregate_id)
    .bind(event.action)
    .bind(event.from_status)
    .bind(event.to_status)
    .bind(event.actor_id)
    .bind(event.note)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    if matches!(
        event.aggregate_type,
        "SCENARIO" | "CAPABILITY" | "ORGANIZATION"
    ) {
        crate::notifications::feed::announce_change(tx, event.aggregate_type, event.aggregate_id)
            .await?;
    }
    crate::notifications::on_event(tx, &event).await
}

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct EventRow {
    pub id: String,
    pub aggregate_id: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub actor_id: Option<String>,
    pub note: Option<String>,
    pub at: String,
}

/// Batches the timelines of one request into one query, keyed by aggregate id.
pub struct TimelineLoader {
    db: Db,
}

impl TimelineLoader {
    pub fn new(db: Db) -> Self {
        TimelineLoader { db }
    }
}

impl Loader<String> for TimelineLoader {
    type Value = Vec<EventRow>;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<EventRow>>, Self::Error> {
        let mut sql = Sql::new(
            "SELECT id, aggregate_id, action, from_status, to_status, actor_id, note, at \
             FROM events WHERE aggregate_id IN (",
        );
        sql.bind_list(keys);
        sql.push(") ORDER BY at, id");
        let (text, args) = sql.build();
        let rows: Vec<EventRow> = sqlx::query_as_with(text, args)
            .fetch_all(self.db.pool())
            .await
            .map_err(Arc::new)?;
        let mut out: HashMap<String, Vec<EventRow>> = HashMap::new();
        for row in rows {
            out.entry(row.aggregate_id.clone()).or_default().push(row);
        }
        Ok(out)
    }
}

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

/// The timeline of an aggregate, oldest first.
pub async fn timeline(ctx: &Context<'_>, aggregate_id: &str) -> AppResult<Vec<TimelineEvent>> {
    let rows = loaders::load_one::<TimelineLoader>(ctx, aggregate_id).await?;
    Ok(rows
        .unwrap_or_default()
        .into_iter()
        .map(TimelineEvent)
        .collect())
}

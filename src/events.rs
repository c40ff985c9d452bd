//! The event log: every state change of every aggregate (who, when, from, to, note), written in
//! the same transaction as the change. Timelines and the audit log read from here.
//!
//! What an event causes elsewhere (notifications, the 对接 cascade when a scenario ends, the
//! change notice to other instances) is done by the [`Handler`]s the assembly installs at
//! start-up: [`record`] runs each of them inside the event's transaction, so the change and all
//! it causes commit together or not at all. This module knows no subscriber.

use std::collections::HashMap;
use std::sync::Arc;

use std::sync::OnceLock;

use async_graphql::dataloader::Loader;
use futures_util::future::BoxFuture;

use crate::db::{self, Db, Sql, Tx};

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

/// Runs inside the transaction of every recorded event; an error rolls the whole change back.
/// A handler may record further events (a cascade), which run the handlers in turn.
pub type Handler =
    for<'a> fn(&'a mut Tx, &'a NewEvent<'a>) -> BoxFuture<'a, Result<(), sqlx::Error>>;

static HANDLERS: OnceLock<Vec<Handler>> = OnceLock::new();

/// Installs the handlers every event runs, in order. The assembly calls this at start-up; the
/// first set installed in a process stays (every start installs the same one).
pub fn install(handlers: &[Handler]) {
    HANDLERS.get_or_init(|| handlers.to_vec());
}

/// Records `event` and runs the installed handlers, inside `tx`.
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
    dispatch(handlers(), tx, &event).await
}

fn handlers() -> &'static [Handler] {
    HANDLERS
        .get()
        .expect("event handlers are installed at start-up")
}

async fn dispatch(
    handlers: &[Handler],
    tx: &mut Tx,
    event: &NewEvent<'_>,
) -> Result<(), sqlx::Error> {
    for handler in handlers {
        handler(tx, event).await?;
    }
    Ok(())
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
        timelines(&self.db, keys).await.map_err(Arc::new)
    }
}

/// The timeline of one aggregate, oldest first.
pub async fn timeline(db: &Db, aggregate_id: &str) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut all = timelines(db, &[aggregate_id.to_owned()]).await?;
    Ok(all.remove(aggregate_id).unwrap_or_default())
}

/// The timelines of several aggregates in one query, each oldest first.
async fn timelines(
    db: &Db,
    keys: &[String],
) -> Result<HashMap<String, Vec<EventRow>>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT id, aggregate_id, action, from_status, to_status, actor_id, note, at \
         FROM events WHERE aggregate_id IN (",
    );
    sql.bind_list(keys);
    sql.push(") ORDER BY at, id");
    let (text, args) = sql.build();
    let mut reader = db.reader().await?;
    let rows = sqlx::query_as_with(text, args)
        .fetch_all(&mut *reader)
        .await;
    let rows: Vec<EventRow> = reader.done(rows)?;
    let mut out: HashMap<String, Vec<EventRow>> = HashMap::new();
    for row in rows {
        out.entry(row.aggregate_id.clone()).or_default().push(row);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    static CALLS: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

    fn first<'a>(_: &'a mut Tx, _: &'a NewEvent<'a>) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async {
            CALLS.lock().unwrap().push("first");
            Ok(())
        })
    }

    /// Writes in the event's transaction, then fails.
    fn failing<'a>(
        tx: &'a mut Tx,
        event: &'a NewEvent<'a>,
    ) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async move {
            CALLS.lock().unwrap().push("failing");
            sqlx::query("UPDATE events SET note = $1 WHERE aggregate_id = $2")
                .bind("written by a handler")
                .bind(event.aggregate_id)
                .execute(&mut **tx)
                .await?;
            Err(crate::db::stale())
        })
    }

    fn never<'a>(_: &'a mut Tx, _: &'a NewEvent<'a>) -> BoxFuture<'a, Result<(), sqlx::Error>> {
        Box::pin(async {
            CALLS.lock().unwrap().push("never");
            Ok(())
        })
    }

    #[tokio::test]
    async fn handlers_run_in_order_in_the_events_transaction_and_a_failure_stops_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&Db::sqlite_url(dir.path())).await.unwrap();
        db.migrate().await.unwrap();
        let event = NewEvent {
            aggregate_type: "SCENARIO",
            aggregate_id: "s-1",
            action: "CLOSE",
            from_status: Some("PUBLISHED"),
            to_status: Some("CLOSED"),
            actor_id: None,
            note: None,
        };
        let mut tx = db.begin().await.unwrap();
        sqlx::query(
            "INSERT INTO events (id, aggregate_type, aggregate_id, action, at) \
             VALUES ('e-1', 'SCENARIO', 's-1', 'CLOSE', '2026-01-01T00:00:00.000000Z')",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        let result = dispatch(&[first, failing, never], &mut tx, &event).await;
        assert!(result.as_ref().is_err_and(db::is_stale), "{result:?}");
        assert_eq!(*CALLS.lock().unwrap(), ["first", "failing"]);
        // The handler wrote inside the transaction: it sees its own write until the rollback.
        let note: Option<String> = sqlx::query_scalar("SELECT note FROM events WHERE id = 'e-1'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(note.as_deref(), Some("written by a handler"));
        drop(tx);
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(left, 0, "nothing of the failed change stays");
    }
}

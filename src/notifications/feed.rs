//! The feed carries each committed notification to the live subscriptions of its recipient.
//!
//! On PostgreSQL the transaction that writes a notification also sends `pg_notify` (delivered at
//! commit, to every instance LISTENing), and each instance's listener puts it on its in-process
//! channel; the same listener hears of changed scenarios, capabilities and organizations and
//! passes them to the [`ChangeListener`] it was started with (the matching index). On SQLite (one process) a poller reads notifications
//! past its watermark: write transactions are serialized there, so rows appear in `created_at`
//! order.
//!
//! Channel names carry the database schema, so deployments (and tests) sharing one database in
//! different schemas do not hear each other.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};

use crate::db::{Backend, Db, Tx};
use crate::events::NewEvent;

/// A notification for a user, committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub user_id: String,
    pub notification_id: String,
}

/// What hears of items changed on other instances (PostgreSQL only), and when to re-read
/// everything to make up for notices missed while reconnecting.
pub trait ChangeListener: Send + Sync {
    /// An item changed: `aggregate` is SCENARIO, CAPABILITY, ORGANIZATION or THESAURUS_GROUP.
    fn changed<'a>(&'a self, aggregate: &'a str, id: &'a str) -> BoxFuture<'a, ()>;
    fn reload(&self) -> BoxFuture<'_, ()>;
}

pub struct Feed {
    sender: broadcast::Sender<Delivery>,
    shutdown: watch::Receiver<bool>,
}

const NOTIFY_PREFIX: &str = "twolists_notify_";
const CHANGE_PREFIX: &str = "twolists_change_";
/// How often the SQLite poller looks for new notifications.
const POLL: Duration = Duration::from_millis(200);
/// On PostgreSQL, a full re-read of the matching index this often makes up for change notices
/// missed while the listener was reconnecting.
const INDEX_RELOAD: Duration = Duration::from_secs(600);

impl Feed {
    /// A feed whose subscriptions end when `shutdown` turns true.
    pub fn new(shutdown: watch::Receiver<bool>) -> Arc<Feed> {
        let (sender, _) = broadcast::channel(1024);
        Arc::new(Feed { sender, shutdown })
    }

    /// New deliveries from now on, and the signal that ends them.
    pub fn subscribe(&self) -> (broadcast::Receiver<Delivery>, watch::Receiver<bool>) {
        (self.sender.subscribe(), self.shutdown.clone())
    }

    /// How many live subscriptions this instance holds now.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    fn publish(&self, delivery: Delivery) {
        // No receiver means nobody is subscribed right now: nothing to do.
        let _ = self.sender.send(delivery);
    }

    /// Starts filling the feed (and, on PostgreSQL, telling `changes` what other instances
    /// changed) until shutdown.
    pub fn spawn(
        self: &Arc<Self>,
        db: Db,
        database_url: String,
        changes: Arc<dyn ChangeListener>,
    ) -> tokio::task::JoinHandle<()> {
        let feed = self.clone();
        tokio::spawn(async move {
            let result = match db.backend() {
                Backend::Postgres => feed.listen(&db, &database_url, changes.as_ref()).await,
                Backend::Sqlite => feed.poll(&db).await,
            };
            if let Err(e) = result {
                tracing::error!(error = %e, "the notification feed stopped");
            }
        })
    }

    async fn poll(&self, db: &Db) -> Result<(), sqlx::Error> {
        let mut shutdown = self.shutdown.clone();
        // Only what is written from now on: the newest row so far is the watermark.
        let mut mark: (String, String) = sqlx::query_as(
            "SELECT created_at, id FROM notifications ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .fetch_optional(db.pool())
        .await?
        .unwrap_or_default();
        loop {
            tokio::select! {
                _ = stopped(&mut shutdown) => return Ok(()),
                _ = tokio::time::sleep(POLL) => {}
            }
            let rows: Vec<(String, String, String)> = match sqlx::query_as(
                "SELECT id, user_id, created_at FROM notifications \
                 WHERE created_at > $1 OR (created_at = $1 AND id > $2) \
                 ORDER BY created_at, id LIMIT 1000",
            )
            .bind(&mark.0)
            .bind(&mark.1)
            .fetch_all(db.pool())
            .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "reading new notifications failed");
                    continue;
                }
            };
            for (id, user_id, created_at) in rows {
                self.publish(Delivery {
                    user_id,
                    notification_id: id.clone(),
                });
                mark = (created_at, id);
            }
        }
    }

    async fn listen(
        &self,
        db: &Db,
        database_url: &str,
        changes: &dyn ChangeListener,
    ) -> Result<(), sqlx::Error> {
        let mut shutdown = self.shutdown.clone();
        let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
            .fetch_one(db.pool())
            .await?;
        let mut listener = PgListener::connect(database_url).await?;
        listener
            .listen_all([
                format!("{NOTIFY_PREFIX}{schema}").as_str(),
                format!("{CHANGE_PREFIX}{schema}").as_str(),
            ])
            .await?;
        let mut reload = tokio::time::interval(INDEX_RELOAD);
        reload.tick().await;
        loop {
            let notice = tokio::select! {
                _ = stopped(&mut shutdown) => return Ok(()),
                _ = reload.tick() => {
                    changes.reload().await;
                    continue;
                }
                notice = listener.recv() => notice,
            };
            let notice = match notice {
                Ok(notice) => notice,
                Err(e) => {
                    tracing::warn!(error = %e, "listening for notifications failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let Some((head, id)) = notice.payload().split_once(' ') else {
                continue;
            };
            if notice.channel().starts_with(NOTIFY_PREFIX) {
                self.publish(Delivery {
                    user_id: head.to_owned(),
                    notification_id: id.to_owned(),
                });
            } else {
                changes.changed(head, id).await;
            }
        }
    }
}

/// Resolves once `shutdown` turns true (or its sender is gone).
pub async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

fn is_postgres(tx: &Tx) -> bool {
    tx.backend_name() == "PostgreSQL"
}

/// Inside the transaction that wrote notification `id`: tells every instance at commit.
pub async fn announce_notification(
    tx: &mut Tx,
    user_id: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    notify(tx, NOTIFY_PREFIX, &format!("{user_id} {id}")).await
}

/// The event handler of change notices: an event of a scenario, capability, organization or
/// thesaurus group is announced to every instance at commit.
pub fn on_event<'a>(
    tx: &'a mut Tx,
    event: &'a NewEvent<'a>,
) -> BoxFuture<'a, Result<(), sqlx::Error>> {
    Box::pin(async move {
        if matches!(
            event.aggregate_type,
            "SCENARIO" | "CAPABILITY" | "ORGANIZATION" | "THESAURUS_GROUP"
        ) {
            announce_change(tx, event.aggregate_type, event.aggregate_id).await?;
        }
        Ok(())
    })
}

/// Inside the transaction that changed a scenario, capability or organization: tells every
/// instance at commit, so that their matching indexes catch up.
pub async fn announce_change(tx: &mut Tx, aggregate: &str, id: &str) -> Result<(), sqlx::Error> {
    notify(tx, CHANGE_PREFIX, &format!("{aggregate} {id}")).await
}

async fn notify(tx: &mut Tx, prefix: &str, payload: &str) -> Result<(), sqlx::Error> {
    if !is_postgres(tx) {
        return Ok(());
    }
    // pg_notify returns void, which the Any driver cannot decode: count the row instead.
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM (SELECT pg_notify($1 || current_schema(), $2)) AS sent",
    )
    .bind(prefix)
    .bind(payload)
    .fetch_one(&mut **tx)
    .await?;
    Ok(())
}

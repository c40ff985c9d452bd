//! The event log: every state change of every aggregate (who, when, from, to, note), written in
//! the same transaction as the change. Timelines and the audit log read from here.

use crate::db::{self, Tx};

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
    Ok(())
}

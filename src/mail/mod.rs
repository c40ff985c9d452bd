//! Outgoing e-mail through a transactional outbox (DESIGN.md, Notifications).
//!
//! Whatever causes an e-mail writes it to `email_outbox` in its own transaction ([`enqueue`]), so
//! an e-mail exists exactly when its cause was committed. A background [`worker`] leases due rows,
//! sends them with lettre (SMTP, or `.eml` files in `<data-dir>/outbox/` when no SMTP server is
//! configured) and marks them sent; failures are retried with exponential back-off and end as
//! FAILED, visible to administrators, after a limit.

mod graphql;
pub mod ics;
pub mod outbox;
pub mod service;
pub mod templates;
pub mod worker;

pub use graphql::{MailMutation, MailQuery};

use crate::db::{self, Tx};

/// One e-mail, rendered: what the outbox stores and the worker sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// What it is about (a notification kind, or EMAIL_VERIFICATION / PASSWORD_RESET).
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

/// A file sent with an e-mail (text, such as an `.ics` calendar entry).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub filename: String,
    /// e.g. `text/calendar; charset=utf-8; method=PUBLISH`
    pub content_type: String,
    pub body: String,
}

/// Writes `email` to the outbox inside the caller's transaction.
pub async fn enqueue(tx: &mut Tx, email: &Email) -> Result<(), sqlx::Error> {
    let now = db::now();
    sqlx::query(
        "INSERT INTO email_outbox (id, kind, recipient, subject, text_body, html_body, status, \
         attempts, next_attempt_at, created_at, attachments) \
         VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', 0, $7, $7, $8)",
    )
    .bind(db::new_id())
    .bind(&email.kind)
    .bind(&email.to)
    .bind(&email.subject)
    .bind(&email.text)
    .bind(&email.html)
    .bind(&now)
    .bind(
        (!email.attachments.is_empty())
            .then(|| serde_json::to_string(&email.attachments).expect("attachments serialize")),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

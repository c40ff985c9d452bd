//! What administrators see of e-mail delivery: the failed e-mails, and putting them back in line.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::outbox::OutboxRow;
use super::service;
use crate::db::{self, Db};
use crate::error::{AppResult, UserError};
use crate::pagination::{Page, PageRequest};
use crate::viewer::Viewer;

/// An e-mail that could not be delivered after every attempt.
pub struct FailedEmail(OutboxRow);

#[Object]
impl FailedEmail {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// What it was about, e.g. MATCH_CONNECTED or PASSWORD_RESET.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn recipient(&self) -> &str {
        &self.0.recipient
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn attempts(&self) -> i64 {
        self.0.attempts
    }
    /// Why the last attempt failed, in general terms (the detail is in the service log).
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
}

#[derive(Default)]
pub struct MailQuery;

#[Object]
impl MailQuery {
    /// Admin: e-mails that failed every attempt, newest first.
    async fn failed_emails(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<FailedEmail>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = service::failed(ctx.data_unchecked::<Db>(), Viewer::of(ctx), page).await?;
        Ok(page.connection_of(rows, FailedEmail))
    }
}

#[derive(InputObject)]
pub struct RetryFailedEmailsInput {
    pub ids: Vec<ID>,
}

#[derive(SimpleObject)]
pub struct RetryFailedEmailsPayload {
    /// The e-mails put back in line.
    pub retried_ids: Vec<ID>,
    pub errors: Vec<UserError>,
}

#[derive(Default)]
pub struct MailMutation;

#[Object]
impl MailMutation {
    /// Admin: sends failed e-mails again, with a fresh count of attempts.
    async fn retry_failed_emails(
        &self,
        ctx: &Context<'_>,
        input: RetryFailedEmailsInput,
    ) -> AppResult<RetryFailedEmailsPayload> {
        let ids: Vec<String> = input.ids.into_iter().map(|id| id.0).collect();
        let (retried, errors) =
            match service::retry(ctx.data_unchecked::<Db>(), Viewer::of(ctx), &ids).await? {
                Ok(answer) => {
                    // Wake the worker rather than wait for its next poll.
                    if let Some(wake) = ctx.data_opt::<Arc<Notify>>() {
                        wake.notify_one();
                    }
                    answer
                }
                Err(errors) => (vec![], errors),
            };
        Ok(RetryFailedEmailsPayload {
            retried_ids: retried.into_iter().map(ID).collect(),
            errors,
        })
    }
}

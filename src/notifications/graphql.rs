//! The inbox: the signed-in user's notifications, marking them read, the live subscription, and
//! which kinds also come by e-mail.

use std::sync::Arc;

use async_graphql::futures_util::Stream;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;

use super::service;
use super::store::{self, NotificationRow};
use super::{Feed, NotificationKind, feed};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, UserError};
use crate::pagination::{Page, PageRequest};
use crate::viewer::Viewer;

pub struct Notification(pub NotificationRow);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn kind(&self) -> Option<NotificationKind> {
        NotificationKind::parse(&self.0.kind)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// What it is about: SCENARIO, CAPABILITY, ORGANIZATION or MATCH, and its id.
    async fn subject_type(&self) -> &str {
        &self.0.subject_type
    }
    async fn subject_id(&self) -> ID {
        ID(self.0.subject_id.clone())
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at.as_deref().and_then(db::parse_time)
    }
    async fn read(&self) -> bool {
        self.0.read_at.is_some()
    }
}

/// Whether one kind of notification also comes by e-mail.
#[derive(SimpleObject)]
pub struct EmailPreference {
    pub kind: NotificationKind,
    /// e.g. 对接成功
    pub label: String,
    pub enabled: bool,
}

async fn preferences(db: &Db, viewer: &Viewer) -> AppResult<Vec<EmailPreference>> {
    Ok(service::email_preferences(db, viewer)
        .await?
        .into_iter()
        .map(|(kind, enabled)| EmailPreference {
            kind,
            label: kind.label().to_owned(),
            enabled,
        })
        .collect())
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The signed-in user's notifications, newest first.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        unread_only: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Notification>> {
        let page = PageRequest::of_field(ctx, first, after.as_deref())?;
        let rows = service::list(
            ctx.data_unchecked::<Db>(),
            Viewer::of(ctx),
            unread_only.unwrap_or(false),
            page,
        )
        .await?;
        Ok(page.connection_of(rows, Notification))
    }

    async fn unread_notification_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        service::unread_count(ctx.data_unchecked::<Db>(), Viewer::of(ctx)).await
    }

    /// Which kinds of notification the signed-in user also receives by e-mail (all, unless
    /// turned off).
    async fn email_preferences(&self, ctx: &Context<'_>) -> AppResult<Vec<EmailPreference>> {
        preferences(ctx.data_unchecked::<Db>(), Viewer::of(ctx)).await
    }
}

#[derive(InputObject)]
pub struct MarkNotificationsReadInput {
    /// The notifications to mark; leave out (or set `all`) to mark every unread one.
    pub ids: Option<Vec<ID>>,
    pub all: Option<bool>,
}

#[derive(SimpleObject)]
pub struct MarkNotificationsReadPayload {
    /// How many were unread and are now read.
    pub marked_count: i64,
    pub unread_count: i64,
    pub errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct EmailPreferenceInput {
    pub kind: NotificationKind,
    pub enabled: bool,
}

#[derive(InputObject)]
pub struct UpdateEmailPreferencesInput {
    pub preferences: Vec<EmailPreferenceInput>,
}

#[derive(SimpleObject)]
pub struct UpdateEmailPreferencesPayload {
    pub preferences: Vec<EmailPreference>,
    pub errors: Vec<UserError>,
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks the signed-in user's notifications read: the given ones, or all. Ids of other
    /// users' notifications are ignored.
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        input: MarkNotificationsReadInput,
    ) -> AppResult<MarkNotificationsReadPayload> {
        let viewer = Viewer::of(ctx);
        let db = ctx.data_unchecked::<Db>();
        let ids: Option<Vec<String>> = match (input.ids, input.all.unwrap_or(false)) {
            (_, true) | (None, false) => None,
            (Some(ids), false) => Some(ids.into_iter().map(|id| id.0).collect()),
        };
        let outcome = service::mark_read(db, viewer, ids.as_deref()).await?;
        let unread_count = service::unread_count(db, viewer).await?;
        Ok(match outcome {
            Ok(marked_count) => MarkNotificationsReadPayload {
                marked_count,
                unread_count,
                errors: vec![],
            },
            Err(errors) => MarkNotificationsReadPayload {
                marked_count: 0,
                unread_count,
                errors,
            },
        })
    }

    /// Turns e-mail for kinds of notification on or off; the in-app notifications stay.
    async fn update_email_preferences(
        &self,
        ctx: &Context<'_>,
        input: UpdateEmailPreferencesInput,
    ) -> AppResult<UpdateEmailPreferencesPayload> {
        let viewer = Viewer::of(ctx);
        let db = ctx.data_unchecked::<Db>();
        let settings: Vec<(NotificationKind, bool)> = input
            .preferences
            .iter()
            .map(|p| (p.kind, p.enabled))
            .collect();
        let errors = match service::update_email_preferences(db, viewer, &settings).await? {
            Ok(()) => vec![],
            Err(errors) => errors,
        };
        Ok(UpdateEmailPreferencesPayload {
            preferences: preferences(db, viewer).await?,
            errors,
        })
    }
}

#[derive(Default)]
pub struct NotificationSubscription;

#[Subscription]
impl NotificationSubscription {
    /// The signed-in user's new notifications as they are written (the access token goes in
    /// `connection_init`). Ends when the token expires or the service shuts down.
    async fn notification_received(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = Notification> + use<>> {
        let claims = Viewer::of(ctx).require_signed_in()?;
        let user_id = claims.sub.clone();
        let expires =
            chrono::DateTime::from_timestamp(claims.exp, 0).ok_or(AppError::Unauthenticated)?;
        let until = (expires - Utc::now()).to_std().unwrap_or_default();
        let expiry = tokio::time::Instant::now() + until;
        let db = ctx.data_unchecked::<Db>().clone();
        let (receiver, shutdown) = ctx.data_unchecked::<Arc<Feed>>().subscribe();
        let state = (receiver, shutdown, db, user_id);
        Ok(async_graphql::futures_util::stream::unfold(
            state,
            move |(mut receiver, mut shutdown, db, user_id)| async move {
                loop {
                    let delivery = tokio::select! {
                        _ = feed::stopped(&mut shutdown) => return None,
                        _ = tokio::time::sleep_until(expiry) => return None,
                        delivery = receiver.recv() => delivery,
                    };
                    match delivery {
                        Ok(d) if d.user_id == user_id => {
                            match store::find_own(&db, &user_id, &d.notification_id).await {
                                Ok(Some(row)) => {
                                    let next = (receiver, shutdown, db, user_id);
                                    return Some((Notification(row), next));
                                }
                                Ok(None) => {}
                                Err(e) => {
                                    tracing::warn!(error = %e, "reading a notification failed")
                                }
                            }
                        }
                        Ok(_) => {}
                        Err(RecvError::Lagged(missed)) => {
                            tracing::warn!(
                                missed,
                                "a subscription fell behind the notification feed"
                            );
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}

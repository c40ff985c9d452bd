//! The inbox rules every door calls: a user reads and marks only their own notifications, and
//! chooses which kinds also come by e-mail.

use super::NotificationKind;
use super::store::{self, NotificationRow};
use crate::db::Db;
use crate::error::{AppResult, ErrorCode, Outcome, refuse};
use crate::pagination::{PageRequest, Rows};
use crate::viewer::Viewer;

/// Most notifications one request may mark by id.
pub const MAX_MARKED: usize = 100;

/// The signed-in user's notifications, newest first.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    unread_only: bool,
    page: PageRequest,
) -> AppResult<Rows<NotificationRow>> {
    let user = viewer.require_signed_in()?;
    Ok(Rows::page(
        store::list(db, &user.sub, unread_only, page).await?,
    ))
}

pub async fn unread_count(db: &Db, viewer: &Viewer) -> AppResult<i64> {
    let user = viewer.require_signed_in()?;
    Ok(store::count(db, &user.sub, true).await?)
}

/// Each kind of notification that may come by e-mail, and whether it does (all do, unless turned
/// off).
pub async fn email_preferences(
    db: &Db,
    viewer: &Viewer,
) -> AppResult<Vec<(NotificationKind, bool)>> {
    let user = viewer.require_signed_in()?;
    let disabled = store::email_disabled(db, &user.sub).await?;
    Ok(NotificationKind::ALL
        .into_iter()
        .filter(|kind| kind.by_email())
        .map(|kind| (kind, !disabled.iter().any(|d| d == kind.as_str())))
        .collect())
}

/// Marks the signed-in user's notifications read: the given ones (1 to [`MAX_MARKED`]), or every
/// unread one when `ids` is `None`. Ids of other users' notifications are ignored. Answers how
/// many were unread and are now read.
pub async fn mark_read(
    db: &Db,
    viewer: &Viewer,
    ids: Option<&[String]>,
) -> AppResult<Outcome<i64>> {
    let user = viewer.require_signed_in()?;
    if ids.is_some_and(|ids| ids.is_empty() || ids.len() > MAX_MARKED) {
        return Ok(refuse(
            &["ids"],
            ErrorCode::OutOfRange,
            "请选择 1 至 100 条通知，或选择全部标为已读",
        ));
    }
    let marked = store::mark_read(db, &user.sub, ids).await?;
    Ok(Ok(marked as i64))
}

/// Turns e-mail for kinds of notification on or off; the in-app notifications stay.
pub async fn update_email_preferences(
    db: &Db,
    viewer: &Viewer,
    settings: &[(NotificationKind, bool)],
) -> AppResult<Outcome<()>> {
    let user = viewer.require_signed_in()?;
    if settings.is_empty() {
        return Ok(refuse(
            &["preferences"],
            ErrorCode::Required,
            "请至少设置一类通知",
        ));
    }
    if let Some((kind, _)) = settings.iter().find(|(kind, _)| !kind.by_email()) {
        return Ok(refuse(
            &["preferences"],
            ErrorCode::Invalid,
            format!(
                "「{}」只在站内通知，不单独发邮件；邮件请设置「{}」",
                kind.label(),
                NotificationKind::SavedSearchDigest.label()
            ),
        ));
    }
    store::set_email_preferences(db, &user.sub, settings).await?;
    Ok(Ok(()))
}

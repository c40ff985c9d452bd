//! The e-mail rules every door calls: only admins see failed e-mails and put them back in line.

use super::outbox::{self, OutboxRow};
use crate::db::Db;
use crate::error::{AppResult, ErrorCode, Outcome, UserError, refuse};
use crate::pagination::{PageRequest, Rows};
use crate::viewer::Viewer;

/// Most e-mails one request may retry.
pub const MAX_RETRIED: usize = 100;

/// Admin: e-mails that failed every attempt, newest first.
pub async fn failed(db: &Db, viewer: &Viewer, page: PageRequest) -> AppResult<Rows<OutboxRow>> {
    viewer.require_admin()?;
    Ok(Rows::page(outbox::failed(db, page).await?))
}

/// Admin: sends failed e-mails again, with a fresh count of attempts. Answers the ids put back
/// in line, and a note when some of the given ones were not failed e-mails (they are skipped).
pub async fn retry(
    db: &Db,
    viewer: &Viewer,
    ids: &[String],
) -> AppResult<Outcome<(Vec<String>, Vec<UserError>)>> {
    viewer.require_admin()?;
    if ids.is_empty() || ids.len() > MAX_RETRIED {
        return Ok(refuse(
            &["ids"],
            ErrorCode::OutOfRange,
            "请选择 1 至 100 封邮件",
        ));
    }
    let retried = outbox::retry(db, ids).await?;
    let skipped = if retried.len() < ids.len() {
        vec![UserError::new(
            &["ids"],
            ErrorCode::InvalidTransition,
            "部分邮件不存在或并非发送失败状态，已跳过",
        )]
    } else {
        vec![]
    };
    Ok(Ok((retried, skipped)))
}

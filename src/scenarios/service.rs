//! The scenario rules every door calls: who may see and change a scenario, what a valid one is,
//! and which lifecycle step is allowed for whom. Each write is one transaction.

use chrono::NaiveDate;

use super::documents;
use super::machine::{RULES, ScenarioStatus, Step};
use super::store::{self, ScenarioRow};
use crate::db::Db;
use crate::error::AppResult;
use crate::machine::lookup;
use crate::search::LiveIndex;

/// Closes every PUBLISHED scenario whose deadline is before `today` (the service's own step,
/// with no human actor); the event handlers end its unselected matches in the same
/// transaction. Scenarios in MATCHING stay open. Takes them out of the matching index and
/// returns them.
pub async fn close_expired(
    db: &Db,
    index: &LiveIndex,
    today: NaiveDate,
) -> AppResult<Vec<ScenarioRow>> {
    let rule = lookup(RULES, ScenarioStatus::Published, Step::Expire)
        .expect("the lifecycle closes expired scenarios");
    let mut closed = Vec::new();
    for row in store::expired(db, today).await? {
        // A scenario that changed meanwhile (an approved match, an extension) is left alone.
        match store::transition(db, &row, rule, None, Some("截止日期已过，系统自动关闭")).await
        {
            Ok(Some(row)) => {
                documents::sync(index, &row);
                closed.push(row);
            }
            Ok(None) => {}
            Err(e) if crate::db::is_stale(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(closed)
}

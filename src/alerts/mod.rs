//! Saved searches and alerts (订阅与提醒): a signed-in user saves a search of either list and
//! hears of newly published items it finds, at once in the app (INSTANT) and in a daily e-mail
//! digest; enterprises get a weekly digest of new scenarios that recommend their capabilities.
//!
//! When a scenario is published or a capability listed, [`on_event`] queues it in the
//! publishing transaction; the scheduled `alerts` job checks the queue against the saved
//! searches (`service::check_new_items`), and the `daily-digest` and `weekly-recommendations`
//! jobs send the digests (README, "Saved searches and alerts").

mod graphql;
pub mod service;
pub mod store;

pub use graphql::{AlertMutation, AlertQuery};

use async_graphql::Enum;
use futures_util::future::BoxFuture;

use crate::db::Tx;
use crate::events::NewEvent;

/// The list a saved search searches.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SavedSearchList {
    /// 机会清单 (scenarios)
    Opportunity,
    /// 能力清单 (capabilities)
    Capability,
}

impl SavedSearchList {
    pub fn as_str(self) -> &'static str {
        match self {
            SavedSearchList::Opportunity => "OPPORTUNITY",
            SavedSearchList::Capability => "CAPABILITY",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [SavedSearchList::Opportunity, SavedSearchList::Capability]
            .into_iter()
            .find(|l| l.as_str() == s)
    }

    /// The aggregate its items are, as in the event log.
    pub fn item_type(self) -> &'static str {
        match self {
            SavedSearchList::Opportunity => crate::scenarios::store::AGGREGATE,
            SavedSearchList::Capability => crate::capabilities::store::AGGREGATE,
        }
    }
}

/// How soon a saved search tells of what it finds.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum AlertFrequency {
    /// 即时：an in-app notification (live) as soon as an item is found, and the daily e-mail
    /// digest.
    Instant,
    /// 每日：one in-app notification and one e-mail a day with everything found.
    #[default]
    Daily,
}

impl AlertFrequency {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertFrequency::Instant => "INSTANT",
            AlertFrequency::Daily => "DAILY",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [AlertFrequency::Instant, AlertFrequency::Daily]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

/// The event handler: queues a scenario that is published, or a capability that is listed,
/// for the saved searches, in its publishing transaction.
pub fn on_event<'a>(
    tx: &'a mut Tx,
    event: &'a NewEvent<'a>,
) -> BoxFuture<'a, Result<(), sqlx::Error>> {
    Box::pin(async move {
        let published = match event.aggregate_type {
            crate::scenarios::store::AGGREGATE => event.to_status == Some("PUBLISHED"),
            crate::capabilities::store::AGGREGATE => event.to_status == Some("LISTED"),
            _ => false,
        };
        if published && event.from_status != event.to_status {
            store::enqueue(tx, event.aggregate_type, event.aggregate_id).await?;
        }
        Ok(())
    })
}

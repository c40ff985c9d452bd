use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use super::store::{CapabilityRow, find_many};
use crate::db::Db;

/// Batches capability lookups of one request (edition items, matches) into one query.
pub struct CapabilityLoader {
    db: Db,
}

impl CapabilityLoader {
    pub fn new(db: Db) -> Self {
        CapabilityLoader { db }
    }
}

impl Loader<String> for CapabilityLoader {
    type Value = CapabilityRow;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, CapabilityRow>, Self::Error> {
        let rows = find_many(&self.db, keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
    }
}

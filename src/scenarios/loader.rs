use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use super::store::{ScenarioRow, find_many};
use crate::db::Db;

/// Batches scenario lookups of one request (edition items, matches) into one query.
pub struct ScenarioLoader {
    db: Db,
}

impl ScenarioLoader {
    pub fn new(db: Db) -> Self {
        ScenarioLoader { db }
    }
}

impl Loader<String> for ScenarioLoader {
    type Value = ScenarioRow;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, ScenarioRow>, Self::Error> {
        let rows = find_many(&self.db, keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
    }
}

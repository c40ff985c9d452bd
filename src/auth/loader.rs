use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use super::service::{UserRow, find_users};
use crate::db::Db;

/// Batches user lookups of one request (timeline actors, authors) into one query.
pub struct UserLoader {
    db: Db,
}

impl UserLoader {
    pub fn new(db: Db) -> Self {
        UserLoader { db }
    }
}

impl Loader<String> for UserLoader {
    type Value = UserRow;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, UserRow>, Self::Error> {
        let rows = find_users(&self.db, keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
    }
}

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use super::OrganizationRow;
use crate::db::Db;

/// Batches organization lookups of one request into one query. Created per request.
pub struct OrganizationLoader {
    db: Db,
}

impl OrganizationLoader {
    pub fn new(db: Db) -> Self {
        OrganizationLoader { db }
    }
}

impl Loader<String> for OrganizationLoader {
    type Value = OrganizationRow;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, OrganizationRow>, Self::Error> {
        let rows = super::find_many(&self.db, keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
    }
}

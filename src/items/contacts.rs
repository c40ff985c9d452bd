//! Whom an item shares its contact with besides its own organization and admins: the
//! organizations on the other side of a match that shares contacts.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use crate::db::{Db, Sql};

/// The match statuses in which both parties see each other's contact (from CONNECTED on; the
/// matches slice keeps its lifecycle equal to this list).
pub const CONTACT_SHARING_STATUSES: [&str; 3] = ["CONNECTED", "SELECTED", "LANDED"];

/// For each scenario or capability id: the organizations on the other side of a match that
/// shares contacts (CONNECTED, SELECTED, LANDED). Batches one request's lookups into a query.
pub struct ContactPartnersLoader {
    db: Db,
}

impl ContactPartnersLoader {
    pub fn new(db: Db) -> Self {
        ContactPartnersLoader { db }
    }
}

#[derive(sqlx::FromRow)]
struct PartnerRow {
    scenario_id: String,
    capability_id: String,
    scenario_org: String,
    capability_org: String,
}

impl Loader<String> for ContactPartnersLoader {
    type Value = Vec<String>;
    type Error = Arc<sqlx::Error>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<String>>, Self::Error> {
        let mut sql = Sql::new(
            "SELECT m.scenario_id, m.capability_id, s.org_id AS scenario_org, \
             c.org_id AS capability_org FROM matches m \
             JOIN scenarios s ON s.id = m.scenario_id JOIN capabilities c ON c.id = m.capability_id \
             WHERE m.status IN (",
        );
        let statuses = CONTACT_SHARING_STATUSES.map(str::to_owned);
        sql.bind_list(&statuses).push(") AND (m.scenario_id IN (");
        sql.bind_list(keys).push(") OR m.capability_id IN (");
        sql.bind_list(keys).push("))");
        let (text, args) = sql.build();
        let mut reader = self.db.reader().await.map_err(Arc::new)?;
        let rows = sqlx::query_as_with(text, args)
            .fetch_all(&mut *reader)
            .await;
        let rows: Vec<PartnerRow> = reader.done(rows).map_err(Arc::new)?;
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for row in rows {
            out.entry(row.scenario_id)
                .or_default()
                .push(row.capability_org);
            out.entry(row.capability_id)
                .or_default()
                .push(row.scenario_org);
        }
        Ok(out)
    }
}

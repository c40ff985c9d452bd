//! What the live index holds, read from the two lists: the [`Documents`] the service starts its
//! index with.

use crate::db::Db;
use crate::matching::{CapabilityDoc, ScenarioDoc};
use crate::search::{Documents, Loaded};
use crate::{capabilities, scenarios, thesaurus};

/// The documents of the scenarios and capabilities in a database.
pub struct ListDocuments {
    db: Db,
}

impl ListDocuments {
    pub fn new(db: Db) -> Self {
        ListDocuments { db }
    }
}

impl Documents for ListDocuments {
    fn all(&self) -> Loaded<'_, (Vec<ScenarioDoc>, Vec<CapabilityDoc>)> {
        Box::pin(async move {
            let scenarios = scenarios::documents::open(&self.db).await?;
            let capabilities = capabilities::documents::matchable(&self.db).await?;
            Ok((scenarios, capabilities))
        })
    }

    fn scenario<'a>(&'a self, id: &'a str) -> Loaded<'a, Option<ScenarioDoc>> {
        Box::pin(scenarios::documents::indexed(&self.db, id))
    }

    fn capability<'a>(&'a self, id: &'a str) -> Loaded<'a, Option<CapabilityDoc>> {
        Box::pin(capabilities::documents::indexed(&self.db, id))
    }

    fn of_organization<'a>(
        &'a self,
        org_id: &'a str,
    ) -> Loaded<'a, Vec<(String, Option<CapabilityDoc>)>> {
        Box::pin(capabilities::documents::of_organization(&self.db, org_id))
    }

    fn thesaurus(&self) -> Loaded<'_, Vec<Vec<String>>> {
        Box::pin(thesaurus::store::all_words(&self.db))
    }
}

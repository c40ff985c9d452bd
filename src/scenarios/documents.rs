//! Scenarios as the matching engine reads them. Only open scenarios (PUBLISHED, MATCHING) are
//! candidates.

use super::store::{self, COLUMNS, ScenarioRow};
use crate::db::Db;
use crate::matching::ScenarioDoc;
use crate::search::LiveIndex;

impl ScenarioRow {
    /// The scenario as a query or a candidate of the engine.
    pub fn document(&self) -> ScenarioDoc {
        ScenarioDoc {
            id: self.id.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            description: self.description.whole().to_owned(),
            tags: self.tags(),
            industries: self.industry_codes(),
            region: self.region_code.clone(),
            maturity_required: self.maturity_required.and_then(|m| u8::try_from(m).ok()),
            budget_min: self.budget_min.map(|b| b as f64),
            budget_max: self.budget_max.map(|b| b as f64),
        }
    }

    /// The document when the scenario belongs in the index (it is open), else `None`.
    pub fn indexed_document(&self) -> Option<ScenarioDoc> {
        self.status().is_open().then(|| self.document())
    }
}

/// Every open scenario.
pub async fn open(db: &Db) -> Result<Vec<ScenarioDoc>, sqlx::Error> {
    let rows: Vec<ScenarioRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM scenarios WHERE status IN ('PUBLISHED', 'MATCHING')"
    )))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(ScenarioRow::document).collect())
}

/// The scenario's document if it is open now.
pub async fn indexed(db: &Db, id: &str) -> Result<Option<ScenarioDoc>, sqlx::Error> {
    Ok(store::find(db, id)
        .await?
        .and_then(|row| row.indexed_document()))
}

/// Tells the index that `row` changed: it goes in when open and out otherwise.
pub fn sync(index: &LiveIndex, row: &ScenarioRow) {
    index.put_scenario(&row.id, row.indexed_document().as_ref());
}

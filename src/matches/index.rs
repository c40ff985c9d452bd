//! The live matching index: the engine loaded with every open scenario and every listed
//! capability of a verified organization, kept current as items change (in place, one item at
//! a time).

use std::sync::{Arc, OnceLock, RwLock};

use crate::capabilities::{CapabilityRow, CapabilityStatus};
use crate::db::Db;
use crate::matching::{CapabilityDoc, Engine, Ranked, ScenarioDoc, Tokenizer};
use crate::scenarios::{ScenarioRow, ScenarioStatus};
use crate::taxonomy::Taxonomy;

pub struct LiveIndex {
    engine: RwLock<Engine>,
    taxonomy: Arc<Taxonomy>,
    tokenizer: Arc<Tokenizer>,
}

/// The tokenizer of the bundled taxonomy, built once per process (loading jieba's dictionary
/// takes a moment) and shared by every index.
fn shared_tokenizer(taxonomy: &Taxonomy) -> Arc<Tokenizer> {
    static TOKENIZER: OnceLock<Arc<Tokenizer>> = OnceLock::new();
    TOKENIZER
        .get_or_init(|| Arc::new(Engine::tokenizer_for(&taxonomy.matching_world())))
        .clone()
}

impl std::fmt::Debug for LiveIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveIndex")
    }
}

pub fn scenario_doc(row: &ScenarioRow) -> ScenarioDoc {
    ScenarioDoc {
        id: row.id.clone(),
        title: row.title.clone(),
        summary: row.summary.clone(),
        description: row.description.clone(),
        tags: row.tags(),
        industries: row.industry_codes(),
        region: row.region_code.clone(),
        maturity_required: row.maturity_required.and_then(|m| u8::try_from(m).ok()),
        budget_min: row.budget_min.map(|b| b as f64),
        budget_max: row.budget_max.map(|b| b as f64),
    }
}

pub fn capability_doc(row: &CapabilityRow, home_region: &str) -> CapabilityDoc {
    CapabilityDoc {
        id: row.id.clone(),
        title: row.title.clone(),
        summary: row.summary.clone(),
        description: row.description.clone(),
        tags: row.tags(),
        industries: row.industry_codes(),
        region: home_region.to_owned(),
        service_regions: row.service_region_codes(),
        maturity: u8::try_from(row.maturity).ok(),
        price_min: row.price_min.map(|p| p as f64),
        price_max: row.price_max.map(|p| p as f64),
        landed_cases: row.cases().len() as u32,
    }
}

/// Capability rows with their organization's region and status, for the index.
#[derive(sqlx::FromRow)]
struct IndexedCapability {
    #[sqlx(flatten)]
    row: CapabilityRow,
    org_region: String,
    org_status: String,
}

impl LiveIndex {
    pub fn empty(taxonomy: Arc<Taxonomy>) -> LiveIndex {
        let tokenizer = shared_tokenizer(&taxonomy);
        LiveIndex {
            engine: RwLock::new(Engine::with_tokenizer(
                taxonomy.matching_world(),
                tokenizer.clone(),
            )),
            taxonomy,
            tokenizer,
        }
    }

    /// Builds the index from the database.
    pub async fn load(db: &Db, taxonomy: Arc<Taxonomy>) -> Result<LiveIndex, sqlx::Error> {
        let index = LiveIndex::empty(taxonomy);
        index.reload(db).await?;
        Ok(index)
    }

    /// Replaces the whole content with what the database holds now.
    pub async fn reload(&self, db: &Db) -> Result<(), sqlx::Error> {
        let scenarios: Vec<ScenarioRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM scenarios WHERE status IN ('PUBLISHED', 'MATCHING')",
            crate::scenarios::store::COLUMNS
        )))
        .fetch_all(db.pool())
        .await?;
        let capabilities = self
            .capabilities_where(db, "c.status IN ('LISTED', 'FEATURED')", None)
            .await?;
        let mut engine =
            Engine::with_tokenizer(self.taxonomy.matching_world(), self.tokenizer.clone());
        for row in &scenarios {
            engine.upsert_scenario(&scenario_doc(row));
        }
        for c in &capabilities {
            if c.org_status == "VERIFIED" {
                engine.upsert_capability(&capability_doc(&c.row, &c.org_region));
            }
        }
        *self.engine.write().expect("index lock") = engine;
        Ok(())
    }

    async fn capabilities_where(
        &self,
        db: &Db,
        condition: &str,
        bind: Option<&str>,
    ) -> Result<Vec<IndexedCapability>, sqlx::Error> {
        let columns: Vec<String> = crate::capabilities::store::COLUMNS
            .split(',')
            .map(|c| format!("c.{}", c.trim()))
            .collect();
        let sql = format!(
            "SELECT {}, o.region_code AS org_region, o.status AS org_status \
             FROM capabilities c JOIN organizations o ON o.id = c.org_id WHERE {condition}",
            columns.join(", ")
        );
        let query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        match bind {
            Some(value) => query.bind(value.to_owned()).fetch_all(db.pool()).await,
            None => query.fetch_all(db.pool()).await,
        }
    }

    /// Puts a scenario in or takes it out, after its state changed.
    pub fn sync_scenario(&self, row: &ScenarioRow) {
        let mut engine = self.engine.write().expect("index lock");
        if matches!(
            row.status(),
            ScenarioStatus::Published | ScenarioStatus::Matching
        ) {
            engine.upsert_scenario(&scenario_doc(row));
        } else {
            engine.remove_scenario(&row.id);
        }
    }

    /// Re-reads a scenario changed elsewhere (another instance) and puts it in or takes it out.
    pub async fn sync_scenario_by_id(&self, db: &Db, id: &str) {
        match crate::scenarios::store::find(db, id).await {
            Ok(Some(row)) => self.sync_scenario(&row),
            Ok(None) => {
                self.engine.write().expect("index lock").remove_scenario(id);
            }
            Err(e) => tracing::warn!(error = %e, scenario = id, "matching index not updated"),
        }
    }

    /// Puts a capability in or takes it out, after it changed. The change is committed by then;
    /// a failure to read it back is logged and leaves the index a step behind, never the write.
    pub async fn sync_capability(&self, db: &Db, id: &str) {
        match self.capabilities_where(db, "c.id = $1", Some(id)).await {
            Ok(rows) => self.apply(id, rows.first()),
            Err(e) => tracing::warn!(error = %e, capability = id, "matching index not updated"),
        }
    }

    /// Re-reads every capability of an organization (after its verification).
    pub async fn sync_organization(&self, db: &Db, org_id: &str) {
        match self
            .capabilities_where(db, "c.org_id = $1", Some(org_id))
            .await
        {
            Ok(rows) => {
                for row in &rows {
                    self.apply(&row.row.id, Some(row));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, organization = org_id, "matching index not updated")
            }
        }
    }

    fn apply(&self, id: &str, row: Option<&IndexedCapability>) {
        let mut engine = self.engine.write().expect("index lock");
        match row {
            Some(c)
                if c.org_status == "VERIFIED"
                    && matches!(
                        c.row.status(),
                        CapabilityStatus::Listed | CapabilityStatus::Featured
                    ) =>
            {
                engine.upsert_capability(&capability_doc(&c.row, &c.org_region));
            }
            _ => {
                engine.remove_capability(id);
            }
        }
    }

    pub fn rank_capabilities(&self, scenario: &ScenarioDoc, limit: usize) -> Vec<Ranked> {
        self.engine
            .read()
            .expect("index lock")
            .rank_capabilities(scenario, limit)
    }

    pub fn explain(&self, scenario: &ScenarioDoc, capability_id: &str) -> Option<Ranked> {
        self.engine
            .read()
            .expect("index lock")
            .explain(scenario, capability_id)
    }

    pub fn rank_scenarios(&self, capability: &CapabilityDoc, limit: usize) -> Vec<Ranked> {
        self.engine
            .read()
            .expect("index lock")
            .rank_scenarios(capability, limit)
    }

    pub fn search_scenarios(&self, query: &str, limit: usize) -> Vec<(String, f32)> {
        self.engine
            .read()
            .expect("index lock")
            .search_scenarios(query, limit)
    }

    pub fn search_capabilities(&self, query: &str, limit: usize) -> Vec<(String, f32)> {
        self.engine
            .read()
            .expect("index lock")
            .search_capabilities(query, limit)
    }

    pub fn counts(&self) -> (usize, usize) {
        let engine = self.engine.read().expect("index lock");
        (engine.scenario_count(), engine.capability_count())
    }
}

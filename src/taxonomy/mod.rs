//! Reference data: regions, the two-level industry taxonomy and the scenario categories. The
//! source is `seeds/taxonomy.json`; it is written into the database at start-up (idempotently, so
//! that foreign keys hold) and kept in memory, where every lookup is answered without a query.

mod graphql;

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::Enum;
use serde::Deserialize;

use crate::db::Db;

pub use graphql::{Industry, Region, ScenarioCategory, TaxonomyQuery};

const SEED: &str = include_str!("../../seeds/taxonomy.json");

/// The plan's two groups of counties.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegionGroup {
    /// 平川六县（区）：晋商文化、先进制造
    Pingchuan,
    /// 东山五县：太行生态、康养、红色文化
    Dongshan,
}

impl RegionGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionGroup::Pingchuan => "PINGCHUAN",
            RegionGroup::Dongshan => "DONGSHAN",
        }
    }

    pub fn parse(s: &str) -> Option<RegionGroup> {
        match s {
            "PINGCHUAN" => Some(RegionGroup::Pingchuan),
            "DONGSHAN" => Some(RegionGroup::Dongshan),
            _ => None,
        }
    }
}

/// The code of the city as a whole: a service region of 140700 covers every county.
pub const CITY_REGION: &str = "140700";

#[derive(Debug, Clone, Deserialize)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub group: Option<String>,
    #[serde(default)]
    pub cluster: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IndustryRow {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CategoryRow {
    pub code: String,
    pub name: String,
    pub about: String,
}

#[derive(Debug, Deserialize)]
struct Seed {
    regions: Vec<RegionRow>,
    industries: Vec<IndustryRow>,
    #[serde(rename = "scenarioCategories")]
    scenario_categories: Vec<CategoryRow>,
}

/// The reference data, in the seed's order.
#[derive(Debug)]
pub struct Taxonomy {
    pub regions: Vec<RegionRow>,
    pub industries: Vec<IndustryRow>,
    pub categories: Vec<CategoryRow>,
    region_index: HashMap<String, usize>,
    industry_index: HashMap<String, usize>,
}

impl Taxonomy {
    /// The taxonomy shipped in `seeds/taxonomy.json`.
    pub fn bundled() -> Arc<Taxonomy> {
        let seed: Seed = serde_json::from_str(SEED).expect("seeds/taxonomy.json is valid");
        Arc::new(Taxonomy::new(seed))
    }

    fn new(seed: Seed) -> Taxonomy {
        let region_index = seed
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.clone(), i))
            .collect();
        let industry_index = seed
            .industries
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.clone(), i))
            .collect();
        Taxonomy {
            regions: seed.regions,
            industries: seed.industries,
            categories: seed.scenario_categories,
            region_index,
            industry_index,
        }
    }

    pub fn region(&self, code: &str) -> Option<&RegionRow> {
        self.region_index.get(code).map(|&i| &self.regions[i])
    }

    pub fn industry(&self, code: &str) -> Option<&IndustryRow> {
        self.industry_index.get(code).map(|&i| &self.industries[i])
    }

    /// A scenario category by code (three of them: a scan is the index).
    pub fn category(&self, code: &str) -> Option<&CategoryRow> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// How many industries a list of them can hold: (clusters, all, most children of one
    /// cluster). Query complexity counts nested industry lists by these.
    pub fn industry_bounds(&self) -> (usize, usize, usize) {
        let clusters = self.industries.iter().filter(|i| i.parent.is_none());
        let most_children = clusters
            .clone()
            .map(|c| self.children(&c.code).count())
            .max()
            .unwrap_or(0);
        (clusters.count(), self.industries.len(), most_children)
    }

    pub fn children(&self, code: &str) -> impl Iterator<Item = &IndustryRow> {
        self.industries
            .iter()
            .filter(move |i| i.parent.as_deref() == Some(code))
    }

    /// Writes the reference data into the database; running it again changes nothing but names.
    pub async fn seed(&self, db: &Db) -> anyhow::Result<()> {
        let mut tx = db.begin().await?;
        for (i, r) in self.regions.iter().enumerate() {
            sqlx::query(
                "INSERT INTO regions (code, name, kind, region_group, cluster, sort_order) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE SET \
                 name = excluded.name, kind = excluded.kind, region_group = excluded.region_group, \
                 cluster = excluded.cluster, sort_order = excluded.sort_order",
            )
            .bind(&r.code)
            .bind(&r.name)
            .bind(&r.kind)
            .bind(&r.group)
            .bind(&r.cluster)
            .bind(i as i64)
            .execute(&mut *tx)
            .await?;
        }
        // Parents come before their children in the seed, so the foreign key holds row by row.
        for (i, r) in self.industries.iter().enumerate() {
            sqlx::query(
                "INSERT INTO industries (code, name, parent_code, sort_order) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                 parent_code = excluded.parent_code, sort_order = excluded.sort_order",
            )
            .bind(&r.code)
            .bind(&r.name)
            .bind(&r.parent)
            .bind(i as i64)
            .execute(&mut *tx)
            .await?;
        }
        for (i, r) in self.categories.iter().enumerate() {
            sqlx::query(
                "INSERT INTO scenario_categories (code, name, about, sort_order) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, about = excluded.about, \
                 sort_order = excluded.sort_order",
            )
            .bind(&r.code)
            .bind(&r.name)
            .bind(&r.about)
            .bind(i as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Taxonomy {
    /// What the matching engine needs to know of the city.
    pub fn matching_world(&self) -> crate::matching::World {
        crate::matching::World {
            industries: self
                .industries
                .iter()
                .map(|i| (i.code.clone(), (i.name.clone(), i.parent.clone())))
                .collect(),
            regions: self
                .regions
                .iter()
                .map(|r| (r.code.clone(), (r.name.clone(), r.group.clone())))
                .collect(),
            city: CITY_REGION.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_taxonomy_is_complete_and_consistent() {
        let t = Taxonomy::bundled();
        assert_eq!(t.regions.len(), 12);
        assert_eq!(t.categories.len(), 3);
        assert_eq!(t.region(CITY_REGION).unwrap().name, "晋中市");
        for industry in &t.industries {
            if let Some(parent) = &industry.parent {
                let parent_pos = t.industries.iter().position(|i| &i.code == parent);
                let own_pos = t.industries.iter().position(|i| i.code == industry.code);
                assert!(
                    parent_pos < own_pos,
                    "{} listed before its parent",
                    industry.code
                );
            }
        }
        assert_eq!(t.children("MT").count(), 6);
        assert!(t.industry("XX01").is_none());
    }
}

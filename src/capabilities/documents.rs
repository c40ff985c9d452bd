//! Capabilities as the matching engine reads them. Only LISTED and FEATURED capabilities of
//! verified organizations are candidates; a capability's home region is its organization's.

use super::machine::CapabilityStatus;
use super::store::{COLUMNS, CapabilityRow};
use crate::db::Db;
use crate::matching::CapabilityDoc;

impl CapabilityRow {
    /// The capability as a query or a candidate of the engine.
    pub fn document(&self, home_region: &str) -> CapabilityDoc {
        CapabilityDoc {
            id: self.id.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            description: self.description.whole().to_owned(),
            tags: self.tags(),
            industries: self.industry_codes(),
            region: home_region.to_owned(),
            service_regions: self.service_region_codes(),
            maturity: u8::try_from(self.maturity).ok(),
            price_min: self.price_min.map(|p| p as f64),
            price_max: self.price_max.map(|p| p as f64),
            landed_cases: self.cases().len() as u32,
        }
    }
}

/// A capability row with its organization's region and status.
#[derive(sqlx::FromRow)]
struct WithOrganization {
    #[sqlx(flatten)]
    row: CapabilityRow,
    org_region: String,
    org_status: String,
}

impl WithOrganization {
    fn indexed_document(&self) -> Option<CapabilityDoc> {
        let listed = matches!(
            self.row.status(),
            CapabilityStatus::Listed | CapabilityStatus::Featured
        );
        (listed && self.org_status == "VERIFIED").then(|| self.row.document(&self.org_region))
    }
}

async fn with_organization(
    db: &Db,
    condition: &str,
    bind: Option<&str>,
) -> Result<Vec<WithOrganization>, sqlx::Error> {
    let columns: Vec<String> = COLUMNS
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

/// Every matchable capability.
pub async fn matchable(db: &Db) -> Result<Vec<CapabilityDoc>, sqlx::Error> {
    let rows = with_organization(db, "c.status IN ('LISTED', 'FEATURED')", None).await?;
    Ok(rows.iter().filter_map(|c| c.indexed_document()).collect())
}

/// The capability's document if it is matchable now.
pub async fn indexed(db: &Db, id: &str) -> Result<Option<CapabilityDoc>, sqlx::Error> {
    let rows = with_organization(db, "c.id = $1", Some(id)).await?;
    Ok(rows.first().and_then(|c| c.indexed_document()))
}

/// Every capability of an organization, with its document when it is matchable.
pub async fn of_organization(
    db: &Db,
    org_id: &str,
) -> Result<Vec<(String, Option<CapabilityDoc>)>, sqlx::Error> {
    let rows = with_organization(db, "c.org_id = $1", Some(org_id)).await?;
    Ok(rows
        .iter()
        .map(|c| (c.row.id.clone(), c.indexed_document()))
        .collect())
}

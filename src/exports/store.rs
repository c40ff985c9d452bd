//! The entries of an edition with the public content of their items: one statement per sheet.

use crate::db::{Db, Sql};

/// A scenario entry: code and title as published; the rest while the scenario is public.
#[derive(sqlx::FromRow, Debug)]
pub struct OpportunityEntry {
    pub seq: i64,
    pub code: Option<String>,
    pub title: Option<String>,
    pub unit: Option<String>,
    pub region_code: Option<String>,
    pub industry_codes: Option<String>,
    pub category: Option<String>,
    pub budget_min: Option<i64>,
    pub budget_max: Option<i64>,
    pub deadline: Option<String>,
    pub summary: Option<String>,
}

/// A capability entry: code and title as published; the rest while the capability is listed.
#[derive(sqlx::FromRow, Debug)]
pub struct CapabilityEntry {
    pub seq: i64,
    pub code: Option<String>,
    pub title: Option<String>,
    pub provider: Option<String>,
    pub industry_codes: Option<String>,
    pub maturity: Option<i64>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub service_region_codes: Option<String>,
    pub summary: Option<String>,
}

pub async fn opportunity_entries(
    db: &Db,
    edition_id: &str,
    public_statuses: &[String],
) -> Result<Vec<OpportunityEntry>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT ei.seq, ei.code, ei.title, o.name AS unit, s.region_code, s.industry_codes, \
         s.category, s.budget_min, s.budget_max, s.deadline, s.summary \
         FROM edition_items ei \
         LEFT JOIN scenarios s ON s.id = ei.item_id AND s.status IN (",
    );
    sql.bind_list(public_statuses)
        .push(
            ") LEFT JOIN organizations o ON o.id = s.org_id \
             WHERE ei.edition_id = ",
        )
        .bind(edition_id.to_owned())
        .push(" ORDER BY ei.seq, ei.item_id");
    let (text, args) = sql.build();
    sqlx::query_as_with(text, args).fetch_all(db.pool()).await
}

pub async fn capability_entries(
    db: &Db,
    edition_id: &str,
) -> Result<Vec<CapabilityEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT ei.seq, ei.code, ei.title, o.name AS provider, c.industry_codes, c.maturity, \
         c.price_min, c.price_max, c.service_region_codes, c.summary \
         FROM edition_items ei \
         LEFT JOIN capabilities c ON c.id = ei.item_id AND c.status IN ('LISTED', 'FEATURED') \
         LEFT JOIN organizations o ON o.id = c.org_id \
         WHERE ei.edition_id = $1 ORDER BY ei.seq, ei.item_id",
    )
    .bind(edition_id)
    .fetch_all(db.pool())
    .await
}

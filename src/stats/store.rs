//! The statistics' SQL: every figure is one grouped statement over the filtered rows, the same
//! on SQLite and PostgreSQL; nothing loads a table into memory.

use crate::db::{Db, Sql};

/// Which scenarios and capabilities the figures count, settled by the service.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Scenario statuses counted: every status, or the public ones.
    pub scenario_statuses: Vec<String>,
    /// Capability statuses counted as listed.
    pub capability_statuses: Vec<String>,
    /// `[from, to)` as stored timestamps: scenarios recorded, capabilities listed, in the year.
    pub period: Option<(String, String)>,
    pub region_codes: Option<Vec<String>>,
    /// Industries, clusters expanded to their sub-industries.
    pub industry_codes: Option<Vec<String>>,
    pub category: Option<String>,
}

impl Selection {
    /// ` WHERE …` over scenarios aliased `s`.
    fn scenarios(&self, sql: &mut Sql) {
        sql.push(" WHERE s.status IN (")
            .bind_list(&self.scenario_statuses)
            .push(")");
        if let Some((from, to)) = &self.period {
            sql.push(" AND s.created_at >= ")
                .bind(from.clone())
                .push(" AND s.created_at < ")
                .bind(to.clone());
        }
        if let Some(regions) = &self.region_codes {
            sql.and_in("s.region_code", regions);
        }
        if let Some(industries) = &self.industry_codes {
            sql.push(" AND s.id IN (SELECT scenario_id FROM scenario_industries WHERE 1 = 1")
                .and_in("industry_code", industries)
                .push(")");
        }
        if let Some(category) = &self.category {
            sql.push(" AND s.category = ").bind(category.clone());
        }
    }

    /// ` WHERE …` over capabilities aliased `c` and their organizations aliased `o`. The category
    /// is a scenario's; capabilities have none.
    fn capabilities(&self, sql: &mut Sql) {
        sql.push(" WHERE c.status IN (")
            .bind_list(&self.capability_statuses)
            .push(")");
        if let Some((from, to)) = &self.period {
            sql.push(" AND c.listed_at >= ")
                .bind(from.clone())
                .push(" AND c.listed_at < ")
                .bind(to.clone());
        }
        if let Some(regions) = &self.region_codes {
            sql.and_in("o.region_code", regions);
        }
        if let Some(industries) = &self.industry_codes {
            sql.push(" AND c.id IN (SELECT capability_id FROM capability_industries WHERE 1 = 1")
                .and_in("industry_code", industries)
                .push(")");
        }
    }
}

/// A key (a status, a region, a cluster…), how many, and a sum where one is asked for.
pub type Counted = (String, i64, i64);

async fn grouped(db: &Db, sql: Sql) -> Result<Vec<Counted>, sqlx::Error> {
    let (text, args) = sql.build();
    sqlx::query_as_with(text, args).fetch_all(db.pool()).await
}

/// Scenarios by the value of `column` of `scenarios s` (status, region_code, category).
pub async fn scenarios_by(
    db: &Db,
    selection: &Selection,
    column: &'static str,
) -> Result<Vec<Counted>, sqlx::Error> {
    let mut sql = Sql::new(&format!("SELECT s.{column}, COUNT(*), 0 FROM scenarios s"));
    selection.scenarios(&mut sql);
    sql.push(&format!(" GROUP BY s.{column}"));
    grouped(db, sql).await
}

/// Scenarios by region group (PINGCHUAN 平川, DONGSHAN 东山, CITY for the city level).
pub async fn scenarios_by_group(
    db: &Db,
    selection: &Selection,
) -> Result<Vec<Counted>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT COALESCE(r.region_group, 'CITY'), COUNT(*), 0 FROM scenarios s \
         JOIN regions r ON r.code = s.region_code",
    );
    selection.scenarios(&mut sql);
    sql.push(" GROUP BY COALESCE(r.region_group, 'CITY')");
    grouped(db, sql).await
}

/// The cluster of an industry of `alias`: its parent, or itself when it is a cluster.
const CLUSTER: &str = "COALESCE(i.parent_code, i.code)";

/// Scenarios by industry cluster: a scenario with industries in two clusters counts in each.
pub async fn scenarios_by_cluster(
    db: &Db,
    selection: &Selection,
) -> Result<Vec<Counted>, sqlx::Error> {
    let mut sql = Sql::new(&format!(
        "SELECT {CLUSTER}, COUNT(DISTINCT s.id), 0 FROM scenarios s \
         JOIN scenario_industries si ON si.scenario_id = s.id \
         JOIN industries i ON i.code = si.industry_code"
    ));
    selection.scenarios(&mut sql);
    sql.push(&format!(" GROUP BY {CLUSTER}"));
    grouped(db, sql).await
}

/// Landed and promoted scenarios and their investment (万元) by region.
pub async fn landed_by_region(db: &Db, selection: &Selection) -> Result<Vec<Counted>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT s.region_code, COUNT(*), CAST(COALESCE(SUM(s.outcome_investment), 0) AS BIGINT) \
         FROM scenarios s",
    );
    selection.scenarios(&mut sql);
    sql.push(" AND s.status IN ('LANDED', 'PROMOTED') GROUP BY s.region_code");
    grouped(db, sql).await
}

/// Landed and promoted scenarios and their investment (万元) by cluster. A scenario in two
/// clusters counts in each, with its whole investment.
pub async fn landed_by_cluster(
    db: &Db,
    selection: &Selection,
) -> Result<Vec<Counted>, sqlx::Error> {
    let mut sql = Sql::new(&format!(
        "SELECT cluster, COUNT(*), CAST(COALESCE(SUM(investment), 0) AS BIGINT) FROM (\
         SELECT DISTINCT s.id, {CLUSTER} AS cluster, s.outcome_investment AS investment \
         FROM scenarios s JOIN scenario_industries si ON si.scenario_id = s.id \
         JOIN industries i ON i.code = si.industry_code"
    ));
    selection.scenarios(&mut sql);
    sql.push(" AND s.status IN ('LANDED', 'PROMOTED')) landed GROUP BY cluster");
    grouped(db, sql).await
}

/// The furthest stage each scenario reached, by its current status and every status its
/// timeline entered (`rank` gives a status's stage, 0 for none), counted per stage.
pub async fn furthest_stages(
    db: &Db,
    selection: &Selection,
    rank: &(dyn Fn(&str) -> String + Sync),
) -> Result<Vec<Counted>, sqlx::Error> {
    let mut sql = Sql::new(&format!(
        "SELECT CAST(furthest AS TEXT), COUNT(*), 0 FROM (\
         SELECT id, MAX(stage) AS furthest FROM (\
         SELECT s.id, {} AS stage FROM scenarios s",
        rank("s.status")
    ));
    selection.scenarios(&mut sql);
    sql.push(&format!(
        " UNION ALL SELECT s.id, {} AS stage FROM scenarios s \
         JOIN events e ON e.aggregate_type = 'SCENARIO' AND e.aggregate_id = s.id",
        rank("e.to_status")
    ));
    selection.scenarios(&mut sql);
    sql.push(") steps GROUP BY id) reached GROUP BY furthest");
    grouped(db, sql).await
}

/// Matches of the selected scenarios by `column` (status, origin).
pub async fn matches_by(
    db: &Db,
    selection: &Selection,
    column: &'static str,
) -> Result<Vec<Counted>, sqlx::Error> {
    let mut sql = Sql::new(&format!(
        "SELECT m.{column}, COUNT(*), 0 FROM matches m JOIN scenarios s ON s.id = m.scenario_id"
    ));
    selection.scenarios(&mut sql);
    sql.push(&format!(" GROUP BY m.{column}"));
    grouped(db, sql).await
}

/// Matchmaking events in the selected regions (and starting in the selected year) by status.
pub async fn events_by_status(db: &Db, selection: &Selection) -> Result<Vec<Counted>, sqlx::Error> {
    let mut sql = Sql::new("SELECT e.status, COUNT(*), 0 FROM matchmaking_events e WHERE 1 = 1");
    event_filter(selection, &mut sql);
    sql.push(" GROUP BY e.status");
    grouped(db, sql).await
}

/// Registrations of those events by status.
pub async fn event_registrations_by_status(
    db: &Db,
    selection: &Selection,
) -> Result<Vec<Counted>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT r.status, COUNT(*), 0 FROM event_registrations r \
         JOIN matchmaking_events e ON e.id = r.event_id WHERE e.status <> 'DRAFT'",
    );
    event_filter(selection, &mut sql);
    sql.push(" GROUP BY r.status");
    grouped(db, sql).await
}

fn event_filter(selection: &Selection, sql: &mut Sql) {
    if let Some((from, to)) = &selection.period {
        sql.push(" AND e.starts_at >= ")
            .bind(from.clone())
            .push(" AND e.starts_at < ")
            .bind(to.clone());
    }
    if let Some(regions) = &selection.region_codes {
        sql.and_in("e.region_code", regions);
    }
}

/// Matches born at events (origin EVENT) of the selected scenarios, by status.
pub async fn event_matches_by_status(
    db: &Db,
    selection: &Selection,
) -> Result<Vec<Counted>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT m.status, COUNT(*), 0 FROM matches m JOIN scenarios s ON s.id = m.scenario_id",
    );
    selection.scenarios(&mut sql);
    sql.push(" AND m.origin = 'EVENT' GROUP BY m.status");
    grouped(db, sql).await
}

/// A capability with the most matches with the selected scenarios.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct TopCapability {
    pub id: String,
    pub code: Option<String>,
    pub title: String,
    pub organization: String,
    pub matches: i64,
}

/// The `limit` capabilities with the most matches with the selected scenarios, most first.
pub async fn top_capabilities(
    db: &Db,
    selection: &Selection,
    limit: i64,
) -> Result<Vec<TopCapability>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT c.id, c.code, c.title, o.name AS organization, COUNT(*) AS matches \
         FROM matches m JOIN scenarios s ON s.id = m.scenario_id \
         JOIN capabilities c ON c.id = m.capability_id \
         JOIN organizations o ON o.id = c.org_id",
    );
    selection.scenarios(&mut sql);
    sql.push(" GROUP BY c.id, c.code, c.title, o.name ORDER BY COUNT(*) DESC, c.code LIMIT ")
        .bind(limit);
    let (text, args) = sql.build();
    sqlx::query_as_with(text, args).fetch_all(db.pool()).await
}

/// Listed capabilities (featured ones among them counted in the sum) by the region of their
/// provider.
pub async fn capabilities_by_region(
    db: &Db,
    selection: &Selection,
) -> Result<Vec<Counted>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT o.region_code, COUNT(*), \
         SUM(CASE WHEN c.status = 'FEATURED' THEN 1 ELSE 0 END) \
         FROM capabilities c JOIN organizations o ON o.id = c.org_id",
    );
    selection.capabilities(&mut sql);
    sql.push(" GROUP BY o.region_code");
    grouped(db, sql).await
}

/// Listed capabilities (featured ones in the sum) by cluster; one in two clusters counts in each.
pub async fn capabilities_by_cluster(
    db: &Db,
    selection: &Selection,
) -> Result<Vec<Counted>, sqlx::Error> {
    let mut sql = Sql::new(&format!(
        "SELECT cluster, COUNT(*), SUM(featured) FROM (\
         SELECT DISTINCT c.id, {CLUSTER} AS cluster, \
         CASE WHEN c.status = 'FEATURED' THEN 1 ELSE 0 END AS featured \
         FROM capabilities c JOIN organizations o ON o.id = c.org_id \
         JOIN capability_industries ci ON ci.capability_id = c.id \
         JOIN industries i ON i.code = ci.industry_code"
    ));
    selection.capabilities(&mut sql);
    sql.push(") listed GROUP BY cluster");
    grouped(db, sql).await
}

/// Listed capabilities and the featured among them.
pub async fn capability_totals(db: &Db, selection: &Selection) -> Result<(i64, i64), sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN c.status = 'FEATURED' THEN 1 ELSE 0 END), 0) \
         AS BIGINT) FROM capabilities c JOIN organizations o ON o.id = c.org_id",
    );
    selection.capabilities(&mut sql);
    let (text, args) = sql.build();
    sqlx::query_as_with(text, args).fetch_one(db.pool()).await
}

/// The median days between the first entry into one stage and the first into the next, over the
/// selected scenarios that took both steps, and how many did. `start` and `end` are the statuses
/// of the two stages; no start statuses means the scenario's creation.
pub async fn median_days(
    db: &Db,
    selection: &Selection,
    start: &[String],
    end: &[String],
) -> Result<(Option<f64>, Option<i64>), sqlx::Error> {
    let days = db.backend().days_between("entered", "reached");
    let mut sql = Sql::new(&format!(
        "SELECT CAST(AVG(days) AS DOUBLE PRECISION), MAX(total) FROM (\
         SELECT days, ROW_NUMBER() OVER (ORDER BY days) AS n, COUNT(*) OVER () AS total FROM (\
         SELECT {days} AS days FROM (SELECT s.id, "
    ));
    if start.is_empty() {
        sql.push("MIN(s.created_at)");
    } else {
        sql.push("MIN(CASE WHEN e.to_status IN (")
            .bind_list(start)
            .push(") THEN e.at END)");
    }
    sql.push(" AS entered, MIN(CASE WHEN e.to_status IN (")
        .bind_list(end)
        .push(
            ") THEN e.at END) AS reached FROM scenarios s \
             JOIN events e ON e.aggregate_type = 'SCENARIO' AND e.aggregate_id = s.id",
        );
    selection.scenarios(&mut sql);
    sql.push(
        " GROUP BY s.id) steps WHERE entered IS NOT NULL AND reached IS NOT NULL) spans) ranked \
         WHERE n IN ((total + 1) / 2, (total + 2) / 2)",
    );
    let (text, args) = sql.build();
    sqlx::query_as_with(text, args).fetch_one(db.pool()).await
}

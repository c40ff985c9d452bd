//! The statistics' rules: who sees which figures, what a filter may ask, and how the grouped
//! counts become the figures. Every door (GraphQL, the public pages to come) calls [`stats`].

use chrono::{NaiveDate, TimeZone as _};

use super::model::*;
use super::store::{self, Counted, Selection};
use crate::activities::{EventStatus, RegistrationStatus};
use crate::capabilities::CapabilityStatus;
use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
use crate::items;
use crate::matches::MatchStatus;
use crate::matches::model::MatchOrigin;
use crate::scenarios::ScenarioStatus;
use crate::taxonomy::{RegionGroup, Taxonomy};
use crate::viewer::Viewer;

/// Most region or industry codes a filter may name.
pub const MAX_FILTER_CODES: usize = 50;

/// Capabilities in the ranking by matches.
const TOP_CAPABILITIES: i64 = 10;

/// What the figures are about; every part optional.
#[derive(Clone, Debug, Default)]
pub struct StatsFilter {
    /// Scenarios recorded and capabilities listed in this year (Asia/Shanghai).
    pub year: Option<i32>,
    /// Counties or districts (140700: the city level).
    pub region_codes: Option<Vec<String>>,
    pub region_group: Option<RegionGroup>,
    /// Industries or clusters (a cluster stands for its sub-industries).
    pub industry_codes: Option<Vec<String>>,
    /// A scenario category (capabilities have none and are not narrowed by it).
    pub category: Option<String>,
}

/// The figures `viewer` may see for `filter`: everything for administrators, and for a county
/// manager whose filter is their region alone; what published items tell for everyone else
/// (signed in or not).
pub async fn stats(
    db: &Db,
    taxonomy: &Taxonomy,
    viewer: &Viewer,
    filter: &StatsFilter,
) -> AppResult<Stats> {
    // A county manager sees every stage of their own region's figures.
    let own_region = viewer.asks_for_own_county(
        filter.region_codes.as_deref(),
        filter.region_group.is_some(),
    );
    let scope = if viewer.is_admin() || own_region {
        StatsScope::All
    } else {
        StatsScope::Published
    };
    let selection = selection(taxonomy, scope, filter)?;

    let by_status = store::scenarios_by(db, &selection, "status").await?;
    let funnel_rows = store::furthest_stages(db, &selection, &stage_rank_sql).await?;
    let by_status: Vec<ScenarioStatusCount> = ScenarioStatus::ALL
        .into_iter()
        .filter_map(|status| {
            let count = count_of(&by_status, status.as_str());
            (count > 0).then_some(ScenarioStatusCount { status, count })
        })
        .collect();
    let (funnel, partner_share) = funnel(scope, &by_status, &funnel_rows);
    let region_name = |code: &str| taxonomy.region(code).map(|r| r.name.clone());
    let industry_name = |code: &str| taxonomy.industry(code).map(|i| i.name.clone());
    let category_name = |code: &str| taxonomy.category(code).map(|c| c.name.clone());
    let group_name = |code: &str| {
        Some(
            match code {
                "PINGCHUAN" => "平川",
                "DONGSHAN" => "东山",
                _ => "市级",
            }
            .to_owned(),
        )
    };
    let scenarios = ScenarioStats {
        total: by_status.iter().map(|s| s.count).sum(),
        by_status,
        by_region: buckets(
            store::scenarios_by(db, &selection, "region_code").await?,
            region_name,
            false,
        ),
        by_region_group: buckets(
            store::scenarios_by_group(db, &selection).await?,
            group_name,
            false,
        ),
        by_cluster: buckets(
            store::scenarios_by_cluster(db, &selection).await?,
            industry_name,
            false,
        ),
        by_category: buckets(
            store::scenarios_by(db, &selection, "category").await?,
            category_name,
            false,
        ),
        funnel,
        stage_days: stage_days(db, scope, &selection).await?,
        partner_share,
        landed_by_region: buckets(
            store::landed_by_region(db, &selection).await?,
            region_name,
            true,
        ),
        landed_by_cluster: buckets(
            store::landed_by_cluster(db, &selection).await?,
            industry_name,
            true,
        ),
    };

    let (listed, featured) = store::capability_totals(db, &selection).await?;
    let capabilities = CapabilityStats {
        listed,
        featured,
        by_region: buckets(
            store::capabilities_by_region(db, &selection).await?,
            region_name,
            true,
        ),
        by_cluster: buckets(
            store::capabilities_by_cluster(db, &selection).await?,
            industry_name,
            true,
        ),
    };

    let matches = match scope {
        StatsScope::Published => None,
        StatsScope::All => {
            let by_status = store::matches_by(db, &selection, "status").await?;
            let by_origin = store::matches_by(db, &selection, "origin").await?;
            let top = store::top_capabilities(db, &selection, TOP_CAPABILITIES).await?;
            Some(MatchStats {
                total: by_status.iter().map(|(_, n, _)| n).sum(),
                by_status: MatchStatus::ALL
                    .into_iter()
                    .filter_map(|status| {
                        let count = count_of(&by_status, status.as_str());
                        (count > 0).then_some(MatchStatusCount { status, count })
                    })
                    .collect(),
                by_origin: MatchOrigin::ALL
                    .into_iter()
                    .filter_map(|origin| {
                        let count = count_of(&by_origin, origin.as_str());
                        (count > 0).then_some(MatchOriginCount { origin, count })
                    })
                    .collect(),
                top_capabilities: top
                    .into_iter()
                    .map(|c| CapabilityRank {
                        capability_id: c.id,
                        code: c.code,
                        title: c.title,
                        organization_name: c.organization,
                        matches: c.matches,
                    })
                    .collect(),
            })
        }
    };
    let events = event_stats(db, scope, &selection).await?;
    Ok(Stats {
        scope,
        scenarios,
        capabilities,
        events,
        matches,
    })
}

/// The events' figures: counts for everyone, the matches born at them for administrators.
async fn event_stats(db: &Db, scope: StatsScope, selection: &Selection) -> AppResult<EventStats> {
    let by_status = store::events_by_status(db, selection).await?;
    let registrations = store::event_registrations_by_status(db, selection).await?;
    let count =
        |rows: &[Counted], keys: &[&str]| -> i64 { keys.iter().map(|k| count_of(rows, k)).sum() };
    let (matches, landed) = match scope {
        StatsScope::Published => (None, None),
        StatsScope::All => {
            let born = store::event_matches_by_status(db, selection).await?;
            (
                Some(born.iter().map(|(_, n, _)| n).sum()),
                Some(count_of(&born, MatchStatus::Landed.as_str())),
            )
        }
    };
    let statuses = |pick: fn(EventStatus) -> bool| -> Vec<&'static str> {
        EventStatus::ALL
            .into_iter()
            .filter(|s| pick(*s))
            .map(EventStatus::as_str)
            .collect()
    };
    let received: Vec<&str> = RegistrationStatus::ALL
        .into_iter()
        .filter(|s| *s != RegistrationStatus::Cancelled)
        .map(RegistrationStatus::as_str)
        .collect();
    Ok(EventStats {
        announced: count(&by_status, &statuses(EventStatus::is_public)),
        held: count(
            &by_status,
            &statuses(|s| matches!(s, EventStatus::Held | EventStatus::Archived)),
        ),
        registrations: count(&registrations, &received),
        accepted: count(&registrations, &[RegistrationStatus::Accepted.as_str()]),
        matches,
        landed,
    })
}

/// The rows a scope and a filter select; an unknown code or year is refused.
fn selection(taxonomy: &Taxonomy, scope: StatsScope, filter: &StatsFilter) -> AppResult<Selection> {
    let scenario_statuses = ScenarioStatus::ALL
        .into_iter()
        .filter(|status| scope == StatsScope::All || status.is_public())
        .map(|status| status.as_str().to_owned())
        .collect();
    let capability_statuses = CapabilityStatus::ALL
        .into_iter()
        .filter(|status| status.is_public())
        .map(|status| status.as_str().to_owned())
        .collect();
    let period = match filter.year {
        None => None,
        Some(year) if (2000..=2100).contains(&year) => Some((
            start_of_year_in_china(year),
            start_of_year_in_china(year + 1),
        )),
        Some(_) => {
            return Err(AppError::BadRequest(
                "年份应在2000年至2100年之间".to_owned(),
            ));
        }
    };
    let codes = |codes: &Option<Vec<String>>, what: &str| -> AppResult<()> {
        if codes.as_ref().is_some_and(|c| c.len() > MAX_FILTER_CODES) {
            return Err(AppError::BadRequest(format!(
                "{what}最多选择{MAX_FILTER_CODES}个"
            )));
        }
        Ok(())
    };
    codes(&filter.region_codes, "地区")?;
    codes(&filter.industry_codes, "产业")?;
    if let Some(unknown) = filter
        .region_codes
        .iter()
        .flatten()
        .find(|code| taxonomy.region(code).is_none())
    {
        return Err(AppError::BadRequest(format!("地区代码不存在：{unknown}")));
    }
    if let Some(unknown) = filter
        .industry_codes
        .iter()
        .flatten()
        .find(|code| taxonomy.industry(code).is_none())
    {
        return Err(AppError::BadRequest(format!("产业代码不存在：{unknown}")));
    }
    Ok(Selection {
        scenario_statuses,
        capability_statuses,
        period,
        region_codes: items::expand_regions(
            taxonomy,
            filter.region_codes.as_deref(),
            filter.region_group,
        ),
        industry_codes: filter
            .industry_codes
            .as_deref()
            .map(|codes| items::expand_industries(taxonomy, codes)),
        category: filter.category.clone(),
    })
}

/// Midnight of 1 January of `year` in Asia/Shanghai, as a stored timestamp.
fn start_of_year_in_china(year: i32) -> String {
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    let midnight = NaiveDate::from_ymd_opt(year, 1, 1)
        .expect("a valid date")
        .and_hms_opt(0, 0, 0)
        .expect("a valid time");
    let start = china
        .from_local_datetime(&midnight)
        .single()
        .expect("no change of offset");
    db::format_time(start.with_timezone(&chrono::Utc))
}

/// SQL giving the stage rank (1 挖掘 … 6 推广; 0 for none) of the status in `column`.
fn stage_rank_sql(column: &str) -> String {
    let mut sql = format!("CASE {column}");
    for status in ScenarioStatus::ALL {
        if let Some(stage) = ScenarioStage::of(status) {
            sql.push_str(&format!(
                " WHEN '{}' THEN {}",
                status.as_str(),
                stage.rank()
            ));
        }
    }
    sql.push_str(" ELSE 0 END");
    sql
}

/// The funnel from the scenarios' furthest stages (each scenario reached 挖掘 when it was
/// recorded) and their statuses now, and the share of published ones that found a partner.
fn funnel(
    scope: StatsScope,
    by_status: &[ScenarioStatusCount],
    furthest: &[Counted],
) -> (Vec<FunnelStage>, Option<f64>) {
    let furthest: Vec<(i64, i64)> = furthest
        .iter()
        .map(|(rank, n, _)| (rank.parse::<i64>().unwrap_or(0).max(1), *n))
        .collect();
    let reached = |stage: ScenarioStage| {
        furthest
            .iter()
            .filter(|(rank, _)| *rank >= stage.rank())
            .map(|(_, n)| n)
            .sum::<i64>()
    };
    let shown = |stage: ScenarioStage| {
        scope == StatsScope::All || stage.rank() >= ScenarioStage::Publication.rank()
    };
    let stages = ScenarioStage::ALL
        .into_iter()
        .map(|stage| FunnelStage {
            stage,
            name: stage.label().to_owned(),
            reached: shown(stage).then(|| reached(stage)),
            now: shown(stage).then(|| {
                by_status
                    .iter()
                    .filter(|s| ScenarioStage::of(s.status) == Some(stage))
                    .map(|s| s.count)
                    .sum()
            }),
        })
        .collect();
    let published = reached(ScenarioStage::Publication);
    let partnered = reached(ScenarioStage::Landing);
    let share = (published > 0).then(|| partnered as f64 / published as f64);
    (stages, share)
}

/// The median days of each step from one stage to the next.
async fn stage_days(
    db: &Db,
    scope: StatsScope,
    selection: &Selection,
) -> AppResult<Vec<StageDuration>> {
    let statuses = |stage: ScenarioStage| -> Vec<String> {
        ScenarioStatus::ALL
            .into_iter()
            .filter(|status| ScenarioStage::of(*status) == Some(stage))
            .map(|status| status.as_str().to_owned())
            .collect()
    };
    let mut steps = Vec::new();
    for pair in ScenarioStage::ALL.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        let (median_days, scenarios) = if scope == StatsScope::All
            || from.rank() >= ScenarioStage::Publication.rank()
        {
            // The first stage is entered when the scenario is recorded.
            let start = if from == ScenarioStage::Discovery {
                Vec::new()
            } else {
                statuses(from)
            };
            let (median, count) = store::median_days(db, selection, &start, &statuses(to)).await?;
            (
                median.map(|days| (days * 10.0).round() / 10.0),
                Some(count.unwrap_or(0)),
            )
        } else {
            (None, None)
        };
        steps.push(StageDuration {
            from,
            to,
            median_days,
            scenarios,
        });
    }
    Ok(steps)
}

fn count_of(rows: &[Counted], key: &str) -> i64 {
    rows.iter()
        .filter(|(k, _, _)| k == key)
        .map(|(_, n, _)| n)
        .sum()
}

/// Buckets named from the taxonomy, most first (then by code); `amount` from the sum when the
/// figure has one.
fn buckets(
    rows: Vec<Counted>,
    name: impl Fn(&str) -> Option<String>,
    with_amount: bool,
) -> Vec<StatBucket> {
    let mut buckets: Vec<StatBucket> = rows
        .into_iter()
        .map(|(code, count, sum)| StatBucket {
            name: name(&code).unwrap_or_else(|| code.clone()),
            code,
            count,
            amount: with_amount.then_some(sum),
        })
        .collect();
    buckets.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_runs_from_midnight_in_china() {
        assert_eq!(start_of_year_in_china(2026), "2025-12-31T16:00:00.000000Z");
    }

    #[test]
    fn every_status_on_the_path_has_a_stage_and_the_stages_are_in_order() {
        let ranks: Vec<i64> = ScenarioStage::ALL.iter().map(|s| s.rank()).collect();
        assert_eq!(ranks, [1, 2, 3, 4, 5, 6]);
        assert_eq!(ScenarioStage::of(ScenarioStatus::Closed), None);
        assert_eq!(
            ScenarioStage::of(ScenarioStatus::Implementing),
            Some(ScenarioStage::Landing)
        );
        assert!(stage_rank_sql("s.status").contains("WHEN 'PROMOTED' THEN 6"));
    }
}

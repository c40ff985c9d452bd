//! Admin exports of the filtered lists (README, "Exports"): scenarios, capabilities and matches
//! with the dates of their stages, each row built from what the lists' services answer the
//! admin, contacts through the slices' own visibility rules.

use std::collections::HashMap;

use async_graphql::dataloader::Loader as _;

use super::{Cell, Column, Sheet, number, text};
use crate::capabilities::model::{CapabilityFilter, CapabilityOrderBy};
use crate::capabilities::{CapabilityStatus, service as capability_service};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::events::TimelineLoader;
use crate::items::{Contact, split_codes};
use crate::matches::MatchStatus;
use crate::matches::model::MatchOrigin;
use crate::matches::service as match_service;
use crate::orgs;
use crate::pagination::{PageRequest, Rows};
use crate::scenarios::model::{OpportunityFilter, ScenarioOrderBy};
use crate::scenarios::{ScenarioStatus, service as scenario_service};
use crate::search::LiveIndex;
use crate::taxonomy::Taxonomy;
use crate::viewer::Viewer;

/// The most rows one list export holds; a filter that finds more is refused.
pub const MAX_ROWS: usize = 10_000;

const SCENARIO_COLUMNS: &[Column] = &[
    Column::new("场景编号", 16.0),
    Column::new("场景名称", 36.0),
    Column::new("状态", 10.0),
    Column::new("发布单位", 28.0),
    Column::new("所在地区", 10.0),
    Column::new("所属产业", 28.0),
    Column::new("场景类别", 18.0),
    Column::new("预算下限（万元）", 16.0),
    Column::new("预算上限（万元）", 16.0),
    Column::new("技术成熟度要求", 14.0),
    Column::new("截止日期", 12.0),
    Column::new("联系人", 10.0),
    Column::new("联系电话", 16.0),
    Column::new("联系邮箱", 22.0),
    Column::new("创建日期", 12.0),
    Column::new("发布日期", 12.0),
    Column::new("场景简介", 60.0),
];

const CAPABILITY_COLUMNS: &[Column] = &[
    Column::new("能力编号", 16.0),
    Column::new("能力名称", 36.0),
    Column::new("状态", 10.0),
    Column::new("提供单位", 28.0),
    Column::new("所属产业", 28.0),
    Column::new("技术成熟度", 10.0),
    Column::new("报价下限（万元）", 16.0),
    Column::new("报价上限（万元）", 16.0),
    Column::new("服务地区", 24.0),
    Column::new("联系人", 10.0),
    Column::new("联系电话", 16.0),
    Column::new("联系邮箱", 22.0),
    Column::new("入库日期", 12.0),
    Column::new("能力简介", 60.0),
];

const MATCH_COLUMNS: &[Column] = &[
    Column::new("场景编号", 16.0),
    Column::new("场景名称", 30.0),
    Column::new("发布单位", 24.0),
    Column::new("能力编号", 16.0),
    Column::new("能力名称", 30.0),
    Column::new("提供单位", 24.0),
    Column::new("来源", 10.0),
    Column::new("状态", 10.0),
    Column::new("匹配度", 8.0),
    Column::new("提出日期", 12.0),
    Column::new("审核通过", 12.0),
    Column::new("对接", 12.0),
    Column::new("选定", 12.0),
    Column::new("落地", 12.0),
    Column::new("结束", 12.0),
];

/// Admin: the scenarios `filter` finds, as `opportunityList` finds them, newest first.
pub async fn scenarios(
    db: &Db,
    taxonomy: &Taxonomy,
    index: &LiveIndex,
    viewer: &Viewer,
    filter: OpportunityFilter,
) -> AppResult<Sheet> {
    viewer.require_admin()?;
    let order = if filter.query.is_some() {
        ScenarioOrderBy::Relevance
    } else {
        ScenarioOrderBy::PublishedAt
    };
    let rows = scenario_service::opportunity_list(
        db,
        taxonomy,
        index,
        viewer,
        filter,
        order,
        whole_list(),
    )
    .await?;
    let rows = bounded(rows)?;
    let units = org_names(db, rows.iter().map(|r| r.org_id.clone())).await?;
    let rows = rows
        .iter()
        .map(|r| {
            let contact = scenario_service::visible_contact(viewer, r, &[]);
            let mut cells = vec![
                text(r.code.clone()),
                Cell::Text(r.title.clone()),
                Cell::Text(r.status().label().to_owned()),
                text(units.get(&r.org_id).cloned()),
                text(taxonomy.region(&r.region_code).map(|x| x.name.clone())),
                industry_names(taxonomy, &r.industry_codes),
                text(taxonomy.category(&r.category).map(|c| c.name.clone())),
                number(r.budget_min),
                number(r.budget_max),
                number(r.maturity_required),
                r.deadline().map_or(Cell::Empty, Cell::Date),
            ];
            cells.extend(contact_cells(contact));
            cells.push(day(Some(&r.created_at)));
            cells.push(day(r.published_at.as_deref()));
            cells.push(Cell::Text(r.summary.clone()));
            cells
        })
        .collect();
    Ok(Sheet {
        name: "场景清单".to_owned(),
        columns: SCENARIO_COLUMNS.to_vec(),
        rows,
    })
}

/// Admin: the capabilities `filter` finds, as `capabilityList` finds them, newest first.
pub async fn capabilities(
    db: &Db,
    taxonomy: &Taxonomy,
    index: &LiveIndex,
    viewer: &Viewer,
    filter: CapabilityFilter,
) -> AppResult<Sheet> {
    viewer.require_admin()?;
    let order = if filter.query.is_some() {
        CapabilityOrderBy::Relevance
    } else {
        CapabilityOrderBy::ListedAt
    };
    let rows = capability_service::capability_list(
        db,
        taxonomy,
        index,
        viewer,
        filter,
        order,
        whole_list(),
    )
    .await?;
    let rows = bounded(rows)?;
    let providers = org_names(db, rows.iter().map(|r| r.org_id.clone())).await?;
    let rows = rows
        .iter()
        .map(|r| {
            let contact = capability_service::visible_contact(viewer, r, &[]);
            let regions: Vec<String> = split_codes(&r.service_region_codes)
                .iter()
                .filter_map(|code| taxonomy.region(code).map(|x| x.name.clone()))
                .collect();
            let mut cells = vec![
                text(r.code.clone()),
                Cell::Text(r.title.clone()),
                Cell::Text(r.status().label().to_owned()),
                text(providers.get(&r.org_id).cloned()),
                industry_names(taxonomy, &r.industry_codes),
                Cell::Number(r.maturity),
                number(r.price_min),
                number(r.price_max),
                text(Some(regions.join("、"))),
            ];
            cells.extend(contact_cells(contact));
            cells.push(day(r.listed_at.as_deref()));
            cells.push(Cell::Text(r.summary.clone()));
            cells
        })
        .collect();
    Ok(Sheet {
        name: "能力清单".to_owned(),
        columns: CAPABILITY_COLUMNS.to_vec(),
        rows,
    })
}

/// Admin: every match (or those in `status`), most recent first, with the day each stage was
/// reached, read from its timeline.
pub async fn matches(db: &Db, viewer: &Viewer, status: Option<MatchStatus>) -> AppResult<Sheet> {
    viewer.require_admin()?;
    let rows = match_service::list(db, viewer, status, None, None, whole_list()).await?;
    let rows = bounded(rows)?;
    let ids = |f: fn(&crate::matches::store::MatchRow) -> &String| -> Vec<String> {
        let mut ids: Vec<String> = rows.iter().map(|r| f(r).clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let scenarios: HashMap<String, _> =
        crate::scenarios::store::find_many(db, &ids(|r| &r.scenario_id))
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
    let capabilities: HashMap<String, _> =
        crate::capabilities::store::find_many(db, &ids(|r| &r.capability_id))
            .await?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
    let names = org_names(
        db,
        scenarios
            .values()
            .map(|s| s.org_id.clone())
            .chain(capabilities.values().map(|c| c.org_id.clone())),
    )
    .await?;
    let timelines = TimelineLoader::new(db.clone())
        .load(&ids(|r| &r.id))
        .await
        .map_err(|e| AppError::internal(format!("loading match timelines: {e}")))?;
    let ended = [
        MatchStatus::Rejected,
        MatchStatus::Declined,
        MatchStatus::NotSelected,
        MatchStatus::Withdrawn,
    ];
    let rows = rows
        .iter()
        .map(|m| {
            let scenario = scenarios.get(&m.scenario_id);
            let capability = capabilities.get(&m.capability_id);
            let events = timelines.get(&m.id).map(Vec::as_slice).unwrap_or_default();
            // The first day the match reached one of `statuses`.
            let reached = |statuses: &[MatchStatus]| -> Cell {
                let at = events.iter().find(|e| {
                    e.to_status
                        .as_deref()
                        .and_then(MatchStatus::parse)
                        .is_some_and(|s| statuses.contains(&s))
                });
                day(at.map(|e| e.at.as_str()))
            };
            vec![
                text(scenario.and_then(|s| s.code.clone())),
                text(scenario.map(|s| s.title.clone())),
                text(scenario.and_then(|s| names.get(&s.org_id).cloned())),
                text(capability.and_then(|c| c.code.clone())),
                text(capability.map(|c| c.title.clone())),
                text(capability.and_then(|c| names.get(&c.org_id).cloned())),
                Cell::Text(origin_label(MatchOrigin::parse(&m.origin)).to_owned()),
                Cell::Text(m.status().label().to_owned()),
                number(m.match_degree),
                day(Some(&m.created_at)),
                reached(&[MatchStatus::Approved]),
                reached(&[MatchStatus::Connected]),
                reached(&[MatchStatus::Selected]),
                reached(&[MatchStatus::Landed]),
                reached(&ended),
            ]
        })
        .collect();
    Ok(Sheet {
        name: "对接清单".to_owned(),
        columns: MATCH_COLUMNS.to_vec(),
        rows,
    })
}

fn origin_label(origin: MatchOrigin) -> &'static str {
    match origin {
        MatchOrigin::Application => "申请",
        MatchOrigin::Invitation => "邀请",
        MatchOrigin::Recommendation => "推荐",
        MatchOrigin::Proposal => "场景建议",
        MatchOrigin::Event => "对接活动",
    }
}

/// A request for the whole list, up to one row more than an export holds.
fn whole_list() -> PageRequest {
    PageRequest {
        offset: 0,
        limit: MAX_ROWS as i64,
        count: false,
        long_texts: false,
    }
}

/// The rows of a whole-list answer, refused when there are more than an export holds.
fn bounded<T>(rows: Rows<T>) -> AppResult<Vec<T>> {
    let rows = match rows {
        Rows::Page { rows, .. } => rows,
        Rows::All(all) => all,
    };
    if rows.len() > MAX_ROWS {
        return Err(AppError::BadRequest(format!(
            "结果超过{MAX_ROWS}条，请缩小筛选范围后再导出"
        )));
    }
    Ok(rows)
}

/// The names of the organizations `ids`, in one query.
async fn org_names(
    db: &Db,
    ids: impl Iterator<Item = String>,
) -> AppResult<HashMap<String, String>> {
    let mut ids: Vec<String> = ids.collect();
    ids.sort();
    ids.dedup();
    Ok(orgs::find_many(db, &ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

fn industry_names(taxonomy: &Taxonomy, codes: &str) -> Cell {
    let names: Vec<String> = split_codes(codes)
        .iter()
        .filter_map(|code| taxonomy.industry(code).map(|i| i.name.clone()))
        .collect();
    text(Some(names.join("、")))
}

fn contact_cells(contact: Option<Contact>) -> [Cell; 3] {
    match contact {
        Some(c) => [Cell::Text(c.name), Cell::Text(c.phone), text(c.email)],
        None => [Cell::Empty, Cell::Empty, Cell::Empty],
    }
}

/// The day of a stored time in China (UTC+8).
fn day(at: Option<&str>) -> Cell {
    let Some(at) = at else {
        return Cell::Empty;
    };
    crate::items::day_in_china(at).map_or(Cell::Empty, Cell::Date)
}

/// The list filters an export URL may carry, each a comma-separated list where it takes several.
#[derive(serde::Deserialize, Default, Debug)]
#[serde(default)]
pub struct ListParams {
    pub status: Option<String>,
    pub q: Option<String>,
    pub category: Option<String>,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub group: Option<String>,
}

fn items(value: &Option<String>) -> Option<Vec<String>> {
    value.as_ref().map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

fn parsed<T>(
    value: &Option<String>,
    what: &str,
    parse: fn(&str) -> Option<T>,
) -> AppResult<Option<Vec<T>>> {
    items(value)
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    parse(&item.to_ascii_uppercase())
                        .ok_or_else(|| AppError::BadRequest(format!("未知的{what}：{item}")))
                })
                .collect()
        })
        .transpose()
}

fn group(value: &Option<String>) -> AppResult<Option<crate::taxonomy::RegionGroup>> {
    value
        .as_deref()
        .map(|g| {
            crate::taxonomy::RegionGroup::parse(&g.to_ascii_uppercase())
                .ok_or_else(|| AppError::BadRequest(format!("未知的地区分组：{g}")))
        })
        .transpose()
}

impl ListParams {
    pub fn opportunity_filter(&self) -> AppResult<OpportunityFilter> {
        let category = parsed(
            &self.category,
            "场景类别",
            crate::scenarios::model::ScenarioCategoryCode::parse,
        )?;
        Ok(OpportunityFilter {
            query: self.q.clone().filter(|q| !q.trim().is_empty()),
            category: category.and_then(|c| c.first().copied()),
            industry_codes: items(&self.industry),
            region_codes: items(&self.region),
            region_group: group(&self.group)?,
            statuses: parsed(&self.status, "场景状态", ScenarioStatus::parse)?,
            ..Default::default()
        })
    }

    pub fn capability_filter(&self) -> AppResult<CapabilityFilter> {
        Ok(CapabilityFilter {
            query: self.q.clone().filter(|q| !q.trim().is_empty()),
            industry_codes: items(&self.industry),
            region_codes: items(&self.region),
            region_group: group(&self.group)?,
            statuses: parsed(&self.status, "能力状态", CapabilityStatus::parse)?,
            ..Default::default()
        })
    }

    pub fn match_status(&self) -> AppResult<Option<MatchStatus>> {
        let statuses = parsed(&self.status, "对接状态", MatchStatus::parse)?;
        match statuses.as_deref() {
            None | Some([]) => Ok(None),
            Some([one]) => Ok(Some(*one)),
            Some(_) => Err(AppError::BadRequest(
                "对接清单一次只能按一个状态筛选".into(),
            )),
        }
    }
}

//! The HTML pages: home, the two lists with filters and numbered pages, items by public code, the
//! showcase of landed cases, and editions. Each page runs a fixed number of queries, whatever
//! the data (`tests/query_count.rs`).

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::view::{self, CapabilityCard, ScenarioCard};
use super::{Failure, Head, PageResult, Portal, VISITOR, render};
use crate::capabilities::model::{CapabilityFilter, CapabilityOrderBy};
use crate::capabilities::{self, CapabilityRow, CapabilityStatus};
use crate::error::AppError;
use crate::items::Key;
use crate::lists;
use crate::orgs;
use crate::pagination::PageRequest;
use crate::scenarios::model::{OpportunityFilter, ScenarioCategoryCode, ScenarioOrderBy};
use crate::scenarios::{self, ScenarioRow, ScenarioStatus};
use crate::stats;
use crate::taxonomy::{RegionGroup, Taxonomy};

/// Items on a numbered page.
pub const PER_PAGE: i64 = 20;
/// The last page number a list serves (deeper pages are a crawler's, not a reader's).
pub const MAX_PAGE_NUMBER: i64 = 500;
/// Similar items on a detail page.
const SIMILAR: usize = 5;

fn bad(message: impl Into<String>) -> Failure {
    Failure(AppError::BadRequest(message.into()))
}

/// Page `number` (from 1) of `per_page` rows, without their long texts.
pub(super) fn page_request(number: i64, per_page: i64) -> PageRequest {
    PageRequest {
        offset: (number - 1) * per_page,
        limit: per_page,
        count: true,
        long_texts: false,
    }
}

pub(super) fn page_number(raw: Option<&str>) -> Result<i64, Failure> {
    match raw.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(1),
        Some(p) => match p.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE_NUMBER).contains(&n) => Ok(n),
            _ => Err(bad(format!("页码应为1到{MAX_PAGE_NUMBER}之间的整数"))),
        },
    }
}

/// The numbered pages of a list and the links to the neighbours (`href(n)` is page n's address).
#[derive(Serialize)]
pub struct Pager {
    number: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
}

impl Pager {
    pub(super) fn new(
        number: i64,
        total: i64,
        per_page: i64,
        href: impl Fn(i64) -> String,
    ) -> Pager {
        let pages = ((total + per_page - 1) / per_page).clamp(1, MAX_PAGE_NUMBER);
        Pager {
            number,
            pages,
            prev: (number > 1).then(|| href(number - 1)),
            next: (number < pages).then(|| href(number + 1)),
        }
    }
}

/// The address of `path` with `pairs` (empty values left out) and page `n` (left out for 1).
pub(super) fn address(path: &str, pairs: &[(&str, String)], n: i64) -> String {
    let mut query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", view::encode(v)))
        .collect();
    if n > 1 {
        query.push(format!("page={n}"));
    }
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// Query strings axum could not read (a repeated key, bad encoding) are the reader's error.
pub(super) fn params<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, Failure> {
    query
        .map(|Query(p)| p)
        .map_err(|_| bad("链接中的查询参数无法识别，请从页面上的筛选表单重新筛选"))
}

/// An option of a select, as the filter form shows it.
#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

impl Choice {
    fn new(value: &str, label: &str, current: &str) -> Choice {
        Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: value == current,
        }
    }
}

/// A cluster and its industries, as one group of the industry select.
#[derive(Serialize)]
struct ClusterChoice {
    value: String,
    label: String,
    selected: bool,
    children: Vec<Choice>,
}

fn industry_choices(taxonomy: &Taxonomy, current: &str) -> Vec<ClusterChoice> {
    taxonomy
        .industries
        .iter()
        .filter(|i| i.parent.is_none())
        .map(|cluster| ClusterChoice {
            value: cluster.code.clone(),
            label: cluster.name.clone(),
            selected: cluster.code == current,
            children: taxonomy
                .children(&cluster.code)
                .map(|i| Choice::new(&i.code, &i.name, current))
                .collect(),
        })
        .collect()
}

fn region_choices(taxonomy: &Taxonomy, current: &str) -> (Vec<Choice>, Vec<Choice>) {
    let groups = [
        (RegionGroup::Pingchuan, "平川六县（区）"),
        (RegionGroup::Dongshan, "东山五县"),
    ]
    .into_iter()
    .map(|(g, label)| Choice::new(g.as_str(), label, current))
    .collect();
    let regions = taxonomy
        .regions
        .iter()
        .filter(|r| r.kind != "CITY")
        .map(|r| Choice::new(&r.code, &r.name, current))
        .collect();
    (groups, regions)
}

fn maturity_choices(current: &str, suffix: &str) -> Vec<Choice> {
    (1..=9)
        .map(|n| Choice::new(&n.to_string(), &format!("{n} 级{suffix}"), current))
        .collect()
}

/// The list filters a page address may carry; every value is checked before any query runs.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    q: Option<String>,
    category: Option<String>,
    industry: Option<String>,
    region: Option<String>,
    budget_min: Option<String>,
    budget_max: Option<String>,
    maturity: Option<String>,
    status: Option<String>,
    order: Option<String>,
    page: Option<String>,
}

/// The filter both lists share, checked.
struct Common {
    q: String,
    industry: Option<String>,
    region: Option<String>,
    group: Option<RegionGroup>,
    budget_min: Option<i32>,
    budget_max: Option<i32>,
    maturity: Option<i32>,
    page: i64,
}

impl Common {
    /// The region select's value: a group or a county.
    fn region_value(&self) -> String {
        self.group
            .map(|g| g.as_str().to_owned())
            .or(self.region.clone())
            .unwrap_or_default()
    }
}

/// The order asked for; without one, by relevance to free text, else newest first.
fn order_asked<'a>(p: &'a ListParams, q: &str) -> &'a str {
    match trimmed(&p.order) {
        "" if q.is_empty() => "newest",
        "" => "relevance",
        v => v,
    }
}

/// The order as the address carries it: left out when it is the default.
fn order_param(order: &str, q: &str) -> String {
    if order == order_asked(&ListParams::default(), q) {
        String::new()
    } else {
        order.to_owned()
    }
}

/// The words of the free text to mark in what it found.
fn marks(portal: &Portal, q: &str) -> Vec<String> {
    if q.is_empty() {
        Vec::new()
    } else {
        portal.index.marks(q)
    }
}

fn trimmed(v: &Option<String>) -> &str {
    v.as_deref().map(str::trim).unwrap_or_default()
}

fn amount(raw: &Option<String>, label: &str) -> Result<Option<i32>, Failure> {
    match trimmed(raw) {
        "" => Ok(None),
        v => match v.parse::<i32>() {
            Ok(n) if n >= 0 => Ok(Some(n)),
            _ => Err(bad(format!("{label}应为不小于0的整数（万元）"))),
        },
    }
}

fn common(taxonomy: &Taxonomy, p: &ListParams, money: &str) -> Result<Common, Failure> {
    let q = trimmed(&p.q).to_owned();
    crate::items::free_text(Some(&q))?;
    // The characters the GraphQL door refuses in any input.
    if let Some(problem) = crate::error::text_problem(&q, true) {
        return Err(bad(format!("关键词{problem}")));
    }
    let industry = match trimmed(&p.industry) {
        "" => None,
        code if taxonomy.industry(code).is_some() => Some(code.to_owned()),
        _ => return Err(bad("产业代码不存在，请从产业列表中选择")),
    };
    let (region, group) = match trimmed(&p.region) {
        "" => (None, None),
        code => match RegionGroup::parse(code) {
            Some(g) => (None, Some(g)),
            None if taxonomy.region(code).is_some() => (Some(code.to_owned()), None),
            None => return Err(bad("地区代码不存在，请从地区列表中选择")),
        },
    };
    let maturity = match trimmed(&p.maturity) {
        "" => None,
        v => match v.parse::<i32>() {
            Ok(n) if (1..=9).contains(&n) => Some(n),
            _ => return Err(bad("技术成熟度应为1到9级")),
        },
    };
    Ok(Common {
        industry,
        region,
        group,
        budget_min: amount(&p.budget_min, &format!("{money}下限"))?,
        budget_max: amount(&p.budget_max, &format!("{money}上限"))?,
        maturity,
        page: page_number(p.page.as_deref())?,
        q,
    })
}

/// Names of organizations by id (one query).
pub(super) async fn org_names(
    portal: &Portal,
    ids: impl Iterator<Item = String>,
) -> Result<HashMap<String, String>, Failure> {
    let mut ids: Vec<String> = ids.collect();
    ids.sort();
    ids.dedup();
    Ok(view::names(orgs::find_many(&portal.db, &ids).await?))
}

/// What the list template needs beyond the items.
#[derive(Serialize)]
struct ListPage<T: Serialize> {
    kind: &'static str,
    heading: &'static str,
    lead: &'static str,
    noun: &'static str,
    path: &'static str,
    region_label: &'static str,
    money_label: &'static str,
    maturity_label: &'static str,
    live_label: &'static str,
    form: HashMap<&'static str, String>,
    categories: Vec<Choice>,
    industries: Vec<ClusterChoice>,
    groups: Vec<Choice>,
    regions: Vec<Choice>,
    maturities: Vec<Choice>,
    statuses: Vec<Choice>,
    orders: Vec<Choice>,
    total: i64,
    items: Vec<T>,
    pager: Pager,
}

// ---- The opportunity list ----------------------------------------------------------------------

const SCENARIO_ORDERS: [(&str, &str, ScenarioOrderBy); 4] = [
    ("newest", "最新发布", ScenarioOrderBy::PublishedAt),
    ("relevance", "最相关", ScenarioOrderBy::Relevance),
    ("deadline", "截止日期最近", ScenarioOrderBy::Deadline),
    ("budget", "预算最高", ScenarioOrderBy::Budget),
];

pub async fn opportunities(
    State(portal): State<Portal>,
    request: HeaderMap,
    query: Result<Query<ListParams>, QueryRejection>,
) -> PageResult {
    let p = params(query)?;
    let taxonomy = &portal.taxonomy;
    let c = common(taxonomy, &p, "预算")?;
    let category = match trimmed(&p.category) {
        "" => None,
        v => Some(ScenarioCategoryCode::parse(v).ok_or_else(|| bad("场景类别不存在"))?),
    };
    let status = match trimmed(&p.status) {
        "" => None,
        v => Some(
            ScenarioStatus::parse(v)
                .filter(|s| s.is_public())
                .ok_or_else(|| bad("状态不存在或不公开，请从状态列表中选择"))?,
        ),
    };
    let order_key = order_asked(&p, &c.q);
    let (order_key, _, order) = SCENARIO_ORDERS
        .into_iter()
        .find(|(key, _, _)| *key == order_key)
        .ok_or_else(|| bad("排序方式不存在"))?;
    let page = page_request(c.page, PER_PAGE);
    let filter = OpportunityFilter {
        query: (!c.q.is_empty()).then(|| c.q.clone()),
        category,
        industry_codes: c.industry.clone().map(|i| vec![i]),
        region_codes: c.region.clone().map(|r| vec![r]),
        region_group: c.group,
        budget_min: c.budget_min,
        budget_max: c.budget_max,
        maturity_at_least: c.maturity,
        deadline_after: None,
        statuses: status.map(|s| vec![s]),
    };
    let (rows, total) = scenarios::service::opportunity_list(
        &portal.db,
        taxonomy,
        &portal.index,
        &VISITOR,
        filter,
        order,
        page,
    )
    .await?
    .window(&page);
    let names = org_names(&portal, rows.iter().map(|r| r.org_id.clone())).await?;
    let marks = marks(&portal, &c.q);
    let items: Vec<ScenarioCard> = rows
        .iter()
        .map(|r| view::scenario_card(taxonomy, &names, &marks, r))
        .collect();

    let region_value = c.region_value();
    let status_value = status.map(|s| s.as_str().to_owned()).unwrap_or_default();
    let category_value = category.map(|c| c.as_str()).unwrap_or_default();
    let pairs = [
        ("q", c.q.clone()),
        ("category", category_value.to_owned()),
        ("industry", c.industry.clone().unwrap_or_default()),
        ("region", region_value.clone()),
        ("budget_min", opt(c.budget_min)),
        ("budget_max", opt(c.budget_max)),
        ("maturity", opt(c.maturity)),
        ("status", status_value.clone()),
        ("order", order_param(order_key, &c.q)),
    ];
    let path = "/opportunities";
    let pager = Pager::new(c.page, total, PER_PAGE, |n| address(path, &pairs, n));
    let (groups, regions) = region_choices(taxonomy, &region_value);
    let head = Head {
        title: if c.q.is_empty() {
            "机会清单".to_owned()
        } else {
            format!("“{}”的搜索结果 · 机会清单", c.q)
        },
        description: "晋中市机会清单：政府单位发布的应用场景，向社会征集新技术、新产品的解决方案。"
            .to_owned(),
        path: address(path, &pairs, c.page),
        section: "opportunities",
    };
    let page = ListPage {
        kind: "scenario",
        heading: "机会清单",
        lead: "政府单位发布的应用场景：在晋中试点新技术、新产品的机会。",
        noun: "场景",
        path,
        region_label: "所在地区",
        money_label: "预算",
        maturity_label: "要求成熟度",
        live_label: "征集中（已发布、对接中）",
        form: form_values(&c),
        categories: [
            ScenarioCategoryCode::Industrial,
            ScenarioCategoryCode::City,
            ScenarioCategoryCode::Community,
        ]
        .into_iter()
        .map(|k| {
            let label = taxonomy
                .category(k.as_str())
                .map_or(k.as_str(), |x| x.name.as_str());
            Choice::new(k.as_str(), label, category_value)
        })
        .collect(),
        industries: industry_choices(taxonomy, c.industry.as_deref().unwrap_or_default()),
        groups,
        regions,
        maturities: maturity_choices(&opt(c.maturity), "及以上"),
        statuses: ScenarioStatus::ALL
            .into_iter()
            .filter(|s| s.is_public())
            .map(|s| Choice::new(s.as_str(), s.label(), &status_value))
            .collect(),
        orders: SCENARIO_ORDERS
            .iter()
            .map(|(key, label, _)| Choice::new(key, label, order_key))
            .collect(),
        total,
        items,
        pager,
    };
    render(&portal, &request, "list.html", head, page)
}

fn opt(v: Option<i32>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

fn form_values(c: &Common) -> HashMap<&'static str, String> {
    HashMap::from([
        ("q", c.q.clone()),
        ("budget_min", opt(c.budget_min)),
        ("budget_max", opt(c.budget_max)),
    ])
}

// ---- The capability list -----------------------------------------------------------------------

const CAPABILITY_ORDERS: [(&str, &str, CapabilityOrderBy); 4] = [
    ("newest", "最新入库", CapabilityOrderBy::ListedAt),
    ("relevance", "最相关", CapabilityOrderBy::Relevance),
    ("maturity", "成熟度最高", CapabilityOrderBy::Maturity),
    ("price", "报价最低", CapabilityOrderBy::Price),
];

pub async fn capabilities(
    State(portal): State<Portal>,
    request: HeaderMap,
    query: Result<Query<ListParams>, QueryRejection>,
) -> PageResult {
    let p = params(query)?;
    let taxonomy = &portal.taxonomy;
    let c = common(taxonomy, &p, "报价")?;
    if !trimmed(&p.category).is_empty() {
        return Err(bad("能力清单不按场景类别筛选"));
    }
    let status = match trimmed(&p.status) {
        "" => None,
        v => Some(
            CapabilityStatus::parse(v)
                .filter(|s| s.is_public())
                .ok_or_else(|| bad("状态不存在或不公开，请从状态列表中选择"))?,
        ),
    };
    let order_key = order_asked(&p, &c.q);
    let (order_key, _, order) = CAPABILITY_ORDERS
        .into_iter()
        .find(|(key, _, _)| *key == order_key)
        .ok_or_else(|| bad("排序方式不存在"))?;
    let page = page_request(c.page, PER_PAGE);
    let filter = CapabilityFilter {
        query: (!c.q.is_empty()).then(|| c.q.clone()),
        industry_codes: c.industry.clone().map(|i| vec![i]),
        region_codes: c.region.clone().map(|r| vec![r]),
        region_group: c.group,
        budget_min: c.budget_min,
        budget_max: c.budget_max,
        maturity_at_least: c.maturity,
        statuses: status.map(|s| vec![s]),
    };
    let (rows, total) = capabilities::service::capability_list(
        &portal.db,
        taxonomy,
        &portal.index,
        &VISITOR,
        filter,
        order,
        page,
    )
    .await?
    .window(&page);
    let names = org_names(&portal, rows.iter().map(|r| r.org_id.clone())).await?;
    let marks = marks(&portal, &c.q);
    let items: Vec<CapabilityCard> = rows
        .iter()
        .map(|r| view::capability_card(taxonomy, &names, &marks, r))
        .collect();
    let region_value = c.region_value();
    let status_value = status.map(|s| s.as_str().to_owned()).unwrap_or_default();
    let pairs = [
        ("q", c.q.clone()),
        ("industry", c.industry.clone().unwrap_or_default()),
        ("region", region_value.clone()),
        ("budget_min", opt(c.budget_min)),
        ("budget_max", opt(c.budget_max)),
        ("maturity", opt(c.maturity)),
        ("status", status_value.clone()),
        ("order", order_param(order_key, &c.q)),
    ];
    let path = "/capabilities";
    let pager = Pager::new(c.page, total, PER_PAGE, |n| address(path, &pairs, n));
    let (groups, regions) = region_choices(taxonomy, &region_value);
    let featured_only = status == Some(CapabilityStatus::Featured);
    let head = Head {
        title: match (c.q.is_empty(), featured_only) {
            (false, _) => format!("“{}”的搜索结果 · 能力清单", c.q),
            (true, true) => "晋中优秀方案 · 能力清单".to_owned(),
            (true, false) => "能力清单".to_owned(),
        },
        description: "晋中市能力清单：企业和科研院所的解决方案，推介晋中优秀方案。".to_owned(),
        path: address(path, &pairs, c.page),
        section: "capabilities",
    };
    let page = ListPage {
        kind: "capability",
        heading: if featured_only {
            "晋中优秀方案"
        } else {
            "能力清单"
        },
        lead: "企业和科研院所能够提供的解决方案，其中的佼佼者入选晋中优秀方案。",
        noun: "方案",
        path,
        region_label: "服务地区",
        money_label: "报价",
        maturity_label: "成熟度",
        live_label: "全部入库方案",
        form: form_values(&c),
        categories: Vec::new(),
        industries: industry_choices(taxonomy, c.industry.as_deref().unwrap_or_default()),
        groups,
        regions,
        maturities: maturity_choices(&opt(c.maturity), "及以上"),
        statuses: [CapabilityStatus::Listed, CapabilityStatus::Featured]
            .into_iter()
            .map(|s| {
                let label = if s == CapabilityStatus::Featured {
                    "晋中优秀方案"
                } else {
                    s.label()
                };
                Choice::new(s.as_str(), label, &status_value)
            })
            .collect(),
        orders: CAPABILITY_ORDERS
            .iter()
            .map(|(key, label, _)| Choice::new(key, label, order_key))
            .collect(),
        total,
        items,
        pager,
    };
    render(&portal, &request, "list.html", head, page)
}

// ---- Items by code ------------------------------------------------------------------------------

/// Where a detail page sits: the list it belongs to.
#[derive(Serialize)]
struct Parent {
    label: &'static str,
    url: &'static str,
}

#[derive(Serialize)]
struct ScenarioPage {
    s: view::ScenarioView,
    parent: Parent,
    timeline: Vec<view::Step>,
    similar: Vec<view::Link>,
}

async fn scenario_page(
    portal: &Portal,
    request: &HeaderMap,
    row: ScenarioRow,
    as_case: bool,
) -> PageResult {
    let unit = orgs::find(&portal.db, &row.org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let events = scenarios::service::timeline(&portal.db, &VISITOR, &row).await?;
    let similar = if row.status().is_open() {
        scenarios::service::similar(&portal.db, &portal.index, &row, SIMILAR).await?
    } else {
        Vec::new()
    };
    let code = row.code.clone().unwrap_or_default();
    let head = Head {
        title: row.title.clone(),
        description: row.summary.clone(),
        path: if as_case {
            view::case_path(&code)
        } else {
            view::scenario_path(&code)
        },
        section: if as_case { "cases" } else { "opportunities" },
    };
    let page = ScenarioPage {
        s: view::scenario_view(&portal.taxonomy, unit, &row),
        parent: if as_case {
            Parent {
                label: "落地案例",
                url: "/cases",
            }
        } else {
            Parent {
                label: "机会清单",
                url: "/opportunities",
            }
        },
        timeline: view::steps(events, |s| ScenarioStatus::parse(s).map(|s| s.label())),
        similar: similar.iter().map(view::scenario_link).collect(),
    };
    render(portal, request, "scenario.html", head, page)
}

pub async fn scenario(
    State(portal): State<Portal>,
    request: HeaderMap,
    Path(code): Path<String>,
) -> PageResult {
    let row = scenarios::service::find(&portal.db, &VISITOR, Key::Code(&code)).await?;
    scenario_page(&portal, &request, row, false).await
}

#[derive(Serialize)]
struct CapabilityPage {
    c: view::CapabilityView,
    timeline: Vec<view::Step>,
    similar: Vec<view::Link>,
}

pub async fn capability(
    State(portal): State<Portal>,
    request: HeaderMap,
    Path(code): Path<String>,
) -> PageResult {
    let row: CapabilityRow =
        capabilities::service::find(&portal.db, &VISITOR, Key::Code(&code)).await?;
    let provider = orgs::find(&portal.db, &row.org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let events = capabilities::service::timeline(&portal.db, &VISITOR, &row).await?;
    let similar = capabilities::service::similar(&portal.db, &portal.index, &row, SIMILAR).await?;
    let head = Head {
        title: row.title.clone(),
        description: row.summary.clone(),
        path: view::capability_path(row.code.as_deref().unwrap_or_default()),
        section: "capabilities",
    };
    let page = CapabilityPage {
        c: view::capability_view(&portal.taxonomy, provider, &row),
        timeline: view::steps(events, |s| CapabilityStatus::parse(s).map(|s| s.label())),
        similar: similar.iter().map(view::capability_link).collect(),
    };
    render(&portal, &request, "capability.html", head, page)
}

// ---- Cases (推广) ------------------------------------------------------------------------------

const CASE_STATUSES: [ScenarioStatus; 2] = [ScenarioStatus::Landed, ScenarioStatus::Promoted];

/// Scenarios in `statuses` (the live list when none), newest first.
pub(super) async fn newest_scenarios(
    portal: &Portal,
    statuses: Option<Vec<ScenarioStatus>>,
    page: PageRequest,
) -> Result<(Vec<ScenarioRow>, i64), Failure> {
    let filter = OpportunityFilter {
        statuses,
        ..Default::default()
    };
    Ok(scenarios::service::opportunity_list(
        &portal.db,
        &portal.taxonomy,
        &portal.index,
        &VISITOR,
        filter,
        ScenarioOrderBy::PublishedAt,
        page,
    )
    .await?
    .window(&page))
}

/// Landed and promoted scenarios, newest first (the showcase and its feed).
pub(super) async fn case_rows(
    portal: &Portal,
    page: PageRequest,
) -> Result<(Vec<ScenarioRow>, i64), Failure> {
    newest_scenarios(portal, Some(CASE_STATUSES.to_vec()), page).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageParams {
    pub(super) page: Option<String>,
}

#[derive(Serialize)]
struct CasesPage {
    cases: Vec<view::CaseView>,
    pager: Pager,
}

pub async fn cases(
    State(portal): State<Portal>,
    request: HeaderMap,
    query: Result<Query<PageParams>, QueryRejection>,
) -> PageResult {
    let number = page_number(params(query)?.page.as_deref())?;
    let (rows, total) = case_rows(&portal, page_request(number, PER_PAGE)).await?;
    let names = org_names(&portal, rows.iter().map(|r| r.org_id.clone())).await?;
    let head = Head {
        title: "落地案例".to_owned(),
        description: "晋中市场景创新落地案例：已落地和推广的场景、成效与承担方案。".to_owned(),
        path: address("/cases", &[], number),
        section: "cases",
    };
    let page = CasesPage {
        cases: rows
            .iter()
            .map(|r| view::case_card(&portal.taxonomy, &names, r))
            .collect(),
        pager: Pager::new(number, total, PER_PAGE, |n| address("/cases", &[], n)),
    };
    render(&portal, &request, "cases.html", head, page)
}

pub async fn case(
    State(portal): State<Portal>,
    request: HeaderMap,
    Path(code): Path<String>,
) -> PageResult {
    let row = scenarios::service::find(&portal.db, &VISITOR, Key::Code(&code)).await?;
    if !CASE_STATUSES.contains(&row.status()) {
        return Err(Failure(AppError::NotFound));
    }
    scenario_page(&portal, &request, row, true).await
}

// ---- Editions -----------------------------------------------------------------------------------

#[derive(Serialize)]
struct EditionView {
    title: String,
    kind: &'static str,
    batch: i64,
    date: String,
    url: String,
    xlsx: String,
    csv: String,
}

fn edition_view(row: &lists::store::EditionRow) -> EditionView {
    let id = view::encode(&row.id);
    EditionView {
        title: row.title.clone(),
        kind: if row.kind == "CAPABILITY" {
            "能力清单"
        } else {
            "机会清单"
        },
        batch: row.batch,
        date: view::day(row.published_at.as_deref()).unwrap_or_default(),
        url: format!("/editions/{id}"),
        xlsx: format!("/exports/editions/{id}.xlsx"),
        csv: format!("/exports/editions/{id}.csv"),
    }
}

#[derive(Serialize)]
struct EditionsPage {
    editions: Vec<EditionView>,
    pager: Pager,
}

pub async fn editions(
    State(portal): State<Portal>,
    request: HeaderMap,
    query: Result<Query<PageParams>, QueryRejection>,
) -> PageResult {
    let number = page_number(params(query)?.page.as_deref())?;
    let page = page_request(number, PER_PAGE);
    let (rows, total) = lists::service::list(&portal.db, &VISITOR, None, None, false, page)
        .await?
        .window(&page);
    let head = Head {
        title: "清单发布".to_owned(),
        description: "晋中市机会清单和能力清单的历次发布，可下载 Excel 或 CSV。".to_owned(),
        path: address("/editions", &[], number),
        section: "editions",
    };
    let page = EditionsPage {
        editions: rows.iter().map(edition_view).collect(),
        pager: Pager::new(number, total, PER_PAGE, |n| address("/editions", &[], n)),
    };
    render(&portal, &request, "editions.html", head, page)
}

#[derive(Serialize)]
struct EditionItem {
    seq: i64,
    code: String,
    title: String,
    /// The item's page, while it is public.
    url: Option<String>,
}

#[derive(Serialize)]
struct EditionPage {
    e: EditionView,
    items: Vec<EditionItem>,
    total: i64,
    pager: Pager,
}

/// Entries on a page of an edition.
const EDITION_PAGE: i64 = 100;

pub async fn edition(
    State(portal): State<Portal>,
    request: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<PageParams>, QueryRejection>,
) -> PageResult {
    let number = page_number(params(query)?.page.as_deref())?;
    let row = lists::service::find(&portal.db, &VISITOR, &id).await?;
    let page = page_request(number, EDITION_PAGE);
    let (entries, total) = lists::service::items(&portal.db, &row, page)
        .await?
        .window(&page);
    let ids: Vec<String> = entries.iter().map(|e| e.item_id.clone()).collect();
    // Entries stay in the frozen edition; an item's page is linked only while it is public.
    let public: Vec<String> = if row.kind == "CAPABILITY" {
        capabilities::store::find_many(&portal.db, &ids)
            .await?
            .into_iter()
            .filter(|c| c.status().is_public())
            .filter_map(|c| c.code)
            .collect()
    } else {
        scenarios::store::find_many(&portal.db, &ids)
            .await?
            .into_iter()
            .filter(|s| s.status().is_public())
            .filter_map(|s| s.code)
            .collect()
    };
    let path_of = |code: &str| {
        if row.kind == "CAPABILITY" {
            view::capability_path(code)
        } else {
            view::scenario_path(code)
        }
    };
    let items = entries
        .into_iter()
        .map(|e| {
            let code = e.code.unwrap_or_default();
            EditionItem {
                seq: e.seq,
                url: public.contains(&code).then(|| path_of(&code)),
                title: e.title.unwrap_or_default(),
                code,
            }
        })
        .collect();
    let own = format!("/editions/{}", view::encode(&row.id));
    let head = Head {
        title: row.title.clone(),
        description: format!("{}：共{}项，可下载 Excel 或 CSV。", row.title, total),
        path: address(&own, &[], number),
        section: "editions",
    };
    let page = EditionPage {
        e: edition_view(&row),
        items,
        total,
        pager: Pager::new(number, total, EDITION_PAGE, |n| address(&own, &[], n)),
    };
    render(&portal, &request, "edition.html", head, page)
}

// ---- Home ---------------------------------------------------------------------------------------

#[derive(Serialize)]
struct Figure {
    value: String,
    label: &'static str,
}

#[derive(Serialize)]
struct HomePage {
    figures: Vec<Figure>,
    scenarios: Vec<ScenarioCard>,
    featured: Vec<CapabilityCard>,
    editions: Vec<EditionView>,
}

/// Items of each kind on the home page.
const HOME_ITEMS: i64 = 6;

pub async fn home(State(portal): State<Portal>, request: HeaderMap) -> PageResult {
    let taxonomy = &portal.taxonomy;
    let first = page_request(1, HOME_ITEMS);
    let (scenarios, _) = newest_scenarios(&portal, None, first).await?;
    let (featured, _) = capabilities::service::capability_list(
        &portal.db,
        taxonomy,
        &portal.index,
        &VISITOR,
        CapabilityFilter {
            statuses: Some(vec![CapabilityStatus::Featured]),
            ..Default::default()
        },
        CapabilityOrderBy::ListedAt,
        first,
    )
    .await?
    .window(&first);
    let three = page_request(1, 3);
    let (editions, _) = lists::service::list(&portal.db, &VISITOR, None, None, false, three)
        .await?
        .window(&three);
    let figures = stats::service::stats(
        &portal.db,
        taxonomy,
        &VISITOR,
        &stats::service::StatsFilter::default(),
    )
    .await?;
    let names = org_names(
        &portal,
        scenarios
            .iter()
            .map(|r| r.org_id.clone())
            .chain(featured.iter().map(|r| r.org_id.clone())),
    )
    .await?;
    let landed: i64 = figures
        .scenarios
        .by_status
        .iter()
        .filter(|s| CASE_STATUSES.contains(&s.status))
        .map(|s| s.count)
        .sum();
    let investment: i64 = figures
        .scenarios
        .landed_by_region
        .iter()
        .filter_map(|b| b.amount)
        .sum();
    let head = Head {
        title: "首页".to_owned(),
        description: "晋中市场景创新“两张清单”：机会清单发布应用场景，能力清单推介晋中优秀方案。"
            .to_owned(),
        path: "/".to_owned(),
        section: "",
    };
    let page = HomePage {
        figures: vec![
            Figure {
                value: figures.scenarios.total.to_string(),
                label: "已发布场景",
            },
            Figure {
                value: landed.to_string(),
                label: "已落地场景",
            },
            Figure {
                value: figures.capabilities.listed.to_string(),
                label: "入库方案",
            },
            Figure {
                value: figures.capabilities.featured.to_string(),
                label: "晋中优秀方案",
            },
            Figure {
                value: format!("{investment}万元"),
                label: "落地投资",
            },
        ],
        scenarios: scenarios
            .iter()
            .map(|r| view::scenario_card(taxonomy, &names, &[], r))
            .collect(),
        featured: featured
            .iter()
            .map(|r| view::capability_card(taxonomy, &names, &[], r))
            .collect(),
        editions: editions.iter().map(edition_view).collect(),
    };
    render(&portal, &request, "home.html", head, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_leave_out_empty_values_and_the_first_page() {
        let pairs = [("q", "煤矿 巡检".to_owned()), ("region", String::new())];
        assert_eq!(
            address("/opportunities", &pairs, 1),
            "/opportunities?q=%E7%85%A4%E7%9F%BF%20%E5%B7%A1%E6%A3%80"
        );
        assert_eq!(address("/cases", &[], 3), "/cases?page=3");
        assert_eq!(address("/cases", &[], 1), "/cases");
    }

    #[test]
    fn pager_links_its_neighbours() {
        let pager = Pager::new(2, 45, 20, |n| format!("/x?page={n}"));
        assert_eq!(pager.pages, 3);
        assert_eq!(pager.prev.as_deref(), Some("/x?page=1"));
        assert_eq!(pager.next.as_deref(), Some("/x?page=3"));
        let only = Pager::new(1, 0, 20, |n| n.to_string());
        assert_eq!((only.pages, only.prev, only.next), (1, None, None));
    }
}

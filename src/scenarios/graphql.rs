use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::machine::{RULES, ScenarioAction, ScenarioStatus, Step};
use super::store::{self, ListQuery, Order, ScenarioContent, ScenarioRow};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, ErrorCode, UserError, Validator};
use crate::items::{self, Contact, ContactInput, ReviewDecision};
use crate::items::{TimelineEvent, timeline};
use crate::machine::{self, By};
use crate::matches::ContactPartnersLoader;
use crate::orgs::graphql::load_organization;
use crate::orgs::{self, Organization, OrganizationKind, OrganizationStatus};
use crate::pagination::{Page, PageRequest};
use crate::search::LiveIndex;
use crate::taxonomy::{Industry, Region, RegionGroup, Taxonomy};
use crate::viewer::{Role, Viewer};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ScenarioCategoryCode {
    /// 智慧应用新兴场景
    Industrial,
    /// 智慧城市场景
    City,
    /// 智慧社区场景
    Community,
}

impl ScenarioCategoryCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioCategoryCode::Industrial => "INDUSTRIAL",
            ScenarioCategoryCode::City => "CITY",
            ScenarioCategoryCode::Community => "COMMUNITY",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Industrial, Self::City, Self::Community]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CooperationMode {
    /// 采购
    Procurement,
    /// 联合研发
    JointRd,
    /// 场景开放（免费试用、试点）
    SiteOpen,
    /// 投资合作
    Investment,
    Other,
}

impl CooperationMode {
    const ALL: [CooperationMode; 5] = [
        CooperationMode::Procurement,
        CooperationMode::JointRd,
        CooperationMode::SiteOpen,
        CooperationMode::Investment,
        CooperationMode::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CooperationMode::Procurement => "PROCUREMENT",
            CooperationMode::JointRd => "JOINT_RD",
            CooperationMode::SiteOpen => "SITE_OPEN",
            CooperationMode::Investment => "INVESTMENT",
            CooperationMode::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A scenario of the opportunity list (机会清单).
#[derive(Clone, Debug)]
pub struct Scenario(pub ScenarioRow);

/// The viewer manages the scenario: a member of its unit, or an admin.
pub fn can_manage(viewer: &Viewer, row: &ScenarioRow) -> bool {
    viewer.is_admin() || viewer.org_id() == Some(row.org_id.as_str())
}

fn can_read(viewer: &Viewer, row: &ScenarioRow) -> bool {
    row.status().is_public() || can_manage(viewer, row)
}

#[Object]
impl Scenario {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Public code `JZ-JH-<year>-<seq>`, assigned on first approval.
    async fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn category(&self) -> Option<ScenarioCategoryCode> {
        ScenarioCategoryCode::parse(&self.0.category)
    }
    async fn industry_codes(&self) -> Vec<String> {
        self.0.industry_codes()
    }
    async fn industries(&self, ctx: &Context<'_>) -> Vec<Industry> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        self.0
            .industry_codes()
            .iter()
            .filter_map(|code| taxonomy.industry(code).cloned().map(Industry))
            .collect()
    }
    async fn tags(&self) -> Vec<String> {
        self.0.tags()
    }
    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        taxonomy.region(&self.0.region_code).cloned().map(Region)
    }
    /// 预算下限（万元）
    async fn budget_min(&self) -> Option<i64> {
        self.0.budget_min
    }
    /// 预算上限（万元）
    async fn budget_max(&self) -> Option<i64> {
        self.0.budget_max
    }
    async fn cooperation_modes(&self) -> Vec<CooperationMode> {
        self.0
            .cooperation_modes
            .split(',')
            .filter_map(CooperationMode::parse)
            .collect()
    }
    /// Lowest technology readiness level (1–9) a solution must have.
    async fn maturity_required(&self) -> Option<i64> {
        self.0.maturity_required
    }
    async fn deadline(&self) -> Option<NaiveDate> {
        self.0.deadline()
    }
    /// Shown to the publishing unit and admins only.
    /// Shown to the owner and admins, and to the other party of a match from CONNECTED on.
    async fn contact(&self, ctx: &Context<'_>) -> AppResult<Option<Contact>> {
        let viewer = Viewer::of(ctx);
        if can_manage(viewer, &self.0) {
            return Ok(self.0.contact());
        }
        let Some(org) = viewer.org_id() else {
            return Ok(None);
        };
        let partners = crate::loaders::load_one::<ContactPartnersLoader>(ctx, &self.0.id)
            .await?
            .unwrap_or_default();
        Ok(self
            .0
            .contact()
            .filter(|_| partners.iter().any(|p| p == org)))
    }
    async fn status(&self) -> ScenarioStatus {
        self.0.status()
    }
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn publishing_unit(&self, ctx: &Context<'_>) -> AppResult<Organization> {
        load_organization(ctx, &self.0.org_id)
            .await?
            .ok_or_else(|| AppError::internal("scenario without organization"))
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.updated_at)
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at.as_deref().and_then(db::parse_time)
    }
    /// Every change, oldest first.
    async fn timeline(&self, ctx: &Context<'_>) -> AppResult<Vec<TimelineEvent>> {
        timeline(ctx, &self.0.id).await
    }
}

/// The fields of a scenario as the owner writes them; in an update, a missing field keeps its
/// current value.
#[derive(InputObject, Default)]
pub struct ScenarioFields {
    /// At most 60 characters.
    pub title: Option<String>,
    /// At most 200 characters.
    pub summary: Option<String>,
    /// At most 5000 characters.
    pub description: Option<String>,
    pub category: Option<ScenarioCategoryCode>,
    /// At least one industry code of the taxonomy.
    pub industry_codes: Option<Vec<String>>,
    /// At most 10 tags of at most 20 characters.
    pub tags: Option<Vec<String>>,
    /// Defaults to the publishing unit's region.
    pub region_code: Option<String>,
    pub budget_min: Option<i32>,
    pub budget_max: Option<i32>,
    pub cooperation_modes: Option<Vec<CooperationMode>>,
    /// Technology readiness level 1–9.
    pub maturity_required: Option<i32>,
    pub deadline: Option<NaiveDate>,
    pub contact: Option<ContactInput>,
}

#[derive(InputObject)]
pub struct CreateScenarioInput {
    /// Admins only: the government unit the scenario is created for.
    pub organization_id: Option<ID>,
    #[graphql(flatten)]
    pub fields: ScenarioFields,
}

#[derive(InputObject)]
pub struct UpdateScenarioInput {
    pub id: ID,
    pub expected_version: i64,
    #[graphql(flatten)]
    pub fields: ScenarioFields,
}

#[derive(InputObject)]
pub struct TransitionScenarioInput {
    pub id: ID,
    pub action: ScenarioAction,
    pub note: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(InputObject)]
pub struct ReviewScenarioInput {
    pub id: ID,
    pub decision: ReviewDecision,
    /// Required when requesting changes; shown to the unit.
    pub reason: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(InputObject)]
pub struct ExtendScenarioDeadlineInput {
    pub id: ID,
    pub deadline: NaiveDate,
    pub expected_version: Option<i64>,
}

#[derive(InputObject)]
pub struct UpdateScenarioContactInput {
    pub id: ID,
    pub contact: ContactInput,
    pub expected_version: Option<i64>,
}

/// The answer of every scenario mutation.
#[derive(SimpleObject)]
pub struct ScenarioPayload {
    pub scenario: Option<Scenario>,
    pub errors: Vec<UserError>,
}

impl ScenarioPayload {
    fn ok(row: ScenarioRow) -> Self {
        ScenarioPayload {
            scenario: Some(Scenario(row)),
            errors: vec![],
        }
    }

    fn refused(errors: Vec<UserError>) -> Self {
        ScenarioPayload {
            scenario: None,
            errors,
        }
    }
}

#[derive(InputObject, Default)]
pub struct OpportunityFilter {
    /// Free text in Chinese (words or phrases), matched with the same tokenizer as the
    /// recommendations; combine with `orderBy: RELEVANCE`.
    pub query: Option<String>,
    pub category: Option<ScenarioCategoryCode>,
    /// A cluster code (e.g. MT) matches all of its sub-industries.
    pub industry_codes: Option<Vec<String>>,
    pub region_codes: Option<Vec<String>>,
    pub region_group: Option<RegionGroup>,
    /// Scenarios whose budget range meets [budgetMin, budgetMax] (万元).
    pub budget_min: Option<i32>,
    pub budget_max: Option<i32>,
    /// Scenarios asking for at least this readiness level.
    pub maturity_at_least: Option<i32>,
    /// Scenarios whose deadline is after this date.
    pub deadline_after: Option<NaiveDate>,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum ScenarioOrderBy {
    /// Newest first.
    #[default]
    PublishedAt,
    /// Soonest deadline first.
    Deadline,
    /// Largest budget first.
    Budget,
    /// Best match of `filter.query` first (newest first without a query).
    Relevance,
}

/// Most items a free-text query considers.
pub const MAX_TEXT_HITS: usize = 1000;

/// Expands industry codes (a cluster to itself and its children) and regions (a group to its
/// counties) for list filters.
pub fn expand_industries(taxonomy: &Taxonomy, codes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in codes {
        out.push(code.clone());
        out.extend(taxonomy.children(code).map(|c| c.code.clone()));
    }
    out.sort();
    out.dedup();
    out
}

pub fn expand_regions(
    taxonomy: &Taxonomy,
    codes: Option<&[String]>,
    group: Option<RegionGroup>,
) -> Option<Vec<String>> {
    let by_group: Option<Vec<String>> = group.map(|g| {
        taxonomy
            .regions
            .iter()
            .filter(|r| r.group.as_deref() == Some(g.as_str()))
            .map(|r| r.code.clone())
            .collect()
    });
    match (codes, by_group) {
        (None, None) => None,
        (Some(codes), None) => Some(codes.to_vec()),
        (None, Some(group)) => Some(group),
        (Some(codes), Some(group)) => Some(
            codes
                .iter()
                .filter(|c| group.contains(c))
                .cloned()
                .collect(),
        ),
    }
}

#[derive(Default)]
pub struct ScenarioQuery;

#[Object]
impl ScenarioQuery {
    /// A scenario by id or public code. Drafts and items under review are visible to their unit
    /// and admins only (NOT_FOUND for others).
    async fn scenario(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        code: Option<String>,
    ) -> AppResult<Option<Scenario>> {
        let db = ctx.data_unchecked::<Db>();
        let row = match (id, code) {
            (Some(id), None) => store::find(db, &id).await?,
            (None, Some(code)) => store::find_by_code(db, code.trim()).await?,
            _ => {
                return Err(AppError::BadRequest("请提供 id 或 code 之一".into()));
            }
        };
        let row = row
            .filter(|row| can_read(Viewer::of(ctx), row))
            .ok_or(AppError::NotFound)?;
        Ok(Some(Scenario(row)))
    }

    /// The live opportunity list: PUBLISHED and MATCHING scenarios. No sign-in needed.
    async fn opportunity_list(
        &self,
        ctx: &Context<'_>,
        filter: Option<OpportunityFilter>,
        order_by: Option<ScenarioOrderBy>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Scenario>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        let f = filter.unwrap_or_default();
        let query = ListQuery {
            statuses: vec![ScenarioStatus::Published, ScenarioStatus::Matching],
            category: f.category.map(|c| c.as_str().to_owned()),
            industry_codes: f.industry_codes.map(|c| expand_industries(taxonomy, &c)),
            region_codes: expand_regions(taxonomy, f.region_codes.as_deref(), f.region_group),
            budget_min: f.budget_min.map(i64::from),
            budget_max: f.budget_max.map(i64::from),
            maturity_at_least: f.maturity_at_least.map(i64::from),
            deadline_after: f.deadline_after,
            ..Default::default()
        };
        let order_by = order_by.unwrap_or_default();
        let order = match order_by {
            ScenarioOrderBy::PublishedAt | ScenarioOrderBy::Relevance => Order::PublishedAt,
            ScenarioOrderBy::Deadline => Order::Deadline,
            ScenarioOrderBy::Budget => Order::Budget,
        };
        let db = ctx.data_unchecked::<Db>();
        let hits = f
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|text| {
                ctx.data_unchecked::<Arc<LiveIndex>>()
                    .search_scenarios(text, MAX_TEXT_HITS)
            });
        let query = ListQuery {
            ids: hits
                .as_ref()
                .map(|hits| hits.iter().map(|(id, _)| id.clone()).collect()),
            ..query
        };
        match hits.filter(|_| order_by == ScenarioOrderBy::Relevance) {
            None => {
                let (rows, total) = store::list(db, &query, order, page).await?;
                Ok(page.connection(rows, total, Scenario))
            }
            Some(hits) => {
                let (mut rows, _) =
                    store::list(db, &query, order, PageRequest::first(MAX_TEXT_HITS)).await?;
                crate::items::order_by_hits(&mut rows, &hits, |row| &row.id);
                Ok(page.connection_from_all(rows, Scenario))
            }
        }
    }

    /// The signed-in unit's scenarios in every status, most recently changed first.
    async fn my_scenarios(
        &self,
        ctx: &Context<'_>,
        status: Option<ScenarioStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Scenario>> {
        let claims = Viewer::of(ctx).require_user()?;
        let page = PageRequest::new(first, after.as_deref())?;
        let query = ListQuery {
            statuses: status.into_iter().collect(),
            org_id: Some(claims.org.clone()),
            ..Default::default()
        };
        let db = ctx.data_unchecked::<Db>();
        let (rows, total) = store::list(db, &query, Order::UpdatedAt, page).await?;
        Ok(page.connection(rows, total, Scenario))
    }
}

/// Loads a scenario the viewer may change: NOT_FOUND when they may not even see it, FORBIDDEN
/// when they see it but it is not theirs.
async fn load_managed(ctx: &Context<'_>, id: &str) -> AppResult<ScenarioRow> {
    let viewer = Viewer::of(ctx);
    viewer.require_user()?;
    let db = ctx.data_unchecked::<Db>();
    let row = store::find(db, id)
        .await?
        .filter(|row| can_read(viewer, row))
        .ok_or(AppError::NotFound)?;
    if !can_manage(viewer, &row) {
        return Err(AppError::Forbidden);
    }
    Ok(row)
}

fn check_version(row: &ScenarioRow, expected: Option<i64>) -> AppResult<()> {
    match expected {
        Some(v) if v != row.version => Err(AppError::Conflict),
        _ => Ok(()),
    }
}

fn invalid_transition(row: &ScenarioRow, step: Step) -> UserError {
    let allowed: Vec<&str> = RULES
        .iter()
        .filter(|r| r.action == step)
        .map(|r| r.from.label())
        .collect();
    UserError::new(
        &["action"],
        ErrorCode::InvalidTransition,
        items::transition_refusal(row.status().label(), step.label(), &allowed),
    )
}

/// Merges `fields` over `base` (or defaults) and validates the whole.
fn validate_content(
    taxonomy: &Taxonomy,
    base: Option<&ScenarioRow>,
    default_region: &str,
    fields: ScenarioFields,
) -> Result<ScenarioContent, Vec<UserError>> {
    let mut v = Validator::default();
    let title = fields
        .title
        .or_else(|| base.map(|b| b.title.clone()))
        .unwrap_or_default();
    let summary = fields
        .summary
        .or_else(|| base.map(|b| b.summary.clone()))
        .unwrap_or_default();
    let description = fields
        .description
        .or_else(|| base.map(|b| b.description.clone()))
        .unwrap_or_default();
    v.text(&["title"], "场景名称", &title, 60);
    v.text(&["summary"], "场景简介", &summary, 200);
    v.text(&["description"], "场景描述", &description, 5000);
    let category = fields
        .category
        .or_else(|| base.and_then(|b| ScenarioCategoryCode::parse(&b.category)));
    if category.is_none() {
        v.push(&["category"], ErrorCode::Required, "请选择场景类别");
    }
    let industry_codes = fields
        .industry_codes
        .unwrap_or_else(|| base.map(|b| b.industry_codes()).unwrap_or_default());
    let industry_codes = items::validate_industries(&mut v, taxonomy, &industry_codes);
    let tags = fields
        .tags
        .unwrap_or_else(|| base.map(|b| b.tags()).unwrap_or_default());
    let tags = items::validate_tags(&mut v, &tags);
    let region_code = fields
        .region_code
        .map(|r| r.trim().to_owned())
        .or_else(|| base.map(|b| b.region_code.clone()))
        .unwrap_or_else(|| default_region.to_owned());
    if taxonomy.region(&region_code).is_none() {
        v.push(&["regionCode"], ErrorCode::UnknownRegion, "所在地区不存在");
    }
    let budget_min = fields
        .budget_min
        .or_else(|| base.and_then(|b| b.budget_min.map(|x| x as i32)));
    let budget_max = fields
        .budget_max
        .or_else(|| base.and_then(|b| b.budget_max.map(|x| x as i32)));
    items::validate_range(
        &mut v,
        ("budgetMin", "budgetMax"),
        "预算",
        budget_min,
        budget_max,
    );
    let cooperation_modes: Vec<String> = match fields.cooperation_modes {
        Some(modes) => {
            let mut out: Vec<String> = modes.iter().map(|m| m.as_str().to_owned()).collect();
            out.dedup();
            out
        }
        None => base
            .map(|b| {
                b.cooperation_modes
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    };
    let maturity_required = fields
        .maturity_required
        .or_else(|| base.and_then(|b| b.maturity_required.map(|x| x as i32)));
    items::validate_trl(&mut v, "maturityRequired", maturity_required);
    let deadline = fields.deadline.or_else(|| base.and_then(|b| b.deadline()));
    let contact = match fields.contact {
        Some(contact) => contact.validate(&mut v, "contact"),
        None => base.and_then(|b| b.contact()),
    };
    v.finish()?;
    Ok(ScenarioContent {
        title: title.trim().to_owned(),
        summary: summary.trim().to_owned(),
        description: description.trim().to_owned(),
        category: category.expect("checked").as_str().to_owned(),
        industry_codes,
        tags,
        region_code,
        budget_min: budget_min.map(i64::from),
        budget_max: budget_max.map(i64::from),
        cooperation_modes,
        maturity_required: maturity_required.map(i64::from),
        deadline,
        contact,
    })
}

/// What planning needs: budget, maturity, a deadline after today, a contact.
fn check_plan_complete(row: &ScenarioRow) -> Result<(), Vec<UserError>> {
    let mut v = Validator::default();
    if row.budget_min.is_none() || row.budget_max.is_none() {
        v.push(&["budgetMin"], ErrorCode::Incomplete, "请填写预算范围");
    }
    if row.maturity_required.is_none() {
        v.push(
            &["maturityRequired"],
            ErrorCode::Incomplete,
            "请填写要求的技术成熟度",
        );
    }
    match row.deadline() {
        None => v.push(&["deadline"], ErrorCode::Incomplete, "请填写征集截止日期"),
        Some(d) if d <= items::today_in_china() => v.push(
            &["deadline"],
            ErrorCode::Incomplete,
            "征集截止日期须晚于今天",
        ),
        Some(_) => {}
    }
    if row.contact().is_none() {
        v.push(&["contact"], ErrorCode::Incomplete, "请填写联系人");
    }
    v.finish()
}

#[derive(Default)]
pub struct ScenarioMutation;

#[Object]
impl ScenarioMutation {
    /// A government unit records a scenario (挖掘). Admins may create one for a unit.
    async fn create_scenario(
        &self,
        ctx: &Context<'_>,
        input: CreateScenarioInput,
    ) -> AppResult<ScenarioPayload> {
        let viewer = Viewer::of(ctx);
        let claims = viewer.require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let org_id = match (claims.role, input.organization_id) {
            (Role::Government, None) => claims.org.clone(),
            (Role::Government, Some(id)) if *id == claims.org => claims.org.clone(),
            (Role::Admin, Some(id)) => id.to_string(),
            (Role::Admin, None) => {
                return Ok(ScenarioPayload::refused(vec![UserError::new(
                    &["organizationId"],
                    ErrorCode::Required,
                    "请选择发布场景的政府单位",
                )]));
            }
            _ => return Err(AppError::Forbidden),
        };
        let org = orgs::find(db, &org_id).await?.ok_or(AppError::NotFound)?;
        if org.kind() != OrganizationKind::Government {
            return Ok(ScenarioPayload::refused(vec![UserError::new(
                &["organizationId"],
                ErrorCode::Invalid,
                "场景只能由政府单位发布",
            )]));
        }
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        let content = match validate_content(taxonomy, None, &org.region_code, input.fields) {
            Ok(content) => content,
            Err(errors) => return Ok(ScenarioPayload::refused(errors)),
        };
        let row = store::insert(db, &org.id, &claims.sub, &content).await?;
        Ok(ScenarioPayload::ok(row))
    }

    /// Changes a scenario's content; only in DISCOVERED, PLANNED and CHANGES_REQUESTED.
    async fn update_scenario(
        &self,
        ctx: &Context<'_>,
        input: UpdateScenarioInput,
    ) -> AppResult<ScenarioPayload> {
        let current = load_managed(ctx, &input.id).await?;
        check_version(&current, Some(input.expected_version))?;
        if !current.status().is_editable() {
            return Ok(ScenarioPayload::refused(vec![UserError::new(
                &[],
                ErrorCode::InvalidTransition,
                format!(
                    "当前状态为「{}」，不能修改场景内容；仅「挖掘」「策划」「退回修改」状态可修改",
                    current.status().label()
                ),
            )]));
        }
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        let content =
            match validate_content(taxonomy, Some(&current), &current.region_code, input.fields) {
                Ok(content) => content,
                Err(errors) => return Ok(ScenarioPayload::refused(errors)),
            };
        let claims = Viewer::of(ctx).require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let row = store::update_content(db, &current, &content, &claims.sub, "EDIT")
            .await?
            .ok_or(AppError::Conflict)?;
        Ok(ScenarioPayload::ok(row))
    }

    /// The owner's lifecycle actions: PLAN, SUBMIT, WITHDRAW, CLOSE.
    async fn transition_scenario(
        &self,
        ctx: &Context<'_>,
        input: TransitionScenarioInput,
    ) -> AppResult<ScenarioPayload> {
        let current = load_managed(ctx, &input.id).await?;
        check_version(&current, input.expected_version)?;
        let step = Step::from(input.action);
        let Some(rule) = machine::lookup(RULES, current.status(), step) else {
            return Ok(ScenarioPayload::refused(vec![invalid_transition(
                &current, step,
            )]));
        };
        debug_assert_eq!(rule.by, By::Owner);
        let db = ctx.data_unchecked::<Db>();
        match step {
            Step::Plan => {
                if let Err(errors) = check_plan_complete(&current) {
                    return Ok(ScenarioPayload::refused(errors));
                }
            }
            Step::Submit => {
                let org = orgs::find(db, &current.org_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                if org.status() != OrganizationStatus::Verified {
                    return Ok(ScenarioPayload::refused(vec![UserError::new(
                        &[],
                        ErrorCode::OrganizationNotVerified,
                        "本单位尚未通过平台认证，认证后才能提交审核",
                    )]));
                }
                if let Err(errors) = check_plan_complete(&current) {
                    return Ok(ScenarioPayload::refused(errors));
                }
            }
            _ => {}
        }
        let claims = Viewer::of(ctx).require_user()?;
        let note = clean_note(input.note.as_deref());
        // Ending a scenario also ends its matches that were not selected (an event handler).
        let row = store::transition(db, &current, rule, Some(&claims.sub), note)
            .await?
            .ok_or(AppError::Conflict)?;
        super::documents::sync(ctx.data_unchecked::<Arc<LiveIndex>>(), &row);
        Ok(ScenarioPayload::ok(row))
    }

    /// Admin: approves a submitted scenario (PUBLISHED, with its public code on first approval)
    /// or sends it back with a reason.
    async fn review_scenario(
        &self,
        ctx: &Context<'_>,
        input: ReviewScenarioInput,
    ) -> AppResult<ScenarioPayload> {
        let admin = Viewer::of(ctx).require_admin()?;
        let db = ctx.data_unchecked::<Db>();
        let current = store::find(db, &input.id)
            .await?
            .ok_or(AppError::NotFound)?;
        check_version(&current, input.expected_version)?;
        let reason = clean_note(input.reason.as_deref());
        let step = match input.decision {
            ReviewDecision::Approve => Step::Approve,
            ReviewDecision::RequestChanges => Step::RequestChanges,
        };
        let Some(rule) = machine::lookup(RULES, current.status(), step) else {
            return Ok(ScenarioPayload::refused(vec![invalid_transition(
                &current, step,
            )]));
        };
        if step == Step::RequestChanges && reason.is_none() {
            return Ok(ScenarioPayload::refused(vec![UserError::new(
                &["reason"],
                ErrorCode::Required,
                "退回修改时请说明原因",
            )]));
        }
        let row = store::transition(db, &current, rule, Some(&admin.sub), reason)
            .await?
            .ok_or(AppError::Conflict)?;
        super::documents::sync(ctx.data_unchecked::<Arc<LiveIndex>>(), &row);
        Ok(ScenarioPayload::ok(row))
    }

    /// Moves the deadline of a published scenario later.
    async fn extend_scenario_deadline(
        &self,
        ctx: &Context<'_>,
        input: ExtendScenarioDeadlineInput,
    ) -> AppResult<ScenarioPayload> {
        let current = load_managed(ctx, &input.id).await?;
        check_version(&current, input.expected_version)?;
        if !current.status().is_open() {
            return Ok(ScenarioPayload::refused(vec![UserError::new(
                &[],
                ErrorCode::InvalidTransition,
                format!(
                    "当前状态为「{}」，仅「已发布」「对接中」的场景可以延长截止日期",
                    current.status().label()
                ),
            )]));
        }
        let later_than_now = current.deadline().is_none_or(|d| input.deadline > d)
            && input.deadline > items::today_in_china();
        if !later_than_now {
            return Ok(ScenarioPayload::refused(vec![UserError::new(
                &["deadline"],
                ErrorCode::Invalid,
                "新的截止日期须晚于原截止日期和今天",
            )]));
        }
        let claims = Viewer::of(ctx).require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let note = format!("截止日期延长至{}", input.deadline.format("%Y年%m月%d日"));
        let row = store::update_published(
            db,
            &current,
            Some(input.deadline),
            None,
            &claims.sub,
            "EXTEND_DEADLINE",
            Some(&note),
        )
        .await?
        .ok_or(AppError::Conflict)?;
        Ok(ScenarioPayload::ok(row))
    }

    /// Changes the contact of a published scenario.
    async fn update_scenario_contact(
        &self,
        ctx: &Context<'_>,
        input: UpdateScenarioContactInput,
    ) -> AppResult<ScenarioPayload> {
        let current = load_managed(ctx, &input.id).await?;
        check_version(&current, input.expected_version)?;
        if !current.status().is_open() {
            return Ok(ScenarioPayload::refused(vec![UserError::new(
                &[],
                ErrorCode::InvalidTransition,
                format!(
                    "当前状态为「{}」，仅「已发布」「对接中」的场景可以更换联系人；其他状态请修改场景",
                    current.status().label()
                ),
            )]));
        }
        let mut v = Validator::default();
        let Some(contact) = input.contact.validate(&mut v, "contact") else {
            return Ok(ScenarioPayload::refused(v.into_errors()));
        };
        let claims = Viewer::of(ctx).require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let row = store::update_published(
            db,
            &current,
            None,
            Some(&contact),
            &claims.sub,
            "CHANGE_CONTACT",
            None,
        )
        .await?
        .ok_or(AppError::Conflict)?;
        Ok(ScenarioPayload::ok(row))
    }
}

fn clean_note(note: Option<&str>) -> Option<&str> {
    note.map(str::trim).filter(|n| !n.is_empty())
}

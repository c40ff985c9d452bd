use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Datelike as _, Utc};

use super::machine::{CapabilityAction, CapabilityStatus, RULES, Step};
use super::store::{self, CapabilityContent, CapabilityRow, DeliveredCase, ListQuery, Order};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, ErrorCode, UserError, Validator};
use crate::items::ContactPartnersLoader;
use crate::items::{self, Contact, ContactInput, ReviewDecision};
use crate::items::{MAX_TEXT_HITS, expand_industries, expand_regions};
use crate::items::{TimelineEvent, timeline};
use crate::machine;
use crate::orgs::graphql::load_organization;
use crate::orgs::{self, Organization, OrganizationKind, OrganizationStatus};
use crate::pagination::{Page, PageRequest};
use crate::search::{Changed, LiveIndex};
use crate::taxonomy::{CITY_REGION, Industry, Region, RegionGroup, Taxonomy};
use crate::viewer::{Role, Viewer};

const MAX_CASES: usize = 20;
const MAX_CERTIFICATIONS: usize = 20;

/// An entry of the capability list (能力清单).
#[derive(Clone, Debug)]
pub struct Capability(pub CapabilityRow);

pub fn can_manage(viewer: &Viewer, row: &CapabilityRow) -> bool {
    viewer.is_admin() || viewer.org_id() == Some(row.org_id.as_str())
}

fn can_read(viewer: &Viewer, row: &CapabilityRow) -> bool {
    row.status().is_public() || can_manage(viewer, row)
}

#[Object]
impl Capability {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Public code `JZ-NL-<year>-<seq>`, assigned on first approval.
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
    /// Technology readiness level 1–9.
    async fn maturity(&self) -> i64 {
        self.0.maturity
    }
    /// 报价下限（万元）
    async fn price_min(&self) -> Option<i64> {
        self.0.price_min
    }
    /// 报价上限（万元）
    async fn price_max(&self) -> Option<i64> {
        self.0.price_max
    }
    async fn service_region_codes(&self) -> Vec<String> {
        self.0.service_region_codes()
    }
    /// Where the provider delivers; 晋中市 (140700) means every county.
    async fn service_regions(&self, ctx: &Context<'_>) -> Vec<Region> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        self.0
            .service_region_codes()
            .iter()
            .filter_map(|code| taxonomy.region(code).cloned().map(Region))
            .collect()
    }
    async fn cases(&self) -> Vec<DeliveredCase> {
        self.0.cases()
    }
    async fn certifications(&self) -> Vec<String> {
        self.0.certifications()
    }
    /// Shown to the provider and admins only.
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
    async fn status(&self) -> CapabilityStatus {
        self.0.status()
    }
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// The enterprise or research institute offering it.
    async fn provider(&self, ctx: &Context<'_>) -> AppResult<Organization> {
        load_organization(ctx, &self.0.org_id)
            .await?
            .ok_or_else(|| AppError::internal("capability without organization"))
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.created_at)
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        db::parse_time(&self.0.updated_at)
    }
    async fn listed_at(&self) -> Option<DateTime<Utc>> {
        self.0.listed_at.as_deref().and_then(db::parse_time)
    }
    async fn timeline(&self, ctx: &Context<'_>) -> AppResult<Vec<TimelineEvent>> {
        timeline(ctx, &self.0.id).await
    }
}

#[derive(InputObject, Clone)]
pub struct DeliveredCaseInput {
    pub title: String,
    pub client: String,
    pub year: i32,
    pub summary: String,
}

/// The fields of a capability as the provider writes them; in an update, a missing field keeps
/// its current value.
#[derive(InputObject, Default)]
pub struct CapabilityFields {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub industry_codes: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    /// Technology readiness level 1–9.
    pub maturity: Option<i32>,
    pub price_min: Option<i32>,
    pub price_max: Option<i32>,
    /// Defaults to the provider's region; 140700 serves the whole city.
    pub service_region_codes: Option<Vec<String>>,
    pub cases: Option<Vec<DeliveredCaseInput>>,
    pub certifications: Option<Vec<String>>,
    pub contact: Option<ContactInput>,
}

#[derive(InputObject)]
pub struct CreateCapabilityInput {
    /// Admins only: the enterprise or institute the capability is created for.
    pub organization_id: Option<ID>,
    #[graphql(flatten)]
    pub fields: CapabilityFields,
}

#[derive(InputObject)]
pub struct UpdateCapabilityInput {
    pub id: ID,
    pub expected_version: i64,
    #[graphql(flatten)]
    pub fields: CapabilityFields,
}

#[derive(InputObject)]
pub struct TransitionCapabilityInput {
    pub id: ID,
    pub action: CapabilityAction,
    pub note: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(InputObject)]
pub struct ReviewCapabilityInput {
    pub id: ID,
    pub decision: ReviewDecision,
    pub reason: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(InputObject)]
pub struct FeatureCapabilityInput {
    pub id: ID,
    pub note: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(SimpleObject)]
pub struct CapabilityPayload {
    pub capability: Option<Capability>,
    pub errors: Vec<UserError>,
}

impl CapabilityPayload {
    fn ok(row: CapabilityRow) -> Self {
        CapabilityPayload {
            capability: Some(Capability(row)),
            errors: vec![],
        }
    }

    fn refused(errors: Vec<UserError>) -> Self {
        CapabilityPayload {
            capability: None,
            errors,
        }
    }
}

#[derive(InputObject, Default)]
pub struct CapabilityFilter {
    /// Free text in Chinese (words or phrases); combine with `orderBy: RELEVANCE`.
    pub query: Option<String>,
    /// A cluster code (e.g. MT) matches all of its sub-industries.
    pub industry_codes: Option<Vec<String>>,
    /// Capabilities serving any of these regions.
    pub region_codes: Option<Vec<String>>,
    pub region_group: Option<RegionGroup>,
    /// Capabilities whose price range meets [budgetMin, budgetMax] (万元).
    pub budget_min: Option<i32>,
    pub budget_max: Option<i32>,
    pub maturity_at_least: Option<i32>,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum CapabilityOrderBy {
    /// Newest first.
    #[default]
    ListedAt,
    /// Most mature first.
    Maturity,
    /// Lowest price first.
    Price,
    /// Best match of `filter.query` first (newest first without a query).
    Relevance,
}

#[derive(Default)]
pub struct CapabilityQuery;

#[Object]
impl CapabilityQuery {
    /// A capability by id or public code. Drafts and items under review are visible to their
    /// provider and admins only (NOT_FOUND for others).
    async fn capability(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        code: Option<String>,
    ) -> AppResult<Option<Capability>> {
        let db = ctx.data_unchecked::<Db>();
        let row = match (id, code) {
            (Some(id), None) => store::find(db, &id).await?,
            (None, Some(code)) => store::find_by_code(db, code.trim()).await?,
            _ => return Err(AppError::BadRequest("请提供 id 或 code 之一".into())),
        };
        let row = row
            .filter(|row| can_read(Viewer::of(ctx), row))
            .ok_or(AppError::NotFound)?;
        Ok(Some(Capability(row)))
    }

    /// The live capability list: LISTED and FEATURED capabilities. No sign-in needed.
    async fn capability_list(
        &self,
        ctx: &Context<'_>,
        filter: Option<CapabilityFilter>,
        order_by: Option<CapabilityOrderBy>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Capability>> {
        let page = PageRequest::new(first, after.as_deref())?;
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        let f = filter.unwrap_or_default();
        let query = ListQuery {
            statuses: vec![CapabilityStatus::Listed, CapabilityStatus::Featured],
            industry_codes: f.industry_codes.map(|c| expand_industries(taxonomy, &c)),
            region_codes: expand_regions(taxonomy, f.region_codes.as_deref(), f.region_group),
            price_min: f.budget_min.map(i64::from),
            price_max: f.budget_max.map(i64::from),
            maturity_at_least: f.maturity_at_least.map(i64::from),
            ..Default::default()
        };
        let order_by = order_by.unwrap_or_default();
        let order = match order_by {
            CapabilityOrderBy::ListedAt | CapabilityOrderBy::Relevance => Order::ListedAt,
            CapabilityOrderBy::Maturity => Order::Maturity,
            CapabilityOrderBy::Price => Order::Price,
        };
        let db = ctx.data_unchecked::<Db>();
        let hits = f
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|text| {
                ctx.data_unchecked::<Arc<LiveIndex>>()
                    .search_capabilities(text, MAX_TEXT_HITS)
            });
        let query = ListQuery {
            ids: hits
                .as_ref()
                .map(|hits| hits.iter().map(|(id, _)| id.clone()).collect()),
            ..query
        };
        match hits.filter(|_| order_by == CapabilityOrderBy::Relevance) {
            None => {
                let (rows, total) = store::list(db, &query, order, page).await?;
                Ok(page.connection(rows, total, Capability))
            }
            Some(hits) => {
                let (mut rows, _) =
                    store::list(db, &query, order, PageRequest::first(MAX_TEXT_HITS)).await?;
                crate::items::order_by_hits(&mut rows, &hits, |row| &row.id);
                Ok(page.connection_from_all(rows, Capability))
            }
        }
    }

    /// The signed-in organization's capabilities in every status, most recently changed first.
    async fn my_capabilities(
        &self,
        ctx: &Context<'_>,
        status: Option<CapabilityStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Page<Capability>> {
        let claims = Viewer::of(ctx).require_user()?;
        let page = PageRequest::new(first, after.as_deref())?;
        let query = ListQuery {
            statuses: status.into_iter().collect(),
            org_id: Some(claims.org.clone()),
            ..Default::default()
        };
        let db = ctx.data_unchecked::<Db>();
        let (rows, total) = store::list(db, &query, Order::UpdatedAt, page).await?;
        Ok(page.connection(rows, total, Capability))
    }
}

async fn load_managed(ctx: &Context<'_>, id: &str) -> AppResult<CapabilityRow> {
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

fn invalid_transition(row: &CapabilityRow, step: Step) -> UserError {
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

fn validate_content(
    taxonomy: &Taxonomy,
    base: Option<&CapabilityRow>,
    default_region: &str,
    fields: CapabilityFields,
) -> Result<CapabilityContent, Vec<UserError>> {
    let mut v = Validator::default();
    let pick = |new: Option<String>, old: fn(&CapabilityRow) -> &String| {
        new.or_else(|| base.map(|b| old(b).clone()))
            .unwrap_or_default()
    };
    let title = pick(fields.title, |b| &b.title);
    let summary = pick(fields.summary, |b| &b.summary);
    let description = pick(fields.description, |b| &b.description);
    v.text(&["title"], "能力名称", &title, 60);
    v.text(&["summary"], "能力简介", &summary, 200);
    v.text(&["description"], "能力描述", &description, 5000);
    let industry_codes = fields
        .industry_codes
        .unwrap_or_else(|| base.map(|b| b.industry_codes()).unwrap_or_default());
    let industry_codes = items::validate_industries(&mut v, taxonomy, &industry_codes);
    let tags = fields
        .tags
        .unwrap_or_else(|| base.map(|b| b.tags()).unwrap_or_default());
    let tags = items::validate_tags(&mut v, &tags);
    let maturity = fields.maturity.or_else(|| base.map(|b| b.maturity as i32));
    if maturity.is_none() {
        v.push(&["maturity"], ErrorCode::Required, "请填写技术成熟度");
    }
    items::validate_trl(&mut v, "maturity", maturity);
    let price_min = fields
        .price_min
        .or_else(|| base.and_then(|b| b.price_min.map(|x| x as i32)));
    let price_max = fields
        .price_max
        .or_else(|| base.and_then(|b| b.price_max.map(|x| x as i32)));
    items::validate_range(
        &mut v,
        ("priceMin", "priceMax"),
        "报价",
        price_min,
        price_max,
    );
    let mut regions: Vec<String> = fields
        .service_region_codes
        .map(|codes| codes.iter().map(|c| c.trim().to_owned()).collect())
        .or_else(|| base.map(|b| b.service_region_codes()))
        .unwrap_or_else(|| vec![default_region.to_owned()]);
    regions.dedup();
    if regions.is_empty() {
        v.push(
            &["serviceRegionCodes"],
            ErrorCode::Required,
            "请选择服务地区",
        );
    }
    for code in &regions {
        if taxonomy.region(code).is_none() {
            v.push(
                &["serviceRegionCodes"],
                ErrorCode::UnknownRegion,
                format!("服务地区“{code}”不存在"),
            );
        }
    }
    if regions.iter().any(|r| r == CITY_REGION) {
        regions = vec![CITY_REGION.to_owned()];
    }
    let cases: Vec<DeliveredCase> = match fields.cases {
        Some(cases) => cases
            .into_iter()
            .map(|c| DeliveredCase {
                title: c.title.trim().to_owned(),
                client: c.client.trim().to_owned(),
                year: c.year,
                summary: c.summary.trim().to_owned(),
            })
            .collect(),
        None => base.map(|b| b.cases()).unwrap_or_default(),
    };
    if cases.len() > MAX_CASES {
        v.push(
            &["cases"],
            ErrorCode::OutOfRange,
            format!("落地案例最多{MAX_CASES}个"),
        );
    }
    let this_year = items::today_in_china().year();
    for (i, case) in cases.iter().enumerate() {
        let index = i.to_string();
        v.text(&["cases", &index, "title"], "案例名称", &case.title, 60);
        v.text(&["cases", &index, "client"], "客户单位", &case.client, 100);
        v.text(
            &["cases", &index, "summary"],
            "案例简介",
            &case.summary,
            500,
        );
        if !(1990..=this_year).contains(&case.year) {
            v.push(
                &["cases", &index, "year"],
                ErrorCode::OutOfRange,
                format!("案例年份应在1990年到{this_year}年之间"),
            );
        }
    }
    let certifications: Vec<String> = fields
        .certifications
        .map(|c| {
            c.iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_else(|| base.map(|b| b.certifications()).unwrap_or_default());
    if certifications.len() > MAX_CERTIFICATIONS {
        v.push(
            &["certifications"],
            ErrorCode::OutOfRange,
            format!("资质认证最多{MAX_CERTIFICATIONS}项"),
        );
    }
    if certifications.iter().any(|c| c.chars().count() > 60) {
        v.push(
            &["certifications"],
            ErrorCode::TooLong,
            "每项资质认证不能超过60个字符",
        );
    }
    let contact = match fields.contact {
        Some(contact) => contact.validate(&mut v, "contact"),
        None => base.and_then(|b| b.contact()),
    };
    v.finish()?;
    Ok(CapabilityContent {
        title: title.trim().to_owned(),
        summary: summary.trim().to_owned(),
        description: description.trim().to_owned(),
        industry_codes,
        tags,
        maturity: i64::from(maturity.expect("checked")),
        price_min: price_min.map(i64::from),
        price_max: price_max.map(i64::from),
        service_region_codes: regions,
        cases,
        certifications,
        contact,
    })
}

fn check_version(row: &CapabilityRow, expected: Option<i64>) -> AppResult<()> {
    match expected {
        Some(v) if v != row.version => Err(AppError::Conflict),
        _ => Ok(()),
    }
}

fn clean_note(note: Option<&str>) -> Option<&str> {
    note.map(str::trim).filter(|n| !n.is_empty())
}

#[derive(Default)]
pub struct CapabilityMutation;

#[Object]
impl CapabilityMutation {
    /// An enterprise or research institute drafts a capability. Admins may create one for them.
    async fn create_capability(
        &self,
        ctx: &Context<'_>,
        input: CreateCapabilityInput,
    ) -> AppResult<CapabilityPayload> {
        let claims = Viewer::of(ctx).require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let org_id = match (claims.role, input.organization_id) {
            (Role::Enterprise, None) => claims.org.clone(),
            (Role::Enterprise, Some(id)) if *id == claims.org => claims.org.clone(),
            (Role::Admin, Some(id)) => id.to_string(),
            (Role::Admin, None) => {
                return Ok(CapabilityPayload::refused(vec![UserError::new(
                    &["organizationId"],
                    ErrorCode::Required,
                    "请选择提供能力的企业或科研院所",
                )]));
            }
            _ => return Err(AppError::Forbidden),
        };
        let org = orgs::find(db, &org_id).await?.ok_or(AppError::NotFound)?;
        if !matches!(
            org.kind(),
            OrganizationKind::Enterprise | OrganizationKind::Research
        ) {
            return Ok(CapabilityPayload::refused(vec![UserError::new(
                &["organizationId"],
                ErrorCode::Invalid,
                "能力只能由企业或科研院所发布",
            )]));
        }
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        let content = match validate_content(taxonomy, None, &org.region_code, input.fields) {
            Ok(content) => content,
            Err(errors) => return Ok(CapabilityPayload::refused(errors)),
        };
        let row = store::insert(db, &org.id, &claims.sub, &content).await?;
        Ok(CapabilityPayload::ok(row))
    }

    /// Changes a capability's content. A LISTED capability goes back to PENDING_REVIEW.
    async fn update_capability(
        &self,
        ctx: &Context<'_>,
        input: UpdateCapabilityInput,
    ) -> AppResult<CapabilityPayload> {
        let current = load_managed(ctx, &input.id).await?;
        check_version(&current, Some(input.expected_version))?;
        let status = current.status();
        if !status.is_editable() {
            return Ok(CapabilityPayload::refused(vec![UserError::new(
                &[],
                ErrorCode::InvalidTransition,
                format!(
                    "当前状态为「{}」，不能修改；仅「草稿」「退回修改」「已入库」状态可修改",
                    status.label()
                ),
            )]));
        }
        let to = machine::lookup(RULES, status, Step::Edit).map_or(status, |rule| rule.to);
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        let default_region = current
            .service_region_codes()
            .first()
            .cloned()
            .unwrap_or_else(|| CITY_REGION.to_owned());
        let content =
            match validate_content(taxonomy, Some(&current), &default_region, input.fields) {
                Ok(content) => content,
                Err(errors) => return Ok(CapabilityPayload::refused(errors)),
            };
        let claims = Viewer::of(ctx).require_user()?;
        let db = ctx.data_unchecked::<Db>();
        let row = store::update_content(db, &current, &content, to, &claims.sub)
            .await?
            .ok_or(AppError::Conflict)?;
        ctx.data_unchecked::<Arc<LiveIndex>>()
            .changed(Changed::Capability, &row.id)
            .await;
        Ok(CapabilityPayload::ok(row))
    }

    /// The provider's lifecycle actions: SUBMIT, ARCHIVE.
    async fn transition_capability(
        &self,
        ctx: &Context<'_>,
        input: TransitionCapabilityInput,
    ) -> AppResult<CapabilityPayload> {
        let current = load_managed(ctx, &input.id).await?;
        check_version(&current, input.expected_version)?;
        let step = Step::from(input.action);
        let Some(rule) = machine::lookup(RULES, current.status(), step) else {
            return Ok(CapabilityPayload::refused(vec![invalid_transition(
                &current, step,
            )]));
        };
        let db = ctx.data_unchecked::<Db>();
        if step == Step::Submit {
            let org = orgs::find(db, &current.org_id)
                .await?
                .ok_or(AppError::NotFound)?;
            if org.status() != OrganizationStatus::Verified {
                return Ok(CapabilityPayload::refused(vec![UserError::new(
                    &[],
                    ErrorCode::OrganizationNotVerified,
                    "本单位尚未通过平台认证，认证后才能提交审核",
                )]));
            }
            if current.contact().is_none() {
                return Ok(CapabilityPayload::refused(vec![UserError::new(
                    &["contact"],
                    ErrorCode::Incomplete,
                    "请填写联系人",
                )]));
            }
        }
        let claims = Viewer::of(ctx).require_user()?;
        let row = store::transition(
            db,
            &current,
            rule,
            Some(&claims.sub),
            clean_note(input.note.as_deref()),
        )
        .await?
        .ok_or(AppError::Conflict)?;
        ctx.data_unchecked::<Arc<LiveIndex>>()
            .changed(Changed::Capability, &row.id)
            .await;
        Ok(CapabilityPayload::ok(row))
    }

    /// Admin: lists a submitted capability (with its public code on first approval) or sends it
    /// back with a reason.
    async fn review_capability(
        &self,
        ctx: &Context<'_>,
        input: ReviewCapabilityInput,
    ) -> AppResult<CapabilityPayload> {
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
            return Ok(CapabilityPayload::refused(vec![invalid_transition(
                &current, step,
            )]));
        };
        if step == Step::RequestChanges && reason.is_none() {
            return Ok(CapabilityPayload::refused(vec![UserError::new(
                &["reason"],
                ErrorCode::Required,
                "退回修改时请说明原因",
            )]));
        }
        let row = store::transition(db, &current, rule, Some(&admin.sub), reason)
            .await?
            .ok_or(AppError::Conflict)?;
        ctx.data_unchecked::<Arc<LiveIndex>>()
            .changed(Changed::Capability, &row.id)
            .await;
        Ok(CapabilityPayload::ok(row))
    }

    /// Admin: names a listed capability a 晋中优秀方案 (FEATURED).
    async fn feature_capability(
        &self,
        ctx: &Context<'_>,
        input: FeatureCapabilityInput,
    ) -> AppResult<CapabilityPayload> {
        let admin = Viewer::of(ctx).require_admin()?;
        let db = ctx.data_unchecked::<Db>();
        let current = store::find(db, &input.id)
            .await?
            .ok_or(AppError::NotFound)?;
        check_version(&current, input.expected_version)?;
        let Some(rule) = machine::lookup(RULES, current.status(), Step::Feature) else {
            return Ok(CapabilityPayload::refused(vec![invalid_transition(
                &current,
                Step::Feature,
            )]));
        };
        let row = store::transition(
            db,
            &current,
            rule,
            Some(&admin.sub),
            clean_note(input.note.as_deref()),
        )
        .await?
        .ok_or(AppError::Conflict)?;
        ctx.data_unchecked::<Arc<LiveIndex>>()
            .changed(Changed::Capability, &row.id)
            .await;
        Ok(CapabilityPayload::ok(row))
    }
}

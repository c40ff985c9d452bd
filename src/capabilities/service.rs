//! The capability rules every door calls: who may see and change a capability, what a valid one
//! is, and which lifecycle step is allowed for whom. Each write is one transaction; a refusal
//! writes nothing and comes back as [`Outcome`]'s errors, a permission failure as an
//! [`AppError`].

use chrono::Datelike as _;

use super::machine::{CapabilityAction, CapabilityStatus, RULES, Step};
use super::model::{CapabilityFields, CapabilityFilter, CapabilityOrderBy};
use super::store::{self, CapabilityContent, CapabilityRow, DeliveredCase, ListQuery, Order};
use crate::auth;
use crate::db::Db;
use crate::error::{AppError, AppResult, ErrorCode, Outcome, UserError, Validator, refuse};
use crate::events::EventRow;
use crate::items::{self, Contact, Key, OwnedItem, ReviewDecision, clean_note};
use crate::machine::lookup;
use crate::orgs::{self, OrganizationKind};
use crate::pagination::{PageRequest, Rows};
use crate::search::{Changed, LiveIndex};
use crate::taxonomy::{CITY_REGION, Taxonomy};
use crate::viewer::{Role, Viewer};

const MAX_CASES: usize = 20;
const MAX_CERTIFICATIONS: usize = 20;

// ---- Visibility -------------------------------------------------------------------------------

impl OwnedItem for CapabilityRow {
    fn owner_org(&self) -> &str {
        &self.org_id
    }
    fn is_public(&self) -> bool {
        self.status().is_public()
    }
    fn stored_contact(&self) -> Option<Contact> {
        self.contact()
    }
}

/// The viewer manages the capability: a member of its provider, or an admin.
pub fn can_manage(viewer: &Viewer, row: &CapabilityRow) -> bool {
    items::can_manage(viewer, row)
}

/// The viewer may read the capability: it has been listed, or they manage it. Everyone else is
/// told it does not exist.
pub fn can_read(viewer: &Viewer, row: &CapabilityRow) -> bool {
    items::can_read(viewer, row)
}

/// The capability's contact as the viewer may see it: to its provider and admins, and to the
/// other party of a match from CONNECTED on (`partners`, the organizations of such matches).
pub fn visible_contact(
    viewer: &Viewer,
    row: &CapabilityRow,
    partners: &[String],
) -> Option<Contact> {
    items::visible_contact(viewer, row, partners)
}

/// The capability, if the viewer may read it (NOT_FOUND otherwise).
pub async fn find(db: &Db, viewer: &Viewer, key: Key<'_>) -> AppResult<CapabilityRow> {
    let row = match key {
        Key::Id(id) => store::find(db, id).await?,
        Key::Code(code) => store::find_by_code(db, code).await?,
    };
    row.filter(|row| can_read(viewer, row))
        .ok_or(AppError::NotFound)
}

/// A capability the viewer may change: NOT_FOUND when they may not even see it, FORBIDDEN when
/// they see it but it is not theirs.
pub async fn find_managed(db: &Db, viewer: &Viewer, id: &str) -> AppResult<CapabilityRow> {
    viewer.require_user()?;
    let row = find(db, viewer, Key::Id(id)).await?;
    if !can_manage(viewer, &row) {
        return Err(AppError::Forbidden);
    }
    Ok(row)
}

// ---- Lists ------------------------------------------------------------------------------------

/// The capability list: LISTED and FEATURED capabilities for anyone, or the states asked for
/// (those two for anyone, any for admins).
/// The list query of a filter's fields but its text and statuses.
fn list_query(
    taxonomy: &Taxonomy,
    f: &CapabilityFilter,
    statuses: Vec<CapabilityStatus>,
    industries: Option<Vec<String>>,
) -> ListQuery {
    ListQuery {
        statuses,
        industry_codes: industries,
        region_codes: items::expand_regions(taxonomy, f.region_codes.as_deref(), f.region_group),
        price_min: f.budget_min.map(i64::from),
        price_max: f.budget_max.map(i64::from),
        maturity_at_least: f.maturity_at_least.map(i64::from),
        ..Default::default()
    }
}

/// Which of the capabilities `ids` the capability list would show anyone for `filter` (its
/// statuses aside: the live list), free text included: what a saved search hears of.
pub async fn found_among(
    db: &Db,
    taxonomy: &Taxonomy,
    index: &LiveIndex,
    filter: &CapabilityFilter,
    mut ids: Vec<String>,
) -> AppResult<Vec<String>> {
    let industries = filter
        .industry_codes
        .as_ref()
        .map(|c| items::expand_industries(taxonomy, c));
    if let Some(text) = items::free_text(filter.query.as_deref())? {
        let hits = index
            .search_capabilities(text, items::MAX_TEXT_HITS, industries.clone())
            .await;
        ids.retain(|id| hits.iter().any(|(hit, _)| hit == id));
    }
    if ids.is_empty() {
        return Ok(ids);
    }
    let live = vec![CapabilityStatus::Listed, CapabilityStatus::Featured];
    let query = ListQuery {
        ids: Some(ids),
        ..list_query(taxonomy, filter, live, industries)
    };
    Ok(store::passing(db, &query).await?)
}

pub async fn capability_list(
    db: &Db,
    taxonomy: &Taxonomy,
    index: &LiveIndex,
    viewer: &Viewer,
    filter: CapabilityFilter,
    order_by: CapabilityOrderBy,
    page: PageRequest,
) -> AppResult<Rows<CapabilityRow>> {
    let f = filter;
    let order = match order_by {
        CapabilityOrderBy::ListedAt | CapabilityOrderBy::Relevance => Order::ListedAt,
        CapabilityOrderBy::Maturity => Order::Maturity,
        CapabilityOrderBy::Price => Order::Price,
    };
    let industries = f
        .industry_codes
        .as_ref()
        .map(|c| items::expand_industries(taxonomy, c));
    // The engine keeps only the hits in the filter's industries: fewer for the database to check.
    let hits = match items::free_text(f.query.as_deref())? {
        Some(text) => Some(
            index
                .search_capabilities(text, items::MAX_TEXT_HITS, industries.clone())
                .await,
        ),
        None => None,
    };
    let statuses = items::list_statuses(
        viewer,
        false,
        f.statuses.clone(),
        &[CapabilityStatus::Listed, CapabilityStatus::Featured],
        CapabilityStatus::is_public,
    )?;
    let query = &list_query(taxonomy, &f, statuses, industries);
    let by_relevance = order_by == CapabilityOrderBy::Relevance;
    items::ranked_list(
        hits,
        by_relevance,
        page,
        |row: &CapabilityRow| &row.id,
        |ids, page| async move {
            store::list(
                db,
                &ListQuery {
                    ids,
                    ..query.clone()
                },
                order,
                page,
            )
            .await
        },
        |ids| async move {
            store::passing(
                db,
                &ListQuery {
                    ids: Some(ids),
                    ..query.clone()
                },
            )
            .await
        },
        |ids| async move { store::find_many(db, &ids).await },
    )
    .await
}

/// The signed-in viewer's organization's capabilities in every status, most recently changed
/// first.
pub async fn of_viewer(
    db: &Db,
    viewer: &Viewer,
    status: Option<CapabilityStatus>,
    page: PageRequest,
) -> AppResult<Rows<CapabilityRow>> {
    let claims = viewer.require_user()?;
    let query = ListQuery {
        statuses: status.into_iter().collect(),
        org_id: Some(claims.org.clone()),
        ..Default::default()
    };
    Ok(Rows::page(
        store::list(db, &query, Order::UpdatedAt, page).await?,
    ))
}

// ---- Public reading ---------------------------------------------------------------------------

/// The part of the capability's timeline the viewer may read (the one rule every door applies).
pub fn readable_timeline(
    viewer: &Viewer,
    row: &CapabilityRow,
    events: Vec<EventRow>,
) -> Vec<EventRow> {
    items::visible_timeline(viewer, row, events, |s| {
        CapabilityStatus::parse(s).is_some_and(CapabilityStatus::is_public)
    })
}

/// The capability's timeline as the viewer may read it, oldest first (one query).
pub async fn timeline(db: &Db, viewer: &Viewer, row: &CapabilityRow) -> AppResult<Vec<EventRow>> {
    let events = crate::events::timeline(db, &row.id).await?;
    Ok(readable_timeline(viewer, row, events))
}

/// Up to `limit` listed capabilities most like `row`, best first: the engine's free-text search
/// over its title (one query for the rows).
pub async fn similar(
    db: &Db,
    index: &LiveIndex,
    row: &CapabilityRow,
    limit: usize,
) -> AppResult<Vec<CapabilityRow>> {
    let ids: Vec<String> = index
        .search_capabilities(&row.title, limit * 3 + 1, None)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let rows = store::find_many(db, &ids).await?;
    Ok(items::in_hit_order(
        &ids,
        &rows,
        |r| &r.id,
        |r| r.status().is_public(),
        &row.id,
        limit,
    ))
}

// ---- Writes -----------------------------------------------------------------------------------

/// An enterprise or research institute drafts a capability; an admin may draft one for them.
pub async fn create(
    db: &Db,
    taxonomy: &Taxonomy,
    viewer: &Viewer,
    organization_id: Option<&str>,
    fields: CapabilityFields,
) -> AppResult<Outcome<CapabilityRow>> {
    let claims = viewer.require_user()?;
    let missing = "请选择提供能力的企业或科研院所";
    let org_id = match items::owner_of_new(viewer, Role::Enterprise, organization_id, missing)? {
        Ok(org_id) => org_id,
        Err(errors) => return Ok(Err(errors)),
    };
    let org = orgs::find(db, &org_id).await?.ok_or(AppError::NotFound)?;
    if !matches!(
        org.kind(),
        OrganizationKind::Enterprise | OrganizationKind::Research
    ) {
        return Ok(refuse(
            &["organizationId"],
            ErrorCode::Invalid,
            "能力只能由企业或科研院所发布",
        ));
    }
    let content = match validate_content(taxonomy, None, &org.region_code, fields) {
        Ok(content) => content,
        Err(errors) => return Ok(Err(errors)),
    };
    Ok(Ok(store::insert(db, &org.id, &claims.sub, &content).await?))
}

/// Changes a capability's content. A LISTED capability goes back to PENDING_REVIEW.
pub async fn update(
    db: &Db,
    taxonomy: &Taxonomy,
    index: &LiveIndex,
    viewer: &Viewer,
    id: &str,
    expected_version: i64,
    fields: CapabilityFields,
) -> AppResult<Outcome<CapabilityRow>> {
    let current = find_managed(db, viewer, id).await?;
    items::check_version(current.version, Some(expected_version))?;
    let status = current.status();
    if !status.is_editable() {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            format!(
                "当前状态为「{}」，不能修改；仅「草稿」「退回修改」「已入库」状态可修改",
                status.label()
            ),
        ));
    }
    let to = lookup(RULES, status, Step::Edit).map_or(status, |rule| rule.to);
    let default_region = current
        .service_region_codes()
        .first()
        .cloned()
        .unwrap_or_else(|| CITY_REGION.to_owned());
    let content = match validate_content(taxonomy, Some(&current), &default_region, fields) {
        Ok(content) => content,
        Err(errors) => return Ok(Err(errors)),
    };
    let claims = viewer.require_user()?;
    let row = store::update_content(db, &current, &content, to, &claims.sub)
        .await?
        .ok_or(AppError::Conflict)?;
    index.changed(Changed::Capability, &row.id).await;
    Ok(Ok(row))
}

/// The provider's lifecycle actions: SUBMIT, ARCHIVE.
pub async fn transition(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    id: &str,
    action: CapabilityAction,
    note: Option<&str>,
    expected_version: Option<i64>,
) -> AppResult<Outcome<CapabilityRow>> {
    let current = find_managed(db, viewer, id).await?;
    items::check_version(current.version, expected_version)?;
    let step = Step::from(action);
    let Some(rule) = lookup(RULES, current.status(), step) else {
        return Ok(Err(vec![invalid_transition(&current, step)]));
    };
    if step == Step::Submit {
        let user = &viewer.require_user()?.sub;
        if let Err(errors) =
            auth::account::may_put_forward(db, user, &current.org_id, "提交审核").await?
        {
            return Ok(Err(errors));
        }
        if current.contact().is_none() {
            return Ok(refuse(&["contact"], ErrorCode::Incomplete, "请填写联系人"));
        }
    }
    let claims = viewer.require_user()?;
    let row = store::transition(db, &current, rule, Some(&claims.sub), clean_note(note))
        .await?
        .ok_or(AppError::Conflict)?;
    index.changed(Changed::Capability, &row.id).await;
    Ok(Ok(row))
}

/// Admin: lists a submitted capability (with its public code on first approval) or sends it
/// back with a reason.
pub async fn review(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    id: &str,
    decision: ReviewDecision,
    reason: Option<&str>,
    expected_version: Option<i64>,
) -> AppResult<Outcome<CapabilityRow>> {
    let admin = viewer.require_admin()?;
    let current = store::find(db, id).await?.ok_or(AppError::NotFound)?;
    items::check_version(current.version, expected_version)?;
    let reason = clean_note(reason);
    let step = match decision {
        ReviewDecision::Approve => Step::Approve,
        ReviewDecision::RequestChanges => Step::RequestChanges,
    };
    let Some(rule) = lookup(RULES, current.status(), step) else {
        return Ok(Err(vec![invalid_transition(&current, step)]));
    };
    if step == Step::RequestChanges && reason.is_none() {
        return Ok(refuse(
            &["reason"],
            ErrorCode::Required,
            "退回修改时请说明原因",
        ));
    }
    let row = store::transition(db, &current, rule, Some(&admin.sub), reason)
        .await?
        .ok_or(AppError::Conflict)?;
    index.changed(Changed::Capability, &row.id).await;
    Ok(Ok(row))
}

/// Admin: names a listed capability a 晋中优秀方案 (FEATURED).
pub async fn feature(
    db: &Db,
    index: &LiveIndex,
    viewer: &Viewer,
    id: &str,
    note: Option<&str>,
    expected_version: Option<i64>,
) -> AppResult<Outcome<CapabilityRow>> {
    let admin = viewer.require_admin()?;
    let current = store::find(db, id).await?.ok_or(AppError::NotFound)?;
    items::check_version(current.version, expected_version)?;
    let Some(rule) = lookup(RULES, current.status(), Step::Feature) else {
        return Ok(Err(vec![invalid_transition(&current, Step::Feature)]));
    };
    let row = store::transition(db, &current, rule, Some(&admin.sub), clean_note(note))
        .await?
        .ok_or(AppError::Conflict)?;
    index.changed(Changed::Capability, &row.id).await;
    Ok(Ok(row))
}

// ---- Rules ------------------------------------------------------------------------------------

fn invalid_transition(row: &CapabilityRow, step: Step) -> UserError {
    items::invalid_transition(
        RULES,
        row.status(),
        step,
        CapabilityStatus::label,
        Step::label,
    )
}

/// Merges `fields` over `base` (or defaults) and validates the whole.
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
    let description = fields
        .description
        .or_else(|| base.map(|b| b.description.whole().to_owned()))
        .unwrap_or_default();
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

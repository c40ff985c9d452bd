//! The proposal rules every door calls: who may propose, read, adopt and decline, what a valid
//! proposal is, and the invitation of the proposer's capability when the adopted scenario is
//! published.

use futures_util::future::BoxFuture;

use super::ProposalStatus;
use super::store::{self, NewProposal, ProposalRow, Visible};
use crate::auth;
use crate::capabilities::{self, CapabilityStatus};
use crate::db::{self, Db, Tx};
use crate::error::{AppError, AppResult, ErrorCode, Outcome, Validator, refuse};
use crate::events::NewEvent;
use crate::items::clean_note;
use crate::matches::model::MatchOrigin;
use crate::matches::store::{self as match_store, NewMatch};
use crate::orgs::{self, OrganizationKind, OrganizationStatus};
use crate::pagination::{PageRequest, Rows};
use crate::scenarios::machine::Step as ScenarioStep;
use crate::scenarios::model::{ScenarioCategoryCode, ScenarioFields};
use crate::scenarios::{self, ScenarioRow, ScenarioStatus};
use crate::taxonomy::Taxonomy;
use crate::viewer::{Role, Viewer};

// ---- Visibility -------------------------------------------------------------------------------

/// The addressee decides: the unit it names (its members), else the county managers of its
/// region; admins always.
pub fn can_decide(viewer: &Viewer, row: &ProposalRow) -> bool {
    if viewer.is_admin() {
        return true;
    }
    match &row.unit_id {
        Some(unit) => viewer.org_id() == Some(unit.as_str()),
        None => viewer.county() == Some(row.region_code.as_str()),
    }
}

/// A proposal is private to its proposer, its addressee and admins.
pub fn can_read(viewer: &Viewer, row: &ProposalRow) -> bool {
    viewer.org_id() == Some(row.proposer_org_id.as_str()) || can_decide(viewer, row)
}

/// The proposal, if the viewer may read it (NOT_FOUND otherwise).
pub async fn find(db: &Db, viewer: &Viewer, id: &str) -> AppResult<ProposalRow> {
    viewer.require_signed_in()?;
    store::find(db, id)
        .await?
        .filter(|row| can_read(viewer, row))
        .ok_or(AppError::NotFound)
}

/// The proposals the viewer may read, newest first.
pub async fn list(
    db: &Db,
    viewer: &Viewer,
    status: Option<ProposalStatus>,
    page: PageRequest,
) -> AppResult<Rows<ProposalRow>> {
    let claims = viewer.require_signed_in()?;
    let visible = Visible {
        all: viewer.is_admin(),
        org_id: Some(claims.org.clone()),
        county: viewer.county().map(str::to_owned),
    };
    Ok(Rows::page(store::list(db, &visible, status, page).await?))
}

// ---- Writes -----------------------------------------------------------------------------------

/// What an enterprise proposes.
pub struct Proposal<'a> {
    pub title: &'a str,
    pub problem: &'a str,
    pub region_code: &'a str,
    pub unit_id: Option<&'a str>,
    pub capability_id: &'a str,
    pub rationale: &'a str,
}

/// A verified enterprise (or research institute), through a member with a verified address,
/// proposes a scenario with one of its listed capabilities.
pub async fn propose(
    db: &Db,
    taxonomy: &Taxonomy,
    viewer: &Viewer,
    p: Proposal<'_>,
) -> AppResult<Outcome<ProposalRow>> {
    let claims = viewer.require_user()?;
    if claims.role != Role::Enterprise {
        return Err(AppError::NotYours(
            "场景建议由企业和科研院所提出；政府单位请直接记录场景",
        ));
    }
    if let Err(errors) =
        auth::account::may_put_forward(db, &claims.sub, &claims.org, "提出场景建议").await?
    {
        return Ok(Err(errors));
    }
    let mut v = Validator::default();
    v.text(&["title"], "场景名称", p.title, 60);
    v.text(&["problem"], "问题描述", p.problem, 2000);
    v.text(&["rationale"], "推荐理由", p.rationale, 1000);
    let region = p.region_code.trim();
    if taxonomy.region(region).is_none() {
        v.push(&["regionCode"], ErrorCode::UnknownRegion, "所在地区不存在");
    }
    if let Some(unit) = p.unit_id {
        let is_unit = orgs::find(db, unit).await?.is_some_and(|o| {
            o.kind() == OrganizationKind::Government && o.status() == OrganizationStatus::Verified
        });
        if !is_unit {
            v.push(
                &["unitId"],
                ErrorCode::Invalid,
                "所选单位不存在或不是政府单位",
            );
        }
    }
    let capability = capabilities::store::find(db, p.capability_id).await?;
    let fits = capability
        .as_ref()
        .is_some_and(|c| c.org_id == claims.org && c.status().is_public());
    if !fits {
        v.push(
            &["capabilityId"],
            ErrorCode::Invalid,
            "请选择本单位已列入能力清单的能力",
        );
    }
    if let Err(errors) = v.finish() {
        return Ok(Err(errors));
    }
    let row = store::insert(
        db,
        NewProposal {
            proposer_org_id: &claims.org,
            proposed_by: &claims.sub,
            capability_id: p.capability_id,
            title: p.title.trim(),
            problem: p.problem.trim(),
            region_code: region,
            unit_id: p.unit_id,
            rationale: p.rationale.trim(),
        },
    )
    .await?;
    Ok(Ok(row))
}

/// How the addressee frames the adopted scenario.
pub struct Adoption<'a> {
    /// The unit whose scenario it becomes: the proposal's unit, or one the adopter names.
    pub organization_id: Option<&'a str>,
    pub category: ScenarioCategoryCode,
    /// Defaults to the proposer's capability's industries.
    pub industry_codes: Option<Vec<String>>,
}

/// The addressee (or an admin) adopts an OPEN proposal: a new DISCOVERED scenario of the unit,
/// prefilled from the proposal and crediting it, in one transaction with the proposal's end.
pub async fn adopt(
    db: &Db,
    taxonomy: &Taxonomy,
    viewer: &Viewer,
    id: &str,
    adoption: Adoption<'_>,
) -> AppResult<Outcome<(ProposalRow, ScenarioRow)>> {
    let claims = viewer.require_user()?;
    let current = match to_decide(db, viewer, id).await? {
        Ok(current) => current,
        Err(errors) => return Ok(Err(errors)),
    };
    adopt_as(db, taxonomy, &claims.sub, &current, adoption).await
}

/// Adopts `current` (OPEN) for `actor_id`, who may decide it: the scenario of the unit and the
/// proposal's end in one transaction. The GraphQL door (after [`adopt`]'s checks) and the demo
/// loader call it.
pub async fn adopt_as(
    db: &Db,
    taxonomy: &Taxonomy,
    actor_id: &str,
    current: &ProposalRow,
    adoption: Adoption<'_>,
) -> AppResult<Outcome<(ProposalRow, ScenarioRow)>> {
    let unit_id = match (&current.unit_id, adoption.organization_id) {
        (Some(unit), _) => unit.clone(),
        (None, Some(named)) => named.to_owned(),
        (None, None) => {
            return Ok(refuse(
                &["organizationId"],
                ErrorCode::Required,
                "请选择承接该场景的政府单位",
            ));
        }
    };
    let unit = orgs::find(db, &unit_id)
        .await?
        .filter(|o| o.kind() == OrganizationKind::Government)
        .ok_or(AppError::NotFound)?;
    let proposer = orgs::find(db, &current.proposer_org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let capability = capabilities::store::find(db, &current.capability_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let summary: String = current.problem.chars().take(200).collect();
    let description: String = format!(
        "{}\n\n（本场景由「{}」通过场景建议提出。推荐理由：{}）",
        current.problem, proposer.name, current.rationale
    )
    .chars()
    .take(5000)
    .collect();
    let fields = ScenarioFields {
        title: Some(current.title.clone()),
        summary: Some(summary),
        description: Some(description),
        category: Some(adoption.category),
        industry_codes: Some(
            adoption
                .industry_codes
                .unwrap_or_else(|| capability.industry_codes()),
        ),
        region_code: Some(current.region_code.clone()),
        ..Default::default()
    };
    let content = match scenarios::service::validate_new(taxonomy, &unit.region_code, fields) {
        Ok(content) => content,
        Err(errors) => return Ok(Err(errors)),
    };
    let note = format!("采纳场景建议（提出单位：{}）", proposer.name);
    let mut tx = db.begin().await?;
    let scenario = scenarios::store::insert_in(
        &mut tx,
        &unit.id,
        actor_id,
        &content,
        Some(&note),
        &db::now(),
    )
    .await?;
    let adopted = store::decide(
        &mut tx,
        current,
        ProposalStatus::Adopted,
        actor_id,
        None,
        Some(&scenario.id),
    )
    .await?
    .ok_or(AppError::Conflict)?;
    tx.commit().await?;
    Ok(Ok((adopted, scenario)))
}

/// The addressee (or an admin) declines an OPEN proposal with a reason; nothing else changes.
pub async fn decline(
    db: &Db,
    viewer: &Viewer,
    id: &str,
    reason: Option<&str>,
) -> AppResult<Outcome<ProposalRow>> {
    let claims = viewer.require_user()?;
    let current = match to_decide(db, viewer, id).await? {
        Ok(current) => current,
        Err(errors) => return Ok(Err(errors)),
    };
    let Some(reason) = clean_note(reason) else {
        return Ok(refuse(
            &["reason"],
            ErrorCode::Required,
            "请说明不予采纳的原因",
        ));
    };
    let mut tx = db.begin().await?;
    let declined = store::decide(
        &mut tx,
        &current,
        ProposalStatus::Declined,
        &claims.sub,
        Some(reason),
        None,
    )
    .await?
    .ok_or(AppError::Conflict)?;
    tx.commit().await?;
    Ok(Ok(declined))
}

/// The OPEN proposal the viewer is to decide: NOT_FOUND if they may not read it, FORBIDDEN if
/// they may read but not decide it, INVALID_TRANSITION once it is decided.
async fn to_decide(db: &Db, viewer: &Viewer, id: &str) -> AppResult<Outcome<ProposalRow>> {
    let current = find(db, viewer, id).await?;
    if !can_decide(viewer, &current) {
        return Err(AppError::NotYours(
            "只有建议所提交的单位、场景经理人或平台管理员可以处理",
        ));
    }
    if current.status() != ProposalStatus::Open {
        return Ok(refuse(
            &[],
            ErrorCode::InvalidTransition,
            "该场景建议已处理，不能再次采纳或拒绝",
        ));
    }
    Ok(Ok(current))
}

// ---- The invitation on publication ------------------------------------------------------------

/// The event handler: when a scenario adopted from a proposal is published (the city's
/// approval), the proposer's capability is invited in the same transaction — a PROPOSED match
/// with origin PROPOSAL started by the scenario's unit, carrying the proposer's reasons — unless
/// the capability left the list or the pair already has a live match.
pub fn on_scenario_event<'a>(
    tx: &'a mut Tx,
    event: &'a NewEvent<'a>,
) -> BoxFuture<'a, Result<(), sqlx::Error>> {
    Box::pin(async move {
        let published = event.aggregate_type == scenarios::store::AGGREGATE
            && event.action == ScenarioStep::Approve.as_str()
            && event.to_status == Some(ScenarioStatus::Published.as_str());
        if !published {
            return Ok(());
        }
        let Some(proposal) = store::of_scenario(tx, event.aggregate_id).await? else {
            return Ok(());
        };
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT s.org_id, s.created_by, c.status FROM scenarios s, capabilities c \
             WHERE s.id = $1 AND c.id = $2",
        )
        .bind(event.aggregate_id)
        .bind(&proposal.capability_id)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((unit, created_by, capability_status)) = row else {
            return Ok(());
        };
        if !CapabilityStatus::parse(&capability_status).is_some_and(CapabilityStatus::is_public) {
            return Ok(());
        }
        let pitch = format!("场景建议：{}", proposal.rationale);
        match_store::insert_in(
            tx,
            NewMatch {
                scenario_id: event.aggregate_id,
                capability_id: &proposal.capability_id,
                origin: MatchOrigin::Proposal.as_str(),
                initiator_org_id: &unit,
                initiator_id: &created_by,
                score: 0.0,
                match_degree: None,
                reasons: "[]".to_owned(),
                pitch: &pitch,
            },
        )
        .await?;
        Ok(())
    })
}

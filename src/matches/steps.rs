//! The 对接 steps and their cascades, each one transaction with an event per object changed.
//! [`super::service`] checks who may act and what is valid, then calls these; so does the demo
//! loader, which acts as the service itself.

use chrono::NaiveDate;
use futures_util::future::BoxFuture;

use super::machine::{MatchStatus, RULES, Step};
use super::model::{MatchOrigin, StoredReason};
use super::store::{self, MatchRow, NewMatch};
use crate::capabilities::CapabilityStatus;
use crate::capabilities::machine::Step as CapabilityStep;
use crate::db::{self, Db, Tx};
use crate::error::{AppError, AppResult};
use crate::events::NewEvent;
use crate::machine::{Rule, lookup};
use crate::scenarios::ScenarioRow;
use crate::scenarios::machine::{ScenarioStatus, Step as ScenarioStep};
use crate::search::LiveIndex;
use crate::{capabilities, scenarios};

/// Proposes the pair with the engine's score and reasons; `None` when the pair already has a
/// live match.
#[allow(clippy::too_many_arguments)]
pub async fn propose(
    db: &Db,
    index: &LiveIndex,
    scenario: &ScenarioRow,
    capability_id: &str,
    origin: MatchOrigin,
    initiator_org: &str,
    initiator: &str,
    pitch: &str,
) -> AppResult<Option<MatchRow>> {
    let explained = index.explain(scenario.document(), capability_id).await;
    let (score, match_degree, reasons) = match &explained {
        Some(r) => (
            f64::from(r.score),
            Some(i64::from(r.degree)),
            r.reasons.iter().map(StoredReason::from).collect::<Vec<_>>(),
        ),
        None => (0.0, None, Vec::new()),
    };
    Ok(store::insert(
        db,
        NewMatch {
            scenario_id: &scenario.id,
            capability_id,
            origin: origin.as_str(),
            initiator_org_id: initiator_org,
            initiator_id: initiator,
            score,
            match_degree,
            reasons: serde_json::to_string(&reasons).expect("reasons serialize"),
            pitch,
        },
    )
    .await?)
}

/// A pair that met at a matchmaking event and continues.
pub struct ContinuingPair<'a> {
    pub scenario: &'a ScenarioRow,
    pub capability_id: &'a str,
    /// The registering enterprise and its member who registered: the match's initiator.
    pub initiator_org: &'a str,
    pub initiator: &'a str,
}

/// Records the pairs that continue after a matchmaking event, in one transaction: each becomes an
/// APPROVED match of origin EVENT (the unit then answers it as any approved match), with the
/// engine's score and reasons; a scenario's first moves it PUBLISHED → MATCHING. A pair that
/// has a live match already keeps it and is left out of what is returned.
pub async fn continue_after_event(
    db: &Db,
    index: &LiveIndex,
    pairs: &[ContinuingPair<'_>],
    actor: &str,
    note: &str,
) -> AppResult<(Vec<MatchRow>, Vec<ScenarioRow>)> {
    let mut explained = Vec::with_capacity(pairs.len());
    for pair in pairs {
        explained.push(
            index
                .explain(pair.scenario.document(), pair.capability_id)
                .await,
        );
    }
    let mut tx = db.begin().await?;
    let mut created = Vec::new();
    let mut started: Vec<ScenarioRow> = Vec::new();
    for (pair, explained) in pairs.iter().zip(&explained) {
        let (score, match_degree, reasons) = match explained {
            Some(r) => (
                f64::from(r.score),
                Some(i64::from(r.degree)),
                r.reasons.iter().map(StoredReason::from).collect::<Vec<_>>(),
            ),
            None => (0.0, None, Vec::new()),
        };
        let row = store::insert_approved_in(
            &mut tx,
            NewMatch {
                scenario_id: &pair.scenario.id,
                capability_id: pair.capability_id,
                origin: MatchOrigin::Event.as_str(),
                initiator_org_id: pair.initiator_org,
                initiator_id: pair.initiator,
                score,
                match_degree,
                reasons: serde_json::to_string(&reasons).expect("reasons serialize"),
                pitch: note,
            },
            actor,
            note,
        )
        .await?;
        let Some(row) = row else {
            continue;
        };
        created.push(row);
        if started.iter().any(|s| s.id == pair.scenario.id) {
            continue;
        }
        if let Some(start) = lookup(
            scenarios::RULES,
            pair.scenario.status(),
            ScenarioStep::StartMatching,
        ) {
            let scenario = scenarios::store::transition_in(
                &mut tx,
                pair.scenario,
                start,
                Some(actor),
                Some("对接活动中的对接继续推进"),
            )
            .await?
            .ok_or(AppError::Conflict)?;
            started.push(scenario);
        }
    }
    tx.commit().await?;
    Ok((created, started))
}

/// A step that changes the match alone (respond, withdraw, reject).
pub async fn step(
    db: &Db,
    current: &MatchRow,
    rule: Rule<MatchStatus, Step>,
    actor: &str,
    note: Option<&str>,
) -> AppResult<MatchRow> {
    let mut tx = db.begin().await?;
    let row = store::transition_in(&mut tx, current, rule, Some(actor), note)
        .await?
        .ok_or(AppError::Conflict)?;
    tx.commit().await?;
    Ok(row)
}

/// Approves a proposal; the scenario's first approved match moves it PUBLISHED → MATCHING
/// (returned when it did).
pub async fn approve(
    db: &Db,
    current: &MatchRow,
    rule: Rule<MatchStatus, Step>,
    actor: &str,
) -> AppResult<(MatchRow, Option<ScenarioRow>)> {
    let mut tx = db.begin().await?;
    let row = store::transition_in(&mut tx, current, rule, Some(actor), None)
        .await?
        .ok_or(AppError::Conflict)?;
    let scenario = scenarios::store::find(db, &row.scenario_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut started = None;
    if let Some(start) = lookup(
        scenarios::RULES,
        scenario.status(),
        ScenarioStep::StartMatching,
    ) {
        started = Some(
            scenarios::store::transition_in(
                &mut tx,
                &scenario,
                start,
                Some(actor),
                Some("首个对接通过审核"),
            )
            .await?
            .ok_or(AppError::Conflict)?,
        );
    }
    tx.commit().await?;
    Ok((row, started))
}

/// Selects a connected match: the scenario moves to IMPLEMENTING and every other live match of
/// it to NOT_SELECTED. `None` when the scenario is not in MATCHING.
pub async fn select(
    db: &Db,
    current: &MatchRow,
    rule: Rule<MatchStatus, Step>,
    scenario: &ScenarioRow,
    actor: &str,
) -> AppResult<Option<(MatchRow, ScenarioRow)>> {
    let Some(implement) = lookup(
        scenarios::RULES,
        scenario.status(),
        ScenarioStep::SelectPartner,
    ) else {
        return Ok(None);
    };
    let mut tx = db.begin().await?;
    let row = store::transition_in(&mut tx, current, rule, Some(actor), None)
        .await?
        .ok_or(AppError::Conflict)?;
    let scenario = scenarios::store::transition_in(&mut tx, scenario, implement, Some(actor), None)
        .await?
        .ok_or(AppError::Conflict)?;
    let others = store::of_scenario(
        &mut tx,
        &row.scenario_id,
        &[
            MatchStatus::Proposed,
            MatchStatus::Approved,
            MatchStatus::Connected,
        ],
    )
    .await?;
    for other in others.iter().filter(|m| m.id != row.id) {
        let rule = lookup(RULES, other.status(), Step::NotSelect)
            .expect("live matches can be not selected");
        store::transition_in(&mut tx, other, rule, None, Some("场景已选定其他合作方"))
            .await?
            .ok_or(AppError::Conflict)?;
    }
    tx.commit().await?;
    Ok(Some((row, scenario)))
}

/// Records the outcome of an implemented scenario: the scenario and its selected match land.
pub async fn land(
    db: &Db,
    scenario: &ScenarioRow,
    rule: Rule<ScenarioStatus, ScenarioStep>,
    actor: &str,
    summary: &str,
    investment: Option<i64>,
    completed_on: NaiveDate,
) -> AppResult<ScenarioRow> {
    let mut tx = db.begin().await?;
    // The timeline entry carries the outcome.
    let mut note = format!("落地成效：{summary}");
    if let Some(investment) = investment {
        note.push_str(&format!("；投资{investment}万元"));
    }
    note.push_str(&format!("；完成于{}", completed_on.format("%Y年%m月%d日")));
    let landed = scenarios::store::transition_in(&mut tx, scenario, rule, Some(actor), Some(&note))
        .await?
        .ok_or(AppError::Conflict)?;
    let selected = store::of_scenario(&mut tx, &landed.id, &[MatchStatus::Selected]).await?;
    let partner = match selected.first() {
        Some(m) => capabilities::store::find(db, &m.capability_id).await?,
        None => None,
    };
    let outcome = scenarios::store::OutcomeRecord {
        summary,
        investment,
        completed_on,
        partner: partner.as_ref().map(|c| scenarios::store::Partner {
            capability_id: &c.id,
            code: c.code.as_deref(),
            title: &c.title,
            org_id: &c.org_id,
        }),
    };
    scenarios::store::set_outcome(&mut tx, &landed.id, &outcome).await?;
    for selected in selected {
        let rule = lookup(RULES, selected.status(), Step::Land).expect("selected matches land");
        store::transition_in(&mut tx, &selected, rule, Some(actor), None)
            .await?
            .ok_or(AppError::Conflict)?;
    }
    tx.commit().await?;
    scenarios::store::find(db, &landed.id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Promotes a landed scenario; its partners' listed capabilities become FEATURED. Returns the
/// scenario and the ids of the capabilities featured.
pub async fn promote(
    db: &Db,
    scenario: &ScenarioRow,
    rule: Rule<ScenarioStatus, ScenarioStep>,
    actor: &str,
    note: Option<&str>,
) -> AppResult<(ScenarioRow, Vec<String>)> {
    let mut tx = db.begin().await?;
    let promoted = scenarios::store::transition_in(&mut tx, scenario, rule, Some(actor), note)
        .await?
        .ok_or(AppError::Conflict)?;
    let mut featured = Vec::new();
    for landed in store::of_scenario(&mut tx, &promoted.id, &[MatchStatus::Landed]).await? {
        let Some(capability) = capabilities::store::find(db, &landed.capability_id).await? else {
            continue;
        };
        if capability.status() != CapabilityStatus::Listed {
            continue;
        }
        let rule = lookup(
            capabilities::RULES,
            capability.status(),
            CapabilityStep::Feature,
        )
        .expect("listed capabilities can be featured");
        capabilities::store::transition_in(
            &mut tx,
            &capability,
            rule,
            Some(actor),
            Some("落地场景推广，评为晋中优秀方案"),
        )
        .await?
        .ok_or(AppError::Conflict)?;
        featured.push(capability.id);
    }
    tx.commit().await?;
    Ok((promoted, featured))
}

/// The event handler of the cascade when a scenario ends (WITHDRAW, CLOSE, EXPIRE): in the same
/// transaction, every match of it that was not selected yet ends (END, to NOT_SELECTED), each
/// with its own event. The partners hear of it once, from the scenario's event
/// (`SCENARIO_ENDED`), not once per match.
pub fn on_scenario_event<'a>(
    tx: &'a mut Tx,
    event: &'a NewEvent<'a>,
) -> BoxFuture<'a, Result<(), sqlx::Error>> {
    Box::pin(async move {
        let ends = [
            ScenarioStep::Withdraw,
            ScenarioStep::Close,
            ScenarioStep::Expire,
        ];
        if event.aggregate_type != scenarios::store::AGGREGATE
            || !ends.iter().any(|step| step.as_str() == event.action)
        {
            return Ok(());
        }
        let open = store::of_scenario(
            tx,
            event.aggregate_id,
            &[
                MatchStatus::Proposed,
                MatchStatus::Approved,
                MatchStatus::Connected,
            ],
        )
        .await?;
        for m in &open {
            let rule = lookup(RULES, m.status(), Step::End).expect("live matches can be ended");
            store::transition_in(tx, m, rule, event.actor_id, Some("场景已结束征集"))
                .await?
                .ok_or_else(db::stale)?;
        }
        Ok(())
    })
}

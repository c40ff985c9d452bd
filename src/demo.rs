//! Demo data for Jinzhong (`twolists seed --demo`, `twolists serve --demo`): government units of
//! every county and city bureaus, enterprises and research institutes, scenarios in every state
//! the lists reach, capabilities, and one published edition of each list. The content is in
//! `seeds/demo.json`; it goes in through the same store functions the API uses, so timelines,
//! codes and events are what real use would leave.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::Datelike as _;
use serde::Deserialize;

use crate::auth::{self, JoinedVia, NewUser, Role, password};
use crate::capabilities::machine::{CapabilityStatus, Step as CapabilityStep};
use crate::capabilities::store::{self as capability_store, CapabilityContent, DeliveredCase};
use crate::db::Db;
use crate::items::{self, Contact};
use crate::lists::model::EditionKind;
use crate::lists::store as edition_store;
use crate::machine::lookup;
use crate::matches::documents::ListDocuments;
use crate::matches::machine::Step as MatchStep;
use crate::matches::model::MatchOrigin;
use crate::matches::steps as match_service;
use crate::orgs::{self, NewOrganization, OrganizationKind, OrganizationStatus, credit_code};
use crate::proposals::service::{self as proposal_service, Adoption};
use crate::proposals::store::{self as proposal_store, NewProposal};
use crate::scenarios::machine::{ScenarioStatus, Step as ScenarioStep};
use crate::scenarios::model::ScenarioCategoryCode;
use crate::scenarios::store::{self as scenario_store, ScenarioContent, ScenarioRow};
use crate::search::LiveIndex;
use crate::taxonomy::Taxonomy;

const SEED: &str = include_str!("../seeds/demo.json");

/// Every demo account signs in with this password (listed in the README).
pub const DEMO_PASSWORD: &str = "Jinzhong-Demo-2026";
pub const DEMO_ADMIN: &str = "admin@demo.jzcx.cn";
const DEMO_DOMAIN: &str = "demo.jzcx.cn";

#[derive(Deserialize)]
struct Seed {
    units: Vec<Unit>,
    providers: Vec<Provider>,
    scenarios: Vec<ScenarioSeed>,
    capabilities: Vec<CapabilitySeed>,
    proposals: Vec<ProposalSeed>,
    events: Vec<EventSeed>,
}

/// A matchmaking event: `days` from today (negative: it took place), its agenda by scenario
/// title, the registrations by provider key (with the agenda scenarios they came for, by
/// position), and which registrations continue with the first of their scenarios after it.
#[derive(Deserialize)]
struct EventSeed {
    title: String,
    kind: String,
    region: String,
    description: String,
    days: i64,
    hours: i64,
    place: String,
    capacity: i64,
    deadline_days: i64,
    agenda: Vec<String>,
    registrations: Vec<RegistrationSeed>,
    continuing: Vec<usize>,
}

#[derive(Deserialize)]
struct RegistrationSeed {
    provider: String,
    scenarios: Vec<usize>,
    accept: bool,
}

/// A scenario an enterprise proposed (反向挖掘), adopted into a scenario of a unit or open.
#[derive(Deserialize)]
struct ProposalSeed {
    provider: String,
    unit: Option<String>,
    region: String,
    title: String,
    problem: String,
    rationale: String,
    adopt: Option<AdoptionSeed>,
}

#[derive(Deserialize)]
struct AdoptionSeed {
    unit: String,
    category: String,
}

#[derive(Deserialize)]
struct Unit {
    key: String,
    name: String,
    region: String,
}

#[derive(Deserialize)]
struct Provider {
    key: String,
    name: String,
    kind: String,
    region: String,
}

#[derive(Deserialize)]
struct ScenarioSeed {
    unit: String,
    status: String,
    category: String,
    industries: Vec<String>,
    title: String,
    summary: String,
    description: String,
    tags: Vec<String>,
    budget: Option<[i64; 2]>,
    trl: Option<i64>,
    #[serde(default)]
    modes: Vec<String>,
    days: i64,
    review: Option<String>,
}

#[derive(Deserialize)]
struct CapabilitySeed {
    org: String,
    title: String,
    summary: String,
    industries: Vec<String>,
    tags: Vec<String>,
    trl: i64,
    price: [i64; 2],
    regions: Vec<String>,
    cases: usize,
}

/// What a demo load did.
#[derive(Debug, Default)]
pub struct Loaded {
    pub organizations: usize,
    pub scenarios: usize,
    pub capabilities: usize,
    pub matches: usize,
    pub editions: usize,
    pub proposals: usize,
    pub events: usize,
}

/// The demo content's titles, sentences and tags: what the synthetic city is drawn from.
pub fn corpus() -> anyhow::Result<crate::matching::bench::Corpus> {
    let demo: serde_json::Value = serde_json::from_str(SEED).context("seeds/demo.json")?;
    let items: Vec<(String, String, Vec<String>)> = ["scenarios", "capabilities"]
        .iter()
        .flat_map(|list| demo[*list].as_array().cloned().unwrap_or_default())
        .map(|item| {
            let text = format!(
                "{}。{}",
                item["summary"].as_str().unwrap_or_default(),
                item["description"].as_str().unwrap_or_default()
            );
            let tags = item["tags"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (
                item["title"].as_str().unwrap_or_default().to_owned(),
                text,
                tags,
            )
        })
        .collect();
    Ok(crate::matching::bench::Corpus::from_items(
        items
            .iter()
            .map(|(title, text, tags)| (title.as_str(), text.as_str(), tags.as_slice())),
    ))
}

/// Loads the demo data into a database that holds no organization yet but the operator
/// (`Ok(None)` when it holds some).
pub async fn load_into_empty(db: &Db, taxonomy: &Arc<Taxonomy>) -> anyhow::Result<Option<Loaded>> {
    if holds_organizations(db).await? {
        return Ok(None);
    }
    load(db, taxonomy).await
}

/// Whether the database holds any organization but the operator (generated content goes only
/// into one that does not).
pub async fn holds_organizations(db: &Db) -> Result<bool, sqlx::Error> {
    let organizations: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM organizations WHERE kind <> 'OPERATOR'")
            .fetch_one(db.pool())
            .await?;
    Ok(organizations > 0)
}

/// Loads the demo data unless it is there already (`Ok(None)` then).
pub async fn load(db: &Db, taxonomy: &Arc<Taxonomy>) -> anyhow::Result<Option<Loaded>> {
    if auth::find_user_by_email(db, DEMO_ADMIN).await?.is_some() {
        return Ok(None);
    }
    let seed: Seed = serde_json::from_str(SEED).context("seeds/demo.json")?;
    let hash = password::hash(DEMO_PASSWORD.to_owned()).await?;
    let mut loaded = Loaded::default();

    let admin = auth::create_admin(db, DEMO_ADMIN, DEMO_PASSWORD, "场景促进中心管理员").await?;
    // County scenario managers of two counties: their scenarios are reviewed there first.
    let mut county_managers: Vec<(&str, String)> = Vec::new();
    for (region, key, name) in COUNTY_MANAGERS {
        let email = format!("{key}@{DEMO_DOMAIN}");
        let manager = auth::create_staff(db, &email, DEMO_PASSWORD, name, Some(region)).await?;
        county_managers.push((region, manager.id));
    }
    // (key, organization id, user id)
    let mut members: Vec<(String, String, String)> = Vec::new();
    let mut tx = db.begin().await?;
    for (i, unit) in seed.units.iter().enumerate() {
        let org = orgs::insert(
            &mut tx,
            NewOrganization {
                name: &unit.name,
                kind: OrganizationKind::Government,
                status: OrganizationStatus::Verified,
                credit_code: Some(&demo_credit_code("11", &unit.region, i)),
                region_code: &unit.region,
            },
        )
        .await?;
        let email = format!("{}@{DEMO_DOMAIN}", unit.key);
        let user = auth::insert_user(
            &mut tx,
            NewUser {
                email: &email,
                password_hash: &hash,
                display_name: &contact_name(i),
                role: Role::Government,
                organization_id: &org.id,
                joined_via: JoinedVia::CommandLine,
                email_verified: true,
                region_code: None,
            },
        )
        .await?;
        members.push((unit.key.clone(), org.id, user.id));
    }
    for (i, provider) in seed.providers.iter().enumerate() {
        let kind = OrganizationKind::parse(&provider.kind).unwrap_or(OrganizationKind::Enterprise);
        let prefix = if kind == OrganizationKind::Research {
            "12"
        } else {
            "91"
        };
        let org = orgs::insert(
            &mut tx,
            NewOrganization {
                name: &provider.name,
                kind,
                // A few providers are still waiting for verification.
                status: if is_pending_provider(i) {
                    OrganizationStatus::Pending
                } else {
                    OrganizationStatus::Verified
                },
                credit_code: Some(&demo_credit_code(prefix, &provider.region, i)),
                region_code: &provider.region,
            },
        )
        .await?;
        let email = format!("{}@{DEMO_DOMAIN}", provider.key);
        let user = auth::insert_user(
            &mut tx,
            NewUser {
                email: &email,
                password_hash: &hash,
                display_name: &contact_name(i + 7),
                role: Role::Enterprise,
                organization_id: &org.id,
                joined_via: JoinedVia::CommandLine,
                email_verified: true,
                region_code: None,
            },
        )
        .await?;
        members.push((provider.key.clone(), org.id, user.id));
    }
    tx.commit().await?;
    loaded.organizations = members.len();
    let member = |key: &str| {
        members
            .iter()
            .find(|(k, _, _)| k == key)
            .with_context(|| format!("demo data names an unknown organization {key}"))
    };

    let today = items::today_in_china();
    let mut published: Vec<ScenarioRow> = Vec::new();
    for (i, s) in seed.scenarios.iter().enumerate() {
        let (_, org_id, user_id) = member(&s.unit)?;
        let region = seed
            .units
            .iter()
            .find(|u| u.key == s.unit)
            .map(|u| u.region.clone())
            .unwrap_or_default();
        let content = ScenarioContent {
            title: s.title.clone(),
            summary: s.summary.clone(),
            description: s.description.clone(),
            category: s.category.clone(),
            industry_codes: s.industries.clone(),
            tags: s.tags.clone(),
            region_code: region,
            budget_min: s.budget.map(|b| b[0]),
            budget_max: s.budget.map(|b| b[1]),
            cooperation_modes: s.modes.clone(),
            maturity_required: s.trl,
            deadline: Some(today + chrono::Duration::days(s.days)),
            contact: s.budget.map(|_| contact(i)),
        };
        let mut row = scenario_store::insert(db, org_id, user_id, &content).await?;
        let target = ScenarioStatus::parse(&s.status).context("scenario status")?;
        let county_manager = county_managers
            .iter()
            .find(|(region, _)| *region == row.region_code)
            .map(|(_, id)| id);
        for step in scenario_path(target, county_manager.is_some()) {
            let rule = lookup(crate::scenarios::RULES, row.status(), step)
                .context("demo path follows the lifecycle")?;
            let (actor, note) = match step {
                ScenarioStep::CountyApprove => (county_manager.unwrap_or(&admin.id), None),
                ScenarioStep::Approve => (&admin.id, None),
                ScenarioStep::RequestChanges => (&admin.id, s.review.as_deref()),
                _ => (user_id, None),
            };
            row = scenario_store::transition(db, &row, rule, Some(actor), note)
                .await?
                .context("demo transition")?;
        }
        if row.status() == ScenarioStatus::Published {
            published.push(row);
        }
        loaded.scenarios += 1;
    }

    let this_year = today.year();
    let mut listed: Vec<String> = Vec::new();
    for (i, c) in seed.capabilities.iter().enumerate() {
        let (_, org_id, user_id) = member(&c.org)?;
        let regions: Vec<&str> = c
            .regions
            .iter()
            .filter_map(|code| taxonomy.region(code).map(|r| r.name.as_str()))
            .collect();
        let provider = seed
            .providers
            .iter()
            .position(|p| p.key == c.org)
            .context("provider")?;
        let description = format!(
            "{}本方案由{}提供，技术成熟度达到{}级，服务范围覆盖{}，可提供方案设计、实施部署、培训和运维一体化服务。",
            c.summary,
            seed.providers[provider].name,
            c.trl,
            regions.join("、")
        );
        let cases = (0..c.cases.min(3))
            .map(|k| {
                let unit = &seed.units[(i + k * 5) % seed.units.len()];
                DeliveredCase {
                    title: format!(
                        "{}{}项目",
                        unit.name.trim_end_matches("人民政府"),
                        c.tags[0]
                    ),
                    client: unit.name.clone(),
                    year: this_year - 1 - (k as i32 % 4),
                    summary: format!("为{}交付{}，已稳定运行。", unit.name, c.title),
                }
            })
            .collect();
        let content = CapabilityContent {
            title: c.title.clone(),
            summary: c.summary.clone(),
            description,
            industry_codes: c.industries.clone(),
            tags: c.tags.clone(),
            maturity: c.trl,
            price_min: Some(c.price[0]),
            price_max: Some(c.price[1]),
            service_region_codes: c.regions.clone(),
            cases,
            certifications: if c.trl >= 8 {
                vec!["ISO 9001质量管理体系认证".into()]
            } else {
                vec![]
            },
            contact: Some(contact(i + 40)),
        };
        let mut row = capability_store::insert(db, org_id, user_id, &content).await?;
        // Providers still waiting for verification keep their drafts.
        let target = if is_pending_provider(provider) {
            CapabilityStatus::Draft
        } else {
            capability_target(i)
        };
        for step in capability_path(target) {
            let rule = lookup(crate::capabilities::RULES, row.status(), *step)
                .context("demo path follows the lifecycle")?;
            let (actor, note) = match step {
                CapabilityStep::Approve | CapabilityStep::Feature => (&admin.id, None),
                CapabilityStep::RequestChanges => {
                    (&admin.id, Some("请补充已落地案例的验收材料和客户评价。"))
                }
                _ => (user_id, None),
            };
            row = capability_store::transition(db, &row, rule, Some(actor), note)
                .await?
                .context("demo transition")?;
        }
        if row.status().is_public() {
            listed.push(row.id.clone());
        }
        loaded.capabilities += 1;
    }

    let index = LiveIndex::load(
        taxonomy.matching_world(),
        crate::matching::WordVectors::bundled(),
        Arc::new(ListDocuments::new(db.clone())),
    )
    .await?;
    loaded.matches = load_matches(db, &index, &published, &members, &admin.id).await?;

    let year = i64::from(this_year);
    let opportunity = edition_store::insert(
        db,
        "OPPORTUNITY",
        year,
        1,
        &format!("晋中市{this_year}年第一批场景机会清单"),
        &admin.id,
    )
    .await?;
    let ids: Vec<String> = published.iter().take(18).map(|r| r.id.clone()).collect();
    publish_edition(db, &opportunity, &ids, &admin.id).await?;
    let capability = edition_store::insert(
        db,
        "CAPABILITY",
        year,
        1,
        &format!("晋中市{this_year}年第一批能力清单（晋中优秀方案）"),
        &admin.id,
    )
    .await?;
    let ids: Vec<String> = listed.iter().take(40).cloned().collect();
    publish_edition(db, &capability, &ids, &admin.id).await?;
    loaded.editions = 2;

    // Scenario proposals: one adopted by the county manager of its region, one open.
    for p in &seed.proposals {
        let (_, provider_org, proposer) = member(&p.provider)?;
        let capability: String = sqlx::query_scalar(
            "SELECT id FROM capabilities WHERE org_id = $1 AND status IN ('LISTED', 'FEATURED') \
             ORDER BY code LIMIT 1",
        )
        .bind(provider_org)
        .fetch_one(db.pool())
        .await
        .with_context(|| format!("{} has a listed capability", p.provider))?;
        let unit = match &p.unit {
            Some(key) => Some(member(key)?.1.as_str()),
            None => None,
        };
        let proposal = proposal_store::insert(
            db,
            NewProposal {
                proposer_org_id: provider_org,
                proposed_by: proposer,
                capability_id: &capability,
                title: &p.title,
                problem: &p.problem,
                region_code: &p.region,
                unit_id: unit,
                rationale: &p.rationale,
            },
        )
        .await?;
        if let Some(adopt) = &p.adopt {
            let adopter = county_managers
                .iter()
                .find(|(region, _)| *region == p.region)
                .map_or(&admin.id, |(_, id)| id);
            let adoption = Adoption {
                organization_id: Some(member(&adopt.unit)?.1.as_str()),
                category: ScenarioCategoryCode::parse(&adopt.category)
                    .context("proposal category")?,
                industry_codes: None,
            };
            proposal_service::adopt_as(db, taxonomy, adopter, &proposal, adoption)
                .await?
                .map_err(|errors| anyhow::anyhow!("demo proposal: {errors:?}"))?;
            loaded.scenarios += 1;
        }
        loaded.proposals += 1;
    }
    // Matchmaking events: one open for registration, one held with a pair that continues.
    for event in &seed.events {
        let organiser = county_managers
            .iter()
            .find(|(region, _)| *region == event.region)
            .map_or(admin.id.as_str(), |(_, id)| id.as_str());
        loaded.matches += load_event(db, &index, event, &member, organiser).await?;
        loaded.events += 1;
    }

    // The demo's history leaves its accounts an inbox to look at, but its addresses are made
    // up: the e-mails it queued are dropped rather than sent.
    sqlx::query("DELETE FROM email_outbox WHERE status = 'PENDING' AND recipient LIKE $1")
        .bind(format!("%@{DEMO_DOMAIN}"))
        .execute(db.pool())
        .await?;
    // The statistics gathered at start described an empty database.
    db.analyze().await?;
    Ok(Some(loaded))
}

/// One matchmaking event of the seed, as its organiser would have run it (the service's checks of
/// time are the requests'; the demo writes a past event as it happened). The matches it made.
async fn load_event<'a>(
    db: &Db,
    index: &LiveIndex,
    seed: &EventSeed,
    member: &impl Fn(&str) -> anyhow::Result<&'a (String, String, String)>,
    organiser: &str,
) -> anyhow::Result<usize> {
    use crate::activities::store::{self as event_store, EventContent, NewRegistration};
    use crate::activities::{
        EVENT_RULES, EventStatus, EventStep, REGISTRATION_RULES, RegistrationStatus,
        RegistrationStep,
    };
    let china = crate::clock::china();
    let day = items::today_in_china() + chrono::Duration::days(seed.days);
    let at = |day: chrono::NaiveDate, hour: u32| -> anyhow::Result<String> {
        use chrono::TimeZone as _;
        let local = day.and_hms_opt(hour, 30, 0).context("a time of day")?;
        let t = china
            .from_local_datetime(&local)
            .single()
            .context("a local time")?;
        Ok(crate::db::format_time(t.to_utc()))
    };
    let starts = at(day, 9)?;
    let ends_at =
        crate::db::parse_time(&starts).context("start")? + chrono::Duration::hours(seed.hours);
    let deadline = at(
        items::today_in_china() + chrono::Duration::days(seed.deadline_days),
        17,
    )?;
    let mut agenda = Vec::new();
    let mut agenda_rows = Vec::new();
    for title in &seed.agenda {
        let id: String = sqlx::query_scalar(
            "SELECT id FROM scenarios WHERE title = $1 AND status IN ('PUBLISHED', 'MATCHING')",
        )
        .bind(title)
        .fetch_one(db.pool())
        .await
        .with_context(|| format!("an open demo scenario {title}"))?;
        agenda_rows.push(
            scenario_store::find(db, &id)
                .await?
                .context("agenda scenario")?,
        );
        agenda.push(id);
    }
    let content = EventContent {
        title: seed.title.clone(),
        kind: seed.kind.clone(),
        description: seed.description.clone(),
        starts_at: starts,
        ends_at: crate::db::format_time(ends_at),
        place: Some(seed.place.clone()),
        online_url: None,
        region_code: seed.region.clone(),
        capacity: seed.capacity,
        registration_deadline: deadline,
        agenda: agenda.clone(),
    };
    let step = |from: EventStatus, step: EventStep| {
        lookup(EVENT_RULES, from, step).context("an event step")
    };
    let draft = event_store::insert(db, &content, organiser).await?;
    let mut event = event_store::transition(
        db,
        &draft,
        step(EventStatus::Draft, EventStep::Publish)?,
        Some(organiser),
        None,
    )
    .await?
    .context("publish the demo event")?;
    let mut registrations = Vec::new();
    for r in &seed.registrations {
        let (_, org, user) = member(&r.provider)?;
        let capability: String = sqlx::query_scalar(
            "SELECT id FROM capabilities WHERE org_id = $1 AND status IN ('LISTED', 'FEATURED') \
             ORDER BY code LIMIT 1",
        )
        .bind(org)
        .fetch_one(db.pool())
        .await
        .with_context(|| format!("{} has a listed capability", r.provider))?;
        let scenarios: Vec<String> = r.scenarios.iter().map(|i| agenda[*i].clone()).collect();
        let row = event_store::register(
            db,
            NewRegistration {
                event_id: &event.id,
                org_id: org,
                registered_by: user,
                capability_id: &capability,
                scenario_ids: &scenarios,
                note: "我司可现场演示方案并介绍已落地案例。",
            },
        )
        .await?
        .context("a demo registration")?;
        let row = if r.accept {
            let rule =
                |s| lookup(REGISTRATION_RULES, RegistrationStatus::Pending, s).context("accept");
            event_store::accept(
                db,
                &row,
                rule(RegistrationStep::Accept)?,
                rule(RegistrationStep::Waitlist)?,
                organiser,
            )
            .await?
            .context("accept the demo registration")?
        } else {
            row
        };
        registrations.push(row);
    }
    if seed.days >= 0 {
        return Ok(0);
    }
    event = event_store::transition(
        db,
        &event,
        step(EventStatus::Open, EventStep::CloseRegistration)?,
        Some(organiser),
        None,
    )
    .await?
    .context("close the demo event")?;
    event_store::transition(
        db,
        &event,
        step(EventStatus::Closed, EventStep::MarkHeld)?,
        Some(organiser),
        None,
    )
    .await?
    .context("hold the demo event")?;
    let pairs: Vec<match_service::ContinuingPair<'_>> = seed
        .continuing
        .iter()
        .map(|i| {
            let r = &registrations[*i];
            let first = &seed.registrations[*i].scenarios[0];
            match_service::ContinuingPair {
                scenario: &agenda_rows[*first],
                capability_id: &r.capability_id,
                initiator_org: &r.org_id,
                initiator: &r.registered_by,
            }
        })
        .collect();
    let note = format!("在对接活动「{}」上洽谈，双方同意继续推进", seed.title);
    let (made, _) =
        match_service::continue_after_event(db, index, &pairs, organiser, &note).await?;
    Ok(made.len())
}

/// Takes a few published scenarios further through 对接, with the engine's best capabilities:
/// into MATCHING, IMPLEMENTING, LANDED and PROMOTED.
async fn load_matches(
    db: &Db,
    index: &LiveIndex,
    published: &[ScenarioRow],
    members: &[(String, String, String)],
    admin_id: &str,
) -> anyhow::Result<usize> {
    let user_of = |org_id: &str| {
        members
            .iter()
            .find(|(_, org, _)| org == org_id)
            .map(|(_, _, user)| user.clone())
            .context("demo member")
    };
    let mut made = 0;
    // (how far, how many scenarios)
    let plan = [
        (ScenarioStatus::Matching, 3),
        (ScenarioStatus::Implementing, 2),
        (ScenarioStatus::Landed, 2),
        (ScenarioStatus::Promoted, 1),
    ];
    let mut scenarios = published.iter().rev();
    for (target, count) in plan {
        for scenario in scenarios.by_ref().take(count) {
            let unit_user = user_of(&scenario.org_id)?;
            let best = index.rank_capabilities(scenario.document(), 2).await;
            let mut matches = Vec::new();
            for candidate in &best {
                let capability = capability_store::find(db, &candidate.id)
                    .await?
                    .context("ranked capability")?;
                let provider = user_of(&capability.org_id)?;
                if let Some(m) = match_service::propose(
                    db,
                    index,
                    scenario,
                    &capability.id,
                    MatchOrigin::Application,
                    &capability.org_id,
                    &provider,
                    "我们的方案与贵单位场景需求高度契合，已有同类项目落地经验，期待现场对接。",
                )
                .await?
                {
                    matches.push(m);
                    made += 1;
                }
            }
            let Some(first) = matches.first() else {
                continue;
            };
            let rule = lookup(crate::matches::RULES, first.status(), MatchStep::Approve)
                .context("approve")?;
            let (first, _) = match_service::approve(db, first, rule, admin_id).await?;
            if target == ScenarioStatus::Matching {
                continue;
            }
            let rule = lookup(crate::matches::RULES, first.status(), MatchStep::Accept)
                .context("accept")?;
            let first = match_service::step(db, &first, rule, &unit_user, None).await?;
            let rule = lookup(crate::matches::RULES, first.status(), MatchStep::Select)
                .context("select")?;
            let current = scenario_store::find(db, &scenario.id)
                .await?
                .context("scenario")?;
            let (_, implementing) = match_service::select(db, &first, rule, &current, &unit_user)
                .await?
                .context("select")?;
            if target == ScenarioStatus::Implementing {
                continue;
            }
            let rule = lookup(
                crate::scenarios::RULES,
                implementing.status(),
                ScenarioStep::RecordOutcome,
            )
            .context("outcome")?;
            let landed = match_service::land(
                db,
                &implementing,
                rule,
                &unit_user,
                "方案已在示范点稳定运行三个月，效率提升明显，已通过验收。",
                Some(120),
                items::today_in_china() - chrono::Duration::days(10),
            )
            .await?;
            if target == ScenarioStatus::Landed {
                continue;
            }
            let rule = lookup(
                crate::scenarios::RULES,
                landed.status(),
                ScenarioStep::Promote,
            )
            .context("promote")?;
            match_service::promote(
                db,
                &landed,
                rule,
                admin_id,
                Some("入选晋中市场景创新推广案例"),
            )
            .await?;
        }
    }
    Ok(made)
}

async fn publish_edition(
    db: &Db,
    edition: &edition_store::EditionRow,
    ids: &[String],
    admin_id: &str,
) -> anyhow::Result<()> {
    let edition = edition_store::add_items(db, &edition.id, ids)
        .await?
        .context("draft edition")?;
    let kind = EditionKind::parse(&edition.kind);
    let snapshots = crate::lists::service::snapshots(db, kind, ids)
        .await?
        .map_err(|errors| anyhow::anyhow!("demo edition items refused: {errors:?}"))?;
    edition_store::publish(db, &edition, &snapshots, admin_id)
        .await?
        .context("publishing the demo edition")?;
    Ok(())
}

/// A few providers are still waiting for an admin's verification.
fn is_pending_provider(index: usize) -> bool {
    index % 14 == 13
}

/// The demo's county scenario managers: (region, account key, name).
const COUNTY_MANAGERS: [(&str, &str, &str); 2] = [
    ("140703", "taigu-manager", "太谷区场景经理人"),
    ("140728", "pingyao-manager", "平遥县场景经理人"),
];

/// The steps that bring a new scenario to `target`; `two_levels` where its region has a county
/// manager, whose approval comes before the city's.
fn scenario_path(target: ScenarioStatus, two_levels: bool) -> Vec<ScenarioStep> {
    use ScenarioStep::*;
    let path: &[ScenarioStep] = match target {
        ScenarioStatus::Discovered => &[],
        ScenarioStatus::Planned => &[Plan],
        ScenarioStatus::PendingReview => &[Plan, Submit],
        ScenarioStatus::PendingCityReview => &[Plan, Submit, CountyApprove],
        ScenarioStatus::ChangesRequested => &[Plan, Submit, RequestChanges],
        ScenarioStatus::Withdrawn => &[Plan, Submit, Approve, Withdraw],
        ScenarioStatus::Closed => &[Plan, Submit, Approve, Close],
        _ => &[Plan, Submit, Approve],
    };
    let mut steps = Vec::with_capacity(path.len() + 1);
    for step in path {
        if *step == Approve && two_levels {
            steps.push(CountyApprove);
        }
        steps.push(*step);
    }
    steps
}

/// Most capabilities are listed; some are featured, some still in review, some archived.
fn capability_target(index: usize) -> CapabilityStatus {
    match index % 12 {
        0 | 6 => CapabilityStatus::Featured,
        3 => CapabilityStatus::PendingReview,
        7 => CapabilityStatus::ChangesRequested,
        9 if index % 24 == 9 => CapabilityStatus::Draft,
        10 if index % 36 == 10 => CapabilityStatus::Archived,
        _ => CapabilityStatus::Listed,
    }
}

fn capability_path(target: CapabilityStatus) -> &'static [CapabilityStep] {
    use CapabilityStep::*;
    match target {
        CapabilityStatus::Draft => &[],
        CapabilityStatus::PendingReview => &[Submit],
        CapabilityStatus::ChangesRequested => &[Submit, RequestChanges],
        CapabilityStatus::Listed => &[Submit, Approve],
        CapabilityStatus::Featured => &[Submit, Approve, Feature],
        CapabilityStatus::Archived => &[Submit, Approve, Archive],
    }
}

const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "赵", "郭", "武", "杨", "梁", "贾", "常", "乔", "渠", "曹", "孟", "韩",
];
const GIVEN: [&str; 12] = [
    "建华", "晓燕", "志强", "丽娟", "海涛", "文静", "国栋", "雅琴", "振宇", "秀峰", "晋生", "慧敏",
];

fn contact_name(i: usize) -> String {
    format!(
        "{}{}",
        SURNAMES[i % SURNAMES.len()],
        GIVEN[(i * 7) % GIVEN.len()]
    )
}

fn contact(i: usize) -> Contact {
    Contact {
        name: contact_name(i),
        phone: format!("0354-{}", 3_000_000 + (i * 7919) % 1_000_000),
        email: None,
    }
}

/// A valid, distinct unified social credit code for the i-th demo organization of a region.
fn demo_credit_code(prefix: &str, region: &str, i: usize) -> String {
    credit_code::numbered(prefix, region, i * 7 + 1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_is_complete_and_consistent() {
        let seed: Seed = serde_json::from_str(SEED).unwrap();
        let taxonomy = Taxonomy::bundled();
        assert!(seed.providers.len() >= 40);
        assert!(seed.scenarios.len() >= 40);
        assert!(seed.capabilities.len() >= 120);
        // A government unit in every region.
        for region in &taxonomy.regions {
            assert!(
                seed.units.iter().any(|u| u.region == region.code),
                "{}",
                region.name
            );
        }
        let keys: Vec<&str> = seed
            .units
            .iter()
            .map(|u| u.key.as_str())
            .chain(seed.providers.iter().map(|p| p.key.as_str()))
            .collect();
        for s in &seed.scenarios {
            assert!(keys.contains(&s.unit.as_str()), "{}", s.title);
            assert!(ScenarioStatus::parse(&s.status).is_some(), "{}", s.status);
            assert!(s.industries.iter().all(|c| taxonomy.industry(c).is_some()));
            assert!(s.title.chars().count() <= 60 && s.summary.chars().count() <= 200);
        }
        for c in &seed.capabilities {
            assert!(keys.contains(&c.org.as_str()), "{}", c.title);
            assert!(
                c.industries
                    .iter()
                    .all(|code| taxonomy.industry(code).is_some())
            );
            assert!(c.regions.iter().all(|code| taxonomy.region(code).is_some()));
            assert!(c.price[0] <= c.price[1] && (1..=9).contains(&c.trl));
        }
        let mut titles: Vec<&str> = seed.capabilities.iter().map(|c| c.title.as_str()).collect();
        titles.sort();
        titles.dedup();
        assert_eq!(
            titles.len(),
            seed.capabilities.len(),
            "capability titles are distinct"
        );
    }

    #[test]
    fn demo_credit_codes_are_valid_and_distinct() {
        let codes: Vec<String> = (0..60)
            .map(|i| demo_credit_code("91", "140702", i))
            .collect();
        assert!(codes.iter().all(|c| credit_code::is_valid(c)));
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
    }
}

//! A synthetic city for load benchmarks (`twolists seed --synthetic`): government units and
//! enterprises in every county, scenarios in every stage with their matches, capabilities, and
//! their timelines. The texts are drawn from the demo content the way `bench-match` draws them.
//!
//! Tens of thousands of items through the services would take many minutes, so the rows are
//! written in bulk, as the services would have left them (statuses, public codes and their
//! counters, industries and regions, events, one live match per pair). It is a fixture for
//! measuring, not a door: nothing a user sends passes through here.

use anyhow::Context as _;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auth;
use crate::db::{self, Backend, Db, Sql, Tx};
use crate::matching::bench;
use crate::orgs::credit_code;
use crate::taxonomy::Taxonomy;

/// Every synthetic account signs in with this password.
pub const PASSWORD: &str = "Jinzhong-Synthetic-2026";
/// The synthetic city's administrator.
pub const ADMIN: &str = "admin@synthetic.jzcx.cn";
const YEAR: i64 = 2026;

/// How big a city.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub scenarios: usize,
    pub capabilities: usize,
}

/// What was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seeded {
    pub organizations: usize,
    pub scenarios: usize,
    pub capabilities: usize,
    pub matches: usize,
    pub events: usize,
}

/// Writes a synthetic city of `size` into a database that holds no organization but the
/// operator (`Ok(None)` when it holds some), in one transaction.
pub async fn load(db: &Db, taxonomy: &Taxonomy, size: Size) -> anyhow::Result<Option<Seeded>> {
    if crate::demo::holds_organizations(db).await? {
        return Ok(None);
    }
    let admin = match auth::find_user_by_email(db, ADMIN).await? {
        Some(admin) => admin,
        None => auth::create_admin(db, ADMIN, PASSWORD, "平台管理员").await?,
    };
    let hash = auth::password::hash(PASSWORD.to_owned()).await?;
    let world = taxonomy.matching_world();
    let corpus = crate::demo::corpus()?;
    let (scenarios, capabilities) =
        bench::city(&world, &corpus, size.scenarios, size.capabilities, 2026);
    let mut counties: Vec<String> = world
        .regions
        .keys()
        .filter(|code| **code != world.city)
        .cloned()
        .collect();
    counties.sort();
    let county_name = |code: &str| {
        world
            .regions
            .get(code)
            .map_or("", |(name, _)| name.as_str())
    };

    let mut city = City::new(hash, admin.id.clone());
    let units = (size.scenarios / 25).max(3);
    let enterprises = (size.capabilities / 20).max(3);
    for i in 0..units {
        let county = &counties[i % counties.len()];
        let department = DEPARTMENTS[(i / counties.len()) % DEPARTMENTS.len()];
        let round = i / (counties.len() * DEPARTMENTS.len());
        let name = format!("{}{department}{}", county_name(county), suffix(round));
        city.organization("GOVERNMENT", &name, county, "11");
    }
    for i in 0..enterprises {
        let county = &counties[i % counties.len()];
        let name = format!(
            "山西{}{}有限公司{}",
            BRANDS[i % BRANDS.len()],
            TRADES[(i / BRANDS.len()) % TRADES.len()],
            suffix(i / (BRANDS.len() * TRADES.len()))
        );
        city.organization("ENTERPRISE", &name, county, "91");
    }

    let mut listed = Vec::new();
    for (i, doc) in capabilities.iter().enumerate() {
        let org = units + i % enterprises;
        let status = match i % 100 {
            0..=3 => "DRAFT",
            4..=7 => "PENDING_REVIEW",
            8..=94 => "LISTED",
            _ => "FEATURED",
        };
        let id = city.capability(doc, org, status);
        if matches!(status, "LISTED" | "FEATURED") {
            listed.push((id, org));
        }
    }
    for (i, doc) in scenarios.iter().enumerate() {
        let status = match i % 100 {
            0..=3 => "DISCOVERED",
            4..=6 => "PLANNED",
            7..=9 => "PENDING_REVIEW",
            10..=69 => "PUBLISHED",
            70..=81 => "MATCHING",
            82..=89 => "IMPLEMENTING",
            90..=95 => "LANDED",
            96..=97 => "PROMOTED",
            _ => "CLOSED",
        };
        let id = city.scenario(doc, i % units, status);
        let partners = match status {
            "MATCHING" => vec!["APPROVED", "CONNECTED"],
            "IMPLEMENTING" => vec!["SELECTED", "NOT_SELECTED"],
            "LANDED" | "PROMOTED" => vec!["LANDED", "NOT_SELECTED"],
            _ => Vec::new(),
        };
        for (k, match_status) in partners.into_iter().enumerate() {
            if listed.len() < 2 {
                break;
            }
            let (capability, org) = listed[(i * 7 + k * 13) % listed.len()].clone();
            city.pair(&id, &capability, org, match_status, i);
        }
    }

    let seeded = city.seeded;
    let mut tx = db.begin().await?;
    city.write(&mut tx, db.backend())
        .await
        .context("writing the synthetic city")?;
    tx.commit().await?;
    // The planner should know the city's size before the first request comes.
    db.analyze().await?;
    Ok(Some(seeded))
}

const DEPARTMENTS: [&str; 10] = [
    "工业和信息化局",
    "应急管理局",
    "农业农村局",
    "住房和城乡建设局",
    "文化和旅游局",
    "交通运输局",
    "卫生健康局",
    "生态环境局",
    "能源局",
    "发展和改革局",
];
const BRANDS: [&str; 8] = [
    "智矿", "晋能", "太行", "汾河", "平遥", "榆次", "清源", "晋中",
];
const TRADES: [&str; 8] = [
    "智能装备",
    "数字科技",
    "新材料",
    "能源科技",
    "农业科技",
    "信息技术",
    "环保科技",
    "物流",
];

/// The steps after publication, in order; a scenario goes as far as its status.
const SCENARIO_STAGES: [(&str, &str, &str); 4] = [
    ("START_MATCHING", "PUBLISHED", "MATCHING"),
    ("SELECT_PARTNER", "MATCHING", "IMPLEMENTING"),
    ("RECORD_OUTCOME", "IMPLEMENTING", "LANDED"),
    ("PROMOTE", "LANDED", "PROMOTED"),
];

/// The steps of a match after its proposal; a match goes as far as its status.
const MATCH_STAGES: [(&str, &str, &str); 4] = [
    ("APPROVE", "PROPOSED", "APPROVED"),
    ("ACCEPT", "APPROVED", "CONNECTED"),
    ("SELECT", "CONNECTED", "SELECTED"),
    ("LAND", "SELECTED", "LANDED"),
];

/// `第2分部` and so on for the second round of the same name; nothing for the first.
fn suffix(round: usize) -> String {
    if round == 0 {
        String::new()
    } else {
        format!("第{}分部", round + 1)
    }
}

/// A value of a row to write.
enum V {
    Text(String),
    Maybe(Option<String>),
    Int(i64),
    MaybeInt(Option<i64>),
    Float(f64),
}

fn t(s: impl Into<String>) -> V {
    V::Text(s.into())
}

/// The rows of one table.
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<V>>,
}

impl Table {
    fn new(name: &'static str, columns: &'static [&'static str]) -> Table {
        Table {
            name,
            columns,
            rows: Vec::new(),
        }
    }

    fn push(&mut self, row: Vec<V>) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}", self.name);
        self.rows.push(row);
    }

    /// Multi-row INSERTs of at most `max_values` values each.
    async fn write(self, tx: &mut Tx, max_values: usize) -> Result<(), sqlx::Error> {
        let per_statement = (max_values / self.columns.len()).max(1);
        let mut rows = self.rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut sql = Sql::new(&format!(
                "INSERT INTO {} ({}) VALUES ",
                self.name,
                self.columns.join(", ")
            ));
            for (i, row) in rows.by_ref().take(per_statement).enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                for (j, value) in row.into_iter().enumerate() {
                    if j > 0 {
                        sql.push(", ");
                    }
                    match value {
                        V::Text(v) => sql.bind(v),
                        V::Maybe(v) => sql.bind(v),
                        V::Int(v) => sql.bind(v),
                        V::MaybeInt(v) => sql.bind(v),
                        V::Float(v) => sql.bind(v),
                    };
                }
                sql.push(")");
            }
            let (text, args) = sql.build();
            sqlx::query_with(text, args).execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// The city as it is assembled, table by table.
struct City {
    rng: StdRng,
    now: String,
    hash: String,
    admin: String,
    /// Per organization: (id, its manager's id, region).
    orgs: Vec<(String, String, String)>,
    /// Per capability id: (code, title), for landed outcomes.
    capability_codes: std::collections::HashMap<String, (Option<String>, String)>,
    scenario_seq: i64,
    capability_seq: i64,
    organizations: Table,
    users: Table,
    scenarios: Table,
    scenario_industries: Table,
    capabilities: Table,
    capability_industries: Table,
    capability_regions: Table,
    matches: Table,
    events: Table,
    seeded: Seeded,
}

impl City {
    fn new(hash: String, admin: String) -> City {
        City {
            rng: StdRng::seed_from_u64(140700),
            now: db::now(),
            hash,
            admin,
            orgs: Vec::new(),
            capability_codes: Default::default(),
            scenario_seq: 0,
            capability_seq: 0,
            organizations: Table::new(
                "organizations",
                &[
                    "id",
                    "name",
                    "kind",
                    "status",
                    "credit_code",
                    "region_code",
                    "version",
                    "created_at",
                    "updated_at",
                    "verified_at",
                ],
            ),
            users: Table::new(
                "users",
                &[
                    "id",
                    "email",
                    "password_hash",
                    "display_name",
                    "role",
                    "organization_id",
                    "email_verified_at",
                    "version",
                    "created_at",
                    "updated_at",
                    "membership",
                    "joined_via",
                ],
            ),
            scenarios: Table::new(
                "scenarios",
                &[
                    "id",
                    "code",
                    "org_id",
                    "created_by",
                    "title",
                    "summary",
                    "description",
                    "category",
                    "industry_codes",
                    "tags",
                    "region_code",
                    "budget_min",
                    "budget_max",
                    "cooperation_modes",
                    "maturity_required",
                    "deadline",
                    "contact_name",
                    "contact_phone",
                    "status",
                    "version",
                    "created_at",
                    "updated_at",
                    "submitted_at",
                    "published_at",
                    "outcome_summary",
                    "outcome_investment",
                    "completed_on",
                    "outcome_recorded_at",
                    "outcome_capability_id",
                    "outcome_capability_code",
                    "outcome_capability_title",
                    "outcome_org_id",
                ],
            ),
            scenario_industries: Table::new(
                "scenario_industries",
                &["scenario_id", "industry_code"],
            ),
            capabilities: Table::new(
                "capabilities",
                &[
                    "id",
                    "code",
                    "org_id",
                    "created_by",
                    "title",
                    "summary",
                    "description",
                    "industry_codes",
                    "tags",
                    "maturity",
                    "price_min",
                    "price_max",
                    "service_region_codes",
                    "cases",
                    "certifications",
                    "contact_name",
                    "contact_phone",
                    "status",
                    "version",
                    "created_at",
                    "updated_at",
                    "submitted_at",
                    "listed_at",
                ],
            ),
            capability_industries: Table::new(
                "capability_industries",
                &["capability_id", "industry_code"],
            ),
            capability_regions: Table::new("capability_regions", &["capability_id", "region_code"]),
            matches: Table::new(
                "matches",
                &[
                    "id",
                    "scenario_id",
                    "capability_id",
                    "origin",
                    "initiator_org_id",
                    "initiator_id",
                    "status",
                    "live",
                    "score",
                    "reasons",
                    "pitch",
                    "version",
                    "created_at",
                    "updated_at",
                ],
            ),
            events: Table::new(
                "events",
                &[
                    "id",
                    "aggregate_type",
                    "aggregate_id",
                    "action",
                    "from_status",
                    "to_status",
                    "actor_id",
                    "note",
                    "at",
                ],
            ),
            seeded: Seeded::default(),
        }
    }

    fn organization(&mut self, kind: &str, name: &str, region: &str, prefix: &str) {
        let n = self.orgs.len();
        let id = db::new_id();
        let user = db::new_id();
        self.organizations.push(vec![
            t(&id),
            t(name),
            t(kind),
            t("VERIFIED"),
            V::Maybe(Some(credit_code::numbered(prefix, region, n * 11 + 77_000))),
            t(region),
            V::Int(1),
            t(&self.now),
            t(&self.now),
            V::Maybe(Some(self.now.clone())),
        ]);
        self.users.push(vec![
            t(&user),
            t(format!("u{n}@synthetic.jzcx.cn")),
            t(&self.hash),
            t(format!("联系人{n}")),
            t(kind),
            t(&id),
            V::Maybe(Some(self.now.clone())),
            V::Int(1),
            t(&self.now),
            t(&self.now),
            t("MANAGER"),
            t("REGISTRATION"),
        ]);
        self.orgs.push((id, user, region.to_owned()));
        self.seeded.organizations += 1;
    }

    /// An event of the aggregate `kind` with id `id`: (action, from, to) by `actor`.
    fn event(&mut self, kind: &str, id: &str, step: (&str, Option<&str>, &str), actor: &str) {
        let (action, from, to) = step;
        self.events.push(vec![
            t(db::new_id()),
            t(kind),
            t(id),
            t(action),
            V::Maybe(from.map(str::to_owned)),
            V::Maybe(Some(to.to_owned())),
            V::Maybe(Some(actor.to_owned())),
            V::Maybe(None),
            t(&self.now),
        ]);
        self.seeded.events += 1;
    }

    fn capability(
        &mut self,
        doc: &crate::matching::CapabilityDoc,
        org: usize,
        status: &str,
    ) -> String {
        let id = db::new_id();
        let (org_id, user, _) = self.orgs[org].clone();
        let public = matches!(status, "LISTED" | "FEATURED");
        let code = public.then(|| {
            self.capability_seq += 1;
            format!("JZ-NL-{YEAR}-{:04}", self.capability_seq)
        });
        let cases: Vec<serde_json::Value> = (0..doc.landed_cases)
            .map(|k| {
                serde_json::json!({ "title": format!("{}应用案例{}", doc.title, k + 1),
                    "client": "晋中某企业", "year": 2024 + i64::from(k % 2),
                    "summary": "已交付并稳定运行。" })
            })
            .collect();
        let mut regions = doc.service_regions.clone();
        regions.dedup();
        let mut industries = doc.industries.clone();
        industries.sort();
        industries.dedup();
        self.capabilities.push(vec![
            t(&id),
            V::Maybe(code.clone()),
            t(&org_id),
            t(&user),
            t(&doc.title),
            t(&doc.summary),
            t(&doc.description),
            t(industries.join(",")),
            t(serde_json::to_string(&doc.tags).expect("tags serialize")),
            V::Int(i64::from(doc.maturity.unwrap_or(6))),
            V::MaybeInt(doc.price_min.map(|p| p as i64)),
            V::MaybeInt(doc.price_max.map(|p| p as i64)),
            t(regions.join(",")),
            t(serde_json::Value::Array(cases).to_string()),
            t("[]"),
            V::Maybe(Some("李经理".into())),
            V::Maybe(Some("13903540000".into())),
            t(status),
            V::Int(1),
            t(&self.now),
            t(&self.now),
            V::Maybe((status != "DRAFT").then(|| self.now.clone())),
            V::Maybe(public.then(|| self.now.clone())),
        ]);
        for industry in &industries {
            self.capability_industries.push(vec![t(&id), t(industry)]);
        }
        for service_region in &regions {
            self.capability_regions
                .push(vec![t(&id), t(service_region)]);
        }
        self.event("CAPABILITY", &id, ("CREATE", None, "DRAFT"), &user);
        if status != "DRAFT" {
            self.event(
                "CAPABILITY",
                &id,
                ("SUBMIT", Some("DRAFT"), "PENDING_REVIEW"),
                &user,
            );
        }
        if public {
            let admin = self.admin.clone();
            self.event(
                "CAPABILITY",
                &id,
                ("APPROVE", Some("PENDING_REVIEW"), status),
                &admin,
            );
        }
        self.capability_codes
            .insert(id.clone(), (code, doc.title.clone()));
        self.seeded.capabilities += 1;
        id
    }

    fn scenario(
        &mut self,
        doc: &crate::matching::ScenarioDoc,
        unit: usize,
        status: &str,
    ) -> String {
        let id = db::new_id();
        let (org_id, user, region) = self.orgs[unit].clone();
        let public = !matches!(status, "DISCOVERED" | "PLANNED" | "PENDING_REVIEW");
        let code = public.then(|| {
            self.scenario_seq += 1;
            format!("JZ-JH-{YEAR}-{:04}", self.scenario_seq)
        });
        // Published at distinct times, one a minute back from now, so the newest-first order
        // is a real order.
        let published_at = public.then(|| {
            let minutes = self.rng.gen_range(0..500_000);
            db::format_time(chrono::Utc::now() - chrono::Duration::minutes(minutes))
        });
        let mut industries = doc.industries.clone();
        industries.sort();
        industries.dedup();
        let category = ["INDUSTRIAL", "CITY", "COMMUNITY"][self.seeded.scenarios % 3];
        self.scenarios.push(vec![
            t(&id),
            V::Maybe(code),
            t(&org_id),
            t(&user),
            t(&doc.title),
            t(&doc.summary),
            t(&doc.description),
            t(category),
            t(industries.join(",")),
            t(serde_json::to_string(&doc.tags).expect("tags serialize")),
            t(&region),
            V::MaybeInt(doc.budget_min.map(|b| b as i64)),
            V::MaybeInt(doc.budget_max.map(|b| b as i64)),
            t("PROCUREMENT,JOINT_RD"),
            V::MaybeInt(doc.maturity_required.map(i64::from)),
            V::Maybe(Some(format!("{}-12-31", YEAR + 1))),
            V::Maybe(Some("赵科长".into())),
            V::Maybe(Some("03543020000".into())),
            t(status),
            V::Int(1),
            t(&self.now),
            t(&self.now),
            V::Maybe((status != "DISCOVERED" && status != "PLANNED").then(|| self.now.clone())),
            V::Maybe(published_at),
            // The outcome columns are filled in by `pair` for landed scenarios.
            V::Maybe(None),
            V::MaybeInt(None),
            V::Maybe(None),
            V::Maybe(None),
            V::Maybe(None),
            V::Maybe(None),
            V::Maybe(None),
            V::Maybe(None),
        ]);
        for industry in &industries {
            self.scenario_industries.push(vec![t(&id), t(industry)]);
        }
        self.event("SCENARIO", &id, ("CREATE", None, "DISCOVERED"), &user);
        if status != "DISCOVERED" {
            self.event(
                "SCENARIO",
                &id,
                ("PLAN", Some("DISCOVERED"), "PLANNED"),
                &user,
            );
        }
        if status != "DISCOVERED" && status != "PLANNED" {
            self.event(
                "SCENARIO",
                &id,
                ("SUBMIT", Some("PLANNED"), "PENDING_REVIEW"),
                &user,
            );
        }
        if public {
            let admin = self.admin.clone();
            self.event(
                "SCENARIO",
                &id,
                ("APPROVE", Some("PENDING_REVIEW"), "PUBLISHED"),
                &admin,
            );
            let later: &[(&str, &str, &str)] = match status {
                "CLOSED" => &[("CLOSE", "PUBLISHED", "CLOSED")],
                _ => &SCENARIO_STAGES,
            };
            for &(action, from, to) in later {
                if status == "PUBLISHED" {
                    break;
                }
                self.event("SCENARIO", &id, (action, Some(from), to), &user);
                if to == status {
                    break;
                }
            }
        }
        self.seeded.scenarios += 1;
        id
    }

    /// A match of `scenario` with `capability` (of organization `org`) in `status`; a landed
    /// one is also the scenario's outcome.
    fn pair(&mut self, scenario: &str, capability: &str, org: usize, status: &str, i: usize) {
        let id = db::new_id();
        let (org_id, user, _) = self.orgs[org].clone();
        let live = i64::from(!matches!(status, "NOT_SELECTED"));
        self.matches.push(vec![
            t(&id),
            t(scenario),
            t(capability),
            t(["APPLICATION", "INVITATION", "RECOMMENDATION"][i % 3]),
            t(&org_id),
            t(&user),
            t(status),
            V::Int(live),
            V::Float(1.0),
            t("[]"),
            t("我司方案与贵单位场景需求高度契合，愿参与试点。"),
            V::Int(1),
            t(&self.now),
            t(&self.now),
        ]);
        self.event("MATCH", &id, ("PROPOSE", None, "PROPOSED"), &user);
        let admin = self.admin.clone();
        let steps: &[(&str, &str, &str)] = match status {
            "NOT_SELECTED" => &[
                ("APPROVE", "PROPOSED", "APPROVED"),
                ("ACCEPT", "APPROVED", "CONNECTED"),
                ("NOT_SELECT", "CONNECTED", "NOT_SELECTED"),
            ],
            _ => &MATCH_STAGES,
        };
        for &(action, from, to) in steps {
            self.event("MATCH", &id, (action, Some(from), to), &admin);
            if to == status {
                break;
            }
        }
        if status == "LANDED" {
            let (code, title) = self.capability_codes[capability].clone();
            let row = self
                .scenarios
                .rows
                .iter_mut()
                .rev()
                .find(|row| matches!(&row[0], V::Text(s) if s == scenario))
                .expect("the scenario was written first");
            row[24] = V::Maybe(Some("试点完成，运行稳定，已形成可推广方案。".into()));
            row[25] = V::MaybeInt(Some(50 + (i as i64 % 20) * 25));
            row[26] = V::Maybe(Some(format!("{YEAR}-06-30")));
            row[27] = V::Maybe(Some(self.now.clone()));
            row[28] = V::Maybe(Some(capability.to_owned()));
            row[29] = V::Maybe(code);
            row[30] = V::Maybe(Some(title));
            row[31] = V::Maybe(Some(org_id));
        }
        self.seeded.matches += 1;
    }

    async fn write(self, tx: &mut Tx, backend: Backend) -> Result<(), sqlx::Error> {
        // Values bound per statement. PostgreSQL takes thousands at a time. SQLite's driver looks
        // each parameter up by name in a list as long as the statement's: quadratic in the values
        // of one statement (at 8,000 that lookup was nine tenths of a 100,000-row load).
        let max_values = match backend {
            Backend::Postgres => 8_000,
            Backend::Sqlite => 400,
        };
        for table in [
            self.organizations,
            self.users,
            self.capabilities,
            self.capability_industries,
            self.capability_regions,
            self.scenarios,
            self.scenario_industries,
            self.matches,
            self.events,
        ] {
            table.write(tx, max_values).await?;
        }
        for (prefix, last) in [("JZ-JH", self.scenario_seq), ("JZ-NL", self.capability_seq)] {
            sqlx::query(
                "INSERT INTO code_counters (prefix, year, last) VALUES ($1, $2, $3) \
                 ON CONFLICT (prefix, year) DO UPDATE SET last = excluded.last",
            )
            .bind(prefix)
            .bind(YEAR)
            .bind(last)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

//! The lifecycle tables of the README, cell by cell: every (state, action, actor) of scenarios,
//! capabilities and matches, from every state, with the outcome the README's tables and their
//! sentences give. The expectations are copied from the README, not read from the code: a change
//! to a rule in the code without a change to the README fails here.
//!
//! A cell the tables allow runs on an item of its own in that state; every other cell runs on one
//! item per state and is refused, and each refusal is checked to have written nothing.

use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{TestApp, TestUser, error_code};

const OWNER: &str = "owner (or an admin on its behalf)";
const ADMIN: &str = "admin";
const SERVICE: &str = "the service";

/// What an attempt came to: the item's new status, or the refusal's code (top-level or payload).
fn outcome(response: &Value, field: &str, object: &str) -> Result<String, String> {
    if let Some(code) = error_code(response) {
        return Err(code.to_owned());
    }
    let payload = &response["data"][field];
    match payload["errors"].as_array() {
        Some(errors) if !errors.is_empty() => Err(errors
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect::<Vec<_>>()
            .join(",")),
        _ => Ok(payload[object]["status"]
            .as_str()
            .unwrap_or_else(|| panic!("no {object} status in {response}"))
            .to_owned()),
    }
}

type Expected = Result<&'static str, &'static str>;

/// What the README says of a list item's lifecycle.
struct Lifecycle {
    /// The table: (from, action, by, to).
    table: &'static [(&'static str, &'static str, &'static str, &'static str)],
    /// Actions that keep the state, and the states they are allowed in.
    in_place: &'static [(&'static str, &'static [&'static str])],
    /// States in which the item is public.
    public: &'static [&'static str],
    /// Actions only admins take.
    admin_only: &'static [&'static str],
}

impl Lifecycle {
    /// The outcome of `action` on an item in `from` for `actor`: the owner, an admin, another
    /// organization or the anonymous public.
    fn expected(&self, from: &'static str, action: &str, actor: &str) -> Expected {
        let admin_only = self.admin_only.contains(&action);
        match actor {
            "anonymous" => Err("UNAUTHENTICATED"),
            "owner" | "other organization" if admin_only => Err("FORBIDDEN"),
            "other organization" if self.public.contains(&from) => Err("FORBIDDEN"),
            "other organization" => Err("NOT_FOUND"),
            _ => match self.in_place.iter().find(|(a, _)| *a == action) {
                Some((_, states)) if states.contains(&from) => Ok(from),
                _ => match self.table.iter().find(|r| r.0 == from && r.1 == action) {
                    Some(&(_, _, by, to)) if by == OWNER || (by == ADMIN && actor == "admin") => {
                        Ok(to)
                    }
                    _ => Err("INVALID_TRANSITION"),
                },
            },
        }
    }
}

/// The cells of a table: the items' table in the database, its states, actions and actors.
struct Cells<'a> {
    table: &'a str,
    states: &'a [&'static str],
    actions: &'a [&'a str],
    actors: &'a [(&'a str, Option<&'a TestUser>)],
}

/// Runs every cell of a table: each action from each state by each actor. A cell the table allows
/// runs on an item of its own, reached with `reach`; the refused ones share one item per state,
/// and `attempt` (through the `try_*` helpers) checks that each refusal wrote nothing. The stored
/// status (`table`) must be what the cell expects. Answers the shared items, one per state.
async fn check_every_cell(
    app: &TestApp,
    Cells {
        table,
        states,
        actions,
        actors,
    }: Cells<'_>,
    expected: impl Fn(&'static str, &str, &str) -> Expected,
    reach: impl AsyncFn(&'static str) -> Value,
    attempt: impl AsyncFn(Option<&TestUser>, &Value, &str) -> Result<String, String>,
) -> Vec<Value> {
    let mut shared_items = Vec::new();
    for &from in states {
        let shared = reach(from).await;
        for &action in actions {
            for &(actor, user) in actors {
                let expected = expected(from, action, actor);
                let target = match expected {
                    Ok(_) => reach(from).await,
                    Err(_) => shared.clone(),
                };
                let got = attempt(user, &target, action).await;
                assert_eq!(
                    got,
                    expected.map(str::to_owned).map_err(str::to_owned),
                    "{actor}: {action} from {from}"
                );
                let stored = status_in_db(app, table, &target["id"]).await;
                assert_eq!(
                    stored,
                    expected.unwrap_or(from),
                    "{actor}: {action} from {from}"
                );
            }
        }
        shared_items.push(shared);
    }
    shared_items
}

// ---- Scenarios --------------------------------------------------------------------------------

/// README, "The two lists": the scenario table, row by row, where the scenario's region has no
/// county manager (the two-level rows are walked in `counties.rs`).
const SCENARIO_TABLE: &[(&str, &str, &str, &str)] = &[
    ("DISCOVERED", "PLAN", OWNER, "PLANNED"),
    ("PLANNED", "SUBMIT", OWNER, "PENDING_REVIEW"),
    ("CHANGES_REQUESTED", "SUBMIT", OWNER, "PENDING_REVIEW"),
    ("PENDING_REVIEW", "APPROVE", ADMIN, "PUBLISHED"),
    (
        "PENDING_REVIEW",
        "REQUEST_CHANGES",
        ADMIN,
        "CHANGES_REQUESTED",
    ),
    ("PENDING_REVIEW", "REJECT", ADMIN, "REJECTED"),
    ("DISCOVERED", "WITHDRAW", OWNER, "WITHDRAWN"),
    ("PLANNED", "WITHDRAW", OWNER, "WITHDRAWN"),
    ("PENDING_REVIEW", "WITHDRAW", OWNER, "WITHDRAWN"),
    ("CHANGES_REQUESTED", "WITHDRAW", OWNER, "WITHDRAWN"),
    ("PUBLISHED", "WITHDRAW", OWNER, "WITHDRAWN"),
    ("MATCHING", "WITHDRAW", OWNER, "WITHDRAWN"),
    ("PUBLISHED", "CLOSE", OWNER, "CLOSED"),
    ("MATCHING", "CLOSE", OWNER, "CLOSED"),
    ("PUBLISHED", "EXPIRE", SERVICE, "CLOSED"),
    ("PUBLISHED", "START_MATCHING", SERVICE, "MATCHING"),
    ("MATCHING", "SELECT_PARTNER", OWNER, "IMPLEMENTING"),
    ("IMPLEMENTING", "RECORD_OUTCOME", OWNER, "LANDED"),
    ("LANDED", "PROMOTE", ADMIN, "PROMOTED"),
];

/// README: "Content can change only in DISCOVERED, PLANNED and CHANGES_REQUESTED; a scenario in
/// PUBLISHED or MATCHING may extend its deadline or change its contact." These keep the state.
const SCENARIO_IN_PLACE: &[(&str, &[&str])] = &[
    ("EDIT", &["DISCOVERED", "PLANNED", "CHANGES_REQUESTED"]),
    ("EXTEND_DEADLINE", &["PUBLISHED", "MATCHING"]),
    ("CHANGE_CONTACT", &["PUBLISHED", "MATCHING"]),
];

const SCENARIO_STATES: [&str; 12] = [
    "DISCOVERED",
    "PLANNED",
    "PENDING_REVIEW",
    "CHANGES_REQUESTED",
    "PUBLISHED",
    "MATCHING",
    "IMPLEMENTING",
    "LANDED",
    "PROMOTED",
    "WITHDRAWN",
    "CLOSED",
    "REJECTED",
];

/// README, "Who sees what": public from approval on; a withdrawn scenario is not.
const SCENARIO_PUBLIC: [&str; 6] = [
    "PUBLISHED",
    "MATCHING",
    "IMPLEMENTING",
    "LANDED",
    "PROMOTED",
    "CLOSED",
];

/// The actions a person takes on a scenario itself. SELECT_PARTNER is taken on a match (see the
/// match table below); EXPIRE and START_MATCHING are the service's (checked further down).
const SCENARIO_ACTIONS: [&str; 12] = [
    "PLAN",
    "SUBMIT",
    "WITHDRAW",
    "CLOSE",
    "APPROVE",
    "REQUEST_CHANGES",
    "REJECT",
    "RECORD_OUTCOME",
    "PROMOTE",
    "EDIT",
    "EXTEND_DEADLINE",
    "CHANGE_CONTACT",
];

const SCENARIO_ADMIN_ONLY: [&str; 4] = ["APPROVE", "REQUEST_CHANGES", "REJECT", "PROMOTE"];

const SCENARIOS: Lifecycle = Lifecycle {
    table: SCENARIO_TABLE,
    in_place: SCENARIO_IN_PLACE,
    public: &SCENARIO_PUBLIC,
    admin_only: &SCENARIO_ADMIN_ONLY,
};

async fn attempt_on_scenario(
    app: &TestApp,
    user: Option<&TestUser>,
    scenario: &Value,
    action: &str,
) -> Result<String, String> {
    let id = &scenario["id"];
    let later = (chrono::Utc::now() + chrono::Duration::days(120)).date_naive();
    let (response, field) = match action {
        "PLAN" | "SUBMIT" | "WITHDRAW" | "CLOSE" => {
            (try_act(app, user, id, action).await, "transitionScenario")
        }
        "APPROVE" | "REQUEST_CHANGES" | "REJECT" => (
            try_review(app, user, id, action, Some("请补充现场条件说明")).await,
            "reviewScenario",
        ),
        "RECORD_OUTCOME" => (
            try_mutate(app, user, RECORD_OUTCOME, outcome_input(id)).await,
            "recordScenarioOutcome",
        ),
        "PROMOTE" => (
            try_mutate(app, user, PROMOTE, json!({ "id": id })).await,
            "promoteScenario",
        ),
        "EDIT" => (
            try_mutate(
                app,
                user,
                &update_scenario_doc(),
                json!({ "id": id, "expectedVersion": scenario["version"],
                    "summary": "补充了验收指标的井下巡检场景。" }),
            )
            .await,
            "updateScenario",
        ),
        "EXTEND_DEADLINE" => (
            try_mutate(
                app,
                user,
                EXTEND_DEADLINE,
                json!({ "id": id, "deadline": later.to_string() }),
            )
            .await,
            "extendScenarioDeadline",
        ),
        "CHANGE_CONTACT" => (
            try_mutate(
                app,
                user,
                CHANGE_CONTACT,
                json!({ "id": id, "contact": { "name": "钱工", "phone": "13903549876" } }),
            )
            .await,
            "updateScenarioContact",
        ),
        other => panic!("no scenario action {other}"),
    };
    outcome(&response, field, "scenario")
}

db_test!(the_scenario_table_holds_in_every_state, |app| {
    let owner = app.gov_user().await;
    let other = app.gov_user().await;
    let admin = app.admin().await;
    let actors = [
        ("owner", Some(&owner)),
        ("admin", Some(&admin)),
        ("other organization", Some(&other)),
        ("anonymous", None),
    ];
    let refused_on = check_every_cell(
        &app,
        Cells {
            table: "scenarios",
            states: &SCENARIO_STATES,
            actions: &SCENARIO_ACTIONS,
            actors: &actors,
        },
        |from, action, actor| SCENARIOS.expected(from, action, actor),
        async |from| scenario_in(&app, &owner, &admin, from).await,
        async |user, target, action| attempt_on_scenario(&app, user, target, action).await,
    )
    .await;

    // EXPIRE: past its deadline, the service closes a PUBLISHED scenario and nothing else.
    for scenario in &refused_on {
        sqlx::query("UPDATE scenarios SET deadline = '2026-01-10' WHERE id = $1")
            .bind(scenario["id"].as_str().unwrap())
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 11).unwrap();
    twolists::scenarios::service::close_expired(&app.state.db, &app.state.index, today)
        .await
        .unwrap();
    for (scenario, from) in refused_on.iter().zip(SCENARIO_STATES) {
        let expired = SCENARIO_TABLE
            .iter()
            .find(|r| r.0 == from && r.1 == "EXPIRE")
            .map_or(from, |r| r.3);
        assert_eq!(
            status_in_db(&app, "scenarios", &scenario["id"]).await,
            expired,
            "EXPIRE from {from}"
        );
    }
    // START_MATCHING: approving the first match of a PUBLISHED scenario (in `scenario_in`, on the
    // way to MATCHING); SELECT_PARTNER: in the match table.
});

// ---- Capabilities -----------------------------------------------------------------------------

/// README, "The two lists": the capability table, row by row.
const CAPABILITY_TABLE: &[(&str, &str, &str, &str)] = &[
    ("DRAFT", "SUBMIT", OWNER, "PENDING_REVIEW"),
    ("CHANGES_REQUESTED", "SUBMIT", OWNER, "PENDING_REVIEW"),
    ("PENDING_REVIEW", "APPROVE", ADMIN, "LISTED"),
    (
        "PENDING_REVIEW",
        "REQUEST_CHANGES",
        ADMIN,
        "CHANGES_REQUESTED",
    ),
    ("LISTED", "EDIT", OWNER, "PENDING_REVIEW"),
    ("LISTED", "FEATURE", ADMIN, "FEATURED"),
    ("LISTED", "ARCHIVE", OWNER, "ARCHIVED"),
    ("FEATURED", "ARCHIVE", OWNER, "ARCHIVED"),
];

/// README: "Content can change in DRAFT and CHANGES_REQUESTED (and in LISTED, which sends it back
/// to review)." These keep the state.
const CAPABILITY_IN_PLACE: &[(&str, &[&str])] = &[("EDIT", &["DRAFT", "CHANGES_REQUESTED"])];

const CAPABILITY_STATES: [&str; 6] = [
    "DRAFT",
    "PENDING_REVIEW",
    "CHANGES_REQUESTED",
    "LISTED",
    "FEATURED",
    "ARCHIVED",
];

/// README, "Who sees what": the live list; an archived capability is not public.
const CAPABILITY_PUBLIC: [&str; 2] = ["LISTED", "FEATURED"];

const CAPABILITY_ACTIONS: [&str; 6] = [
    "SUBMIT",
    "ARCHIVE",
    "APPROVE",
    "REQUEST_CHANGES",
    "FEATURE",
    "EDIT",
];

const CAPABILITY_ADMIN_ONLY: [&str; 3] = ["APPROVE", "REQUEST_CHANGES", "FEATURE"];

const CAPABILITIES: Lifecycle = Lifecycle {
    table: CAPABILITY_TABLE,
    in_place: CAPABILITY_IN_PLACE,
    public: &CAPABILITY_PUBLIC,
    admin_only: &CAPABILITY_ADMIN_ONLY,
};

async fn attempt_on_capability(
    app: &TestApp,
    user: Option<&TestUser>,
    capability: &Value,
    action: &str,
) -> Result<String, String> {
    let id = &capability["id"];
    let (response, field) = match action {
        "SUBMIT" | "ARCHIVE" => (
            try_act_capability(app, user, id, action).await,
            "transitionCapability",
        ),
        "APPROVE" | "REQUEST_CHANGES" => (
            try_review_capability(app, user, id, action, Some("请补充案例验收材料")).await,
            "reviewCapability",
        ),
        "FEATURE" => (
            try_mutate(app, user, FEATURE_CAPABILITY, json!({ "id": id })).await,
            "featureCapability",
        ),
        "EDIT" => (
            try_mutate(
                app,
                user,
                UPDATE_CAPABILITY,
                json!({ "id": id, "expectedVersion": capability["version"],
                    "title": "矿用防爆巡检机器人系统（第二代）" }),
            )
            .await,
            "updateCapability",
        ),
        other => panic!("no capability action {other}"),
    };
    outcome(&response, field, "capability")
}

db_test!(the_capability_table_holds_in_every_state, |app| {
    let owner = app.enterprise_user().await;
    let other = app.enterprise_user().await;
    let admin = app.admin().await;
    let actors = [
        ("owner", Some(&owner)),
        ("admin", Some(&admin)),
        ("other organization", Some(&other)),
        ("anonymous", None),
    ];
    check_every_cell(
        &app,
        Cells {
            table: "capabilities",
            states: &CAPABILITY_STATES,
            actions: &CAPABILITY_ACTIONS,
            actors: &actors,
        },
        |from, action, actor| CAPABILITIES.expected(from, action, actor),
        async |from| capability_in(&app, &owner, &admin, from).await,
        async |user, target, action| attempt_on_capability(&app, user, target, action).await,
    )
    .await;
});

// ---- Matches ----------------------------------------------------------------------------------

const INITIATOR: &str = "initiator";
const OTHER_PARTY: &str = "the other party";
const SCENARIO_OWNER: &str = "scenario owner (or an admin on its behalf)";

/// README, "Matches (对接)": the match table, row by row.
const MATCH_TABLE: &[(&str, &str, &str, &str)] = &[
    ("PROPOSED", "APPROVE", ADMIN, "APPROVED"),
    ("PROPOSED", "REJECT", ADMIN, "REJECTED"),
    ("APPROVED", "ACCEPT", OTHER_PARTY, "CONNECTED"),
    ("APPROVED", "DECLINE", OTHER_PARTY, "DECLINED"),
    ("CONNECTED", "SELECT", SCENARIO_OWNER, "SELECTED"),
    ("PROPOSED", "NOT_SELECT", SERVICE, "NOT_SELECTED"),
    ("APPROVED", "NOT_SELECT", SERVICE, "NOT_SELECTED"),
    ("CONNECTED", "NOT_SELECT", SERVICE, "NOT_SELECTED"),
    ("PROPOSED", "END", SERVICE, "NOT_SELECTED"),
    ("APPROVED", "END", SERVICE, "NOT_SELECTED"),
    ("CONNECTED", "END", SERVICE, "NOT_SELECTED"),
    ("SELECTED", "LAND", SERVICE, "LANDED"),
    ("PROPOSED", "WITHDRAW", INITIATOR, "WITHDRAWN"),
    ("APPROVED", "WITHDRAW", INITIATOR, "WITHDRAWN"),
    ("CONNECTED", "WITHDRAW", INITIATOR, "WITHDRAWN"),
];

const MATCH_STATES: [&str; 9] = [
    "PROPOSED",
    "APPROVED",
    "CONNECTED",
    "SELECTED",
    "LANDED",
    "REJECTED",
    "DECLINED",
    "WITHDRAWN",
    "NOT_SELECTED",
];

/// The actions a person takes. NOT_SELECT, END and LAND are the service's: they are how the
/// fixtures reach NOT_SELECTED (the scenario closes) and LANDED (the outcome is recorded).
const MATCH_ACTIONS: [&str; 6] = [
    "APPROVE", "REJECT", "ACCEPT", "DECLINE", "SELECT", "WITHDRAW",
];

/// Who takes each action (the "by" column), and who the actors of the matrix are: the match is an
/// enterprise's application to a unit's scenario.
fn may_take(by: &str, actor: &str) -> bool {
    match by {
        ADMIN => actor == "admin",
        INITIATOR => actor == "enterprise (initiator)",
        OTHER_PARTY => actor == "unit (other party)",
        SCENARIO_OWNER => matches!(actor, "unit (other party)" | "admin"),
        _ => false,
    }
}

fn expected_for_match(from: &str, action: &str, actor: &str) -> Expected {
    let by = MATCH_TABLE
        .iter()
        .find(|r| r.1 == action)
        .map(|r| r.2)
        .unwrap();
    match actor {
        "anonymous" => Err("UNAUTHENTICATED"),
        // Moderation is refused to anyone but admins; the rest first needs to see the match.
        "outsider" if by == ADMIN => Err("FORBIDDEN"),
        "outsider" => Err("NOT_FOUND"),
        _ if !may_take(by, actor) => Err("FORBIDDEN"),
        _ => match MATCH_TABLE.iter().find(|r| r.0 == from && r.1 == action) {
            Some(&(_, _, _, to)) => Ok(to),
            None => Err("INVALID_TRANSITION"),
        },
    }
}

/// A new published scenario of `unit` and an application to it with `capability`, walked to
/// `status`.
async fn match_in(
    app: &TestApp,
    unit: &TestUser,
    enterprise: &TestUser,
    admin: &TestUser,
    capability: &Value,
    status: &str,
) -> Value {
    let scenario = scenario_in(app, unit, admin, "PUBLISHED").await;
    let proposed = apply(app, enterprise, &scenario, capability).await;
    let id = &proposed["id"];
    let reached = match status {
        "PROPOSED" => proposed.clone(),
        "REJECTED" => moderate(app, admin, id, "REJECT", Some("不符合场景需求")).await,
        "WITHDRAWN" => withdraw(app, enterprise, id).await,
        "NOT_SELECTED" => {
            act(app, unit, &scenario["id"], "CLOSE").await;
            let query = format!("query($id: ID!) {{ match(id: $id) {{ {MATCH_FIELDS} }} }}");
            app.gql_as(admin, &query, json!({ "id": id })).await["data"]["match"].clone()
        }
        _ => {
            let approved = moderate(app, admin, id, "APPROVE", None).await;
            match status {
                "APPROVED" => approved,
                "DECLINED" => respond(app, unit, id, false).await,
                _ => {
                    let connected = respond(app, unit, id, true).await;
                    match status {
                        "CONNECTED" => connected,
                        "SELECTED" | "LANDED" => {
                            let selected = select(app, unit, id).await;
                            if status == "LANDED" {
                                record_outcome(app, unit, &scenario["id"]).await;
                                let query = "query($id: ID!) { match(id: $id) { id status } }";
                                app.gql_as(admin, query, json!({ "id": id })).await["data"]["match"]
                                    .clone()
                            } else {
                                selected
                            }
                        }
                        other => panic!("no match state {other}"),
                    }
                }
            }
        }
    };
    assert_eq!(reached["status"], status);
    reached
}

async fn attempt_on_match(
    app: &TestApp,
    user: Option<&TestUser>,
    id: &Value,
    action: &str,
) -> Result<String, String> {
    let (mutation, input) = match action {
        "APPROVE" => (MODERATE, moderate_input(id, "APPROVE", None)),
        "REJECT" => (
            MODERATE,
            moderate_input(id, "REJECT", Some("不符合场景需求")),
        ),
        "ACCEPT" => (RESPOND, json!({ "id": id, "accept": true })),
        "DECLINE" => (RESPOND, json!({ "id": id, "accept": false })),
        "SELECT" => (SELECT, json!({ "id": id })),
        "WITHDRAW" => (WITHDRAW, json!({ "id": id })),
        other => panic!("no match action {other}"),
    };
    let response = try_match_step(app, user, mutation, input).await;
    outcome(&response, mutation.0, "match")
}

db_test!(the_match_table_holds_in_every_state, |app| {
    let unit = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let outsider = app.enterprise_user().await;
    let admin = app.admin().await;
    let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
    let actors = [
        ("enterprise (initiator)", Some(&enterprise)),
        ("unit (other party)", Some(&unit)),
        ("admin", Some(&admin)),
        ("outsider", Some(&outsider)),
        ("anonymous", None),
    ];
    check_every_cell(
        &app,
        Cells {
            table: "matches",
            states: &MATCH_STATES,
            actions: &MATCH_ACTIONS,
            actors: &actors,
        },
        expected_for_match,
        async |from| match_in(&app, &unit, &enterprise, &admin, &capability, from).await,
        async |user, target, action| {
            let got = attempt_on_match(&app, user, &target["id"], action).await;
            if got.as_deref() == Ok("SELECTED") {
                // SELECT_PARTNER of the scenario table, by the same step.
                let scenario = &target["scenario"]["id"];
                assert_eq!(
                    status_in_db(&app, "scenarios", scenario).await,
                    "IMPLEMENTING"
                );
            }
            got
        },
    )
    .await;
});

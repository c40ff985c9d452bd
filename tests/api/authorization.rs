//! Who may do what: every mutation, and every query that shows anything not public, tried by the
//! anonymous public, by a member of another organization of the same kind, by the owner and by an
//! administrator. The expectations are the one table below, written from the README's rules (its
//! lifecycle tables, "Who sees what", Members, Matches), not read from the code; every operation
//! of the schema must have a row (or be named public reference data), so a new operation without
//! a decision on who may run it fails here.
//!
//! Each attempt runs on a target of its own, prepared in the state the operation needs, so that
//! an allowed attempt cannot change what the next actor meets; each refusal is checked to have
//! written nothing. The subscription is covered by `live.rs` (its token rules are the same).

use serde_json::{Value, json};

use crate::activities::{decide, draft_event, event_input, register_for, step_event, took_place};
use crate::db_test;
use crate::fixtures::*;
use crate::util::{PASSWORD, TestApp, TestUser, error_code, unique};

/// What an attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// A mutation done without errors; a query that succeeded and shows the target.
    Done,
    /// A query that succeeded without showing the target (null, or not in the list).
    Hidden,
    /// Refused: the top-level code, or the first payload code.
    Refused(&'static str),
}

use Outcome::*;

const U: Outcome = Refused("UNAUTHENTICATED");
const F: Outcome = Refused("FORBIDDEN");
const N: Outcome = Refused("NOT_FOUND");
/// Already verified.
const V: Outcome = Refused("INVALID_TRANSITION");

/// The actors, in the order of the table's columns.
const ACTORS: [&str; 6] = [
    "anonymous",
    "other organization",
    "owner",
    "admin",
    "county manager",
    "other county's manager",
];

/// Operation → outcome for [anonymous, another organization of the owner's kind, owner, admin,
/// the county manager of the scenario's region, the county manager of another region].
/// "Owner" is whoever the README names for the step: the unit of a scenario, the provider of a
/// capability, a party of a match, the manager of an organization, the user whose account it is.
/// A county manager acts on the scenarios of their region as an admin would (README, "County
/// managers"): reviews them first, proposes matches for them, and takes the unit's steps; for
/// anything else they are any signed-in user.
const TABLE: &[(&str, [Outcome; 6])] = &[
    // Accounts: the token or the credentials are the authority, whoever sends them.
    ("register", [Done, Done, Done, Done, Done, Done]),
    ("login", [Done, Done, Done, Done, Done, Done]),
    ("refreshSession", [Done, Done, Done, Done, Done, Done]),
    ("logout", [Done, Done, Done, Done, Done, Done]),
    ("verifyEmail", [Done, Done, Done, Done, Done, Done]),
    ("requestPasswordReset", [Done, Done, Done, Done, Done, Done]),
    ("resetPassword", [Done, Done, Done, Done, Done, Done]),
    ("acceptInvitation", [Done, Done, Done, Done, Done, Done]),
    // One's own account.
    ("changePassword", [U, Done, Done, Done, Done, Done]),
    // Only an address not yet verified gets a new link (the owner here is such an account).
    ("resendVerificationEmail", [U, V, Done, V, V, V]),
    ("markNotificationsRead", [U, Done, Done, Done, Done, Done]),
    ("updateEmailPreferences", [U, Done, Done, Done, Done, Done]),
    // Saved searches: any signed-in user keeps their own; nobody else sees them, admins neither
    // (README, "Saved searches and alerts").
    ("saveSearch", [U, Done, Done, Done, Done, Done]),
    ("updateSavedSearch", [U, N, Done, N, N, N]),
    ("deleteSavedSearch", [U, N, Done, N, N, N]),
    // Organizations: every status step is an admin's; a pending one is seen by its members only.
    ("verifyOrganization", [U, F, F, Done, F, F]),
    ("rejectOrganization", [U, F, F, Done, F, F]),
    ("suspendOrganization", [U, F, F, Done, F, F]),
    // A member of a suspended organization changes nothing (README, API conventions).
    (
        "reinstateOrganization",
        [U, F, Refused("ORGANIZATION_SUSPENDED"), Done, F, F],
    ),
    ("updateOrganization", [U, F, Done, Done, F, F]),
    // Members: the manager, or an admin. Another organization's members and invitations are
    // not seen by outsiders, so naming one is NOT_FOUND.
    ("inviteMember", [U, F, Done, Done, F, F]),
    ("revokeInvitation", [U, N, Done, Done, N, N]),
    ("changeOrganizationManager", [U, N, Done, Done, N, N]),
    ("removeMember", [U, N, Done, Done, N, N]),
    // Scenarios: the owner (or an admin on its behalf); drafts are NOT_FOUND to others, public
    // items FORBIDDEN; review and promotion are admins'.
    ("createScenario", [U, F, Done, Done, Done, F]),
    ("updateScenario", [U, N, Done, Done, Done, N]),
    ("transitionScenario", [U, N, Done, Done, Done, N]),
    ("updateScenarioContact", [U, F, Done, Done, Done, F]),
    ("extendScenarioDeadline", [U, F, Done, Done, Done, F]),
    ("recordScenarioOutcome", [U, F, Done, Done, Done, F]),
    ("reviewScenario", [U, F, F, Done, Done, F]),
    ("promoteScenario", [U, F, F, Done, F, F]),
    // Capabilities, alike.
    ("createCapability", [U, F, Done, Done, F, F]),
    ("updateCapability", [U, N, Done, Done, N, N]),
    ("transitionCapability", [U, N, Done, Done, N, N]),
    ("reviewCapability", [U, F, F, Done, F, F]),
    ("featureCapability", [U, F, F, Done, F, F]),
    // Matches: an enterprise applies, a unit invites, an admin proposes and moderates; the other
    // party answers, the initiator withdraws, the scenario owner (or an admin) selects; a match is
    // NOT_FOUND to anyone but its parties and admins.
    ("applyToScenario", [U, F, Done, F, F, F]),
    ("inviteCapability", [U, F, Done, F, F, F]),
    ("proposeMatch", [U, F, F, Done, Done, F]),
    ("moderateMatch", [U, F, F, Done, F, F]),
    ("respondToMatch", [U, N, Done, F, F, N]),
    ("withdrawMatch", [U, N, Done, F, F, N]),
    ("selectMatch", [U, N, Done, Done, Done, N]),
    ("postMatchMessage", [U, N, Done, F, F, N]),
    // Scenario proposals: a verified enterprise proposes with its own listed capability; the
    // addressee (here the county manager of the region, as no unit is named) or an admin adopts
    // or declines; a proposal is NOT_FOUND to anyone but its proposer, its addressee and admins.
    ("proposeScenario", [U, Refused("INVALID"), Done, F, F, F]),
    ("adoptScenarioProposal", [U, N, F, Done, Done, N]),
    ("declineScenarioProposal", [U, N, F, Done, Done, N]),
    // Matchmaking events (README, "Matchmaking events"): organised by admins and the county
    // managers of the event's region (the owner here is the unit whose scenario is on the
    // agenda); registered for by enterprises (the owner: the enterprise), with one of their own
    // capabilities; a registration is NOT_FOUND to anyone but its organization, the event's
    // organisers and admins.
    ("createMatchmakingEvent", [U, F, F, Done, Done, Done]),
    ("updateMatchmakingEvent", [U, F, F, Done, Done, F]),
    ("transitionMatchmakingEvent", [U, F, F, Done, Done, F]),
    ("registerForEvent", [U, Refused("INVALID"), Done, F, F, F]),
    ("decideEventRegistration", [U, N, F, Done, Done, N]),
    ("cancelEventRegistration", [U, N, Done, F, F, N]),
    ("recordEventOutcomes", [U, F, F, Done, Done, F]),
    // County managers are appointed and removed by admins only; the owner of a removal is the
    // manager removed.
    ("appointCountyManager", [U, F, F, Done, F, F]),
    ("removeCountyManager", [U, F, F, Done, F, F]),
    // Editions and e-mail are the operator's.
    ("createEdition", [U, F, F, Done, F, F]),
    ("addEditionItems", [U, F, F, Done, F, F]),
    ("removeEditionItem", [U, F, F, Done, F, F]),
    ("publishEdition", [U, F, F, Done, F, F]),
    ("retryFailedEmails", [U, F, F, Done, F, F]),
    // The thesaurus is the operator's (README, Thesaurus).
    ("saveThesaurusGroup", [U, F, F, Done, F, F]),
    ("deleteThesaurusGroup", [U, F, F, Done, F, F]),
    // Queries.
    ("me", [Hidden, Hidden, Done, Hidden, Hidden, Hidden]),
    ("emailPreferences", [U, Done, Done, Done, Done, Done]),
    ("notifications", [U, Hidden, Done, Hidden, Hidden, Hidden]),
    ("unreadNotificationCount", [U, Done, Done, Done, Done, Done]),
    ("myScenarios", [U, Hidden, Done, Hidden, Hidden, Hidden]),
    ("myCapabilities", [U, Hidden, Done, Hidden, Hidden, Hidden]),
    ("scenario", [N, N, Done, Done, Done, N]),
    ("capability", [N, N, Done, Done, N, N]),
    ("opportunityList", [F, F, F, Done, F, F]),
    ("capabilityList", [F, F, F, Done, F, F]),
    ("organization", [N, N, Done, Done, N, N]),
    (
        "organizations",
        [Hidden, Hidden, Done, Done, Hidden, Hidden],
    ),
    ("organizationMembers", [U, F, Done, Done, F, F]),
    ("organizationInvitations", [U, F, Done, Done, F, F]),
    ("match", [U, N, Done, Done, Done, N]),
    ("matches", [U, Hidden, Done, Done, Hidden, Hidden]),
    ("recommendedCapabilities", [U, F, Done, Done, Done, F]),
    ("recommendedScenarios", [U, F, Done, Done, F, F]),
    ("edition", [N, N, N, Done, N, N]),
    ("editions", [Hidden, Hidden, Hidden, Done, Hidden, Hidden]),
    ("reviewQueue", [U, F, F, Done, Done, Hidden]),
    ("countyManagers", [U, F, F, Done, F, F]),
    ("scenarioProposals", [U, Hidden, Done, Done, Done, Hidden]),
    ("savedSearches", [U, Hidden, Done, Hidden, Hidden, Hidden]),
    // A draft event: its organisers only.
    (
        "matchmakingEvents",
        [Hidden, Hidden, Hidden, Done, Done, Hidden],
    ),
    (
        "matchmakingEvent",
        [Hidden, Hidden, Hidden, Done, Done, Hidden],
    ),
    // One's own organization's registrations.
    (
        "myEventRegistrations",
        [U, Hidden, Done, Hidden, Hidden, Hidden],
    ),
    ("scenarioProposal", [U, N, Done, Done, Done, N]),
    ("auditLog", [U, F, F, Done, F, F]),
    ("failedEmails", [U, F, F, Done, F, F]),
    ("thesaurusGroups", [U, F, F, Done, F, F]),
    ("thesaurusGroup", [U, F, F, Done, F, F]),
    // Statistics: everyone reads the published figures; the matches' only administrators
    // (README, Statistics).
    ("stats", [Hidden, Hidden, Hidden, Done, Hidden, Hidden]),
];

/// Operations tested where they can be sent: `importScenarios` takes a file, which only a
/// multipart request carries (`import.rs` tries it as each actor).
const ELSEWHERE: &[&str] = &["importScenarios"];

/// Queries that show only public reference data to anyone.
const PUBLIC_REFERENCE: &[&str] = &["regions", "industries", "scenarioCategories"];

/// The signed-in people every attempt may use.
struct World {
    admin: TestUser,
    /// The county manager of 榆次区 (140702), where the world's units and their scenarios are.
    county_manager: TestUser,
    /// The county manager of 榆社县 (140721).
    other_manager: TestUser,
    gov: TestUser,
    other_gov: TestUser,
    enterprise: TestUser,
    other_enterprise: TestUser,
}

/// One attempt's document, variables, target and actors.
struct Setup {
    /// A query document; `None` runs the operation as a mutation of its `input`.
    query: Option<&'static str>,
    vars: Value,
    /// The id a query's answer must contain for [`Done`].
    target: Option<String>,
    owner: TestUser,
    other: TestUser,
    admin: TestUser,
    county_manager: TestUser,
    other_manager: TestUser,
}

impl World {
    /// A setup whose owner is the government unit.
    fn unit(&self, vars: Value) -> Setup {
        self.setup(&self.gov, &self.other_gov, vars)
    }

    /// A setup whose owner is the enterprise.
    fn provider(&self, vars: Value) -> Setup {
        self.setup(&self.enterprise, &self.other_enterprise, vars)
    }

    fn setup(&self, owner: &TestUser, other: &TestUser, vars: Value) -> Setup {
        Setup {
            query: None,
            vars,
            target: None,
            owner: owner.clone(),
            other: other.clone(),
            admin: self.admin.clone(),
            county_manager: self.county_manager.clone(),
            other_manager: self.other_manager.clone(),
        }
    }
}

impl Setup {
    fn query(mut self, document: &'static str, target: Option<&Value>) -> Setup {
        self.query = Some(document);
        self.target = target.map(|t| t.as_str().expect("an id").to_owned());
        self
    }
}

fn input_type(operation: &str) -> String {
    match operation {
        "changeOrganizationManager" | "removeMember" | "removeCountyManager" => {
            "MemberInput".into()
        }
        "selectMatch" | "withdrawMatch" => "MatchIdInput".into(),
        "rejectOrganization" | "suspendOrganization" | "reinstateOrganization" => {
            "OrganizationStepInput".into()
        }
        _ => format!("{}{}Input", operation[..1].to_uppercase(), &operation[1..]),
    }
}

async fn version_of(app: &TestApp, table: &str, id: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT version FROM {table} WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

/// Registers a new enterprise account through the API; its address.
async fn registered(app: &TestApp) -> String {
    let email = format!("new{}@example.cn", unique());
    let response = app.gql(REGISTER, register_input(&email)).await;
    assert_eq!(response["data"]["register"]["ok"], true, "{response}");
    email
}

fn register_input(email: &str) -> Value {
    json!({ "input": { "email": email, "password": PASSWORD, "displayName": "李经理",
        "organization": { "name": format!("山西榆次精工科技有限公司{}", unique()),
            "kind": "ENTERPRISE", "creditCode": crate::util::credit_code(), "regionCode": "140702" } } })
}

/// A fresh sign-in of `user` through `login`; the response's payload.
async fn login(app: &TestApp, email: &str) -> Value {
    let response = app
        .gql(LOGIN, json!({ "email": email, "password": PASSWORD }))
        .await;
    response["data"]["login"].clone()
}

async fn published(app: &TestApp, w: &World) -> Value {
    scenario_in(app, &w.gov, &w.admin, "PUBLISHED").await
}

async fn listed(app: &TestApp, w: &World) -> Value {
    capability_in(app, &w.enterprise, &w.admin, "LISTED").await
}

/// A match the enterprise started by applying, PROPOSED.
async fn application(app: &TestApp, w: &World) -> Value {
    let (scenario, capability) = (published(app, w).await, listed(app, w).await);
    apply(app, &w.enterprise, &scenario, &capability).await
}

/// A match the unit started by inviting the enterprise's capability, APPROVED.
async fn invitation(app: &TestApp, w: &World) -> Value {
    let (scenario, capability) = (published(app, w).await, listed(app, w).await);
    let invited = match_step(
        app,
        &w.gov,
        INVITE,
        json!({ "scenarioId": scenario["id"], "capabilityId": capability["id"],
            "message": "诚邀贵司参与介休煤矿巡检场景对接。" }),
    )
    .await;
    moderate(app, &w.admin, &invited["id"], "APPROVE", None).await
}

/// An application the unit accepted: CONNECTED.
async fn connected(app: &TestApp, w: &World) -> Value {
    let proposed = application(app, w).await;
    moderate(app, &w.admin, &proposed["id"], "APPROVE", None).await;
    respond(app, &w.gov, &proposed["id"], true).await
}

const CREATE_EDITION: &str = "mutation($input: CreateEditionInput!) { createEdition(input: $input) \
    { edition { id } errors { code } } }";
const ADD_ITEMS: &str = "mutation($input: AddEditionItemsInput!) { addEditionItems(input: $input) \
    { edition { id } errors { code } } }";

/// A new opportunity edition's input: a year and batch no other edition of the process has.
fn edition_input() -> Value {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (year, batch) = (2030 + n / 99, n % 99 + 1);
    json!({ "kind": "OPPORTUNITY", "year": year, "batch": batch,
        "title": format!("晋中市{year}年第{batch}批场景机会清单") })
}

/// A draft opportunity edition, holding `item` if one is given; its id.
async fn edition(app: &TestApp, w: &World, item: Option<&Value>) -> Value {
    let created = app
        .gql_as(
            &w.admin,
            CREATE_EDITION,
            json!({ "input": edition_input() }),
        )
        .await;
    let id = created["data"]["createEdition"]["edition"]["id"].clone();
    if let Some(item) = item {
        let added = app
            .gql_as(
                &w.admin,
                ADD_ITEMS,
                json!({ "input": { "editionId": id, "itemIds": [item] } }),
            )
            .await;
        assert_eq!(added["data"]["addEditionItems"]["errors"], json!([]));
    }
    id
}

/// An invitation to a new address from the unit's manager: (its id, the address).
async fn member_invitation(app: &TestApp, w: &World) -> (Value, String) {
    let email = format!("invited{}@example.cn", unique());
    let invited = app
        .gql_as(&w.gov, INVITE_MEMBER, json!({ "email": email }))
        .await;
    (
        invited["data"]["inviteMember"]["invitation"]["id"].clone(),
        email,
    )
}

/// A new thesaurus group's input: words no other group of the process has.
fn thesaurus_group_input() -> Value {
    let n = unique();
    json!({ "topic": "常用简称与说法", "words": [format!("简称{n}"), format!("全称{n}")] })
}

/// A new thesaurus group, saved by the admin: its id, version and words.
async fn thesaurus_group(app: &TestApp, w: &World) -> Value {
    let saved = app
        .gql_as(
            &w.admin,
            "mutation($input: SaveThesaurusGroupInput!) { saveThesaurusGroup(input: $input) \
             { group { id version words } errors { code } } }",
            json!({ "input": thesaurus_group_input() }),
        )
        .await;
    assert_eq!(
        saved["data"]["saveThesaurusGroup"]["errors"],
        json!([]),
        "{saved}"
    );
    saved["data"]["saveThesaurusGroup"]["group"].clone()
}

/// A scenario proposal's input: the enterprise's capability for a problem in 榆次区, addressed
/// to no unit (so to the region's county manager).
fn proposal_input(capability: &Value) -> Value {
    json!({ "title": "老旧小区加装电梯智能监测场景", "regionCode": "140702",
        "problem": "榆次区老旧小区加装电梯后缺少运行监测，故障响应慢。",
        "capabilityId": capability["id"],
        "rationale": "我司电梯物联网监测终端已在太原多个小区应用。" })
}

/// An open proposal of the world's enterprise; its id.
async fn scenario_proposal(app: &TestApp, w: &World) -> Value {
    let capability = listed(app, w).await;
    let proposed = app
        .gql_as(
            &w.enterprise,
            "mutation($input: ProposeScenarioInput!) { proposeScenario(input: $input) \
             { proposal { id } errors { code } } }",
            json!({ "input": proposal_input(&capability) }),
        )
        .await;
    let payload = &proposed["data"]["proposeScenario"];
    assert_eq!(payload["errors"], json!([]), "{proposed}");
    payload["proposal"]["id"].clone()
}

/// An event of 榆次's county manager with a scenario of the unit on its agenda: OPEN, or DRAFT.
async fn an_event(app: &TestApp, w: &World, open: bool) -> Value {
    let scenario = published(app, w).await;
    let event = draft_event(app, &w.county_manager, event_input(&[&scenario], 10)).await;
    if open {
        step_event(app, &w.county_manager, &event, "PUBLISH").await
    } else {
        event
    }
}

/// A PENDING registration of the enterprise for an open event.
async fn an_event_registration(app: &TestApp, w: &World) -> Value {
    let event = an_event(app, w, true).await;
    let capability = listed(app, w).await;
    let scenario = event["agenda"][0].clone();
    register_for(app, &w.enterprise, &event, &capability, &[&scenario]).await
}

/// The event a registration is for.
async fn registration_event(app: &TestApp, registration: &Value) -> String {
    sqlx::query_scalar("SELECT event_id FROM event_registrations WHERE id = $1")
        .bind(registration["id"].as_str().unwrap())
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

/// A saved search of the enterprise; its id.
async fn saved_search(app: &TestApp, w: &World) -> Value {
    let saved = app
        .gql_as(
            &w.enterprise,
            "mutation($input: SaveSearchInput!) { saveSearch(input: $input) \
             { savedSearch { id } errors { code } } }",
            json!({ "input": { "name": "煤矿巡检", "opportunityFilter": { "industryCodes": ["MT"] } } }),
        )
        .await;
    let payload = &saved["data"]["saveSearch"];
    assert_eq!(payload["errors"], json!([]), "{saved}");
    payload["savedSearch"]["id"].clone()
}

/// The newest notification of `user` (who must have one); its id.
async fn a_notification_of(app: &TestApp, user: &TestUser) -> Value {
    let id: String = sqlx::query_scalar(
        "SELECT id FROM notifications WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(&user.id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    Value::String(id)
}

/// The target of `operation`, prepared afresh for one attempt.
async fn prepare(app: &TestApp, w: &World, operation: &str) -> Setup {
    let reason = "经核查，材料与实际情况不符";
    match operation {
        "register" => w.unit(register_input(&format!("new{}@example.cn", unique()))["input"].clone()),
        "login" => {
            let email = email_of(app, &w.gov).await;
            w.unit(json!({ "email": email, "password": PASSWORD }))
        }
        "refreshSession" | "logout" => {
            let email = email_of(app, &w.gov).await;
            let session = login(app, &email).await;
            w.unit(json!({ "refreshToken": session["refreshToken"] }))
        }
        "verifyEmail" => {
            let email = registered(app).await;
            let token = emailed_token(app, "EMAIL_VERIFICATION", &email, "/verify-email").await;
            w.unit(json!({ "token": token }))
        }
        "requestPasswordReset" => w.unit(json!({ "email": email_of(app, &w.gov).await })),
        "resetPassword" => {
            let email = registered(app).await;
            app.gql(
                "mutation($e: String!) { requestPasswordReset(input: { email: $e }) { ok } }",
                json!({ "e": email }),
            )
            .await;
            let token = emailed_token(app, "PASSWORD_RESET", &email, "/reset-password").await;
            w.unit(json!({ "token": token, "newPassword": "Pingyao-Ancient-City-1370" }))
        }
        "acceptInvitation" => {
            let (_, email) = member_invitation(app, w).await;
            let token = invitation_token(app, &email).await;
            w.unit(json!({ "token": token, "displayName": "王同事", "password": PASSWORD }))
        }
        "changePassword" => {
            // Changing a password ends every session of its user: everyone acts as a fresh one.
            let mut setup = w.setup(
                &app.gov_user().await,
                &app.gov_user().await,
                json!({ "currentPassword": PASSWORD, "newPassword": "Pingyao-Ancient-City-1370" }),
            );
            setup.admin = app.admin().await;
            setup.county_manager = app.county_manager("140702").await;
            setup.other_manager = app.county_manager("140721").await;
            setup
        }
        "resendVerificationEmail" => {
            let unverified = app.enterprise_user().await;
            sqlx::query("UPDATE users SET email_verified_at = NULL WHERE id = $1")
                .bind(&unverified.id)
                .execute(app.state.db.pool())
                .await
                .unwrap();
            w.setup(&unverified, &w.other_enterprise, json!(null))
        }
        "markNotificationsRead" => w.unit(json!({ "all": true })),
        "updateEmailPreferences" => w.unit(json!({
            "preferences": [{ "kind": "MATCH_MESSAGE", "enabled": false }]
        })),
        "verifyOrganization" => {
            let pending = app.pending_enterprise_user().await;
            let vars = json!({ "id": pending.org_id, "note": "营业执照已核验" });
            w.setup(&pending, &w.other_enterprise, vars)
        }
        "rejectOrganization" => {
            let pending = app.pending_enterprise_user().await;
            let vars = json!({ "id": pending.org_id, "reason": reason });
            w.setup(&pending, &w.other_enterprise, vars)
        }
        "suspendOrganization" => {
            let member = app.enterprise_user().await;
            let vars = json!({ "id": member.org_id, "reason": reason });
            w.setup(&member, &w.other_enterprise, vars)
        }
        "reinstateOrganization" => {
            let member = app.enterprise_user().await;
            step_organization(
                app,
                &w.admin,
                "suspendOrganization",
                &member.org_id,
                Some(reason),
            )
            .await;
            w.setup(&member, &w.other_enterprise, json!({ "id": member.org_id }))
        }
        "updateOrganization" => {
            // A unit of its own: the world's units stay in 榆次区, where its county manager is.
            let unit = app.gov_user().await;
            let version = version_of(app, "organizations", &unit.org_id).await;
            let vars = json!({ "id": unit.org_id, "expectedVersion": version,
                "regionCode": "140721" });
            w.setup(&unit, &w.other_gov, vars)
        }
        "inviteMember" => w.unit(json!({
            "email": format!("invited{}@example.cn", unique()), "organizationId": w.gov.org_id
        })),
        "revokeInvitation" => w.unit(json!({ "id": member_invitation(app, w).await.0 })),
        "changeOrganizationManager" => {
            // Handing the role on changes who manages: a new unit for every attempt.
            let manager = app.gov_user().await;
            let (colleague, _) = colleague_of(app, &manager).await;
            w.setup(&manager, &w.other_gov, json!({ "userId": colleague.id }))
        }
        "removeMember" => {
            let (colleague, _) = colleague_of(app, &w.gov).await;
            w.unit(json!({ "userId": colleague.id }))
        }
        "createScenario" => {
            let mut input = scenario_input();
            input["organizationId"] = json!(w.gov.org_id);
            w.unit(input)
        }
        "updateScenario" => {
            let scenario = scenario_in(app, &w.gov, &w.admin, "DISCOVERED").await;
            w.unit(json!({ "id": scenario["id"], "expectedVersion": scenario["version"],
                "title": "煤矿主运输巷道巡检机器人应用场景" }))
        }
        "transitionScenario" => {
            let scenario = scenario_in(app, &w.gov, &w.admin, "DISCOVERED").await;
            w.unit(json!({ "id": scenario["id"], "action": "PLAN" }))
        }
        "updateScenarioContact" => {
            let scenario = published(app, w).await;
            w.unit(json!({ "id": scenario["id"],
                "contact": { "name": "钱工", "phone": "0354-7220000" } }))
        }
        "extendScenarioDeadline" => {
            let scenario = published(app, w).await;
            let later = chrono::Utc::now().date_naive() + chrono::Duration::days(120);
            w.unit(json!({ "id": scenario["id"], "deadline": later.to_string() }))
        }
        "recordScenarioOutcome" => {
            let scenario = scenario_in(app, &w.gov, &w.admin, "IMPLEMENTING").await;
            w.unit(outcome_input(&scenario["id"]))
        }
        "reviewScenario" => {
            let scenario = scenario_in(app, &w.gov, &w.admin, "PENDING_REVIEW").await;
            w.unit(json!({ "id": scenario["id"], "decision": "APPROVE" }))
        }
        "promoteScenario" => {
            let scenario = scenario_in(app, &w.gov, &w.admin, "LANDED").await;
            w.unit(json!({ "id": scenario["id"] }))
        }
        "createCapability" => {
            let mut input = capability_input();
            input["organizationId"] = json!(w.enterprise.org_id);
            w.provider(input)
        }
        "updateCapability" => {
            let capability = capability_in(app, &w.enterprise, &w.admin, "DRAFT").await;
            w.provider(json!({ "id": capability["id"], "expectedVersion": capability["version"],
                "title": "矿用防爆巡检机器人（第二代）" }))
        }
        "transitionCapability" => {
            let capability = capability_in(app, &w.enterprise, &w.admin, "DRAFT").await;
            w.provider(json!({ "id": capability["id"], "action": "SUBMIT" }))
        }
        "reviewCapability" => {
            let capability = capability_in(app, &w.enterprise, &w.admin, "PENDING_REVIEW").await;
            w.provider(json!({ "id": capability["id"], "decision": "APPROVE" }))
        }
        "featureCapability" => w.provider(json!({ "id": listed(app, w).await["id"] })),
        "applyToScenario" => {
            let (scenario, capability) = (published(app, w).await, listed(app, w).await);
            w.provider(apply_input(&scenario, &capability))
        }
        "inviteCapability" => {
            let (scenario, capability) = (published(app, w).await, listed(app, w).await);
            w.unit(json!({ "scenarioId": scenario["id"], "capabilityId": capability["id"],
                "message": "诚邀贵司参与介休煤矿巡检场景对接。" }))
        }
        "proposeMatch" => {
            let (scenario, capability) = (published(app, w).await, listed(app, w).await);
            w.unit(json!({ "scenarioId": scenario["id"], "capabilityId": capability["id"] }))
        }
        "moderateMatch" => {
            let proposed = application(app, w).await;
            w.provider(json!({ "id": proposed["id"], "decision": "APPROVE" }))
        }
        "respondToMatch" => {
            let approved = invitation(app, w).await;
            w.provider(json!({ "id": approved["id"], "accept": true }))
        }
        "withdrawMatch" => w.provider(json!({ "id": application(app, w).await["id"] })),
        "selectMatch" => w.unit(json!({ "id": connected(app, w).await["id"] })),
        "postMatchMessage" => {
            let id = connected(app, w).await["id"].clone();
            w.provider(json!({ "matchId": id, "body": "请问现场勘查安排在哪一天？" }))
        }
        "appointCountyManager" => w.unit(json!({
            "email": format!("manager{}@jzcx.gov.cn", unique()), "regionCode": "140727"
        })),
        "removeCountyManager" => {
            // A manager of a third region, whose removal changes nothing of the world.
            let manager = app.county_manager("140727").await;
            w.setup(&manager, &w.other_gov, json!({ "userId": manager.id }))
        }
        "createEdition" => w.unit(edition_input()),
        "addEditionItems" => {
            let scenario = published(app, w).await;
            let id = edition(app, w, None).await;
            w.unit(json!({ "editionId": id, "itemIds": [scenario["id"]] }))
        }
        "removeEditionItem" => {
            let scenario = published(app, w).await;
            let id = edition(app, w, Some(&scenario["id"])).await;
            w.unit(json!({ "editionId": id, "itemId": scenario["id"] }))
        }
        "publishEdition" => {
            let scenario = published(app, w).await;
            w.unit(json!({ "id": edition(app, w, Some(&scenario["id"])).await }))
        }
        "retryFailedEmails" => {
            let id = format!("failed-{}", unique());
            sqlx::query(
                "INSERT INTO email_outbox (id, kind, recipient, subject, text_body, html_body, \
                 status, attempts, next_attempt_at, last_error, created_at) \
                 VALUES ($1, 'SCENARIO_APPROVED', 'zhao@jiexiu.gov.cn', '场景已通过审核', '正文', \
                 '<p>正文</p>', 'FAILED', 8, '2026-01-01T00:00:00.000000Z', '550 mailbox unavailable', \
                 '2026-01-01T00:00:00.000000Z')",
            )
            .bind(&id)
            .execute(app.state.db.pool())
            .await
            .unwrap();
            w.unit(json!({ "ids": [id] }))
        }

        // Queries.
        "me" => w
            .unit(json!({}))
            .query("{ me { id } }", Some(&json!(w.gov.id))),
        "emailPreferences" => w
            .unit(json!({}))
            .query("{ emailPreferences { kind enabled } }", None),
        "notifications" => {
            let scenario = scenario_in(app, &w.gov, &w.admin, "PUBLISHED").await;
            assert_eq!(scenario["status"], "PUBLISHED");
            let id = a_notification_of(app, &w.gov).await;
            w.unit(json!({})).query(
                "{ notifications(first: 100) { edges { node { id } } } }",
                Some(&id),
            )
        }
        "unreadNotificationCount" => w
            .unit(json!({}))
            .query("{ unreadNotificationCount }", None),
        "myScenarios" => {
            let scenario = scenario_in(app, &w.gov, &w.admin, "DISCOVERED").await;
            w.unit(json!({})).query(
                "{ myScenarios(first: 100, status: DISCOVERED) { edges { node { id } } } }",
                Some(&scenario["id"]),
            )
        }
        "myCapabilities" => {
            let capability = capability_in(app, &w.enterprise, &w.admin, "DRAFT").await;
            w.provider(json!({})).query(
                "{ myCapabilities(first: 100, status: DRAFT) { edges { node { id } } } }",
                Some(&capability["id"]),
            )
        }
        "scenario" => {
            let scenario = scenario_in(app, &w.gov, &w.admin, "DISCOVERED").await;
            w.unit(json!({ "id": scenario["id"] })).query(
                "query($id: ID) { scenario(id: $id) { id } }",
                Some(&scenario["id"]),
            )
        }
        "capability" => {
            let capability = capability_in(app, &w.enterprise, &w.admin, "DRAFT").await;
            w.provider(json!({ "id": capability["id"] })).query(
                "query($id: ID) { capability(id: $id) { id } }",
                Some(&capability["id"]),
            )
        }
        "opportunityList" => {
            let scenario = scenario_in(app, &w.gov, &w.admin, "DISCOVERED").await;
            w.unit(json!({})).query(
                "{ opportunityList(first: 100, filter: { statuses: [DISCOVERED] }) { edges { node { id } } } }",
                Some(&scenario["id"]),
            )
        }
        "capabilityList" => {
            let capability = capability_in(app, &w.enterprise, &w.admin, "DRAFT").await;
            w.provider(json!({})).query(
                "{ capabilityList(first: 100, filter: { statuses: [DRAFT] }) { edges { node { id } } } }",
                Some(&capability["id"]),
            )
        }
        "organization" => {
            let pending = app.pending_enterprise_user().await;
            let mut setup = w.setup(&pending, &w.other_enterprise, json!({ "id": pending.org_id }));
            setup.target = Some(pending.org_id.clone());
            setup.query = Some("query($id: ID!) { organization(id: $id) { id } }");
            setup
        }
        "organizations" => {
            let pending = app.pending_enterprise_user().await;
            let mut setup = w.setup(&pending, &w.other_enterprise, json!({}));
            setup.target = Some(pending.org_id.clone());
            setup.query = Some(
                "{ organizations(first: 100, filter: { status: PENDING }) { edges { node { id } } } }",
            );
            setup
        }
        "organizationMembers" => w.unit(json!({ "org": w.gov.org_id })).query(
            "query($org: ID!) { organizationMembers(organizationId: $org, first: 100) { nodes { id } } }",
            Some(&json!(w.gov.id)),
        ),
        "organizationInvitations" => {
            let (id, _) = member_invitation(app, w).await;
            w.unit(json!({ "org": w.gov.org_id })).query(
                "query($org: ID!) { organizationInvitations(organizationId: $org, first: 100) \
                 { edges { node { id } } } }",
                Some(&id),
            )
        }
        "match" => {
            let proposed = application(app, w).await;
            w.provider(json!({ "id": proposed["id"] })).query(
                "query($id: ID!) { match(id: $id) { id } }",
                Some(&proposed["id"]),
            )
        }
        "matches" => {
            let proposed = application(app, w).await;
            w.provider(json!({ "scenario": proposed["scenario"]["id"] })).query(
                "query($scenario: ID) { matches(first: 100, filter: { scenarioId: $scenario }) \
                 { edges { node { id } } } }",
                Some(&proposed["id"]),
            )
        }
        "stats" => {
            // In an industry no other scenario of the world has, so that the ten capabilities
            // with the most matches there include this one.
            let mut input = scenario_input();
            set(&mut input, "/industryCodes", json!(["NY01"]));
            let scenario = scenario_in_with(app, &w.gov, &w.admin, "PUBLISHED", input).await;
            let proposed = apply(app, &w.enterprise, &scenario, &listed(app, w).await).await;
            w.unit(json!({})).query(
                "{ stats(filter: { industryCodes: [\"NY01\"] }) \
                 { matches { topCapabilities { capabilityId } } } }",
                Some(&proposed["capability"]["id"]),
            )
        }
        "recommendedCapabilities" => {
            let scenario = published(app, w).await;
            w.unit(json!({ "id": scenario["id"] })).query(
                "query($id: ID!) { recommendedCapabilities(scenarioId: $id) { score } }",
                None,
            )
        }
        "recommendedScenarios" => {
            let capability = listed(app, w).await;
            w.provider(json!({ "id": capability["id"] })).query(
                "query($id: ID!) { recommendedScenarios(capabilityId: $id) { score } }",
                None,
            )
        }
        "edition" => {
            let id = edition(app, w, None).await;
            w.unit(json!({ "id": id }))
                .query("query($id: ID!) { edition(id: $id) { id } }", Some(&id))
        }
        "editions" => {
            let id = edition(app, w, None).await;
            w.unit(json!({})).query(
                "{ editions(first: 100, includeDrafts: true) { edges { node { id } } } }",
                Some(&id),
            )
        }
        "reviewQueue" => {
            let scenario = scenario_in(app, &w.gov, &w.admin, "PENDING_REVIEW").await;
            w.unit(json!({})).query(
                "{ reviewQueue(kind: SCENARIO, first: 100) { edges { node { ... on Scenario { id } } } } }",
                Some(&scenario["id"]),
            )
        }
        "proposeScenario" => {
            let capability = listed(app, w).await;
            w.provider(proposal_input(&capability))
        }
        "adoptScenarioProposal" => {
            let id = scenario_proposal(app, w).await;
            w.provider(json!({ "id": id, "organizationId": w.gov.org_id, "category": "INDUSTRIAL" }))
        }
        "declineScenarioProposal" => {
            let id = scenario_proposal(app, w).await;
            w.provider(json!({ "id": id, "reason": "本区暂无相关规划" }))
        }
        "createMatchmakingEvent" => w.unit(json!({ "event": event_input(&[&published(app, w).await], 10) })),
        "updateMatchmakingEvent" => {
            let event = an_event(app, w, true).await;
            let scenario = published(app, w).await;
            w.unit(json!({ "id": event["id"], "event": event_input(&[&scenario], 12) }))
        }
        "transitionMatchmakingEvent" => {
            let event = an_event(app, w, true).await;
            w.unit(json!({ "id": event["id"], "action": "CANCEL" }))
        }
        "registerForEvent" => {
            let event = an_event(app, w, true).await;
            let capability = listed(app, w).await;
            let agenda = event["agenda"][0]["id"].clone();
            w.provider(json!({ "eventId": event["id"], "capabilityId": capability["id"],
                "scenarioIds": [agenda] }))
        }
        "decideEventRegistration" => {
            let registration = an_event_registration(app, w).await;
            w.provider(json!({ "id": registration["id"], "decision": "ACCEPT" }))
        }
        "cancelEventRegistration" => {
            let registration = an_event_registration(app, w).await;
            w.provider(json!({ "id": registration["id"] }))
        }
        "recordEventOutcomes" => {
            let registration = an_event_registration(app, w).await;
            let event_id = registration_event(app, &registration).await;
            let event = json!({ "id": event_id });
            decide(app, &w.county_manager, &registration, "ACCEPT").await;
            took_place(app, &event).await;
            step_event(app, &w.county_manager, &event, "MARK_HELD").await;
            let scenario = registration["scenarios"][0]["id"].clone();
            w.unit(json!({ "eventId": event_id, "pairs": [{ "registrationId": registration["id"],
                "scenarioId": scenario }] }))
        }
        "myEventRegistrations" => {
            let registration = an_event_registration(app, w).await;
            w.provider(json!({})).query(
                "{ myEventRegistrations(first: 100) { edges { node { id } } } }",
                Some(&registration["id"]),
            )
        }
        "matchmakingEvents" => {
            let event = an_event(app, w, false).await;
            w.unit(json!({})).query(
                "{ matchmakingEvents(first: 100, statuses: [DRAFT]) { edges { node { id } } } }",
                Some(&event["id"]),
            )
        }
        "matchmakingEvent" => {
            let event = an_event(app, w, false).await;
            w.unit(json!({ "id": event["id"] })).query(
                "query($id: ID!) { matchmakingEvent(id: $id) { id } }",
                Some(&event["id"]),
            )
        }
        "saveSearch" => w.provider(json!({ "name": "煤矿巡检", "frequency": "INSTANT",
            "opportunityFilter": { "query": "巡检机器人" } })),
        "updateSavedSearch" => {
            let id = saved_search(app, w).await;
            w.provider(json!({ "id": id, "frequency": "DAILY" }))
        }
        "deleteSavedSearch" => {
            let id = saved_search(app, w).await;
            w.provider(json!({ "id": id }))
        }
        "savedSearches" => {
            let id = saved_search(app, w).await;
            w.provider(json!({})).query(
                "{ savedSearches(first: 100) { edges { node { id } } } }",
                Some(&id),
            )
        }
        "scenarioProposals" => {
            let id = scenario_proposal(app, w).await;
            w.provider(json!({})).query(
                "{ scenarioProposals(first: 100) { edges { node { id } } } }",
                Some(&id),
            )
        }
        "scenarioProposal" => {
            let id = scenario_proposal(app, w).await;
            w.provider(json!({ "id": id })).query(
                "query($id: ID!) { scenarioProposal(id: $id) { id } }",
                Some(&id),
            )
        }
        "countyManagers" => {
            let manager = app.county_manager("140728").await;
            w.unit(json!({})).query(
                "{ countyManagers(regionCode: \"140728\", first: 10) { edges { node { id } } } }",
                Some(&json!(manager.id)),
            )
        }
        "auditLog" => w
            .unit(json!({}))
            .query("{ auditLog(first: 10) { edges { node { id } } } }", None),
        "failedEmails" => w
            .unit(json!({}))
            .query("{ failedEmails(first: 10) { edges { node { id } } } }", None),
        "saveThesaurusGroup" => w.unit(thesaurus_group_input()),
        "deleteThesaurusGroup" => {
            let group = thesaurus_group(app, w).await;
            w.unit(json!({ "id": group["id"], "version": group["version"] }))
        }
        "thesaurusGroups" => {
            let group = thesaurus_group(app, w).await;
            let word = group["words"][0].clone();
            w.unit(json!({ "word": word })).query(
                "query($word: String) { thesaurusGroups(word: $word) { edges { node { id } } } }",
                Some(&group["id"]),
            )
        }
        "thesaurusGroup" => {
            let group = thesaurus_group(app, w).await;
            w.unit(json!({ "id": group["id"] })).query(
                "query($id: ID!) { thesaurusGroup(id: $id) { id } }",
                Some(&group["id"]),
            )
        }
        other => panic!("no setup for {other}"),
    }
}

/// What the attempt came to.
fn outcome(response: &Value, operation: &str, setup: &Setup) -> Outcome {
    if let Some(code) = error_code(response) {
        return Refused(leak(code));
    }
    let data = &response["data"][operation];
    if setup.query.is_none() {
        return match data["errors"].as_array() {
            Some(errors) if !errors.is_empty() => {
                Refused(leak(errors[0]["code"].as_str().unwrap_or("?")))
            }
            _ => Done,
        };
    }
    match &setup.target {
        Some(target) if !data.to_string().contains(target.as_str()) => Hidden,
        _ => Done,
    }
}

/// An unexpected code, as `'static` for the comparison (a test process leaks a few bytes).
fn leak(code: &str) -> &'static str {
    for known in ["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"] {
        if code == known {
            return known;
        }
    }
    Box::leak(code.to_owned().into_boxed_str())
}

db_test!(every_operation_admits_exactly_whom_the_rules_name, |app| {
    // Every operation of the schema has a decision.
    let sdl = twolists::graphql::sdl();
    let fields = |root: &str| -> Vec<String> {
        let body = sdl
            .split(&format!("type {root} {{"))
            .nth(1)
            .and_then(|rest| rest.split("\n}").next())
            .unwrap_or_else(|| panic!("no {root}"));
        // Outside the doc strings, a line at depth 0 starts with a field's name.
        let code: String = body.split("\"\"\"").step_by(2).collect();
        let mut depth = 0;
        let mut names = Vec::new();
        for line in code.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if depth == 0 {
                let name: String = line
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                names.push(name);
            }
            depth += line.matches('(').count() as i32 - line.matches(')').count() as i32;
        }
        names
    };
    let decided: Vec<&str> = TABLE.iter().map(|(op, _)| *op).collect();
    for name in fields("MutationRoot")
        .into_iter()
        .chain(fields("QueryRoot"))
    {
        assert!(
            decided.contains(&name.as_str())
                || PUBLIC_REFERENCE.contains(&name.as_str())
                || ELSEWHERE.contains(&name.as_str()),
            "{name} has no row in the authorization table"
        );
    }
    assert_eq!(fields("MutationRoot").len(), 65, "the mutations counted");
    assert_eq!(fields("QueryRoot").len(), 36, "the queries counted");

    let world = World {
        admin: app.admin().await,
        county_manager: app.county_manager("140702").await,
        other_manager: app.county_manager("140721").await,
        gov: app.gov_user().await,
        other_gov: app.gov_user().await,
        enterprise: app.enterprise_user().await,
        other_enterprise: app.enterprise_user().await,
    };
    let mut wrong = Vec::new();
    for (operation, expected) in TABLE {
        for (column, actor) in ACTORS.iter().enumerate() {
            let setup = prepare(&app, &world, operation).await;
            let document = match setup.query {
                Some(query) => query.to_owned(),
                None if setup.vars.is_null() => {
                    format!("mutation {{ {operation} {{ errors {{ code }} }} }}")
                }
                None => format!(
                    "mutation($input: {}!) {{ {operation}(input: $input) {{ errors {{ code }} }} }}",
                    input_type(operation)
                ),
            };
            let vars = match setup.query {
                Some(_) => setup.vars.clone(),
                None if setup.vars.is_null() => json!({}),
                None => json!({ "input": setup.vars }),
            };
            let user = match column {
                0 => None,
                1 => Some(&setup.other),
                2 => Some(&setup.owner),
                3 => Some(&setup.admin),
                4 => Some(&setup.county_manager),
                _ => Some(&setup.other_manager),
            };
            // A refusal is checked to have written nothing.
            let response = match user {
                None => app.try_gql(&document, vars).await,
                Some(user) => app.try_gql_as(user, &document, vars).await,
            };
            let got = outcome(&response, operation, &setup);
            if got != expected[column] {
                wrong.push(format!(
                    "{operation} as {actor}: expected {:?}, got {got:?}: {response}",
                    expected[column]
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} attempts disagree with the table:\n{}",
        wrong.len(),
        TABLE.len() * ACTORS.len(),
        wrong.join("\n")
    );
});

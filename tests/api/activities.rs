//! Matchmaking events (README, "Matchmaking events"): the lifecycle and who organises it, the
//! registrations with their capacity and waiting list, and every refusal, on both databases.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::util::*;

const EVENT_FIELDS: &str = "id title kind kindLabel status capacity acceptedCount place \
    region { code } agenda { id } organisedByMe";
const REGISTRATION_FIELDS: &str = "id status statusLabel decisionNote \
    organization { id } capability { id } scenarios { id }";

fn create_doc() -> String {
    format!(
        "mutation($input: CreateMatchmakingEventInput!) {{ createMatchmakingEvent(input: $input) \
         {{ event {{ {EVENT_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

fn update_doc() -> String {
    format!(
        "mutation($input: UpdateMatchmakingEventInput!) {{ updateMatchmakingEvent(input: $input) \
         {{ event {{ {EVENT_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

fn transition_doc() -> String {
    format!(
        "mutation($input: TransitionMatchmakingEventInput!) {{ \
         transitionMatchmakingEvent(input: $input) {{ event {{ {EVENT_FIELDS} }} \
         errors {{ field code message }} }} }}"
    )
}

fn register_doc() -> String {
    format!(
        "mutation($input: RegisterForEventInput!) {{ registerForEvent(input: $input) \
         {{ registration {{ {REGISTRATION_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

fn decide_doc() -> String {
    format!(
        "mutation($input: DecideEventRegistrationInput!) {{ decideEventRegistration(input: $input) \
         {{ registration {{ {REGISTRATION_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

fn cancel_doc() -> String {
    format!(
        "mutation($input: CancelEventRegistrationInput!) {{ cancelEventRegistration(input: $input) \
         {{ registration {{ {REGISTRATION_FIELDS} }} errors {{ field code message }} }} }}"
    )
}

fn event_doc() -> String {
    format!(
        "query($id: ID!) {{ matchmakingEvent(id: $id) {{ {EVENT_FIELDS} \
         registrations(first: 50) {{ totalCount edges {{ node {{ id status }} }} }} }} }}"
    )
}

const EVENTS: &str = "{ matchmakingEvents(first: 50, statuses: [DRAFT, OPEN, CLOSED, HELD, \
    ARCHIVED, CANCELLED]) { totalCount edges { node { id status } } } }";

/// A roadshow 20 days from now, registration open for 10 days, in the 榆次 hall.
pub fn event_input(scenarios: &[&Value], capacity: i64) -> Value {
    let starts = Utc::now() + Duration::days(20);
    json!({
        "title": "晋中市煤矿智能化场景路演",
        "kind": "ROADSHOW",
        "description": "围绕井下巡检、智能综采等场景，邀请企业现场路演、与场景单位面对面交流。",
        "startsAt": starts.to_rfc3339(),
        "endsAt": (starts + Duration::hours(3)).to_rfc3339(),
        "place": "晋中市场景创新促进中心一楼报告厅",
        "capacity": capacity,
        "registrationDeadline": (Utc::now() + Duration::days(10)).to_rfc3339(),
        "scenarioIds": scenarios.iter().map(|s| s["id"].clone()).collect::<Vec<_>>(),
    })
}

async fn event_step(app: &TestApp, user: &TestUser, doc: &str, field: &str, input: Value) -> Value {
    let response = app.gql_as(user, doc, json!({ "input": input })).await;
    let payload = &response["data"][field];
    assert_eq!(payload["errors"], json!([]), "{response}");
    payload.clone()
}

/// A new event of `organiser` (DRAFT).
pub async fn draft_event(app: &TestApp, organiser: &TestUser, input: Value) -> Value {
    event_step(
        app,
        organiser,
        &create_doc(),
        "createMatchmakingEvent",
        json!({ "event": input }),
    )
    .await["event"]
        .clone()
}

pub async fn step_event(app: &TestApp, organiser: &TestUser, event: &Value, action: &str) -> Value {
    event_step(
        app,
        organiser,
        &transition_doc(),
        "transitionMatchmakingEvent",
        json!({ "id": event["id"], "action": action }),
    )
    .await["event"]
        .clone()
}

/// An OPEN event of `organiser` with `scenarios` on its agenda.
pub async fn open_event(
    app: &TestApp,
    organiser: &TestUser,
    scenarios: &[&Value],
    capacity: i64,
) -> Value {
    let event = draft_event(app, organiser, event_input(scenarios, capacity)).await;
    step_event(app, organiser, &event, "PUBLISH").await
}

pub async fn register_for(
    app: &TestApp,
    user: &TestUser,
    event: &Value,
    capability: &Value,
    scenarios: &[&Value],
) -> Value {
    event_step(
        app,
        user,
        &register_doc(),
        "registerForEvent",
        json!({ "eventId": event["id"], "capabilityId": capability["id"],
            "scenarioIds": scenarios.iter().map(|s| s["id"].clone()).collect::<Vec<_>>(),
            "note": "我司可现场演示防爆巡检机器人。" }),
    )
    .await["registration"]
        .clone()
}

pub async fn decide(
    app: &TestApp,
    organiser: &TestUser,
    registration: &Value,
    decision: &str,
) -> Value {
    let note = (decision == "DECLINE").then_some("与议程场景关联不大");
    event_step(
        app,
        organiser,
        &decide_doc(),
        "decideEventRegistration",
        json!({ "id": registration["id"], "decision": decision, "note": note }),
    )
    .await["registration"]
        .clone()
}

async fn status_of(app: &TestApp, registration: &Value) -> String {
    status_in_db(app, "event_registrations", &registration["id"]).await
}

/// Moves an event's start (and its registration deadline) into the past: the event took place.
pub async fn took_place(app: &TestApp, event: &Value) {
    let past = twolists::db::format_time(Utc::now() - Duration::hours(2));
    sqlx::query(
        "UPDATE matchmaking_events SET starts_at = $1, registration_deadline = $1 WHERE id = $2",
    )
    .bind(&past)
    .bind(event["id"].as_str().unwrap())
    .execute(app.state.db.pool())
    .await
    .unwrap();
}

fn codes(response: &Value, field: &str) -> Vec<String> {
    payload_codes(&response["data"][field])
}

crate::db_test!(
    an_event_moves_through_its_lifecycle_and_drafts_stay_private,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let manager = app.county_manager("140702").await;
        let scenario = scenario_in(&app, &unit, &admin, "PUBLISHED").await;

        // A county manager organises in their own region by default.
        let draft = draft_event(&app, &manager, event_input(&[&scenario], 30)).await;
        assert_eq!(draft["status"], "DRAFT");
        assert_eq!(draft["region"]["code"], "140702");
        assert_eq!(draft["kindLabel"], "路演");
        assert_eq!(draft["agenda"], json!([{ "id": scenario["id"] }]));
        assert_eq!(draft["organisedByMe"], true);

        // A draft: its organisers and admins see it; the public, enterprises and other units do not.
        let enterprise = app.enterprise_user().await;
        let seen = app.gql(&event_doc(), json!({ "id": draft["id"] })).await;
        assert_eq!(seen["data"]["matchmakingEvent"], Value::Null, "{seen}");
        for outsider in [&enterprise, &unit] {
            let seen = app
                .gql_as(outsider, &event_doc(), json!({ "id": draft["id"] }))
                .await;
            assert_eq!(seen["data"]["matchmakingEvent"], Value::Null);
            let listed = app.gql_as(outsider, EVENTS, json!(null)).await;
            assert_eq!(answered(&listed, "matchmakingEvents")["totalCount"], 0);
        }
        for organiser in [&manager, &admin] {
            let listed = app.gql_as(organiser, EVENTS, json!(null)).await;
            assert_eq!(answered(&listed, "matchmakingEvents")["totalCount"], 1);
        }

        // Published: everyone reads it and its agenda, without signing in.
        let open = step_event(&app, &manager, &draft, "PUBLISH").await;
        assert_eq!(open["status"], "OPEN");
        let public = app
            .gql(
                "query($id: ID!) { matchmakingEvent(id: $id) { status agenda { id } } }",
                json!({ "id": draft["id"] }),
            )
            .await;
        assert_eq!(
            answered(&public, "matchmakingEvent")["agenda"],
            json!([{ "id": scenario["id"] }])
        );
        let listed = app
            .gql(
                "{ matchmakingEvents(first: 10) { totalCount } }",
                json!(null),
            )
            .await;
        assert_eq!(answered(&listed, "matchmakingEvents")["totalCount"], 1);

        // Organisers may still correct it while it is open.
        let mut changed = event_input(&[&scenario], 40);
        changed["place"] = json!("晋中市榆次区会展中心二号厅");
        let updated = event_step(
            &app,
            &manager,
            &update_doc(),
            "updateMatchmakingEvent",
            json!({ "id": draft["id"], "event": changed }),
        )
        .await;
        assert_eq!(updated["event"]["capacity"], 40);

        let closed = step_event(&app, &manager, &draft, "CLOSE_REGISTRATION").await;
        assert_eq!(closed["status"], "CLOSED");
        // Not held before it starts.
        let early = app
            .try_gql_as(
                &manager,
                &transition_doc(),
                json!({ "input": { "id": draft["id"], "action": "MARK_HELD" } }),
            )
            .await;
        assert_eq!(codes(&early, "transitionMatchmakingEvent"), ["INCOMPLETE"]);
        took_place(&app, &draft).await;
        assert_eq!(
            step_event(&app, &admin, &draft, "MARK_HELD").await["status"],
            "HELD"
        );
        // A held event is not edited, cancelled or reopened.
        for action in ["CANCEL", "PUBLISH", "CLOSE_REGISTRATION"] {
            let refused = app
                .try_gql_as(
                    &manager,
                    &transition_doc(),
                    json!({ "input": { "id": draft["id"], "action": action } }),
                )
                .await;
            assert_eq!(
                codes(&refused, "transitionMatchmakingEvent"),
                ["INVALID_TRANSITION"],
                "{action}"
            );
        }
        let refused = app
            .try_gql_as(
                &manager,
                &update_doc(),
                json!({ "input": { "id": draft["id"], "event": event_input(&[&scenario], 40) } }),
            )
            .await;
        assert_eq!(
            codes(&refused, "updateMatchmakingEvent"),
            ["INVALID_TRANSITION"]
        );
        assert_eq!(
            step_event(&app, &manager, &draft, "ARCHIVE").await["status"],
            "ARCHIVED"
        );

        // Another event, cancelled while open.
        let other = open_event(&app, &admin, &[&scenario], 10).await;
        assert_eq!(
            step_event(&app, &admin, &other, "CANCEL").await["status"],
            "CANCELLED"
        );
        let steps: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM events WHERE aggregate_type = 'EVENT' AND aggregate_id = $1 ORDER BY at, id",
    )
    .bind(draft["id"].as_str().unwrap())
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
        assert_eq!(
            steps,
            [
                "CREATE",
                "PUBLISH",
                "UPDATE",
                "CLOSE_REGISTRATION",
                "MARK_HELD",
                "ARCHIVE"
            ]
        );
    }
);

crate::db_test!(
    only_admins_and_the_regions_managers_organise_and_bad_events_are_refused,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let manager = app.county_manager("140702").await;
        let far_manager = app.county_manager("140721").await;
        let enterprise = app.enterprise_user().await;
        let scenario = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let draft_scenario = scenario_in(&app, &unit, &admin, "DISCOVERED").await;
        let create = create_doc();

        let anonymous = app
            .try_gql(
                &create,
                json!({ "input": { "event": event_input(&[&scenario], 5) } }),
            )
            .await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
        for user in [&unit, &enterprise] {
            let refused = app
                .try_gql_as(
                    user,
                    &create,
                    json!({ "input": { "event": event_input(&[&scenario], 5) } }),
                )
                .await;
            assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        }
        // A manager organises in their own region only.
        let mut elsewhere = event_input(&[&scenario], 5);
        elsewhere["regionCode"] = json!("140702");
        let refused = app
            .try_gql_as(
                &far_manager,
                &create,
                json!({ "input": { "event": elsewhere } }),
            )
            .await;
        assert_eq!(codes(&refused, "createMatchmakingEvent"), ["INVALID"]);

        let base = event_input(&[&scenario], 5);
        let with = |change: &dyn Fn(&mut Value)| {
            let mut input = base.clone();
            change(&mut input);
            input
        };
        let past = (Utc::now() - Duration::hours(1)).to_rfc3339();
        let cases: Vec<(Value, &str, &str)> = vec![
            (with(&|i| i["title"] = json!(" ")), "title", "REQUIRED"),
            (
                with(&|i| i["capacity"] = json!(0)),
                "capacity",
                "OUT_OF_RANGE",
            ),
            (
                with(&|i| i["capacity"] = json!(2001)),
                "capacity",
                "OUT_OF_RANGE",
            ),
            (
                with(&|i| i["startsAt"] = json!(past)),
                "startsAt",
                "INCOMPLETE",
            ),
            (
                with(&|i| i["endsAt"] = i["startsAt"].clone()),
                "endsAt",
                "INVALID",
            ),
            (
                with(&|i| {
                    i["registrationDeadline"] =
                        json!((Utc::now() + Duration::days(30)).to_rfc3339())
                }),
                "registrationDeadline",
                "INVALID",
            ),
            (with(&|i| i["place"] = Value::Null), "place", "REQUIRED"),
            (
                with(&|i| i["onlineUrl"] = json!("javascript:alert(1)")),
                "onlineUrl",
                "INVALID",
            ),
            (
                with(&|i| i["regionCode"] = json!("999999")),
                "regionCode",
                "UNKNOWN_REGION",
            ),
            (
                with(&|i| i["scenarioIds"] = json!([])),
                "scenarioIds",
                "OUT_OF_RANGE",
            ),
            (
                // Checked before the ids are compared with each other.
                with(&|i| i["scenarioIds"] = json!(vec![scenario["id"].clone(); 21])),
                "scenarioIds",
                "OUT_OF_RANGE",
            ),
            (
                with(&|i| i["scenarioIds"] = json!([draft_scenario["id"]])),
                "scenarioIds",
                "INVALID",
            ),
        ];
        for (input, field, code) in cases {
            let refused = app
                .try_gql_as(&admin, &create, json!({ "input": { "event": input } }))
                .await;
            let errors = &refused["data"]["createMatchmakingEvent"]["errors"];
            assert_eq!(errors[0]["field"], json!([field]), "{refused}");
            assert_eq!(errors[0]["code"], code, "{field}");
        }

        // The organisers of an event: admins and its region's managers; another region's manager
        // does not see its draft, and may not step it once public.
        let draft = draft_event(&app, &manager, event_input(&[&scenario], 5)).await;
        let hidden = app
            .try_gql_as(
                &far_manager,
                &transition_doc(),
                json!({ "input": { "id": draft["id"], "action": "PUBLISH" } }),
            )
            .await;
        assert_eq!(error_code(&hidden), Some("NOT_FOUND"));
        step_event(&app, &admin, &draft, "PUBLISH").await;
        for user in [&far_manager, &unit, &enterprise] {
            let refused = app
                .try_gql_as(
                    user,
                    &transition_doc(),
                    json!({ "input": { "id": draft["id"], "action": "CANCEL" } }),
                )
                .await;
            assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        }
        // A deadline that passed before publishing is refused at publication.
        let late = draft_event(&app, &admin, event_input(&[&scenario], 5)).await;
        sqlx::query("UPDATE matchmaking_events SET registration_deadline = $1 WHERE id = $2")
            .bind(twolists::db::format_time(Utc::now() - Duration::minutes(1)))
            .bind(late["id"].as_str().unwrap())
            .execute(app.state.db.pool())
            .await
            .unwrap();
        let refused = app
            .try_gql_as(
                &admin,
                &transition_doc(),
                json!({ "input": { "id": late["id"], "action": "PUBLISH" } }),
            )
            .await;
        assert_eq!(
            codes(&refused, "transitionMatchmakingEvent"),
            ["INCOMPLETE"]
        );
    }
);

crate::db_test!(registrations_fill_the_places_then_wait_in_line, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let manager = app.county_manager("140702").await;
    let scenario = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
    let second = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
    let event = open_event(&app, &manager, &[&scenario, &second], 2).await;
    let mut enterprises = Vec::new();
    let mut registrations = Vec::new();
    for _ in 0..4 {
        let user = app.enterprise_user().await;
        let capability = capability_in(&app, &user, &admin, "LISTED").await;
        let registration = register_for(&app, &user, &event, &capability, &[&scenario]).await;
        assert_eq!(registration["status"], "PENDING");
        assert_eq!(registration["scenarios"], json!([{ "id": scenario["id"] }]));
        enterprises.push(user);
        registrations.push(registration);
    }
    let [a, b, c, d] = [
        &registrations[0],
        &registrations[1],
        &registrations[2],
        &registrations[3],
    ];
    assert_eq!(
        decide(&app, &manager, a, "ACCEPT").await["status"],
        "ACCEPTED"
    );
    assert_eq!(
        decide(&app, &admin, b, "ACCEPT").await["status"],
        "ACCEPTED"
    );
    // Full: accepted onto the waiting list, in order.
    assert_eq!(
        decide(&app, &manager, c, "ACCEPT").await["status"],
        "WAITLISTED"
    );
    assert_eq!(
        decide(&app, &manager, d, "ACCEPT").await["status"],
        "WAITLISTED"
    );
    // The places taken bound the capacity from below.
    let fewer = app
        .try_gql_as(
            &manager,
            &update_doc(),
            json!({ "input": { "id": event["id"], "event": event_input(&[&scenario, &second], 1) } }),
        )
        .await;
    assert_eq!(codes(&fewer, "updateMatchmakingEvent"), ["OUT_OF_RANGE"]);

    // A cancels: C, the longest waiting, moves up; the places stay full.
    let cancelled = event_step(
        &app,
        &enterprises[0],
        &cancel_doc(),
        "cancelEventRegistration",
        json!({ "id": a["id"] }),
    )
    .await;
    assert_eq!(cancelled["registration"]["status"], "CANCELLED");
    assert_eq!(status_of(&app, c).await, "ACCEPTED");
    assert_eq!(status_of(&app, d).await, "WAITLISTED");
    // A waiting registration that cancels frees no place.
    event_step(
        &app,
        &enterprises[3],
        &cancel_doc(),
        "cancelEventRegistration",
        json!({ "id": d["id"] }),
    )
    .await;
    event_step(
        &app,
        &enterprises[1],
        &cancel_doc(),
        "cancelEventRegistration",
        json!({ "id": b["id"] }),
    )
    .await;
    let seen = app
        .gql_as(&manager, &event_doc(), json!({ "id": event["id"] }))
        .await;
    assert_eq!(answered(&seen, "matchmakingEvent")["acceptedCount"], 1);
    let steps: Vec<String> =
        sqlx::query_scalar("SELECT action FROM events WHERE aggregate_id = $1 ORDER BY at, id")
            .bind(c["id"].as_str().unwrap())
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(steps, ["REGISTER", "WAITLIST", "PROMOTE"]);

    // The organisers see every registration; an enterprise sees its own only.
    assert_eq!(
        answered(&seen, "matchmakingEvent")["registrations"]["totalCount"],
        4
    );
    let own = app
        .gql_as(&enterprises[2], &event_doc(), json!({ "id": event["id"] }))
        .await;
    assert_eq!(
        answered(&own, "matchmakingEvent")["registrations"]["edges"],
        json!([{ "node": { "id": c["id"], "status": "ACCEPTED" } }])
    );
    // Across events, with each event read through the request's loader.
    let mine = app
        .gql_as(
            &enterprises[2],
            "{ myEventRegistrations(first: 10) { edges { node { id event { id } } } } }",
            json!(null),
        )
        .await;
    assert_eq!(
        answered(&mine, "myEventRegistrations")["edges"],
        json!([{ "node": { "id": c["id"], "event": { "id": event["id"] } } }])
    );
    // The public sees none.
    let public = app
        .try_gql(&event_doc(), json!({ "id": event["id"] }))
        .await;
    assert_eq!(error_code(&public), Some("UNAUTHENTICATED"));
});

crate::db_test!(registrations_are_refused_what_does_not_fit, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let manager = app.county_manager("140702").await;
    let scenario = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
    let off_agenda = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
    let event = open_event(&app, &manager, &[&scenario], 5).await;
    let enterprise = app.enterprise_user().await;
    let capability = capability_in(&app, &enterprise, &admin, "LISTED").await;
    let other = app.enterprise_user().await;
    let others_capability = capability_in(&app, &other, &admin, "LISTED").await;
    let register = register_doc();
    let input = |event: &Value, capability: &Value, scenario: &Value| {
        json!({ "input": { "eventId": event["id"], "capabilityId": capability["id"],
            "scenarioIds": [scenario["id"]] } })
    };

    let anonymous = app
        .try_gql(&register, input(&event, &capability, &scenario))
        .await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let unit_refused = app
        .try_gql_as(&unit, &register, input(&event, &capability, &scenario))
        .await;
    assert_eq!(error_code(&unit_refused), Some("FORBIDDEN"));
    let pending = app.pending_enterprise_user().await;
    let refused = app
        .try_gql_as(&pending, &register, input(&event, &capability, &scenario))
        .await;
    assert_eq!(
        codes(&refused, "registerForEvent"),
        ["ORGANIZATION_NOT_VERIFIED"]
    );
    let unverified = app.enterprise_user().await;
    sqlx::query("UPDATE users SET email_verified_at = NULL WHERE id = $1")
        .bind(&unverified.id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let refused = app
        .try_gql_as(
            &unverified,
            &register,
            input(&event, &capability, &scenario),
        )
        .await;
    assert_eq!(codes(&refused, "registerForEvent"), ["EMAIL_NOT_VERIFIED"]);
    for (vars, field) in [
        (input(&event, &others_capability, &scenario), "capabilityId"),
        (input(&event, &capability, &off_agenda), "scenarioIds"),
    ] {
        let refused = app.try_gql_as(&enterprise, &register, vars).await;
        let errors = &refused["data"]["registerForEvent"]["errors"];
        assert_eq!(errors[0]["code"], "INVALID", "{refused}");
        assert_eq!(errors[0]["field"], json!([field]));
    }
    // Drafts are not found; closed events and passed deadlines take no registration.
    let draft = draft_event(&app, &manager, event_input(&[&scenario], 5)).await;
    let refused = app
        .try_gql_as(
            &enterprise,
            &register,
            input(&draft, &capability, &scenario),
        )
        .await;
    assert_eq!(error_code(&refused), Some("NOT_FOUND"));
    let closed = open_event(&app, &manager, &[&scenario], 5).await;
    step_event(&app, &manager, &closed, "CLOSE_REGISTRATION").await;
    let refused = app
        .try_gql_as(
            &enterprise,
            &register,
            input(&closed, &capability, &scenario),
        )
        .await;
    assert_eq!(codes(&refused, "registerForEvent"), ["INVALID_TRANSITION"]);
    let late = open_event(&app, &manager, &[&scenario], 5).await;
    sqlx::query("UPDATE matchmaking_events SET registration_deadline = $1 WHERE id = $2")
        .bind(twolists::db::format_time(Utc::now() - Duration::minutes(1)))
        .bind(late["id"].as_str().unwrap())
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let refused = app
        .try_gql_as(&enterprise, &register, input(&late, &capability, &scenario))
        .await;
    assert_eq!(codes(&refused, "registerForEvent"), ["INVALID_TRANSITION"]);

    // Once per organization.
    let registration = register_for(&app, &enterprise, &event, &capability, &[&scenario]).await;
    let again = app
        .try_gql_as(
            &enterprise,
            &register,
            input(&event, &capability, &scenario),
        )
        .await;
    assert_eq!(codes(&again, "registerForEvent"), ["DUPLICATE"]);

    // Deciding is the organisers'; declining needs a reason; another organization does not
    // find the registration.
    let decide_input = |decision: &str, note: Value| json!({ "input": { "id": registration["id"], "decision": decision, "note": note } });
    let refused = app
        .try_gql_as(
            &enterprise,
            &decide_doc(),
            decide_input("ACCEPT", Value::Null),
        )
        .await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    // Those who may not read it do not find it.
    let far_manager = app.county_manager("140721").await;
    for user in [&other, &far_manager] {
        let refused = app
            .try_gql_as(user, &decide_doc(), decide_input("ACCEPT", Value::Null))
            .await;
        assert_eq!(error_code(&refused), Some("NOT_FOUND"));
    }
    let refused = app
        .try_gql_as(
            &manager,
            &decide_doc(),
            decide_input("DECLINE", Value::Null),
        )
        .await;
    assert_eq!(codes(&refused, "decideEventRegistration"), ["REQUIRED"]);
    let refused = app
        .try_gql_as(
            &other,
            &cancel_doc(),
            json!({ "input": { "id": registration["id"] } }),
        )
        .await;
    assert_eq!(error_code(&refused), Some("NOT_FOUND"));
    let declined = decide(&app, &manager, &registration, "DECLINE").await;
    assert_eq!(declined["decisionNote"], "与议程场景关联不大");
    // Declined: neither accepted nor cancelled any more, and the organization may register anew.
    let refused = app
        .try_gql_as(&manager, &decide_doc(), decide_input("ACCEPT", Value::Null))
        .await;
    assert_eq!(
        codes(&refused, "decideEventRegistration"),
        ["INVALID_TRANSITION"]
    );
    let refused = app
        .try_gql_as(
            &enterprise,
            &cancel_doc(),
            json!({ "input": { "id": registration["id"] } }),
        )
        .await;
    assert_eq!(
        codes(&refused, "cancelEventRegistration"),
        ["INVALID_TRANSITION"]
    );
    register_for(&app, &enterprise, &event, &capability, &[&scenario]).await;
});

crate::db_test!(
    twenty_parallel_registrations_and_acceptances_keep_the_rules,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let manager = app.county_manager("140702").await;
        let scenario = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let event = open_event(&app, &manager, &[&scenario], 5).await;

        // One organization sends the same registration twenty times at once: one is taken.
        let enterprise = app.enterprise_user().await;
        let capability = capability_in(&app, &enterprise, &admin, "LISTED").await;
        let doc = register_doc();
        let vars = json!({ "input": { "eventId": event["id"], "capabilityId": capability["id"],
        "scenarioIds": [scenario["id"]] } });
        let attempts =
            (0..20).map(|_| app.post_graphql(Some(&enterprise.token), &doc, vars.clone()));
        let answers = futures_util::future::join_all(attempts).await;
        let mut outcomes: Vec<String> = answers
            .iter()
            .map(|(_, r)| {
                let payload = &r["data"]["registerForEvent"];
                match payload["errors"][0]["code"].as_str() {
                    Some(code) => code.to_owned(),
                    None => payload["registration"]["status"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                }
            })
            .collect();
        outcomes.sort();
        let mut expected = vec!["DUPLICATE".to_owned(); 19];
        expected.push("PENDING".to_owned());
        assert_eq!(outcomes, expected);
        assert_eq!(app.count("event_registrations").await, 1);

        // Twenty registrations accepted at once for five places: five accepted, fifteen waiting.
        let mut registrations = Vec::new();
        for _ in 0..19 {
            let user = app.enterprise_user().await;
            let capability = capability_in(&app, &user, &admin, "LISTED").await;
            registrations.push(register_for(&app, &user, &event, &capability, &[&scenario]).await);
        }
        let first: String =
            sqlx::query_scalar("SELECT id FROM event_registrations WHERE org_id = $1")
                .bind(&enterprise.org_id)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        registrations.push(json!({ "id": first }));
        let decide = decide_doc();
        let attempts = registrations.iter().map(|r| {
            app.post_graphql(
                Some(&manager.token),
                &decide,
                json!({ "input": { "id": r["id"], "decision": "ACCEPT" } }),
            )
        });
        for (_, answer) in futures_util::future::join_all(attempts).await {
            assert_eq!(
                answer["data"]["decideEventRegistration"]["errors"],
                json!([]),
                "{answer}"
            );
        }
        assert_eq!(
            app.count("event_registrations WHERE status = 'ACCEPTED'")
                .await,
            5
        );
        assert_eq!(
            app.count("event_registrations WHERE status = 'WAITLISTED'")
                .await,
            15
        );
        assert_eq!(app.count("matchmaking_events WHERE accepted = 5").await, 1);
    }
);

// ---- Notifications, calendar entries, public pages, outcomes, statistics -------------------------

/// The one calendar in `ics`, parsed by an iCalendar parser.
fn parse_calendar(ics: &str) -> ical::parser::ical::component::IcalCalendar {
    ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()))
        .next()
        .expect("a calendar")
        .expect("a valid calendar")
}

/// The value and parameters of `name` in the event `e`.
fn property<'a>(
    e: &'a ical::parser::ical::component::IcalEvent,
    name: &str,
) -> &'a ical::property::Property {
    e.properties
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", e.properties))
}

/// Checks the calendar holds the event: its title, its start and end in Jinzhong's time with
/// the Asia/Shanghai zone (defined in the file, UTC+8), and its page.
fn assert_calendar_of(ics: &str, event: &Value, starts: chrono::DateTime<Utc>) {
    let calendar = parse_calendar(ics);
    let zone = &calendar.timezones[0];
    let tzid = zone.properties.iter().find(|p| p.name == "TZID").unwrap();
    assert_eq!(tzid.value.as_deref(), Some("Asia/Shanghai"));
    let offset = zone.transitions[0]
        .properties
        .iter()
        .find(|p| p.name == "TZOFFSETTO")
        .unwrap();
    assert_eq!(offset.value.as_deref(), Some("+0800"));
    assert_eq!(calendar.events.len(), 1);
    let e = &calendar.events[0];
    assert_eq!(
        property(e, "SUMMARY").value.as_deref(),
        event["title"].as_str()
    );
    let start = property(e, "DTSTART");
    assert_eq!(
        start.params.as_ref().unwrap()[0],
        ("TZID".to_owned(), vec!["Asia/Shanghai".to_owned()])
    );
    let local = starts.with_timezone(&twolists::clock::china());
    assert_eq!(
        start.value.as_deref(),
        Some(local.format("%Y%m%dT%H%M%S").to_string().as_str())
    );
    let end = property(e, "DTEND").value.clone().unwrap();
    let end_local = (starts + Duration::hours(3)).with_timezone(&twolists::clock::china());
    assert_eq!(end, end_local.format("%Y%m%dT%H%M%S").to_string());
    let url = property(e, "URL").value.clone().unwrap();
    assert!(
        url.ends_with(&format!("/events/{}", event["id"].as_str().unwrap())),
        "{url}"
    );
}

fn starts_of(input: &Value) -> chrono::DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339(input["startsAt"].as_str().unwrap())
        .unwrap()
        .to_utc()
}

async fn kinds_of(app: &TestApp, user: &TestUser) -> Vec<String> {
    sqlx::query_scalar("SELECT kind FROM notifications WHERE user_id = $1 ORDER BY created_at, id")
        .bind(&user.id)
        .fetch_all(app.state.db.pool())
        .await
        .unwrap()
}

crate::backend_test!(
    an_accepted_registration_is_emailed_its_calendar_entry,
    |backend| {
        let server = SmtpServer::start().await;
        let app = TestApp::configured(backend, |c| c.smtp_url = Some(server.url()))
            .await
            .with_background();
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let manager = app.county_manager("140702").await;
        let scenario = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let input = event_input(&[&scenario], 5);
        let event = draft_event(&app, &manager, input.clone()).await;
        let event = step_event(&app, &manager, &event, "PUBLISH").await;
        let enterprise = app.enterprise_user().await;
        let capability = capability_in(&app, &enterprise, &admin, "LISTED").await;
        let registration = register_for(&app, &enterprise, &event, &capability, &[&scenario]).await;
        assert_eq!(
            kinds_of(&app, &manager).await.last().map(String::as_str),
            Some("EVENT_REGISTRATION_RECEIVED")
        );
        decide(&app, &manager, &registration, "ACCEPT").await;
        assert_eq!(
            kinds_of(&app, &enterprise).await.last().map(String::as_str),
            Some("EVENT_REGISTRATION_ACCEPTED")
        );

        let address = email_of(&app, &enterprise).await;
        let accepted = eventually("the acceptance e-mail", || async {
            server
                .messages()
                .into_iter()
                .find(|m| m.to.contains(&address) && m.subject.contains("您已确认参加活动"))
        })
        .await;
        assert!(accepted.text.contains("附件日历文件"), "{}", accepted.text);
        assert_eq!(accepted.attachments.len(), 1, "{:?}", accepted.attachments);
        let (filename, mime, ics) = &accepted.attachments[0];
        assert_eq!(filename, "event.ics");
        assert_eq!(mime, "text/calendar");
        assert_calendar_of(ics, &event, starts_of(&input));
        // The site's address, not a placeholder, in the calendar's link.
        assert!(ics.contains("http://127.0.0.1:8080/events/"), "{ics}");
    }
);

crate::db_test!(
    public_pages_feed_and_calendar_show_events_to_visitors,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let manager = app.county_manager("140702").await;
        let scenario = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let input = event_input(&[&scenario], 5);
        let event = draft_event(&app, &manager, input.clone()).await;
        let id = event["id"].as_str().unwrap().to_owned();

        // A draft has no page, no calendar and no place in the list or the feed.
        for path in [format!("/events/{id}"), format!("/events/{id}.ics")] {
            let (status, _) = app.get(&path).await;
            assert_eq!(status, 404, "{path}");
        }
        let (_, list) = app.get("/events").await;
        assert!(!list.contains(&id));

        step_event(&app, &manager, &event, "PUBLISH").await;
        let enterprise = app.enterprise_user().await;
        let capability = capability_in(&app, &enterprise, &admin, "LISTED").await;
        register_for(&app, &enterprise, &event, &capability, &[&scenario]).await;

        let (status, list) = app.get("/events").await;
        assert_eq!(status, 200);
        assert!(list.contains(&format!("/events/{id}")), "{list}");
        assert!(list.contains("晋中市煤矿智能化场景路演"));
        let (status, page) = app.get(&format!("/events/{id}")).await;
        assert_eq!(status, 200);
        assert!(
            page.contains("煤矿井下巡检机器人应用场景"),
            "the agenda: {page}"
        );
        assert!(page.contains(&format!("/events/{id}.ics")));
        assert!(page.contains("（北京时间）"));
        // Registrations are private: the registering enterprise is not named.
        let name: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
            .bind(&enterprise.org_id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        assert!(!page.contains(&name));

        let (status, headers, ics) = app.download(None, &format!("/events/{id}.ics")).await;
        assert_eq!(status, 200);
        assert!(
            headers[axum::http::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/calendar")
        );
        assert_calendar_of(&String::from_utf8(ics).unwrap(), &event, starts_of(&input));

        let (status, _, atom) = app.download(None, "/feeds/events.atom").await;
        assert_eq!(status, 200);
        let feed = feed_rs::parser::parse(atom.as_slice()).expect("a valid Atom feed");
        assert_eq!(feed.entries.len(), 1);
        assert_eq!(
            feed.entries[0].title.as_ref().unwrap().content,
            "晋中市煤矿智能化场景路演"
        );
        assert!(
            feed.entries[0].links[0]
                .href
                .ends_with(&format!("/events/{id}"))
        );
        let (_, sitemap) = app.get("/sitemap.xml").await;
        assert!(sitemap.contains(&format!("/events/{id}")));
        // The statistics page counts the event and its registration.
        let (_, stats) = app.get("/stats").await;
        assert!(stats.contains("<td>发布的活动</td><td>1</td>"), "{stats}");
        assert!(stats.contains("<td>企业报名</td><td>1</td>"));
    }
);

fn outcomes_doc() -> &'static str {
    "mutation($input: RecordEventOutcomesInput!) { recordEventOutcomes(input: $input) \
     { matches { id status origin scenario { id status } capability { id } } \
     errors { field code message } } }"
}

crate::db_test!(
    pairs_that_continue_after_an_event_become_approved_matches,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let manager = app.county_manager("140702").await;
        let first = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let second = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let off_agenda = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let event = open_event(&app, &manager, &[&first, &second], 5).await;
        let mut registrations = Vec::new();
        let mut enterprises = Vec::new();
        for _ in 0..3 {
            let user = app.enterprise_user().await;
            let capability = capability_in(&app, &user, &admin, "LISTED").await;
            registrations.push(register_for(&app, &user, &event, &capability, &[&first]).await);
            enterprises.push(user);
        }
        decide(&app, &manager, &registrations[0], "ACCEPT").await;
        decide(&app, &manager, &registrations[1], "ACCEPT").await;
        let pair =
            |r: &Value, s: &Value| json!({ "registrationId": r["id"], "scenarioId": s["id"] });
        let input =
            |pairs: Vec<Value>| json!({ "input": { "eventId": event["id"], "pairs": pairs } });

        // Not before it was held.
        let early = app
            .try_gql_as(
                &manager,
                outcomes_doc(),
                input(vec![pair(&registrations[0], &first)]),
            )
            .await;
        assert_eq!(codes(&early, "recordEventOutcomes"), ["INVALID_TRANSITION"]);
        took_place(&app, &event).await;
        step_event(&app, &manager, &event, "MARK_HELD").await;

        // Only its organisers; only accepted registrations and agenda scenarios.
        for user in [&unit, &enterprises[0]] {
            let refused = app
                .try_gql_as(
                    user,
                    outcomes_doc(),
                    input(vec![pair(&registrations[0], &first)]),
                )
                .await;
            assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        }
        let refused = app
            .try_gql_as(
                &manager,
                outcomes_doc(),
                input(vec![
                    pair(&registrations[2], &first),
                    pair(&registrations[0], &off_agenda),
                ]),
            )
            .await;
        let errors = &refused["data"]["recordEventOutcomes"]["errors"];
        assert_eq!(
            errors[0]["field"],
            json!(["pairs", "0", "registrationId"]),
            "{refused}"
        );
        assert_eq!(errors[1]["field"], json!(["pairs", "1", "scenarioId"]));
        let refused = app
            .try_gql_as(&manager, outcomes_doc(), input(vec![]))
            .await;
        assert_eq!(codes(&refused, "recordEventOutcomes"), ["OUT_OF_RANGE"]);

        let recorded = event_step(
            &app,
            &manager,
            outcomes_doc(),
            "recordEventOutcomes",
            json!({ "eventId": event["id"], "pairs": [pair(&registrations[0], &first),
            pair(&registrations[1], &first), pair(&registrations[1], &second)] }),
        )
        .await;
        let made = recorded["matches"].as_array().unwrap();
        assert_eq!(made.len(), 3);
        for m in made {
            assert_eq!(m["status"], "APPROVED");
            assert_eq!(m["origin"], "EVENT");
            assert_eq!(m["scenario"]["status"], "MATCHING");
        }
        // The parties hear of it as of any approved match; the admins have nothing to moderate.
        assert_eq!(
            kinds_of(&app, &enterprises[0])
                .await
                .last()
                .map(String::as_str),
            Some("MATCH_APPROVED")
        );
        assert_eq!(
            app.count("notifications WHERE kind = 'MATCH_PROPOSED'")
                .await,
            0
        );
        // The ordinary 对接 flow goes on: the unit answers.
        let connected = respond(&app, &unit, &made[0]["id"], true).await;
        assert_eq!(connected["status"], "CONNECTED");
        // Recorded again: the live matches stay as they are, nothing new.
        let again = event_step(
            &app,
            &manager,
            outcomes_doc(),
            "recordEventOutcomes",
            json!({ "eventId": event["id"], "pairs": [pair(&registrations[0], &first)] }),
        )
        .await;
        assert_eq!(again["matches"], json!([]));
        assert_eq!(app.count("matches WHERE origin = 'EVENT'").await, 3);

        // The statistics: events and registrations for everyone, the matches for admins.
        const STATS: &str =
            "{ stats { events { announced held registrations accepted matches landed } } }";
        let public = app.gql(STATS, json!(null)).await;
        assert_eq!(
            answered(&public, "stats")["events"],
            json!({ "announced": 1, "held": 1, "registrations": 3, "accepted": 2,
            "matches": null, "landed": null })
        );
        let full = app.gql_as(&admin, STATS, json!(null)).await;
        assert_eq!(answered(&full, "stats")["events"]["matches"], 3);
        assert_eq!(answered(&full, "stats")["events"]["landed"], 0);
    }
);

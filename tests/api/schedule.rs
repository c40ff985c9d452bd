//! The scheduled work (README, "Scheduled work"): jobs leased in the database so that several
//! instances run each once, catching up after downtime without repeating; deadline reminders on
//! their day, once; the notices when a scenario with live matches ends. Time moves on the
//! application's clock, never by sleeping.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::util::*;

/// Noon in Jinzhong on `day`.
fn noon_in_china(day: NaiveDate) -> DateTime<Utc> {
    china_time(day, 12)
}

/// A scenario input whose deadline is `days` days from today.
fn due_in(days: i64) -> (Value, NaiveDate) {
    let deadline = today_in_china() + Duration::days(days);
    let mut input = scenario_input();
    input["deadline"] = json!(deadline.to_string());
    (input, deadline)
}

/// The kinds of `user`'s notifications, oldest first.
async fn heard(app: &TestApp, user: &TestUser) -> Vec<String> {
    let response = app
        .gql_as(
            user,
            "query { notifications(first: 100) { edges { node { kind title body } } } }",
            json!(null),
        )
        .await;
    let mut kinds: Vec<String> = answered(&response, "notifications")["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.reverse();
    kinds
}

/// The bodies of `user`'s notifications of `kind`.
async fn bodies(app: &TestApp, user: &TestUser, kind: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT body FROM notifications WHERE user_id = $1 AND kind = $2 ORDER BY created_at",
    )
    .bind(&user.id)
    .bind(kind)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

async fn emails_of_kind(app: &TestApp, kind: &str) -> i64 {
    app.count(&format!("email_outbox WHERE kind = '{kind}'"))
        .await
}

crate::backend_test!(deadline_reminders_go_out_once_on_their_day, |backend| {
    let app = TestApp::at_time(backend, Utc::now()).await;
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let partner = app.enterprise_user().await;
    let bystander = app.enterprise_user().await;
    let (input, deadline) = due_in(10);
    let scenario = scenario_in_with(&app, &unit, &admin, "PUBLISHED", input).await;
    let capability = listed_capability(&app, &partner, &admin, capability_input()).await;
    listed_capability(&app, &bystander, &admin, capability_input()).await;
    apply(&app, &partner, &scenario, &capability).await;
    const KIND: &str = "SCENARIO_DEADLINE_APPROACHING";

    // Four days before: nothing yet (README: three days by default).
    app.clock().set(noon_in_china(deadline - Duration::days(4)));
    assert!(app.state.scheduler.run_due().await.contains(&"deadlines"));
    assert_eq!(
        app.count(&format!("notifications WHERE kind = '{KIND}'"))
            .await,
        0
    );

    // Three days before: the unit and its partner, in the app and by e-mail; nobody else.
    app.clock().set(noon_in_china(deadline - Duration::days(3)));
    assert!(app.state.scheduler.run_due().await.contains(&"deadlines"));
    for user in [&unit, &partner] {
        assert_eq!(bodies(&app, user, KIND).await.len(), 1, "reminded once");
        assert!(
            bodies(&app, user, KIND).await[0].contains(&format!("距截止日期还有3天（{deadline}）"))
        );
    }
    assert!(!heard(&app, &bystander).await.contains(&KIND.to_owned()));
    assert_eq!(emails_of_kind(&app, KIND).await, 2);

    // Later runs, on this instance and on a second one, send it no more.
    app.clock().advance(Duration::hours(1));
    let second = app.second_instance().await;
    assert_eq!(
        run_due_on_both(&app, &second, "deadlines").await,
        1,
        "one of the two instances ran it"
    );
    app.clock().advance(Duration::days(1));
    second.state.scheduler.run_due().await;
    assert_eq!(
        app.count(&format!("notifications WHERE kind = '{KIND}'"))
            .await,
        2
    );
    assert_eq!(emails_of_kind(&app, KIND).await, 2);

    // An extended deadline is reminded of again, three days before it.
    let later = deadline + Duration::days(7);
    mutate(
        &app,
        &unit,
        EXTEND_DEADLINE,
        "extendScenarioDeadline",
        json!({ "id": scenario["id"], "deadline": later.to_string() }),
    )
    .await;
    app.clock().set(noon_in_china(later - Duration::days(3)));
    app.state.scheduler.run_due().await;
    for user in [&unit, &partner] {
        let reminders = bodies(&app, user, KIND).await;
        assert_eq!(reminders.len(), 2);
        assert!(reminders[1].contains(&later.to_string()), "{reminders:?}");
    }
});

crate::backend_test!(
    a_reminder_missed_while_down_goes_out_once_at_start,
    |backend| {
        let app = TestApp::at_time(backend, Utc::now()).await;
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let (input, deadline) = due_in(10);
        scenario_in_with(&app, &unit, &admin, "PUBLISHED", input).await;
        app.state.scheduler.run_due().await;

        // The service was down from well before the reminder's day until the day before the
        // deadline: the first look sends the reminder, once, saying how near the deadline is now.
        app.clock().set(noon_in_china(deadline - Duration::days(1)));
        let restarted = app.second_instance().await;
        assert!(
            restarted
                .state
                .scheduler
                .run_due()
                .await
                .contains(&"deadlines")
        );
        assert!(
            restarted.state.scheduler.run_due().await.is_empty(),
            "not due again at once"
        );
        let reminders = bodies(&app, &unit, "SCENARIO_DEADLINE_APPROACHING").await;
        assert_eq!(reminders.len(), 1);
        assert!(reminders[0].contains("截止日期为明天"), "{reminders:?}");
    }
);

crate::backend_test!(
    two_instances_run_each_job_once_and_catch_up_once,
    |backend| {
        // A Tuesday noon in Jinzhong: no daily or weekly slot in the first ten minutes.
        let tuesday = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let app = TestApp::at_time(backend, noon_in_china(tuesday)).await;
        let second = app.second_instance().await;
        let periodic = ["alerts", "deadlines", "housekeeping"];
        let mut runs = Vec::new();
        for _ in 0..3 {
            let (a, b) = tokio::join!(
                app.state.scheduler.run_due(),
                second.state.scheduler.run_due()
            );
            runs.extend(a.into_iter().chain(b));
        }
        runs.sort();
        assert_eq!(runs, periodic, "each job once, on one of the instances");

        // Ten minutes on, each is due again.
        app.clock().advance(Duration::minutes(10));
        let mut runs = second.state.scheduler.run_due().await;
        runs.extend(app.state.scheduler.run_due().await);
        runs.sort();
        assert_eq!(runs, periodic);

        // Six days down, over six digest hours and a Monday: each job runs once, then waits its
        // period again.
        app.clock().advance(Duration::days(6));
        let mut runs = app.state.scheduler.run_due().await;
        runs.extend(second.state.scheduler.run_due().await);
        runs.sort();
        assert_eq!(
            runs,
            [
                "alerts",
                "daily-digest",
                "deadlines",
                "housekeeping",
                "weekly-recommendations"
            ]
        );
        let next: Vec<(String, String)> =
            sqlx::query_as("SELECT name, next_run_at FROM scheduled_jobs ORDER BY name")
                .fetch_all(app.state.db.pool())
                .await
                .unwrap();
        let now = app.clock().now();
        let at = |t: DateTime<Utc>| twolists::db::format_time(t);
        let monday = tuesday + Duration::days(6);
        assert_eq!(
            next,
            [
                ("alerts".to_owned(), at(now + Duration::minutes(1))),
                (
                    "daily-digest".to_owned(),
                    at(china_time(monday + Duration::days(1), 8))
                ),
                ("deadlines".to_owned(), at(now + Duration::minutes(10))),
                ("housekeeping".to_owned(), at(now + Duration::minutes(10))),
                (
                    "weekly-recommendations".to_owned(),
                    at(china_time(monday + Duration::days(7), 8))
                ),
            ]
        );
    }
);

crate::backend_test!(a_lease_left_by_a_dead_instance_runs_out, |backend| {
    let app = TestApp::at_time(backend, Utc::now()).await;
    // An instance took the job and died: its lease holds the job for the lease's length.
    let held = twolists::jobs::claim(
        &app.state.db,
        "deadlines",
        twolists::jobs::Schedule::Every(Duration::minutes(10)),
        app.clock().now(),
        Duration::minutes(15),
    )
    .await
    .unwrap();
    assert!(held.is_some());
    assert!(!app.state.scheduler.run_due().await.contains(&"deadlines"));
    app.clock().advance(Duration::minutes(16));
    assert!(app.state.scheduler.run_due().await.contains(&"deadlines"));
});

crate::backend_test!(
    a_scenario_past_its_deadline_closes_and_tells_unit_and_partners,
    |backend| {
        let app = TestApp::at_time(backend, Utc::now()).await;
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let partner = app.enterprise_user().await;
        let (input, deadline) = due_in(5);
        let scenario = scenario_in_with(&app, &unit, &admin, "PUBLISHED", input).await;
        let capability = listed_capability(&app, &partner, &admin, capability_input()).await;
        let applied = apply(&app, &partner, &scenario, &capability).await;

        // On the deadline itself it is still open; the day after, closed.
        app.clock().set(noon_in_china(deadline));
        app.state.scheduler.run_due().await;
        assert_eq!(
            status_in_db(&app, "scenarios", &scenario["id"]).await,
            "PUBLISHED"
        );
        app.clock().set(noon_in_china(deadline + Duration::days(1)));
        app.state.scheduler.run_due().await;
        assert_eq!(
            status_in_db(&app, "scenarios", &scenario["id"]).await,
            "CLOSED"
        );
        assert_eq!(
            status_in_db(&app, "matches", &applied["id"]).await,
            "NOT_SELECTED"
        );
        assert_eq!(
            app.count(&format!(
                "events WHERE aggregate_id = '{}' AND action = 'END'",
                applied["id"].as_str().unwrap()
            ))
            .await,
            1
        );

        let unit_heard = heard(&app, &unit).await;
        assert_eq!(
            unit_heard.last().map(String::as_str),
            Some("SCENARIO_EXPIRED")
        );
        let partner_heard = heard(&app, &partner).await;
        assert_eq!(
            partner_heard.last().map(String::as_str),
            Some("SCENARIO_ENDED")
        );
        assert!(
            !partner_heard.contains(&"MATCH_NOT_SELECTED".to_owned()),
            "{partner_heard:?}"
        );
        assert_eq!(emails_of_kind(&app, "SCENARIO_EXPIRED").await, 1);
        assert_eq!(emails_of_kind(&app, "SCENARIO_ENDED").await, 1);
    }
);

crate::backend_test!(closing_or_withdrawing_tells_each_partner_once, |backend| {
    let app = TestApp::at_time(backend, Utc::now()).await;
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let connected = app.enterprise_user().await;
    let waiting = app.enterprise_user().await;
    let declined = app.enterprise_user().await;
    for (action, note) in [
        ("CLOSE", "项目已由财政资金另行安排"),
        ("WITHDRAW", "需求调整"),
    ] {
        let scenario = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let mut matches = Vec::new();
        for user in [&connected, &waiting, &declined] {
            let capability = listed_capability(&app, user, &admin, capability_input()).await;
            matches.push(apply(&app, user, &scenario, &capability).await);
        }
        moderate(&app, &admin, &matches[0]["id"], "APPROVE", None).await;
        respond(&app, &unit, &matches[0]["id"], true).await;
        moderate(&app, &admin, &matches[2]["id"], "APPROVE", None).await;
        respond(&app, &unit, &matches[2]["id"], false).await;
        let before = app
            .count("notifications WHERE kind = 'SCENARIO_ENDED'")
            .await;
        mutate(
            &app,
            &unit,
            &transition_scenario_doc(),
            "transitionScenario",
            json!({ "id": scenario["id"], "action": action, "note": note }),
        )
        .await;
        // The two live matches' organizations, once each, with the unit's note; not the one
        // that had declined, nor the unit that acted.
        for user in [&connected, &waiting] {
            let ended = bodies(&app, user, "SCENARIO_ENDED").await;
            assert!(ended.last().unwrap().contains(note), "{ended:?}");
        }
        assert_eq!(
            app.count("notifications WHERE kind = 'SCENARIO_ENDED'")
                .await,
            before + 2,
            "{action}"
        );
        assert!(bodies(&app, &declined, "SCENARIO_ENDED").await.is_empty());
        assert!(bodies(&app, &unit, "SCENARIO_ENDED").await.is_empty());
    }
    assert_eq!(
        app.count("notifications WHERE kind = 'MATCH_NOT_SELECTED'")
            .await,
        0
    );
});

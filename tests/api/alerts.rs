//! Saved searches and alerts (README, "Saved searches and alerts"): a saved search hears of newly
//! published items its filter finds, and of no others; one digest per user and day, also with two
//! instances and after a restart; unsubscribe links that work once, without signing in, and
//! refuse forgeries; the weekly recommendations. Time moves on the application's clock.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::pages::post_form;
use crate::util::*;

const SAVE: &str = "mutation($input: SaveSearchInput!) { saveSearch(input: $input) \
    { savedSearch { id name list frequency filter } errors { field code message } } }";
const SAVED: &str =
    "{ savedSearches(first: 50) { totalCount edges { node { id name list frequency } } } }";
const UPDATE: &str = "mutation($input: UpdateSavedSearchInput!) { updateSavedSearch(input: $input) \
    { savedSearch { id name frequency } errors { field code } } }";
const DELETE: &str = "mutation($input: DeleteSavedSearchInput!) { deleteSavedSearch(input: $input) \
    { deletedId errors { code } } }";

async fn save(app: &TestApp, user: &TestUser, input: Value) -> Value {
    let saved = app.gql_as(user, SAVE, json!({ "input": input })).await;
    let payload = &saved["data"]["saveSearch"];
    assert_eq!(payload["errors"], json!([]), "{saved}");
    payload["savedSearch"].clone()
}

/// A published scenario the inspection-robot searches must not find: 文旅, in 平遥.
fn tourism_scenario() -> Value {
    let mut input = scenario_input();
    input["title"] = json!("平遥古城智慧导览服务场景");
    input["summary"] =
        json!("在平遥古城景区开放游客智慧导览与客流疏导场景，征集导览小程序与客流监测方案。");
    input["description"] =
        json!("面向古城主要街巷和景点，要求提供多语种语音导览、客流热力监测和预约分流能力。");
    input["industryCodes"] = json!(["WL01"]);
    input["tags"] = json!(["智慧导览", "客流监测"]);
    input["regionCode"] = json!("140728");
    input
}

/// (kind, text body) of every e-mail to `user` of `kind`, oldest first.
async fn emails_to(app: &TestApp, user: &TestUser, kind: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT text_body FROM email_outbox WHERE recipient = $1 AND kind = $2 ORDER BY created_at, id",
    )
    .bind(email_of(app, user).await)
    .bind(kind)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

async fn notifications_of(app: &TestApp, user: &TestUser, kind: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT title, subject_id FROM notifications WHERE user_id = $1 AND kind = $2 \
         ORDER BY created_at, id",
    )
    .bind(&user.id)
    .bind(kind)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

/// The unsubscribe link's token in an e-mail's text.
fn unsubscribe_token(text: &str) -> String {
    let start = text
        .find("/unsubscribe?token=")
        .expect("an unsubscribe link")
        + 19;
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

crate::backend_test!(
    a_saved_search_hears_of_matching_items_and_of_no_others,
    |backend| {
        let app = TestApp::at_time(backend, Utc::now()).await;
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let far_unit = app.gov_user_in("140728").await;
        let user = app.enterprise_user().await;
        let stranger = app.enterprise_user().await;
        let instant = save(
            &app,
            &user,
            json!({ "name": "巡检机器人", "frequency": "INSTANT",
        "opportunityFilter": { "query": "巡检机器人" } }),
        )
        .await;
        assert_eq!(instant["list"], "OPPORTUNITY");
        assert_eq!(instant["filter"], json!({ "query": "巡检机器人" }));
        save(
            &app,
            &user,
            json!({ "name": "榆次煤炭", "frequency": "DAILY",
        "opportunityFilter": { "industryCodes": ["MT"], "regionCodes": ["140702"] } }),
        )
        .await;
        save(
            &app,
            &user,
            json!({ "name": "巡检能力", "capabilityFilter": { "query": "巡检" } }),
        )
        .await;

        let robot = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let tourism =
            scenario_in_with(&app, &far_unit, &admin, "PUBLISHED", tourism_scenario()).await;
        // Not yet published: nobody hears of a draft.
        scenario_in(&app, &unit, &admin, "PENDING_REVIEW").await;
        assert_eq!(
            app.count("alert_queue").await,
            2,
            "the two publications queued"
        );

        assert!(app.state.scheduler.run_due().await.contains(&"alerts"));
        assert_eq!(app.count("alert_queue").await, 0);
        // The INSTANT search: one in-app notification, about the robot scenario.
        let told = notifications_of(&app, &user, "SAVED_SEARCH_MATCH").await;
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(told[0].1, robot["id"].as_str().unwrap());
        assert!(told[0].0.contains("巡检机器人"));
        // Both opportunity searches found the robot scenario; none found the tourism one, and the
        // capability search found nothing.
        let hits: Vec<(String, String)> = sqlx::query_as(
            "SELECT s.name, h.item_id FROM saved_search_hits h JOIN saved_searches s \
         ON s.id = h.saved_search_id ORDER BY s.name",
        )
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
        let robot_id = robot["id"].as_str().unwrap().to_owned();
        assert_eq!(
            hits,
            [
                ("巡检机器人".to_owned(), robot_id.clone()),
                ("榆次煤炭".to_owned(), robot_id.clone())
            ]
        );
        assert!(
            !hits
                .iter()
                .any(|(_, id)| id == tourism["id"].as_str().unwrap())
        );
        assert!(
            notifications_of(&app, &stranger, "SAVED_SEARCH_MATCH")
                .await
                .is_empty()
        );

        // A capability listed now is heard of by the capability search.
        let capability = capability_in(&app, &stranger, &admin, "LISTED").await;
        app.clock().advance(Duration::minutes(1));
        assert!(app.state.scheduler.run_due().await.contains(&"alerts"));
        assert_eq!(
            app.count(&format!(
                "saved_search_hits WHERE item_id = '{}'",
                capability["id"].as_str().unwrap()
            ))
            .await,
            1
        );

        // The daily digest at 08:00: one e-mail with every find, one in-app notification for the
        // DAILY search's find; nothing about the tourism scenario.
        let tomorrow = app.clock().today_in_china() + Duration::days(1);
        app.clock().set(china_time(tomorrow, 8));
        assert!(
            app.state
                .scheduler
                .run_due()
                .await
                .contains(&"daily-digest")
        );
        let digests = emails_to(&app, &user, "SAVED_SEARCH_DIGEST").await;
        assert_eq!(digests.len(), 1);
        assert!(
            digests[0].contains("煤矿井下巡检机器人应用场景"),
            "{}",
            digests[0]
        );
        assert!(digests[0].contains("【巡检能力】"), "{}", digests[0]);
        assert!(!digests[0].contains("平遥古城"), "{}", digests[0]);
        assert!(digests[0].contains(&format!("{tomorrow}")));
        assert_eq!(
            notifications_of(&app, &user, "SAVED_SEARCH_DIGEST")
                .await
                .len(),
            1
        );
        assert!(
            emails_to(&app, &stranger, "SAVED_SEARCH_DIGEST")
                .await
                .is_empty()
        );

        // The saved searches are the user's own.
        let listed = app.gql_as(&user, SAVED, json!(null)).await;
        assert_eq!(answered(&listed, "savedSearches")["totalCount"], 3);
        let theirs = app.gql_as(&stranger, SAVED, json!(null)).await;
        assert_eq!(answered(&theirs, "savedSearches")["totalCount"], 0);
    }
);

crate::backend_test!(
    one_digest_per_user_per_day_with_two_instances_and_after_a_restart,
    |backend| {
        let app = TestApp::at_time(backend, Utc::now()).await;
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let user = app.enterprise_user().await;
        save(
            &app,
            &user,
            json!({ "name": "煤矿", "opportunityFilter": { "industryCodes": ["MT"] } }),
        )
        .await;
        scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        app.state.scheduler.run_due().await;

        // Two instances look at the digest hour at once: one digest.
        let second = app.second_instance().await;
        let day = app.clock().today_in_china() + Duration::days(1);
        app.clock().set(china_time(day, 8));
        assert_eq!(
            run_due_on_both(&app, &second, "daily-digest").await,
            1,
            "one of the two instances ran it"
        );
        assert_eq!(emails_to(&app, &user, "SAVED_SEARCH_DIGEST").await.len(), 1);

        // A new find the same day, and a restarted instance: the job is not due again today, and
        // even run by hand for the same day it sends nothing; the find waits for tomorrow's digest.
        scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        app.clock().advance(Duration::hours(2));
        let restarted = app.second_instance().await;
        assert!(
            !restarted
                .state
                .scheduler
                .run_due()
                .await
                .contains(&"daily-digest")
        );
        let again = twolists::alerts::service::send_daily_digests(
            &app.state.db,
            &app.state.jwt,
            &day.to_string(),
            app.clock().now(),
        )
        .await
        .unwrap();
        assert_eq!(again, 0);
        assert_eq!(emails_to(&app, &user, "SAVED_SEARCH_DIGEST").await.len(), 1);

        // Down over the next digest hour: the first look after it sends that day's digest, once.
        app.clock().set(china_time(day + Duration::days(1), 15));
        assert!(
            restarted
                .state
                .scheduler
                .run_due()
                .await
                .contains(&"daily-digest")
        );
        assert!(
            !second
                .state
                .scheduler
                .run_due()
                .await
                .contains(&"daily-digest")
        );
        let digests = emails_to(&app, &user, "SAVED_SEARCH_DIGEST").await;
        assert_eq!(digests.len(), 2);
        assert!(
            digests[1].contains(&format!("{}", day + Duration::days(1))),
            "{}",
            digests[1]
        );
        assert_eq!(app.count("digests").await, 2);
    }
);

crate::backend_test!(
    unsubscribe_links_work_once_without_signing_in_and_refuse_forgeries,
    |backend| {
        let app = TestApp::at_time(backend, Utc::now()).await;
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let user = app.enterprise_user().await;
        save(
            &app,
            &user,
            json!({ "name": "煤矿", "opportunityFilter": { "industryCodes": ["MT"] } }),
        )
        .await;
        scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        app.state.scheduler.run_due().await;
        let day = app.clock().today_in_china() + Duration::days(1);
        app.clock().set(china_time(day, 8));
        app.state.scheduler.run_due().await;
        let digest = emails_to(&app, &user, "SAVED_SEARCH_DIGEST")
            .await
            .remove(0);
        let token = unsubscribe_token(&digest);

        // Opening the link changes nothing; the page asks for one click.
        let before = app.snapshot().await;
        let (status, form) = app.get(&format!("/unsubscribe?token={token}")).await;
        assert_eq!(status, 200);
        assert!(form.contains("确认退订"), "{form}");
        app.assert_unchanged(&before).await;

        // Forged: another key, an altered signature, an access token, nonsense. Nothing written.
        let other = twolists::auth::JwtKeys::from_secret(&[9u8; 32]).unwrap();
        let foreign = other.sign_link(&user.id, "SAVED_SEARCH_DIGEST", Utc::now());
        let mut altered = token.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        for forged in [
            foreign.as_str(),
            altered.as_str(),
            user.token.as_str(),
            "abc",
        ] {
            let (status, page) = post_form(&app, "/unsubscribe", &[("token", forged)]).await;
            assert_eq!(status, 400, "{page}");
            assert!(page.contains("退订链接无效或已过期"), "{page}");
            app.assert_unchanged(&before).await;
        }

        // The link: says what was turned off and for whom.
        let (status, done) = post_form(&app, "/unsubscribe", &[("token", &token)]).await;
        assert_eq!(status, 200, "{done}");
        let email = email_of(&app, &user).await;
        assert!(
            done.contains(&format!("已为 {email} 关闭「订阅搜索每日汇总」邮件")),
            "{done}"
        );
        let prefs = app
            .gql_as(&user, "{ emailPreferences { kind enabled } }", json!(null))
            .await;
        assert!(prefs["errors"].is_null(), "{prefs}");
        let digest_pref = prefs["data"]["emailPreferences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == "SAVED_SEARCH_DIGEST")
            .unwrap()
            .clone();
        assert_eq!(digest_pref["enabled"], false);

        // Used again: refused, nothing written.
        let before = app.snapshot().await;
        let (status, again) = post_form(&app, "/unsubscribe", &[("token", &token)]).await;
        assert_eq!(status, 410, "{again}");
        assert!(again.contains("已使用过"), "{again}");
        app.assert_unchanged(&before).await;

        // The next day's finds: in the app (a DAILY search), no e-mail.
        scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        app.state.scheduler.run_due().await;
        app.clock().set(china_time(day + Duration::days(1), 8));
        app.state.scheduler.run_due().await;
        assert_eq!(
            notifications_of(&app, &user, "SAVED_SEARCH_DIGEST")
                .await
                .len(),
            2
        );
        assert_eq!(emails_to(&app, &user, "SAVED_SEARCH_DIGEST").await.len(), 1);
    }
);

crate::db_test!(saved_searches_are_refused_what_does_not_fit, |app| {
    let user = app.enterprise_user().await;
    let other = app.enterprise_user().await;
    let attempt = |input: Value| {
        let app = &app;
        let user = user.clone();
        async move { app.try_gql_as(&user, SAVE, json!({ "input": input })).await }
    };
    let anonymous = app
        .try_gql(
            SAVE,
            json!({ "input": { "name": "x", "opportunityFilter": {} } }),
        )
        .await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let long_query = "煤".repeat(201);
    for (input, code, field) in [
        (json!({ "name": "两者皆无" }), "REQUIRED", Value::Null),
        (
            json!({ "name": "两者都给", "opportunityFilter": {}, "capabilityFilter": {} }),
            "REQUIRED",
            Value::Null,
        ),
        (
            json!({ "name": "  ", "opportunityFilter": {} }),
            "REQUIRED",
            json!(["name"]),
        ),
        (
            json!({ "name": "两\n行", "opportunityFilter": {} }),
            "INVALID",
            json!(["name"]),
        ),
        (
            json!({ "name": "名".repeat(41), "opportunityFilter": {} }),
            "TOO_LONG",
            json!(["name"]),
        ),
        (
            json!({ "name": "带状态", "opportunityFilter": { "statuses": ["CLOSED"] } }),
            "INVALID",
            json!(["opportunityFilter", "statuses"]),
        ),
        (
            json!({ "name": "太长", "capabilityFilter": { "query": long_query } }),
            "TOO_LONG",
            json!(["capabilityFilter", "query"]),
        ),
        (
            json!({ "name": "太多", "opportunityFilter": { "regionCodes": vec!["140702"; 51] } }),
            "TOO_LONG",
            json!(["opportunityFilter", "regionCodes"]),
        ),
    ] {
        let refused = attempt(input.clone()).await;
        let errors = &refused["data"]["saveSearch"]["errors"];
        assert_eq!(errors[0]["code"], code, "{input} {refused}");
        assert_eq!(errors[0]["field"], field, "{input}");
    }
    // At most 20 per user.
    for i in 0..20 {
        save(
            &app,
            &user,
            json!({ "name": format!("搜索{i}"), "opportunityFilter": {} }),
        )
        .await;
    }
    let over = attempt(json!({ "name": "第21个", "opportunityFilter": {} })).await;
    assert_eq!(
        over["data"]["saveSearch"]["errors"][0]["code"],
        "LIMIT_REACHED"
    );

    // Another's saved search is not found; its own changes.
    let theirs = save(
        &app,
        &other,
        json!({ "name": "别人的", "opportunityFilter": {} }),
    )
    .await;
    for (doc, input) in [
        (
            UPDATE,
            json!({ "id": theirs["id"], "frequency": "INSTANT" }),
        ),
        (DELETE, json!({ "id": theirs["id"] })),
    ] {
        let refused = app.try_gql_as(&user, doc, json!({ "input": input })).await;
        assert_eq!(error_code(&refused), Some("NOT_FOUND"), "{refused}");
    }
    let renamed = app
        .gql_as(
            &other,
            UPDATE,
            json!({ "input": { "id": theirs["id"], "name": "改名", "frequency": "INSTANT" } }),
        )
        .await;
    assert_eq!(
        renamed["data"]["updateSavedSearch"]["savedSearch"],
        json!({ "id": theirs["id"], "name": "改名", "frequency": "INSTANT" })
    );
    let blank = app
        .try_gql_as(
            &other,
            UPDATE,
            json!({ "input": { "id": theirs["id"], "name": "" } }),
        )
        .await;
    assert_eq!(
        blank["data"]["updateSavedSearch"]["errors"][0]["code"],
        "REQUIRED"
    );
    let deleted = app
        .gql_as(&other, DELETE, json!({ "input": { "id": theirs["id"] } }))
        .await;
    assert_eq!(
        deleted["data"]["deleteSavedSearch"]["deletedId"],
        theirs["id"]
    );
    assert_eq!(
        app.count(&format!("saved_searches WHERE user_id = '{}'", other.id))
            .await,
        0
    );
});

crate::backend_test!(
    the_weekly_digest_names_the_recommended_capability_and_why,
    |backend| {
        let app = TestApp::at_time(backend, Utc::now()).await;
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let provider = app.enterprise_user().await;
        let (colleague, _) = colleague_of(&app, &provider).await;
        let capability = capability_in(&app, &provider, &admin, "LISTED").await;
        let scenario = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        // The service is running: it has its jobs' schedule from now on.
        app.state.scheduler.run_due().await;

        // The next Monday at 08:00 in Jinzhong.
        let mut monday = today_in_china() + Duration::days(1);
        while chrono::Datelike::weekday(&monday) != chrono::Weekday::Mon {
            monday += Duration::days(1);
        }
        app.clock().set(china_time(monday, 8));
        let second = app.second_instance().await;
        assert_eq!(
            run_due_on_both(&app, &second, "weekly-recommendations").await,
            1,
            "one of the two instances ran it"
        );
        for member in [&provider, &colleague] {
            let weekly = emails_to(&app, member, "WEEKLY_RECOMMENDATIONS").await;
            assert_eq!(weekly.len(), 1, "each member once");
            assert!(
                weekly[0].contains(scenario["title"].as_str().unwrap()),
                "{}",
                weekly[0]
            );
            assert!(weekly[0].contains(&format!(
                "推荐贵单位的「{}」",
                capability["title"].as_str().unwrap()
            )));
            assert!(weekly[0].contains("推荐理由："), "{}", weekly[0]);
            assert!(weekly[0].contains("/unsubscribe?token="));
            assert_eq!(
                notifications_of(&app, member, "WEEKLY_RECOMMENDATIONS")
                    .await
                    .len(),
                1
            );
        }
        assert!(
            emails_to(&app, &unit, "WEEKLY_RECOMMENDATIONS")
                .await
                .is_empty()
        );

        // Unsubscribed from the weekly digest, the member says so and gets no more e-mail of it.
        let token =
            unsubscribe_token(&emails_to(&app, &provider, "WEEKLY_RECOMMENDATIONS").await[0]);
        let (status, done) = post_form(&app, "/unsubscribe", &[("token", &token)]).await;
        assert_eq!(status, 200);
        assert!(done.contains("「每周推荐场景」"), "{done}");
        // A scenario published during the second week (rows are stamped with the system's time,
        // which the test cannot move: the publication is moved into that week).
        let next = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        sqlx::query("UPDATE scenarios SET published_at = $1 WHERE id = $2")
            .bind(twolists::db::format_time(china_time(
                monday + Duration::days(3),
                10,
            )))
            .bind(next["id"].as_str().unwrap())
            .execute(app.state.db.pool())
            .await
            .unwrap();
        app.clock().set(china_time(monday + Duration::days(7), 8));
        app.state.scheduler.run_due().await;
        assert_eq!(
            emails_to(&app, &provider, "WEEKLY_RECOMMENDATIONS")
                .await
                .len(),
            1
        );
        assert_eq!(
            emails_to(&app, &colleague, "WEEKLY_RECOMMENDATIONS")
                .await
                .len(),
            2
        );
        assert_eq!(
            notifications_of(&app, &provider, "WEEKLY_RECOMMENDATIONS")
                .await
                .len(),
            2
        );
    }
);

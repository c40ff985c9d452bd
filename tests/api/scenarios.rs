use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{TestApp, answered, error_code, payload_codes};

async fn status_of(app: &TestApp, id: &Value) -> String {
    status_in_db(app, "scenarios", id).await
}

db_test!(a_unit_records_a_scenario_that_starts_discovered, |app| {
    let gov = app.gov_user().await;
    let mut input = scenario_input();
    input.as_object_mut().unwrap().remove("budgetMin");
    let scenario = create_scenario(&app, &gov, input).await;
    assert_eq!(scenario["status"], "DISCOVERED");
    assert_eq!(scenario["code"], Value::Null);
    assert_eq!(scenario["version"], 1);
    assert_eq!(
        scenario["region"]["code"], "140702",
        "defaults to the unit's region"
    );
    assert_eq!(scenario["publishingUnit"]["id"], json!(gov.org_id));
    assert_eq!(scenario["industryCodes"], json!(["MT04", "ZZ05"]));
    assert_eq!(scenario["timeline"][0]["action"], "CREATE");
    assert_eq!(scenario["timeline"][0]["actor"]["id"], json!(gov.id));
});

db_test!(only_government_units_and_admins_create_scenarios, |app| {
    let enterprise = app.enterprise_user().await;
    let admin = app.admin().await;
    let gov = app.gov_user().await;
    let doc = create_scenario_doc();
    let forbidden = app
        .try_gql_as(&enterprise, &doc, json!({ "input": scenario_input() }))
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
    let anonymous = app
        .try_gql(&doc, json!({ "input": scenario_input() }))
        .await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let other_unit = {
        let mut input = scenario_input();
        input["organizationId"] = json!(app.gov_user().await.org_id);
        app.try_gql_as(&gov, &doc, json!({ "input": input })).await
    };
    assert_eq!(
        error_code(&other_unit),
        Some("FORBIDDEN"),
        "not on behalf of another unit"
    );

    let no_unit = app
        .try_gql_as(&admin, &doc, json!({ "input": scenario_input() }))
        .await;
    assert_eq!(
        payload_codes(payload(&no_unit, "createScenario")),
        ["REQUIRED"]
    );
    let mut for_enterprise = scenario_input();
    for_enterprise["organizationId"] = json!(enterprise.org_id);
    let wrong_kind = app
        .try_gql_as(&admin, &doc, json!({ "input": for_enterprise }))
        .await;
    assert_eq!(
        payload_codes(payload(&wrong_kind, "createScenario")),
        ["INVALID"]
    );
    assert_eq!(app.count("scenarios").await, 0);

    let mut on_behalf = scenario_input();
    on_behalf["organizationId"] = json!(gov.org_id);
    let created = app
        .gql_as(&admin, &doc, json!({ "input": on_behalf }))
        .await;
    let scenario = &payload(&created, "createScenario")["scenario"];
    assert_eq!(scenario["publishingUnit"]["id"], json!(gov.org_id));
    assert_eq!(scenario["timeline"][0]["actor"]["id"], json!(admin.id));
});

db_test!(
    invalid_scenario_fields_are_refused_and_write_nothing,
    |app| {
        let gov = app.gov_user().await;
        let cases = [
            ("/title", json!("场".repeat(61)), "TOO_LONG", "title"),
            ("/summary", json!(""), "REQUIRED", "summary"),
            (
                "/description",
                json!("述".repeat(5001)),
                "TOO_LONG",
                "description",
            ),
            ("/industryCodes", json!([]), "REQUIRED", "industryCodes"),
            (
                "/industryCodes",
                json!(["XX99"]),
                "INVALID",
                "industryCodes",
            ),
            (
                "/tags",
                json!((0..11).map(|i| format!("标签{i}")).collect::<Vec<_>>()),
                "OUT_OF_RANGE",
                "tags",
            ),
            (
                "/tags",
                json!(["这是一个远远超过二十个字符长度限制的场景标签文字"]),
                "TOO_LONG",
                "tags",
            ),
            (
                "/regionCode",
                json!("140799"),
                "UNKNOWN_REGION",
                "regionCode",
            ),
            ("/budgetMin", json!(500), "OUT_OF_RANGE", "budgetMin"),
            ("/budgetMax", json!(-1), "OUT_OF_RANGE", "budgetMax"),
            (
                "/maturityRequired",
                json!(10),
                "OUT_OF_RANGE",
                "maturityRequired",
            ),
            ("/contact/phone", json!("12345"), "INVALID", "contact"),
        ];
        for (pointer, value, code, field) in cases {
            let mut input = scenario_input();
            set(&mut input, pointer, value);
            let response = app
                .try_gql_as(&gov, &create_scenario_doc(), json!({ "input": input }))
                .await;
            let p = payload(&response, "createScenario");
            assert_eq!(p["scenario"], Value::Null, "{pointer}");
            assert_eq!(payload_codes(p), [code], "{pointer}: {response}");
            assert_eq!(p["errors"][0]["field"][0], field, "{pointer}");
        }
        assert_eq!(app.count("scenarios").await, 0);
        assert_eq!(app.count("scenario_industries").await, 0);
        assert_eq!(
            app.count("events WHERE aggregate_type = 'SCENARIO'").await,
            0
        );
    }
);

db_test!(a_scenario_goes_from_discovery_to_publication, |app| {
    let gov = app.gov_user().await;
    let admin = app.admin().await;
    let mut input = scenario_input();
    input.as_object_mut().unwrap().remove("contact");
    let scenario = create_scenario(&app, &gov, input).await;
    let id = scenario["id"].clone();

    // Planning needs a contact.
    let incomplete = try_act(&app, Some(&gov), &id, "PLAN").await;
    assert_eq!(
        payload_codes(payload(&incomplete, "transitionScenario")),
        ["INCOMPLETE"]
    );
    let edited = app
        .gql_as(
            &gov,
            &update_scenario_doc(),
            json!({ "input": { "id": id, "expectedVersion": 1,
                "contact": { "name": "赵工", "phone": "13803541234" } } }),
        )
        .await;
    assert_eq!(payload(&edited, "updateScenario")["scenario"]["version"], 2);

    let planned = act(&app, &gov, &id, "PLAN").await;
    assert_eq!(planned["status"], "PLANNED");
    let submitted = act(&app, &gov, &id, "SUBMIT").await;
    assert_eq!(submitted["status"], "PENDING_REVIEW");

    let published = &review(&app, &admin, &id, "APPROVE", None).await;
    assert_eq!(published["status"], "PUBLISHED");
    // Codes carry the year of the calendar deadlines are written in: China's, not UTC's.
    let year = twolists::items::today_in_china().format("%Y").to_string();
    assert_eq!(published["code"], json!(format!("JZ-JH-{year}-0001")));
    assert!(published["publishedAt"].is_string());
    let actions: Vec<&str> = published["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["CREATE", "EDIT", "PLAN", "SUBMIT", "APPROVE"]);
    let approve = published["timeline"].as_array().unwrap().last().unwrap();
    assert_eq!(approve["fromStatus"], "PENDING_REVIEW");
    assert_eq!(approve["toStatus"], "PUBLISHED");
    assert_eq!(approve["actor"]["id"], json!(admin.id));

    // The public finds it by code, without the contact.
    let public = app
        .gql(&scenario_query_doc(), json!({ "code": published["code"] }))
        .await;
    assert_eq!(public["data"]["scenario"]["id"], id);
    assert_eq!(answered(&public, "scenario")["contact"], Value::Null);
});

db_test!(a_pending_unit_cannot_submit, |app| {
    let admin = app.admin().await;
    // A government unit that registered but is not verified yet.
    let gov = app.gov_user().await;
    sqlx::query("UPDATE organizations SET status = 'PENDING' WHERE id = $1")
        .bind(&gov.org_id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let planned = scenario_in(&app, &gov, &admin, "PLANNED").await;
    let refused = try_act(&app, Some(&gov), &planned["id"], "SUBMIT").await;
    assert_eq!(
        payload_codes(payload(&refused, "transitionScenario")),
        ["ORGANIZATION_NOT_VERIFIED"]
    );
    assert_eq!(status_of(&app, &planned["id"]).await, "PLANNED");
});

db_test!(
    reviews_are_for_admins_and_need_a_reason_to_send_back,
    |app| {
        let owner = app.gov_user().await;
        let admin = app.admin().await;
        let pending = scenario_in(&app, &owner, &admin, "PENDING_REVIEW").await;
        let id = &pending["id"];
        for user in [&owner, &app.enterprise_user().await] {
            let refused = try_review(&app, Some(user), id, "APPROVE", None).await;
            assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        }
        let anonymous = app
            .try_gql(
                &review_scenario_doc(),
                json!({ "input": { "id": id, "decision": "APPROVE" } }),
            )
            .await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));

        let no_reason = try_review(&app, Some(&admin), id, "REQUEST_CHANGES", Some("  ")).await;
        assert_eq!(
            payload_codes(payload(&no_reason, "reviewScenario")),
            ["REQUIRED"]
        );
        assert_eq!(status_of(&app, id).await, "PENDING_REVIEW");

        let scenario = &review(
            &app,
            &admin,
            id,
            "REQUEST_CHANGES",
            Some("请明确井下作业环境和验收指标"),
        )
        .await;
        assert_eq!(scenario["status"], "CHANGES_REQUESTED");
        assert_eq!(scenario["code"], Value::Null, "no code before approval");
        let last = scenario["timeline"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["note"], "请明确井下作业环境和验收指标");

        // The unit edits and resubmits; approving twice is refused the second time.
        let edited = app
        .gql_as(
            &owner,
            &update_scenario_doc(),
            json!({ "input": { "id": id, "expectedVersion": scenario["version"], "summary": "补充了验收指标的巡检场景。" } }),
        )
        .await;
        assert_eq!(
            payload(&edited, "updateScenario")["scenario"]["status"],
            "CHANGES_REQUESTED"
        );
        let resubmitted = act(&app, &owner, id, "SUBMIT").await;
        assert_eq!(resubmitted["status"], "PENDING_REVIEW");
        let approved = review(&app, &admin, id, "APPROVE", None).await;
        assert_eq!(approved["status"], "PUBLISHED");
        let again = try_review(&app, Some(&admin), id, "APPROVE", None).await;
        assert_eq!(
            payload_codes(payload(&again, "reviewScenario")),
            ["INVALID_TRANSITION"]
        );
        assert_eq!(app.count("code_counters").await, 1);

        let unknown = try_review(&app, Some(&admin), &json!("no-such-id"), "APPROVE", None).await;
        assert_eq!(error_code(&unknown), Some("NOT_FOUND"));
    }
);

db_test!(
    edits_need_an_editable_state_and_the_current_version,
    |app| {
        let owner = app.gov_user().await;
        let admin = app.admin().await;
        let planned = scenario_in(&app, &owner, &admin, "PLANNED").await;
        let stale = app
        .try_gql_as(
            &owner,
            &update_scenario_doc(),
            json!({ "input": { "id": planned["id"], "expectedVersion": 1, "title": "新标题" } }),
        )
        .await;
        assert_eq!(error_code(&stale), Some("CONFLICT"));

        let published = scenario_in(&app, &owner, &admin, "PUBLISHED").await;
        let locked = app
        .try_gql_as(
            &owner,
            &update_scenario_doc(),
            json!({ "input": { "id": published["id"], "expectedVersion": published["version"], "title": "新标题" } }),
        )
        .await;
        assert_eq!(
            payload_codes(payload(&locked, "updateScenario")),
            ["INVALID_TRANSITION"]
        );

        let other = app.gov_user().await;
        let foreign = app
        .try_gql_as(
            &other,
            &update_scenario_doc(),
            json!({ "input": { "id": planned["id"], "expectedVersion": planned["version"], "title": "新标题" } }),
        )
        .await;
        assert_eq!(
            error_code(&foreign),
            Some("NOT_FOUND"),
            "drafts of others do not exist for them"
        );
        let title: String = sqlx::query_scalar("SELECT title FROM scenarios WHERE id = $1")
            .bind(planned["id"].as_str().unwrap())
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        assert_eq!(title, "煤矿井下巡检机器人应用场景");

        // A stale expectedVersion on a transition is a conflict too.
        let stale_transition = app
        .try_gql_as(
            &owner,
            &transition_scenario_doc(),
            json!({ "input": { "id": planned["id"], "action": "SUBMIT", "expectedVersion": 1 } }),
        )
        .await;
        assert_eq!(error_code(&stale_transition), Some("CONFLICT"));
    }
);

db_test!(drafts_and_contacts_stay_private, |app| {
    let owner = app.gov_user().await;
    let other = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let admin = app.admin().await;
    let draft = scenario_in(&app, &owner, &admin, "PENDING_REVIEW").await;
    let vars = json!({ "id": draft["id"] });
    let doc = scenario_query_doc();
    assert_eq!(
        error_code(&app.try_gql(&doc, vars.clone()).await),
        Some("NOT_FOUND")
    );
    for outsider in [&other, &enterprise] {
        assert_eq!(
            error_code(&app.try_gql_as(outsider, &doc, vars.clone()).await),
            Some("NOT_FOUND")
        );
    }
    for insider in [&owner, &admin] {
        let seen = app.gql_as(insider, &doc, vars.clone()).await;
        assert_eq!(seen["data"]["scenario"]["contact"]["name"], "赵工");
    }

    let published = scenario_in(&app, &owner, &admin, "PUBLISHED").await;
    let vars = json!({ "id": published["id"] });
    let anonymous = app.try_gql(&doc, vars.clone()).await;
    assert_eq!(anonymous["data"]["scenario"]["status"], "PUBLISHED");
    assert_eq!(answered(&anonymous, "scenario")["contact"], Value::Null);
    let other_org = app.gql_as(&enterprise, &doc, vars.clone()).await;
    assert_eq!(answered(&other_org, "scenario")["contact"], Value::Null);
    let own = app.gql_as(&owner, &doc, vars).await;
    assert_eq!(own["data"]["scenario"]["contact"]["phone"], "0354-7223456");

    let neither = app.try_gql(&doc, json!({})).await;
    assert_eq!(error_code(&neither), Some("BAD_REQUEST"));
});

db_test!(concurrent_approvals_get_distinct_consecutive_codes, |app| {
    let owner = app.gov_user().await;
    let admins = [app.admin().await, app.admin().await, app.admin().await];
    let mut ids = Vec::new();
    for _ in 0..9 {
        ids.push(scenario_in(&app, &owner, &admins[0], "PENDING_REVIEW").await["id"].clone());
    }
    // Every admin approves every scenario at once: each scenario is approved exactly once.
    let doc = review_scenario_doc();
    let (app, doc) = (&app, &doc);
    let approvals = ids.iter().flat_map(|id| {
        admins.iter().map(move |admin| async move {
            let input = json!({ "input": { "id": id, "decision": "APPROVE" } });
            app.post_graphql(Some(&admin.token), doc, input).await.1
        })
    });
    let responses = futures_util::future::join_all(approvals).await;
    let approved = responses
        .iter()
        .filter(|r| r["data"]["reviewScenario"]["errors"] == json!([]))
        .count();
    assert_eq!(approved, ids.len(), "each scenario approved once");
    for r in &responses {
        let p = &r["data"]["reviewScenario"];
        if p["errors"] != json!([]) {
            // The losers either saw the scenario already published or lost the race mid-way.
            assert!(
                error_code(r) == Some("CONFLICT") || payload_codes(p) == ["INVALID_TRANSITION"],
                "{r}"
            );
        }
    }
    let mut codes: Vec<String> =
        sqlx::query_scalar("SELECT code FROM scenarios WHERE code IS NOT NULL")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    codes.sort();
    // Codes carry the year of the calendar deadlines are written in: China's, not UTC's.
    let year = twolists::items::today_in_china().format("%Y").to_string();
    let expected: Vec<String> = (1..=ids.len())
        .map(|n| format!("JZ-JH-{year}-{n:04}"))
        .collect();
    assert_eq!(codes, expected);
    assert_eq!(
        app.count("events WHERE action = 'APPROVE'").await,
        ids.len() as i64
    );
});

db_test!(
    published_scenarios_close_at_their_deadline_unless_matching,
    |app| {
        let owner = app.gov_user().await;
        let admin = app.admin().await;
        let expired = scenario_in(&app, &owner, &admin, "PUBLISHED").await;
        let matching = scenario_in(&app, &owner, &admin, "PUBLISHED").await;
        let open = scenario_in(&app, &owner, &admin, "PUBLISHED").await;
        sqlx::query("UPDATE scenarios SET deadline = '2026-01-10' WHERE id = $1 OR id = $2")
            .bind(expired["id"].as_str().unwrap())
            .bind(matching["id"].as_str().unwrap())
            .execute(app.state.db.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE scenarios SET status = 'MATCHING' WHERE id = $1")
            .bind(matching["id"].as_str().unwrap())
            .execute(app.state.db.pool())
            .await
            .unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 11).unwrap();
        let closed =
            twolists::scenarios::service::close_expired(&app.state.db, &app.state.index, today)
                .await
                .unwrap();
        assert_eq!(closed.len(), 1);
        assert_eq!(status_of(&app, &expired["id"]).await, "CLOSED");
        assert_eq!(status_of(&app, &matching["id"]).await, "MATCHING");
        assert_eq!(status_of(&app, &open["id"]).await, "PUBLISHED");
        let seen = app
            .gql(&scenario_query_doc(), json!({ "id": expired["id"] }))
            .await;
        let last = answered(&seen, "scenario")["timeline"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["action"], "EXPIRE");
        assert_eq!(last["actor"], Value::Null, "closed by the service itself");
        // Running it again changes nothing.
        assert!(
            twolists::scenarios::service::close_expired(&app.state.db, &app.state.index, today)
                .await
                .unwrap()
                .is_empty()
        );
    }
);

db_test!(
    published_scenarios_extend_deadlines_and_change_contacts,
    |app| {
        let owner = app.gov_user().await;
        let admin = app.admin().await;
        let published = scenario_in(&app, &owner, &admin, "PUBLISHED").await;
        let id = &published["id"];
        let extend = EXTEND_DEADLINE;
        let later = (chrono::Utc::now() + chrono::Duration::days(120))
            .date_naive()
            .to_string();
        let earlier = (chrono::Utc::now() + chrono::Duration::days(10))
            .date_naive()
            .to_string();
        let refused = app
            .try_gql_as(
                &owner,
                extend,
                json!({ "input": { "id": id, "deadline": earlier } }),
            )
            .await;
        assert_eq!(
            payload_codes(payload(&refused, "extendScenarioDeadline")),
            ["INVALID"]
        );
        let other = app.gov_user().await;
        let forbidden = app
            .try_gql_as(
                &other,
                extend,
                json!({ "input": { "id": id, "deadline": later } }),
            )
            .await;
        assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
        let extended = app
            .gql_as(
                &owner,
                extend,
                json!({ "input": { "id": id, "deadline": later } }),
            )
            .await;
        let scenario = &payload(&extended, "extendScenarioDeadline")["scenario"];
        assert_eq!(scenario["deadline"], json!(later));
        assert_eq!(
            scenario["timeline"].as_array().unwrap().last().unwrap()["action"],
            "EXTEND_DEADLINE"
        );

        let contact = CHANGE_CONTACT;
        let bad = app
            .try_gql_as(
                &owner,
                contact,
                json!({ "input": { "id": id, "contact": { "name": "钱主任", "phone": "abc" } } }),
            )
            .await;
        assert_eq!(
            payload_codes(payload(&bad, "updateScenarioContact")),
            ["INVALID"]
        );
        let changed = app
        .gql_as(&owner, contact, json!({ "input": { "id": id, "contact": { "name": "钱主任", "phone": "13912345678" } } }))
        .await;
        assert_eq!(
            payload(&changed, "updateScenarioContact")["scenario"]["contact"],
            json!({ "name": "钱主任", "phone": "13912345678", "email": null })
        );

        let draft = scenario_in(&app, &owner, &admin, "PLANNED").await;
        let not_published = app
            .try_gql_as(
                &owner,
                extend,
                json!({ "input": { "id": draft["id"], "deadline": later } }),
            )
            .await;
        assert_eq!(
            payload_codes(payload(&not_published, "extendScenarioDeadline")),
            ["INVALID_TRANSITION"]
        );
    }
);

// Scenarios past 对接 are listed for anyone by stage; drafts and reviews only for admins. The
// 晋中优秀方案 list is the capability list narrowed to FEATURED.
db_test!(
    the_lists_show_any_public_stage_and_admins_every_state,
    |app| {
        let owner = app.gov_user().await;
        let enterprise = app.enterprise_user().await;
        let admin = app.admin().await;
        for status in [
            "PLANNED",
            "PENDING_REVIEW",
            "PUBLISHED",
            "MATCHING",
            "IMPLEMENTING",
            "LANDED",
            "PROMOTED",
            "CLOSED",
        ] {
            scenario_in(&app, &owner, &admin, status).await;
        }
        create_capability(&app, &enterprise, capability_input()).await;
        const SCENARIOS: &str = "query($s: [ScenarioStatus!]) { opportunityList(filter: { statuses: $s }) { totalCount edges { node { status } } } }";
        const CAPABILITIES: &str = "query($s: [CapabilityStatus!]) { capabilityList(filter: { statuses: $s }) { totalCount edges { node { status } } } }";
        let statuses = |response: &Value, list: &str| -> Vec<String> {
            let mut found: Vec<String> = response["data"][list]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["status"].as_str().unwrap().to_owned())
                .collect();
            found.sort();
            found
        };

        let live = app.gql(SCENARIOS, json!({})).await;
        assert_eq!(
            statuses(&live, "opportunityList"),
            ["MATCHING", "PUBLISHED"]
        );
        let later = app
            .gql(
                SCENARIOS,
                json!({ "s": ["IMPLEMENTING", "LANDED", "PROMOTED", "CLOSED"] }),
            )
            .await;
        assert_eq!(
            statuses(&later, "opportunityList"),
            ["CLOSED", "IMPLEMENTING", "LANDED", "PROMOTED"]
        );
        for user in [None, Some(&owner), Some(&enterprise)] {
            let vars = json!({ "s": ["PUBLISHED", "PENDING_REVIEW"] });
            let refused = match user {
                Some(user) => app.try_gql_as(user, SCENARIOS, vars).await,
                None => app.try_gql(SCENARIOS, vars).await,
            };
            assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
        }
        // A status repeated is asked for once; a list longer than any list argument may be is
        // refused before any work.
        let repeated = app
            .gql(SCENARIOS, json!({ "s": vec!["LANDED"; 100] }))
            .await;
        assert_eq!(statuses(&repeated, "opportunityList"), ["LANDED"]);
        let huge = app
            .try_gql(SCENARIOS, json!({ "s": vec!["LANDED"; 50_000] }))
            .await;
        assert_eq!(error_code(&huge), Some("BAD_REQUEST"), "{huge}");
        let drafts = app
            .gql_as(
                &admin,
                SCENARIOS,
                json!({ "s": ["PLANNED", "PENDING_REVIEW"] }),
            )
            .await;
        assert_eq!(
            statuses(&drafts, "opportunityList"),
            ["PENDING_REVIEW", "PLANNED"]
        );

        // Each late stage brought a listed capability; promotion made one of them FEATURED.
        let featured = app.gql(CAPABILITIES, json!({ "s": ["FEATURED"] })).await;
        assert_eq!(statuses(&featured, "capabilityList"), ["FEATURED"]);
        let live = app.gql(CAPABILITIES, json!({})).await;
        assert_eq!(
            statuses(&live, "capabilityList"),
            ["FEATURED", "LISTED", "LISTED", "LISTED"]
        );
        let refused = app.try_gql(CAPABILITIES, json!({ "s": ["DRAFT"] })).await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
        let drafts = app
            .gql_as(&admin, CAPABILITIES, json!({ "s": ["DRAFT"] }))
            .await;
        assert_eq!(statuses(&drafts, "capabilityList"), ["DRAFT"]);
    }
);

use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{answered, error_code, payload_codes};

const UPDATE: &str = UPDATE_CAPABILITY;
const FEATURE: &str = FEATURE_CAPABILITY;
const LIST: &str = r#"
query($filter: CapabilityFilter, $orderBy: CapabilityOrderBy, $first: Int, $after: String) {
  capabilityList(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id title status maturity contact { name } provider { name } } }
  }
}"#;
const CAPABILITY: &str = CAPABILITY_CONTACT;

db_test!(a_capability_goes_from_draft_to_featured, |app| {
    let enterprise = app.enterprise_user().await;
    let admin = app.admin().await;
    let draft = create_capability(&app, &enterprise, capability_input()).await;
    assert_eq!(draft["status"], "DRAFT");
    assert_eq!(draft["serviceRegionCodes"], json!(["140700"]));
    assert_eq!(draft["cases"][0]["year"], 2024);

    let listed = listed_capability(&app, &enterprise, &admin, capability_input()).await;
    assert_eq!(listed["status"], "LISTED");
    // Codes carry the year of the calendar deadlines are written in: China's, not UTC's.
    let year = twolists::items::today_in_china().format("%Y").to_string();
    assert_eq!(listed["code"], json!(format!("JZ-NL-{year}-0001")));
    assert!(listed["listedAt"].is_string());

    for user in [&enterprise, &app.gov_user().await] {
        let refused = app
            .try_gql_as(user, FEATURE, json!({ "input": { "id": listed["id"] } }))
            .await;
        assert_eq!(error_code(&refused), Some("FORBIDDEN"));
    }
    let featured = app
        .gql_as(
            &admin,
            FEATURE,
            json!({ "input": { "id": listed["id"], "note": "入选2026年晋中优秀方案" } }),
        )
        .await;
    assert_eq!(
        featured["data"]["featureCapability"]["capability"]["status"],
        "FEATURED"
    );
    let again = app
        .try_gql_as(&admin, FEATURE, json!({ "input": { "id": listed["id"] } }))
        .await;
    assert_eq!(
        payload_codes(&again["data"]["featureCapability"]),
        ["INVALID_TRANSITION"]
    );
    let unlisted = app
        .try_gql_as(&admin, FEATURE, json!({ "input": { "id": draft["id"] } }))
        .await;
    assert_eq!(
        payload_codes(&unlisted["data"]["featureCapability"]),
        ["INVALID_TRANSITION"]
    );
});

db_test!(only_enterprises_and_admins_create_capabilities, |app| {
    let gov = app.gov_user().await;
    let admin = app.admin().await;
    let enterprise = app.enterprise_user().await;
    let doc = create_capability_doc();
    let forbidden = app
        .try_gql_as(&gov, &doc, json!({ "input": capability_input() }))
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
    let anonymous = app
        .try_gql(&doc, json!({ "input": capability_input() }))
        .await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let mut for_gov = capability_input();
    for_gov["organizationId"] = json!(gov.org_id);
    let wrong_kind = app
        .try_gql_as(&admin, &doc, json!({ "input": for_gov }))
        .await;
    assert_eq!(
        payload_codes(&wrong_kind["data"]["createCapability"]),
        ["INVALID"]
    );
    let mut for_enterprise = capability_input();
    for_enterprise["organizationId"] = json!(enterprise.org_id);
    let created = app
        .gql_as(&admin, &doc, json!({ "input": for_enterprise }))
        .await;
    assert_eq!(
        created["data"]["createCapability"]["capability"]["provider"]["id"],
        json!(enterprise.org_id)
    );
    assert_eq!(app.count("capabilities").await, 1);
});

db_test!(
    invalid_capability_fields_are_refused_and_write_nothing,
    |app| {
        let enterprise = app.enterprise_user().await;
        let cases = [
            ("/maturity", json!(0), "OUT_OF_RANGE", "maturity"),
            ("/maturity", Value::Null, "REQUIRED", "maturity"),
            ("/priceMin", json!(500), "OUT_OF_RANGE", "priceMin"),
            (
                "/serviceRegionCodes",
                json!(["999999"]),
                "UNKNOWN_REGION",
                "serviceRegionCodes",
            ),
            (
                "/serviceRegionCodes",
                json!([]),
                "REQUIRED",
                "serviceRegionCodes",
            ),
            ("/cases/0/year", json!(1980), "OUT_OF_RANGE", "cases"),
            ("/cases/0/client", json!(""), "REQUIRED", "cases"),
            (
                "/industryCodes",
                json!(["NOPE"]),
                "INVALID",
                "industryCodes",
            ),
            ("/title", json!("能".repeat(61)), "TOO_LONG", "title"),
        ];
        for (pointer, value, code, field) in cases {
            let mut input = capability_input();
            set(&mut input, pointer, value);
            let response = app
                .try_gql_as(
                    &enterprise,
                    &create_capability_doc(),
                    json!({ "input": input }),
                )
                .await;
            let p = &response["data"]["createCapability"];
            assert_eq!(payload_codes(p), [code], "{pointer}: {response}");
            assert_eq!(p["errors"][0]["field"][0], field, "{pointer}");
        }
        assert_eq!(app.count("capabilities").await, 0);
        assert_eq!(app.count("capability_regions").await, 0);
    }
);

db_test!(
    submitting_needs_a_verified_organization_and_a_contact,
    |app| {
        let pending = app.pending_enterprise_user().await;
        let draft = create_capability(&app, &pending, capability_input()).await;
        let refused = app
            .try_gql_as(
                &pending,
                &transition_capability_doc(),
                json!({ "input": { "id": draft["id"], "action": "SUBMIT" } }),
            )
            .await;
        assert_eq!(
            payload_codes(&refused["data"]["transitionCapability"]),
            ["ORGANIZATION_NOT_VERIFIED"]
        );

        let verified = app.enterprise_user().await;
        let mut input = capability_input();
        input.as_object_mut().unwrap().remove("contact");
        let no_contact = create_capability(&app, &verified, input).await;
        let refused = app
            .try_gql_as(
                &verified,
                &transition_capability_doc(),
                json!({ "input": { "id": no_contact["id"], "action": "SUBMIT" } }),
            )
            .await;
        assert_eq!(
            payload_codes(&refused["data"]["transitionCapability"]),
            ["INCOMPLETE"]
        );
        assert_eq!(app.count("capabilities WHERE status = 'DRAFT'").await, 2);
    }
);

db_test!(editing_a_listed_capability_sends_it_back_to_review, |app| {
    let enterprise = app.enterprise_user().await;
    let admin = app.admin().await;
    let listed = listed_capability(&app, &enterprise, &admin, capability_input()).await;
    let edited = app
        .gql_as(&enterprise, UPDATE, json!({ "input": { "id": listed["id"], "expectedVersion": listed["version"], "title": "矿用防爆巡检机器人系统（第二代）" } }))
        .await;
    let capability = &edited["data"]["updateCapability"]["capability"];
    assert_eq!(capability["status"], "PENDING_REVIEW");
    assert_eq!(capability["code"], listed["code"], "the code stays");
    let public = app.try_gql(CAPABILITY, json!({ "id": listed["id"] })).await;
    assert_eq!(
        error_code(&public),
        Some("NOT_FOUND"),
        "off the public list while under review"
    );

    let stale = app
        .try_gql_as(&enterprise, UPDATE, json!({ "input": { "id": listed["id"], "expectedVersion": listed["version"], "title": "旧版本" } }))
        .await;
    assert_eq!(error_code(&stale), Some("CONFLICT"));

    let review = app
        .try_gql_as(
            &admin,
            &review_capability_doc(),
            json!({ "input": { "id": listed["id"], "decision": "APPROVE" } }),
        )
        .await;
    assert_eq!(
        review["data"]["reviewCapability"]["capability"]["code"],
        listed["code"]
    );
    assert_eq!(app.count("code_counters").await, 1);

    let archived = app
        .gql_as(
            &enterprise,
            &transition_capability_doc(),
            json!({ "input": { "id": listed["id"], "action": "ARCHIVE" } }),
        )
        .await;
    assert_eq!(
        archived["data"]["transitionCapability"]["capability"]["status"],
        "ARCHIVED"
    );
    let locked = app
        .try_gql_as(&enterprise, UPDATE, json!({ "input": { "id": listed["id"], "expectedVersion": archived["data"]["transitionCapability"]["capability"]["version"], "title": "归档后修改" } }))
        .await;
    assert_eq!(
        payload_codes(&locked["data"]["updateCapability"]),
        ["INVALID_TRANSITION"]
    );
    let resubmit = app
        .try_gql_as(
            &enterprise,
            &transition_capability_doc(),
            json!({ "input": { "id": listed["id"], "action": "SUBMIT" } }),
        )
        .await;
    assert_eq!(
        payload_codes(&resubmit["data"]["transitionCapability"]),
        ["INVALID_TRANSITION"]
    );
});

db_test!(other_organizations_cannot_touch_a_capability, |app| {
    let owner = app.enterprise_user().await;
    let other = app.enterprise_user().await;
    let admin = app.admin().await;
    let draft = create_capability(&app, &owner, capability_input()).await;
    let listed = listed_capability(&app, &owner, &admin, capability_input()).await;
    let submit = |id: &Value| json!({ "input": { "id": id, "action": "ARCHIVE" } });
    let hidden = app
        .try_gql_as(&other, &transition_capability_doc(), submit(&draft["id"]))
        .await;
    assert_eq!(error_code(&hidden), Some("NOT_FOUND"));
    let forbidden = app
        .try_gql_as(&other, &transition_capability_doc(), submit(&listed["id"]))
        .await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
    let anonymous = app
        .try_gql(&transition_capability_doc(), submit(&listed["id"]))
        .await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    let review = app
        .try_gql_as(
            &owner,
            &review_capability_doc(),
            json!({ "input": { "id": draft["id"], "decision": "APPROVE" } }),
        )
        .await;
    assert_eq!(error_code(&review), Some("FORBIDDEN"));
    assert_eq!(app.count("capabilities WHERE status = 'LISTED'").await, 1);

    // Contacts: owner and admins only.
    let public = app.try_gql(CAPABILITY, json!({ "id": listed["id"] })).await;
    assert_eq!(answered(&public, "capability")["contact"], Value::Null);
    let seen_by_other = app
        .gql_as(&other, CAPABILITY, json!({ "id": listed["id"] }))
        .await;
    assert_eq!(
        answered(&seen_by_other, "capability")["contact"],
        Value::Null
    );
    for insider in [&owner, &admin] {
        let seen = app
            .gql_as(insider, CAPABILITY, json!({ "code": listed["code"] }))
            .await;
        assert_eq!(seen["data"]["capability"]["contact"]["name"], "孙经理");
    }
});

db_test!(the_capability_list_filters_and_pages, |app| {
    let enterprise = app.enterprise_user().await;
    let admin = app.admin().await;
    let specs = [
        ("井下巡检机器人", "MT04", vec!["140700"], 8, 60, 240),
        ("光伏电站运维无人机", "XN01", vec!["140725"], 7, 20, 80),
        ("古城客流数字孪生平台", "WL04", vec!["140728"], 6, 100, 500),
        (
            "有机旱作墒情监测",
            "NY01",
            vec!["140721", "140722"],
            5,
            5,
            30,
        ),
    ];
    for (title, industry, regions, maturity, min, max) in &specs {
        let mut input = capability_input();
        input["title"] = json!(title);
        input["industryCodes"] = json!([industry]);
        input["serviceRegionCodes"] = json!(regions);
        input["maturity"] = json!(maturity);
        input["priceMin"] = json!(min);
        input["priceMax"] = json!(max);
        listed_capability(&app, &enterprise, &admin, input).await;
    }
    create_capability(&app, &enterprise, capability_input()).await; // a draft, never listed

    let all = app.gql(LIST, json!({})).await;
    assert_eq!(all["data"]["capabilityList"]["totalCount"], 4);
    assert_eq!(
        all["data"]["capabilityList"]["edges"][0]["node"]["contact"],
        Value::Null
    );

    let by = |filter: Value| app.gql(LIST, json!({ "filter": filter, "orderBy": "MATURITY" }));
    assert_eq!(
        titles(&by(json!({ "industryCodes": ["MT"] })).await),
        ["井下巡检机器人"]
    );
    assert_eq!(
        titles(&by(json!({ "regionGroup": "DONGSHAN" })).await),
        ["井下巡检机器人", "光伏电站运维无人机", "有机旱作墒情监测"],
        "the whole city serves every county"
    );
    assert_eq!(
        titles(&by(json!({ "regionCodes": ["140728"] })).await),
        ["井下巡检机器人", "古城客流数字孪生平台"]
    );
    assert_eq!(
        titles(&by(json!({ "budgetMin": 90, "budgetMax": 150 })).await),
        ["井下巡检机器人", "古城客流数字孪生平台"]
    );
    assert_eq!(
        titles(&by(json!({ "maturityAtLeast": 7 })).await),
        ["井下巡检机器人", "光伏电站运维无人机"]
    );
    let by_price = app
        .gql(LIST, json!({ "orderBy": "PRICE", "first": 2 }))
        .await;
    assert_eq!(
        titles(&by_price),
        ["有机旱作墒情监测", "光伏电站运维无人机"]
    );
    let next = app
        .gql(LIST, json!({ "orderBy": "PRICE", "first": 2, "after": by_price["data"]["capabilityList"]["pageInfo"]["endCursor"] }))
        .await;
    assert_eq!(titles(&next), ["井下巡检机器人", "古城客流数字孪生平台"]);
    assert_eq!(
        next["data"]["capabilityList"]["pageInfo"]["hasNextPage"],
        false
    );

    let mine = app
        .gql_as(&enterprise, "{ myCapabilities { totalCount } }", json!({}))
        .await;
    assert_eq!(mine["data"]["myCapabilities"]["totalCount"], 5);
    let drafts = app
        .gql_as(
            &enterprise,
            "{ myCapabilities(status: DRAFT) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(drafts["data"]["myCapabilities"]["totalCount"], 1);
});

db_test!(a_list_reads_each_description_it_is_asked_for, |app| {
    // The lists leave the long description out of their query unless the document selects it
    // (tests/query_count.rs counts the statements); selected, it is each item's own.
    let enterprise = app.enterprise_user().await;
    let admin = app.admin().await;
    let mut second = capability_input();
    second["title"] = json!("光伏电站智能清洗机器人");
    second["description"] = json!("履带式光伏板清洗机器人，无水作业，适合山地光伏电站。");
    listed_capability(&app, &enterprise, &admin, capability_input()).await;
    listed_capability(&app, &enterprise, &admin, second.clone()).await;
    let expected = json!([
        { "title": second["title"], "text": second["description"] },
        { "title": capability_input()["title"], "text": capability_input()["description"] },
    ]);
    for doc in [
        "{ capabilityList { nodes { title text: description } } }",
        "{ capabilityList { edges { node { ...Long } } } } \
         fragment Long on Capability { title text: description }",
    ] {
        let response = app.gql(doc, json!({})).await;
        let list = answered(&response, "capabilityList");
        let items = match list.get("nodes") {
            Some(nodes) => nodes.clone(),
            None => json!(
                list["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"].clone())
                    .collect::<Vec<Value>>()
            ),
        };
        assert_eq!(items, expected, "{doc}");
    }
    let response = app
        .gql("{ capabilityList { nodes { title } } }", json!({}))
        .await;
    assert_eq!(
        answered(&response, "capabilityList")["nodes"],
        json!([{ "title": second["title"] }, { "title": capability_input()["title"] }])
    );
});

use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::VERIFY_ORGANIZATION as VERIFY;
use crate::util::{error_code, payload_codes};

const ORGANIZATION: &str = r#"
query Org($id: ID!) { organization(id: $id) { id name kind status region { code } } }"#;

const ORGANIZATIONS: &str = r#"
query Orgs($filter: OrganizationFilter, $first: Int, $after: String) {
  organizations(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id name status kind } }
  }
}"#;

const UPDATE: &str = r#"
mutation Update($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) { organization { id name version region { code } } errors { field code } }
}"#;

async fn status_of(app: &crate::util::TestApp, org_id: &str) -> String {
    sqlx::query_scalar("SELECT status FROM organizations WHERE id = $1")
        .bind(org_id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

db_test!(admin_verifies_a_pending_organization_once, |app| {
    let admin = app.admin().await;
    let pending = app.pending_enterprise_user().await;
    let response = app
        .try_gql_as(&admin, VERIFY, json!({ "id": pending.org_id }))
        .await;
    let payload = &response["data"]["verifyOrganization"];
    assert_eq!(payload["errors"], json!([]));
    assert_eq!(payload["organization"]["status"], "VERIFIED");
    assert!(payload["organization"]["verifiedAt"].is_string());
    assert_eq!(
        app.count("events WHERE action = 'VERIFY' AND to_status = 'VERIFIED'")
            .await,
        1
    );

    let again = app
        .try_gql_as(&admin, VERIFY, json!({ "id": pending.org_id }))
        .await;
    let payload = &again["data"]["verifyOrganization"];
    assert_eq!(payload_codes(payload), ["INVALID_TRANSITION"]);
    assert!(
        payload["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("已认证")
    );
    assert_eq!(app.count("events WHERE action = 'VERIFY'").await, 1);
});

db_test!(only_admins_verify_organizations, |app| {
    let pending = app.pending_enterprise_user().await;
    let gov = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    for user in [&gov, &enterprise, &pending] {
        let response = app
            .try_gql_as(user, VERIFY, json!({ "id": pending.org_id }))
            .await;
        assert_eq!(error_code(&response), Some("FORBIDDEN"));
        assert_eq!(response["data"], Value::Null);
    }
    let anonymous = app.try_gql(VERIFY, json!({ "id": pending.org_id })).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
    assert_eq!(status_of(&app, &pending.org_id).await, "PENDING");
    assert_eq!(app.count("events WHERE action = 'VERIFY'").await, 0);

    let admin = app.admin().await;
    let unknown = app
        .try_gql_as(&admin, VERIFY, json!({ "id": "no-such-org" }))
        .await;
    assert_eq!(error_code(&unknown), Some("NOT_FOUND"));
    assert_eq!(unknown["errors"][0]["message"], "对象不存在");
});

db_test!(
    pending_organizations_are_seen_only_by_members_and_admins,
    |app| {
        let pending = app.pending_enterprise_user().await;
        let other = app.enterprise_user().await;
        let admin = app.admin().await;
        let vars = json!({ "id": pending.org_id });

        assert_eq!(
            error_code(&app.try_gql(ORGANIZATION, vars.clone()).await),
            Some("NOT_FOUND")
        );
        assert_eq!(
            error_code(&app.try_gql_as(&other, ORGANIZATION, vars.clone()).await),
            Some("NOT_FOUND")
        );
        for viewer in [&pending, &admin] {
            let seen = app.gql_as(viewer, ORGANIZATION, vars.clone()).await;
            assert_eq!(seen["data"]["organization"]["status"], "PENDING");
        }
        // Verified organizations are public.
        let public = app.gql(ORGANIZATION, json!({ "id": other.org_id })).await;
        assert_eq!(public["data"]["organization"]["kind"], "ENTERPRISE");
    }
);

db_test!(organization_lists_page_and_filter, |app| {
    for _ in 0..3 {
        app.enterprise_user().await;
    }
    app.gov_user().await;
    let pending = app.pending_enterprise_user().await;
    let admin = app.admin().await;

    // The public sees the four verified organizations, never the operator or the pending one.
    let page1 = app.gql(ORGANIZATIONS, json!({ "first": 3 })).await;
    let conn = &page1["data"]["organizations"];
    assert_eq!(conn["totalCount"], 4);
    assert_eq!(conn["edges"].as_array().unwrap().len(), 3);
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    assert_eq!(conn["pageInfo"]["hasPreviousPage"], false);
    let page2 = app
        .gql(
            ORGANIZATIONS,
            json!({ "first": 3, "after": conn["pageInfo"]["endCursor"] }),
        )
        .await;
    let conn2 = &page2["data"]["organizations"];
    assert_eq!(conn2["edges"].as_array().unwrap().len(), 1);
    assert_eq!(conn2["pageInfo"]["hasNextPage"], false);
    assert_eq!(conn2["pageInfo"]["hasPreviousPage"], true);
    let mut ids: Vec<Value> = conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .chain(conn2["edges"].as_array().unwrap())
        .map(|e| e["node"]["id"].clone())
        .collect();
    ids.sort_by_key(|v| v.to_string());
    ids.dedup();
    assert_eq!(ids.len(), 4, "pages do not overlap");
    assert!(!ids.contains(&json!(pending.org_id)));

    let govs = app
        .gql(ORGANIZATIONS, json!({ "filter": { "kind": "GOVERNMENT" } }))
        .await;
    assert_eq!(govs["data"]["organizations"]["totalCount"], 1);
    let by_name = app
        .gql(
            ORGANIZATIONS,
            json!({ "filter": { "nameContains": "工业和信息化" } }),
        )
        .await;
    assert_eq!(by_name["data"]["organizations"]["totalCount"], 1);
    let wildcard = app
        .gql(ORGANIZATIONS, json!({ "filter": { "nameContains": "%" } }))
        .await;
    assert_eq!(
        wildcard["data"]["organizations"]["totalCount"], 0,
        "LIKE wildcards are literal"
    );

    // Asking for pending ones as the public still shows verified ones only.
    let sneaky = app
        .gql(ORGANIZATIONS, json!({ "filter": { "status": "PENDING" } }))
        .await;
    assert_eq!(sneaky["data"]["organizations"]["totalCount"], 0);
    // The pending organization's own member sees it; the admin's queue shows it.
    let own = app
        .gql_as(
            &pending,
            ORGANIZATIONS,
            json!({ "filter": { "status": "PENDING" } }),
        )
        .await;
    assert_eq!(own["data"]["organizations"]["totalCount"], 1);
    let queue = app
        .gql_as(
            &admin,
            ORGANIZATIONS,
            json!({ "filter": { "status": "PENDING" } }),
        )
        .await;
    assert_eq!(queue["data"]["organizations"]["totalCount"], 1);
    assert_eq!(
        queue["data"]["organizations"]["edges"][0]["node"]["id"],
        json!(pending.org_id)
    );
});

db_test!(page_size_and_cursor_are_checked, |app| {
    let too_many = app.try_gql(ORGANIZATIONS, json!({ "first": 101 })).await;
    assert_eq!(error_code(&too_many), Some("BAD_REQUEST"));
    let forged = app
        .try_gql(ORGANIZATIONS, json!({ "after": "bm90LWEtY3Vyc29y" }))
        .await;
    assert_eq!(error_code(&forged), Some("BAD_REQUEST"));
});

db_test!(
    members_update_their_organization_with_the_current_version,
    |app| {
        let member = app.enterprise_user().await;
        let outsider = app.enterprise_user().await;
        // The region (the name of a verified organization is an admin's: see hardening.rs).
        let input = |version: i64, region: &str| json!({ "input": { "id": member.org_id, "expectedVersion": version, "regionCode": region } });

        let forbidden = app.try_gql_as(&outsider, UPDATE, input(1, "140703")).await;
        assert_eq!(error_code(&forbidden), Some("FORBIDDEN"));
        let anonymous = app.try_gql(UPDATE, input(1, "140703")).await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
        let bad_region = app.try_gql_as(&member, UPDATE, input(1, "999999")).await;
        assert_eq!(
            payload_codes(&bad_region["data"]["updateOrganization"]),
            ["UNKNOWN_REGION"]
        );

        let updated = app.gql_as(&member, UPDATE, input(1, "140703")).await;
        let org = &updated["data"]["updateOrganization"]["organization"];
        assert_eq!(org["region"]["code"], "140703");
        assert_eq!(org["version"], 2);

        let stale = app.try_gql_as(&member, UPDATE, input(1, "140702")).await;
        assert_eq!(error_code(&stale), Some("CONFLICT"));
        let region: String =
            sqlx::query_scalar("SELECT region_code FROM organizations WHERE id = $1")
                .bind(&member.org_id)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        assert_eq!(region, "140703", "the stale write changed nothing");
    }
);

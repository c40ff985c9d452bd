//! Several people per organization (README, "Members"), and the organization lifecycle
//! ("Organization lifecycle"): invitations through the account page, the manager role, removal
//! that ends access at once, and rejected or suspended organizations that may read but not act.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{PASSWORD, TestApp, TestUser, answered, error_code, payload_codes, unique};

const ME: &str = "{ me { id membership joinedVia emailVerified organization { id } } }";

const INVITATIONS: &str = "query($org: ID!) { organizationInvitations(organizationId: $org) { \
    totalCount nodes { id email status acceptedBy { id } } } }";

const REVOKE_INVITATION: &str = "mutation($id: ID!) { revokeInvitation(input: { id: $id }) { \
    invitation { id status } errors { field code message } } }";

const STATUS_REASON: &str = "query($id: ID!) { organization(id: $id) { id status statusReason } }";

async fn members(app: &TestApp, viewer: &TestUser, org: &str, removed: bool) -> Vec<Value> {
    let res = app
        .gql_as(viewer, MEMBERS, json!({ "org": org, "removed": removed }))
        .await;
    answered(&res, "organizationMembers")["nodes"]
        .as_array()
        .unwrap()
        .clone()
}

fn membership_of(list: &[Value], id: &str) -> Option<String> {
    list.iter()
        .find(|m| m["id"] == id)
        .map(|m| m["membership"].as_str().unwrap().to_owned())
}

db_test!(a_colleague_joins_through_the_invitation_page, |app| {
    let manager = app.gov_user().await;
    let me = app.gql_as(&manager, ME, json!({})).await;
    assert_eq!(me["data"]["me"]["membership"], "MANAGER", "{me}");
    assert_eq!(me["data"]["me"]["joinedVia"], "REGISTRATION");

    let email = format!("Colleague{}@Example.cn", unique());
    let invited = app
        .gql_as(&manager, INVITE_MEMBER, json!({ "email": email }))
        .await;
    let invitation = &invited["data"]["inviteMember"]["invitation"];
    assert_eq!(invitation["status"], "OPEN", "{invited}");
    assert_eq!(invitation["email"], email.to_lowercase());
    assert_eq!(invitation["invitedBy"]["id"], manager.id);
    assert_eq!(invitation["organization"]["id"], manager.org_id);
    let email = email.to_lowercase();
    let token = invitation_token(&app, &email).await;

    // The link opens a form naming the organization; opening it uses nothing up.
    let (status, page) = app.get(&format!("/accept-invitation?token={token}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(&email) && page.contains("晋中市工业和信息化局"),
        "{page}"
    );
    assert!(page.contains("name=\"display_name\""), "{page}");

    // A weak password is refused on the page and the link still works.
    let (status, page) = post_invitation_form(&app, &token, "王同事", "password123").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(
        page.contains("name=\"display_name\""),
        "the form again: {page}"
    );
    assert_eq!(app.count("users").await, 1);

    let (status, page) = post_invitation_form(&app, &token, "王同事", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("您已加入"), "{page}");
    let colleague = sign_in(&app, &email).await;
    assert_eq!(colleague.org_id, manager.org_id);
    let me = app.gql_as(&colleague, ME, json!({})).await;
    assert_eq!(me["data"]["me"]["membership"], "MEMBER", "{me}");
    assert_eq!(me["data"]["me"]["joinedVia"], "INVITATION");
    assert_eq!(me["data"]["me"]["emailVerified"], true);

    // The link worked once.
    let (status, page) = post_invitation_form(&app, &token, "李四", PASSWORD).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("邀请链接无效"), "{page}");
    let (status, _) = app.get(&format!("/accept-invitation?token={token}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Both members see the list, the manager first; the colleague acts as a member of the unit.
    for viewer in [&manager, &colleague] {
        let list = members(&app, viewer, &manager.org_id, false).await;
        let ids: Vec<&str> = list.iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [manager.id.as_str(), colleague.id.as_str()]);
    }
    let created = create_scenario(&app, &colleague, scenario_input()).await;
    assert_eq!(created["status"], "DISCOVERED");
    let invitations = app
        .gql_as(&manager, INVITATIONS, json!({ "org": manager.org_id }))
        .await;
    let nodes = &answered(&invitations, "organizationInvitations")["nodes"];
    assert_eq!(nodes[0]["status"], "ACCEPTED", "{invitations}");
    assert_eq!(nodes[0]["acceptedBy"]["id"], colleague.id);
});

async fn post_invitation_form(
    app: &TestApp,
    token: &str,
    name: &str,
    password: &str,
) -> (StatusCode, String) {
    crate::pages::post_form(
        app,
        "/accept-invitation",
        &[
            ("token", token),
            ("display_name", name),
            ("password", password),
            ("confirm", password),
        ],
    )
    .await
}

db_test!(
    invitations_are_refused_with_reasons_and_write_nothing,
    |app| {
        let manager = app.gov_user().await;
        let (colleague, colleague_email) = colleague_of(&app, &manager).await;
        let other_manager = app.enterprise_user().await;
        let admin = app.admin().await;

        let invite = |email: String, org: Option<&str>| json!({ "email": email, "org": org });
        let fresh = || format!("new{}@example.cn", unique());

        // A member who is not the manager, and anonymous callers.
        let res = app
            .try_gql_as(&colleague, INVITE_MEMBER, invite(fresh(), None))
            .await;
        assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
        assert!(
            res["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("单位管理员")
        );
        let res = app.try_gql(INVITE_MEMBER, invite(fresh(), None)).await;
        assert_eq!(error_code(&res), Some("UNAUTHENTICATED"), "{res}");
        // Another organization's manager cannot invite into this one.
        let res = app
            .try_gql_as(
                &other_manager,
                INVITE_MEMBER,
                invite(fresh(), Some(&manager.org_id)),
            )
            .await;
        assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");

        // Bad addresses, and addresses that have an account.
        for (email, code) in [
            ("not-an-address".to_owned(), "INVALID"),
            (String::new(), "INVALID"),
            (colleague_email.clone(), "DUPLICATE"),
        ] {
            let res = app
                .try_gql_as(&manager, INVITE_MEMBER, invite(email.clone(), None))
                .await;
            assert_eq!(
                payload_codes(&res["data"]["inviteMember"]),
                [code],
                "{email}: {res}"
            );
        }
        let other_email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(&other_manager.id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        let res = app
            .try_gql_as(&manager, INVITE_MEMBER, invite(other_email, None))
            .await;
        assert_eq!(payload_codes(&res["data"]["inviteMember"]), ["DUPLICATE"]);
        assert!(
            res["data"]["inviteMember"]["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("一个邮箱只能属于一个单位")
        );
        // An admin must name the organization.
        let res = app
            .try_gql_as(&admin, INVITE_MEMBER, invite(fresh(), None))
            .await;
        assert_eq!(payload_codes(&res["data"]["inviteMember"]), ["REQUIRED"]);

        // A new invitation to the same address replaces the open one; a revoked link is dead.
        let email = fresh();
        app.gql_as(&manager, INVITE_MEMBER, invite(email.clone(), None))
            .await;
        let first_token = invitation_token(&app, &email).await;
        let again = app
            .gql_as(
                &admin,
                INVITE_MEMBER,
                invite(email.clone(), Some(&manager.org_id)),
            )
            .await;
        let second = again["data"]["inviteMember"]["invitation"]["id"].clone();
        let second_token = invitation_token(&app, &email).await;
        assert_ne!(first_token, second_token);
        let refused = app
            .try_gql(
                ACCEPT_INVITATION,
                json!({ "token": first_token, "name": "王五", "password": PASSWORD }),
            )
            .await;
        assert_eq!(
            payload_codes(&refused["data"]["acceptInvitation"]),
            ["INVALID_TOKEN"]
        );
        let res = app
            .try_gql_as(&colleague, REVOKE_INVITATION, json!({ "id": second }))
            .await;
        assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
        let revoked = app
            .gql_as(&manager, REVOKE_INVITATION, json!({ "id": second }))
            .await;
        assert_eq!(
            revoked["data"]["revokeInvitation"]["invitation"]["status"],
            "REVOKED"
        );
        let res = app
            .try_gql_as(&manager, REVOKE_INVITATION, json!({ "id": second }))
            .await;
        assert_eq!(
            payload_codes(&res["data"]["revokeInvitation"]),
            ["INVALID_TRANSITION"]
        );
        let refused = app
            .try_gql(
                ACCEPT_INVITATION,
                json!({ "token": second_token, "name": "王五", "password": PASSWORD }),
            )
            .await;
        assert_eq!(
            payload_codes(&refused["data"]["acceptInvitation"]),
            ["INVALID_TOKEN"]
        );

        // Name and password are checked before the token is used.
        let email = fresh();
        app.gql_as(&manager, INVITE_MEMBER, invite(email.clone(), None))
            .await;
        let token = invitation_token(&app, &email).await;
        let refused = app
            .try_gql(
                ACCEPT_INVITATION,
                json!({ "token": token, "name": " ", "password": "qwerty" }),
            )
            .await;
        let mut codes = payload_codes(&refused["data"]["acceptInvitation"]);
        codes.sort();
        assert_eq!(codes, ["PASSWORD_TOO_WEAK", "REQUIRED"]);
        let accepted = app
            .gql(
                ACCEPT_INVITATION,
                json!({ "token": token, "name": "赵六", "password": PASSWORD }),
            )
            .await;
        assert_eq!(accepted["data"]["acceptInvitation"]["errors"], json!([]));

        // Only the manager and admins read the invitations. The organization is public, so an
        // outsider is refused as a colleague is (FORBIDDEN), and learns nothing of them.
        let res = app
            .try_gql_as(&colleague, INVITATIONS, json!({ "org": manager.org_id }))
            .await;
        assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
        let res = app
            .try_gql_as(
                &other_manager,
                INVITATIONS,
                json!({ "org": manager.org_id }),
            )
            .await;
        assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
        let res = app
            .try_gql_as(&other_manager, INVITATIONS, json!({ "org": "no-such-org" }))
            .await;
        assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
        // The colleague's, the replaced one, the revoked one and the accepted one.
        let res = app
            .gql_as(&admin, INVITATIONS, json!({ "org": manager.org_id }))
            .await;
        assert_eq!(
            answered(&res, "organizationInvitations")["totalCount"],
            4,
            "{res}"
        );
    }
);

db_test!(a_removed_member_loses_access_at_once, |app| {
    let manager = app.gov_user().await;
    let admin = app.admin().await;
    let (colleague, email) = colleague_of(&app, &manager).await;
    let (bystander, _) = colleague_of(&app, &manager).await;
    let login = app
        .gql(LOGIN, json!({ "email": email, "password": PASSWORD }))
        .await;
    let refresh_token = login["data"]["login"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // Refusals first: nobody but the manager and admins removes, and the manager stays.
    let res = app
        .try_gql_as(&bystander, REMOVE_MEMBER, json!({ "user": colleague.id }))
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    let outsider = app.gov_user().await;
    let res = app
        .try_gql_as(&outsider, REMOVE_MEMBER, json!({ "user": colleague.id }))
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    let res = app
        .try_gql_as(&manager, REMOVE_MEMBER, json!({ "user": manager.id }))
        .await;
    assert_eq!(
        payload_codes(&res["data"]["removeMember"]),
        ["INVALID_TRANSITION"]
    );
    assert!(
        res["data"]["removeMember"]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("请先将管理员转交")
    );

    let removed = app
        .gql_as(&manager, REMOVE_MEMBER, json!({ "user": colleague.id }))
        .await;
    assert_eq!(
        removed["data"]["removeMember"]["user"]["membership"], "REMOVED",
        "{removed}"
    );
    // The access token issued before the removal is refused on the next request.
    let (status, res) = app
        .post_graphql(Some(&colleague.token), ME, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{res}");
    assert_eq!(error_code(&res), Some("UNAUTHENTICATED"));
    let (_, res) = app
        .post_graphql(None, REFRESH, json!({ "token": refresh_token }))
        .await;
    assert_eq!(error_code(&res), Some("UNAUTHENTICATED"), "{res}");
    let res = app
        .try_gql(LOGIN, json!({ "email": email, "password": PASSWORD }))
        .await;
    assert_eq!(payload_codes(&res["data"]["login"]), ["MEMBER_REMOVED"]);
    let res = app
        .try_gql_as(&manager, REMOVE_MEMBER, json!({ "user": colleague.id }))
        .await;
    assert_eq!(
        payload_codes(&res["data"]["removeMember"]),
        ["INVALID_TRANSITION"]
    );

    // The members see who is left; admins may see the removed too.
    let list = members(&app, &manager, &manager.org_id, false).await;
    assert_eq!(membership_of(&list, &colleague.id), None);
    let res = app
        .try_gql_as(
            &manager,
            MEMBERS,
            json!({ "org": manager.org_id, "removed": true }),
        )
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    let all = members(&app, &admin, &manager.org_id, true).await;
    assert_eq!(
        membership_of(&all, &colleague.id).as_deref(),
        Some("REMOVED")
    );
    assert!(
        all.iter()
            .any(|m| m["id"] == manager.id && m["joinedVia"] == "REGISTRATION")
    );

    // A removed member hears of nothing; the others do.
    step_organization(
        &app,
        &admin,
        "suspendOrganization",
        &manager.org_id,
        Some("核查"),
    )
    .await;
    let heard: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM notifications WHERE kind = 'ORGANIZATION_SUSPENDED'",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert!(heard.contains(&manager.id) && heard.contains(&bystander.id));
    assert!(!heard.contains(&colleague.id), "{heard:?}");

    // Invited back, the former member joins again with the same account.
    step_organization(&app, &admin, "reinstateOrganization", &manager.org_id, None).await;
    app.gql_as(&manager, INVITE_MEMBER, json!({ "email": email }))
        .await;
    let token = invitation_token(&app, &email).await;
    let back = app
        .gql(
            ACCEPT_INVITATION,
            json!({ "token": token, "name": "王同事", "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        back["data"]["acceptInvitation"]["user"]["id"], colleague.id,
        "{back}"
    );
    assert_eq!(
        back["data"]["acceptInvitation"]["user"]["membership"],
        "MEMBER"
    );
    sign_in(&app, &email).await;
});

db_test!(the_manager_role_is_handed_on, |app| {
    let manager = app.enterprise_user().await;
    let admin = app.admin().await;
    let (colleague, _) = colleague_of(&app, &manager).await;

    let res = app
        .try_gql_as(&colleague, CHANGE_MANAGER, json!({ "user": colleague.id }))
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    let res = app
        .try_gql_as(&manager, CHANGE_MANAGER, json!({ "user": manager.id }))
        .await;
    assert_eq!(
        payload_codes(&res["data"]["changeOrganizationManager"]),
        ["INVALID_TRANSITION"]
    );

    let changed = app
        .gql_as(&manager, CHANGE_MANAGER, json!({ "user": colleague.id }))
        .await;
    assert_eq!(
        changed["data"]["changeOrganizationManager"]["user"]["membership"],
        "MANAGER"
    );
    let list = members(&app, &colleague, &manager.org_id, false).await;
    assert_eq!(list[0]["id"], colleague.id, "the manager first");
    assert_eq!(membership_of(&list, &manager.id).as_deref(), Some("MEMBER"));
    // The former manager no longer manages; the new one does.
    let res = app
        .try_gql_as(
            &manager,
            INVITE_MEMBER,
            json!({ "email": format!("x{}@example.cn", unique()) }),
        )
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    // An admin hands it back, as when a manager has left.
    let back = app
        .gql_as(&admin, CHANGE_MANAGER, json!({ "user": manager.id }))
        .await;
    assert_eq!(
        back["data"]["changeOrganizationManager"]["user"]["membership"],
        "MANAGER"
    );
    let managers: i64 = app
        .count(&format!(
            "users WHERE organization_id = '{}' AND membership = 'MANAGER'",
            manager.org_id
        ))
        .await;
    assert_eq!(managers, 1, "exactly one manager");
});

db_test!(member_lists_are_for_members_and_admins, |app| {
    let unit = app.gov_user().await;
    let pending = app.pending_enterprise_user().await;
    let outsider = app.enterprise_user().await;
    let res = app
        .try_gql_as(&outsider, MEMBERS, json!({ "org": unit.org_id }))
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    let res = app
        .try_gql_as(&outsider, MEMBERS, json!({ "org": pending.org_id }))
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    let res = app.try_gql(MEMBERS, json!({ "org": unit.org_id })).await;
    assert_eq!(error_code(&res), Some("UNAUTHENTICATED"), "{res}");
});

db_test!(a_suspended_organization_reads_but_cannot_act, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let outsider = app.enterprise_user().await;
    let published = scenario_in(&app, &unit, &admin, "PUBLISHED").await;

    // A reason is required, and only admins suspend.
    let res = app
        .try_gql_as(
            &admin,
            &org_step("suspendOrganization"),
            json!({ "id": unit.org_id, "reason": "  " }),
        )
        .await;
    assert_eq!(
        payload_codes(&res["data"]["suspendOrganization"]),
        ["REQUIRED"]
    );
    let res = app
        .try_gql_as(
            &unit,
            &org_step("suspendOrganization"),
            json!({ "id": outsider.org_id, "reason": "恶意" }),
        )
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");

    let reason = "提交材料与实际不符，核查期间暂停";
    let suspended = step_organization(
        &app,
        &admin,
        "suspendOrganization",
        &unit.org_id,
        Some(reason),
    )
    .await;
    assert_eq!(suspended["status"], "SUSPENDED");
    let body: String = sqlx::query_scalar(
        "SELECT body FROM notifications WHERE user_id = $1 AND kind = 'ORGANIZATION_SUSPENDED'",
    )
    .bind(&unit.id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert!(body.contains(reason), "{body}");

    // The members may read, not act.
    let res = app
        .try_gql_as(
            &unit,
            &create_scenario_doc(),
            json!({ "input": scenario_input() }),
        )
        .await;
    assert_eq!(error_code(&res), Some("ORGANIZATION_SUSPENDED"), "{res}");
    assert!(
        res["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("暂停")
    );
    let res = app
        .try_gql_as(
            &unit,
            &transition_scenario_doc(),
            json!({ "input": { "id": published["id"], "action": "CLOSE" } }),
        )
        .await;
    assert_eq!(error_code(&res), Some("ORGANIZATION_SUSPENDED"), "{res}");
    let me = app.gql_as(&unit, ME, json!({})).await;
    assert_eq!(me["data"]["me"]["id"], unit.id);
    let own = app
        .gql_as(&unit, STATUS_REASON, json!({ "id": unit.org_id }))
        .await;
    assert_eq!(answered(&own, "organization")["statusReason"], reason);
    let public = app
        .gql_as(&outsider, STATUS_REASON, json!({ "id": unit.org_id }))
        .await;
    let public = answered(&public, "organization");
    assert_eq!(public["status"], "SUSPENDED");
    assert_eq!(public["statusReason"], Value::Null);
    // Its published scenario stays on the list.
    let listed = app
        .gql(&scenario_query_doc(), json!({ "id": published["id"] }))
        .await;
    assert_eq!(
        listed["data"]["scenario"]["status"], "PUBLISHED",
        "{listed}"
    );

    // A verified organization cannot be suspended twice, nor reinstated before suspension.
    let res = app
        .try_gql_as(
            &admin,
            &org_step("suspendOrganization"),
            json!({ "id": unit.org_id, "reason": "再次" }),
        )
        .await;
    assert_eq!(
        payload_codes(&res["data"]["suspendOrganization"]),
        ["INVALID_TRANSITION"]
    );
    step_organization(&app, &admin, "reinstateOrganization", &unit.org_id, None).await;
    let res = app
        .try_gql_as(
            &admin,
            &org_step("reinstateOrganization"),
            json!({ "id": unit.org_id }),
        )
        .await;
    assert_eq!(
        payload_codes(&res["data"]["reinstateOrganization"]),
        ["INVALID_TRANSITION"]
    );
    // Reinstated, it acts again, and the reason is gone.
    create_scenario(&app, &unit, scenario_input()).await;
    let own = app
        .gql_as(&unit, STATUS_REASON, json!({ "id": unit.org_id }))
        .await;
    assert_eq!(answered(&own, "organization")["statusReason"], Value::Null);
});

db_test!(a_rejected_registration_is_told_why_and_cannot_act, |app| {
    let admin = app.admin().await;
    let pending = app.pending_enterprise_user().await;
    let reason = "营业执照与单位名称不符，请核对后联系平台";
    let res = app
        .try_gql_as(
            &admin,
            &org_step("rejectOrganization"),
            json!({ "id": pending.org_id }),
        )
        .await;
    assert_eq!(
        payload_codes(&res["data"]["rejectOrganization"]),
        ["REQUIRED"]
    );
    let rejected = step_organization(
        &app,
        &admin,
        "rejectOrganization",
        &pending.org_id,
        Some(reason),
    )
    .await;
    assert_eq!(rejected["status"], "REJECTED");
    assert_eq!(rejected["statusReason"], reason);
    let res = app
        .try_gql_as(
            &pending,
            &create_capability_doc(),
            json!({ "input": capability_input() }),
        )
        .await;
    assert_eq!(error_code(&res), Some("ORGANIZATION_REJECTED"), "{res}");
    // Nobody else sees a rejected organization.
    let outsider = app.enterprise_user().await;
    let res = app
        .try_gql_as(&outsider, STATUS_REASON, json!({ "id": pending.org_id }))
        .await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    // An admin may still verify it later.
    let verified = app
        .gql_as(&admin, VERIFY_ORGANIZATION, json!({ "id": pending.org_id }))
        .await;
    assert_eq!(
        verified["data"]["verifyOrganization"]["organization"]["status"],
        "VERIFIED"
    );
    create_capability(&app, &pending, capability_input()).await;
});

/// The README's organization lifecycle, cell by cell: (from, action) → to, every other cell
/// INVALID_TRANSITION. Copied from the README, not read from the code.
const ORGANIZATION_TABLE: &[(&str, &str, &str)] = &[
    ("PENDING", "verifyOrganization", "VERIFIED"),
    ("REJECTED", "verifyOrganization", "VERIFIED"),
    ("PENDING", "rejectOrganization", "REJECTED"),
    ("VERIFIED", "suspendOrganization", "SUSPENDED"),
    ("SUSPENDED", "reinstateOrganization", "VERIFIED"),
];

db_test!(every_cell_of_the_organization_lifecycle, |app| {
    let admin = app.admin().await;
    for from in ["PENDING", "VERIFIED", "REJECTED", "SUSPENDED"] {
        for mutation in [
            "verifyOrganization",
            "rejectOrganization",
            "suspendOrganization",
            "reinstateOrganization",
        ] {
            let org = org_in(&app, &admin, from).await;
            let doc = if mutation == "verifyOrganization" {
                VERIFY_ORGANIZATION.to_owned()
            } else {
                org_step(mutation)
            };
            let res = app
                .try_gql_as(
                    &admin,
                    &doc,
                    json!({ "id": org.org_id, "reason": "依规处理" }),
                )
                .await;
            let expected = ORGANIZATION_TABLE
                .iter()
                .find(|(f, m, _)| *f == from && *m == mutation);
            let status: String =
                sqlx::query_scalar("SELECT status FROM organizations WHERE id = $1")
                    .bind(&org.org_id)
                    .fetch_one(app.state.db.pool())
                    .await
                    .unwrap();
            match expected {
                Some((_, _, to)) => {
                    assert_eq!(
                        res["data"][mutation]["errors"],
                        json!([]),
                        "{from} {mutation}"
                    );
                    assert_eq!(status, *to, "{from} {mutation}");
                }
                None => {
                    assert_eq!(
                        payload_codes(&res["data"][mutation]),
                        ["INVALID_TRANSITION"],
                        "{from} {mutation}: {res}"
                    );
                    assert_eq!(status, from, "{from} {mutation}");
                }
            }
            // And nobody but an admin takes any step: a member of the organization is refused,
            // and told first when their organization may not act at all.
            let org_now = org_in(&app, &admin, from).await;
            let res = app
                .try_gql_as(
                    &org_now,
                    &doc,
                    json!({ "id": org_now.org_id, "reason": "自行处理" }),
                )
                .await;
            let refusal = match from {
                "SUSPENDED" => "ORGANIZATION_SUSPENDED",
                "REJECTED" => "ORGANIZATION_REJECTED",
                _ => "FORBIDDEN",
            };
            assert_eq!(error_code(&res), Some(refusal), "{from} {mutation}: {res}");
        }
    }
});

/// A member of an organization in `status`, reached through the admin steps.
async fn org_in(app: &TestApp, admin: &TestUser, status: &str) -> TestUser {
    let user = app.pending_enterprise_user().await;
    let verify = |user: &TestUser| {
        let id = user.org_id.clone();
        async move {
            let res = app
                .gql_as(admin, VERIFY_ORGANIZATION, json!({ "id": id }))
                .await;
            assert_eq!(
                res["data"]["verifyOrganization"]["errors"],
                json!([]),
                "{res}"
            );
        }
    };
    match status {
        "PENDING" => {}
        "VERIFIED" => verify(&user).await,
        "REJECTED" => {
            step_organization(app, admin, "rejectOrganization", &user.org_id, Some("不符")).await;
        }
        "SUSPENDED" => {
            verify(&user).await;
            step_organization(
                app,
                admin,
                "suspendOrganization",
                &user.org_id,
                Some("核查"),
            )
            .await;
        }
        other => panic!("no organization status {other}"),
    }
    user
}

//! Abuse that once worked (issue "Hardening"), each reproduced first: one request must not stall
//! the others, and no text or list argument reaches a database in a form one of them refuses.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::db_test;
use crate::fixtures::*;
use crate::live::http;
use crate::util::{answered, error_code, payload_codes};

// 128,000 distinct tags (about 1 MB; here 100,000, under the body limit) in two parallel createScenario requests froze the health
// endpoint for 11 to 48 seconds: the duplicate check was quadratic and ran before the count.
db_test!(a_huge_tag_list_does_not_stall_the_server, |app| {
    let unit = app.gov_user().await;
    let addr = app.serve().await;
    let tags: Vec<String> = (0..100_000).map(|i| format!("t{i}")).collect();
    let mut input = scenario_input();
    input["tags"] = json!(tags);
    let body =
        json!({ "query": create_scenario_doc(), "variables": { "input": input } }).to_string();
    assert!(body.len() > 800_000, "{}", body.len());

    let before = app.snapshot().await;
    let hostile: Vec<_> = (0..2)
        .map(|_| {
            let body = body.clone();
            let token = unit.token.clone();
            tokio::spawn(async move { http(addr, "POST", "/graphql", Some(&token), &body).await })
        })
        .collect();
    // The health endpoint answers promptly for as long as the hostile requests are in flight.
    let mut slowest = Duration::ZERO;
    let mut probes = 0;
    while probes == 0 || !hostile.iter().all(|h| h.is_finished()) {
        let started = Instant::now();
        let (status, _) = http(addr, "GET", "/healthz", None, "").await.unwrap();
        assert_eq!(status, 200);
        slowest = slowest.max(started.elapsed());
        probes += 1;
        tokio::task::yield_now().await;
    }
    assert!(
        slowest < Duration::from_secs(1),
        "/healthz took {slowest:?}"
    );
    for request in hostile {
        let (status, body) = request.await.unwrap().unwrap();
        let response: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{status}: {body}"));
        assert_eq!(status, 200, "{body}");
        assert_eq!(error_code(&response), Some("BAD_REQUEST"), "{body}");
        assert!(
            response["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("最多100项")
        );
    }
    app.assert_unchanged(&before).await;
});

// NUL in any text or id gave INTERNAL on PostgreSQL while SQLite stored it: now both refuse it,
// and the other control characters, bidirectional overrides and byte-order marks, the same way.
db_test!(
    control_characters_are_refused_alike_on_both_databases,
    |app| {
        let unit = app.gov_user().await;
        for bad in [
            "井下\u{0}巡检",
            "\u{202E}检巡下井",
            "\u{FEFF}巡检",
            "巡检\u{7}",
        ] {
            let res = app
                .try_gql(&scenario_query_doc(), json!({ "id": bad }))
                .await;
            assert_eq!(error_code(&res), Some("BAD_REQUEST"), "{bad:?}: {res}");
            assert!(
                res["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("控制字符")
            );

            let mut input = scenario_input();
            input["description"] = json!(format!("描述{bad}"));
            let res = app
                .try_gql_as(&unit, &create_scenario_doc(), json!({ "input": input }))
                .await;
            assert_eq!(error_code(&res), Some("BAD_REQUEST"), "{bad:?}: {res}");

            let inline = format!(
                "{{ opportunityList(filter: {{ query: {} }}) {{ totalCount }} }}",
                serde_json::to_string(bad).unwrap()
            );
            let res = app.try_gql(&inline, json!({})).await;
            assert_eq!(
                error_code(&res),
                Some("BAD_REQUEST"),
                "{bad:?} inline: {res}"
            );
        }
        // Line breaks stay welcome in long texts, not in titles; tabs neither in titles.
        let mut input = scenario_input();
        input["description"] = json!("第一段。\n第二段。");
        let created = create_scenario(&app, &unit, input).await;
        assert_eq!(created["status"], "DISCOVERED");
        for title in ["井下\n巡检", "井下\t巡检"] {
            let mut input = scenario_input();
            input["title"] = json!(title);
            let res = app
                .try_gql_as(&unit, &create_scenario_doc(), json!({ "input": input }))
                .await;
            assert_eq!(
                payload_codes(&res["data"]["createScenario"]),
                ["INVALID"],
                "{res}"
            );
        }
    }
);

// 70,000 region codes in a public filter gave INTERNAL on both databases (too many bound values).
db_test!(list_arguments_are_bounded, |app| {
    let codes: Vec<String> = (0..70_000).map(|i| format!("14{i:04}")).collect();
    let res = app
        .try_gql(
            "query($r: [String!]) { opportunityList(filter: { regionCodes: $r }) { totalCount } }",
            json!({ "r": codes }),
        )
        .await;
    assert_eq!(error_code(&res), Some("BAD_REQUEST"), "{res}");
    let hundred: Vec<&str> = std::iter::repeat_n("140702", 100).collect();
    let res = app
        .gql(
            "query($r: [String!]) { opportunityList(filter: { regionCodes: $r }) { totalCount } }",
            json!({ "r": hundred }),
        )
        .await;
    assert_eq!(res["data"]["opportunityList"]["totalCount"], 0, "{res}");
});

// Free text is tokenized and compared word with word: a query the size of a request body would
// cost seconds of CPU. At most 200 characters (README, Matching) are searched.
db_test!(free_text_is_bounded, |app| {
    const OPP: &str =
        "query($q: String!) { opportunityList(filter: { query: $q }) { totalCount } }";
    const CAP: &str = "query($q: String!) { capabilityList(filter: { query: $q }) { totalCount } }";
    let longest = "巡检机器人".repeat(40);
    assert_eq!(longest.chars().count(), 200);
    for document in [OPP, CAP] {
        let res = app.gql(document, json!({ "q": longest })).await;
        assert!(
            res["data"]
                .as_object()
                .unwrap()
                .values()
                .all(|list| list["totalCount"].is_number()),
            "{res}"
        );
        let res = app
            .try_gql(document, json!({ "q": format!("{longest}巡") }))
            .await;
        assert_eq!(error_code(&res), Some("BAD_REQUEST"), "{res}");
        assert!(!res["errors"][0]["message"].as_str().unwrap().is_ascii());
    }
});

// One anonymous request with 100 aliased requestPasswordReset fields queued 100 e-mails, and 200
// aliased logins tried 200 passwords.
db_test!(sensitive_mutations_run_once_per_request, |app| {
    let fields: Vec<String> = (0..3)
        .map(|i| {
            format!("r{i}: requestPasswordReset(input: {{ email: \"x@example.cn\" }}) {{ ok }}")
        })
        .collect();
    let res = app
        .try_gql(&format!("mutation {{ {} }}", fields.join(" ")), json!({}))
        .await;
    assert_eq!(error_code(&res), Some("BAD_REQUEST"), "{res}");
    assert_eq!(app.count("email_outbox").await, 0);
    let logins: Vec<String> = (0..2)
        .map(|i| {
            format!(
                "l{i}: login(input: {{ email: \"a@b.cn\", password: \"p{i}\" }}) {{ accessToken }}"
            )
        })
        .collect();
    let res = app
        .try_gql(&format!("mutation {{ {} }}", logins.join(" ")), json!({}))
        .await;
    assert_eq!(error_code(&res), Some("BAD_REQUEST"), "{res}");
    assert!(
        res["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("只能调用一次")
    );
    let aliases: Vec<String> = (0..31)
        .map(|i| format!("a{i}: regions {{ code }}"))
        .collect();
    let res = app
        .try_gql(&format!("{{ {} }}", aliases.join(" ")), json!({}))
        .await;
    assert_eq!(error_code(&res), Some("BAD_REQUEST"), "{res}");
});

const LOGIN_DOC: &str = "mutation($e: String!, $p: String!) { login(input: { email: $e, password: $p }) { accessToken errors { code } } }";

// No security headers, login answers that a cache could keep, GraphiQL framable, and any
// Content-Type ran a query (a cross-site form could post one).
db_test!(responses_carry_security_headers_and_only_json_runs, |app| {
    use axum::body::Body;
    use axum::http::{Request, header};
    let send = |request: Request<Body>| {
        let router = app.router();
        async move {
            use tower::ServiceExt as _;
            router.oneshot(request).await.unwrap()
        }
    };
    for path in ["/healthz", "/graphql", "/verify-email"] {
        let response = send(Request::get(path).body(Body::empty()).unwrap()).await;
        let headers = response.headers();
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            "frame-ancestors 'none'",
            "{path}"
        );
    }
    let body = json!({ "query": LOGIN_DOC, "variables": { "e": "a@b.cn", "p": "Taihang-Mountains-2026" } })
        .to_string();
    let login = send(
        Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(Body::from(body.clone()))
            .unwrap(),
    )
    .await;
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()[header::CACHE_CONTROL], "no-store");

    let register = json!({ "query": "mutation { register(input: { email: \"x@example.cn\", password: \"Taihang-Mountains-2026\", displayName: \"某\", organization: { name: \"某局\", kind: GOVERNMENT, regionCode: \"140702\" } }) { user { id } } }" }).to_string();
    let before = app.snapshot().await;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut request = Request::post("/graphql");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let response = send(request.body(Body::from(register.clone())).unwrap()).await;
        assert_eq!(response.status(), 415, "{content_type:?}");
    }
    app.assert_unchanged(&before).await;
});

// Production switches GraphiQL, introspection and field suggestions off with one setting.
crate::backend_test!(one_setting_turns_the_developer_tools_off, |backend| {
    let app = crate::util::TestApp::configured(backend, |c| c.explorer = false).await;
    let (status, _) = app.get("/graphql").await;
    assert_eq!(status, 405, "no GraphiQL page");
    let res = app
        .try_gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(
        res["data"]["__schema"],
        serde_json::Value::Null,
        "no schema: {res}"
    );
    let res = app.try_gql("{ regoins { code } }", json!({})).await;
    let message = res["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("regions"), "no suggestion: {message}");
    // With the tools on (the default), the same typo is answered with a suggestion.
    let open = crate::util::TestApp::new(backend).await;
    let res = open.try_gql("{ regoins { code } }", json!({})).await;
    assert!(
        res["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("regions"),
        "{res}"
    );
});

const ME: &str = "{ me { id } }";

/// Signs in through `login`: the access and refresh tokens.
async fn login(app: &crate::util::TestApp, email: &str) -> (String, String) {
    let res = app
        .gql(
            LOGIN_DOC
                .replace("accessToken", "accessToken refreshToken")
                .as_str(),
            json!({ "e": email, "p": crate::util::PASSWORD }),
        )
        .await;
    let login = &res["data"]["login"];
    assert_eq!(login["errors"], json!([]), "{res}");
    (
        login["accessToken"].as_str().unwrap().to_owned(),
        login["refreshToken"].as_str().unwrap().to_owned(),
    )
}

async fn accepted(app: &crate::util::TestApp, token: &str) -> bool {
    let (status, _) = app.post_graphql(Some(token), ME, json!({})).await;
    status == 200
}

// An access token outlived sign-out, password change and removal by up to 15 minutes. Now it
// ends with its session.
db_test!(access_tokens_end_with_their_session, |app| {
    let manager = app.gov_user().await;
    let (_, email) = colleague_of(&app, &manager).await;

    // Signing out ends that session's access token, not another session's.
    let (first, first_refresh) = login(&app, &email).await;
    let (second, _) = login(&app, &email).await;
    assert!(accepted(&app, &first).await && accepted(&app, &second).await);
    app.gql(
        "mutation($t: String!) { logout(input: { refreshToken: $t }) { ok } }",
        json!({ "t": first_refresh }),
    )
    .await;
    assert!(!accepted(&app, &first).await, "signed out");
    assert!(accepted(&app, &second).await, "the other session stays");

    // A refresh token presented twice ends its session, and the access tokens issued in it.
    let (third, third_refresh) = login(&app, &email).await;
    let refresh =
        "mutation($t: String!) { refreshSession(input: { refreshToken: $t }) { accessToken } }";
    let renewed = app.gql(refresh, json!({ "t": third_refresh })).await;
    let renewed = renewed["data"]["refreshSession"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(accepted(&app, &renewed).await);
    let (_, replay) = app
        .post_graphql(None, refresh, json!({ "t": third_refresh }))
        .await;
    assert_eq!(error_code(&replay), Some("UNAUTHENTICATED"), "{replay}");
    assert!(!accepted(&app, &third).await && !accepted(&app, &renewed).await);

    // Changing the password ends every session, the one that changed it included.
    let change = "mutation($c: String!, $n: String!) { changePassword(input: { currentPassword: $c, newPassword: $n }) { errors { code } } }";
    let changed = app
        .post_graphql(
            Some(&second),
            change,
            json!({ "c": crate::util::PASSWORD, "n": "Fenhe-River-Valley-2027" }),
        )
        .await
        .1;
    assert_eq!(
        changed["data"]["changePassword"]["errors"],
        json!([]),
        "{changed}"
    );
    assert!(!accepted(&app, &second).await, "password changed");
});

// With the database gone, /readyz took 10 s (the pool's wait) to answer 503: a load balancer's
// probe gave up first and never learned why. The database is reached through a relay here, which
// then goes away as a stopped server does: connections cut, new ones refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: build and run with TEST_DATABASE_URL set"
)]
async fn readiness_fails_fast_when_the_database_is_gone() {
    let schema = crate::util::fresh_pg_schema(&crate::util::test_database_url()).await;
    let (scheme_user, rest) = schema.url.split_once('@').unwrap();
    let (server, path) = rest.split_once('/').unwrap();
    let target: std::net::SocketAddr = server.parse().unwrap();
    let (relay, stop) = relay_to(target).await;
    let app = crate::util::TestApp::on_url(&format!("{scheme_user}@{relay}/{path}")).await;
    let (status, _) = app.get("/readyz").await;
    assert_eq!(status, 200);

    stop.send_replace(true);
    let started = Instant::now();
    let (status, body) = app.get("/readyz").await;
    let waited = started.elapsed();
    assert_eq!(status, 503, "{body}");
    assert!(waited < Duration::from_secs(3), "/readyz took {waited:?}");
}

/// A TCP relay to `target` on a loopback port, until the sender says stop: then it closes its
/// port and cuts every connection it relays.
async fn relay_to(
    target: std::net::SocketAddr,
) -> (std::net::SocketAddr, tokio::sync::watch::Sender<bool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut accepting = stopped.clone();
    tokio::spawn(async move {
        loop {
            let (mut inbound, _) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(_) => break,
                },
                _ = accepting.wait_for(|s| *s) => break,
            };
            let mut cut = stopped.clone();
            tokio::spawn(async move {
                let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = cut.wait_for(|s| *s) => {}
                }
            });
        }
    });
    (addr, stop)
}

const TIMELINE: &str =
    "query($id: ID) { scenario(id: $id) { timeline { action toStatus note actor { id } } } }";

// A REQUEST_CHANGES reason and the reviewer's name were on a published scenario's public
// timeline: the public now sees the steps into public stages only, without actors.
db_test!(the_public_timeline_shows_public_stages_only, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let outsider = app.enterprise_user().await;
    let scenario = scenario_in(&app, &unit, &admin, "PENDING_REVIEW").await;
    review(
        &app,
        &admin,
        &scenario["id"],
        "REQUEST_CHANGES",
        Some("预算依据不足，请补充"),
    )
    .await;
    act(&app, &unit, &scenario["id"], "SUBMIT").await;
    review(&app, &admin, &scenario["id"], "APPROVE", None).await;

    let own = app
        .gql_as(&unit, TIMELINE, json!({ "id": scenario["id"] }))
        .await;
    let own = own["data"]["scenario"]["timeline"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        own.iter().any(|e| e["note"] == "预算依据不足，请补充"),
        "{own:?}"
    );
    for viewer in [None, Some(&outsider)] {
        let seen = match viewer {
            Some(user) => {
                app.gql_as(user, TIMELINE, json!({ "id": scenario["id"] }))
                    .await
            }
            None => app.gql(TIMELINE, json!({ "id": scenario["id"] })).await,
        };
        let entries = seen["data"]["scenario"]["timeline"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(entries.len(), 1, "only the publication: {entries:?}");
        assert_eq!(entries[0]["toStatus"], "PUBLISHED");
        assert_eq!(entries[0]["actor"], serde_json::Value::Null);
    }
});

const UPDATE_ORG: &str = "mutation($id: ID!) { updateOrganization(input: { id: $id, expectedVersion: 1, name: \"晋中市人民政府\" }) { organization { id } errors { code } } }";

// FORBIDDEN for an existing organization and NOT_FOUND for an unknown id told an outsider which
// pending organizations exist; a verified one is public anyway.
db_test!(
    an_outsider_cannot_tell_a_hidden_organization_from_none,
    |app| {
        let outsider = app.gov_user().await;
        let pending = app.pending_enterprise_user().await;
        let verified = app.enterprise_user().await;
        for (doc, vars) in [
            (UPDATE_ORG, json!({ "id": pending.org_id })),
            (
                INVITE_MEMBER,
                json!({ "email": "x@example.cn", "org": pending.org_id }),
            ),
        ] {
            let hidden = app.try_gql_as(&outsider, doc, vars).await;
            assert_eq!(error_code(&hidden), Some("NOT_FOUND"), "{hidden}");
        }
        let unknown = app
            .try_gql_as(
                &outsider,
                UPDATE_ORG,
                json!({ "id": "no-such-organization" }),
            )
            .await;
        assert_eq!(error_code(&unknown), Some("NOT_FOUND"));
        let public = app
            .try_gql_as(&outsider, UPDATE_ORG, json!({ "id": verified.org_id }))
            .await;
        assert_eq!(error_code(&public), Some("FORBIDDEN"), "{public}");
    }
);

// nameContains ignored case on SQLite and not on PostgreSQL.
db_test!(name_search_ignores_case_on_both_databases, |app| {
    let admin = app.admin().await;
    let enterprise = app.enterprise_user().await;
    sqlx::query("UPDATE organizations SET name = 'Yuci SmartGrid 科技' WHERE id = $1")
        .bind(&enterprise.org_id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    for query in ["smartgrid", "SMARTGRID", "SmartGrid", "yuci s"] {
        let res = app
            .gql_as(
                &admin,
                "query($q: String) { organizations(filter: { nameContains: $q }) { totalCount } }",
                json!({ "q": query }),
            )
            .await;
        assert_eq!(
            res["data"]["organizations"]["totalCount"], 1,
            "{query}: {res}"
        );
    }
});

// A verified organization renamed itself 晋中市人民政府 and stayed VERIFIED.
db_test!(a_verified_organization_cannot_rename_itself, |app| {
    let admin = app.admin().await;
    let verified = app.enterprise_user().await;
    let res = app
        .try_gql_as(&verified, UPDATE_ORG, json!({ "id": verified.org_id }))
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    assert!(
        res["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("平台管理员")
    );
    // A pending one may still correct its name; an admin may rename a verified one.
    let pending = app.pending_enterprise_user().await;
    let res = app
        .gql_as(&pending, UPDATE_ORG, json!({ "id": pending.org_id }))
        .await;
    assert_eq!(
        res["data"]["updateOrganization"]["errors"],
        json!([]),
        "{res}"
    );
    let res = app
        .gql_as(&admin, UPDATE_ORG, json!({ "id": verified.org_id }))
        .await;
    assert_eq!(
        res["data"]["updateOrganization"]["errors"],
        json!([]),
        "{res}"
    );
});

/// A GraphQL request over TCP to a served app (so that the server sees the client's address).
async fn over_tcp(
    addr: std::net::SocketAddr,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let (_, body) = http(addr, "POST", "/graphql", None, &body).await.unwrap();
    serde_json::from_str(&body).unwrap()
}

// 300 wrong passwords in a row, then the right one, succeeded with no slowdown. After five wrong
// passwords each next try must wait, twice as long each time; the wait passing, the owner signs in.
db_test!(sign_in_slows_down_after_wrong_passwords, |app| {
    let manager = app.gov_user().await;
    let (_, email) = colleague_of(&app, &manager).await;
    let addr = app.serve().await;
    let attempt = |password: &'static str| {
        let email = email.clone();
        async move { over_tcp(addr, LOGIN_DOC, json!({ "e": email, "p": password })).await }
    };
    for _ in 0..5 {
        let res = attempt("Wrong-Password-Guess-1").await;
        assert_eq!(
            payload_codes(&res["data"]["login"]),
            ["INVALID_CREDENTIALS"],
            "{res}"
        );
    }
    // The sixth try, even with the right password, must wait.
    let res = attempt(crate::util::PASSWORD).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    assert!(
        res["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert!(
        res["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("秒后再试")
    );
    // An unknown address is slowed down the same way, so the wait tells nothing.
    for _ in 0..5 {
        over_tcp(
            addr,
            LOGIN_DOC,
            json!({ "e": "nobody@example.cn", "p": "Wrong-Password-Guess-1" }),
        )
        .await;
    }
    let res = over_tcp(
        addr,
        LOGIN_DOC,
        json!({ "e": "nobody@example.cn", "p": "Wrong-Password-Guess-1" }),
    )
    .await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    // Once the wait has passed (moved into the past here), the right password signs in and the
    // count starts again.
    sqlx::query("UPDATE login_failures SET last_failed_at = '2000-01-01T00:00:00.000000Z'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let res = attempt(crate::util::PASSWORD).await;
    assert_eq!(res["data"]["login"]["errors"], json!([]), "{res}");
    assert_eq!(
        app.count(&format!("login_failures WHERE email = '{email}'"))
            .await,
        0
    );
});

// One address may call requestPasswordReset 100 times in ten minutes, not more.
db_test!(account_operations_are_limited_per_address, |app| {
    let addr = app.serve().await;
    let reset = "mutation($e: String!) { requestPasswordReset(input: { email: $e }) { ok } }";
    for i in 0..100 {
        let res = over_tcp(addr, reset, json!({ "e": format!("n{i}@example.cn") })).await;
        assert_eq!(
            res["data"]["requestPasswordReset"]["ok"], true,
            "{i}: {res}"
        );
    }
    let res = over_tcp(addr, reset, json!({ "e": "n101@example.cn" })).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    let wait = res["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
    // Another operation has its own budget.
    let res = over_tcp(
        addr,
        LOGIN_DOC,
        json!({ "e": "n1@example.cn", "p": "Wrong-Password-Guess-1" }),
    )
    .await;
    assert_eq!(
        payload_codes(&res["data"]["login"]),
        ["INVALID_CREDENTIALS"],
        "{res}"
    );
});

// The counters are in the database: two instances on one PostgreSQL share one budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: build and run with TEST_DATABASE_URL set"
)]
async fn two_instances_share_one_rate_limit() {
    let first = crate::util::TestApp::new(crate::util::Backend::Postgres).await;
    let second = crate::util::TestApp::on_url(first.state.database_url()).await;
    let (a, b) = (first.serve().await, second.serve().await);
    let reset = "mutation($e: String!) { requestPasswordReset(input: { email: $e }) { ok } }";
    for i in 0..100 {
        let addr = if i % 2 == 0 { a } else { b };
        let res = over_tcp(addr, reset, json!({ "e": format!("n{i}@example.cn") })).await;
        assert_eq!(
            res["data"]["requestPasswordReset"]["ok"], true,
            "{i}: {res}"
        );
    }
    for addr in [a, b] {
        let res = over_tcp(addr, reset, json!({ "e": "x@example.cn" })).await;
        assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    }
}

const AUDIT: &str = "query($action: String) { auditLog(filter: { action: $action }) { totalCount \
    nodes { actorId ip userAgent action targetId outcome detail } } }";

// Sign-ins, administrators' changes and changes of membership are on an append-only trail that
// only admins read; a unit's ordinary work is not, and no password ever is.
db_test!(the_audit_trail_records_who_did_what_from_where, |app| {
    use axum::body::Body;
    use axum::http::{Request, header};
    let admin = app.admin().await;
    let manager = app.gov_user().await;
    let (colleague, email) = colleague_of(&app, &manager).await;
    let pending = app.pending_enterprise_user().await;
    let addr = app.serve().await;

    // A failed and a successful sign-in, over TCP so that the address is known.
    over_tcp(
        addr,
        LOGIN_DOC,
        json!({ "e": email, "p": "Wrong-Password-Guess-1" }),
    )
    .await;
    over_tcp(
        addr,
        LOGIN_DOC,
        json!({ "e": email, "p": crate::util::PASSWORD }),
    )
    .await;
    // An administrator's change, with a user agent; and one refused.
    let body = json!({
        "query": org_step("suspendOrganization"),
        "variables": { "id": manager.org_id, "reason": "核查" }
    })
    .to_string();
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", admin.token))
        .header(header::USER_AGENT, "AdminConsole/1.0 (jzcx)")
        .body(Body::from(body))
        .unwrap();
    let (status, _) = app.request(request).await;
    assert_eq!(status, 200);
    app.try_gql_as(
        &admin,
        &org_step("suspendOrganization"),
        json!({ "id": pending.org_id, "reason": "核查" }),
    )
    .await;
    step_organization(&app, &admin, "reinstateOrganization", &manager.org_id, None).await;
    // A manager's change of membership; a unit's ordinary work.
    app.gql_as(&manager, REMOVE_MEMBER, json!({ "user": colleague.id }))
        .await;
    create_scenario(&app, &manager, scenario_input()).await;

    let entries = |action: &'static str| {
        let admin = &admin;
        let app = &app;
        async move {
            let res = app.gql_as(admin, AUDIT, json!({ "action": action })).await;
            answered(&res, "auditLog")["nodes"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    // The colleague's first sign-in (in-process, no address), then the two over TCP.
    let logins = entries("login").await;
    assert_eq!(logins.len(), 3, "{logins:?}");
    let (done, refused) = (&logins[0], &logins[1]);
    assert_eq!(done["outcome"], "DONE");
    assert_eq!(done["actorId"], colleague.id);
    assert_eq!(done["ip"], "127.0.0.1");
    assert_eq!(refused["outcome"], "REFUSED");
    assert_eq!(
        refused["detail"], email,
        "the address tried, never the password"
    );
    let suspensions = entries("suspendOrganization").await;
    assert_eq!(suspensions.len(), 2, "{suspensions:?}");
    assert_eq!(suspensions[0]["outcome"], "REFUSED");
    assert_eq!(suspensions[0]["targetId"], pending.org_id);
    assert_eq!(suspensions[1]["outcome"], "DONE");
    assert_eq!(suspensions[1]["targetId"], manager.org_id);
    assert_eq!(suspensions[1]["actorId"], admin.id);
    assert_eq!(suspensions[1]["userAgent"], "AdminConsole/1.0 (jzcx)");
    let removal = entries("removeMember").await;
    assert_eq!(removal.len(), 1);
    assert_eq!(removal[0]["actorId"], manager.id);
    assert_eq!(removal[0]["targetId"], colleague.id);
    assert!(
        entries("createScenario").await.is_empty(),
        "ordinary work is not audited"
    );
    assert_eq!(entries("acceptInvitation").await.len(), 1);

    // Only admins read it, and no column holds a password.
    let res = app.try_gql_as(&manager, AUDIT, json!({})).await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
    let everything: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT action, detail, user_agent FROM audit_log")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    let text = format!("{everything:?}");
    assert!(!text.contains(crate::util::PASSWORD) && !text.contains("Wrong-Password"));
});

/// Append-only: nothing in the service changes or deletes an entry of the trail.
#[test]
fn the_audit_trail_is_append_only() {
    fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "sql") {
                let text = std::fs::read_to_string(&path).unwrap().to_uppercase();
                for statement in [
                    "UPDATE AUDIT_LOG",
                    "DELETE FROM AUDIT_LOG",
                    "DROP TABLE AUDIT_LOG",
                ] {
                    if text.contains(statement) {
                        found.push(format!("{}: {statement}", path.display()));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    for dir in ["src", "migrations"] {
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
            &mut found,
        );
    }
    assert!(found.is_empty(), "{found:?}");
}

// Behind a reverse proxy every request comes from the proxy: with the setting on, the address
// the proxy saw is the one counted and recorded.
db_test!(behind_a_proxy_the_forwarded_address_counts, |app| {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = twolists::server::ServerLimits {
        trust_forwarded_for: true,
        ..Default::default()
    };
    tokio::spawn(twolists::server::serve(
        listener,
        app.router(),
        limits,
        std::future::pending(),
    ));
    let body = json!({ "query": LOGIN_DOC, "variables": { "e": "a@example.cn", "p": "Wrong-Password-Guess-1" } })
        .to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         X-Forwarded-For: 198.51.100.4, 203.0.113.7\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let ip: Option<String> = sqlx::query_scalar("SELECT ip FROM audit_log WHERE action = 'login'")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(
        ip.as_deref(),
        Some("203.0.113.7"),
        "the entry the nearest proxy added"
    );
});

// The counters do not grow for ever: ended windows and day-old runs of wrong passwords go.
db_test!(spent_rate_limit_counters_are_swept, |app| {
    let old = "2000-01-01T00:00:00.000000Z";
    let now = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    for (key, start) in [("login:192.0.2.1", old), ("login:192.0.2.2", now.as_str())] {
        sqlx::query("INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 3)")
            .bind(key)
            .bind(start)
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }
    for (email, at) in [("old@example.cn", old), ("new@example.cn", now.as_str())] {
        sqlx::query(
            "INSERT INTO login_failures (email, failures, last_failed_at) VALUES ($1, 7, $2)",
        )
        .bind(email)
        .bind(at)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    }
    let swept = twolists::auth::limits::sweep(&app.state.db).await.unwrap();
    assert_eq!(swept, 2);
    assert_eq!(
        app.count("rate_limits WHERE key = 'login:192.0.2.2'").await,
        1
    );
    assert_eq!(app.count("rate_limits").await, 1);
    assert_eq!(
        app.count("login_failures WHERE email = 'new@example.cn'")
            .await,
        1
    );
    assert_eq!(app.count("login_failures").await, 1);
});

//! The public pages, feeds and open data (README, "Public pages"): every route answers through the
//! real router, shows published items with their user text escaped, and never shows a draft, an
//! item under review, a contact or a match.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::TestApp;

/// Every public address that lists or shows items, for a published scenario and capability.
fn public_paths(scenario_code: &str, capability_code: &str) -> Vec<String> {
    let mut paths: Vec<String> = [
        "/",
        "/opportunities",
        "/opportunities?status=CLOSED",
        "/opportunities?q=%E5%B7%A1%E6%A3%80",
        "/capabilities",
        "/capabilities?q=%E5%B7%A1%E6%A3%80",
        "/capabilities?status=FEATURED",
        "/cases",
        "/editions",
        "/stats",
        "/feeds/opportunities.atom",
        "/feeds/capabilities.atom",
        "/feeds/cases.atom",
        "/open-data/opportunities.json",
        "/open-data/capabilities.json",
        "/open-data/cases.json",
        "/sitemap.xml",
        "/robots.txt",
    ]
    .map(str::to_owned)
    .to_vec();
    paths.push(format!("/opportunities/{scenario_code}"));
    paths.push(format!("/capabilities/{capability_code}"));
    paths
}

async fn page(app: &TestApp, path: &str) -> String {
    let (status, body) = app.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn code(item: &Value) -> String {
    item["code"].as_str().expect("a public code").to_owned()
}

db_test!(pages_show_published_items_and_nothing_private, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let enterprise = app.enterprise_user().await;

    let mut public = scenario_input();
    set(&mut public, "/title", json!("公开场景<i>甲</i>巡检"));
    let published = scenario_in_with(&app, &unit, &admin, "PUBLISHED", public).await;
    let mut hidden = Vec::new();
    for (status, title) in [
        ("DISCOVERED", "挖掘中的场景乙"),
        ("PENDING_REVIEW", "待审核的场景丙"),
        ("CHANGES_REQUESTED", "退回修改的场景丁"),
        ("WITHDRAWN", "已撤回的场景戊"),
    ] {
        let mut input = scenario_input();
        set(&mut input, "/title", json!(title));
        scenario_in_with(&app, &unit, &admin, status, input).await;
        hidden.push(title);
    }
    let mut offered = capability_input();
    set(&mut offered, "/title", json!("公开方案<b>己</b>巡检"));
    let listed = listed_capability(&app, &enterprise, &admin, offered).await;
    for (status, title) in [("DRAFT", "草稿方案庚"), ("PENDING_REVIEW", "待审核方案辛")]
    {
        let mut input = capability_input();
        set(&mut input, "/title", json!(title));
        let created = create_capability(&app, &enterprise, input).await;
        if status == "PENDING_REVIEW" {
            act_capability(&app, &enterprise, &created["id"], "SUBMIT").await;
        }
        hidden.push(title);
    }
    let archived = capability_in(&app, &enterprise, &admin, "ARCHIVED").await;
    // A match (proposed, then approved): private to its two sides and admins.
    let proposed = apply(&app, &enterprise, &published, &listed).await;
    moderate(&app, &admin, &proposed["id"], "APPROVE", None).await;
    let pitch = apply_input(&published, &listed)["pitch"]
        .as_str()
        .unwrap()
        .to_owned();

    let contacts = [
        scenario_input()["contact"]["phone"].clone(),
        scenario_input()["contact"]["email"].clone(),
        capability_input()["contact"]["phone"].clone(),
        scenario_input()["contact"]["name"].clone(),
        capability_input()["contact"]["name"].clone(),
    ];
    for path in public_paths(&code(&published), &code(&listed)) {
        let body = page(&app, &path).await;
        for title in &hidden {
            assert!(!body.contains(title), "{path} shows {title}");
        }
        for contact in &contacts {
            let contact = contact.as_str().unwrap();
            assert!(
                !body.contains(contact),
                "{path} shows the contact {contact}"
            );
        }
        assert!(!body.contains(&pitch), "{path} shows a match's pitch");
        // User text is escaped wherever it appears in markup (HTML, XML); JSON carries it as
        // written.
        if path.contains("opportunities.json") || path.contains("capabilities.json") {
            assert!(
                body.contains("<i>甲</i>") || body.contains("<b>己</b>"),
                "{path}"
            );
        } else {
            assert!(!body.contains("<i>甲</i>"), "{path}: unescaped title");
            assert!(!body.contains("<b>己</b>"), "{path}: unescaped title");
        }
    }

    let list = page(&app, "/opportunities").await;
    assert!(list.contains("公开场景&lt;i&gt;甲&lt;/i&gt;巡检"), "{list}");
    assert!(list.contains(&format!("href=\"/opportunities/{}\"", code(&published))));
    let detail = page(&app, &format!("/opportunities/{}", code(&published))).await;
    assert!(detail.contains("<html lang=\"zh-CN\">"));
    assert!(
        detail.contains("<title>公开场景&lt;i&gt;甲&lt;/i&gt;巡检 · "),
        "{detail}"
    );
    assert!(detail.contains(&format!(
        "<link rel=\"canonical\" href=\"http://127.0.0.1:8080/opportunities/{}\">",
        code(&published)
    )));
    assert!(detail.contains("<meta property=\"og:title\""));
    assert!(detail.contains(&format!(
        "<meta name=\"description\" content=\"{}\">",
        scenario_input()["summary"].as_str().unwrap()
    )));
    assert!(detail.contains("已发布"), "the timeline's public step");
    assert!(detail.contains("如何申报"), "the call to apply");
    let capability = page(&app, &format!("/capabilities/{}", code(&listed))).await;
    assert!(capability.contains("公开方案&lt;b&gt;己&lt;/b&gt;巡检"));
    assert!(
        capability.contains("某煤矿主运输巷道智能巡检"),
        "its delivered cases"
    );

    // Items that are not public are not found by code, as in the API.
    for path in [
        format!("/capabilities/{}", code(&archived)),
        "/opportunities/JZ-JH-2099-9999".to_owned(),
        "/capabilities/%3Cscript%3E".to_owned(),
        format!("/cases/{}", code(&published)),
    ] {
        let (status, body) = app.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("页面不存在"), "{path}: {body}");
        assert!(!body.contains("<script>"), "{path}");
    }
});

db_test!(lists_filter_search_highlight_and_page, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let mut elderly = Vec::new();
    for i in 0..21 {
        let mut input = scenario_input();
        set(
            &mut input,
            "/title",
            json!(format!("智慧社区养老服务场景{i:02}")),
        );
        set(&mut input, "/category", json!("COMMUNITY"));
        set(&mut input, "/industryCodes", json!(["CS01"]));
        set(
            &mut input,
            "/summary",
            json!("为社区老人提供助餐、助浴和健康监测服务。"),
        );
        set(
            &mut input,
            "/description",
            json!("社区养老服务平台，连接社区食堂、家政和社区卫生服务站。"),
        );
        set(&mut input, "/tags", json!(["智慧养老"]));
        elderly.push(code(
            &scenario_in_with(&app, &unit, &admin, "PUBLISHED", input).await,
        ));
    }
    let mine = scenario_in(&app, &unit, &admin, "PUBLISHED").await;

    let all = page(&app, "/opportunities").await;
    assert!(all.contains("共 22 条"), "{all}");
    assert!(
        all.contains("rel=\"next\" href=\"/opportunities?page=2\""),
        "{all}"
    );
    let second = page(&app, "/opportunities?page=2").await;
    assert!(second.contains("第 2 / 2 页"));
    assert!(
        second.contains(
            "<link rel=\"canonical\" href=\"http://127.0.0.1:8080/opportunities?page=2\">"
        )
    );
    assert_eq!(second.matches("class=\"card\"").count(), 2);

    // Category and industry (a cluster stands for its industries).
    let industrial = page(&app, "/opportunities?category=INDUSTRIAL").await;
    assert!(industrial.contains("共 1 条"), "{industrial}");
    assert!(industrial.contains(&code(&mine)));
    assert!(industrial.contains("<option value=\"INDUSTRIAL\" selected>"));
    let cluster = page(&app, "/opportunities?industry=MT").await;
    assert!(cluster.contains("共 1 条"), "{cluster}");
    let community = page(&app, "/opportunities?industry=CS01&page=2").await;
    assert!(community.contains("共 21 条"), "{community}");
    assert!(
        community.contains("rel=\"prev\" href=\"/opportunities?industry=CS01\""),
        "{community}"
    );

    // Free text: the matched words are marked, the order is by relevance, the link keeps the query.
    let found = page(
        &app,
        "/opportunities?q=%E5%B7%A1%E6%A3%80%E6%9C%BA%E5%99%A8%E4%BA%BA",
    )
    .await;
    assert!(found.contains("共 1 条"), "{found}");
    assert!(
        found.contains("<mark>巡检</mark>") || found.contains("<mark>巡检机器人</mark>"),
        "{found}"
    );
    assert!(found.contains("<option value=\"relevance\" selected>"));
    assert!(
        found.contains("value=\"巡检机器人\""),
        "the query stays in its box"
    );

    // Similar open scenarios, by the engine's search over the title: the other 养老 scenarios,
    // never the scenario itself or the unrelated one.
    let detail = page(&app, &format!("/opportunities/{}", elderly[0])).await;
    let similar = &detail[detail.find("相似场景").expect("similar scenarios")..];
    assert_eq!(similar.matches("<li>").count(), 5, "{similar}");
    assert!(
        similar.contains(&elderly[1]) || similar.contains(&elderly[20]),
        "{similar}"
    );
    assert!(!similar.contains(&elderly[0]), "{similar}");
    assert!(!similar.contains(&code(&mine)), "{similar}");

    // Bad filters are the reader's error, in Chinese, before any query.
    for (path, message) in [
        ("/opportunities?page=0", "页码"),
        ("/opportunities?page=abc", "页码"),
        ("/opportunities?page=501", "页码"),
        ("/opportunities?category=NOPE", "场景类别"),
        ("/opportunities?status=PENDING_REVIEW", "状态"),
        ("/opportunities?status=DISCOVERED", "状态"),
        ("/capabilities?status=DRAFT", "状态"),
        ("/opportunities?industry=XX99", "产业"),
        ("/opportunities?region=999999", "地区"),
        ("/opportunities?maturity=10", "成熟度"),
        ("/opportunities?budget_min=-1", "预算下限"),
        ("/capabilities?budget_max=abc", "报价上限"),
        ("/opportunities?order=random", "排序"),
        ("/capabilities?category=CITY", "场景类别"),
        ("/opportunities?q=a&q=b", "查询参数"),
        ("/opportunities?q=%E5%B7%A1%00%E6%A3%80", "控制字符"),
        ("/capabilities?q=%E5%B7%A1%E2%80%AE", "控制字符"),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(body.contains(message), "{path}: {body}");
    }
    let long = "巡".repeat(201);
    let (status, body) = app.get(&format!("/opportunities?q={long}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("搜索词不能超过200个字"), "{body}");
});

db_test!(pages_carry_etags_and_answer_a_repeat_with_304, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    scenario_in(&app, &unit, &admin, "PUBLISHED").await;
    for path in [
        "/opportunities",
        "/feeds/opportunities.atom",
        "/assets/site.css",
    ] {
        let (status, headers, body) = app.download(None, path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!body.is_empty());
        let etag = headers[header::ETAG].clone();
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=60");
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            policy.starts_with("default-src 'none'; style-src 'self'"),
            "{policy}"
        );
        let request = Request::get(path)
            .header(header::IF_NONE_MATCH, etag.clone())
            .body(Body::empty())
            .unwrap();
        let (status, body) = app.request(request).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(body.is_empty());
    }
    // A change to the list changes the page and its tag.
    let (_, before, _) = app.download(None, "/opportunities").await;
    scenario_in(&app, &unit, &admin, "PUBLISHED").await;
    let (_, after, _) = app.download(None, "/opportunities").await;
    assert_ne!(before[header::ETAG], after[header::ETAG]);
    // Error pages are not cached.
    let (status, headers, _) = app.download(None, "/opportunities/JZ-JH-2099-0001").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
});

db_test!(feeds_are_atom_and_open_data_keeps_its_format, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let published = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
    let landed = scenario_in(&app, &unit, &admin, "LANDED").await;
    let featured = capability_in(&app, &enterprise, &admin, "FEATURED").await;
    let case: Value =
        serde_json::from_slice(&app.download(None, "/open-data/cases.json").await.2).unwrap();
    let landed_by = case["items"][0]["outcome"]["capability"]["code"]
        .as_str()
        .expect("the delivering capability")
        .to_owned();

    for (path, expected) in [
        // The live list: a landed scenario has left it for the cases.
        ("/feeds/opportunities.atom", vec![code(&published)]),
        // The featured one, and the one that delivered the landed scenario.
        (
            "/feeds/capabilities.atom",
            vec![code(&featured), landed_by.clone()],
        ),
        ("/feeds/cases.atom", vec![code(&landed)]),
    ] {
        let (status, headers, body) = app.download(None, path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/atom+xml; charset=utf-8"
        );
        let feed = feed_rs::parser::parse(body.as_slice()).expect("the feed parses");
        assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
        assert_eq!(feed.id, format!("http://127.0.0.1:8080{path}"));
        let links: Vec<String> = feed
            .entries
            .iter()
            .map(|e| e.links[0].href.clone())
            .collect();
        for code in &expected {
            assert!(
                links.iter().any(|l| l.ends_with(code)),
                "{path}: {links:?} {code}"
            );
        }
        assert_eq!(feed.entries.len(), expected.len(), "{path}: {links:?}");
        assert!(feed.entries.iter().all(|e| e.updated.is_some()));
    }
    // A feed's links lead to pages that exist.
    let cases =
        feed_rs::parser::parse(app.download(None, "/feeds/cases.atom").await.2.as_slice()).unwrap();
    let path = cases.entries[0].links[0]
        .href
        .trim_start_matches("http://127.0.0.1:8080")
        .to_owned();
    let case = page(&app, &path).await;
    assert!(case.contains("落地成效"), "{case}");

    let (status, headers, body) = app.download(None, "/open-data/opportunities.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/json; charset=utf-8"
    );
    let data: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(data["format"], "jinzhong-twolists/open-data/v1");
    assert_eq!(data["kind"], "opportunities");
    assert_eq!(
        (
            data["page"].clone(),
            data["per_page"].clone(),
            data["total"].clone()
        ),
        (json!(1), json!(100), json!(1))
    );
    assert_eq!(data["next"], Value::Null);
    let item = &data["items"][0];
    assert_eq!(item["code"], published["code"]);
    assert_eq!(
        item["url"],
        format!("http://127.0.0.1:8080/opportunities/{}", code(&published))
    );
    assert_eq!(item["title"], scenario_input()["title"]);
    assert_eq!(item["description"], scenario_input()["description"]);
    assert_eq!(
        item["category"],
        json!({ "code": "INDUSTRIAL", "name": "智慧应用新兴场景" })
    );
    assert_eq!(item["industries"][0]["code"], "MT04");
    assert_eq!(item["budget_min"], 80);
    assert_eq!(item["budget_max"], 300);
    assert_eq!(item["maturity_required"], 7);
    assert_eq!(
        item["cooperation_modes"],
        json!(["PROCUREMENT", "SITE_OPEN"])
    );
    assert_eq!(
        item["status"],
        json!({ "code": "PUBLISHED", "name": "已发布" })
    );
    assert!(item["unit"].as_str().is_some_and(|u| !u.is_empty()));
    assert!(item.get("contact").is_none());

    let capabilities: Value =
        serde_json::from_slice(&app.download(None, "/open-data/capabilities.json").await.2)
            .unwrap();
    let item = &capabilities["items"][0];
    assert_eq!(item["code"], featured["code"]);
    assert_eq!(item["featured"], true);
    assert_eq!(item["maturity"], 8);
    assert_eq!(item["cases"][0]["client"], "介休某煤业公司");
    assert!(item.get("contact").is_none());

    let cases: Value =
        serde_json::from_slice(&app.download(None, "/open-data/cases.json").await.2).unwrap();
    assert_eq!(cases["total"], 1);
    let item = &cases["items"][0];
    assert_eq!(item["code"], landed["code"]);
    assert!(item["outcome"]["summary"].is_string(), "{item}");
    assert!(item["outcome"]["capability"]["code"].is_string(), "{item}");

    for path in [
        "/feeds/other.atom",
        "/open-data/other.json",
        "/open-data/opportunities.json?page=0",
    ] {
        let (status, _) = app.get(path).await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST,
            "{path}: {status}"
        );
    }

    let sitemap = page(&app, "/sitemap.xml").await;
    for code in [code(&published), code(&landed), code(&featured)] {
        assert!(sitemap.contains(&code), "{sitemap}");
    }
    let robots = page(&app, "/robots.txt").await;
    assert!(robots.contains("Sitemap: http://127.0.0.1:8080/sitemap.xml"));
    assert!(robots.contains("Disallow: /graphql"));
});

db_test!(cases_editions_and_statistics_pages, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let landed = scenario_in(&app, &unit, &admin, "LANDED").await;
    let published = scenario_in(&app, &unit, &admin, "PUBLISHED").await;

    let cases = page(&app, "/cases").await;
    assert!(
        cases.contains(&format!("href=\"/cases/{}\"", code(&landed))),
        "{cases}"
    );
    assert!(!cases.contains(&code(&published)));
    assert!(cases.contains("承担方案"), "the delivering capability");
    let case = page(&app, &format!("/cases/{}", code(&landed))).await;
    assert!(case.contains("落地成效"));
    assert!(case.contains("已落地"));
    assert!(
        !case.contains("如何申报"),
        "a landed scenario takes no applications"
    );

    // An edition: listed once published, with its entries and downloads; a draft is not found.
    let create = "mutation($input: CreateEditionInput!) { createEdition(input: $input) { edition { id } errors { code } } }";
    let add = "mutation($input: AddEditionItemsInput!) { addEditionItems(input: $input) { edition { id } errors { code } } }";
    let publish = "mutation($id: ID!) { publishEdition(input: { id: $id }) { edition { id status } errors { code } } }";
    let edition = |batch: i32| json!({ "input": { "kind": "OPPORTUNITY", "year": 2026, "batch": batch, "title": format!("晋中市2026年第{batch}批场景机会清单") } });
    let first =
        app.gql_as(&admin, create, edition(1)).await["data"]["createEdition"]["edition"]["id"]
            .clone();
    let draft =
        app.gql_as(&admin, create, edition(2)).await["data"]["createEdition"]["edition"]["id"]
            .clone();
    app.gql_as(
        &admin,
        add,
        json!({ "input": { "editionId": first, "itemIds": [published["id"]] } }),
    )
    .await;
    let done = app.gql_as(&admin, publish, json!({ "id": first })).await;
    assert_eq!(
        done["data"]["publishEdition"]["edition"]["status"],
        "PUBLISHED"
    );

    let editions = page(&app, "/editions").await;
    assert!(editions.contains("晋中市2026年第1批场景机会清单"));
    assert!(!editions.contains("第2批"), "a draft edition is not public");
    let id = first.as_str().unwrap();
    let one = page(&app, &format!("/editions/{id}")).await;
    assert!(one.contains(&format!("href=\"/opportunities/{}\"", code(&published))));
    assert!(one.contains(&format!("href=\"/exports/editions/{id}.xlsx\"")));
    let (status, headers, _) = app
        .download(None, &format!("/exports/editions/{id}.csv"))
        .await;
    assert_eq!(status, StatusCode::OK, "the download the page links to");
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let (status, _) = app
        .get(&format!("/editions/{}", draft.as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let home = page(&app, "/").await;
    assert!(home.contains("晋中市2026年第1批场景机会清单"));
    assert!(home.contains(&code(&published)));

    let stats = page(&app, "/stats").await;
    for title in [
        "场景推进阶段",
        "各县（区）发布的场景",
        "各产业集群的场景",
        "各县（区）落地投资",
    ] {
        assert!(stats.contains(title), "{title}");
    }
    assert!(stats.matches("<svg").count() >= 4, "{stats}");
    assert!(
        stats.contains("<table class=\"list\">"),
        "each chart has its table"
    );
    assert!(
        stats.contains("<td>榆次区</td>"),
        "the units' county in a table: {stats}"
    );
});

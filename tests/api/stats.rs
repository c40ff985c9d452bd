//! The statistics against a city counted by hand: seven scenarios in seven states across four
//! regions and three clusters, three listed capabilities (one featured), two matches.

use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::{
    capability_input, feature_capability, listed_capability, scenario_in, scenario_in_with,
    scenario_input, set,
};
use crate::util::{TestApp, TestUser, error_code};

const STATS: &str = r#"
query($filter: StatsFilter) {
  stats(filter: $filter) {
    scope
    scenarios {
      total
      byStatus { status count }
      byRegion { code name count amount }
      byRegionGroup { code name count }
      byCluster { code count }
      byCategory { code name count }
      funnel { stage name reached now }
      partnerShare
      landedByRegion { code count amount }
      landedByCluster { code count amount }
    }
    capabilities { listed featured byRegion { code count amount } byCluster { code count amount } }
    matches {
      total
      byStatus { status count }
      byOrigin { origin count }
      topCapabilities { title organizationName matches }
    }
  }
}"#;

/// A scenario input in `region` with `industries` and `category`.
fn input(region: &str, industries: &[&str], category: &str) -> Value {
    let mut input = scenario_input();
    set(&mut input, "/regionCode", json!(region));
    set(&mut input, "/industryCodes", json!(industries));
    set(&mut input, "/category", json!(category));
    input
}

/// The hand-counted city (the fixture's unit and enterprises are all in 榆次区 140702):
///
/// | scenario | status | region | clusters | category |
/// |---|---|---|---|---|
/// | S1 | DISCOVERED | 140781 介休 (平川) | MT, ZZ | INDUSTRIAL |
/// | S2 | PENDING_REVIEW | 140700 city level | WL | CITY |
/// | S3 | PUBLISHED | 140725 寿阳 (东山) | WL | CITY |
/// | S4 | MATCHING (one approved application) | 140702 榆次 (平川) | MT, ZZ | INDUSTRIAL |
/// | S5 | LANDED, 180 万元 (one landed application) | 140702 | MT, ZZ | INDUSTRIAL |
/// | S6 | WITHDRAWN from DISCOVERED | 140725 | MT, ZZ | INDUSTRIAL |
/// | S7 | CLOSED after publication | 140702 | MT, ZZ | INDUSTRIAL |
///
/// Capabilities: one listed with each of S4 and S5, one more listed and featured; all MT.
async fn city(app: &TestApp) -> (TestUser, TestUser) {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let mt = ["MT04", "ZZ05"];
    for (status, input) in [
        ("DISCOVERED", input("140781", &mt, "INDUSTRIAL")),
        ("PENDING_REVIEW", input("140700", &["WL01"], "CITY")),
        ("PUBLISHED", input("140725", &["WL01", "WL02"], "CITY")),
        ("MATCHING", scenario_input()),
        ("LANDED", scenario_input()),
        ("WITHDRAWN", input("140725", &mt, "INDUSTRIAL")),
    ] {
        scenario_in_with(app, &unit, &admin, status, input).await;
    }
    scenario_in(app, &unit, &admin, "CLOSED").await;
    let enterprise = app.enterprise_user().await;
    let capability = listed_capability(app, &enterprise, &admin, capability_input()).await;
    feature_capability(app, &admin, &capability["id"]).await;
    (admin, unit)
}

fn counts(list: &Value, key: &str) -> Vec<(String, i64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b[key].as_str().unwrap().to_owned(),
                b["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, i64)]) -> Vec<(String, i64)> {
    expected
        .iter()
        .map(|(k, n)| ((*k).to_owned(), *n))
        .collect()
}

db_test!(administrators_see_every_figure_of_the_city, |app| {
    let (admin, _) = city(&app).await;
    let stats = app.gql_as(&admin, STATS, json!({})).await;
    let stats = &stats["data"]["stats"];
    assert_eq!(stats["scope"], "ALL");
    let s = &stats["scenarios"];
    assert_eq!(s["total"], 7);
    assert_eq!(
        counts(&s["byStatus"], "status"),
        pairs(&[
            ("DISCOVERED", 1),
            ("PENDING_REVIEW", 1),
            ("PUBLISHED", 1),
            ("MATCHING", 1),
            ("LANDED", 1),
            ("WITHDRAWN", 1),
            ("CLOSED", 1),
        ])
    );
    // Most first, then by code.
    assert_eq!(
        counts(&s["byRegion"], "code"),
        pairs(&[("140702", 3), ("140725", 2), ("140700", 1), ("140781", 1)])
    );
    assert_eq!(s["byRegion"][0]["name"], "榆次区");
    assert_eq!(s["byRegion"][0]["amount"], Value::Null);
    assert_eq!(
        counts(&s["byRegionGroup"], "code"),
        pairs(&[("PINGCHUAN", 4), ("DONGSHAN", 2), ("CITY", 1)])
    );
    assert_eq!(s["byRegionGroup"][1]["name"], "东山");
    assert_eq!(
        counts(&s["byCluster"], "code"),
        pairs(&[("MT", 5), ("ZZ", 5), ("WL", 2)])
    );
    assert_eq!(
        counts(&s["byCategory"], "code"),
        pairs(&[("INDUSTRIAL", 5), ("CITY", 2)])
    );
    assert_eq!(s["byCategory"][1]["name"], "智慧城市场景");
    assert_eq!(
        s["funnel"],
        json!([
            { "stage": "DISCOVERY", "name": "挖掘", "reached": 7, "now": 1 },
            { "stage": "PLANNING", "name": "策划", "reached": 5, "now": 1 },
            { "stage": "PUBLICATION", "name": "发布", "reached": 4, "now": 1 },
            { "stage": "MATCHMAKING", "name": "对接", "reached": 2, "now": 1 },
            { "stage": "LANDING", "name": "落地", "reached": 1, "now": 1 },
            { "stage": "PROMOTION", "name": "推广", "reached": 0, "now": 0 },
        ])
    );
    // Of four published scenarios, one found a partner.
    assert_eq!(s["partnerShare"], 0.25);
    assert_eq!(
        s["landedByRegion"],
        json!([{ "code": "140702", "count": 1, "amount": 180 }])
    );
    assert_eq!(
        s["landedByCluster"],
        json!([
            { "code": "MT", "count": 1, "amount": 180 },
            { "code": "ZZ", "count": 1, "amount": 180 },
        ])
    );
    let c = &stats["capabilities"];
    assert_eq!(
        (c["listed"].as_i64(), c["featured"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(
        c["byRegion"],
        json!([{ "code": "140702", "count": 3, "amount": 1 }])
    );
    assert_eq!(
        c["byCluster"],
        json!([{ "code": "MT", "count": 3, "amount": 1 }])
    );
    let m = &stats["matches"];
    assert_eq!(m["total"], 2);
    assert_eq!(
        counts(&m["byStatus"], "status"),
        pairs(&[("APPROVED", 1), ("LANDED", 1)])
    );
    assert_eq!(
        counts(&m["byOrigin"], "origin"),
        pairs(&[("APPLICATION", 2)])
    );
    let top = m["topCapabilities"].as_array().unwrap();
    assert_eq!(top.len(), 2);
    assert!(
        top.iter()
            .all(|c| c["matches"] == 1 && c["title"] == "矿用防爆巡检机器人系统")
    );
});

db_test!(everyone_else_sees_the_figures_of_published_items, |app| {
    let (_, unit) = city(&app).await;
    let enterprise = app.enterprise_user().await;
    let anonymous = app.gql(STATS, json!({})).await;
    // Signed in or not, a non-administrator gets the same published figures.
    for stats in [
        anonymous.clone(),
        app.gql_as(&unit, STATS, json!({})).await,
        app.gql_as(&enterprise, STATS, json!({})).await,
    ] {
        assert_eq!(stats, anonymous);
    }
    let stats = &anonymous["data"]["stats"];
    assert_eq!(stats["scope"], "PUBLISHED");
    let s = &stats["scenarios"];
    // S3, S4, S5 and S7: published at some time.
    assert_eq!(s["total"], 4);
    assert_eq!(
        counts(&s["byStatus"], "status"),
        pairs(&[
            ("PUBLISHED", 1),
            ("MATCHING", 1),
            ("LANDED", 1),
            ("CLOSED", 1)
        ])
    );
    assert_eq!(
        counts(&s["byRegion"], "code"),
        pairs(&[("140702", 3), ("140725", 1)])
    );
    assert_eq!(
        counts(&s["byRegionGroup"], "code"),
        pairs(&[("PINGCHUAN", 3), ("DONGSHAN", 1)])
    );
    assert_eq!(
        counts(&s["byCluster"], "code"),
        pairs(&[("MT", 3), ("ZZ", 3), ("WL", 1)])
    );
    // Stages before publication are not shown.
    assert_eq!(
        s["funnel"],
        json!([
            { "stage": "DISCOVERY", "name": "挖掘", "reached": null, "now": null },
            { "stage": "PLANNING", "name": "策划", "reached": null, "now": null },
            { "stage": "PUBLICATION", "name": "发布", "reached": 4, "now": 1 },
            { "stage": "MATCHMAKING", "name": "对接", "reached": 2, "now": 1 },
            { "stage": "LANDING", "name": "落地", "reached": 1, "now": 1 },
            { "stage": "PROMOTION", "name": "推广", "reached": 0, "now": 0 },
        ])
    );
    assert_eq!(s["partnerShare"], 0.25);
    assert_eq!(
        s["landedByRegion"],
        json!([{ "code": "140702", "count": 1, "amount": 180 }])
    );
    assert_eq!(stats["capabilities"]["listed"], 3);
    assert_eq!(stats["capabilities"]["featured"], 1);
    // The query succeeded; matches are private to their parties.
    assert!(anonymous.get("errors").is_none());
    assert_eq!(stats["matches"], Value::Null);
});

db_test!(filters_narrow_every_figure, |app| {
    let (admin, _) = city(&app).await;
    let total = |filter: Value| {
        let admin = &admin;
        let app = &app;
        async move {
            let stats = app.gql_as(admin, STATS, json!({ "filter": filter })).await;
            let stats = &stats["data"]["stats"];
            (
                stats["scenarios"]["total"].as_i64().unwrap(),
                stats["capabilities"]["listed"].as_i64().unwrap(),
                stats["matches"]["total"].as_i64().unwrap(),
            )
        }
    };
    // S3 and S6 are in 东山; no capability provider is.
    assert_eq!(total(json!({ "regionGroup": "DONGSHAN" })).await, (2, 0, 0));
    // A county: S4, S5 and S7, with both matches; all three providers.
    assert_eq!(total(json!({ "regionCodes": ["140702"] })).await, (3, 3, 2));
    // A cluster stands for its industries: S2 and S3; no capability is in 文旅.
    assert_eq!(total(json!({ "industryCodes": ["WL"] })).await, (2, 0, 0));
    assert_eq!(total(json!({ "industryCodes": ["MT04"] })).await, (5, 3, 2));
    assert_eq!(total(json!({ "category": "CITY" })).await, (2, 3, 0));
    // An empty list matches nothing, as in the lists' filters.
    assert_eq!(total(json!({ "regionCodes": [] })).await, (0, 0, 0));
    assert_eq!(total(json!({ "industryCodes": [] })).await, (0, 0, 0));
    let this_year = twolists::items::today_in_china().format("%Y").to_string();
    let this_year: i32 = this_year.parse().unwrap();
    assert_eq!(total(json!({ "year": this_year })).await, (7, 3, 2));
    assert_eq!(total(json!({ "year": this_year - 1 })).await, (0, 0, 0));
});

db_test!(a_filter_with_unknown_codes_or_years_is_refused, |app| {
    let too_many: Vec<String> = (0..51).map(|_| "140702".to_owned()).collect();
    for (filter, message) in [
        (json!({ "year": 1999 }), "年份应在2000年至2100年之间"),
        (
            json!({ "regionCodes": ["999999"] }),
            "地区代码不存在：999999",
        ),
        (json!({ "industryCodes": ["XX99"] }), "产业代码不存在：XX99"),
        (json!({ "regionCodes": too_many }), "地区最多选择50个"),
    ] {
        let refused = app.try_gql(STATS, json!({ "filter": filter })).await;
        assert_eq!(error_code(&refused), Some("BAD_REQUEST"), "{refused}");
        assert_eq!(refused["errors"][0]["message"], message, "{refused}");
    }
});

db_test!(stage_days_are_medians_of_the_recorded_history, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    // Days after 1 March 2026 at which each scenario was recorded (0), entered 策划 (PLAN, then
    // SUBMIT at the same moment) and was published; one is still in 策划.
    let history: [(&str, f64, Option<f64>); 4] = [
        ("PUBLISHED", 2.0, Some(5.0)),
        ("PUBLISHED", 4.0, Some(6.0)),
        ("PUBLISHED", 9.5, Some(10.0)),
        ("PLANNED", 1.0, None),
    ];
    let day = |days: f64| {
        let start = chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        twolists::db::format_time(start + chrono::Duration::minutes((days * 1440.0) as i64))
    };
    let pool = app.state.db.pool();
    for (status, planned, published) in history {
        let scenario = scenario_in(&app, &unit, &admin, status).await;
        let id = scenario["id"].as_str().unwrap().to_owned();
        let rewrite = |sql: &'static str, at: String| {
            let id = id.clone();
            async move {
                sqlx::query(sql)
                    .bind(at)
                    .bind(id)
                    .execute(pool)
                    .await
                    .unwrap();
            }
        };
        rewrite(
            "UPDATE scenarios SET created_at = $1 WHERE id = $2",
            day(0.0),
        )
        .await;
        rewrite(
            "UPDATE events SET at = $1 WHERE aggregate_id = $2 \
             AND to_status IN ('PLANNED', 'PENDING_REVIEW')",
            day(planned),
        )
        .await;
        if let Some(published) = published {
            rewrite(
                "UPDATE events SET at = $1 WHERE aggregate_id = $2 AND to_status = 'PUBLISHED'",
                day(published),
            )
            .await;
        }
    }
    const DAYS: &str = "{ stats { scenarios { stageDays { from to medianDays scenarios } } } }";
    let stats = app.gql_as(&admin, DAYS, json!({})).await;
    // 挖掘→策划: 1, 2, 4, 9.5 days (median of an even count: the mean of the middle two);
    // 策划→发布: 3, 2, 0.5 days.
    assert_eq!(
        stats["data"]["stats"]["scenarios"]["stageDays"],
        json!([
            { "from": "DISCOVERY", "to": "PLANNING", "medianDays": 3.0, "scenarios": 4 },
            { "from": "PLANNING", "to": "PUBLICATION", "medianDays": 2.0, "scenarios": 3 },
            { "from": "PUBLICATION", "to": "MATCHMAKING", "medianDays": null, "scenarios": 0 },
            { "from": "MATCHMAKING", "to": "LANDING", "medianDays": null, "scenarios": 0 },
            { "from": "LANDING", "to": "PROMOTION", "medianDays": null, "scenarios": 0 },
        ])
    );
    // Before 发布 the steps are not shown to the public.
    let public = app.gql(DAYS, json!({})).await;
    let steps = &public["data"]["stats"]["scenarios"]["stageDays"];
    assert_eq!(steps[0]["medianDays"], Value::Null);
    assert_eq!(steps[0]["scenarios"], Value::Null);
    assert_eq!(steps[1]["scenarios"], Value::Null);
    assert_eq!(steps[2]["scenarios"], 0);
});

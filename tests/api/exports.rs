//! Published editions as spreadsheets (README, "Exports"), read back with calamine and compared
//! field by field; never a contact, never an unpublished edition.

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use calamine::{Data, Reader as _, Xlsx};
use serde_json::{Value, json};

use crate::db_test;
use crate::fixtures::*;
use crate::util::{TestApp, TestUser};

const CREATE: &str = "mutation($input: CreateEditionInput!) { createEdition(input: $input) { edition { id } errors { code } } }";
const ADD: &str = "mutation($input: AddEditionItemsInput!) { addEditionItems(input: $input) { edition { id } errors { code } } }";
const PUBLISH: &str =
    "mutation($id: ID!) { publishEdition(input: { id: $id }) { edition { id } errors { code } } }";

/// The first edition of 2026 of `kind` (each test has a database of its own) holding `items`, published when `publish` says so; its id.
async fn edition(
    app: &TestApp,
    admin: &TestUser,
    kind: &str,
    items: &[&Value],
    publish: bool,
) -> String {
    let title = if kind == "OPPORTUNITY" {
        "晋中市2026年第一批场景机会清单"
    } else {
        "晋中市2026年第一批能力清单"
    };
    let created = app
        .gql_as(
            admin,
            CREATE,
            json!({ "input": { "kind": kind, "year": 2026, "batch": 1, "title": title } }),
        )
        .await;
    assert_eq!(
        created["data"]["createEdition"]["errors"],
        json!([]),
        "{created}"
    );
    let id = created["data"]["createEdition"]["edition"]["id"].clone();
    let added = app
        .gql_as(
            admin,
            ADD,
            json!({ "input": { "editionId": id, "itemIds": items } }),
        )
        .await;
    assert_eq!(
        added["data"]["addEditionItems"]["errors"],
        json!([]),
        "{added}"
    );
    if publish {
        let published = app.gql_as(admin, PUBLISH, json!({ "id": id })).await;
        assert_eq!(published["data"]["publishEdition"]["errors"], json!([]));
    }
    id.as_str().unwrap().to_owned()
}

/// `GET path` without signing in: status, headers, body.
async fn download(app: &TestApp, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use tower::ServiceExt as _;
    let response = app
        .router()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

/// The cells of the workbook's first sheet, with the sheet's name.
fn read_xlsx(bytes: Vec<u8>) -> (String, Vec<Vec<Data>>) {
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let name = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    (name, range.rows().map(|row| row.to_vec()).collect())
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not a text: {other:?}"),
    }
}

/// Excel's serial number of a day: days since 1899-12-30.
fn serial(day: chrono::NaiveDate) -> f64 {
    (day - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64
}

/// The name `user`'s organization was registered with.
async fn organization_name(app: &TestApp, user: &TestUser) -> String {
    sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
        .bind(&user.org_id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

const CONTACTS: [&str; 4] = ["赵工", "0354-7223456", "zhao@jiexiu.gov.cn", "13903541234"];

db_test!(
    a_published_opportunity_edition_downloads_as_xlsx_and_csv,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let first = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let second = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let id = edition(
            &app,
            &admin,
            "OPPORTUNITY",
            &[&first["id"], &second["id"]],
            true,
        )
        .await;
        // After publication the second is withdrawn: its code and title stay as published, its
        // content is no longer anyone's to read.
        act(&app, &unit, &second["id"], "WITHDRAW").await;

        let (status, headers, bytes) =
            download(&app, &format!("/exports/editions/{id}.xlsx")).await;
        assert_eq!(status, 200);
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(disposition.ends_with(".xlsx"), "{disposition}");
        let (name, rows) = read_xlsx(bytes);
        assert_eq!(name, "晋中市2026年第一批场景机会清单");
        let headings: Vec<String> = rows[0].iter().map(text).collect();
        assert_eq!(
            headings,
            [
                "序号",
                "场景编号",
                "场景名称",
                "发布单位",
                "所在地区",
                "所属产业",
                "场景类别",
                "预算下限（万元）",
                "预算上限（万元）",
                "截止日期",
                "场景简介",
            ]
        );
        assert_eq!(rows.len(), 3);
        let input = scenario_input();
        let row = &rows[1];
        assert_eq!(row[0], Data::Float(1.0));
        assert_eq!(text(&row[1]), first["code"].as_str().unwrap());
        assert_eq!(text(&row[2]), input["title"].as_str().unwrap());
        let unit_name = organization_name(&app, &unit).await;
        assert!(unit_name.starts_with("晋中市工业和信息化局"));
        assert_eq!(text(&row[3]), unit_name);
        // The unit's county (util.rs registers it in 140702) and the input's industries, named as
        // seeds/taxonomy.json names them.
        assert_eq!(text(&row[4]), "榆次区");
        let taxonomy = twolists::taxonomy::Taxonomy::bundled();
        let industries: Vec<String> = ["MT04", "ZZ05"]
            .iter()
            .map(|code| taxonomy.industry(code).unwrap().name.clone())
            .collect();
        assert_eq!(text(&row[5]), industries.join("、"));
        assert_eq!(text(&row[6]), "智慧应用新兴场景");
        assert_eq!(row[7], Data::Float(80.0));
        assert_eq!(row[8], Data::Float(300.0));
        let deadline: chrono::NaiveDate = input["deadline"].as_str().unwrap().parse().unwrap();
        match &row[9] {
            Data::DateTime(day) => assert_eq!(day.as_f64(), serial(deadline)),
            other => panic!("the deadline is a date: {other:?}"),
        }
        assert_eq!(text(&row[10]), input["summary"].as_str().unwrap());
        // The withdrawn one: as published, and nothing more.
        let withdrawn = &rows[2];
        assert_eq!(withdrawn[0], Data::Float(2.0));
        assert_eq!(text(&withdrawn[1]), second["code"].as_str().unwrap());
        assert_eq!(text(&withdrawn[2]), input["title"].as_str().unwrap());
        assert!(
            withdrawn[3..].iter().all(|cell| *cell == Data::Empty),
            "{withdrawn:?}"
        );
        let every_cell: Vec<String> = rows.iter().flatten().map(|c| c.to_string()).collect();
        for contact in CONTACTS {
            assert!(!every_cell.iter().any(|c| c.contains(contact)), "{contact}");
        }

        let (status, headers, bytes) = download(&app, &format!("/exports/editions/{id}.csv")).await;
        assert_eq!(status, 200);
        assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        assert!(
            bytes.starts_with(b"\xEF\xBB\xBF"),
            "a byte-order mark for Excel"
        );
        let csv = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], headings.join(","));
        assert_eq!(
            lines[1],
            [
                "1".to_owned(),
                first["code"].as_str().unwrap().to_owned(),
                input["title"].as_str().unwrap().to_owned(),
                unit_name.clone(),
                "榆次区".to_owned(),
                industries.join("、"),
                "智慧应用新兴场景".to_owned(),
                "80".to_owned(),
                "300".to_owned(),
                deadline.to_string(),
                input["summary"].as_str().unwrap().to_owned(),
            ]
            .join(",")
        );
        assert_eq!(
            lines[2],
            format!(
                "2,{},{},,,,,,,,",
                second["code"].as_str().unwrap(),
                input["title"].as_str().unwrap()
            )
        );
        assert_eq!(lines[3], "", "the file ends with a line break");
        for contact in CONTACTS {
            assert!(!csv.contains(contact), "{contact}");
        }
    }
);

db_test!(
    a_capability_edition_names_provider_maturity_and_regions,
    |app| {
        let admin = app.admin().await;
        let enterprise = app.enterprise_user().await;
        let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
        let id = edition(&app, &admin, "CAPABILITY", &[&capability["id"]], true).await;
        let (status, _, bytes) = download(&app, &format!("/exports/editions/{id}.xlsx")).await;
        assert_eq!(status, 200);
        let (name, rows) = read_xlsx(bytes);
        assert_eq!(name, "晋中市2026年第一批能力清单");
        assert_eq!(text(&rows[0][5]), "技术成熟度");
        let row = &rows[1];
        assert_eq!(text(&row[1]), capability["code"].as_str().unwrap());
        assert_eq!(text(&row[3]), organization_name(&app, &enterprise).await);
        assert_eq!(row[5], Data::Float(8.0));
        assert_eq!(
            (&row[6], &row[7]),
            (&Data::Float(60.0), &Data::Float(240.0))
        );
        assert_eq!(text(&row[8]), "晋中市");
        let every_cell: Vec<String> = rows.iter().flatten().map(|c| c.to_string()).collect();
        for contact in CONTACTS {
            assert!(!every_cell.iter().any(|c| c.contains(contact)), "{contact}");
        }
    }
);

db_test!(only_published_editions_download, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let scenario = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
    let draft = edition(&app, &admin, "OPPORTUNITY", &[&scenario["id"]], false).await;
    for path in [
        format!("/exports/editions/{draft}.xlsx"),
        format!("/exports/editions/{draft}.csv"),
        "/exports/editions/no-such-edition.xlsx".to_owned(),
        format!("/exports/editions/{draft}.pdf"),
        format!("/exports/editions/{draft}"),
    ] {
        let (status, _, body) = download(&app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{path}"
        );
        assert!(
            !body.to_string().contains("煤矿"),
            "{path}: nothing of the draft"
        );
    }
});

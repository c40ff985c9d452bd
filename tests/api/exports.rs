//! Published editions as spreadsheets (README, "Exports"), read back with calamine and compared
//! field by field; never a contact, never an unpublished edition.

use std::io::Cursor;

use axum::http::{StatusCode, header};
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

        let (status, headers, bytes) = app
            .download(None, &format!("/exports/editions/{id}.xlsx"))
            .await;
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

        let (status, headers, bytes) = app
            .download(None, &format!("/exports/editions/{id}.csv"))
            .await;
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
        let (status, _, bytes) = app
            .download(None, &format!("/exports/editions/{id}.xlsx"))
            .await;
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
        let (status, _, body) = app.download(None, &path).await;
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

/// The first sheet of a workbook as text cells, heading row first.
fn sheet_text(body: Vec<u8>) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(body)).unwrap();
    let name = book.sheet_names()[0].clone();
    book.worksheet_range(&name)
        .unwrap()
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::DateTime(d) => {
                        let (y, m, d, ..) = d.to_ymd_hms_milli();
                        format!("{y:04}-{m:02}-{d:02}")
                    }
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// The value of `heading` in `row` of a sheet read by [`sheet_text`].
fn cell<'a>(sheet: &'a [Vec<String>], row: usize, heading: &str) -> &'a str {
    let column = sheet[0]
        .iter()
        .position(|h| h == heading)
        .unwrap_or_else(|| panic!("no column {heading}: {:?}", sheet[0]));
    &sheet[row][column]
}

db_test!(
    an_admin_exports_the_filtered_scenario_list_with_contacts,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let published = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let mut draft = scenario_input();
        set(&mut draft, "/title", json!("社区智慧养老服务场景"));
        set(&mut draft, "/category", json!("COMMUNITY"));
        scenario_in_with(&app, &unit, &admin, "DISCOVERED", draft).await;
        let unit_name: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
            .bind(&unit.org_id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();

        // Without a status the list is the live one, as opportunityList's.
        let (status, headers, body) = app.download(Some(&admin), "/exports/scenarios.xlsx").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        let sheet = sheet_text(body);
        assert_eq!(sheet.len(), 2, "{sheet:?}");
        assert_eq!(
            cell(&sheet, 1, "场景编号"),
            published["code"].as_str().unwrap()
        );
        assert_eq!(cell(&sheet, 1, "场景名称"), "煤矿井下巡检机器人应用场景");
        assert_eq!(cell(&sheet, 1, "状态"), "已发布");
        assert_eq!(cell(&sheet, 1, "发布单位"), unit_name);
        assert_eq!(cell(&sheet, 1, "所在地区"), "榆次区");
        assert_eq!(cell(&sheet, 1, "场景类别"), "智慧应用新兴场景");
        assert_eq!(cell(&sheet, 1, "预算上限（万元）"), "300");
        assert_eq!(cell(&sheet, 1, "联系人"), "赵工");
        assert_eq!(cell(&sheet, 1, "联系电话"), "0354-7223456");
        assert_eq!(cell(&sheet, 1, "联系邮箱"), "zhao@jiexiu.gov.cn");

        // Any stage, for an admin; filters as in the query string.
        let (_, _, body) = app
            .download(
                Some(&admin),
                "/exports/scenarios.xlsx?status=discovered,PUBLISHED&category=COMMUNITY",
            )
            .await;
        let sheet = sheet_text(body);
        assert_eq!(sheet.len(), 2, "{sheet:?}");
        assert_eq!(cell(&sheet, 1, "场景名称"), "社区智慧养老服务场景");
        assert_eq!(cell(&sheet, 1, "状态"), "挖掘");
        assert_eq!(cell(&sheet, 1, "场景编号"), "");

        let (status, headers, body) = app
            .download(
                Some(&admin),
                "/exports/scenarios.csv?status=DISCOVERED,PUBLISHED",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        let text = String::from_utf8(body).unwrap();
        assert!(
            text.starts_with("\u{feff}场景编号,场景名称,状态,"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 3, "{text}");
    }
);

db_test!(
    an_admin_exports_capabilities_and_matches_with_their_stages,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let enterprise = app.enterprise_user().await;
        let scenario = scenario_in(&app, &unit, &admin, "PUBLISHED").await;
        let capability = listed_capability(&app, &enterprise, &admin, capability_input()).await;
        let proposed = apply(&app, &enterprise, &scenario, &capability).await;
        moderate(&app, &admin, &proposed["id"], "APPROVE", None).await;
        let other = listed_capability(&app, &enterprise, &admin, capability_input()).await;
        apply(&app, &enterprise, &scenario, &other).await;

        let (status, _, body) = app
            .download(Some(&admin), "/exports/capabilities.xlsx")
            .await;
        assert_eq!(status, StatusCode::OK);
        let sheet = sheet_text(body);
        assert_eq!(sheet.len(), 3, "{sheet:?}");
        assert_eq!(cell(&sheet, 1, "状态"), "已入库");
        assert!(!cell(&sheet, 1, "联系人").is_empty());

        let today = twolists::items::today_in_china().to_string();
        let (_, _, body) = app.download(Some(&admin), "/exports/matches.xlsx").await;
        let sheet = sheet_text(body);
        assert_eq!(sheet.len(), 3, "{sheet:?}");
        let approved = (1..3)
            .find(|&r| cell(&sheet, r, "能力编号") == capability["code"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            cell(&sheet, approved, "场景编号"),
            scenario["code"].as_str().unwrap()
        );
        assert_eq!(cell(&sheet, approved, "来源"), "申请");
        assert_eq!(cell(&sheet, approved, "状态"), "待对方确认");
        assert_eq!(cell(&sheet, approved, "提出日期"), today);
        assert_eq!(cell(&sheet, approved, "审核通过"), today);
        assert_eq!(cell(&sheet, approved, "对接"), "");
        assert_eq!(cell(&sheet, approved, "落地"), "");

        let (_, _, body) = app
            .download(Some(&admin), "/exports/matches.xlsx?status=PROPOSED")
            .await;
        let sheet = sheet_text(body);
        assert_eq!(sheet.len(), 2, "{sheet:?}");
        assert_eq!(cell(&sheet, 1, "状态"), "待审核");
        assert_eq!(cell(&sheet, 1, "审核通过"), "");
    }
);

db_test!(list_exports_are_for_admins_and_refuse_bad_filters, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    scenario_in(&app, &unit, &admin, "PUBLISHED").await;
    for list in ["scenarios", "capabilities", "matches"] {
        let path = format!("/exports/{list}.xlsx");
        assert_eq!(
            app.download(None, &path).await.0,
            StatusCode::UNAUTHORIZED,
            "{list}"
        );
        for user in [&unit, &enterprise] {
            let (status, _, body) = app.download(Some(user), &path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{list}");
            let body: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        }
    }
    let refused = |path: &'static str, message: &'static str| {
        let app = &app;
        let admin = &admin;
        async move {
            let (status, _, body) = app.download(Some(admin), path).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
            let body: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["errors"][0]["message"], message, "{path}");
        }
    };
    refused(
        "/exports/scenarios.xlsx?status=DONE",
        "未知的场景状态：DONE",
    )
    .await;
    refused(
        "/exports/capabilities.csv?group=NORTH",
        "未知的地区分组：NORTH",
    )
    .await;
    refused(
        "/exports/matches.xlsx?status=PROPOSED,LANDED",
        "对接清单一次只能按一个状态筛选",
    )
    .await;
    for path in ["/exports/organizations.xlsx", "/exports/scenarios.pdf"] {
        assert_eq!(
            app.download(Some(&admin), path).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
});

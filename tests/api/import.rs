//! Bulk import of collected scenarios (README, "Import"): the template, a good file written
//! field by field, a bad row among good ones (nothing written, row and column named), the same
//! file twice, files that are not spreadsheets, and every refusal.

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use calamine::{Reader as _, Xlsx};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{Value, json};

use crate::db_test;
use crate::util::{TestApp, TestUser};

const IMPORT: &str = "mutation($org: ID!, $file: Upload!) { importScenarios(organizationId: $org, file: $file) { created skipped { row scenarioId } errors { row column field code message } } }";

/// The template's columns as the README lists them (required ones marked *).
const HEADINGS: [&str; 15] = [
    "场景名称*",
    "场景简介*",
    "场景描述*",
    "场景类别*",
    "所属产业*",
    "标签",
    "所在地区",
    "预算下限（万元）",
    "预算上限（万元）",
    "合作方式",
    "技术成熟度要求（1-9）",
    "征集截止日期",
    "联系人",
    "联系电话",
    "联系邮箱",
];

/// A cell of a test workbook.
enum X {
    T(&'static str),
    N(f64),
    D(u16, u8, u8),
    E,
}

/// A workbook whose first sheet has `headings` and `rows`, dates as Excel dates.
fn workbook(headings: &[&str], rows: &[Vec<X>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in headings.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                X::T(t) => {
                    sheet.write_string(r, c, *t).unwrap();
                }
                X::N(n) => {
                    sheet.write_number(r, c, *n).unwrap();
                }
                X::D(y, m, d) => {
                    let day = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                    sheet.write_date_with_format(r, c, &day, &date).unwrap();
                }
                X::E => {}
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// A complete row in the template's column order, titled `title`.
fn good_row(title: &'static str) -> Vec<X> {
    vec![
        X::T(title),
        X::T("在综采工作面部署智能巡检机器人，替代人工巡检"),
        X::T(
            "矿井综采工作面巡检依赖人工，劳动强度大、风险高。拟引入具备防爆认证的巡检机器人，实现设备状态监测与隐患识别。",
        ),
        X::T("智慧应用新兴场景"),
        X::T("ZZ05、新能源（醇氢）汽车"),
        X::T("煤矿、机器人"),
        X::T("榆次区"),
        X::N(200.0),
        X::N(500.0),
        X::T("采购、联合研发"),
        X::N(6.0),
        X::D(2027, 6, 30),
        X::T("王敏"),
        X::T("0354-3036000"),
        X::T("wangmin@yuci.gov.cn"),
    ]
}

/// A row with only the required columns filled.
fn short_row(title: &'static str) -> Vec<X> {
    vec![
        X::T(title),
        X::T("社区养老服务数字化"),
        X::T("为社区老人提供健康监测与紧急呼叫服务。"),
        X::T("COMMUNITY"),
        X::T("CS"),
    ]
}

/// The GraphQL multipart request spec: `operations`, `map`, and the file as part `0`.
async fn upload(
    app: &TestApp,
    token: Option<&str>,
    org: &str,
    file_name: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let boundary = "----twolists-test-boundary";
    let operations = json!({ "query": IMPORT, "variables": { "org": org, "file": null } });
    let mut body = Vec::new();
    let mut part = |headers: &str, content: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    };
    part(
        "Content-Disposition: form-data; name=\"operations\"",
        operations.to_string().as_bytes(),
    );
    part(
        "Content-Disposition: form-data; name=\"map\"",
        br#"{"0": ["variables.file"]}"#,
    );
    part(
        &format!(
            "Content-Disposition: form-data; name=\"0\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream"
        ),
        bytes,
    );
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut request = Request::post("/graphql").header(
        header::CONTENT_TYPE,
        format!("multipart/form-data; boundary={boundary}"),
    );
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let (status, body) = app.request(request.body(Body::from(body)).unwrap()).await;
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, value)
}

/// An admin's import that the service answered (no top-level error): the payload.
async fn import(app: &TestApp, admin: &TestUser, org: &str, name: &str, bytes: &[u8]) -> Value {
    let (status, response) = upload(app, Some(&admin.token), org, name, bytes).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    assert!(response.get("errors").is_none(), "{response}");
    response["data"]["importScenarios"].clone()
}

/// An import that must be refused as a whole and write nothing: its payload errors.
async fn refused(app: &TestApp, admin: &TestUser, org: &str, name: &str, bytes: &[u8]) -> Value {
    let before = app.snapshot().await;
    let payload = import(app, admin, org, name, bytes).await;
    assert_eq!(payload["created"], 0, "{payload}");
    assert_ne!(payload["errors"], json!([]), "{payload}");
    app.assert_unchanged(&before).await;
    payload["errors"].clone()
}

/// (row, column, code) of each error, for comparing with what the spec says.
fn places(errors: &Value) -> Vec<(Value, Value, String)> {
    errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].clone(),
                e["column"].clone(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

db_test!(the_template_carries_the_columns_and_the_code_lists, |app| {
    let (status, headers, body) = app
        .download(None, "/exports/templates/scenarios.xlsx")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(body)).unwrap();
    let names = book.sheet_names();
    assert_eq!(names, ["场景征集表", "填写说明与代码表"]);
    let form = book.worksheet_range("场景征集表").unwrap();
    let headings: Vec<String> = form
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(headings, HEADINGS);
    assert_eq!(form.height(), 1, "the template has no data rows");

    let codes = book.worksheet_range("填写说明与代码表").unwrap();
    let rows: Vec<Vec<String>> = codes
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let has = |kind: &str, code: &str, name: &str| {
        rows.iter()
            .any(|r| r[0] == kind && r[1] == code && r[2] == name)
    };
    assert!(has("场景类别", "CITY", "智慧城市场景"));
    assert!(has("所属产业", "ZZ", "“智造+”产业集群"));
    assert!(has("所属产业", "ZZ01", "新能源（醇氢）汽车"));
    assert!(has("所在地区", "140702", "榆次区"));
    assert!(has("合作方式", "JOINT_RD", "联合研发"));
    assert!(
        rows.iter()
            .any(|r| r[0] == "填写说明" && r[2] == "征集截止日期")
    );
});

db_test!(
    a_good_file_becomes_discovered_scenarios_field_by_field,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let file = workbook(
            &HEADINGS,
            &[good_row("综采工作面智能巡检"), short_row("社区智慧养老")],
        );
        let payload = import(&app, &admin, &unit.org_id, "榆次区场景征集表.xlsx", &file).await;
        assert_eq!(
            payload,
            json!({ "created": 2, "skipped": [], "errors": [] })
        );

        #[derive(sqlx::FromRow, Debug)]
        struct Stored {
            id: String,
            org_id: String,
            created_by: String,
            status: String,
            title: String,
            summary: String,
            category: String,
            industry_codes: String,
            tags: String,
            region_code: String,
            budget_min: Option<i64>,
            budget_max: Option<i64>,
            cooperation_modes: String,
            maturity_required: Option<i64>,
            deadline: Option<String>,
            contact_name: Option<String>,
            contact_phone: Option<String>,
            contact_email: Option<String>,
        }
        let rows: Vec<Stored> = sqlx::query_as(
        "SELECT id, org_id, created_by, status, title, summary, category, industry_codes, tags, \
         region_code, budget_min, budget_max, cooperation_modes, maturity_required, deadline, \
         contact_name, contact_phone, contact_email FROM scenarios ORDER BY title",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
        assert_eq!(rows.len(), 2);
        let full = rows
            .iter()
            .find(|r| r.title == "综采工作面智能巡检")
            .unwrap();
        assert_eq!(full.org_id, unit.org_id);
        assert_eq!(full.created_by, admin.id);
        assert_eq!(full.status, "DISCOVERED");
        assert_eq!(full.summary, "在综采工作面部署智能巡检机器人，替代人工巡检");
        assert_eq!(full.category, "INDUSTRIAL");
        assert_eq!(full.industry_codes, "ZZ05,ZZ01");
        assert_eq!(full.tags, r#"["煤矿","机器人"]"#);
        assert_eq!(full.region_code, "140702");
        assert_eq!((full.budget_min, full.budget_max), (Some(200), Some(500)));
        assert_eq!(full.cooperation_modes, "PROCUREMENT,JOINT_RD");
        assert_eq!(full.maturity_required, Some(6));
        assert_eq!(full.deadline.as_deref(), Some("2027-06-30"));
        assert_eq!(full.contact_name.as_deref(), Some("王敏"));
        assert_eq!(full.contact_phone.as_deref(), Some("0354-3036000"));
        assert_eq!(full.contact_email.as_deref(), Some("wangmin@yuci.gov.cn"));

        let short = rows.iter().find(|r| r.title == "社区智慧养老").unwrap();
        assert_eq!(short.category, "COMMUNITY");
        assert_eq!(short.industry_codes, "CS");
        assert_eq!(short.region_code, "140702", "the unit's region by default");
        assert_eq!(
            (short.budget_min, short.contact_name.as_deref()),
            (None, None)
        );

        // Each scenario's timeline starts with its import.
        let (action, note): (String, Option<String>) =
            sqlx::query_as("SELECT action, note FROM events WHERE aggregate_id = $1")
                .bind(&full.id)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        assert_eq!(action, "CREATE");
        assert_eq!(
            note.as_deref(),
            Some("批量导入：榆次区场景征集表.xlsx第2行")
        );
    }
);

db_test!(
    one_bad_row_among_good_ones_writes_nothing_and_names_row_and_column,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let mut bad_budget = good_row("乙");
        bad_budget[7] = X::T("一百");
        let mut bad_category = short_row("丙");
        bad_category[3] = X::T("智慧农业");
        let mut no_title = short_row("丁");
        no_title[0] = X::E;
        let mut bad_phone = good_row("戊");
        bad_phone[13] = X::T("12345");
        let file = workbook(
            &HEADINGS,
            &[
                good_row("甲"),
                bad_budget,
                bad_category,
                no_title,
                bad_phone,
                short_row("甲 "),
            ],
        );
        let errors = refused(&app, &admin, &unit.org_id, "征集表.xlsx", &file).await;
        assert_eq!(
            places(&errors),
            [
                (json!(3), json!("预算下限（万元）"), "INVALID".to_owned()),
                (json!(4), json!("场景类别"), "INVALID".to_owned()),
                (json!(5), json!("场景名称"), "REQUIRED".to_owned()),
                (json!(6), json!("联系电话"), "INVALID".to_owned()),
                (json!(7), json!("场景名称"), "DUPLICATE".to_owned()),
            ],
            "{errors}"
        );
        assert_eq!(
            errors[0]["message"],
            "第3行「预算下限（万元）」：「一百」不是整数"
        );
        assert_eq!(errors[0]["field"], json!(["budgetMin"]));
        assert_eq!(
            errors[1]["message"],
            "第4行「场景类别」：「智慧农业」不是代码表中的场景类别"
        );
        assert_eq!(errors[2]["message"], "第5行「场景名称」：请填写场景名称");
        assert_eq!(
            errors[4]["message"],
            "第7行「场景名称」：与第2行的场景名称相同"
        );
        assert_eq!(app.count("scenarios").await, 0);
    }
);

db_test!(the_same_file_twice_creates_nothing_the_second_time, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let file = workbook(
        &HEADINGS,
        &[good_row("综采工作面智能巡检"), short_row("社区智慧养老")],
    );
    let first = import(&app, &admin, &unit.org_id, "征集表.xlsx", &file).await;
    assert_eq!(first["created"], 2);
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM scenarios ORDER BY title")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();

    let before = app.snapshot().await;
    let second = import(&app, &admin, &unit.org_id, "征集表.xlsx", &file).await;
    app.assert_unchanged(&before).await;
    assert_eq!(second["created"], 0);
    assert_eq!(second["errors"], json!([]));
    let skipped = second["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2);
    assert_eq!(skipped[0]["row"], 2);
    assert_eq!(skipped[1]["row"], 3);
    let mut skipped_ids: Vec<String> = skipped
        .iter()
        .map(|s| s["scenarioId"].as_str().unwrap().to_owned())
        .collect();
    skipped_ids.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(skipped_ids, expected);

    // The same scenarios in a CSV, one title spaced differently, and one new row: only the new
    // one is created.
    let csv = format!(
        "\u{feff}{}\r\n综采工作面 智能巡检,简介,描述,智慧应用新兴场景,ZZ05\r\n新的场景,简介,描述,CITY,ZZ\r\n",
        HEADINGS[..5].join(",")
    );
    let third = import(&app, &admin, &unit.org_id, "征集表.csv", csv.as_bytes()).await;
    assert_eq!(third["created"], 1, "{third}");
    assert_eq!(third["skipped"][0]["row"], 2);
    assert_eq!(app.count("scenarios").await, 3);

    // Another unit with the same titles gets scenarios of its own.
    let other = app.gov_user().await;
    let fourth = import(&app, &admin, &other.org_id, "征集表.xlsx", &file).await;
    assert_eq!(fourth["created"], 2);
});

db_test!(a_file_that_is_not_a_spreadsheet_is_refused_clearly, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let not_a_table = "文件不是 XLSX 或 CSV 表格：请使用下载的导入模板（.xlsx）填写后上传";
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    let errors = refused(&app, &admin, &unit.org_id, "照片.png", png).await;
    assert_eq!(
        errors,
        json!([{ "row": null, "column": null, "field": null, "code": "INVALID", "message": not_a_table }])
    );
    // A zip that is not a workbook, an old .xls, an empty file, a sheet of another form.
    let zip = b"PK\x03\x04\x14\0\0\0\0\0broken";
    assert_eq!(
        refused(&app, &admin, &unit.org_id, "a.xlsx", zip).await[0]["message"],
        not_a_table
    );
    let xls = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
    assert_eq!(
        refused(&app, &admin, &unit.org_id, "a.xls", &xls).await[0]["message"],
        "不支持旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx 后再导入"
    );
    assert_eq!(
        refused(&app, &admin, &unit.org_id, "a.csv", b"").await[0]["message"],
        "文件是空的：请使用导入模板填写后上传"
    );
    let other_form = workbook(
        &["姓名", "电话"],
        &[vec![X::T("张三"), X::T("13800000000")]],
    );
    let errors = refused(&app, &admin, &unit.org_id, "通讯录.xlsx", &other_form).await;
    assert_eq!(
        errors.as_array().unwrap().last().unwrap()["message"],
        "缺少必填列：场景名称、场景简介、场景描述、场景类别、所属产业；请使用导入模板"
    );
    // Headings only: no rows to import.
    let empty = workbook(&HEADINGS, &[]);
    assert_eq!(
        refused(&app, &admin, &unit.org_id, "空表.xlsx", &empty).await[0]["message"],
        "文件中没有场景数据：请从第2行起每行填写一个场景"
    );
});

db_test!(csv_files_in_utf8_and_in_gb18030_both_import, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let text = format!(
        "{}\r\n\"智慧停车，一位难求\",老城区停车诱导,\"多行\n描述\",智慧城市场景,ZZ\r\n",
        HEADINGS[..5].join(",")
    );
    let utf8 = import(&app, &admin, &unit.org_id, "a.csv", text.as_bytes()).await;
    assert_eq!(utf8["created"], 1, "{utf8}");
    let renamed = text.replace("智慧停车", "智能停车");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&renamed);
    let gbk = import(&app, &admin, &unit.org_id, "b.csv", &gbk).await;
    assert_eq!(gbk["created"], 1, "{gbk}");
    let titles: Vec<String> = sqlx::query_scalar("SELECT title FROM scenarios ORDER BY title")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(titles, ["智慧停车，一位难求", "智能停车，一位难求"]);
});

db_test!(only_admins_import_and_only_for_a_government_unit, |app| {
    let admin = app.admin().await;
    let unit = app.gov_user().await;
    let enterprise = app.enterprise_user().await;
    let file = workbook(&HEADINGS, &[short_row("社区智慧养老")]);
    let before = app.snapshot().await;

    // Without a token a multipart request is not run at all (a browser form could send one).
    let (status, _) = upload(&app, None, &unit.org_id, "a.xlsx", &file).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    for user in [&unit, &enterprise] {
        let (status, response) =
            upload(&app, Some(&user.token), &user.org_id, "a.xlsx", &file).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            response["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{response}"
        );
    }
    let (_, response) = upload(&app, Some(&admin.token), "no-such-org", "a.xlsx", &file).await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{response}"
    );
    app.assert_unchanged(&before).await;

    let errors = refused(&app, &admin, &enterprise.org_id, "a.xlsx", &file).await;
    assert_eq!(
        errors[0]["message"],
        "场景只能由政府单位发布，请选择政府单位"
    );
});

db_test!(
    oversized_and_malformed_uploads_are_refused_before_any_work,
    |app| {
        let admin = app.admin().await;
        let unit = app.gov_user().await;
        let before = app.snapshot().await;
        let huge = vec![b'a'; 8 * 1024 * 1024 + 1];
        let (status, response) =
            upload(&app, Some(&admin.token), &unit.org_id, "a.csv", &huge).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{response}");

        // A multipart request that names no file.
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
            .header(header::AUTHORIZATION, format!("Bearer {}", admin.token))
            .body(Body::from(
                "--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{}\r\n--x--\r\n",
            ))
            .unwrap();
        let (status, _) = app.request(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // More rows than one import takes.
        let many = format!(
            "{}\r\n{}",
            HEADINGS[..5].join(","),
            (0..5_001)
                .map(|i| format!("场景{i},简介,描述,CITY,ZZ\r\n"))
                .collect::<String>()
        );
        let errors = refused(&app, &admin, &unit.org_id, "many.csv", many.as_bytes()).await;
        assert_eq!(errors[0]["message"], "一次最多导入5000行，请分批导入");
        app.assert_unchanged(&before).await;
    }
);

//! Spreadsheets out (README, "Exports"): a published edition as XLSX and as CSV. A sheet holds
//! what the public may read of each entry (its code and title as published, the item's public
//! content while it is public), never a contact.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, XlsxError};

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::lists::model::EditionKind;
use crate::lists::service as editions;
use crate::scenarios::ScenarioStatus;
use crate::taxonomy::Taxonomy;
use crate::viewer::Viewer;

pub mod lists;
mod store;

/// A cell of an exported sheet.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Number(i64),
    Date(NaiveDate),
    Empty,
}

/// A column: its heading and its width in characters.
#[derive(Clone, Debug)]
pub struct Column {
    pub heading: Cow<'static, str>,
    pub width: f64,
}

impl Column {
    pub const fn new(heading: &'static str, width: f64) -> Column {
        Column {
            heading: Cow::Borrowed(heading),
            width,
        }
    }
}

/// A sheet to export: a name, columns, and rows of cells in the columns' order.
#[derive(Clone, Debug)]
pub struct Sheet {
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

const fn column(heading: &'static str, width: f64) -> Column {
    Column::new(heading, width)
}

const OPPORTUNITY_COLUMNS: &[Column] = &[
    column("序号", 6.0),
    column("场景编号", 16.0),
    column("场景名称", 36.0),
    column("发布单位", 28.0),
    column("所在地区", 10.0),
    column("所属产业", 28.0),
    column("场景类别", 18.0),
    column("预算下限（万元）", 16.0),
    column("预算上限（万元）", 16.0),
    column("截止日期", 12.0),
    column("场景简介", 60.0),
];

const CAPABILITY_COLUMNS: &[Column] = &[
    column("序号", 6.0),
    column("能力编号", 16.0),
    column("能力名称", 36.0),
    column("提供单位", 28.0),
    column("所属产业", 28.0),
    column("技术成熟度", 10.0),
    column("报价下限（万元）", 16.0),
    column("报价上限（万元）", 16.0),
    column("服务地区", 24.0),
    column("能力简介", 60.0),
];

/// The edition `id` as a sheet, if `viewer` may read it (a published one: anyone).
pub async fn edition(db: &Db, taxonomy: &Taxonomy, viewer: &Viewer, id: &str) -> AppResult<Sheet> {
    let edition = editions::find(db, viewer, id).await?;
    let names = |codes: &str, name: &dyn Fn(&str) -> Option<String>| -> Cell {
        let names: Vec<String> = crate::items::split_codes(codes)
            .iter()
            .filter_map(|code| name(code))
            .collect();
        text(Some(names.join("、")))
    };
    let industry = |code: &str| taxonomy.industry(code).map(|i| i.name.clone());
    let region = |code: &str| taxonomy.region(code).map(|r| r.name.clone());
    let (columns, rows) = match EditionKind::parse(&edition.kind) {
        EditionKind::Opportunity => {
            let public: Vec<String> = ScenarioStatus::ALL
                .into_iter()
                .filter(|s| s.is_public())
                .map(|s| s.as_str().to_owned())
                .collect();
            let rows = store::opportunity_entries(db, &edition.id, &public).await?;
            let rows = rows
                .into_iter()
                .map(|e| {
                    vec![
                        Cell::Number(e.seq),
                        text(e.code),
                        text(e.title),
                        text(e.unit),
                        e.region_code
                            .as_deref()
                            .and_then(region)
                            .map_or(Cell::Empty, Cell::Text),
                        names(e.industry_codes.as_deref().unwrap_or(""), &industry),
                        e.category
                            .as_deref()
                            .and_then(|code| taxonomy.category(code))
                            .map_or(Cell::Empty, |c| Cell::Text(c.name.clone())),
                        number(e.budget_min),
                        number(e.budget_max),
                        e.deadline
                            .as_deref()
                            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                            .map_or(Cell::Empty, Cell::Date),
                        text(e.summary),
                    ]
                })
                .collect();
            (OPPORTUNITY_COLUMNS.to_vec(), rows)
        }
        EditionKind::Capability => {
            let rows = store::capability_entries(db, &edition.id).await?;
            let rows = rows
                .into_iter()
                .map(|e| {
                    vec![
                        Cell::Number(e.seq),
                        text(e.code),
                        text(e.title),
                        text(e.provider),
                        names(e.industry_codes.as_deref().unwrap_or(""), &industry),
                        number(e.maturity),
                        number(e.price_min),
                        number(e.price_max),
                        names(e.service_region_codes.as_deref().unwrap_or(""), &region),
                        text(e.summary),
                    ]
                })
                .collect();
            (CAPABILITY_COLUMNS.to_vec(), rows)
        }
    };
    Ok(Sheet {
        name: edition.title,
        columns,
        rows,
    })
}

fn text(value: Option<String>) -> Cell {
    value
        .filter(|v| !v.is_empty())
        .map_or(Cell::Empty, Cell::Text)
}

fn number(value: Option<i64>) -> Cell {
    value.map_or(Cell::Empty, Cell::Number)
}

/// The sheet as CSV in UTF-8 with a byte-order mark (so that Excel reads it as Chinese), quoted
/// as RFC 4180 says. A text that a spreadsheet would take for a formula (starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return) is prefixed with `'`.
pub fn csv(sheet: &Sheet) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = String>| {
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                out.push(',');
            }
            if cell.contains([',', '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&cell.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(&cell);
            }
        }
        out.push_str("\r\n");
    };
    line(
        &mut out,
        &mut sheet.columns.iter().map(|c| c.heading.to_string()),
    );
    for row in &sheet.rows {
        line(
            &mut out,
            &mut row.iter().map(|cell| match cell {
                Cell::Text(text) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
                    format!("'{text}")
                }
                Cell::Text(text) => text.clone(),
                Cell::Number(n) => n.to_string(),
                Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
                Cell::Empty => String::new(),
            }),
        );
    }
    out.into_bytes()
}

/// The sheet as an XLSX workbook: bold headings in a frozen first row, columns as wide as their
/// content needs, numbers as numbers and dates as dates (`yyyy-mm-dd`), texts as texts (never
/// formulas).
pub fn xlsx(sheet: &Sheet) -> AppResult<Vec<u8>> {
    workbook(std::slice::from_ref(sheet))
}

/// Sheets as one XLSX workbook, each written as [`xlsx`] writes one.
pub fn workbook(sheets: &[Sheet]) -> AppResult<Vec<u8>> {
    write_xlsx(sheets).map_err(|e| AppError::internal(format!("writing the workbook: {e}")))
}

fn write_xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    for sheet in sheets {
        write_sheet(workbook.add_worksheet(), sheet)?;
    }
    workbook.save_to_buffer()
}

fn write_sheet(worksheet: &mut rust_xlsxwriter::Worksheet, sheet: &Sheet) -> Result<(), XlsxError> {
    worksheet.set_name(sheet_name(&sheet.name))?;
    let heading = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (col, column) in sheet.columns.iter().enumerate() {
        let col = col as u16;
        worksheet.set_column_width(col, column.width)?;
        worksheet.write_string_with_format(0, col, column.heading.as_ref(), &heading)?;
    }
    worksheet.set_freeze_panes(1, 0)?;
    for (i, row) in sheet.rows.iter().enumerate() {
        let r = i as u32 + 1;
        for (col, cell) in row.iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Text(text) => {
                    worksheet.write_string(r, col, text)?;
                }
                Cell::Number(n) => {
                    worksheet.write_number(r, col, *n as f64)?;
                }
                Cell::Date(d) => {
                    use chrono::Datelike as _;
                    let day =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                    worksheet.write_date_with_format(r, col, &day, &date)?;
                }
                Cell::Empty => {}
            }
        }
    }
    Ok(())
}

/// A worksheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    let name: String = title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if name.trim().is_empty() {
        "清单".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[column("名称", 10.0), column("数", 5.0), column("日", 5.0)];

    fn sheet(cells: Vec<Cell>) -> Sheet {
        Sheet {
            name: "测试".into(),
            columns: COLUMNS.to_vec(),
            rows: vec![cells],
        }
    }

    #[test]
    fn csv_starts_with_a_bom_quotes_and_defuses_formulas() {
        let text = String::from_utf8(csv(&sheet(vec![
            Cell::Text("=HYPERLINK(\"x\")".into()),
            Cell::Number(-5),
            Cell::Date(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
        ])))
        .unwrap();
        assert_eq!(
            text,
            "\u{feff}名称,数,日\r\n\"'=HYPERLINK(\"\"x\"\")\",-5,2026-03-01\r\n"
        );
    }

    #[test]
    fn sheet_names_fit_excel() {
        assert_eq!(sheet_name("晋中市/2026:第一批"), "晋中市2026第一批");
        assert_eq!(sheet_name(&"场".repeat(40)).chars().count(), 31);
        assert_eq!(sheet_name("[]"), "清单");
    }
}

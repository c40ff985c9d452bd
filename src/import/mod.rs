//! Spreadsheets in (README, "Import"): a file of collected scenarios (场景征集表) as XLSX or CSV,
//! read into rows of text, turned into scenario fields column by column, and handed to the
//! scenarios service, which validates and writes them. Reading is CPU work: doors call [`read`]
//! on the blocking pool.

pub mod command;
pub mod graphql;
pub mod scenarios;

use std::io::{Cursor, Read, Seek};

use std::sync::Arc;

use calamine::{DataRef, Reader as _, Xlsx};

use crate::db::Db;
use crate::error::{AppError, AppResult, ErrorCode, UserError};
use crate::scenarios::model::ImportReport;
use crate::scenarios::service as scenario_service;
use crate::taxonomy::Taxonomy;

/// The largest file an import reads.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// The most an XLSX file may hold once unpacked: a small file that unpacks into gigabytes is
/// refused before any of it is read.
const MAX_UNPACKED_BYTES: u128 = 64 * 1024 * 1024;

/// Columns beyond this many are not read.
const MAX_COLUMNS: usize = 64;

/// Problems listed for one file at most; the rest are counted.
pub const MAX_PROBLEMS: usize = 200;

/// Something wrong with a file: the row and column it is in (none for the file as a whole) and
/// the error, its field named by the input path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub row: Option<usize>,
    pub column: Option<&'static str>,
    pub error: UserError,
}

impl Problem {
    fn file(code: ErrorCode, message: impl Into<String>) -> Problem {
        Problem {
            row: None,
            column: None,
            error: UserError::new(&[], code, message),
        }
    }

    /// Where, then what: 第3行「预算下限（万元）」：「一百」不是整数.
    pub fn describe(&self) -> String {
        match (self.row, self.column) {
            (Some(row), Some(column)) => format!("第{row}行「{column}」：{}", self.error.message),
            (Some(row), None) => format!("第{row}行：{}", self.error.message),
            (None, _) => self.error.message.clone(),
        }
    }
}

/// At most [`MAX_PROBLEMS`] problems in the order of the file, and a last one telling how many
/// more there are.
fn bounded(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(|p| p.row);
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(Problem::file(
            ErrorCode::Invalid,
            format!("另有{more}处问题未列出，请先修改以上问题"),
        ));
    }
    problems
}

/// Imports a collected-scenario file for a government unit, as `actor_id` (whom the door has
/// asked [`scenario_service::importer`] about): reads it on the blocking pool, reads each row's
/// cells into fields, and has the scenarios service validate and write them. Nothing is written
/// unless every row is valid. `progress` hears how many rows of how many are written.
pub async fn scenarios(
    db: &Db,
    taxonomy: &Arc<Taxonomy>,
    actor_id: &str,
    organization_id: &str,
    file_name: &str,
    bytes: Vec<u8>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> AppResult<Result<ImportReport, Vec<Problem>>> {
    let reading = taxonomy.clone();
    let rows = tokio::task::spawn_blocking(move || {
        let table = read(&bytes, scenario_service::MAX_IMPORT_ROWS)
            .map_err(|e| vec![Problem::file(ErrorCode::Invalid, e.0)])?;
        scenarios::rows(&reading, &table)
    })
    .await
    .map_err(|e| AppError::internal(format!("reading an import: {e}")))?;
    let rows = match rows {
        Ok(rows) => rows,
        Err(problems) => return Ok(Err(bounded(problems))),
    };
    let source = file_label(file_name);
    let outcome = scenario_service::import_as(
        db,
        taxonomy,
        actor_id,
        organization_id,
        &source,
        rows,
        progress,
    )
    .await?;
    Ok(outcome.map_err(|errors| bounded(scenarios::problems(errors))))
}

/// A sheet as text: the heading row and the data rows, each with its row number in the file
/// (the heading is row 1). Rows with no text at all are left out.
#[derive(Debug, Default, PartialEq)]
pub struct Table {
    pub headings: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Why a file could not be read at all; the text is for the user.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct Unreadable(pub String);

fn unreadable(message: impl Into<String>) -> Unreadable {
    Unreadable(message.into())
}

/// Reads the first sheet of an XLSX workbook, or a CSV file (UTF-8, with or without a byte-order
/// mark, or GB18030 as Excel saves it on Chinese Windows), telling them apart by their content.
/// At most `max_rows` data rows are read; a file with more is refused.
pub fn read(bytes: &[u8], max_rows: usize) -> Result<Table, Unreadable> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes, max_rows)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Err(unreadable(
            "不支持旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx 后再导入",
        ))
    } else {
        read_csv(&decode_text(bytes)?, max_rows)
    }
}

fn too_large() -> Unreadable {
    unreadable(format!(
        "文件超过{} MB，请分批导入",
        MAX_FILE_BYTES / (1024 * 1024)
    ))
}

fn not_a_spreadsheet() -> Unreadable {
    unreadable("文件不是 XLSX 或 CSV 表格：请使用下载的导入模板（.xlsx）填写后上传")
}

fn too_many_rows(max_rows: usize) -> Unreadable {
    unreadable(format!("一次最多导入{max_rows}行，请分批导入"))
}

/// The text of a CSV file: UTF-8 (a leading byte-order mark dropped), else GB18030. Bytes that
/// are neither, or that hold NUL or other control characters a table never has, are not a CSV.
fn decode_text(bytes: &[u8]) -> Result<String, Unreadable> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(text).to_owned(),
        Err(_) => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                return Err(not_a_spreadsheet());
            }
            text.into_owned()
        }
    };
    let binary = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    if text.chars().any(binary) {
        return Err(not_a_spreadsheet());
    }
    Ok(text)
}

/// CSV as RFC 4180 has it: fields separated by commas, quoted with `"` when they hold a comma,
/// a quote or a line break; rows end with CRLF or LF.
fn read_csv(text: &str, max_rows: usize) -> Result<Table, Unreadable> {
    let mut headings: Option<Vec<String>> = None;
    let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
    let mut line = 0;
    let mut finish = |mut record: Vec<String>| {
        line += 1;
        record.truncate(MAX_COLUMNS);
        if headings.is_none() {
            headings = Some(record);
        } else if record.iter().any(|c| !c.trim().is_empty()) {
            if rows.len() == max_rows {
                return Err(too_many_rows(max_rows));
            }
            rows.push((line, record));
        }
        Ok(())
    };
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut at_field_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                finish(std::mem::take(&mut record))?;
                at_field_start = true;
            }
            c => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if quoted {
        return Err(unreadable("CSV 文件中有未闭合的引号，请检查后重新保存"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        finish(record)?;
    }
    let Some(headings) = headings else {
        return Err(unreadable("文件是空的：请使用导入模板填写后上传"));
    };
    Ok(Table { headings, rows })
}

/// The first sheet of an XLSX workbook, cell by cell as it streams (never a whole sheet in a
/// grid), after checking what the archive says it unpacks to.
fn read_xlsx(bytes: &[u8], max_rows: usize) -> Result<Table, Unreadable> {
    check_unpacked_size(Cursor::new(bytes))?;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        tracing::debug!(error = %e, "an uploaded workbook could not be opened");
        not_a_spreadsheet()
    })?;
    let Some(first) = workbook.sheet_names().first().cloned() else {
        return Err(unreadable("工作簿中没有工作表"));
    };
    let mut cells = workbook
        .worksheet_cells_reader(&first)
        .map_err(|_| not_a_spreadsheet())?;
    let mut grid: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|_| not_a_spreadsheet())? {
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize, column as usize);
        if column >= MAX_COLUMNS {
            continue;
        }
        let value = cell_text(cell.get_value());
        if value.is_empty() {
            continue;
        }
        if row > max_rows + 1 {
            return Err(too_many_rows(max_rows));
        }
        if grid.len() <= row {
            grid.resize_with(row + 1, Vec::new);
        }
        let cells = &mut grid[row];
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = value;
    }
    let mut rows = grid.into_iter().enumerate();
    let headings = match rows.next() {
        Some((_, headings)) if !headings.is_empty() => headings,
        _ => return Err(unreadable("第1行应为表头：请使用导入模板填写后上传")),
    };
    let rows: Vec<(usize, Vec<String>)> = rows
        .filter(|(_, cells)| !cells.is_empty())
        .map(|(i, cells)| (i + 1, cells))
        .collect();
    if rows.len() > max_rows {
        return Err(too_many_rows(max_rows));
    }
    Ok(Table { headings, rows })
}

fn check_unpacked_size(reader: impl Read + Seek) -> Result<(), Unreadable> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|_| not_a_spreadsheet())?;
    let mut total: u128 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| not_a_spreadsheet())?;
        total += u128::from(entry.size());
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(too_large());
    }
    Ok(())
}

/// A cell as text: numbers without a needless `.0`, dates as `YYYY-MM-DD`, texts trimmed.
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::String(s) => s.trim().to_owned(),
        DataRef::SharedString(s) => s.trim().to_owned(),
        DataRef::Int(n) => n.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => (*f as i64).to_string(),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        DataRef::DateTime(d) => {
            let (year, month, day, ..) = d.to_ymd_hms_milli();
            format!("{year:04}-{month:02}-{day:02}")
        }
        DataRef::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_owned(),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// The name of an uploaded file as the timeline may show it: without its folders or characters
/// that are not text, at most 60 characters.
pub fn file_label(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let label: String = base
        .chars()
        .filter(|c| !c.is_control() && crate::error::text_problem(&c.to_string(), true).is_none())
        .take(60)
        .collect();
    let label = label.trim();
    if label.is_empty() {
        "上传文件".to_owned()
    } else {
        label.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_reads_quotes_line_breaks_and_skips_empty_rows() {
        let table = read_csv(
            "名称,简介\r\n\"甲,乙\",\"一\n二\"\r\n,\r\n\"说\"\"明\",x\n",
            10,
        )
        .unwrap();
        assert_eq!(table.headings, ["名称", "简介"]);
        assert_eq!(
            table.rows,
            vec![
                (2, vec!["甲,乙".to_owned(), "一\n二".to_owned()]),
                (4, vec!["说\"明".to_owned(), "x".to_owned()])
            ]
        );
    }

    #[test]
    fn csv_in_gb18030_is_read_as_chinese() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("场景名称\r\n智慧矿山\r\n");
        let table = read(&bytes, 10).unwrap();
        assert_eq!(table.headings, ["场景名称"]);
        assert_eq!(table.rows, vec![(2, vec!["智慧矿山".to_owned()])]);
    }

    #[test]
    fn binary_files_and_too_many_rows_are_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(read(png, 10), Err(not_a_spreadsheet()));
        assert!(read(b"PK\x03\x04garbage", 10).is_err());
        let many = format!("名称\n{}", "x\n".repeat(11));
        assert_eq!(read(many.as_bytes(), 10), Err(too_many_rows(10)));
        assert_eq!(
            read(b"\"open", 10).unwrap_err().0,
            "CSV 文件中有未闭合的引号，请检查后重新保存"
        );
    }

    #[test]
    fn file_labels_drop_folders_and_control_characters() {
        assert_eq!(file_label("C:\\征集\\榆次区.xlsx"), "榆次区.xlsx");
        assert_eq!(file_label("a\u{202E}b\n.csv"), "ab.csv");
        assert_eq!(file_label("///"), "上传文件");
    }
}

//! The collected-scenario file (场景征集表): its columns, the template that carries them with the
//! code lists, and its rows turned into scenario fields for the scenarios service.

use chrono::NaiveDate;

use super::{Problem, Table};
use crate::error::{ErrorCode, UserError};
use crate::exports::{Cell, Column, Sheet};
use crate::items::ContactInput;
use crate::scenarios::model::{
    CooperationMode, ImportRow, RowError, ScenarioCategoryCode, ScenarioFields,
};
use crate::taxonomy::{RegionGroup, Taxonomy};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Title,
    Summary,
    Description,
    Category,
    Industries,
    Tags,
    Region,
    BudgetMin,
    BudgetMax,
    Modes,
    Maturity,
    Deadline,
    ContactName,
    ContactPhone,
    ContactEmail,
}

/// A column of the file: the field it fills, its heading, whether a file must have it, its
/// width in the template, the input path the service names it by, and how to fill it.
struct Spec {
    field: Field,
    heading: &'static str,
    required: bool,
    width: f64,
    path: &'static [&'static str],
    hint: &'static str,
}

const fn spec(
    field: Field,
    heading: &'static str,
    required: bool,
    width: f64,
    path: &'static [&'static str],
    hint: &'static str,
) -> Spec {
    Spec {
        field,
        heading,
        required,
        width,
        path,
        hint,
    }
}

/// The columns in the template's order. A file needs the required ones, in any order; it may
/// leave out the others.
const COLUMNS: &[Spec] = &[
    spec(
        Field::Title,
        "场景名称",
        true,
        30.0,
        &["title"],
        "必填，不超过60字；同一单位的场景名称不重复（重复导入时据此跳过已有场景）",
    ),
    spec(
        Field::Summary,
        "场景简介",
        true,
        40.0,
        &["summary"],
        "必填，不超过200字",
    ),
    spec(
        Field::Description,
        "场景描述",
        true,
        60.0,
        &["description"],
        "必填，不超过5000字：现状、痛点、需求与预期效果",
    ),
    spec(
        Field::Category,
        "场景类别",
        true,
        18.0,
        &["category"],
        "必填，填写代码表中场景类别的名称或代码",
    ),
    spec(
        Field::Industries,
        "所属产业",
        true,
        28.0,
        &["industryCodes"],
        "必填，填写代码表中产业的名称或代码，多个用顿号或逗号分隔；填产业集群代码（如 ZZ）表示其下全部行业",
    ),
    spec(
        Field::Tags,
        "标签",
        false,
        20.0,
        &["tags"],
        "选填，最多10个，每个不超过20字，用顿号或逗号分隔",
    ),
    spec(
        Field::Region,
        "所在地区",
        false,
        12.0,
        &["regionCode"],
        "选填，填写代码表中地区的名称或代码；不填为发布单位所在地区",
    ),
    spec(
        Field::BudgetMin,
        "预算下限（万元）",
        false,
        14.0,
        &["budgetMin"],
        "选填，整数（万元）；策划时须填写预算",
    ),
    spec(
        Field::BudgetMax,
        "预算上限（万元）",
        false,
        14.0,
        &["budgetMax"],
        "选填，整数（万元），不小于预算下限",
    ),
    spec(
        Field::Modes,
        "合作方式",
        false,
        20.0,
        &["cooperationModes"],
        "选填，填写代码表中合作方式的名称，多个用顿号或逗号分隔",
    ),
    spec(
        Field::Maturity,
        "技术成熟度要求（1-9）",
        false,
        14.0,
        &["maturityRequired"],
        "选填，1至9的整数（技术就绪度 TRL）",
    ),
    spec(
        Field::Deadline,
        "征集截止日期",
        false,
        14.0,
        &["deadline"],
        "选填，日期，如 2027-06-30",
    ),
    spec(
        Field::ContactName,
        "联系人",
        false,
        10.0,
        &["contact", "name"],
        "选填；填写联系人时须同时填写联系电话",
    ),
    spec(
        Field::ContactPhone,
        "联系电话",
        false,
        16.0,
        &["contact", "phone"],
        "手机号或带区号的座机，如 0354-3036000",
    ),
    spec(
        Field::ContactEmail,
        "联系邮箱",
        false,
        22.0,
        &["contact", "email"],
        "选填",
    ),
];

/// Columns a file may carry that the import leaves alone.
const IGNORED: &[&str] = &["序号", "备注"];

/// The template: the heading row of the columns (required ones marked `*`), and a second sheet
/// with how to fill each column and the code lists for category, industry, region and
/// cooperation mode.
pub fn template(taxonomy: &Taxonomy) -> Vec<Sheet> {
    let columns = COLUMNS
        .iter()
        .map(|c| Column {
            heading: if c.required {
                format!("{}*", c.heading).into()
            } else {
                c.heading.into()
            },
            width: c.width,
        })
        .collect();
    let text = |s: &str| Cell::Text(s.to_owned());
    let mut codes: Vec<Vec<Cell>> = Vec::new();
    for c in COLUMNS {
        codes.push(vec![
            text("填写说明"),
            Cell::Empty,
            text(c.heading),
            text(c.hint),
        ]);
    }
    for c in &taxonomy.categories {
        codes.push(vec![
            text("场景类别"),
            text(&c.code),
            text(&c.name),
            text(&c.about),
        ]);
    }
    for i in &taxonomy.industries {
        let about = match i.parent.as_deref().and_then(|p| taxonomy.industry(p)) {
            Some(cluster) => format!("属于{}", cluster.name),
            None => "产业集群：含其下全部行业".to_owned(),
        };
        codes.push(vec![
            text("所属产业"),
            text(&i.code),
            text(&i.name),
            Cell::Text(about),
        ]);
    }
    for r in &taxonomy.regions {
        let about = match r.group.as_deref().and_then(RegionGroup::parse) {
            Some(RegionGroup::Pingchuan) => "平川",
            Some(RegionGroup::Dongshan) => "东山",
            None => "市本级",
        };
        codes.push(vec![
            text("所在地区"),
            text(&r.code),
            text(&r.name),
            text(about),
        ]);
    }
    for m in CooperationMode::ALL {
        codes.push(vec![
            text("合作方式"),
            text(m.as_str()),
            text(m.label()),
            Cell::Empty,
        ]);
    }
    vec![
        Sheet {
            name: "场景征集表".to_owned(),
            columns,
            rows: Vec::new(),
        },
        Sheet {
            name: "填写说明与代码表".to_owned(),
            columns: vec![
                Column::new("类别", 10.0),
                Column::new("代码", 10.0),
                Column::new("名称", 30.0),
                Column::new("说明", 70.0),
            ],
            rows: codes,
        },
    ]
}

/// A heading as written, without the template's `*` and surrounding space.
fn bare(heading: &str) -> &str {
    heading
        .trim()
        .trim_end_matches(['*', '＊'])
        .trim_end_matches("（必填）")
        .trim()
}

/// The rows of `table` as scenario fields, with what could not be read in each cell; or what is
/// wrong with the heading row.
pub fn rows(taxonomy: &Taxonomy, table: &Table) -> Result<Vec<ImportRow>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut positions: Vec<Option<&Spec>> = Vec::with_capacity(table.headings.len());
    for heading in &table.headings {
        let name = bare(heading);
        let spec = COLUMNS.iter().find(|c| c.heading == name);
        if spec.is_none() && !name.is_empty() && !IGNORED.contains(&name) {
            problems.push(Problem::file(
                ErrorCode::Invalid,
                format!("表头「{name}」不是导入模板中的列，请使用导入模板"),
            ));
        }
        if let Some(spec) = spec
            && positions.iter().flatten().any(|c| c.field == spec.field)
        {
            problems.push(Problem::file(
                ErrorCode::Duplicate,
                format!("表头「{name}」出现了两次"),
            ));
        }
        positions.push(spec);
    }
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| c.required && !positions.iter().flatten().any(|p| p.field == c.field))
        .map(|c| c.heading)
        .collect();
    if !missing.is_empty() {
        problems.push(Problem::file(
            ErrorCode::Required,
            format!("缺少必填列：{}；请使用导入模板", missing.join("、")),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(table
        .rows
        .iter()
        .map(|(line, cells)| {
            let mut row = Reading {
                taxonomy,
                fields: ScenarioFields::default(),
                contact: [None, None, None],
                problems: Vec::new(),
            };
            for (spec, value) in positions.iter().zip(cells) {
                let value = value.trim();
                if let Some(spec) = spec
                    && !value.is_empty()
                {
                    row.cell(spec, value);
                }
            }
            row.finish(*line)
        })
        .collect())
}

struct Reading<'a> {
    taxonomy: &'a Taxonomy,
    fields: ScenarioFields,
    contact: [Option<String>; 3],
    problems: Vec<UserError>,
}

impl Reading<'_> {
    fn cell(&mut self, spec: &Spec, value: &str) {
        let Reading {
            taxonomy,
            fields: f,
            contact,
            problems,
        } = self;
        let mut problem = |message: String| {
            problems.push(UserError::new(spec.path, ErrorCode::Invalid, message));
        };
        let text = || Some(value.to_owned());
        match spec.field {
            Field::Title => f.title = text(),
            Field::Summary => f.summary = text(),
            Field::Description => f.description = text(),
            Field::Category => {
                let found = taxonomy
                    .categories
                    .iter()
                    .find(|c| c.code == value.to_ascii_uppercase() || c.name == value)
                    .and_then(|c| ScenarioCategoryCode::parse(&c.code));
                match found {
                    Some(category) => f.category = Some(category),
                    None => problem(format!("「{value}」不是代码表中的场景类别")),
                }
            }
            Field::Industries => {
                let codes = list(value)
                    .map(|item| {
                        let upper = item.to_ascii_uppercase();
                        if taxonomy.industry(&upper).is_some() {
                            upper
                        } else {
                            taxonomy
                                .industries
                                .iter()
                                .find(|i| i.name == item)
                                .map_or_else(|| item.to_owned(), |i| i.code.clone())
                        }
                    })
                    .collect();
                f.industry_codes = Some(codes);
            }
            Field::Tags => f.tags = Some(list(value).map(str::to_owned).collect()),
            Field::Region => {
                let code = taxonomy
                    .regions
                    .iter()
                    .find(|r| r.code == value || r.name == value)
                    .map_or_else(|| value.to_owned(), |r| r.code.clone());
                f.region_code = Some(code);
            }
            Field::BudgetMin => f.budget_min = integer(value, &mut problem),
            Field::BudgetMax => f.budget_max = integer(value, &mut problem),
            Field::Maturity => f.maturity_required = integer(value, &mut problem),
            Field::Modes => {
                let mut modes = Vec::new();
                for item in list(value) {
                    let mode = CooperationMode::ALL
                        .into_iter()
                        .find(|m| m.label() == item || m.as_str() == item.to_ascii_uppercase());
                    match mode {
                        Some(mode) if !modes.contains(&mode) => modes.push(mode),
                        Some(_) => {}
                        None => problem(format!("「{item}」不是代码表中的合作方式")),
                    }
                }
                f.cooperation_modes = Some(modes);
            }
            Field::Deadline => match date(value) {
                Some(day) => f.deadline = Some(day),
                None => problem(format!("「{value}」不是日期，请填写如 2027-06-30")),
            },
            Field::ContactName => contact[0] = text(),
            Field::ContactPhone => contact[1] = text(),
            Field::ContactEmail => contact[2] = text(),
        }
    }

    fn finish(mut self, line: usize) -> ImportRow {
        let [name, phone, email] = self.contact;
        if name.is_some() || phone.is_some() || email.is_some() {
            self.fields.contact = Some(ContactInput {
                name: name.unwrap_or_default(),
                phone: phone.unwrap_or_default(),
                email,
            });
        }
        ImportRow {
            line,
            fields: self.fields,
            problems: self.problems,
        }
    }
}

/// A whole number, allowing thousands separators.
fn integer(value: &str, problem: &mut impl FnMut(String)) -> Option<i32> {
    let parsed = value.replace([',', '，'], "").parse::<i32>().ok();
    if parsed.is_none() {
        problem(format!("「{value}」不是整数"));
    }
    parsed
}

/// The items of a list cell: separated by 顿号, commas, semicolons or line breaks.
fn list(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(['、', ',', '，', ';', '；', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A day as people write it in a sheet: 2027-06-30, 2027/6/30, 2027.6.30 or 2027年6月30日.
fn date(value: &str) -> Option<NaiveDate> {
    let normal: String = value
        .trim_end_matches('日')
        .chars()
        .map(|c| {
            if matches!(c, '/' | '.' | '年' | '月') {
                '-'
            } else {
                c
            }
        })
        .collect();
    NaiveDate::parse_from_str(&normal, "%Y-%m-%d").ok()
}

/// The column an error of the service concerns: the one whose input path is the longest
/// prefix of the error's field.
fn column_of(field: Option<&[String]>) -> Option<&'static str> {
    let field = field?;
    COLUMNS
        .iter()
        .filter(|c| c.path.len() <= field.len() && c.path.iter().zip(field).all(|(a, b)| a == b))
        .max_by_key(|c| c.path.len())
        .or_else(|| {
            // An error about the contact as a whole concerns its first column.
            COLUMNS
                .iter()
                .find(|c| c.path.first().copied() == field.first().map(String::as_str))
        })
        .map(|c| c.heading)
}

/// The service's errors as problems of the file, by row and column.
pub fn problems(errors: Vec<RowError>) -> Vec<Problem> {
    errors
        .into_iter()
        .map(|e| Problem {
            row: (e.line > 0).then_some(e.line),
            column: column_of(e.error.field.as_deref()),
            error: e.error,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(headings: &[&str], row: &[&str]) -> Table {
        Table {
            headings: headings.iter().map(|s| s.to_string()).collect(),
            rows: vec![(2, row.iter().map(|s| s.to_string()).collect())],
        }
    }

    #[test]
    fn names_and_codes_both_read() {
        let taxonomy = Taxonomy::bundled();
        let rows = rows(
            &taxonomy,
            &table(
                &[
                    "场景名称*",
                    "场景简介",
                    "场景描述",
                    "场景类别",
                    "所属产业",
                    "所在地区",
                    "合作方式",
                    "征集截止日期",
                    "预算上限（万元）",
                ],
                &[
                    "甲",
                    "乙",
                    "丙",
                    "智慧城市场景",
                    "zz、新能源（醇氢）汽车",
                    "榆次区",
                    "采购,JOINT_RD",
                    "2027年6月30日",
                    "1,200",
                ],
            ),
        )
        .unwrap();
        let f = &rows[0].fields;
        assert!(rows[0].problems.is_empty(), "{:?}", rows[0].problems);
        assert_eq!(f.category, Some(ScenarioCategoryCode::City));
        assert_eq!(
            f.industry_codes.as_deref(),
            Some(&["ZZ".to_owned(), "ZZ01".to_owned()][..])
        );
        assert_eq!(f.region_code.as_deref(), Some("140702"));
        assert_eq!(
            f.cooperation_modes.as_deref(),
            Some(&[CooperationMode::Procurement, CooperationMode::JointRd][..])
        );
        assert_eq!(f.deadline, NaiveDate::from_ymd_opt(2027, 6, 30));
        assert_eq!(f.budget_max, Some(1200));
    }

    #[test]
    fn unreadable_cells_and_headings_are_named() {
        let taxonomy = Taxonomy::bundled();
        let rows = rows(
            &taxonomy,
            &table(
                &[
                    "场景名称",
                    "场景简介",
                    "场景描述",
                    "场景类别",
                    "所属产业",
                    "预算下限（万元）",
                ],
                &["甲", "乙", "丙", "智慧农业", "ZZ", "一百"],
            ),
        )
        .unwrap();
        let fields: Vec<_> = rows[0]
            .problems
            .iter()
            .map(|p| p.field.clone().unwrap())
            .collect();
        assert_eq!(
            fields,
            [vec!["category".to_owned()], vec!["budgetMin".to_owned()]]
        );
        let Err(problems) = super::rows(&taxonomy, &table(&["场景名称", "预算", "场景名称"], &[]))
        else {
            panic!("bad headings pass");
        };
        let messages: Vec<_> = problems.iter().map(|p| p.error.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "表头「预算」不是导入模板中的列，请使用导入模板",
                "表头「场景名称」出现了两次",
                "缺少必填列：场景简介、场景描述、场景类别、所属产业；请使用导入模板"
            ]
        );
    }

    #[test]
    fn service_errors_find_their_column() {
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            column_of(Some(&path(&["contact", "phone"]))),
            Some("联系电话")
        );
        assert_eq!(column_of(Some(&path(&["contact"]))), Some("联系人"));
        assert_eq!(
            column_of(Some(&path(&["budgetMax"]))),
            Some("预算上限（万元）")
        );
        assert_eq!(column_of(None), None);
    }

    #[test]
    fn dates_in_the_usual_forms() {
        for text in ["2027-06-30", "2027/6/30", "2027.6.30", "2027年6月30日"] {
            assert_eq!(date(text), NaiveDate::from_ymd_opt(2027, 6, 30), "{text}");
        }
        assert_eq!(date("明年"), None);
    }
}

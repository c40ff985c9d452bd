//! What the list items (scenarios, capabilities, and the matches and editions above them) share:
//! contacts, tags, industry lists, public codes, list filters, the lifecycle step, and timelines.

mod contacts;
mod filters;
pub mod graphql;
mod rules;
mod text;

pub use contacts::{CONTACT_SHARING_STATUSES, ContactPartnersLoader};
pub use filters::{MAX_QUERY_CHARS, MAX_TEXT_HITS, expand_industries, expand_regions, free_text};
pub use rules::{
    Key, OwnedItem, can_manage, can_read, check_version, in_hit_order, invalid_transition,
    list_statuses, owner_of_new, ranked_list, visible_contact, visible_timeline,
};
pub use text::LongText;

use async_graphql::{InputObject, SimpleObject};

use crate::db::Tx;
use crate::error::{ErrorCode, Validator};
use crate::taxonomy::Taxonomy;

pub const MAX_TAGS: usize = 10;
pub const MAX_TAG_LEN: usize = 20;

/// Who to call about an item. Shown to its own organization and admins (and, from CONNECTED on,
/// to the other party of a match).
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct ContactInput {
    pub name: String,
    /// Mobile (11 digits) or landline with area code, e.g. 0354-3036000.
    pub phone: String,
    pub email: Option<String>,
}

impl ContactInput {
    /// Checks the contact and returns it in stored form.
    pub fn validate(&self, v: &mut Validator, field: &str) -> Option<Contact> {
        let mut ok = v.text(&[field, "name"], "联系人", &self.name, 40);
        let phone = self.phone.trim();
        if !is_phone(phone) {
            v.push(&[field, "phone"], ErrorCode::Invalid, "联系电话格式不正确");
            ok = false;
        }
        let email = match self
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            None => None,
            Some(email) => {
                let normalized = crate::auth::normalize_email(email);
                if normalized.is_none() {
                    v.push(&[field, "email"], ErrorCode::Invalid, "联系邮箱格式不正确");
                    ok = false;
                }
                normalized
            }
        };
        ok.then(|| Contact {
            name: self.name.trim().to_owned(),
            phone: phone.to_owned(),
            email,
        })
    }
}

/// A note or reason as stored: trimmed, and `None` when nothing is left.
pub fn clean_note(note: Option<&str>) -> Option<&str> {
    note.map(str::trim).filter(|n| !n.is_empty())
}

/// A Chinese mobile number (1[3-9] and 9 digits) or a landline with area code (0 and 2–3 digits,
/// optional dash, 7–8 digits).
pub fn is_phone(phone: &str) -> bool {
    let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if phone.len() == 11 && digits_only(phone) && phone.starts_with('1') {
        return matches!(phone.as_bytes()[1], b'3'..=b'9');
    }
    let (area, number) = match phone.split_once('-') {
        Some((area, number)) => (area, number),
        None if phone.starts_with('0') && phone.len() >= 10 => {
            // Without a dash the area code is 3 digits for the big cities (010, 02x) and 4 otherwise.
            let area_len = if phone.starts_with("01") || phone.starts_with("02") {
                3
            } else {
                4
            };
            phone.split_at(area_len.min(phone.len()))
        }
        None => return false,
    };
    digits_only(area)
        && digits_only(number)
        && area.starts_with('0')
        && (3..=4).contains(&area.len())
        && (7..=8).contains(&number.len())
}

/// Checks tags (at most 10, each at most 20 characters) and returns them trimmed, without
/// duplicates or empties.
pub fn validate_tags(v: &mut Validator, tags: &[String]) -> Vec<String> {
    // The count first, so that no work is spent on a list that cannot pass.
    if tags.len() > MAX_TAGS {
        v.push(
            &["tags"],
            ErrorCode::OutOfRange,
            format!("标签最多{MAX_TAGS}个"),
        );
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for tag in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if tag.chars().count() > MAX_TAG_LEN {
            v.push(
                &["tags"],
                ErrorCode::TooLong,
                format!("标签“{tag}”超过{MAX_TAG_LEN}个字符"),
            );
        } else if let Some(problem) = crate::error::text_problem(tag, true) {
            v.push(&["tags"], ErrorCode::Invalid, format!("标签{problem}"));
        } else if !out.iter().any(|t| t == tag) {
            out.push(tag.to_owned());
        }
    }
    if out.len() > MAX_TAGS {
        v.push(
            &["tags"],
            ErrorCode::OutOfRange,
            format!("标签最多{MAX_TAGS}个"),
        );
    }
    out
}

/// Checks industry codes (at least one, all known) and returns them without duplicates.
pub fn validate_industries(
    v: &mut Validator,
    taxonomy: &Taxonomy,
    codes: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in codes.iter().map(|c| c.trim()) {
        if taxonomy.industry(code).is_none() {
            v.push(
                &["industryCodes"],
                ErrorCode::Invalid,
                format!("行业代码“{code}”不存在"),
            );
        } else if !out.iter().any(|c| c == code) {
            out.push(code.to_owned());
        }
    }
    if codes.is_empty() {
        v.push(
            &["industryCodes"],
            ErrorCode::Required,
            "请至少选择一个所属行业",
        );
    }
    out
}

/// Checks a range in 万元: both bounds at least 0 and the lower not above the upper.
pub fn validate_range(
    v: &mut Validator,
    (min_field, max_field): (&str, &str),
    label: &str,
    min: Option<i32>,
    max: Option<i32>,
) {
    for (field, value) in [(min_field, min), (max_field, max)] {
        if value.is_some_and(|x| x < 0) {
            v.push(
                &[field],
                ErrorCode::OutOfRange,
                format!("{label}不能为负数"),
            );
        }
    }
    if let (Some(min), Some(max)) = (min, max)
        && min >= 0
        && max >= 0
        && min > max
    {
        v.push(
            &[min_field],
            ErrorCode::OutOfRange,
            format!("{label}下限不能高于上限"),
        );
    }
}

/// Checks a technology readiness level (1–9).
pub fn validate_trl(v: &mut Validator, field: &str, trl: Option<i32>) {
    if trl.is_some_and(|t| !(1..=9).contains(&t)) {
        v.push(
            &[field],
            ErrorCode::OutOfRange,
            "技术成熟度等级应在1到9之间",
        );
    }
}

/// Joins codes for a list column (`"ZZ05,MT04"`).
pub fn join_codes(codes: &[String]) -> String {
    codes.join(",")
}

pub fn split_codes(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Takes the next public code `<prefix>-<year>-<seq>` inside the approving transaction. The
/// counter row stays locked until that transaction ends, so concurrent approvals queue behind it
/// and a rolled-back approval gives its number back: codes are gapless in order of approval.
pub async fn next_code(tx: &mut Tx, prefix: &str, year: i32) -> Result<String, sqlx::Error> {
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO code_counters (prefix, year, last) VALUES ($1, $2, 1) \
         ON CONFLICT (prefix, year) DO UPDATE SET last = code_counters.last + 1 RETURNING last",
    )
    .bind(prefix)
    .bind(i64::from(year))
    .fetch_one(&mut **tx)
    .await?;
    Ok(format!("{prefix}-{year}-{seq:04}"))
}

/// Today's date in China Standard Time (UTC+8), the calendar deadlines are written in.
pub fn today_in_china() -> chrono::NaiveDate {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    chrono::Utc::now().with_timezone(&offset).date_naive()
}

/// The day a stored time falls on in China (UTC+8); a bare date is read as it is.
pub fn day_in_china(at: &str) -> Option<chrono::NaiveDate> {
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&china).date_naive())
        .or_else(|_| chrono::NaiveDate::parse_from_str(at.get(..10).unwrap_or(at), "%Y-%m-%d"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        for ok in [
            "13812345678",
            "0354-3036000",
            "010-12345678",
            "03543036000",
            "01012345678",
        ] {
            assert!(is_phone(ok), "{ok}");
        }
        for bad in [
            "",
            "12345678901",
            "1381234567",
            "3543036000",
            "0354-12",
            "0354-303600a",
            "电话",
        ] {
            assert!(!is_phone(bad), "{bad}");
        }
    }

    #[test]
    fn tags_are_trimmed_deduplicated_and_bounded() {
        let mut v = Validator::default();
        let tags = validate_tags(
            &mut v,
            &[" 低空 ".into(), "低空".into(), "".into(), "无人机".into()],
        );
        assert_eq!(tags, ["低空", "无人机"]);
        assert!(v.is_empty());
        let many: Vec<String> = (0..11).map(|i| format!("标签{i}")).collect();
        validate_tags(&mut v, &many);
        assert_eq!(v.into_errors()[0].code, ErrorCode::OutOfRange);
    }

    #[test]
    fn ranges_and_levels() {
        let mut v = Validator::default();
        validate_range(
            &mut v,
            ("budgetMin", "budgetMax"),
            "预算",
            Some(10),
            Some(5),
        );
        validate_range(&mut v, ("budgetMin", "budgetMax"), "预算", Some(-1), None);
        validate_trl(&mut v, "maturityRequired", Some(10));
        validate_trl(&mut v, "maturityRequired", Some(9));
        let errors = v.into_errors();
        assert_eq!(errors.len(), 3);
        assert!(errors.iter().all(|e| e.code == ErrorCode::OutOfRange));
    }
}

/// An admin's review decision.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReviewDecision {
    Approve,
    RequestChanges,
}

/// The message of an `INVALID_TRANSITION` error: the current state, the action, and the states
/// the action is allowed from.
pub fn transition_refusal(current: &str, action: &str, allowed_from: &[&str]) -> String {
    if allowed_from.is_empty() {
        format!("当前状态为「{current}」，不能执行「{action}」")
    } else {
        let allowed: Vec<String> = allowed_from.iter().map(|s| format!("「{s}」")).collect();
        format!(
            "当前状态为「{current}」，不能执行「{action}」；该操作仅适用于{}状态",
            allowed.join("")
        )
    }
}

/// How a list item's table takes a lifecycle step.
pub struct ItemTable {
    pub table: &'static str,
    pub columns: &'static str,
    pub aggregate: &'static str,
    pub code_prefix: &'static str,
    /// Set once, on first approval (published_at, listed_at).
    pub approved_at: &'static str,
}

/// What a step writes besides the status.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum StepEffect {
    /// Records the submission time.
    Submit,
    /// Records the first approval time and assigns the public code if the item has none.
    Approve,
    None,
}

/// One lifecycle step of a scenario or capability inside the caller's transaction: the guarded
/// update (`WHERE id, status, version`), the code on first approval, and the event. `None` when
/// the row moved on meanwhile.
#[allow(clippy::too_many_arguments)]
pub async fn take_step<R>(
    tx: &mut Tx,
    t: &ItemTable,
    (id, version, has_code): (&str, i64, bool),
    (from, action, to): (&str, &str, &str),
    effect: StepEffect,
    actor_id: Option<&str>,
    note: Option<&str>,
) -> Result<Option<R>, sqlx::Error>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    use chrono::Datelike as _;
    let now = crate::db::now();
    let mut sql = crate::db::Sql::new(&format!("UPDATE {} SET status = ", t.table));
    sql.bind(to.to_owned())
        .push(", version = version + 1, updated_at = ")
        .bind(now.clone());
    match effect {
        StepEffect::Submit => {
            sql.push(", submitted_at = ").bind(now.clone());
        }
        StepEffect::Approve => {
            sql.push(&format!(", {0} = COALESCE({0}, ", t.approved_at))
                .bind(now.clone())
                .push(")");
            if !has_code {
                let code = next_code(tx, t.code_prefix, today_in_china().year()).await?;
                sql.push(", code = ").bind(code);
            }
        }
        StepEffect::None => {}
    }
    sql.push(" WHERE id = ")
        .bind(id.to_owned())
        .push(" AND status = ")
        .bind(from.to_owned())
        .push(" AND version = ")
        .bind(version)
        .push(&format!(" RETURNING {}", t.columns));
    let (text, args) = sql.build();
    let row: Option<R> = sqlx::query_as_with(text, args)
        .fetch_optional(&mut **tx)
        .await?;
    if row.is_some() {
        crate::events::record(
            tx,
            crate::events::NewEvent {
                aggregate_type: t.aggregate,
                aggregate_id: id,
                action,
                from_status: Some(from),
                to_status: Some(to),
                actor_id,
                note,
            },
            &now,
        )
        .await?;
    }
    Ok(row)
}

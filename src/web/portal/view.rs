//! Rows as the pages show them: cards and detail views with names instead of codes, amounts in
//! 万元, days in China time, and the words a search matched marked in titles and summaries.

use std::collections::HashMap;

use serde::Serialize;

use crate::capabilities::{CapabilityRow, CapabilityStatus};
use crate::events::EventRow;
use crate::items;
use crate::mail::templates::{escape_html, push_escaped};
use crate::orgs::OrganizationRow;
use crate::scenarios::model::CooperationMode;
use crate::scenarios::{ScenarioRow, ScenarioStatus};
use crate::taxonomy::Taxonomy;

/// A scenario's public page.
pub fn scenario_path(code: &str) -> String {
    format!("/opportunities/{}", encode(code))
}

/// A capability's public page.
pub fn capability_path(code: &str) -> String {
    format!("/capabilities/{}", encode(code))
}

/// A case's page in the showcase.
pub fn case_path(code: &str) -> String {
    format!("/cases/{}", encode(code))
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for paths and queries.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `text` escaped for HTML, with every occurrence of a word of `marks` (lower case, as
/// [`crate::search::LiveIndex::marks`] gives them) inside `<mark>`. Linear in the text for each
/// word; overlapping matches merge into one mark.
pub fn highlight(text: &str, marks: &[String]) -> String {
    if marks.is_empty() {
        return escape_html(text);
    }
    let lower = text.to_lowercase();
    // Lower-casing keeps byte offsets for the texts that matter here (CJK, ASCII); where it does
    // not, the text is searched as written.
    let haystack = if lower.len() == text.len() {
        lower.as_str()
    } else {
        text
    };
    let mut marked = vec![false; text.len()];
    for word in marks.iter().filter(|w| !w.is_empty()) {
        for (at, _) in haystack.match_indices(word.as_str()) {
            let end = at + word.len();
            if text.is_char_boundary(at) && text.is_char_boundary(end) {
                marked[at..end].fill(true);
            }
        }
    }
    let mut out = String::with_capacity(text.len() + 32);
    let mut open = false;
    for (at, c) in text.char_indices() {
        if marked[at] != open {
            out.push_str(if open { "</mark>" } else { "<mark>" });
            open = !open;
        }
        push_escaped(&mut out, c);
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

/// A range in 万元, as "50–200万元", "50万元起" or "200万元以内".
pub fn amount_range(min: Option<i64>, max: Option<i64>) -> Option<String> {
    match (min, max) {
        (Some(a), Some(b)) if a == b => Some(format!("{a}万元")),
        (Some(a), Some(b)) => Some(format!("{a}–{b}万元")),
        (Some(a), None) => Some(format!("{a}万元起")),
        (None, Some(b)) => Some(format!("{b}万元以内")),
        (None, None) => None,
    }
}

/// The day of a stored time in China, as 2026-03-01.
pub fn day(at: Option<&str>) -> Option<String> {
    at.and_then(items::day_in_china).map(|d| d.to_string())
}

pub fn industry_names(taxonomy: &Taxonomy, codes: &[String]) -> Vec<String> {
    codes
        .iter()
        .map(|c| {
            taxonomy
                .industry(c)
                .map_or_else(|| c.clone(), |i| i.name.clone())
        })
        .collect()
}

fn region_name(taxonomy: &Taxonomy, code: &str) -> String {
    taxonomy
        .region(code)
        .map_or_else(|| code.to_owned(), |r| r.name.clone())
}

/// Organization names by id.
pub fn names(orgs: Vec<OrganizationRow>) -> HashMap<String, String> {
    orgs.into_iter().map(|o| (o.id, o.name)).collect()
}

fn name_of(names: &HashMap<String, String>, id: &str) -> String {
    names.get(id).cloned().unwrap_or_default()
}

#[derive(Serialize)]
pub struct ScenarioCard {
    pub code: String,
    pub url: String,
    /// Escaped, with matched words marked.
    pub title_html: String,
    pub summary_html: String,
    pub unit: String,
    pub region: String,
    pub status: &'static str,
    pub industries: Vec<String>,
    pub budget: Option<String>,
    pub deadline: Option<String>,
}

pub fn scenario_card(
    taxonomy: &Taxonomy,
    names: &HashMap<String, String>,
    marks: &[String],
    row: &ScenarioRow,
) -> ScenarioCard {
    let code = row.code.clone().unwrap_or_default();
    ScenarioCard {
        url: scenario_path(&code),
        code,
        title_html: highlight(&row.title, marks),
        summary_html: highlight(&row.summary, marks),
        unit: name_of(names, &row.org_id),
        region: region_name(taxonomy, &row.region_code),
        status: row.status().label(),
        industries: industry_names(taxonomy, &row.industry_codes()),
        budget: amount_range(row.budget_min, row.budget_max),
        deadline: row.deadline.clone(),
    }
}

#[derive(Serialize)]
pub struct CapabilityCard {
    pub code: String,
    pub url: String,
    pub title_html: String,
    pub summary_html: String,
    pub provider: String,
    pub maturity: i64,
    pub price: Option<String>,
    pub featured: bool,
    pub industries: Vec<String>,
}

pub fn capability_card(
    taxonomy: &Taxonomy,
    names: &HashMap<String, String>,
    marks: &[String],
    row: &CapabilityRow,
) -> CapabilityCard {
    let code = row.code.clone().unwrap_or_default();
    CapabilityCard {
        url: capability_path(&code),
        code,
        title_html: highlight(&row.title, marks),
        summary_html: highlight(&row.summary, marks),
        provider: name_of(names, &row.org_id),
        maturity: row.maturity,
        price: amount_range(row.price_min, row.price_max),
        featured: row.status() == CapabilityStatus::Featured,
        industries: industry_names(taxonomy, &row.industry_codes()),
    }
}

/// A link to another item.
#[derive(Serialize)]
pub struct Link {
    pub code: String,
    pub title: String,
    pub url: String,
}

pub fn scenario_link(row: &ScenarioRow) -> Link {
    let code = row.code.clone().unwrap_or_default();
    Link {
        url: scenario_path(&code),
        title: row.title.clone(),
        code,
    }
}

pub fn capability_link(row: &CapabilityRow) -> Link {
    let code = row.code.clone().unwrap_or_default();
    Link {
        url: capability_path(&code),
        title: row.title.clone(),
        code,
    }
}

/// One public step of a timeline.
#[derive(Serialize)]
pub struct Step {
    pub date: String,
    pub label: &'static str,
    pub note: Option<String>,
}

/// The public steps (the service already kept only those) with the stage each reached.
pub fn steps(events: Vec<EventRow>, label: impl Fn(&str) -> Option<&'static str>) -> Vec<Step> {
    events
        .into_iter()
        .filter_map(|e| {
            Some(Step {
                label: label(e.to_status.as_deref()?)?,
                date: day(Some(&e.at)).unwrap_or_default(),
                note: e.note,
            })
        })
        .collect()
}

/// Paragraphs of a long text.
fn paragraphs(text: &str) -> Vec<String> {
    text.split('\n')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(Serialize)]
pub struct Outcome {
    pub summary: String,
    pub investment: Option<String>,
    pub completed_on: Option<String>,
    pub capability: Option<Link>,
}

/// What a landed scenario achieved and who delivered it (from LANDED on).
pub fn outcome(row: &ScenarioRow) -> Option<Outcome> {
    if !matches!(
        row.status(),
        ScenarioStatus::Landed | ScenarioStatus::Promoted
    ) {
        return None;
    }
    Some(Outcome {
        summary: row.outcome_summary.clone()?,
        investment: row.outcome_investment.map(|a| format!("{a}万元")),
        completed_on: row.completed_on.clone(),
        capability: match (&row.outcome_capability_code, &row.outcome_capability_title) {
            (Some(code), Some(title)) => Some(Link {
                url: capability_path(code),
                code: code.clone(),
                title: title.clone(),
            }),
            _ => None,
        },
    })
}

#[derive(Serialize)]
pub struct ScenarioView {
    pub code: String,
    pub title: String,
    pub summary: String,
    pub description: Vec<String>,
    pub unit: String,
    pub category: String,
    pub region: String,
    pub industries: Vec<String>,
    pub tags: Vec<String>,
    pub budget: Option<String>,
    pub modes: String,
    pub maturity: Option<i64>,
    pub deadline: Option<String>,
    pub status: &'static str,
    /// Still taking applications.
    pub open: bool,
    pub outcome: Option<Outcome>,
}

pub fn scenario_view(taxonomy: &Taxonomy, unit: String, row: &ScenarioRow) -> ScenarioView {
    let category = taxonomy
        .category(&row.category)
        .map_or_else(|| row.category.clone(), |k| k.name.clone());
    let modes: Vec<&str> = items::split_codes(&row.cooperation_modes)
        .iter()
        .filter_map(|m| CooperationMode::parse(m))
        .map(CooperationMode::label)
        .collect();
    ScenarioView {
        code: row.code.clone().unwrap_or_default(),
        title: row.title.clone(),
        summary: row.summary.clone(),
        description: paragraphs(row.description.whole()),
        unit,
        category,
        region: region_name(taxonomy, &row.region_code),
        industries: industry_names(taxonomy, &row.industry_codes()),
        tags: row.tags(),
        budget: amount_range(row.budget_min, row.budget_max),
        modes: modes.join("、"),
        maturity: row.maturity_required,
        deadline: row.deadline.clone(),
        status: row.status().label(),
        open: row.status().is_open(),
        outcome: outcome(row),
    }
}

#[derive(Serialize)]
pub struct CaseView {
    pub code: String,
    pub title: String,
    pub url: String,
    pub unit: String,
    pub region: String,
    pub promoted: bool,
    pub outcome: Option<String>,
    pub investment: Option<String>,
    pub completed_on: Option<String>,
    pub capability: Option<Link>,
}

pub fn case_card(
    taxonomy: &Taxonomy,
    names: &HashMap<String, String>,
    row: &ScenarioRow,
) -> CaseView {
    let code = row.code.clone().unwrap_or_default();
    let outcome = outcome(row);
    CaseView {
        url: case_path(&code),
        code,
        title: row.title.clone(),
        unit: name_of(names, &row.org_id),
        region: region_name(taxonomy, &row.region_code),
        promoted: row.status() == ScenarioStatus::Promoted,
        investment: outcome.as_ref().and_then(|o| o.investment.clone()),
        completed_on: outcome.as_ref().and_then(|o| o.completed_on.clone()),
        outcome: outcome.as_ref().map(|o| o.summary.clone()),
        capability: outcome.and_then(|o| o.capability),
    }
}

#[derive(Serialize)]
pub struct CapabilityView {
    pub code: String,
    pub title: String,
    pub summary: String,
    pub description: Vec<String>,
    pub provider: String,
    pub industries: Vec<String>,
    pub tags: Vec<String>,
    pub maturity: i64,
    pub price: Option<String>,
    pub regions: String,
    pub certifications: Vec<String>,
    pub cases: Vec<crate::capabilities::store::DeliveredCase>,
    pub status: &'static str,
    pub featured: bool,
}

pub fn capability_view(
    taxonomy: &Taxonomy,
    provider: String,
    row: &CapabilityRow,
) -> CapabilityView {
    let regions: Vec<String> = row
        .service_region_codes()
        .iter()
        .map(|c| region_name(taxonomy, c))
        .collect();
    CapabilityView {
        code: row.code.clone().unwrap_or_default(),
        title: row.title.clone(),
        summary: row.summary.clone(),
        description: paragraphs(row.description.whole()),
        provider,
        industries: industry_names(taxonomy, &row.industry_codes()),
        tags: row.tags(),
        maturity: row.maturity,
        price: amount_range(row.price_min, row.price_max),
        regions: if regions.is_empty() {
            "全市".to_owned()
        } else {
            regions.join("、")
        },
        certifications: row.certifications(),
        cases: row.cases(),
        status: row.status().label(),
        featured: row.status() == CapabilityStatus::Featured,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_marks_words_and_escapes_the_rest() {
        let marks = vec!["巡检".to_owned(), "ai".to_owned()];
        assert_eq!(
            highlight("<b>煤矿巡检</b> AI 巡检", &marks),
            "&lt;b&gt;煤矿<mark>巡检</mark>&lt;/b&gt; <mark>AI</mark> <mark>巡检</mark>"
        );
        assert_eq!(highlight("无关", &marks), "无关");
        assert_eq!(highlight("a&b", &[]), "a&amp;b");
    }

    #[test]
    fn overlapping_words_make_one_mark() {
        let marks = vec!["煤矿智能".to_owned(), "智能化".to_owned()];
        assert_eq!(
            highlight("煤矿智能化改造", &marks),
            "<mark>煤矿智能化</mark>改造"
        );
    }

    #[test]
    fn amounts_and_paths() {
        assert_eq!(
            amount_range(Some(50), Some(200)).as_deref(),
            Some("50–200万元")
        );
        assert_eq!(amount_range(None, Some(80)).as_deref(), Some("80万元以内"));
        assert_eq!(amount_range(None, None), None);
        assert_eq!(
            scenario_path("JZ-JH-2026-001"),
            "/opportunities/JZ-JH-2026-001"
        );
        assert_eq!(encode("煤 a&b"), "%E7%85%A4%20a%26b");
    }
}

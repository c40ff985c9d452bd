//! What the list filters of both lists share: a cluster stands for its sub-industries, a group
//! (平川, 东山) for its counties, and free text considers at most so many hits.

use crate::error::{AppError, AppResult};
use crate::taxonomy::{RegionGroup, Taxonomy};

/// Most items a free-text query considers.
pub const MAX_TEXT_HITS: usize = 1000;

/// The longest free-text query, in characters: a few phrases. Checked before any work, so that
/// a query the size of a request body costs nothing.
pub const MAX_QUERY_CHARS: usize = 200;

/// The free text of a list filter, trimmed; `None` when there is none. Too long a text is refused.
pub fn free_text(query: Option<&str>) -> AppResult<Option<&str>> {
    let Some(text) = query.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    if text.chars().nth(MAX_QUERY_CHARS).is_some() {
        return Err(AppError::BadRequest(format!(
            "搜索词不能超过{MAX_QUERY_CHARS}个字"
        )));
    }
    Ok(Some(text))
}

/// Expands industry codes (a cluster to itself and its children) and regions (a group to its
/// counties) for list filters.
pub fn expand_industries(taxonomy: &Taxonomy, codes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in codes {
        out.push(code.clone());
        out.extend(taxonomy.children(code).map(|c| c.code.clone()));
    }
    out.sort();
    out.dedup();
    out
}

pub fn expand_regions(
    taxonomy: &Taxonomy,
    codes: Option<&[String]>,
    group: Option<RegionGroup>,
) -> Option<Vec<String>> {
    let by_group: Option<Vec<String>> = group.map(|g| {
        taxonomy
            .regions
            .iter()
            .filter(|r| r.group.as_deref() == Some(g.as_str()))
            .map(|r| r.code.clone())
            .collect()
    });
    match (codes, by_group) {
        (None, None) => None,
        (Some(codes), None) => Some(codes.to_vec()),
        (None, Some(group)) => Some(group),
        (Some(codes), Some(group)) => Some(
            codes
                .iter()
                .filter(|c| group.contains(c))
                .cloned()
                .collect(),
        ),
    }
}

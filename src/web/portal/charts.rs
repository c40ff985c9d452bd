//! `/stats`: the public statistics as bar charts drawn on the server (inline SVG, no script),
//! each with its table for screen readers and printing.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;

use super::{Head, PageResult, Portal, VISITOR, render};
use crate::mail::templates::escape_html;
use crate::stats::model::StatBucket;
use crate::stats::service::{StatsFilter, stats};

/// One bar: its label and value (a count, or 万元).
#[derive(Serialize)]
struct Bar {
    label: String,
    value: i64,
}

#[derive(Serialize)]
struct Chart {
    id: &'static str,
    title: &'static str,
    caption: String,
    label_heading: &'static str,
    value_heading: &'static str,
    svg: String,
    rows: Vec<Bar>,
}

impl Chart {
    fn new(
        id: &'static str,
        title: &'static str,
        label_heading: &'static str,
        value_heading: &'static str,
        rows: Vec<Bar>,
    ) -> Chart {
        let total: i64 = rows.iter().map(|r| r.value).sum();
        Chart {
            svg: bars(id, title, &rows),
            caption: format!("合计 {total}（{value_heading}）"),
            id,
            title,
            label_heading,
            value_heading,
            rows,
        }
    }

    /// A chart whose bars overlap (a funnel: every scenario counts at each stage it reached), so
    /// its caption says that instead of a total.
    fn funnel(rows: Vec<Bar>) -> Chart {
        let (id, title, value_heading) = ("funnel", "场景推进阶段", "到达该阶段的场景数");
        Chart {
            svg: bars(id, title, &rows),
            caption: "每个场景计入它到达过的每个阶段。".to_owned(),
            id,
            title,
            label_heading: "阶段",
            value_heading,
            rows,
        }
    }
}

const WIDTH: i64 = 640;
const LABEL: i64 = 170;
const ROW: i64 = 28;
const BAR_SPACE: i64 = WIDTH - LABEL - 70;

/// Horizontal bars, longest = the largest value; the figures are written beside the bars.
fn bars(id: &str, title: &str, rows: &[Bar]) -> String {
    let height = ROW * rows.len() as i64 + 8;
    let top = rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}-svg\" \
         viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\">\
         <title id=\"{id}-svg\">{}</title>",
        escape_html(title)
    );
    for (i, row) in rows.iter().enumerate() {
        let y = i as i64 * ROW + 4;
        let length = (row.value * BAR_SPACE / top).max(if row.value > 0 { 2 } else { 0 });
        let _ = write!(
            svg,
            "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"14\" fill=\"#1f2933\">{label}</text>\
             <rect x=\"{bx}\" y=\"{y}\" width=\"{length}\" height=\"{h}\" fill=\"#a3281f\"></rect>\
             <text x=\"{vx}\" y=\"{ty}\" font-size=\"13\" fill=\"#5f6b7a\">{value}</text>",
            x = LABEL - 8,
            ty = y + 15,
            label = escape_html(&row.label),
            bx = LABEL,
            h = ROW - 8,
            vx = LABEL + length + 6,
            value = row.value,
        );
    }
    svg.push_str("</svg>");
    svg
}

fn counts(buckets: &[StatBucket]) -> Vec<Bar> {
    buckets
        .iter()
        .map(|b| Bar {
            label: b.name.clone(),
            value: b.count,
        })
        .collect()
}

#[derive(Serialize)]
struct StatsPage {
    charts: Vec<Chart>,
}

pub async fn page(State(portal): State<Portal>, request: HeaderMap) -> PageResult {
    let figures = stats(
        &portal.db,
        &portal.taxonomy,
        &VISITOR,
        &StatsFilter::default(),
    )
    .await?;
    let s = &figures.scenarios;
    let funnel = s
        .funnel
        .iter()
        .filter_map(|stage| {
            Some(Bar {
                label: stage.name.clone(),
                value: stage.reached?,
            })
        })
        .collect();
    let investment = s
        .landed_by_region
        .iter()
        .map(|b| Bar {
            label: b.name.clone(),
            value: b.amount.unwrap_or(0),
        })
        .collect();
    let charts = vec![
        Chart::funnel(funnel),
        Chart::new(
            "by-region",
            "各县（区）发布的场景",
            "县（区）",
            "场景数",
            counts(&s.by_region),
        ),
        Chart::new(
            "by-cluster",
            "各产业集群的场景",
            "产业集群",
            "场景数",
            counts(&s.by_cluster),
        ),
        Chart::new(
            "investment",
            "各县（区）落地投资",
            "县（区）",
            "投资额（万元）",
            investment,
        ),
        Chart::new(
            "capabilities",
            "各产业集群的入库方案",
            "产业集群",
            "方案数",
            counts(&figures.capabilities.by_cluster),
        ),
        Chart::new(
            "events",
            "对接活动",
            "指标",
            "数量",
            [
                ("发布的活动", figures.events.announced),
                ("已举办", figures.events.held),
                ("企业报名", figures.events.registrations),
                ("确认参加", figures.events.accepted),
            ]
            .into_iter()
            .filter(|(_, value)| *value > 0)
            .map(|(label, value)| Bar {
                label: label.to_owned(),
                value,
            })
            .collect(),
        ),
    ];
    let head = Head {
        title: "数据统计".to_owned(),
        description:
            "晋中市场景创新数据统计：场景推进阶段、各县（区）场景、产业集群、落地投资与对接活动。"
                .to_owned(),
        path: "/stats".to_owned(),
        section: "stats",
    };
    render(&portal, &request, "stats.html", head, StatsPage { charts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars(
            "t",
            "图",
            &[
                Bar {
                    label: "<榆次>".to_owned(),
                    value: 10,
                },
                Bar {
                    label: "太谷".to_owned(),
                    value: 5,
                },
            ],
        );
        assert!(svg.contains(&format!("width=\"{BAR_SPACE}\"")), "{svg}");
        assert!(
            svg.contains(&format!("width=\"{}\"", BAR_SPACE / 2)),
            "{svg}"
        );
        assert!(
            svg.contains("&lt;榆次&gt;") && !svg.contains("<榆次>"),
            "{svg}"
        );
    }
}

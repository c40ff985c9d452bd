//! The GraphQL door of the statistics. Rules live in [`super::service`].

use std::sync::Arc;

use async_graphql::{Context, InputObject, Object};

use super::model::Stats;
use super::service::{self, StatsFilter};
use crate::db::Db;
use crate::error::AppResult;
use crate::scenarios::model::ScenarioCategoryCode;
use crate::taxonomy::{RegionGroup, Taxonomy};
use crate::viewer::Viewer;

/// What the statistics are about; every part optional.
#[derive(InputObject, Default)]
#[graphql(name = "StatsFilter")]
pub struct StatsFilterInput {
    /// Scenarios recorded, and capabilities listed, in this year (Asia/Shanghai).
    pub year: Option<i32>,
    /// Counties or districts (140700: the city level); at most 50.
    pub region_codes: Option<Vec<String>>,
    /// 平川 or 东山: their counties.
    pub region_group: Option<RegionGroup>,
    /// Industries or clusters (a cluster stands for its sub-industries); at most 50.
    pub industry_codes: Option<Vec<String>>,
    /// Narrows the scenarios; capabilities have no category.
    pub category: Option<ScenarioCategoryCode>,
}

#[derive(Default)]
pub struct StatsQuery;

#[Object]
impl StatsQuery {
    /// 统计：scenarios by status, region, cluster and category, the stage funnel, landed
    /// investment, capabilities listed and featured, and (administrators only) matches. No
    /// sign-in needed: everyone but administrators gets the figures of published items only.
    async fn stats(&self, ctx: &Context<'_>, filter: Option<StatsFilterInput>) -> AppResult<Stats> {
        let filter = filter.unwrap_or_default();
        service::stats(
            ctx.data_unchecked::<Db>(),
            ctx.data_unchecked::<Arc<Taxonomy>>(),
            Viewer::of(ctx),
            &StatsFilter {
                year: filter.year,
                region_codes: filter.region_codes,
                region_group: filter.region_group,
                industry_codes: filter.industry_codes,
                category: filter.category.map(|c| c.as_str().to_owned()),
            },
        )
        .await
    }
}

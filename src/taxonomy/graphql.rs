use std::sync::{Arc, LazyLock};

use async_graphql::{Context, Object};

use super::{CategoryRow, IndustryRow, RegionGroup, RegionRow, Taxonomy};

/// The sizes of the shipped industry lists, by which query complexity counts them: a list costs
/// what it can hold, so that the natural tree query (clusters with their children) is cheap while
/// nesting `children` and `parent` without end is refused.
static INDUSTRY_BOUNDS: LazyLock<(usize, usize, usize)> =
    LazyLock::new(|| Taxonomy::bundled().industry_bounds());

fn industries_cost(top_level_only: Option<bool>, child_complexity: usize) -> usize {
    let (clusters, all, _) = *INDUSTRY_BOUNDS;
    let rows = if top_level_only.unwrap_or(false) {
        clusters
    } else {
        all
    };
    rows.max(1) * child_complexity
}

fn children_cost(child_complexity: usize) -> usize {
    INDUSTRY_BOUNDS.2.max(1) * child_complexity
}

/// An administrative region of Jinzhong (GB/T 2260 code).
#[derive(Clone, Debug)]
pub struct Region(pub RegionRow);

#[Object]
impl Region {
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// CITY, DISTRICT, COUNTY or COUNTY_CITY.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// The plan's group; null for the city itself.
    async fn group(&self) -> Option<RegionGroup> {
        self.0.group.as_deref().and_then(RegionGroup::parse)
    }
    /// The plan's functional cluster, e.g. SMART_MANUFACTURING.
    async fn cluster(&self) -> Option<&str> {
        self.0.cluster.as_deref()
    }
}

/// An industry: a cluster (level 1) or one of its sub-industries (level 2).
#[derive(Clone, Debug)]
pub struct Industry(pub IndustryRow);

#[Object]
impl Industry {
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// 1 for a cluster, 2 for a sub-industry.
    async fn level(&self) -> i32 {
        if self.0.parent.is_some() { 2 } else { 1 }
    }
    async fn parent(&self, ctx: &Context<'_>) -> Option<Industry> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        let parent = self.0.parent.as_deref()?;
        taxonomy.industry(parent).cloned().map(Industry)
    }
    /// Counted in the query complexity as the most children a cluster has.
    #[graphql(complexity = "children_cost(child_complexity)")]
    async fn children(&self, ctx: &Context<'_>) -> Vec<Industry> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        taxonomy
            .children(&self.0.code)
            .cloned()
            .map(Industry)
            .collect()
    }
}

/// A category of scenario from the plan.
#[derive(Clone, Debug)]
pub struct ScenarioCategory(pub CategoryRow);

#[Object]
impl ScenarioCategory {
    /// INDUSTRIAL, CITY or COMMUNITY.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn about(&self) -> &str {
        &self.0.about
    }
}

#[derive(Default)]
pub struct TaxonomyQuery;

/// Reference data is small and bounded (12 regions, 45 industries, 3 categories), so these lists
/// are returned whole rather than as connections.
#[Object]
impl TaxonomyQuery {
    /// The city, its districts and counties.
    async fn regions(&self, ctx: &Context<'_>, group: Option<RegionGroup>) -> Vec<Region> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        taxonomy
            .regions
            .iter()
            .filter(|r| group.is_none_or(|g| r.group.as_deref() == Some(g.as_str())))
            .cloned()
            .map(Region)
            .collect()
    }

    /// Industries in the taxonomy's order; `topLevelOnly` returns the clusters alone.
    #[graphql(complexity = "industries_cost(top_level_only, child_complexity)")]
    async fn industries(&self, ctx: &Context<'_>, top_level_only: Option<bool>) -> Vec<Industry> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        taxonomy
            .industries
            .iter()
            .filter(|i| !top_level_only.unwrap_or(false) || i.parent.is_none())
            .cloned()
            .map(Industry)
            .collect()
    }

    async fn scenario_categories(&self, ctx: &Context<'_>) -> Vec<ScenarioCategory> {
        let taxonomy = ctx.data_unchecked::<Arc<Taxonomy>>();
        taxonomy
            .categories
            .iter()
            .cloned()
            .map(ScenarioCategory)
            .collect()
    }
}

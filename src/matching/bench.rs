//! A synthetic city for measuring the engine at scale: capabilities and scenarios assembled from
//! the sentences, tags and industries of the demo content, in random combinations.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::{CapabilityDoc, Engine, ScenarioDoc, World};

/// Text to draw from: sentences, titles and tags of real-looking items.
#[derive(Debug, Default, Clone)]
pub struct Corpus {
    pub titles: Vec<String>,
    pub sentences: Vec<String>,
    pub tags: Vec<String>,
}

impl Corpus {
    /// Splits `texts` into sentences and keeps titles and tags as they are.
    pub fn from_items<'a>(
        items: impl IntoIterator<Item = (&'a str, &'a str, &'a [String])>,
    ) -> Corpus {
        let mut corpus = Corpus::default();
        for (title, text, tags) in items {
            corpus.titles.push(title.to_owned());
            corpus.sentences.extend(
                text.split(['。', '，', '；'])
                    .map(str::trim)
                    .filter(|s| s.chars().count() >= 6)
                    .map(str::to_owned),
            );
            corpus.tags.extend(tags.iter().cloned());
        }
        corpus.tags.sort();
        corpus.tags.dedup();
        corpus
    }
}

#[derive(Debug)]
pub struct BenchReport {
    pub capabilities: usize,
    pub scenarios: usize,
    pub build: Duration,
    pub index_bytes: usize,
    /// Of the index, the meaning vectors.
    pub meaning_bytes: usize,
    /// The word vectors the engine uses.
    pub vector_bytes: usize,
    pub queries: usize,
    /// Rankings (both directions) that came back with a full top 20.
    pub full_rankings: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub max: Duration,
    pub reverse_p50: Duration,
    pub reverse_p95: Duration,
    /// Free-text search over the capabilities (a scenario's tags as the query), all hits.
    pub search_p50: Duration,
    pub search_p95: Duration,
    /// Free-text search for words no item contains, found by meaning alone.
    pub meaning_search_p50: Duration,
    pub meaning_search_p95: Duration,
    /// Of the build, the time spent on meaning vectors.
    pub meaning_build: Duration,
    /// The same rankings of capabilities without the meaning signal.
    pub plain_p50: Duration,
    pub plain_p95: Duration,
}

struct Generator<'a> {
    rng: StdRng,
    corpus: &'a Corpus,
    industries: Vec<String>,
    regions: Vec<String>,
    city: String,
}

fn pick<'b>(rng: &mut StdRng, from: &'b [String]) -> &'b str {
    from.choose(rng).map_or("", String::as_str)
}

impl Generator<'_> {
    fn text(&mut self, sentences: usize) -> String {
        (0..sentences)
            .map(|_| pick(&mut self.rng, &self.corpus.sentences).to_owned())
            .collect::<Vec<_>>()
            .join("，")
    }

    fn tags(&mut self) -> Vec<String> {
        let n = self.rng.gen_range(2..=5);
        (0..n)
            .map(|_| pick(&mut self.rng, &self.corpus.tags).to_owned())
            .collect()
    }

    fn industries(&mut self) -> Vec<String> {
        let n = self.rng.gen_range(1..=2);
        (0..n)
            .map(|_| pick(&mut self.rng, &self.industries).to_owned())
            .collect()
    }

    fn range(&mut self) -> (f64, f64) {
        let lo = f64::from(self.rng.gen_range(1..200) * 5);
        (lo, lo * f64::from(self.rng.gen_range(2..6)))
    }

    fn capability(&mut self, i: usize) -> CapabilityDoc {
        let region = pick(&mut self.rng, &self.regions).to_owned();
        let (lo, hi) = self.range();
        CapabilityDoc {
            id: format!("C{i}"),
            title: format!("{}（{}）", pick(&mut self.rng, &self.corpus.titles), i % 97),
            summary: self.text(2),
            description: self.text(5),
            tags: self.tags(),
            industries: self.industries(),
            service_regions: if self.rng.gen_bool(0.6) {
                vec![self.city.clone()]
            } else {
                vec![region.clone()]
            },
            region,
            maturity: Some(self.rng.gen_range(4..=9)),
            price_min: Some(lo),
            price_max: Some(hi),
            landed_cases: self.rng.gen_range(0..8),
        }
    }

    fn scenario(&mut self, i: usize) -> ScenarioDoc {
        let (lo, hi) = self.range();
        ScenarioDoc {
            id: format!("S{i}"),
            title: pick(&mut self.rng, &self.corpus.titles).to_owned(),
            summary: self.text(2),
            description: self.text(6),
            tags: self.tags(),
            industries: self.industries(),
            region: pick(&mut self.rng, &self.regions).to_owned(),
            maturity_required: Some(self.rng.gen_range(5..=8)),
            budget_min: Some(lo),
            budget_max: Some(hi),
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// `scenarios` and `capabilities` synthetic items of `world`, drawn from `corpus` with `seed` (the
/// same seed, the same city). Ids are `S0…` and `C0…`.
pub fn city(
    world: &World,
    corpus: &Corpus,
    scenarios: usize,
    capabilities: usize,
    seed: u64,
) -> (Vec<ScenarioDoc>, Vec<CapabilityDoc>) {
    let mut generator = Generator {
        rng: StdRng::seed_from_u64(seed),
        corpus,
        industries: world
            .industries
            .iter()
            .filter(|(_, (_, parent))| parent.is_some())
            .map(|(code, _)| code.clone())
            .collect(),
        regions: world
            .regions
            .keys()
            .filter(|code| **code != world.city)
            .cloned()
            .collect(),
        city: world.city.clone(),
    };
    generator.industries.sort();
    generator.regions.sort();
    let caps: Vec<CapabilityDoc> = (0..capabilities).map(|i| generator.capability(i)).collect();
    let scens: Vec<ScenarioDoc> = (0..scenarios).map(|i| generator.scenario(i)).collect();
    (scens, caps)
}

/// Builds an engine over `capabilities` and `scenarios` synthetic items and times `queries`
/// rankings of the top 20 each way.
pub fn run(
    world: World,
    corpus: &Corpus,
    capabilities: usize,
    scenarios: usize,
    queries: usize,
) -> BenchReport {
    let (scens, caps) = city(&world, corpus, scenarios, capabilities, 2026);

    let started = Instant::now();
    let mut engine = Engine::new(world);
    engine.load(&scens, &caps);
    let build = started.elapsed();

    let mut times = Vec::with_capacity(queries);
    let mut reverse = Vec::with_capacity(queries);
    let mut full_rankings = 0;
    for q in 0..queries {
        let scenario = &scens[(q * 7919) % scens.len().max(1)];
        let started = Instant::now();
        let ranked = engine.rank_capabilities(scenario, 20);
        times.push(started.elapsed());
        full_rankings += usize::from(ranked.len() == 20);
        let capability = &caps[(q * 104_729) % caps.len().max(1)];
        let started = Instant::now();
        let ranked = engine.rank_scenarios(capability, 20);
        reverse.push(started.elapsed());
        full_rankings += usize::from(ranked.len() == 20);
    }
    let mut searches = Vec::with_capacity(queries);
    for q in 0..queries {
        let scenario = &scens[(q * 7919) % scens.len().max(1)];
        let text = scenario.tags.join(" ");
        let started = Instant::now();
        engine.search_capabilities(&text, 1000, None);
        searches.push(started.elapsed());
    }
    searches.sort();
    // A query none of the items contains: every item's meaning is compared with it.
    let mut unseen = Vec::with_capacity(queries);
    for _ in 0..queries {
        let started = Instant::now();
        engine.search_capabilities("海洋渔业", 1000, None);
        unseen.push(started.elapsed());
    }
    unseen.sort();
    times.sort();
    reverse.sort();
    let started = Instant::now();
    engine.refresh_meaning();
    let meaning_build = started.elapsed();
    let index_bytes = engine.memory_bytes();
    let meaning_bytes = engine.meaning_memory_bytes();
    let vector_bytes = engine.vectors().map_or(0, |v| v.memory_bytes());
    engine.set_vectors(None);
    let mut plain = Vec::with_capacity(queries);
    for q in 0..queries {
        let scenario = &scens[(q * 7919) % scens.len().max(1)];
        let started = Instant::now();
        engine.rank_capabilities(scenario, 20);
        plain.push(started.elapsed());
    }
    plain.sort();
    BenchReport {
        meaning_build,
        plain_p50: percentile(&plain, 0.50),
        plain_p95: percentile(&plain, 0.95),
        capabilities,
        scenarios,
        build,
        index_bytes,
        meaning_bytes,
        vector_bytes,
        queries,
        full_rankings,
        p50: percentile(&times, 0.50),
        p95: percentile(&times, 0.95),
        max: times.last().copied().unwrap_or_default(),
        reverse_p50: percentile(&reverse, 0.50),
        reverse_p95: percentile(&reverse, 0.95),
        search_p50: percentile(&searches, 0.50),
        search_p95: percentile(&searches, 0.95),
        meaning_search_p50: percentile(&unseen, 0.50),
        meaning_search_p95: percentile(&unseen, 0.95),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_synthetic_city_builds_and_answers() {
        let tags = ["井下巡检".to_owned(), "防爆".to_owned(), "光伏".to_owned()];
        let corpus = Corpus::from_items([
            (
                "矿用防爆巡检机器人",
                "防爆轮式机器人沿皮带巡检，识别跑偏和托辊异响。已在多座煤矿部署。",
                &tags[..],
            ),
            (
                "光伏电站智能运维",
                "无人机红外识别热斑，机器人清洗光伏组件。",
                &tags[..],
            ),
        ]);
        assert!(corpus.sentences.len() >= 3);
        let mut world = World {
            city: "140700".into(),
            ..World::default()
        };
        world
            .regions
            .insert("140700".into(), ("晋中市".into(), None));
        world
            .regions
            .insert("140781".into(), ("介休市".into(), Some("PINGCHUAN".into())));
        world.industries.insert("MT".into(), ("煤炭".into(), None));
        world
            .industries
            .insert("MT04".into(), ("煤矿智能化".into(), Some("MT".into())));
        let report = run(world, &corpus, 300, 30, 10);
        assert_eq!(report.capabilities, 300);
        assert_eq!(report.queries, 10);
        assert_eq!(
            report.full_rankings, 20,
            "every ranking, both ways, found a full top 20 among 300 capabilities and 30 scenarios"
        );
        assert!(report.index_bytes > 0);
    }
}

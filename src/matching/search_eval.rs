//! Quality of free-text search on a labelled set of queries (`eval/search.json`): each query
//! names a list (opportunities or capabilities) and grades the items that should come first
//! (2: what the query asks for, 1: related, may follow); every other item is irrelevant. The
//! items are the demo data's, read from the corpus file the set names.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use super::{CapabilityDoc, Engine, ScenarioDoc, Weights, WordVectors, World};

#[derive(Debug, Deserialize)]
pub struct SearchSet {
    #[serde(default)]
    pub name: Option<String>,
    /// The corpus file, relative to the set's own file.
    pub corpus: String,
    pub queries: Vec<SearchQuery>,
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    pub query: String,
    pub list: SearchList,
    /// Item title → grade.
    pub relevant: HashMap<String, u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchList {
    Opportunities,
    Capabilities,
}

/// The items of the corpus (the demo data's format; other fields are ignored).
#[derive(Debug, Deserialize)]
pub struct Corpus {
    pub scenarios: Vec<CorpusItem>,
    pub capabilities: Vec<CorpusItem>,
}

#[derive(Debug, Deserialize)]
pub struct CorpusItem {
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Figures averaged over the queries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchMetrics {
    /// nDCG@5, gain 2^grade − 1.
    pub ndcg5: f64,
    /// Whether the first hit is a grade-2 item.
    pub first_right: f64,
    /// Of the first ten hits (or fewer, when fewer are found), the share that is relevant; a
    /// query that finds nothing counts 0.
    pub precision10: f64,
    /// Of the relevant items, the share found at all.
    pub recall: f64,
}

impl std::fmt::Display for SearchMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "nDCG@5 {:.4}  first hit right {:.4}  precision@10 {:.4}  recall {:.4}",
            self.ndcg5, self.first_right, self.precision10, self.recall
        )
    }
}

/// The engine with these weights over the corpus, the titles as ids.
fn engine_over(
    corpus: &Corpus,
    world: World,
    vectors: Option<Arc<WordVectors>>,
    weights: Weights,
) -> Engine {
    let tokenizer = Arc::new(Engine::tokenizer_for(&world));
    let mut engine = Engine::with_tokenizer(world, tokenizer)
        .with_vectors(vectors)
        .with_weights(weights);
    let scenarios: Vec<ScenarioDoc> = corpus
        .scenarios
        .iter()
        .map(|item| ScenarioDoc {
            id: item.title.clone(),
            title: item.title.clone(),
            summary: item.summary.clone(),
            description: item.description.clone(),
            tags: item.tags.clone(),
            ..ScenarioDoc::default()
        })
        .collect();
    let capabilities: Vec<CapabilityDoc> = corpus
        .capabilities
        .iter()
        .map(|item| CapabilityDoc {
            id: item.title.clone(),
            title: item.title.clone(),
            summary: item.summary.clone(),
            description: item.description.clone(),
            tags: item.tags.clone(),
            ..CapabilityDoc::default()
        })
        .collect();
    engine.load(&scenarios, &capabilities);
    engine
}

/// Runs every query of `set` and scores the hits.
pub fn evaluate_with(set: &SearchSet, engine: &Engine) -> SearchMetrics {
    let n = set.queries.len().max(1) as f64;
    let mut total = SearchMetrics {
        ndcg5: 0.0,
        first_right: 0.0,
        precision10: 0.0,
        recall: 0.0,
    };
    for q in &set.queries {
        let hits: Vec<String> = match q.list {
            SearchList::Opportunities => engine.search_scenarios(&q.query, 1000, None),
            SearchList::Capabilities => engine.search_capabilities(&q.query, 1000, None),
        }
        .into_iter()
        .map(|(id, _)| id)
        .collect();
        let grade = |title: &String| q.relevant.get(title).copied().unwrap_or(0);
        let gains: Vec<u8> = hits.iter().map(grade).collect();
        let mut ideal: Vec<u8> = q.relevant.values().copied().collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        total.ndcg5 += super::eval::ndcg(&gains, &ideal, 5);
        total.first_right += f64::from(u8::from(gains.first() == Some(&2)));
        let top = &gains[..gains.len().min(10)];
        if !top.is_empty() {
            total.precision10 += top.iter().filter(|&&g| g > 0).count() as f64 / top.len() as f64;
        }
        let found = gains.iter().filter(|&&g| g > 0).count();
        total.recall += found as f64 / q.relevant.len().max(1) as f64;
    }
    SearchMetrics {
        ndcg5: total.ndcg5 / n,
        first_right: total.first_right / n,
        precision10: total.precision10 / n,
        recall: total.recall / n,
    }
}

/// One query's hits with the engine as it ships: (title, grade, score), best first.
pub struct QueryHits<'a> {
    pub query: &'a SearchQuery,
    pub hits: Vec<(String, u8, f32)>,
}

/// Every query's first `limit` hits, with their grades, to read where the engine goes wrong.
pub fn hits<'a>(
    set: &'a SearchSet,
    corpus: &Corpus,
    world: World,
    vectors: Option<Arc<WordVectors>>,
    limit: usize,
) -> Vec<QueryHits<'a>> {
    let engine = engine_over(corpus, world, vectors, Weights::default());
    set.queries
        .iter()
        .map(|query| {
            let found = match query.list {
                SearchList::Opportunities => engine.search_scenarios(&query.query, limit, None),
                SearchList::Capabilities => engine.search_capabilities(&query.query, limit, None),
            };
            let hits = found
                .into_iter()
                .map(|(title, score)| {
                    let grade = query.relevant.get(&title).copied().unwrap_or(0);
                    (title, grade, score)
                })
                .collect();
            QueryHits { query, hits }
        })
        .collect()
}

/// The engine as it ships and with its parts left out in turn: (what changed, the metrics).
pub fn ablation(
    set: &SearchSet,
    corpus: &Corpus,
    world: World,
    vectors: Option<Arc<WordVectors>>,
) -> Vec<(String, SearchMetrics)> {
    let shipped = Weights::default();
    let variants = [
        ("engine", shipped),
        (
            "without the relevance floor",
            Weights {
                search_floor: 0.0,
                ..shipped
            },
        ),
        (
            "without neighbour words",
            Weights {
                neighbours: 0,
                ..shipped
            },
        ),
        (
            "without items near in meaning",
            Weights {
                semantic: 0.0,
                ..shipped
            },
        ),
        (
            "without either",
            Weights {
                neighbours: 0,
                semantic: 0.0,
                ..shipped
            },
        ),
        (
            "without the thesaurus",
            Weights {
                related: 0.0,
                ..shipped
            },
        ),
        (
            "literal words only (no floor, meaning, neighbours or thesaurus)",
            Weights {
                search_floor: 0.0,
                semantic: 0.0,
                neighbours: 0,
                related: 0.0,
                ..shipped
            },
        ),
    ];
    variants
        .into_iter()
        .map(|(what, weights)| {
            let engine = engine_over(corpus, world.clone(), vectors.clone(), weights);
            (what.to_owned(), evaluate_with(set, &engine))
        })
        .collect()
}

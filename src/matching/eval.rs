//! Quality measurement on a labelled set (the format of `eval/README.md`): rank every capability
//! for every scenario and compute nDCG@10 (gain 2^grade − 1, log2 discount), MRR of the first
//! grade-3 capability and recall@20 of grade ≥ 2, averaged over scenarios — the same figures, the
//! same way, as the BM25 baseline script.

use std::collections::HashMap;

use serde::Deserialize;

use std::sync::Arc;

use super::{
    CapabilityDoc, Engine, Evidence, MeaningScale, ScenarioDoc, Weights, WordVectors, World,
};

#[derive(Debug, Deserialize)]
pub struct EvalSet {
    #[serde(default)]
    pub name: Option<String>,
    pub scenarios: Vec<EvalScenario>,
    pub capabilities: Vec<EvalCapability>,
    pub judgments: Vec<Judgment>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvalScenario {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub region: String,
    pub maturity_required: Option<u8>,
    pub budget_min: Option<f64>,
    pub budget_max: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvalCapability {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub service_regions: Vec<String>,
    pub maturity: Option<u8>,
    pub price_min: Option<f64>,
    pub price_max: Option<f64>,
    #[serde(default)]
    pub landed_cases: u32,
}

#[derive(Debug, Deserialize)]
pub struct Judgment {
    pub scenario: String,
    pub capability: String,
    pub grade: u8,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub ndcg10: f64,
    pub mrr: f64,
    pub recall20: f64,
}

impl std::fmt::Display for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "nDCG@10 {:.4}  MRR {:.4}  recall@20 {:.4}",
            self.ndcg10, self.mrr, self.recall20
        )
    }
}

impl From<&EvalScenario> for ScenarioDoc {
    fn from(s: &EvalScenario) -> Self {
        ScenarioDoc {
            id: s.id.clone(),
            title: s.title.clone(),
            summary: s.summary.clone(),
            description: s.description.clone(),
            tags: s.tags.clone(),
            industries: s.industries.clone(),
            region: s.region.clone(),
            maturity_required: s.maturity_required,
            budget_min: s.budget_min,
            budget_max: s.budget_max,
        }
    }
}

impl From<&EvalCapability> for CapabilityDoc {
    fn from(c: &EvalCapability) -> Self {
        CapabilityDoc {
            id: c.id.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            description: c.description.clone(),
            tags: c.tags.clone(),
            industries: c.industries.clone(),
            region: c.region.clone(),
            service_regions: c.service_regions.clone(),
            maturity: c.maturity,
            price_min: c.price_min,
            price_max: c.price_max,
            landed_cases: c.landed_cases,
        }
    }
}

fn ndcg_at(ranked: &[String], grades: &HashMap<&str, u8>, k: usize) -> f64 {
    let gains: Vec<u8> = ranked
        .iter()
        .map(|id| grades.get(id.as_str()).copied().unwrap_or(0))
        .collect();
    let mut ideal: Vec<u8> = grades.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    ndcg(&gains, &ideal, k)
}

/// nDCG@k of the grades in ranked order against the ideal order (grades, best first).
pub(super) fn ndcg(ranked: &[u8], ideal: &[u8], k: usize) -> f64 {
    let dcg = |grades: &[u8]| -> f64 {
        grades
            .iter()
            .take(k)
            .enumerate()
            .map(|(i, &g)| f64::from((1u32 << g) - 1) / ((i + 2) as f64).log2())
            .sum()
    };
    let idcg = dcg(ideal);
    if idcg > 0.0 { dcg(ranked) / idcg } else { 0.0 }
}

/// Ranks every capability for every scenario with a fresh engine and scores the rankings.
pub fn evaluate(set: &EvalSet, world: World, vectors: Option<Arc<WordVectors>>) -> Metrics {
    let mut engine = engine_with(world, vectors);
    let capabilities: Vec<CapabilityDoc> = set.capabilities.iter().map(Into::into).collect();
    engine.load(&[], &capabilities);
    evaluate_with(set, &engine)
}

/// An engine with these word vectors (and no others loaded on the way).
fn engine_with(world: World, vectors: Option<Arc<WordVectors>>) -> Engine {
    let tokenizer = Arc::new(Engine::tokenizer_for(&world));
    Engine::with_tokenizer(world, tokenizer).with_vectors(vectors)
}

/// Sets a signal's weights to zero.
type LeaveOut = fn(&mut Weights);

/// The engine with each signal left out in turn, without the thesaurus, with the meaning signal
/// scaled otherwise, with place names in meaning, and the meaning signal at several weights:
/// (what changed, the metrics). The first row is the engine as it ships.
pub fn ablation(
    set: &EvalSet,
    world: World,
    vectors: Option<Arc<WordVectors>>,
) -> Vec<(String, Metrics)> {
    let mut engine = engine_with(world, vectors);
    let capabilities: Vec<CapabilityDoc> = set.capabilities.iter().map(Into::into).collect();
    engine.load(&[], &capabilities);
    let shipped = Weights::default();
    let mut rows = vec![("engine".to_owned(), evaluate_with(set, &engine))];
    let without: [(&str, LeaveOut); 7] = [
        ("text", |w| w.text = 0.0),
        ("industry", |w| {
            w.industry_exact = 0.0;
            w.industry_cluster = 0.0;
        }),
        ("region", |w| {
            w.region = 0.0;
            w.region_group = 0.0;
        }),
        ("maturity", |w| {
            w.maturity = 0.0;
            w.maturity_gap = 0.0;
        }),
        ("budget", |w| {
            w.budget = 0.0;
            w.budget_below = 0.0;
            w.budget_over = 0.0;
        }),
        ("track record", |w| w.track_record = 0.0),
        ("meaning (word vectors)", |w| w.semantic = 0.0),
    ];
    for (signal, drop) in without {
        let mut weights = shipped;
        drop(&mut weights);
        engine.set_weights(weights);
        rows.push((format!("without {signal}"), evaluate_with(set, &engine)));
    }
    engine.set_weights(Weights {
        related: 0.0,
        ..shipped
    });
    rows.push((
        "without the thesaurus".to_owned(),
        evaluate_with(set, &engine),
    ));
    engine.set_weights(Weights {
        meaning_scale: MeaningScale::Rank,
        ..shipped
    });
    rows.push((
        "meaning scaled by rank, not z-score".to_owned(),
        evaluate_with(set, &engine),
    ));
    engine.set_weights(shipped);
    engine.set_places_in_meaning(true);
    rows.push((
        "meaning with place names".to_owned(),
        evaluate_with(set, &engine),
    ));
    engine.set_places_in_meaning(false);
    for semantic in [0.1, 0.2, 0.3, 0.5, 0.7, 1.0] {
        engine.set_weights(Weights {
            semantic,
            ..shipped
        });
        rows.push((
            format!("meaning weight {semantic}"),
            evaluate_with(set, &engine),
        ));
    }
    rows
}

/// Every scenario × capability pair of the set with its evidence, and whether it fits (grade 2
/// or 3; unlisted pairs are 0): what the match degree is fitted on and checked against.
pub fn degree_samples(
    set: &EvalSet,
    world: World,
    vectors: Option<Arc<WordVectors>>,
) -> Vec<(Evidence, bool)> {
    let mut engine = engine_with(world, vectors);
    let scenarios: Vec<ScenarioDoc> = set.scenarios.iter().map(Into::into).collect();
    let capabilities: Vec<CapabilityDoc> = set.capabilities.iter().map(Into::into).collect();
    engine.load(&scenarios, &capabilities);
    let grades: HashMap<(&str, &str), u8> = set
        .judgments
        .iter()
        .map(|j| ((j.scenario.as_str(), j.capability.as_str()), j.grade))
        .collect();
    let mut samples = Vec::with_capacity(scenarios.len() * capabilities.len());
    for s in &set.scenarios {
        for c in &set.capabilities {
            let grade = grades.get(&(s.id.as_str(), c.id.as_str())).copied();
            if let Some(evidence) = engine.evidence_of(&s.id, &c.id) {
                samples.push((evidence, grade.unwrap_or(0) >= 2));
            }
        }
    }
    samples
}

pub fn evaluate_with(set: &EvalSet, engine: &Engine) -> Metrics {
    let all = set.capabilities.len();
    score_rankings(set, |s| {
        let mut ranked: Vec<String> = engine
            .rank_capabilities(&s.into(), all)
            .into_iter()
            .map(|r| r.id)
            .collect();
        // Capabilities the engine found no reason for come last, in input order.
        for c in &set.capabilities {
            if !ranked.contains(&c.id) {
                ranked.push(c.id.clone());
            }
        }
        ranked
    })
}

/// The plain BM25 baseline the README compares the engine with: BM25 (Okapi: k1 = 1.5, b = 0.75,
/// a negative IDF replaced by a quarter of the mean IDF) over jieba's default-mode tokens of title,
/// summary, description and tags, lower-cased, punctuation and spaces dropped; no fields, no
/// synonyms, no other signal.
pub fn evaluate_bm25(set: &EvalSet) -> Metrics {
    let jieba = jieba_rs::Jieba::new();
    let tokens = |title: &str, summary: &str, description: &str, tags: &[String]| -> Vec<String> {
        let text = format!("{title} {summary} {description} {}", tags.join(" ")).to_lowercase();
        jieba
            .cut(&text, true)
            .into_iter()
            .map(|token| token.word.trim())
            .filter(|t| t.chars().any(char::is_alphanumeric))
            .map(str::to_owned)
            .collect()
    };
    let docs: Vec<Vec<String>> = set
        .capabilities
        .iter()
        .map(|c| tokens(&c.title, &c.summary, &c.description, &c.tags))
        .collect();
    let n = docs.len() as f64;
    let average_length = docs.iter().map(Vec::len).sum::<usize>() as f64 / n.max(1.0);
    let mut document_frequency: HashMap<&str, f64> = HashMap::new();
    for doc in &docs {
        let mut seen: Vec<&str> = doc.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for term in seen {
            *document_frequency.entry(term).or_default() += 1.0;
        }
    }
    let mut idf: HashMap<&str, f64> = document_frequency
        .iter()
        .map(|(term, df)| (*term, ((n - df + 0.5) / (df + 0.5)).ln()))
        .collect();
    let floor = 0.25 * idf.values().sum::<f64>() / (idf.len().max(1) as f64);
    for value in idf.values_mut() {
        if *value < 0.0 {
            *value = floor;
        }
    }
    let (k1, b) = (1.5, 0.75);
    score_rankings(set, |s| {
        let query = tokens(&s.title, &s.summary, &s.description, &s.tags);
        let mut scored: Vec<(usize, f64)> = docs
            .iter()
            .enumerate()
            .map(|(i, doc)| {
                let length = doc.len() as f64;
                let score = query
                    .iter()
                    .map(|q| {
                        let tf = doc.iter().filter(|t| *t == q).count() as f64;
                        idf.get(q.as_str()).copied().unwrap_or(0.0) * tf * (k1 + 1.0)
                            / (tf + k1 * (1.0 - b + b * length / average_length))
                    })
                    .sum::<f64>();
                (i, score)
            })
            .collect();
        // Best first; ties keep the input order.
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored
            .into_iter()
            .map(|(i, _)| set.capabilities[i].id.clone())
            .collect()
    })
}

/// Scores the ranking `rank` gives each scenario against the judgments: nDCG@10, MRR (the first
/// grade 3) and recall@20 (grades 2 and 3), averaged over the scenarios.
fn score_rankings(set: &EvalSet, rank: impl Fn(&EvalScenario) -> Vec<String>) -> Metrics {
    let mut qrels: HashMap<&str, HashMap<&str, u8>> = HashMap::new();
    for j in &set.judgments {
        qrels
            .entry(j.scenario.as_str())
            .or_default()
            .insert(j.capability.as_str(), j.grade);
    }
    let (mut ndcg, mut mrr, mut recall) = (0.0, 0.0, 0.0);
    let empty = HashMap::new();
    for s in &set.scenarios {
        let grades = qrels.get(s.id.as_str()).unwrap_or(&empty);
        let ranked = rank(s);
        ndcg += ndcg_at(&ranked, grades, 10);
        if let Some(first) = ranked
            .iter()
            .position(|id| grades.get(id.as_str()) == Some(&3))
        {
            mrr += 1.0 / (first + 1) as f64;
        }
        let relevant: Vec<&str> = grades
            .iter()
            .filter(|(_, g)| **g >= 2)
            .map(|(id, _)| *id)
            .collect();
        if !relevant.is_empty() {
            let top: Vec<&str> = ranked.iter().take(20).map(String::as_str).collect();
            let found = relevant.iter().filter(|id| top.contains(id)).count();
            recall += found as f64 / relevant.len() as f64;
        }
    }
    let n = set.scenarios.len().max(1) as f64;
    Metrics {
        ndcg10: ndcg / n,
        mrr: mrr / n,
        recall20: recall / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_of_the_ideal_order_is_one_and_of_nothing_zero() {
        let grades: HashMap<&str, u8> = [("a", 3), ("b", 2), ("c", 1)].into_iter().collect();
        let ideal = ["a", "b", "c", "d"].map(String::from);
        assert!((ndcg_at(&ideal, &grades, 10) - 1.0).abs() < 1e-12);
        let reversed = ["d", "c", "b", "a"].map(String::from);
        assert!(ndcg_at(&reversed, &grades, 10) < 0.7);
        assert_eq!(ndcg_at(&ideal, &HashMap::new(), 10), 0.0);
    }

    #[test]
    fn ndcg_matches_a_hand_computation() {
        // gains 7, 0, 3 at ranks 1..3; ideal 7, 3
        let grades: HashMap<&str, u8> = [("a", 3), ("c", 2)].into_iter().collect();
        let ranked = ["a", "b", "c"].map(String::from);
        let dcg = 7.0 + 3.0 / 4f64.log2();
        let idcg = 7.0 + 3.0 / 3f64.log2();
        assert!((ndcg_at(&ranked, &grades, 10) - dcg / idcg).abs() < 1e-12);
    }
}

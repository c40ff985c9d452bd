//! The meaning signal: each item as one vector, the IDF-weighted sum of the unit word vectors of
//! its terms, compared with the query item's by cosine and normalised across the query's
//! candidates. Place names ([`Places`]) are left out: where an item is belongs to the region
//! signal, and a river or a county named in both texts says nothing about whether one serves
//! the other.

use foldhash::{HashSet, HashSetExt as _};
use std::sync::Arc;

use super::index::TextIndex;
use super::vectors::WordVectors;
use super::{Tokenizer, World};

/// Place names: the city's regions, with and without their 区/县/市, the province, and the
/// words the dictionary knows as places (汾河, 太原). Where an item is belongs to the region
/// signal; neither meaning nor the words a TEXT reason cites count them.
pub(super) struct Places {
    names: HashSet<String>,
    tokenizer: Arc<Tokenizer>,
}

impl Places {
    pub fn new(world: &World, tokenizer: Arc<Tokenizer>) -> Places {
        let mut names: HashSet<String> = HashSet::new();
        for (name, _) in world.regions.values() {
            let name = name.to_lowercase();
            if let Some(stem) = name.strip_suffix(['区', '县', '市', '省'])
                && stem.chars().count() >= 2
            {
                names.insert(stem.to_owned());
            }
            names.insert(name);
        }
        names.extend(["山西", "山西省"].map(str::to_owned));
        Places { names, tokenizer }
    }

    pub fn contains(&self, word: &str) -> bool {
        self.names.contains(word) || self.tokenizer.is_place_name(word)
    }
}

/// Word vectors with the words the meaning signal leaves out.
pub(super) struct Meaning {
    vectors: Arc<WordVectors>,
    places: Arc<Places>,
    /// Whether place names count after all (to measure what leaving them out does).
    keep_places: bool,
}

impl Meaning {
    pub fn new(vectors: Arc<WordVectors>, places: Arc<Places>, keep_places: bool) -> Meaning {
        Meaning {
            vectors,
            places,
            keep_places,
        }
    }

    pub fn vectors_arc(&self) -> Arc<WordVectors> {
        self.vectors.clone()
    }

    pub fn vectors(&self) -> &WordVectors {
        &self.vectors
    }

    /// The vector row of `term`, unless it has none or names a place.
    pub fn row_of(&self, term: &str) -> Option<u32> {
        let row = self.vectors.row_of(term)?;
        (self.keep_places || !self.places.contains(term)).then_some(row)
    }
}

/// Each term's vector row in one index, looked up once per term rather than once per item.
#[derive(Debug, Default)]
pub(super) struct TermRows(Vec<Option<u32>>);

impl TermRows {
    /// Looks up the terms `index` has gained since the last call.
    pub fn sync(&mut self, meaning: &Meaning, index: &TextIndex) {
        for id in self.0.len() as u32..index.terms() as u32 {
            self.0.push(meaning.row_of(index.word(id)));
        }
    }

    /// The terms with a vector row: (term, row).
    pub fn with_rows(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        (0u32..)
            .zip(self.0.iter())
            .filter_map(|(term, row)| Some((term, (*row)?)))
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub fn get(&self, term: u32) -> Option<u32> {
        self.0.get(term as usize).copied().flatten()
    }

    /// The row of a term given as text: through the index when it knows the term.
    pub fn of(&self, meaning: &Meaning, index: &TextIndex, term: &str) -> Option<u32> {
        match index.term_id(term) {
            Some(id) if (id as usize) < self.0.len() => self.get(id),
            _ => meaning.row_of(term),
        }
    }

    pub fn memory_bytes(&self) -> usize {
        self.0.capacity() * 8
    }
}

/// The weight of a term in a meaning vector: its (field-boosted) frequency, damped by a square
/// root as in queries, times its IDF.
pub(super) fn term_weight(tf: f32, idf: f32) -> f32 {
    tf.sqrt() * idf
}

/// `values` as z-scores (0 for all when they do not vary).
/// How the cosines of one query's candidates become the meaning signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeaningScale {
    /// Standard scores: how many standard deviations above or below the candidates' mean.
    ZScore,
    /// Ranks spread evenly over the range of standard scores (−1.73 … 1.73).
    Rank,
}

/// The meaning signal of each candidate from its cosine (0 for all when they do not vary).
pub(super) fn scaled(values: &[f32], scale: MeaningScale) -> Vec<f32> {
    match scale {
        MeaningScale::ZScore => z_scores(values),
        MeaningScale::Rank => ranks(values),
    }
}

fn ranks(values: &[f32]) -> Vec<f32> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; n];
    // A uniform distribution over [−√3, √3] has mean 0 and standard deviation 1.
    for (rank, &i) in order.iter().enumerate() {
        out[i] = ((rank as f32 + 0.5) / n as f32 - 0.5) * 2.0 * 3f32.sqrt();
    }
    out
}

/// `values` as z-scores (0 for all when they do not vary).
fn z_scores(values: &[f32]) -> Vec<f32> {
    let n = values.len() as f32;
    let mean = values.iter().sum::<f32>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n;
    let sd = var.sqrt();
    values
        .iter()
        .map(|v| if sd > 1e-6 { (v - mean) / sd } else { 0.0 })
        .collect()
}

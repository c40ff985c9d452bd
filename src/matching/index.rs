//! An inverted index with BM25 over field-weighted term frequencies (BM25F). Documents live in
//! slots; removing one marks its slot dead and updates the statistics, adding a changed document
//! takes a new slot, so no change ever rebuilds the index.

use foldhash::HashMap;

const K1: f32 = 1.2;
const B: f32 = 0.75;
/// A query whose postings number more than the slots over this scores densely (see
/// [`TextIndex::add_scores`]).
const DENSE_FRACTION: usize = 4;

#[derive(Debug, Default)]
pub struct TextIndex {
    vocab: HashMap<String, u32>,
    words: Vec<String>,
    /// Per term: (slot, weighted term frequency), slots ascending.
    postings: Vec<Vec<(u32, f32)>>,
    /// Per term: how many live documents contain it.
    df: Vec<u32>,
    doc_len: Vec<f32>,
    /// Per slot: its terms with their weighted frequency.
    doc_terms: Vec<Box<[(u32, f32)]>>,
    alive: Vec<bool>,
    live: usize,
    total_len: f64,
}

impl TextIndex {
    /// Adds a document given as term → weighted frequency; returns its slot.
    pub fn add(&mut self, terms: &HashMap<String, f32>) -> u32 {
        let slot = self.doc_len.len() as u32;
        let mut ids = Vec::with_capacity(terms.len());
        let mut len = 0.0;
        for (term, &tf) in terms {
            let id = match self.vocab.get(term) {
                Some(&id) => id,
                None => {
                    let id = self.words.len() as u32;
                    self.vocab.insert(term.clone(), id);
                    self.words.push(term.clone());
                    self.postings.push(Vec::new());
                    self.df.push(0);
                    id
                }
            };
            self.postings[id as usize].push((slot, tf));
            self.df[id as usize] += 1;
            ids.push((id, tf));
            len += tf;
        }
        self.doc_len.push(len);
        self.doc_terms.push(ids.into_boxed_slice());
        self.alive.push(true);
        self.live += 1;
        self.total_len += f64::from(len);
        slot
    }

    pub fn remove(&mut self, slot: u32) {
        let s = slot as usize;
        if !self.alive.get(s).copied().unwrap_or(false) {
            return;
        }
        self.alive[s] = false;
        self.live -= 1;
        self.total_len -= f64::from(self.doc_len[s]);
        for &(id, _) in self.doc_terms[s].iter() {
            self.df[id as usize] -= 1;
        }
        // The postings keep the dead slot; scoring skips it.
        self.doc_terms[s] = Box::new([]);
    }

    pub fn is_alive(&self, slot: u32) -> bool {
        self.alive.get(slot as usize).copied().unwrap_or(false)
    }

    pub fn slots(&self) -> usize {
        self.doc_len.len()
    }

    pub fn live(&self) -> usize {
        self.live
    }

    pub fn term_id(&self, term: &str) -> Option<u32> {
        self.vocab.get(term).copied()
    }

    /// How many distinct terms the index has seen.
    pub fn terms(&self) -> usize {
        self.words.len()
    }

    pub fn word(&self, id: u32) -> &str {
        &self.words[id as usize]
    }

    /// How many live documents contain term `id`.
    pub fn df(&self, id: u32) -> u32 {
        self.df[id as usize]
    }

    pub fn idf(&self, id: u32) -> f32 {
        let n = self.live as f32;
        let df = self.df[id as usize] as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The IDF of a term no live document has: the rarest there can be.
    pub fn unseen_idf(&self) -> f32 {
        let n = self.live as f32;
        (1.0 + (n + 0.5) / 0.5).ln()
    }

    /// The weighted frequency of `term` in `slot` (0 when absent).
    pub fn tf(&self, id: u32, slot: u32) -> f32 {
        let postings = &self.postings[id as usize];
        postings
            .binary_search_by_key(&slot, |&(s, _)| s)
            .map(|i| postings[i].1)
            .unwrap_or(0.0)
    }

    /// Adds the BM25 score of every live document for the weighted query terms into `scores`
    /// (indexed by slot), and lists the slots it touched.
    pub fn score(&self, query: &[(u32, f32)], scores: &mut Vec<f32>, touched: &mut Vec<u32>) {
        scores.clear();
        scores.resize(self.slots(), 0.0);
        self.add_scores(query, scores, touched);
    }

    /// Adds the BM25 score of more query terms to the `scores` and `touched` of
    /// [`TextIndex::score`].
    ///
    /// Two ways to the same result: a query that reaches few slots lists each as it first scores;
    /// one whose postings outnumber a fraction of the slots (a long item's text as the query, in
    /// a ranking) adds without branches that depend on the data and then lists the slots with a
    /// score in one pass (every contribution is positive). The first is cheaper for a few words,
    /// the second for a ranking's many common ones.
    pub fn add_scores(&self, query: &[(u32, f32)], scores: &mut [f32], touched: &mut Vec<u32>) {
        if self.live == 0 {
            return;
        }
        // BM25's length normalisation, K1 × (1 − B + B × length / average length), as
        // `fixed + per_len × length`: one division per query instead of one per posting.
        let avg_len = (self.total_len / self.live as f64) as f32;
        let fixed = K1 * (1.0 - B);
        let per_len = K1 * B / avg_len;
        let postings: usize = query
            .iter()
            .map(|&(id, _)| self.postings[id as usize].len())
            .sum();
        let dense = postings > self.slots() / DENSE_FRACTION;
        for &(id, weight) in query {
            let scale = weight * self.idf(id) * (K1 + 1.0);
            for &(slot, tf) in &self.postings[id as usize] {
                let at = slot as usize;
                if !self.alive[at] {
                    continue;
                }
                let norm = fixed + per_len * self.doc_len[at];
                if !dense && scores[at] == 0.0 {
                    touched.push(slot);
                }
                scores[at] += scale * tf / (tf + norm);
            }
        }
        if dense {
            touched.clear();
            touched.extend(
                scores
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| **s > 0.0)
                    .map(|(slot, _)| slot as u32),
            );
        }
    }

    /// The terms of `slot` with their weighted frequency.
    pub fn doc_terms(&self, slot: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.doc_terms[slot as usize].iter().copied()
    }

    /// Approximate heap memory in bytes.
    pub fn memory_bytes(&self) -> usize {
        let postings: usize = self.postings.iter().map(|p| p.capacity() * 8 + 24).sum();
        let terms: usize = self.doc_terms.iter().map(|t| t.len() * 8 + 16).sum();
        let words: usize = self.words.iter().map(|w| w.capacity() + 24).sum();
        postings + terms + words * 2 + self.doc_len.capacity() * 5 + self.df.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(terms: &[(&str, f32)]) -> HashMap<String, f32> {
        terms.iter().map(|(t, w)| (t.to_string(), *w)).collect()
    }

    #[test]
    fn rarer_and_more_frequent_terms_score_higher() {
        let mut index = TextIndex::default();
        let a = index.add(&doc(&[("瓦斯", 3.0), ("发电", 1.0)]));
        let b = index.add(&doc(&[("瓦斯", 1.0), ("发电", 1.0)]));
        let c = index.add(&doc(&[("光伏", 1.0), ("发电", 1.0)]));
        let q = [(index.term_id("瓦斯").unwrap(), 1.0)];
        let (mut scores, mut touched) = (Vec::new(), Vec::new());
        index.score(&q, &mut scores, &mut touched);
        assert!(scores[a as usize] > scores[b as usize]);
        assert_eq!(scores[c as usize], 0.0);
        assert_eq!(touched.len(), 2);
        let common = index.term_id("发电").unwrap();
        assert!(index.idf(common) < index.idf(index.term_id("瓦斯").unwrap()));
    }

    #[test]
    fn removed_documents_no_longer_score_or_count() {
        let mut index = TextIndex::default();
        let a = index.add(&doc(&[("瓦斯", 1.0)]));
        let b = index.add(&doc(&[("瓦斯", 1.0)]));
        let id = index.term_id("瓦斯").unwrap();
        let before = index.idf(id);
        index.remove(a);
        index.remove(a);
        assert_eq!(index.live(), 1);
        assert_ne!(index.idf(id), before, "statistics follow the removal");
        let (mut scores, mut touched) = (Vec::new(), Vec::new());
        index.score(&[(id, 1.0)], &mut scores, &mut touched);
        assert_eq!(touched, vec![b]);
        assert_eq!(index.tf(id, b), 1.0);
    }
}

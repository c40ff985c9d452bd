//! The matching engine: pure Rust, no I/O. Given a scenario it ranks listed capabilities (and,
//! the other way, open scenarios for a capability), each with a score and the reasons for it.
//!
//! A score adds up weighted signals: text relevance (BM25 over title, tags, summary and
//! description, with field boosts, the query widened by a domain thesaurus, normalized per
//! query), industry fit over the two-level taxonomy, region fit, maturity against the required
//! level, budget against the price range, and track record. Callers apply the hard filters
//! (only listed capabilities of verified organizations, only published scenarios) by what they
//! put in; the engine ranks what it holds.

pub mod bench;
pub mod degree;
pub mod eval;
mod index;
mod meaning;
pub mod search_eval;
mod text;
mod thesaurus;
mod vectors;

use foldhash::{HashMap, HashMapExt as _, HashSet};
use std::sync::Arc;

pub use degree::{CALIBRATION, Calibration, Evidence};
use index::TextIndex;
pub use meaning::MeaningScale;
use meaning::{Meaning, Places, TermRows};
pub use text::Tokenizer;
pub use thesaurus::{BundledGroup, Thesaurus, bundled_groups};
use vectors::ItemVector;
pub use vectors::{VectorFileError, WordVectors};

/// What the engine needs to know about the city: industries with their cluster, regions with
/// their group. Built by the caller from the taxonomy.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// code → (name, parent code)
    pub industries: HashMap<String, (String, Option<String>)>,
    /// code → (name, group)
    pub regions: HashMap<String, (String, Option<String>)>,
    /// The code that stands for the whole city.
    pub city: String,
}

impl World {
    fn cluster<'a>(&'a self, code: &'a str) -> &'a str {
        match self.industries.get(code) {
            Some((_, Some(parent))) => parent,
            _ => code,
        }
    }

    /// Whether one industry code names the other's industry: the same code, or a cluster and one
    /// of its sub-industries (a cluster stands for all of its children, as in the list filters).
    fn same_industry(&self, a: &str, b: &str) -> bool {
        let is_cluster = |code: &str| matches!(self.industries.get(code), Some((_, None)));
        a == b || (is_cluster(a) && self.cluster(b) == a) || (is_cluster(b) && self.cluster(a) == b)
    }

    fn industry_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.industries.get(code).map_or(code, |(name, _)| name)
    }

    fn region_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.regions.get(code).map_or(code, |(name, _)| name)
    }

    fn group(&self, code: &str) -> Option<&str> {
        self.regions.get(code).and_then(|(_, g)| g.as_deref())
    }
}

/// A capability as the engine sees it.
#[derive(Debug, Clone, Default)]
pub struct CapabilityDoc {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub tags: Vec<String>,
    pub industries: Vec<String>,
    /// Where the provider is based.
    pub region: String,
    /// Where it delivers; the city code means everywhere.
    pub service_regions: Vec<String>,
    pub maturity: Option<u8>,
    pub price_min: Option<f64>,
    pub price_max: Option<f64>,
    pub landed_cases: u32,
}

/// A scenario as the engine sees it.
#[derive(Debug, Clone, Default)]
pub struct ScenarioDoc {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub tags: Vec<String>,
    pub industries: Vec<String>,
    pub region: String,
    pub maturity_required: Option<u8>,
    pub budget_min: Option<f64>,
    pub budget_max: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasonKind {
    Text,
    Industry,
    Region,
    Maturity,
    Budget,
    TrackRecord,
    /// Meaning: how near the two items' word vectors are, against the other candidates.
    Semantic,
}

/// One part of a score, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub kind: ReasonKind,
    /// What it added to the score (negative for a shortfall).
    pub contribution: f32,
    /// A short Chinese sentence.
    pub detail: String,
    /// For TEXT: the terms both sides share, most telling first.
    pub terms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub id: String,
    /// Relative to the query's other candidates: it orders one ranking.
    pub score: f32,
    /// The match degree, 0–100: the same from either side and across queries ([`degree`]).
    pub degree: u8,
    pub reasons: Vec<Reason>,
}

/// How much each signal weighs. Tuned on the labelled development set; see `eval`.
#[derive(Debug, Clone, Copy)]
pub struct Weights {
    /// BM25 of the whole item, normalized by the best of the query.
    pub text: f32,
    pub industry_exact: f32,
    pub industry_cluster: f32,
    pub region: f32,
    pub region_group: f32,
    pub maturity: f32,
    pub maturity_gap: f32,
    pub budget: f32,
    /// For a price range wholly under the budget: it is affordable, but often a smaller thing
    /// than the one wanted (a service, a part), so it earns less than a fit, or nothing.
    pub budget_below: f32,
    pub budget_over: f32,
    pub track_record: f32,
    /// Meaning: the cosine of the two items' word-vector means, scaled across the query's
    /// candidates by `meaning_scale`.
    pub semantic: f32,
    pub meaning_scale: MeaningScale,
    /// A term's relatives in the domain thesaurus join the query at this fraction of its
    /// weight: they find what is said in other words, but the item's own words count more.
    pub related: f32,
    /// Free-text search keeps the literal hits scoring at least this share of the best one.
    pub search_floor: f32,
    /// Free-text search also looks for this many words nearest in meaning to the query's.
    pub neighbours: usize,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            text: 1.0,
            industry_exact: 0.10,
            industry_cluster: 0.0,
            region: 0.02,
            region_group: 0.005,
            maturity: 0.10,
            maturity_gap: 0.03,
            budget: 0.10,
            budget_below: 0.0,
            budget_over: 0.03,
            track_record: 0.01,
            semantic: SEMANTIC_WEIGHT,
            meaning_scale: MeaningScale::ZScore,
            related: RELATED_WEIGHT,
            search_floor: SEARCH_FLOOR,
            neighbours: NEIGHBOURS,
        }
    }
}

/// Field boosts of BM25F.
/// (Measured on the development set, the detailed description carries the need best.)
const TITLE: f32 = 2.0;
const TAGS: f32 = 2.5;
const SUMMARY: f32 = 1.0;
const DESCRIPTION: f32 = 3.0;
/// Pseudo-relevance feedback: the best few first-pass hits lend their most telling terms to
/// the query, at a fraction of the weight, to catch what the query item says in other words.
const FEEDBACK_DOCS: usize = 5;
const FEEDBACK_TERMS: usize = 10;
const FEEDBACK_WEIGHT: f32 = 0.4;
/// The weight of the thesaurus (`Weights::related`).
const RELATED_WEIGHT: f32 = 0.45;
/// How many query terms are looked up at most.
const QUERY_TERMS: usize = 64;
/// The weight of the meaning signal (a z-score across the candidates); see `eval`.
const SEMANTIC_WEIGHT: f32 = 0.5;
/// The fewest candidates the meaning signal ranks: among fewer, a z-score says more about
/// chance than about meaning.
const MIN_MEANING_CANDIDATES: usize = 5;
/// How many of each side's most telling words a SEMANTIC reason compares.
const MEANING_WORDS: usize = 12;
/// The cosine from which two different words count as near in a SEMANTIC reason.
const NEAR_PAIR: f32 = 0.5;
/// Free text: literal hits under this share of the best hit's score share only generic words
/// with the query, and are cut.
const SEARCH_FLOOR: f32 = 0.12;
/// Free text: an item without the query's words is a hit when its meaning stands out this
/// many standard deviations nearer to the query's than the average of the other such items.
/// (Both chosen on `eval/search.json`.)
const SEARCH_NEAR: f32 = 3.0;
/// Free text: a word of the index is a neighbour of a query word from this cosine on.
const NEIGHBOUR: f32 = 0.7;
/// Free text: how many neighbours join the query at most (`Weights::neighbours`), and of how
/// many query words.
const NEIGHBOURS: usize = 10;
const NEIGHBOUR_WORDS: usize = 8;
/// Free text: a neighbour weighs this share of its query word's weight, times their cosine
/// (as much as a thesaurus relative at a cosine of one).
const NEIGHBOUR_WEIGHT: f32 = RELATED_WEIGHT;
/// How many text hits, best first, get the full score (besides industry matches).
const TEXT_CANDIDATES: usize = 400;

#[derive(Debug, Clone)]
struct CapabilityMeta {
    id: String,
    industries: Vec<String>,
    region: String,
    service_regions: Vec<String>,
    maturity: Option<u8>,
    price_min: Option<f64>,
    price_max: Option<f64>,
    landed_cases: u32,
}

#[derive(Debug, Clone)]
struct ScenarioMeta {
    id: String,
    industries: Vec<String>,
    region: String,
    maturity_required: Option<u8>,
    budget_min: Option<f64>,
    budget_max: Option<f64>,
}

impl From<&CapabilityDoc> for CapabilityMeta {
    fn from(doc: &CapabilityDoc) -> Self {
        CapabilityMeta {
            id: doc.id.clone(),
            industries: doc.industries.clone(),
            region: doc.region.clone(),
            service_regions: doc.service_regions.clone(),
            maturity: doc.maturity,
            price_min: doc.price_min,
            price_max: doc.price_max,
            landed_cases: doc.landed_cases,
        }
    }
}

impl From<&ScenarioDoc> for ScenarioMeta {
    fn from(doc: &ScenarioDoc) -> Self {
        ScenarioMeta {
            id: doc.id.clone(),
            industries: doc.industries.clone(),
            region: doc.region.clone(),
            maturity_required: doc.maturity_required,
            budget_min: doc.budget_min,
            budget_max: doc.budget_max,
        }
    }
}

/// One searchable collection: the text index, the structured fields per slot, and lookups.
#[derive(Debug)]
struct Collection<M> {
    text: TextIndex,
    meta: Vec<Option<M>>,
    /// Each slot's texts as a [`fingerprint`], to tell whether a query item still reads as
    /// indexed.
    fingerprints: Vec<u64>,
    /// Per term, whether it names a place: the degree leaves places to REGION. Asked of every
    /// term of every candidate, so found once per term (a place name is known by tagging it).
    term_places: Vec<bool>,
    /// Each slot's meaning vector (empty without word vectors or known words).
    meaning: Vec<ItemVector>,
    /// Each term's word vector.
    rows: TermRows,
    by_id: HashMap<String, u32>,
    by_cluster: HashMap<String, Vec<u32>>,
    /// Each industry code's slots (dead ones too, as in `by_cluster`).
    by_industry: HashMap<String, Vec<u32>>,
}

impl<M> Default for Collection<M> {
    fn default() -> Self {
        Collection {
            text: TextIndex::default(),
            meta: Vec::new(),
            fingerprints: Vec::new(),
            term_places: Vec::new(),
            meaning: Vec::new(),
            rows: TermRows::default(),
            by_id: HashMap::new(),
            by_cluster: HashMap::new(),
            by_industry: HashMap::new(),
        }
    }
}

impl<M> Collection<M> {
    #[allow(clippy::too_many_arguments)]
    fn insert(
        &mut self,
        id: &str,
        terms: &HashMap<String, f32>,
        fingerprint: u64,
        clusters: Vec<String>,
        industries: &[String],
        meta: M,
        places: &Places,
    ) {
        self.remove(id);
        let slot = self.text.add(terms);
        for term in self.term_places.len()..self.text.terms() {
            let place = places.contains(self.text.word(term as u32));
            self.term_places.push(place);
        }
        debug_assert_eq!(slot as usize, self.meta.len());
        self.meta.push(Some(meta));
        self.fingerprints.push(fingerprint);
        self.meaning.push(ItemVector::default());
        self.by_id.insert(id.to_owned(), slot);
        for cluster in clusters {
            self.by_cluster.entry(cluster).or_default().push(slot);
        }
        for industry in industries {
            self.by_industry
                .entry(industry.clone())
                .or_default()
                .push(slot);
        }
    }

    /// Per slot, whether its item names one of `codes` as its industry.
    fn in_industries(&self, codes: &[String]) -> Vec<bool> {
        let mut keep = vec![false; self.text.slots()];
        for slots in codes.iter().filter_map(|code| self.by_industry.get(code)) {
            for &slot in slots {
                keep[slot as usize] = true;
            }
        }
        keep
    }

    fn remove(&mut self, id: &str) -> bool {
        match self.by_id.remove(id) {
            Some(slot) => {
                self.text.remove(slot);
                self.meta[slot as usize] = None;
                self.meaning[slot as usize] = ItemVector::default();
                true
            }
            None => false,
        }
    }

    fn get(&self, slot: u32) -> Option<&M> {
        self.meta.get(slot as usize).and_then(Option::as_ref)
    }

    /// The slot of item `id` if it is indexed with the texts whose [`fingerprint`] is given.
    fn indexed_as(&self, id: &str, fingerprint: u64) -> Option<u32> {
        let slot = *self.by_id.get(id)?;
        (self.fingerprints[slot as usize] == fingerprint).then_some(slot)
    }

    /// The weighted terms of a slot, as indexed.
    fn terms_of(&self, slot: u32) -> HashMap<String, f32> {
        self.text
            .doc_terms(slot)
            .map(|(term, weight)| (self.text.word(term).to_owned(), weight))
            .collect()
    }

    /// Computes the meaning vector of `slot` from its terms, with the index's IDF as it is now.
    fn refresh_meaning(&mut self, meaning: &Meaning, slot: u32) {
        self.rows.sync(meaning, &self.text);
        let mut sum = vec![0.0; meaning.vectors().dimension()];
        let index = &self.text;
        self.meaning[slot as usize] =
            self.item_meaning(meaning, slot, |id| index.idf(id), &mut sum);
    }

    /// [`Collection::refresh_meaning`] for every live slot.
    fn refresh_all_meaning(&mut self, meaning: &Meaning) {
        self.rows.clear();
        self.rows.sync(meaning, &self.text);
        let index = &self.text;
        let idf: Vec<f32> = (0..index.terms() as u32).map(|id| index.idf(id)).collect();
        let mut sum = vec![0.0; meaning.vectors().dimension()];
        for slot in 0..self.meta.len() as u32 {
            if index.is_alive(slot) {
                self.meaning[slot as usize] =
                    self.item_meaning(meaning, slot, |id| idf[id as usize], &mut sum);
            }
        }
    }

    /// The meaning vector of `slot`, summed in `sum` (which it clears first).
    fn item_meaning(
        &self,
        meaning: &Meaning,
        slot: u32,
        idf: impl Fn(u32) -> f32,
        sum: &mut [f32],
    ) -> ItemVector {
        sum.iter_mut().for_each(|x| *x = 0.0);
        let mut any = false;
        for (id, tf) in self.text.doc_terms(slot) {
            if let Some(row) = self.rows.get(id) {
                meaning
                    .vectors()
                    .add_row(sum, row, meaning::term_weight(tf, idf(id)));
                any = true;
            }
        }
        if any {
            ItemVector::from_sum(sum)
        } else {
            ItemVector::default()
        }
    }

    fn forget_meaning(&mut self) {
        self.rows.clear();
        self.meaning
            .iter_mut()
            .for_each(|m| *m = ItemVector::default());
    }
}

pub struct Engine {
    tokenizer: Arc<Tokenizer>,
    thesaurus: Arc<Thesaurus>,
    calibration: Calibration,
    world: World,
    weights: Weights,
    places: Arc<Places>,
    /// Word vectors for the meaning signal; without them the signal is off.
    meaning: Option<Meaning>,
    /// Whether place names count in meaning (they do not; see `meaning`).
    places_in_meaning: bool,
    /// While loading many items, meaning vectors wait for the final IDF ([`Engine::load`]).
    defer_meaning: bool,
    capabilities: Collection<CapabilityMeta>,
    scenarios: Collection<ScenarioMeta>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("capabilities", &self.capabilities.text.live())
            .field("scenarios", &self.scenarios.text.live())
            .finish()
    }
}

/// The signals of one scenario × capability pair, each in its own unit.
struct Pair<'a> {
    scenario: &'a ScenarioMeta,
    capability: &'a CapabilityMeta,
}

impl Engine {
    /// An engine with a tokenizer of its own (which takes a moment: it loads the dictionary).
    /// It uses the bundled word vectors.
    pub fn new(world: World) -> Engine {
        let tokenizer = Arc::new(Engine::tokenizer_for(&world));
        Engine::with_tokenizer(world, tokenizer).with_vectors(Some(WordVectors::bundled()))
    }

    /// The tokenizer for `world`: the built-in dictionary, the words of the shipped thesaurus,
    /// and the industry and region names.
    pub fn tokenizer_for(world: &World) -> Tokenizer {
        let names: Vec<String> = world
            .industries
            .values()
            .map(|(name, _)| name.clone())
            .chain(world.regions.values().map(|(name, _)| name.clone()))
            .collect();
        let words = names
            .iter()
            .flat_map(|n| {
                n.split(|c: char| !c.is_alphanumeric())
                    .filter(|p| !p.is_empty())
            })
            .chain(thesaurus::bundled_words().map(|w| -> &str { w }));
        Tokenizer::new(words)
    }

    /// An engine sharing an existing tokenizer (rebuilding an index need not reload it), with
    /// the shipped thesaurus, without word vectors until [`Engine::with_vectors`] gives it some.
    pub fn with_tokenizer(world: World, tokenizer: Arc<Tokenizer>) -> Engine {
        Engine {
            places: Arc::new(Places::new(&world, tokenizer.clone())),
            thesaurus: Arc::new(Thesaurus::bundled(&tokenizer)),
            calibration: CALIBRATION,
            tokenizer,
            world,
            weights: Weights::default(),
            meaning: None,
            places_in_meaning: false,
            defer_meaning: false,
            capabilities: Collection::default(),
            scenarios: Collection::default(),
        }
    }

    /// Uses these thesaurus groups from now on. Only queries use the thesaurus, so nothing
    /// indexed changes; words the tokenizer cuts apart are never met (see [`Tokenizer::knowing`]).
    pub fn set_thesaurus(&mut self, thesaurus: Arc<Thesaurus>) {
        self.thesaurus = thesaurus;
    }

    /// Turns evidence into degrees with this model instead of the shipped one.
    pub fn set_calibration(&mut self, calibration: Calibration) {
        self.calibration = calibration;
    }

    pub fn with_weights(mut self, weights: Weights) -> Engine {
        self.weights = weights;
        self
    }

    pub fn set_weights(&mut self, weights: Weights) {
        self.weights = weights;
    }

    /// An engine using these word vectors (`None`: without the meaning signal).
    pub fn with_vectors(mut self, vectors: Option<Arc<WordVectors>>) -> Engine {
        self.set_vectors(vectors);
        self
    }

    /// Uses these word vectors for the meaning signal (`None` turns it off), recomputing every
    /// item's meaning vector.
    pub fn set_vectors(&mut self, vectors: Option<Arc<WordVectors>>) {
        self.meaning =
            vectors.map(|v| Meaning::new(v, self.places.clone(), self.places_in_meaning));
        self.refresh_meaning();
    }

    /// Lets place names count in meaning after all (to measure what leaving them out does).
    pub fn set_places_in_meaning(&mut self, keep: bool) {
        self.places_in_meaning = keep;
        let vectors = self.meaning.as_ref().map(Meaning::vectors_arc);
        self.set_vectors(vectors);
    }

    /// Adds many items at once: their meaning vectors are computed once, at the end, with the
    /// IDF of the whole collection.
    pub fn load(&mut self, scenarios: &[ScenarioDoc], capabilities: &[CapabilityDoc]) {
        self.defer_meaning = true;
        for doc in scenarios {
            self.upsert_scenario(doc);
        }
        for doc in capabilities {
            self.upsert_capability(doc);
        }
        self.defer_meaning = false;
        self.refresh_meaning();
    }

    /// Recomputes every item's meaning vector with the IDF as it is now.
    pub fn refresh_meaning(&mut self) {
        match &self.meaning {
            Some(meaning) => {
                self.capabilities.refresh_all_meaning(meaning);
                self.scenarios.refresh_all_meaning(meaning);
            }
            None => {
                self.capabilities.forget_meaning();
                self.scenarios.forget_meaning();
            }
        }
    }

    /// The query item's meaning against one collection: its unit vector, and the vector rows
    /// of its most telling words (weight × IDF) for naming near pairs in a SEMANTIC reason.
    /// `None` without word vectors, or when the words' vectors cancel out (every cosine would be
    /// NaN). A term the index has never seen counts as the rarest.
    fn query_meaning<M>(
        &self,
        collection: &Collection<M>,
        terms: &HashMap<String, f32>,
    ) -> Option<QueryMeaning> {
        let meaning = self.meaning.as_ref()?;
        let index = &collection.text;
        let unseen = index.unseen_idf();
        let mut words: Vec<(u32, f32)> = terms
            .iter()
            .filter_map(|(term, &w)| {
                let row = collection.rows.of(meaning, index, term)?;
                let idf = index.term_id(term).map_or(unseen, |id| index.idf(id));
                Some((row, meaning::term_weight(w, idf)))
            })
            .collect();
        // In one order, so that the same item always gets the very same vector.
        words.sort_by_key(|&(row, _)| row);
        let all: Vec<u32> = words.iter().map(|&(row, _)| row).collect();
        let mut vector = vec![0.0; meaning.vectors().dimension()];
        for &(row, weight) in &words {
            meaning.vectors().add_row(&mut vector, row, weight);
        }
        let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm == 0.0 {
            return None;
        }

        words.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        // Twice as many: a reason names only words the other side does not use itself.
        words.truncate(2 * MEANING_WORDS);
        Some(QueryMeaning {
            vector: ItemVector::from_sum(&vector),
            words: words.into_iter().map(|(row, _)| row).collect(),
            all,
        })
    }

    /// The detail of a SEMANTIC reason: the nearest pairs of words, one from each side, that the
    /// other side does not use itself (shared words are TEXT's), neither part of the other; or
    /// that the item's meaning is further than the other candidates'.
    fn semantic_detail<M>(
        &self,
        collection: &Collection<M>,
        query: &QueryMeaning,
        slot: u32,
        contribution: f32,
    ) -> String {
        if contribution < 0.0 {
            return "与其他候选相比语义较远".to_owned();
        }
        let Some(meaning) = &self.meaning else {
            return "语义相近".to_owned();
        };
        let vectors = meaning.vectors();
        let index = &collection.text;
        let mut own: Vec<(u32, f32, &str)> = index
            .doc_terms(slot)
            .filter_map(|(id, tf)| {
                let row = collection.rows.get(id)?;
                Some((row, meaning::term_weight(tf, index.idf(id)), index.word(id)))
            })
            .collect();
        let own_rows: HashSet<u32> = own.iter().map(|&(row, _, _)| row).collect();
        own.retain(|&(row, _, _)| query.all.binary_search(&row).is_err());
        own.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        own.truncate(MEANING_WORDS);
        let mut pairs: Vec<(f32, u32, usize)> = Vec::new();
        let query_words = query.words.iter().filter(|q| !own_rows.contains(q));
        for &q in query_words.take(MEANING_WORDS) {
            let word = vectors.word(q);
            for (i, &(row, _, other)) in own.iter().enumerate() {
                if !word.contains(other) && !other.contains(word) {
                    let cos = vectors.row_cosine(q, row);
                    if cos >= NEAR_PAIR {
                        pairs.push((cos, q, i));
                    }
                }
            }
        }
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
        let (mut used_query, mut used_own, mut named) = (Vec::new(), Vec::new(), Vec::new());
        for (_, q, i) in pairs {
            if named.len() == 3 || used_query.contains(&q) || used_own.contains(&own[i].0) {
                continue;
            }
            used_query.push(q);
            used_own.push(own[i].0);
            named.push(format!("{}↔{}", vectors.word(q), own[i].2));
        }
        if named.is_empty() {
            "语义相近".to_owned()
        } else {
            format!("语义相近：{}", named.join("、"))
        }
    }

    /// The word vectors of the meaning signal, if it is on.
    pub fn vectors(&self) -> Option<&WordVectors> {
        self.meaning.as_ref().map(Meaning::vectors)
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    pub fn capability_count(&self) -> usize {
        self.capabilities.text.live()
    }

    pub fn scenario_count(&self) -> usize {
        self.scenarios.text.live()
    }

    /// Approximate heap memory of both indexes, in bytes.
    pub fn memory_bytes(&self) -> usize {
        let meta = (self.capabilities.meta.len() + self.scenarios.meta.len()) * 160;
        self.capabilities.text.memory_bytes()
            + self.scenarios.text.memory_bytes()
            + meta
            + self.meaning_memory_bytes()
    }

    /// Of [`Engine::memory_bytes`], what the meaning signal takes: the items' vectors and each
    /// term's word-vector row (the word vectors themselves not included).
    pub fn meaning_memory_bytes(&self) -> usize {
        let items: usize = (self.capabilities.meaning.iter())
            .chain(&self.scenarios.meaning)
            .map(ItemVector::memory_bytes)
            .sum();
        items + self.capabilities.rows.memory_bytes() + self.scenarios.rows.memory_bytes()
    }

    /// The weighted terms of a query item, and its slot in `own` when `own` holds it with the
    /// same texts (a published scenario's recommendations): then the terms are the indexed ones,
    /// else its texts are tokenized.
    fn query_terms<M>(
        &self,
        own: &Collection<M>,
        id: &str,
        (title, tags, summary, description): (&str, &[String], &str, &str),
    ) -> (HashMap<String, f32>, Option<u32>) {
        match own.indexed_as(id, fingerprint(title, tags, summary, description)) {
            Some(slot) => (own.terms_of(slot), Some(slot)),
            None => (self.weighted_terms(title, tags, summary, description), None),
        }
    }

    fn weighted_terms(
        &self,
        title: &str,
        tags: &[String],
        summary: &str,
        description: &str,
    ) -> HashMap<String, f32> {
        let mut terms: HashMap<String, f32> = HashMap::new();
        let mut add = |text: &str, boost: f32| {
            for term in self.tokenizer.tokens(text) {
                *terms.entry(term).or_default() += boost;
            }
        };
        add(title, TITLE);
        for tag in tags {
            add(tag, TAGS);
        }
        add(summary, SUMMARY);
        add(description, DESCRIPTION);
        terms
    }

    fn clusters(&self, industries: &[String]) -> Vec<String> {
        let mut out: Vec<String> = industries
            .iter()
            .map(|c| self.world.cluster(c).to_owned())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Adds or replaces a capability (in place: other entries are untouched).
    pub fn upsert_capability(&mut self, doc: &CapabilityDoc) {
        let terms = self.weighted_terms(&doc.title, &doc.tags, &doc.summary, &doc.description);
        let fingerprint = fingerprint(&doc.title, &doc.tags, &doc.summary, &doc.description);
        let clusters = self.clusters(&doc.industries);
        let meta = CapabilityMeta::from(doc);
        self.capabilities.insert(
            &doc.id,
            &terms,
            fingerprint,
            clusters,
            &doc.industries,
            meta,
            &self.places,
        );
        if let (Some(meaning), false) = (&self.meaning, self.defer_meaning) {
            let slot = self.capabilities.by_id[&doc.id];
            self.capabilities.refresh_meaning(meaning, slot);
        }
    }

    pub fn remove_capability(&mut self, id: &str) -> bool {
        self.capabilities.remove(id)
    }

    pub fn upsert_scenario(&mut self, doc: &ScenarioDoc) {
        let terms = self.weighted_terms(&doc.title, &doc.tags, &doc.summary, &doc.description);
        let fingerprint = fingerprint(&doc.title, &doc.tags, &doc.summary, &doc.description);
        let clusters = self.clusters(&doc.industries);
        let meta = ScenarioMeta::from(doc);
        self.scenarios.insert(
            &doc.id,
            &terms,
            fingerprint,
            clusters,
            &doc.industries,
            meta,
            &self.places,
        );
        if let (Some(meaning), false) = (&self.meaning, self.defer_meaning) {
            let slot = self.scenarios.by_id[&doc.id];
            self.scenarios.refresh_meaning(meaning, slot);
        }
    }

    pub fn remove_scenario(&mut self, id: &str) -> bool {
        self.scenarios.remove(id)
    }

    pub fn has_capability(&self, id: &str) -> bool {
        self.capabilities.by_id.contains_key(id)
    }

    pub fn has_scenario(&self, id: &str) -> bool {
        self.scenarios.by_id.contains_key(id)
    }

    /// Query terms with their weights (field boosts, damped), known to `index`: the
    /// `QUERY_TERMS` most telling ones (weight × idf), which carry nearly all of the score. The
    /// thesaurus adds the relatives of each term at `Weights::related` of its weight.
    fn query(&self, index: &TextIndex, terms: &HashMap<String, f32>) -> Query {
        let mut weights = terms.clone();
        for (term, &w) in terms.iter().filter(|_| self.weights.related > 0.0) {
            for other in self.thesaurus.related(term) {
                let e = weights.entry(other.clone()).or_default();
                *e = e.max(self.weights.related * w);
            }
        }
        let mut query: Vec<(u32, f32, bool)> = weights
            .iter()
            .filter_map(|(term, &w)| {
                let id = index.term_id(term)?;
                Some((id, w.sqrt(), terms.contains_key(term)))
            })
            .collect();
        query.sort_by(|a, b| {
            (b.1 * index.idf(b.0))
                .total_cmp(&(a.1 * index.idf(a.0)))
                .then(a.0.cmp(&b.0))
        });
        query.truncate(QUERY_TERMS);
        // The item's own terms first, then the relatives.
        query.sort_by_key(|&(_, _, own)| !own);
        Query {
            direct: query.iter().filter(|t| t.2).count(),
            terms: query.into_iter().map(|(id, w, _)| (id, w)).collect(),
        }
    }

    /// The best `limit` capabilities for a scenario, with reasons.
    pub fn rank_capabilities(&self, scenario: &ScenarioDoc, limit: usize) -> Vec<Ranked> {
        self.capabilities_for(scenario, limit, None)
    }

    /// The score and reasons of one capability for a scenario, as the ranking would give them;
    /// `None` when the capability is not in the index.
    pub fn explain(&self, scenario: &ScenarioDoc, capability_id: &str) -> Option<Ranked> {
        let slot = *self.capabilities.by_id.get(capability_id)?;
        self.capabilities_for(scenario, 1, Some(slot))
            .into_iter()
            .next()
    }

    fn capabilities_for(
        &self,
        scenario: &ScenarioDoc,
        limit: usize,
        only: Option<u32>,
    ) -> Vec<Ranked> {
        let (terms, indexed) = self.query_terms(
            &self.scenarios,
            &scenario.id,
            (
                &scenario.title,
                &scenario.tags,
                &scenario.summary,
                &scenario.description,
            ),
        );
        let meta = ScenarioMeta::from(scenario);
        let query = self.query(&self.capabilities.text, &terms);
        let meaning = self.query_meaning(&self.capabilities, &terms);
        let clusters = self.clusters(&scenario.industries);
        let profile = self.query_profile(&self.scenarios, indexed, &terms);
        self.rank(
            &self.capabilities,
            &query,
            meaning.as_ref(),
            &profile,
            &clusters,
            limit,
            only,
            |cap| Pair {
                scenario: &meta,
                capability: cap,
            },
            |cap| cap.id.clone(),
        )
    }

    /// The best `limit` open scenarios for a capability, with reasons.
    pub fn rank_scenarios(&self, capability: &CapabilityDoc, limit: usize) -> Vec<Ranked> {
        let (terms, indexed) = self.query_terms(
            &self.capabilities,
            &capability.id,
            (
                &capability.title,
                &capability.tags,
                &capability.summary,
                &capability.description,
            ),
        );
        let meta = CapabilityMeta::from(capability);
        let query = self.query(&self.scenarios.text, &terms);
        let meaning = self.query_meaning(&self.scenarios, &terms);
        let clusters = self.clusters(&capability.industries);
        let profile = self.query_profile(&self.capabilities, indexed, &terms);
        self.rank(
            &self.scenarios,
            &query,
            meaning.as_ref(),
            &profile,
            &clusters,
            limit,
            None,
            |scen| Pair {
                scenario: scen,
                capability: &meta,
            },
            |scen| scen.id.clone(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn rank<'a, M>(
        &'a self,
        collection: &'a Collection<M>,
        query: &Query,
        meaning: Option<&QueryMeaning>,
        profile: &Profile,
        clusters: &[String],
        limit: usize,
        only: Option<u32>,
        pair: impl Fn(&'a M) -> Pair<'a>,
        id: impl Fn(&M) -> String,
    ) -> Vec<Ranked> {
        let index = &collection.text;
        let (mut scores, mut touched) = (Vec::new(), Vec::new());
        index.score(&query.terms, &mut scores, &mut touched);
        let feedback = feedback_terms(index, &query.terms, &scores, &touched);
        index.add_scores(&feedback, &mut scores, &mut touched);
        let best = touched
            .iter()
            .map(|&s| scores[s as usize])
            .fold(0.0_f32, f32::max);
        // The strongest text hits, and everything in the same industry clusters.
        if touched.len() > TEXT_CANDIDATES {
            touched.select_nth_unstable_by(TEXT_CANDIDATES, |a, b| {
                scores[*b as usize]
                    .total_cmp(&scores[*a as usize])
                    .then(a.cmp(b))
            });
            touched.truncate(TEXT_CANDIDATES);
        }
        // Too few text hits: fill up with items of the same industry clusters.
        let mut candidates = touched;
        for cluster in clusters {
            if candidates.len() >= TEXT_CANDIDATES {
                break;
            }
            if let Some(slots) = collection.by_cluster.get(cluster) {
                let room = TEXT_CANDIDATES - candidates.len();
                candidates.extend(
                    slots
                        .iter()
                        .copied()
                        .filter(|&s| index.is_alive(s))
                        .take(room),
                );
            }
        }
        // Explaining one item: it is weighed against the same candidates as in a ranking, so
        // that its meaning signal (relative to them) is the one the ranking gives.
        candidates.extend(only);
        candidates.sort_unstable();
        candidates.dedup();

        let w = &self.weights;
        let text_of = |slot: u32| {
            let full = if best > 0.0 {
                scores[slot as usize] / best
            } else {
                0.0
            };
            w.text * full
        };
        let candidates: Vec<(u32, &M)> = candidates
            .into_iter()
            .filter_map(|slot| Some((slot, collection.get(slot)?)))
            .collect();
        // Meaning, relative to the other candidates of this query.
        let semantic = match meaning {
            Some(q) if candidates.len() >= MIN_MEANING_CANDIDATES => meaning::scaled(
                &candidates
                    .iter()
                    .map(|&(slot, _)| collection.meaning[slot as usize].cosine(&q.vector))
                    .collect::<Vec<_>>(),
                w.meaning_scale,
            ),
            _ => vec![0.0; candidates.len()],
        };
        let mut scored: Vec<(u32, f32, f32)> = candidates
            .iter()
            .zip(&semantic)
            .map(|(&(slot, m), z)| {
                let semantic = w.semantic * z;
                (
                    slot,
                    self.total(&pair(m), text_of(slot)) + semantic,
                    semantic,
                )
            })
            .collect();
        if let Some(slot) = only {
            scored.retain(|s| s.0 == slot);
        }
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(limit);
        scored
            .into_iter()
            .filter_map(|(slot, score, semantic)| {
                let m = collection.get(slot)?;
                let mut reasons = self.reasons(&pair(m), text_of(slot));
                if let (true, Some(q)) = (semantic != 0.0, meaning) {
                    reasons.push(Reason {
                        kind: ReasonKind::Semantic,
                        contribution: semantic,
                        detail: self.semantic_detail(collection, q, slot, semantic),
                        terms: Vec::new(),
                    });
                }
                if let Some(text_reason) = reasons.iter_mut().find(|r| r.kind == ReasonKind::Text) {
                    let shared = |query| shared_terms(index, query, slot, &self.places);
                    text_reason.terms = shared(query.direct());
                    text_reason.detail = text_detail(&text_reason.terms, &shared(query.related()));
                }
                let evidence = self.evidence(profile, collection, slot, &pair(m));
                Some(Ranked {
                    id: id(m),
                    score,
                    degree: self.calibration.degree(&evidence),
                    reasons,
                })
            })
            .collect()
    }

    /// Free-text search over capabilities: ids with their BM25 score, best first. With
    /// `industries` (a list's industry filter, clusters already expanded), only the hits in one
    /// of them: the same hits as the search followed by that filter, so that a list need not
    /// check the others against it.
    pub fn search_capabilities(
        &self,
        query: &str,
        limit: usize,
        industries: Option<&[String]>,
    ) -> Vec<(String, f32)> {
        self.search(&self.capabilities, query, limit, industries, |m| {
            m.id.clone()
        })
    }

    /// Free-text search over scenarios, as [`Engine::search_capabilities`].
    pub fn search_scenarios(
        &self,
        query: &str,
        limit: usize,
        industries: Option<&[String]>,
    ) -> Vec<(String, f32)> {
        self.search(&self.scenarios, query, limit, industries, |m| m.id.clone())
    }

    /// The index's terms nearest in meaning to the words of a short query (cosine of the word
    /// vectors at least `NEIGHBOUR`), weighted `NEIGHBOUR_WEIGHT` times their cosine: 景区
    /// also looks for 景点. At most `Weights::neighbours`, none already in the query.
    fn neighbours<M>(
        &self,
        collection: &Collection<M>,
        terms: &HashMap<String, f32>,
        query: &Query,
    ) -> Vec<(u32, f32)> {
        let Some(meaning) = self
            .meaning
            .as_ref()
            .filter(|_| self.weights.neighbours > 0)
        else {
            return Vec::new();
        };
        let index = &collection.text;
        let mut own: Vec<(u32, f32)> = terms
            .iter()
            .filter_map(|(term, &w)| Some((collection.rows.of(meaning, index, term)?, w.sqrt())))
            .collect();
        own.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        own.truncate(NEIGHBOUR_WORDS);
        let mut found: Vec<(u32, f32)> = collection
            .rows
            .with_rows()
            .filter(|&(term, _)| index.df(term) > 0 && !query.terms.iter().any(|q| q.0 == term))
            .filter_map(|(term, row)| {
                let weight = own
                    .iter()
                    .filter(|&&(q, _)| q != row)
                    .map(|&(q, w)| (meaning.vectors().row_cosine(q, row), w))
                    .filter(|&(cosine, _)| cosine >= NEIGHBOUR)
                    .map(|(cosine, w)| NEIGHBOUR_WEIGHT * w * cosine)
                    .fold(0.0_f32, f32::max);
                (weight > 0.0).then_some((term, weight))
            })
            .collect();
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        found.truncate(self.weights.neighbours);
        found
    }

    /// Free text: the items that contain the query's words or their thesaurus relatives, best
    /// first, down to `Weights::search_floor` of the best (below it an item shares only generic
    /// words with the query); then the items whose meaning stands out as near the query's
    /// (`SEARCH_NEAR`) without its words, nearest first. A literal hit scores its share of the best hit's score (0–1], a
    /// hit by meaning its cosine minus one (never above a literal hit).
    fn search<M>(
        &self,
        collection: &Collection<M>,
        text: &str,
        limit: usize,
        industries: Option<&[String]>,
        id: impl Fn(&M) -> String,
    ) -> Vec<(String, f32)> {
        let mut terms: HashMap<String, f32> = HashMap::new();
        for term in self.tokenizer.tokens(text) {
            *terms.entry(term).or_default() += 1.0;
        }
        drop_redundant_parts(&self.tokenizer, &mut terms);
        let index = &collection.text;
        let query = self.query(index, &terms);
        let (mut scores, mut touched) = (Vec::new(), Vec::new());
        index.score(&query.terms, &mut scores, &mut touched);
        let neighbours = self.neighbours(collection, &terms, &query);
        index.add_scores(&neighbours, &mut scores, &mut touched);
        let best = touched
            .iter()
            .map(|&s| scores[s as usize])
            .fold(0.0_f32, f32::max);
        let floor = self.weights.search_floor * best;
        let mut hits: Vec<(u32, f32)> = touched
            .iter()
            .filter(|&&slot| scores[slot as usize] > 0.0 && scores[slot as usize] >= floor)
            .map(|&slot| (slot, scores[slot as usize] / best))
            .collect();
        let best_first = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit, best_first);
            hits.truncate(limit);
        }
        hits.sort_unstable_by(best_first);
        if hits.len() < limit
            && self.weights.semantic > 0.0
            && index.live() >= hits.len() + MIN_MEANING_CANDIDATES
            && let Some(q) = self.query_meaning(collection, &terms)
        {
            let literal: HashSet<u32> = hits.iter().map(|&(slot, _)| slot).collect();
            // Among the items without a literal hit, those whose meaning stands out.
            let cosines: Vec<(u32, f32)> = (0..index.slots() as u32)
                .filter(|slot| index.is_alive(*slot) && !literal.contains(slot))
                .map(|slot| {
                    let cosine = collection.meaning[slot as usize].cosine(&q.vector);
                    (slot, cosine)
                })
                .collect();
            let z = meaning::scaled(
                &cosines.iter().map(|&(_, c)| c).collect::<Vec<_>>(),
                MeaningScale::ZScore,
            );
            let mut near: Vec<(u32, f32)> = cosines
                .into_iter()
                .zip(z)
                .filter(|&(_, z)| z >= SEARCH_NEAR)
                .map(|(pair, _)| pair)
                .collect();
            near.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            near.truncate(limit - hits.len());
            hits.extend(near.into_iter().map(|(slot, cosine)| (slot, cosine - 1.0)));
        }
        let keep = industries.map(|codes| collection.in_industries(codes));
        hits.into_iter()
            .filter(|&(slot, _)| keep.as_ref().is_none_or(|keep| keep[slot as usize]))
            .filter_map(|(slot, score)| Some((id(collection.get(slot)?), score)))
            .collect()
    }

    fn signals(&self, p: &Pair<'_>) -> Signals {
        let s = p.scenario;
        let c = p.capability;
        let exact: Vec<&String> = s
            .industries
            .iter()
            .filter(|i| c.industries.iter().any(|j| self.world.same_industry(i, j)))
            .collect();
        let cluster = exact.is_empty()
            && s.industries.iter().any(|i| {
                c.industries
                    .iter()
                    .any(|j| self.world.cluster(i) == self.world.cluster(j))
            });
        let covers = c
            .service_regions
            .iter()
            .any(|r| *r == s.region || *r == self.world.city)
            || c.region == s.region;
        let group = !covers
            && self.world.group(&s.region).is_some_and(|g| {
                std::iter::once(&c.region)
                    .chain(c.service_regions.iter())
                    .any(|r| self.world.group(r) == Some(g))
            });
        let maturity_gap = match (s.maturity_required, c.maturity) {
            (Some(req), Some(m)) => Some(i32::from(req) - i32::from(m)),
            _ => None,
        };
        let budget = match (s.budget_min, s.budget_max, c.price_min, c.price_max) {
            (None, None, _, _) | (_, _, None, None) => Budget::Unknown,
            (_, Some(bmax), Some(pmin), _) if pmin > bmax => Budget::Over,
            (Some(bmin), _, _, Some(pmax)) if pmax < bmin => Budget::Below,
            _ => Budget::Fits,
        };
        Signals {
            exact: exact.into_iter().cloned().collect(),
            cluster,
            covers,
            group,
            maturity_gap,
            budget,
            cases: c.landed_cases,
        }
    }

    fn contributions(&self, sig: &Signals, text: f32) -> [f32; 6] {
        let w = &self.weights;
        let industry = if !sig.exact.is_empty() {
            w.industry_exact
        } else if sig.cluster {
            w.industry_cluster
        } else {
            0.0
        };
        let region = if sig.covers {
            w.region
        } else if sig.group {
            w.region_group
        } else {
            0.0
        };
        // A shortfall weakens a match without burying it: at most two levels count.
        let maturity = match sig.maturity_gap {
            Some(gap) if gap <= 0 => w.maturity,
            Some(gap) => -w.maturity_gap * gap.min(2) as f32,
            None => 0.0,
        };
        let budget = match sig.budget {
            Budget::Fits => w.budget,
            Budget::Below => w.budget_below,
            Budget::Over => -w.budget_over,
            Budget::Unknown => 0.0,
        };
        let track = w.track_record * ((1.0 + sig.cases as f32).ln() / 11f32.ln()).min(1.0);
        [text, industry, region, maturity, budget, track]
    }

    /// IDF over both lists together: a weight that does not depend on which list is searched.
    fn combined_idf(&self, word: &str) -> f32 {
        let df = |index: &TextIndex| index.term_id(word).map_or(0, |id| index.df(id));
        let n = (self.scenarios.text.live() + self.capabilities.text.live()) as f32;
        let df = (df(&self.scenarios.text) + df(&self.capabilities.text)) as f32;
        (1.0 + ((n - df).max(0.0) + 0.5) / (df + 0.5)).ln()
    }

    /// A term's weight in a side of a pair as the degree sees it; none for a place name (REGION
    /// speaks of places).
    fn profile_weight(&self, word: &str, tf: f32) -> Option<f32> {
        (!self.places.contains(word)).then(|| self.term_weight(word, tf))
    }

    /// [`Engine::profile_weight`] of a term known not to be a place.
    fn term_weight(&self, word: &str, tf: f32) -> f32 {
        tf.sqrt() * self.combined_idf(word)
    }

    /// One side of a pair as the degree sees it.
    fn profile<'t>(
        &self,
        terms: impl Iterator<Item = (&'t str, f32)>,
        meaning: Option<ItemVector>,
    ) -> Profile {
        let mut weights = HashMap::new();
        let mut norm = 0.0;
        for (word, tf) in terms {
            if let Some(weight) = self.profile_weight(word, tf) {
                norm += weight * weight;
                weights.insert(word.to_owned(), weight);
            }
        }
        Profile {
            weights,
            norm: norm.sqrt(),
            meaning,
        }
    }

    /// The profile of the item a ranking is for: its meaning vector as its own list holds it
    /// when `indexed` is its slot there (indexed with the same texts), else computed the same
    /// way from its terms.
    fn query_profile<M>(
        &self,
        own: &Collection<M>,
        indexed: Option<u32>,
        terms: &HashMap<String, f32>,
    ) -> Profile {
        let meaning = match indexed {
            Some(slot) if self.meaning.is_some() => Some(own.meaning[slot as usize].clone()),
            _ => self.query_meaning(own, terms).map(|q| q.vector),
        };
        self.profile(terms.iter().map(|(t, &w)| (t.as_str(), w)), meaning)
    }

    fn slot_profile<M>(&self, collection: &Collection<M>, slot: u32) -> Profile {
        let index = &collection.text;
        let meaning = self
            .meaning
            .as_ref()
            .map(|_| collection.meaning[slot as usize].clone());
        self.profile(
            index.doc_terms(slot).map(|(id, tf)| (index.word(id), tf)),
            meaning,
        )
    }

    /// The evidence about a pair: one side's profile against an indexed item, whose profile is
    /// summed from its terms as they come (no map of its own), and the pair's structured fit.
    fn evidence<M>(
        &self,
        profile: &Profile,
        collection: &Collection<M>,
        slot: u32,
        p: &Pair<'_>,
    ) -> Evidence {
        let index = &collection.text;
        let (mut dot, mut norm) = (0.0_f32, 0.0_f32);
        for (id, tf) in index.doc_terms(slot) {
            if collection.term_places[id as usize] {
                continue;
            }
            let word = index.word(id);
            let weight = self.term_weight(word, tf);
            norm += weight * weight;
            if let Some(w) = profile.weights.get(word) {
                dot += w * weight;
            }
        }
        let norm = norm.sqrt();
        let text = if profile.norm > 0.0 && norm > 0.0 {
            dot / (profile.norm * norm)
        } else {
            0.0
        };
        let meaning = match (&profile.meaning, &self.meaning) {
            (Some(x), Some(_)) => x.cosine(&collection.meaning[slot as usize]),
            _ => 0.0,
        };
        let fit = self.contributions(&self.signals(p), 0.0)[1..].iter().sum();
        Evidence { text, meaning, fit }
    }

    /// The evidence about a pair of indexed items (`None` when either is not in the index).
    pub fn evidence_of(&self, scenario_id: &str, capability_id: &str) -> Option<Evidence> {
        let s = *self.scenarios.by_id.get(scenario_id)?;
        let c = *self.capabilities.by_id.get(capability_id)?;
        let pair = Pair {
            scenario: self.scenarios.get(s)?,
            capability: self.capabilities.get(c)?,
        };
        Some(self.evidence(
            &self.slot_profile(&self.scenarios, s),
            &self.capabilities,
            c,
            &pair,
        ))
    }

    fn total(&self, p: &Pair<'_>, text: f32) -> f32 {
        self.contributions(&self.signals(p), text).iter().sum()
    }

    fn reasons(&self, p: &Pair<'_>, text: f32) -> Vec<Reason> {
        let sig = self.signals(p);
        let [t, industry, region, maturity, budget, track] = self.contributions(&sig, text);
        let s = p.scenario;
        let c = p.capability;
        let mut out = Vec::new();
        let mut push = |kind, contribution: f32, detail: String| {
            if contribution != 0.0 {
                out.push(Reason {
                    kind,
                    contribution,
                    detail,
                    terms: Vec::new(),
                });
            }
        };
        push(ReasonKind::Text, t, "内容相关".to_owned());
        let industry_detail = if let Some(code) = sig.exact.first() {
            format!("行业匹配：{}", self.world.industry_name(code))
        } else {
            let cluster = s
                .industries
                .first()
                .map(|i| self.world.cluster(i))
                .unwrap_or_default();
            format!("同属{}", self.world.industry_name(cluster))
        };
        push(ReasonKind::Industry, industry, industry_detail);
        let region_name = self.world.region_name(&s.region);
        let region_detail = if sig.covers {
            if c.service_regions.contains(&self.world.city) {
                format!("服务范围覆盖全市，含{region_name}")
            } else {
                format!("服务范围覆盖{region_name}")
            }
        } else {
            let group = match self.world.group(&s.region) {
                Some("PINGCHUAN") => "平川",
                Some("DONGSHAN") => "东山",
                _ => "同一",
            };
            format!("与{region_name}同属{group}片区")
        };
        push(ReasonKind::Region, region, region_detail);
        if let (Some(req), Some(m)) = (s.maturity_required, c.maturity) {
            let detail = if m >= req {
                format!("技术成熟度{m}级，满足{req}级要求")
            } else {
                format!("技术成熟度{m}级，低于要求的{req}级")
            };
            push(ReasonKind::Maturity, maturity, detail);
        }
        let range = |lo: Option<f64>, hi: Option<f64>| match (lo, hi) {
            (Some(lo), Some(hi)) => format!("{lo}–{hi}万元"),
            (Some(lo), None) => format!("{lo}万元以上"),
            (None, Some(hi)) => format!("{hi}万元以内"),
            (None, None) => "面议".to_owned(),
        };
        // Within only when the whole price range lies inside the budget; otherwise they overlap.
        let within = c.price_min.unwrap_or(0.0) >= s.budget_min.unwrap_or(0.0)
            && match (c.price_max, s.budget_max) {
                (Some(p), Some(b)) => p <= b,
                (None, Some(_)) => false,
                (_, None) => true,
            };
        let budget_detail = match sig.budget {
            Budget::Fits if within => format!(
                "报价{}，在预算{}范围内",
                range(c.price_min, c.price_max),
                range(s.budget_min, s.budget_max)
            ),
            Budget::Fits => format!(
                "报价{}，与预算{}部分重合",
                range(c.price_min, c.price_max),
                range(s.budget_min, s.budget_max)
            ),
            Budget::Below => format!(
                "报价{}，低于预算{}",
                range(c.price_min, c.price_max),
                range(s.budget_min, s.budget_max)
            ),
            _ => format!(
                "报价{}，高于预算{}",
                range(c.price_min, c.price_max),
                range(s.budget_min, s.budget_max)
            ),
        };
        push(ReasonKind::Budget, budget, budget_detail);
        push(
            ReasonKind::TrackRecord,
            track,
            format!("已有{}个落地案例", c.landed_cases),
        );
        out
    }
}

/// The meaning of a ranking's query item (see [`Engine::query_meaning`]).
struct QueryMeaning {
    vector: ItemVector,
    /// The rows of the most telling words.
    words: Vec<u32>,
    /// The rows of all words, ascending.
    all: Vec<u32>,
}

/// One side of a pair for the degree: its terms weighted by √tf × the IDF of both lists (place
/// names left out), their norm, and its meaning vector.
struct Profile {
    weights: HashMap<String, f32>,
    norm: f32,
    meaning: Option<ItemVector>,
}

/// A ranking query: weighted term ids, the item's own terms first, then their relatives.
struct Query {
    terms: Vec<(u32, f32)>,
    direct: usize,
}

impl Query {
    fn direct(&self) -> &[(u32, f32)] {
        &self.terms[..self.direct]
    }

    fn related(&self) -> &[(u32, f32)] {
        &self.terms[self.direct..]
    }
}

/// "内容相关：智能仓储、分拣；相近：密集库": the shared terms, then the terms matched through
/// the thesaurus.
/// Takes out of a free-text query the parts that add nothing to the words they belong to: the
/// parts of its parts (of 巡检机器人: 巡检, 机器人, 机器 — 机器 says nothing 机器人 does not, and
/// counted as well it would make an item about any robot weigh twice an item about inspection),
/// and generic modifiers that are part of a longer word (智慧 of 智慧矿山, 智能化 of 煤矿智能化:
/// an item that is only 智慧 something is not what was asked for). Typed alone, they stay.
fn drop_redundant_parts(tokenizer: &Tokenizer, terms: &mut HashMap<String, f32>) {
    let parts: Vec<&String> = terms
        .keys()
        .filter(|t| terms.keys().any(|u| u != *t && u.contains(t.as_str())))
        .collect();
    let redundant: Vec<String> = parts
        .iter()
        .filter(|p| {
            tokenizer.is_generic_modifier(p)
                || parts.iter().any(|q| q != *p && q.contains(p.as_str()))
        })
        .map(|p| (*p).clone())
        .collect();
    for part in redundant {
        terms.remove(&part);
    }
}

fn text_detail(shared: &[String], related: &[String]) -> String {
    match (shared.is_empty(), related.is_empty()) {
        (false, false) => format!(
            "内容相关：{}；相近：{}",
            shared.join("、"),
            related.join("、")
        ),
        (false, true) => format!("内容相关：{}", shared.join("、")),
        (true, false) => format!("内容相近：{}", related.join("、")),
        (true, true) => "内容相关".to_owned(),
    }
}

#[derive(Debug, Clone, Copy)]
enum Budget {
    /// The price range meets the budget range.
    Fits,
    /// Even the highest price is under the lowest budget: affordable, maybe too small.
    Below,
    /// Even the lowest price is over the highest budget.
    Over,
    Unknown,
}

struct Signals {
    exact: Vec<String>,
    cluster: bool,
    covers: bool,
    group: bool,
    maturity_gap: Option<i32>,
    budget: Budget,
    cases: u32,
}

/// A fingerprint of an item's texts (with a fixed seed: it is compared, never a table's key).
fn fingerprint(title: &str, tags: &[String], summary: &str, description: &str) -> u64 {
    use std::hash::BuildHasher as _;
    foldhash::fast::FixedState::default().hash_one((title, tags, summary, description))
}

/// The most telling terms of the best first-pass hits that the query lacks (pseudo-relevance
/// feedback), weighted down to at most `FEEDBACK_WEIGHT`.
fn feedback_terms(
    index: &TextIndex,
    query: &[(u32, f32)],
    scores: &[f32],
    touched: &[u32],
) -> Vec<(u32, f32)> {
    let better = |a: &u32, b: &u32| {
        scores[*b as usize]
            .total_cmp(&scores[*a as usize])
            .then(a.cmp(b))
    };
    // The best few in one pass, kept in order.
    let mut top: Vec<u32> = Vec::with_capacity(FEEDBACK_DOCS + 1);
    for &slot in touched {
        if top.len() == FEEDBACK_DOCS && top.last().is_some_and(|last| better(&slot, last).is_ge())
        {
            continue;
        }
        let at = top.partition_point(|kept| better(kept, &slot).is_lt());
        top.insert(at, slot);
        top.truncate(FEEDBACK_DOCS);
    }
    let mut weights: HashMap<u32, f32> = HashMap::new();
    for &slot in &top {
        let len: f32 = index.doc_terms(slot).map(|(_, tf)| tf).sum();
        for (id, tf) in index.doc_terms(slot) {
            *weights.entry(id).or_default() += tf / len * index.idf(id);
        }
    }
    let mut extra: Vec<(u32, f32)> = weights
        .into_iter()
        .filter(|(id, _)| !query.iter().any(|(q, _)| q == id))
        .collect();
    extra.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    extra.truncate(FEEDBACK_TERMS);
    let max = extra.first().map_or(1.0, |e| e.1);
    extra
        .into_iter()
        .map(|(id, w)| (id, FEEDBACK_WEIGHT * w / max))
        .collect()
}

/// The query terms found in `slot`, most telling (idf × weight) first, at most six; place
/// names are REGION's to cite.
fn shared_terms(
    index: &TextIndex,
    query: &[(u32, f32)],
    slot: u32,
    places: &Places,
) -> Vec<String> {
    let mut shared: Vec<(f32, &str)> = query
        .iter()
        .filter(|(id, _)| index.tf(*id, slot) > 0.0 && !places.contains(index.word(*id)))
        .map(|&(id, w)| (w * index.idf(id), index.word(id)))
        .collect();
    shared.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, word) in shared {
        // Skip a part when the whole word is already listed (煤矿 after 煤矿智能化).
        if !out.iter().any(|w| w.contains(word)) {
            out.push(word.to_owned());
        }
        if out.len() == 6 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests;

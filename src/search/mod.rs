//! The live matching index: the pure engine loaded with every open scenario and every matchable
//! capability, kept current one item at a time.
//!
//! This room knows documents, not rows. The slices that own the rows turn them into documents
//! ([`Documents`], given at start-up) and tell the index when an item changed; the cross-instance
//! feed does the same through [`LiveIndex::changed`]. Nothing here reads a table by itself.
//!
//! The thesaurus comes from the documents too. A change of its groups is applied in place when
//! the tokenizer already keeps every word whole; a new word it would cut apart needs a tokenizer
//! that knows it and every item tokenized again, so the index is rebuilt (off the async workers),
//! and changes that arrive meanwhile are applied again to the new index.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use futures_util::future::BoxFuture;

use crate::matching::{
    CapabilityDoc, Engine, Ranked, ScenarioDoc, Thesaurus, Tokenizer, WordVectors, World,
};

pub type Loaded<'a, T> = BoxFuture<'a, Result<T, sqlx::Error>>;

/// Which kind of item changed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Changed {
    Scenario,
    Capability,
    /// An organization: its capabilities may have become matchable or stopped being so.
    Organization,
    /// A group of the thesaurus.
    Thesaurus,
}

impl Changed {
    pub fn parse(aggregate: &str) -> Option<Changed> {
        match aggregate {
            "SCENARIO" => Some(Changed::Scenario),
            "CAPABILITY" => Some(Changed::Capability),
            "ORGANIZATION" => Some(Changed::Organization),
            "THESAURUS_GROUP" => Some(Changed::Thesaurus),
            _ => None,
        }
    }
}

/// Where the index reads its documents. Each answer says what belongs in the index now: `None`
/// (or a missing id) takes the item out.
pub trait Documents: Send + Sync {
    /// Every open scenario and every matchable capability.
    fn all(&self) -> Loaded<'_, (Vec<ScenarioDoc>, Vec<CapabilityDoc>)>;
    fn scenario<'a>(&'a self, id: &'a str) -> Loaded<'a, Option<ScenarioDoc>>;
    fn capability<'a>(&'a self, id: &'a str) -> Loaded<'a, Option<CapabilityDoc>>;
    /// Every capability of an organization, with its document when it is matchable.
    fn of_organization<'a>(
        &'a self,
        org_id: &'a str,
    ) -> Loaded<'a, Vec<(String, Option<CapabilityDoc>)>>;
    /// The words of every thesaurus group.
    fn thesaurus(&self) -> Loaded<'_, Vec<Vec<String>>>;
}

pub struct LiveIndex {
    /// Ranking and rebuilding take the engine to the blocking pool, so the lock and the engine
    /// are shared with that thread.
    engine: Arc<RwLock<Engine>>,
    world: World,
    /// The tokenizer of the index now: the shared one, or one that also knows new words of the
    /// thesaurus.
    tokenizer: Mutex<Arc<Tokenizer>>,
    vectors: Arc<WordVectors>,
    documents: Arc<dyn Documents>,
    /// Rankings and searches: one per processor at a time (see [`LiveIndex::read`]).
    readers: Turns,
    /// One rebuild at a time.
    rebuilding: tokio::sync::Mutex<()>,
    /// While a rebuild reads and tokenizes, the items that changed meanwhile (to apply again to
    /// the new index); `None` otherwise.
    missed: Mutex<Option<Vec<(Changed, String)>>>,
    /// Seconds from learning of a change (this instance's write, or another's notice) to the
    /// index holding it: the index's refresh lag, for the metrics.
    refresh_seconds: prometheus::Histogram,
    /// Unix time of the last full rebuild; 0 before the first.
    rebuilt_at: AtomicI64,
}

impl std::fmt::Debug for LiveIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveIndex")
    }
}

/// The tokenizer of the bundled taxonomy, built once per process (loading jieba's dictionary
/// takes a moment) and shared by every index.
fn shared_tokenizer(world: &World) -> Arc<Tokenizer> {
    static TOKENIZER: OnceLock<Arc<Tokenizer>> = OnceLock::new();
    TOKENIZER
        .get_or_init(|| Arc::new(Engine::tokenizer_for(world)))
        .clone()
}

impl LiveIndex {
    /// An empty index over `world` that reads its documents from `documents`.
    fn empty(world: World, vectors: Arc<WordVectors>, documents: Arc<dyn Documents>) -> LiveIndex {
        let tokenizer = shared_tokenizer(&world);
        LiveIndex {
            engine: Arc::new(RwLock::new(
                Engine::with_tokenizer(world.clone(), tokenizer.clone())
                    .with_vectors(Some(vectors.clone())),
            )),
            world,
            tokenizer: Mutex::new(tokenizer),
            vectors,
            documents,
            readers: Turns::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
            rebuilding: tokio::sync::Mutex::new(()),
            missed: Mutex::new(None),
            refresh_seconds: prometheus::Histogram::with_opts(
                prometheus::HistogramOpts::new(
                    "twolists_index_refresh_seconds",
                    "Time from learning of a change to the matching index holding it.",
                )
                .buckets(vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
                ]),
            )
            .expect("a valid histogram"),
            rebuilt_at: AtomicI64::new(0),
        }
    }

    /// The histogram of the index's refresh lag (one change at a time), to be registered with the
    /// service's metrics.
    pub fn refresh_histogram(&self) -> prometheus::Histogram {
        self.refresh_seconds.clone()
    }

    /// When the index was last rebuilt from every document (Unix time), if ever.
    pub fn rebuilt_at(&self) -> Option<i64> {
        Some(self.rebuilt_at.load(Ordering::Relaxed)).filter(|&at| at > 0)
    }

    /// Builds the index from every document there is.
    pub async fn load(
        world: World,
        vectors: Arc<WordVectors>,
        documents: Arc<dyn Documents>,
    ) -> Result<LiveIndex, sqlx::Error> {
        let index = LiveIndex::empty(world, vectors, documents);
        index.reload().await?;
        Ok(index)
    }

    /// Replaces the whole content (and the thesaurus) with what the documents say now.
    pub async fn reload(&self) -> Result<(), sqlx::Error> {
        let _one = self.rebuilding.lock().await;
        let groups = self.documents.thesaurus().await?;
        let (tokenizer, _, thesaurus) = self.vocabulary(groups).await;
        self.rebuild(tokenizer, thesaurus).await
    }

    /// Applies the thesaurus as the documents hold it now: in place, or by a rebuild when it
    /// brings words the tokenizer would cut apart.
    async fn reload_thesaurus(&self) -> Result<(), sqlx::Error> {
        let _one = self.rebuilding.lock().await;
        let groups = self.documents.thesaurus().await?;
        let (tokenizer, new_words, thesaurus) = self.vocabulary(groups).await;
        if new_words {
            tracing::info!("new thesaurus words: tokenizing every item again");
            self.rebuild(tokenizer, thesaurus).await
        } else {
            self.engine
                .write()
                .expect("index lock")
                .set_thesaurus(thesaurus);
            Ok(())
        }
    }

    fn tokenizer(&self) -> Arc<Tokenizer> {
        self.tokenizer.lock().expect("tokenizer lock").clone()
    }

    /// The tokenizer and thesaurus for `groups`, and whether the tokenizer had to learn words.
    async fn vocabulary(&self, groups: Vec<Vec<String>>) -> (Arc<Tokenizer>, bool, Arc<Thesaurus>) {
        let current = self.tokenizer();
        off_the_workers(move || {
            let words = groups.iter().flatten().map(String::as_str);
            let (tokenizer, new_words) = match current.knowing(words) {
                Some(tokenizer) => (Arc::new(tokenizer), true),
                None => (current, false),
            };
            let thesaurus = Arc::new(Thesaurus::new(&groups, &tokenizer));
            (tokenizer, new_words, thesaurus)
        })
        .await
    }

    /// Builds a new index of every document with `tokenizer` and `thesaurus` and puts it in
    /// place of the old one, then applies again what changed while it was built.
    async fn rebuild(
        &self,
        tokenizer: Arc<Tokenizer>,
        thesaurus: Arc<Thesaurus>,
    ) -> Result<(), sqlx::Error> {
        *self.missed.lock().expect("missed lock") = Some(Vec::new());
        let documents = self.documents.all().await;
        let (scenarios, capabilities) = match documents {
            Ok(documents) => documents,
            Err(e) => {
                self.missed.lock().expect("missed lock").take();
                return Err(e);
            }
        };
        let world = self.world.clone();
        let vectors = self.vectors.clone();
        let for_engine = tokenizer.clone();
        // Tokenizing every item is seconds of CPU at a province's size: not on an async worker.
        let engine = off_the_workers(move || {
            let mut engine = Engine::with_tokenizer(world, for_engine).with_vectors(Some(vectors));
            engine.set_thesaurus(thesaurus);
            engine.load(&scenarios, &capabilities);
            engine
        })
        .await;
        let missed = {
            let mut index = self.engine.write().expect("index lock");
            *index = engine;
            *self.tokenizer.lock().expect("tokenizer lock") = tokenizer;
            self.missed.lock().expect("missed lock").take()
        };
        for (what, id) in missed.unwrap_or_default() {
            self.apply(what, &id).await;
        }
        self.rebuilt_at
            .store(chrono::Utc::now().timestamp(), Ordering::Relaxed);
        // The old index and the build's scratch are freed: give their pages back.
        off_the_workers(crate::memory::release_free_pages).await;
        Ok(())
    }

    /// Puts a scenario in (`Some`) or takes it out (`None`).
    pub fn put_scenario(&self, id: &str, doc: Option<&ScenarioDoc>) {
        let mut engine = self.engine.write().expect("index lock");
        match doc {
            Some(doc) => engine.upsert_scenario(doc),
            None => {
                engine.remove_scenario(id);
            }
        }
    }

    fn put_capability(&self, id: &str, doc: Option<&CapabilityDoc>) {
        let mut engine = self.engine.write().expect("index lock");
        match doc {
            Some(doc) => engine.upsert_capability(doc),
            None => {
                engine.remove_capability(id);
            }
        }
    }

    /// Re-reads an item that changed (here or on another instance) and puts it in or takes it
    /// out. The change is committed by then; a failure to read it back is logged and leaves the
    /// index a step behind, never the write.
    pub async fn changed(&self, what: Changed, id: &str) {
        if what == Changed::Thesaurus {
            if let Err(e) = self.reload_thesaurus().await {
                tracing::warn!(error = %e, "thesaurus not updated in the matching index");
            }
            return;
        }
        let learned = std::time::Instant::now();
        if let Some(missed) = self.missed.lock().expect("missed lock").as_mut() {
            missed.push((what, id.to_owned()));
        }
        self.apply(what, id).await;
        self.refresh_seconds
            .observe(learned.elapsed().as_secs_f64());
    }

    /// Reads one changed item and puts it in or takes it out.
    async fn apply(&self, what: Changed, id: &str) {
        let result = match what {
            Changed::Scenario => self
                .documents
                .scenario(id)
                .await
                .map(|doc| self.put_scenario(id, doc.as_ref())),
            Changed::Capability => self
                .documents
                .capability(id)
                .await
                .map(|doc| self.put_capability(id, doc.as_ref())),
            Changed::Organization => self.documents.of_organization(id).await.map(|docs| {
                for (capability, doc) in &docs {
                    self.put_capability(capability, doc.as_ref());
                }
            }),
            Changed::Thesaurus => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, item = id, kind = ?what, "matching index not updated");
        }
    }

    /// [`LiveIndex::changed`] for an aggregate named as in the event log; others are ignored.
    pub async fn changed_aggregate(&self, aggregate: &str, id: &str) {
        if let Some(what) = Changed::parse(aggregate) {
            self.changed(what, id).await;
        }
    }

    /// [`LiveIndex::reload`], logging a failure (the index keeps its content).
    pub async fn reload_or_log(&self) {
        if let Err(e) = self.reload().await {
            tracing::warn!(error = %e, "re-reading the matching index failed");
        }
    }

    /// Runs `work` on the engine on the blocking pool: a ranking scores every candidate, which
    /// takes milliseconds in a large index, and the async workers must stay free for other
    /// requests meanwhile. At most one ranking per processor runs at a time and the others queue
    /// in order of arrival: thirty-two rankings sharing two processors would each take sixteen
    /// times as long, finish in a random order (a long tail), and leave the short requests
    /// little processor time (README, Load benchmark).
    async fn read<T: Send + 'static>(&self, work: impl FnOnce(&Engine) -> T + Send + 'static) -> T {
        let engine = self.engine.clone();
        self.readers
            .run(move || work(&engine.read().expect("index lock")))
            .await
    }

    pub async fn rank_capabilities(&self, scenario: ScenarioDoc, limit: usize) -> Vec<Ranked> {
        self.read(move |engine| engine.rank_capabilities(&scenario, limit))
            .await
    }

    pub async fn explain(&self, scenario: ScenarioDoc, capability_id: &str) -> Option<Ranked> {
        let capability_id = capability_id.to_owned();
        self.read(move |engine| engine.explain(&scenario, &capability_id))
            .await
    }

    pub async fn rank_scenarios(&self, capability: CapabilityDoc, limit: usize) -> Vec<Ranked> {
        self.read(move |engine| engine.rank_scenarios(&capability, limit))
            .await
    }

    /// Free text over the scenarios; with `industries` (a list's industry filter, clusters
    /// expanded), only the hits in one of them.
    pub async fn search_scenarios(
        &self,
        query: &str,
        limit: usize,
        industries: Option<Vec<String>>,
    ) -> Vec<(String, f32)> {
        let query = query.to_owned();
        self.read(move |engine| engine.search_scenarios(&query, limit, industries.as_deref()))
            .await
    }

    /// Free text over the capabilities, as [`LiveIndex::search_scenarios`].
    pub async fn search_capabilities(
        &self,
        query: &str,
        limit: usize,
        industries: Option<Vec<String>>,
    ) -> Vec<(String, f32)> {
        let query = query.to_owned();
        self.read(move |engine| engine.search_capabilities(&query, limit, industries.as_deref()))
            .await
    }

    /// The words of a free-text query to mark in the texts it found (at most 16).
    pub fn marks(&self, query: &str) -> Vec<String> {
        self.tokenizer().marks(query, 16)
    }

    /// How many scenarios and capabilities the index holds.
    pub fn counts(&self) -> (usize, usize) {
        let engine = self.engine.read().expect("index lock");
        (engine.scenario_count(), engine.capability_count())
    }
}

/// Runs CPU-bound work on the blocking pool and waits for it. A panic in it is a bug in the
/// engine, raised again here.
async fn off_the_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// CPU-bound work on the blocking pool, at most `n` at a time; the rest wait in order of arrival.
#[derive(Debug)]
struct Turns(Arc<tokio::sync::Semaphore>);

impl Turns {
    fn new(n: usize) -> Turns {
        Turns(Arc::new(tokio::sync::Semaphore::new(n.max(1))))
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        // The turn is held until the work ends, even when its request is abandoned meanwhile.
        let turn = (self.0.clone().acquire_owned().await).expect("turns are never closed");
        off_the_workers(move || {
            let value = work();
            drop(turn);
            value
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_work_runs_at_once_than_there_are_turns() {
        let turns = Arc::new(Turns::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let (turns, running, most) = (turns.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    turns
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            // Long enough for the others to pile up at the gate.
                            std::thread::sleep(std::time::Duration::from_millis(5));
                            running.fetch_sub(1, Ordering::SeqCst);
                            i
                        })
                        .await
                })
            })
            .collect();
        let mut done = Vec::new();
        for task in tasks {
            done.push(task.await.expect("the work ran"));
        }
        assert_eq!(
            done,
            (0..12).collect::<Vec<_>>(),
            "every work gave its value"
        );
        assert!(
            most.load(Ordering::SeqCst) <= 2,
            "never more than two at once"
        );
        assert_eq!(running.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_caller_that_stops_waiting_holds_up_no_one() {
        let turns = Turns::new(1);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        // One work holds the only turn until told to finish.
        let holder = turns.run(move || rx.recv().ok());
        tokio::pin!(holder);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), &mut holder)
                .await
                .is_err(),
            "the first work holds the turn"
        );
        // A second caller gives up waiting.
        let waiting = turns.run(|| ());
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), waiting)
                .await
                .is_err()
        );
        tx.send(()).expect("the holder listens");
        assert_eq!(holder.await, Some(()));
        // The turn is free again: a third caller runs.
        assert_eq!(turns.run(|| 7).await, 7);
    }
}

//! The live matching index: the pure engine loaded with every open scenario and every matchable
//! capability, kept current one item at a time.
//!
//! This room knows documents, not rows. The slices that own the rows turn them into documents
//! ([`Documents`], given at start-up) and tell the index when an item changed; the cross-instance
//! feed does the same through [`LiveIndex::changed`]. Nothing here reads a table by itself.

use std::sync::{Arc, OnceLock, RwLock};

use futures_util::future::BoxFuture;

use crate::matching::{CapabilityDoc, Engine, Ranked, ScenarioDoc, Tokenizer, WordVectors, World};

pub type Loaded<'a, T> = BoxFuture<'a, Result<T, sqlx::Error>>;

/// Which kind of item changed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Changed {
    Scenario,
    Capability,
    /// An organization: its capabilities may have become matchable or stopped being so.
    Organization,
}

impl Changed {
    pub fn parse(aggregate: &str) -> Option<Changed> {
        match aggregate {
            "SCENARIO" => Some(Changed::Scenario),
            "CAPABILITY" => Some(Changed::Capability),
            "ORGANIZATION" => Some(Changed::Organization),
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
}

pub struct LiveIndex {
    /// Ranking and rebuilding take the engine to the blocking pool, so the lock and the engine
    /// are shared with that thread.
    engine: Arc<RwLock<Engine>>,
    world: World,
    tokenizer: Arc<Tokenizer>,
    vectors: Arc<WordVectors>,
    documents: Arc<dyn Documents>,
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
            tokenizer,
            vectors,
            documents,
        }
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

    /// Replaces the whole content with what the documents say now.
    pub async fn reload(&self) -> Result<(), sqlx::Error> {
        let (scenarios, capabilities) = self.documents.all().await?;
        let (world, tokenizer) = (self.world.clone(), self.tokenizer.clone());
        let vectors = self.vectors.clone();
        // Tokenizing every item is seconds of CPU at a province's size: not on an async worker.
        let engine = off_the_workers(move || {
            let mut engine = Engine::with_tokenizer(world, tokenizer).with_vectors(Some(vectors));
            engine.load(&scenarios, &capabilities);
            engine
        })
        .await;
        *self.engine.write().expect("index lock") = engine;
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
    /// requests meanwhile.
    async fn read<T: Send + 'static>(&self, work: impl FnOnce(&Engine) -> T + Send + 'static) -> T {
        let engine = self.engine.clone();
        off_the_workers(move || work(&engine.read().expect("index lock"))).await
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

    pub async fn search_scenarios(&self, query: &str, limit: usize) -> Vec<(String, f32)> {
        let query = query.to_owned();
        self.read(move |engine| engine.search_scenarios(&query, limit))
            .await
    }

    pub async fn search_capabilities(&self, query: &str, limit: usize) -> Vec<(String, f32)> {
        let query = query.to_owned();
        self.read(move |engine| engine.search_capabilities(&query, limit))
            .await
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

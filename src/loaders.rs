//! Per-request loaders that batch without a timer. Each request gets fresh loaders, so nothing
//! cached crosses from one viewer to another. A resolver that needs a related object asks its
//! request's loader for it and waits; the request runs on ([`batched`]) until every resolver is
//! waiting, and only then does each loader with waiting keys run one query for all of them. So a
//! page costs one query per kind of object and level, whatever its size, and a single item costs
//! no more than its queries: no window is waited for.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};

use async_graphql::Context;
use async_graphql::dataloader::Loader;
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::oneshot;

use crate::error::{AppError, AppResult};

type Loaded<V> = Result<Option<V>, Arc<sqlx::Error>>;

/// The loads one request has asked for and not started yet.
#[derive(Default)]
pub struct Batches {
    asked: Mutex<Vec<Arc<dyn Flush>>>,
}

impl Batches {
    pub fn new() -> Arc<Batches> {
        Arc::new(Batches::default())
    }

    fn ask(&self, loader: Arc<dyn Flush>) {
        self.asked.lock().expect("batches lock").push(loader);
    }

    fn take(&self) -> Vec<Arc<dyn Flush>> {
        std::mem::take(&mut *self.asked.lock().expect("batches lock"))
    }
}

/// A loader with waiting keys: one query for all of them.
trait Flush: Send + Sync {
    fn flush(self: Arc<Self>) -> BoxFuture<'static, ()>;
}

/// One request's loader of `T`, with its cache.
pub struct RequestLoader<T: Loader<String>> {
    loader: T,
    state: Mutex<State<T::Value>>,
    batches: Arc<Batches>,
}

struct State<V> {
    loaded: HashMap<String, Option<V>>,
    /// Keys asked for since the last query.
    asked: Vec<String>,
    /// Who waits for each key asked for or being loaded.
    waiting: HashMap<String, Vec<oneshot::Sender<Loaded<V>>>>,
}

impl<T> RequestLoader<T>
where
    T: Loader<String, Error = Arc<sqlx::Error>>,
{
    /// A loader whose queries run when the request driven by [`batched`] with `batches` waits.
    pub fn new(loader: T, batches: &Arc<Batches>) -> Arc<RequestLoader<T>> {
        Arc::new(RequestLoader {
            loader,
            state: Mutex::new(State {
                loaded: HashMap::new(),
                asked: Vec::new(),
                waiting: HashMap::new(),
            }),
            batches: batches.clone(),
        })
    }

    /// The value for `key` (`None` when there is none), from the cache or the next batch.
    pub async fn load(self: &Arc<Self>, key: &str) -> Loaded<T::Value> {
        let answer = {
            let mut state = self.state.lock().expect("loader lock");
            if let Some(value) = state.loaded.get(key) {
                return Ok(value.clone());
            }
            let (tx, rx) = oneshot::channel();
            match state.waiting.get_mut(key) {
                Some(waiting) => waiting.push(tx),
                None => {
                    state.waiting.insert(key.to_owned(), vec![tx]);
                    state.asked.push(key.to_owned());
                    if state.asked.len() == 1 {
                        self.batches.ask(self.clone());
                    }
                }
            }
            rx
        };
        // The sender goes only with the request itself.
        answer.await.unwrap_or(Ok(None))
    }
}

impl<T> Flush for RequestLoader<T>
where
    T: Loader<String, Error = Arc<sqlx::Error>>,
{
    fn flush(self: Arc<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let keys = std::mem::take(&mut self.state.lock().expect("loader lock").asked);
            if keys.is_empty() {
                return;
            }
            let result = self.loader.load(&keys).await;
            let mut state = self.state.lock().expect("loader lock");
            for key in keys {
                let value = match &result {
                    Ok(found) => Ok(found.get(&key).cloned()),
                    Err(e) => Err(e.clone()),
                };
                if let Ok(value) = &value {
                    state.loaded.insert(key.clone(), value.clone());
                }
                for waiter in state.waiting.remove(&key).unwrap_or_default() {
                    let _ = waiter.send(value.clone());
                }
            }
        })
    }
}

/// Runs `request` and, each time it can go no further, the loads it asked for meanwhile, on the
/// request's own task.
pub fn batched<F: Future>(batches: &Arc<Batches>, request: F) -> Batched<F> {
    Batched {
        request: Box::pin(request),
        batches: batches.clone(),
        loads: FuturesUnordered::new(),
        runnable: Arc::new(Runnable::default()),
    }
}

pub struct Batched<F> {
    request: Pin<Box<F>>,
    batches: Arc<Batches>,
    loads: FuturesUnordered<BoxFuture<'static, ()>>,
    runnable: Arc<Runnable>,
}

/// The request's waker: it notes that the request can go on (a list of resolvers that polls a
/// few of them at a time wakes itself to poll the rest) and passes the wake on to the task.
#[derive(Default)]
struct Runnable {
    woken: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl Wake for Runnable {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        if let Some(task) = self.task.lock().expect("waker lock").as_ref() {
            task.wake_by_ref();
        }
    }
}

/// How often in a row a request that wakes itself is polled again before the task gives the
/// runtime a turn (a resource out of its budget wakes its task at once, and only a turn of the
/// runtime restores the budget).
const SELF_WAKES: usize = 64;

impl<F: Future> Future for Batched<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        {
            let mut task = this.runnable.task.lock().expect("waker lock");
            if !task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
                *task = Some(cx.waker().clone());
            }
        }
        let waker = Waker::from(this.runnable.clone());
        let mut self_wakes = 0;
        loop {
            this.runnable.woken.store(false, Ordering::SeqCst);
            if let Poll::Ready(output) = this
                .request
                .as_mut()
                .poll(&mut TaskContext::from_waker(&waker))
            {
                return Poll::Ready(output);
            }
            if this.runnable.woken.load(Ordering::SeqCst) {
                // Resolvers are still to run: their keys belong in the same batches.
                self_wakes += 1;
                if self_wakes < SELF_WAKES {
                    continue;
                }
                return Poll::Pending;
            }
            // Every resolver that could run has run: the keys they asked for form the batches.
            for loader in this.batches.take() {
                this.loads.push(loader.flush());
            }
            let mut answered = false;
            while let Poll::Ready(Some(())) = this.loads.poll_next_unpin(cx) {
                answered = true;
            }
            if !answered {
                return Poll::Pending;
            }
        }
    }
}

/// Loads one value through the request's loader of type `T`.
pub async fn load_one<T>(ctx: &Context<'_>, key: &str) -> AppResult<Option<T::Value>>
where
    T: Loader<String, Error = Arc<sqlx::Error>>,
{
    let loader = ctx
        .data::<Arc<RequestLoader<T>>>()
        .map_err(|_| AppError::internal(format!("no {} here", std::any::type_name::<T>())))?;
    loader
        .load(key)
        .await
        .map_err(|e| AppError::internal(format!("loading {}: {e}", std::any::type_name::<T>())))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Doubles numbers, counting its queries and the keys of each.
    #[derive(Default)]
    struct Doubler {
        batches: Mutex<Vec<Vec<String>>>,
        queries: AtomicUsize,
    }

    struct Counting(Arc<Doubler>);

    impl Loader<String> for Counting {
        type Value = String;
        type Error = Arc<sqlx::Error>;

        async fn load(&self, keys: &[String]) -> Result<HashMap<String, String>, Self::Error> {
            self.0.queries.fetch_add(1, Ordering::SeqCst);
            self.0.batches.lock().unwrap().push(keys.to_vec());
            // A query takes a turn of the runtime, as a real one does.
            tokio::task::yield_now().await;
            Ok(keys
                .iter()
                .filter(|k| *k != "missing")
                .map(|k| (k.clone(), (k.parse::<i64>().unwrap() * 2).to_string()))
                .collect())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn each_level_is_one_query_and_no_timer_is_waited_for() {
        let doubler = Arc::new(Doubler::default());
        let batches = Batches::new();
        let loader = RequestLoader::new(Counting(doubler.clone()), &batches);
        let started = tokio::time::Instant::now();
        // Ten resolvers ask for a value, then for the value of what they got (two levels), and
        // one asks for what the first level already loaded.
        let request = futures_util::future::join_all((1..=10).map(|i| {
            let loader = loader.clone();
            async move {
                let first = loader.load(&i.to_string()).await.unwrap().unwrap();
                let second = loader.load(&first).await.unwrap().unwrap();
                let again = loader.load("1").await.unwrap().unwrap();
                (second, again)
            }
        }));
        let answers = batched(&batches, request).await;
        assert_eq!(answers[2], ("12".to_owned(), "2".to_owned()));
        assert_eq!(
            tokio::time::Instant::now(),
            started,
            "no timer was waited for"
        );
        let seen = doubler.batches.lock().unwrap().clone();
        assert_eq!(seen.len(), 2, "one query per level: {seen:?}");
        assert_eq!(seen[0].len(), 10);
        // 2, 4, …, 10 were loaded by the first level already.
        assert_eq!(seen[1].len(), 5, "{seen:?}");
        assert_eq!(doubler.queries.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn resolvers_polled_a_few_at_a_time_still_share_one_batch() {
        let doubler = Arc::new(Doubler::default());
        let batches = Batches::new();
        let loader = RequestLoader::new(Counting(doubler.clone()), &batches);
        // A set of futures stops polling its members once two of them woke themselves, and
        // wakes itself to go on: the keys of the ones after must join the same batch.
        let request: FuturesUnordered<_> = (1..=20)
            .map(|i| {
                let loader = loader.clone();
                async move {
                    if i % 2 == 0 {
                        // Wakes itself at once, as a set of futures out of its turn does.
                        let mut yielded = false;
                        std::future::poll_fn(|cx| {
                            if yielded {
                                return Poll::Ready(());
                            }
                            yielded = true;
                            cx.waker().wake_by_ref();
                            Poll::Pending
                        })
                        .await;
                    }
                    loader.load(&i.to_string()).await.unwrap().unwrap()
                }
            })
            .collect();
        let answers: Vec<String> = batched(&batches, request.collect()).await;
        assert_eq!(answers.len(), 20);
        let seen = doubler.batches.lock().unwrap().clone();
        assert_eq!(seen.len(), 1, "{seen:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_missing_key_is_none_and_asked_once() {
        let doubler = Arc::new(Doubler::default());
        let batches = Batches::new();
        let loader = RequestLoader::new(Counting(doubler.clone()), &batches);
        let request = futures_util::future::join(loader.load("missing"), loader.load("missing"));
        let (a, b) = batched(&batches, request).await;
        assert_eq!((a.unwrap(), b.unwrap()), (None, None));
        let again = batched(&batches, loader.load("missing")).await;
        assert_eq!(again.unwrap(), None);
        assert_eq!(doubler.queries.load(Ordering::SeqCst), 1);
    }
}

//! What the service tells the people who run it (README, "Operations"): its log, as text or as
//! JSON lines that each carry the id of the request they belong to, and its metrics in the
//! Prometheus text format, served at `GET /metrics`.
//!
//! The metrics live in one [`Metrics`] per service (not in a process-wide registry), so that
//! every test's service counts only its own requests.

use std::collections::HashSet;
use std::sync::Mutex;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::core::Collector;
use prometheus::{
    Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};
use tracing_subscriber::EnvFilter;

use crate::db::ConnectionUse;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One line of text per event, for a person reading a terminal or a journal.
    Text,
    /// One JSON object per line with the fields of the event and of its spans (the request's id,
    /// method, path, operation and viewer), for a log collector.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<LogFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!(
                "unknown log format {other:?}: expected text or json"
            )),
        }
    }
}

/// Starts the log on standard output at the level `RUST_LOG` says (`info` by default).
pub fn init_logging(format: LogFormat) {
    use std::io::IsTerminal as _;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        // Colours only for a terminal: a log file or a journal gets plain text.
        LogFormat::Text => builder.with_ansi(std::io::stdout().is_terminal()).init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init(),
    }
}

/// The header that names a request, in the request and in its response.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a client; a longer one is replaced.
const MAX_REQUEST_ID: usize = 64;

/// A request id a client (or the proxy in front) sent that is fit to be logged: 1 to 64
/// characters of letters, digits and `-_.:`. Anything else is replaced by a generated one.
fn usable_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_REQUEST_ID
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The outermost layer of the router: every request gets an id, the one its `x-request-id`
/// header carries when that is usable, a new UUID otherwise. The request's log span records it
/// and the response returns it in the same header.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = match request.headers().get(&REQUEST_ID) {
        Some(value) if usable_request_id(value) => value.clone(),
        _ => {
            let generated = HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
                .expect("a UUID is a valid header value");
            request
                .headers_mut()
                .insert(REQUEST_ID.clone(), generated.clone());
            generated
        }
    };
    let mut response = next.run(request).await;
    response.headers_mut().insert(REQUEST_ID.clone(), id);
    response
}

/// Distinct operation names counted at most; names beyond it, and names longer than
/// [`MAX_OPERATION_NAME`], count as `other`, so that clients inventing names cannot grow the
/// metrics without bound.
const MAX_OPERATIONS: usize = 200;
const MAX_OPERATION_NAME: usize = 64;

/// The label of requests that named no operation.
const ANONYMOUS: &str = "anonymous";

/// The service's metrics. Counters and histograms are updated as requests are answered; the
/// gauges are set from [`Snapshot`]s taken when `/metrics` is read.
pub struct Metrics {
    registry: Registry,
    graphql_requests: IntCounterVec,
    graphql_seconds: HistogramVec,
    graphql_errors: IntCounterVec,
    http_responses: IntCounterVec,
    db_connections: IntGaugeVec,
    db_connections_max: IntGaugeVec,
    outbox: IntGaugeVec,
    outbox_oldest_seconds: Gauge,
    index_items: IntGaugeVec,
    index_rebuilt: Gauge,
    live_subscriptions: IntGauge,
    resident_bytes: IntGauge,
    operations: Mutex<HashSet<String>>,
}

/// What the gauges show, gathered from the database, the outbox, the index and the process
/// when `/metrics` is read.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The connections of each pool of the database, by pool name.
    pub connections: Vec<(&'static str, ConnectionUse)>,
    pub outbox_pending: i64,
    pub outbox_failed: i64,
    /// Seconds the oldest e-mail still to be sent has waited; 0 when none waits.
    pub outbox_oldest_seconds: f64,
    pub index_scenarios: usize,
    pub index_capabilities: usize,
    /// Unix time of the last full rebuild of the matching index.
    pub index_rebuilt_at: Option<f64>,
    pub live_subscriptions: usize,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        fn add<C: Collector + Clone + 'static>(registry: &Registry, collector: C) -> C {
            registry
                .register(Box::new(collector.clone()))
                .expect("metric names are distinct");
            collector
        }
        let counter = |name: &str, help: &str, labels: &[&str]| {
            add(
                &registry,
                IntCounterVec::new(Opts::new(name, help), labels).expect("a valid counter"),
            )
        };
        let gauges = |name: &str, help: &str, labels: &[&str]| {
            add(
                &registry,
                IntGaugeVec::new(Opts::new(name, help), labels).expect("a valid gauge"),
            )
        };
        Metrics {
            graphql_requests: counter(
                "twolists_graphql_requests_total",
                "GraphQL requests answered, by operation name.",
                &["operation"],
            ),
            graphql_seconds: add(
                &registry,
                HistogramVec::new(
                    HistogramOpts::new(
                        "twolists_graphql_request_duration_seconds",
                        "Time to answer a GraphQL request, by operation name.",
                    )
                    .buckets(vec![
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                    ]),
                    &["operation"],
                )
                .expect("a valid histogram"),
            ),
            graphql_errors: counter(
                "twolists_graphql_errors_total",
                "Errors in GraphQL responses, by error code.",
                &["code"],
            ),
            http_responses: counter(
                "twolists_http_responses_total",
                "HTTP responses, by status code.",
                &["status"],
            ),
            db_connections: gauges(
                "twolists_db_connections",
                "Open database connections: the pool, and the connections kept for single reads.",
                &["pool", "state"],
            ),
            db_connections_max: gauges(
                "twolists_db_connections_max",
                "Most database connections each pool opens.",
                &["pool"],
            ),
            outbox: gauges(
                "twolists_mail_outbox",
                "E-mails in the outbox still to be sent (pending) and given up (failed).",
                &["status"],
            ),
            outbox_oldest_seconds: add(
                &registry,
                Gauge::new(
                    "twolists_mail_outbox_oldest_pending_seconds",
                    "How long the oldest e-mail still to be sent has waited.",
                )
                .expect("a valid gauge"),
            ),
            index_items: gauges(
                "twolists_index_items",
                "Items in the matching index, by kind.",
                &["kind"],
            ),
            index_rebuilt: add(
                &registry,
                Gauge::new(
                    "twolists_index_rebuilt_timestamp_seconds",
                    "When the matching index was last rebuilt from the database (Unix time).",
                )
                .expect("a valid gauge"),
            ),
            live_subscriptions: add(
                &registry,
                IntGauge::new(
                    "twolists_live_subscriptions",
                    "Live GraphQL subscriptions held by this instance.",
                )
                .expect("a valid gauge"),
            ),
            resident_bytes: add(
                &registry,
                IntGauge::new(
                    "twolists_process_resident_memory_bytes",
                    "Resident memory of the service's process.",
                )
                .expect("a valid gauge"),
            ),
            operations: Mutex::new(HashSet::new()),
            registry,
        }
    }

    /// Adds a collector another part of the service keeps (the index's refresh histogram).
    pub fn register(&self, collector: Box<dyn Collector>) {
        if let Err(e) = self.registry.register(collector) {
            tracing::warn!(error = %e, "a metric was not registered");
        }
    }

    /// Counts a GraphQL request answered in `seconds` under its operation name, and the codes of
    /// the errors its response carries.
    pub fn graphql_answered<'a>(
        &self,
        operation: Option<&str>,
        seconds: f64,
        error_codes: impl IntoIterator<Item = &'a str>,
    ) {
        let label = self.operation_label(operation);
        self.graphql_requests.with_label_values(&[label]).inc();
        self.graphql_seconds
            .with_label_values(&[label])
            .observe(seconds);
        for code in error_codes {
            self.graphql_errors.with_label_values(&[code]).inc();
        }
    }

    /// The label of an operation name: the name while the number of distinct names stays
    /// bounded, `other` after that, `anonymous` for none.
    fn operation_label<'a>(&self, operation: Option<&'a str>) -> &'a str {
        let Some(name) = operation.filter(|name| !name.is_empty()) else {
            return ANONYMOUS;
        };
        let mut known = self.operations.lock().expect("operations lock");
        if known.contains(name) {
            return name;
        }
        if known.len() < MAX_OPERATIONS && name.len() <= MAX_OPERATION_NAME {
            known.insert(name.to_owned());
            return name;
        }
        "other"
    }

    /// Counts an HTTP response by its status.
    pub fn http_answered(&self, status: axum::http::StatusCode) {
        self.http_responses
            .with_label_values(&[status.as_str()])
            .inc();
    }

    /// The metrics in the Prometheus text format, with the gauges set from `snapshot`.
    pub fn render(&self, snapshot: &Snapshot) -> String {
        for &(pool, connections) in &snapshot.connections {
            let set = |state: &str, value: usize| {
                self.db_connections
                    .with_label_values(&[pool, state])
                    .set(value as i64)
            };
            set("idle", connections.idle);
            set("busy", connections.busy);
            self.db_connections_max
                .with_label_values(&[pool])
                .set(connections.max as i64);
        }
        self.outbox
            .with_label_values(&["pending"])
            .set(snapshot.outbox_pending);
        self.outbox
            .with_label_values(&["failed"])
            .set(snapshot.outbox_failed);
        self.outbox_oldest_seconds
            .set(snapshot.outbox_oldest_seconds);
        self.index_items
            .with_label_values(&["scenario"])
            .set(snapshot.index_scenarios as i64);
        self.index_items
            .with_label_values(&["capability"])
            .set(snapshot.index_capabilities as i64);
        self.index_rebuilt
            .set(snapshot.index_rebuilt_at.unwrap_or(0.0));
        self.live_subscriptions
            .set(snapshot.live_subscriptions as i64);
        if let Some(bytes) = resident_bytes() {
            self.resident_bytes.set(bytes);
        }
        let mut text = String::new();
        if let Err(e) =
            prometheus::TextEncoder::new().encode_utf8(&self.registry.gather(), &mut text)
        {
            tracing::warn!(error = %e, "encoding the metrics failed");
        }
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// The process's resident memory, from `/proc/self/status` (Linux; none elsewhere).
fn resident_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The operation a GraphQL request ran, as the executor resolved it (the request's
/// `operationName`, or the name of the document's only operation); set by the schema's
/// operation extension and read once the request is answered.
#[derive(Default)]
pub struct Operation(Mutex<Option<String>>);

impl Operation {
    pub fn set(&self, name: Option<&str>) {
        *self.0.lock().expect("operation lock") = name.map(str::to_owned);
    }

    pub fn take(&self) -> Option<String> {
        self.0.lock().expect("operation lock").take()
    }
}

/// Whether `given` equals `expected`, in a time that does not depend on where they differ.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_from_clients_are_kept_only_when_fit_to_log() {
        let fit = |s: &str| usable_request_id(&HeaderValue::from_str(s).unwrap());
        assert!(fit("7f0c-42.a_b:1"));
        assert!(fit(&"a".repeat(64)));
        assert!(!fit(&"a".repeat(65)));
        assert!(!fit(""));
        assert!(!fit("a b"));
        assert!(!fit("a\"b"));
    }

    #[test]
    fn operation_names_beyond_the_bound_count_as_other() {
        let metrics = Metrics::new();
        // Too long a name is `other` even while there is room.
        metrics.graphql_answered(Some(&"Long".repeat(20)), 0.001, []);
        for n in 0..MAX_OPERATIONS {
            metrics.graphql_answered(Some(&format!("Op{n}")), 0.001, []);
        }
        metrics.graphql_answered(Some("OneTooMany"), 0.001, []);
        metrics.graphql_answered(Some("Op0"), 0.001, []);
        metrics.graphql_answered(None, 0.001, ["BAD_REQUEST"]);
        let text = metrics.render(&Snapshot::default());
        assert!(text.contains(r#"twolists_graphql_requests_total{operation="other"} 2"#));
        assert!(text.contains(r#"twolists_graphql_requests_total{operation="Op0"} 2"#));
        assert!(text.contains(r#"twolists_graphql_requests_total{operation="anonymous"} 1"#));
        assert!(text.contains(r#"twolists_graphql_errors_total{code="BAD_REQUEST"} 1"#));
        assert!(!text.contains("OneTooMany"));
        assert!(!text.contains("LongLong"));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"token-1", b"token-1"));
        assert!(!same_secret(b"token-1", b"token-2"));
        assert!(!same_secret(b"token", b"token-1"));
    }
}

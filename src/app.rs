//! The application: start-up (database, migrations, reference data, keys) and the HTTP router.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::future::BoxFuture;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::json;
use tokio::sync::{Notify, watch};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::audit::Origin;
use crate::auth::{self, JwtKeys, UserLoader, Viewer};
use crate::background::{Resources, ScheduleSettings, Scheduler};
use crate::capabilities::CapabilityLoader;
use crate::config::Config;
use crate::db::Db;
use crate::error::AppError;
use crate::events::TimelineLoader;
use crate::graphql::{self, AppSchema};
use crate::items::ContactPartnersLoader;
use crate::loaders::{Batches, RequestLoader};
use crate::mail::worker::{MailSettings, MailWorker};
use crate::matches::documents::ListDocuments;
use crate::notifications::Feed;
use crate::notifications::feed::{ChangeListener, stopped};
use crate::orgs::OrganizationLoader;
use crate::scenarios::ScenarioLoader;
use crate::search::{Changed, LiveIndex};
use crate::taxonomy::Taxonomy;
use crate::telemetry::{self, Metrics, Operation, Snapshot};
use crate::viewer::ClientAddr;
use crate::{alerts, events, loaders, matches, notifications, proposals};
use axum::Extension;

/// What every recorded event runs, in order, inside its transaction: the change notice to other
/// instances, the notifications it causes, the 对接 cascade when a scenario ends, and the
/// invitation of a proposer's capability when the scenario adopted from its proposal is published.
pub const EVENT_HANDLERS: &[events::Handler] = &[
    notifications::feed::on_event,
    notifications::on_event,
    matches::steps::on_scenario_event,
    proposals::on_scenario_event,
    alerts::on_event,
];

/// Everything a request needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub schema: AppSchema,
    pub jwt: Arc<JwtKeys>,
    pub taxonomy: Arc<Taxonomy>,
    pub index: Arc<LiveIndex>,
    /// The service's public address without a trailing slash (links in pages and feeds).
    pub site: Arc<str>,
    pub feed: Arc<Feed>,
    /// Wakes the e-mail worker before its next poll.
    pub mail_wake: Arc<Notify>,
    mail: MailSettings,
    database_url: String,
    shutdown: Arc<watch::Sender<bool>>,
    body_limit_bytes: usize,
    /// Origins allowed to call the API from a browser on another site.
    cors_origins: Vec<header::HeaderValue>,
    /// GraphiQL at GET /graphql (and, in the schema, introspection and suggestions).
    explorer: bool,
    /// Longest a request may take, body included (a client that trickles its body is answered
    /// 408 and let go).
    request_timeout: Duration,
    pub metrics: Arc<Metrics>,
    /// When set, `/metrics` answers only requests that bear it.
    metrics_token: Option<String>,
    /// The scheduled work (its clock is the one tests move on).
    pub scheduler: Scheduler,
}

impl axum::extract::FromRef<AppState> for crate::web::portal::Portal {
    fn from_ref(state: &AppState) -> crate::web::portal::Portal {
        crate::web::portal::Portal {
            db: state.db.clone(),
            taxonomy: state.taxonomy.clone(),
            index: state.index.clone(),
            site: state.site.clone(),
        }
    }
}

impl axum::extract::FromRef<AppState> for Arc<JwtKeys> {
    fn from_ref(state: &AppState) -> Arc<JwtKeys> {
        state.jwt.clone()
    }
}

impl axum::extract::FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Db {
        state.db.clone()
    }
}

/// The service's own tasks, stopped by [`Background::stop`].
pub struct Background {
    scheduler: tokio::task::JoinHandle<()>,
    feed: tokio::task::JoinHandle<()>,
    mail: tokio::task::JoinHandle<()>,
}

impl Background {
    /// Waits for the e-mail batch in progress and the feed to finish (at most `grace`), after
    /// [`AppState::begin_shutdown`].
    pub async fn stop(self, grace: Duration) {
        let finish = async {
            let _ = self.mail.await;
            let _ = self.feed.await;
            let _ = self.scheduler.await;
        };
        if tokio::time::timeout(grace, finish).await.is_err() {
            tracing::warn!("background work did not finish within the grace period");
        }
    }
}

impl AppState {
    /// Connects, migrates, loads the reference data and the signing key: after this the service
    /// can answer every request, on an empty database too.
    pub async fn start(config: &Config) -> anyhow::Result<AppState> {
        events::install(EVENT_HANDLERS);
        notifications::install_public_pages(crate::web::portal::public_page);
        let cors_origins = config
            .cors_origins
            .iter()
            .map(|origin| {
                origin
                    .parse::<header::HeaderValue>()
                    .ok()
                    .filter(|_| origin.starts_with("http://") || origin.starts_with("https://"))
                    .with_context(|| format!("the CORS origin {origin:?} is not an origin"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        prepare_data_dir(config)?;
        let db = Db::connect(&config.database_url()).await?;
        db.migrate().await?;
        let taxonomy = Taxonomy::bundled();
        taxonomy.seed(&db).await.context("loading reference data")?;
        db.gather_statistics()
            .await
            .context("gathering the query planner's statistics")?;
        if crate::thesaurus::service::seed(&db)
            .await
            .context("writing the shipped thesaurus")?
        {
            tracing::info!("wrote the shipped thesaurus groups");
        }
        let jwt = Arc::new(JwtKeys::load(
            config.jwt_secret.as_deref(),
            &config.data_dir,
        )?);
        auth::warm_up().await?;
        let index = Arc::new(
            LiveIndex::load(
                taxonomy.matching_world(),
                config.word_vectors()?,
                Arc::new(ListDocuments::new(db.clone())),
            )
            .await
            .context("loading the matching index")?,
        );

        let (shutdown, stopping) = watch::channel(false);
        let feed = Feed::new(stopping);
        let mail_wake = Arc::new(Notify::new());
        let mail = MailSettings {
            smtp_url: config.smtp_url.clone(),
            outbox_dir: config.data_dir.join("outbox"),
            from: config.mail_from.clone(),
            public_url: config.public_url.clone(),
            retry_base: config.mail_retry_base,
            max_attempts: config.mail_max_attempts,
            poll_interval: config.mail_poll_interval,
        };
        // Refuse a bad SMTP URL or From address at start rather than at the first e-mail.
        MailWorker::new(db.clone(), mail.clone(), mail_wake.clone())?;

        let mut builder = graphql::schema_builder()
            .data(db.clone())
            .data(jwt.clone())
            .data(taxonomy.clone())
            .data(index.clone())
            .data(feed.clone())
            .data(mail_wake.clone());
        if !config.explorer {
            builder = builder.disable_introspection().disable_suggestions();
        }
        let metrics = Arc::new(Metrics::new());
        metrics.register(Box::new(index.refresh_histogram()));
        let scheduler = Scheduler::new(
            Resources {
                db: db.clone(),
                index: index.clone(),
                taxonomy: taxonomy.clone(),
                jwt: jwt.clone(),
            },
            config.clock.clone(),
            ScheduleSettings {
                reminder_days: config.deadline_reminder_days,
                poll_interval: config.job_poll_interval,
                digest_hour: config.digest_hour,
            },
        );
        Ok(AppState {
            scheduler,
            db,
            schema: builder.finish(),
            jwt,
            taxonomy,
            index,
            site: Arc::from(config.public_url.trim_end_matches('/')),
            feed,
            mail_wake,
            mail,
            database_url: config.database_url(),
            shutdown: Arc::new(shutdown),
            body_limit_bytes: config.body_limit_bytes,
            cors_origins,
            explorer: config.explorer,
            request_timeout: config.request_timeout,
            metrics,
            metrics_token: config.metrics_token.clone(),
        })
    }

    /// The database this application runs on.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// Tells the background work and every subscription to end: the first step of a graceful
    /// shutdown (HTTP requests in flight are finished by the server).
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Work the service does by itself: the e-mail worker, the notification feed, and the
    /// scheduled jobs (`background`). Safe with several instances: e-mails and jobs are leased in
    /// the database.
    pub fn spawn_background(&self) -> anyhow::Result<Background> {
        let worker = MailWorker::new(self.db.clone(), self.mail.clone(), self.mail_wake.clone())?;
        let mail = tokio::spawn(worker.run(self.shutdown.subscribe()));
        let feed = self.feed.spawn(
            self.db.clone(),
            self.database_url.clone(),
            Arc::new(IndexListener(self.index.clone())),
        );
        let scheduler = tokio::spawn(
            self.scheduler
                .clone()
                .run_until_stopped(self.shutdown.subscribe()),
        );
        Ok(Background {
            scheduler,
            feed,
            mail,
        })
    }

    pub fn router(&self) -> Router {
        let graphql = if self.explorer {
            get(crate::web::graphiql::page).post(graphql_post)
        } else {
            axum::routing::post(graphql_post)
        };
        let router = Router::new()
            .route("/graphql", graphql)
            .route("/graphql/ws", get(graphql_ws))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .route("/exports/editions/{file}", get(export_edition))
            .route("/exports/templates/scenarios.xlsx", get(scenario_template))
            .route("/exports/{file}", get(export_list))
            .merge(crate::web::routes())
            .layer(DefaultBodyLimit::max(self.body_limit_bytes))
            .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                self.request_timeout,
            ))
            .with_state(self.clone());
        let router = if self.cors_origins.is_empty() {
            router
        } else {
            router.layer(
                tower_http::cors::CorsLayer::new()
                    .allow_origin(self.cors_origins.clone())
                    .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
                    .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
                    .max_age(Duration::from_secs(3600)),
            )
        };
        // Headers on every response: no content-type sniffing, no framing by another site
        // (GraphiQL and the account pages included), no referrer sent on. TLS and its header
        // belong to the proxy in front of the service.
        let header = |name, value: &'static str| {
            SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
        };
        router
            .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .layer(header(header::X_FRAME_OPTIONS, "DENY"))
            .layer(header(
                header::CONTENT_SECURITY_POLICY,
                "frame-ancestors 'none'",
            ))
            .layer(header(header::REFERRER_POLICY, "no-referrer"))
            .layer(
                tower_http::trace::TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_request(())
                    .on_response(log_response(self.metrics.clone()))
                    .on_body_chunk(())
                    .on_eos(())
                    .on_failure(()),
            )
            .layer(axum::middleware::from_fn(telemetry::request_id))
    }
}

/// The span of a request, in which its log lines are written: its id (the `x-request-id` that
/// [`telemetry::request_id`] settled), method and path (never the query string, which may carry
/// a token); the GraphQL handler adds the operation name and the viewer. Tokens, passwords and
/// bodies are never logged.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get(&telemetry::REQUEST_ID)
        .and_then(|id| id.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
        operation = tracing::field::Empty,
        viewer = tracing::field::Empty,
    )
}

/// The one log line of a request, its status and duration in its span, and its count in the
/// metrics.
fn log_response(metrics: Arc<Metrics>) -> impl Fn(&Response, Duration, &tracing::Span) + Clone {
    move |response, latency, _| {
        metrics.http_answered(response.status());
        tracing::info!(
            status = response.status().as_u16(),
            ms = %format_args!("{:.1}", latency.as_secs_f64() * 1000.0),
            "answered"
        );
    }
}

/// The data folder and everything the service keeps in it are private to its user: the folder
/// 0700, the embedded database with its journal files, the signing key and outgoing mail 0600.
/// A folder or file that is not is made so at start, with a log line.
pub fn prepare_data_dir(config: &Config) -> anyhow::Result<()> {
    make_private(config).with_context(|| format!("preparing {}", config.data_dir.display()))
}

fn make_private(config: &Config) -> std::io::Result<()> {
    let dir = &config.data_dir;
    crate::config::private_dir(dir)?;
    if config.database_url.is_none() {
        crate::config::create_private_file(&dir.join("twolists.db"))?;
        for journal in ["twolists.db-wal", "twolists.db-shm"] {
            crate::config::private_file(&dir.join(journal))?;
        }
    }
    crate::config::private_file(&dir.join("jwt-secret"))?;
    let outbox = dir.join("outbox");
    if outbox.is_dir() {
        crate::config::private_dir(&outbox)?;
        for entry in std::fs::read_dir(&outbox)? {
            crate::config::private_file(&entry?.path())?;
        }
    }
    Ok(())
}

/// The matching index hears, through the feed, what other instances changed.
struct IndexListener(Arc<LiveIndex>);

impl ChangeListener for IndexListener {
    fn changed<'a>(&'a self, aggregate: &'a str, id: &'a str) -> BoxFuture<'a, ()> {
        if Changed::parse(aggregate) == Some(Changed::Thesaurus) {
            // It may rebuild the whole index: the feed goes on delivering meanwhile.
            let index = self.0.clone();
            tokio::spawn(async move { index.changed(Changed::Thesaurus, "").await });
            return Box::pin(async {});
        }
        Box::pin(self.0.changed_aggregate(aggregate, id))
    }

    fn reload(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.0.reload_or_log())
    }
}

/// A response in GraphQL's error shape for failures before execution.
fn request_error(status: StatusCode, err: AppError) -> Response {
    let body = json!({
        "data": null,
        "errors": [{ "message": err.public_message(), "extensions": { "code": err.code() } }],
    });
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            "Bearer".parse().expect("static header"),
        );
    }
    response
}

/// The viewer named by the `Authorization` header. A header that is present but not a valid,
/// unexpired access token refuses the whole request, so that clients know to renew the token.
fn viewer_from(headers: &HeaderMap, jwt: &JwtKeys) -> Result<Viewer, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Viewer::Anonymous);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(AppError::Unauthenticated)?;
    jwt.verify(token)
        .map(Viewer::User)
        .ok_or(AppError::Unauthenticated)
}

/// Where a request came from, for rate limits and the audit trail.
fn origin_of(client: ClientAddr, headers: &HeaderMap) -> Origin {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    Origin::new(client, user_agent)
}

/// What a request body is declared to be. A form or a plain-text POST that a browser may send
/// from another site without asking is not run; neither is a multipart request without an
/// `Authorization` header (which a browser would have to ask before sending): 415 for both.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Json,
    /// The GraphQL multipart request spec: a file upload.
    Multipart,
    Other,
}

fn body_kind(headers: &HeaderMap) -> BodyKind {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    match media {
        Some(m) if m.eq_ignore_ascii_case("application/json") => BodyKind::Json,
        Some(m) if m.eq_ignore_ascii_case("multipart/form-data") => BodyKind::Multipart,
        _ => BodyKind::Other,
    }
}

/// Answers carry private data and tokens: no cache keeps them.
async fn graphql_post(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let client = client.map(|Extension(addr)| addr).unwrap_or_default();
    let mut response = graphql_answer(state, client, headers, body).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The GraphQL request in a body: JSON up to the body limit, or a multipart upload up to the
/// largest file an import reads.
async fn graphql_request(
    state: &AppState,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<async_graphql::Request, Response> {
    let kind = body_kind(headers);
    let limit = match kind {
        BodyKind::Json => state.body_limit_bytes,
        BodyKind::Multipart if headers.contains_key(header::AUTHORIZATION) => {
            crate::import::MAX_FILE_BYTES + 64 * 1024
        }
        BodyKind::Multipart => {
            return Err(request_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                AppError::BadRequest(
                    "上传文件须登录：multipart/form-data 请求须带 Authorization 请求头".into(),
                ),
            ));
        }
        BodyKind::Other => {
            return Err(request_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                AppError::BadRequest(
                    "请以 Content-Type: application/json 发送 GraphQL 请求（上传文件用 multipart/form-data）"
                        .into(),
                ),
            ));
        }
    };
    let too_large = || {
        request_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            AppError::BadRequest(format!("请求体超过{}字节的上限", limit)),
        )
    };
    let body = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())?;
    if kind == BodyKind::Json {
        return serde_json::from_slice(&body).map_err(|_| {
            request_error(
                StatusCode::BAD_REQUEST,
                AppError::BadRequest("请求体不是有效的 GraphQL JSON 请求".into()),
            )
        });
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let options = async_graphql::http::MultipartOptions::default()
        .max_file_size(crate::import::MAX_FILE_BYTES)
        .max_num_files(1);
    async_graphql::http::receive_body(content_type, &body[..], options)
        .await
        .map_err(|e| match e {
            async_graphql::ParseRequestError::PayloadTooLarge => too_large(),
            _ => request_error(
                StatusCode::BAD_REQUEST,
                AppError::BadRequest(
                    "上传请求不符合 GraphQL multipart 请求规范（operations、map 与一个文件）"
                        .into(),
                ),
            ),
        })
}

async fn graphql_answer(
    state: AppState,
    client: ClientAddr,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let request = match graphql_request(&state, &headers, body).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let viewer = match viewer_from(&headers, &state.jwt) {
        Ok(Viewer::User(claims)) => auth::standing(&state.db, claims).await,
        other => other,
    };
    let viewer = match viewer {
        Ok(viewer) => viewer,
        Err(err @ AppError::Unauthenticated) => {
            return request_error(StatusCode::UNAUTHORIZED, err);
        }
        Err(err) => {
            err.log();
            return request_error(StatusCode::SERVICE_UNAVAILABLE, err);
        }
    };
    let span = tracing::Span::current();
    if let Some(claims) = viewer.claims() {
        span.record("viewer", tracing::field::display(&claims.sub));
    }
    let started = std::time::Instant::now();
    let operation = Arc::new(Operation::default());
    let db = &state.db;
    let batches = Batches::new();
    let request = request
        .data(operation.clone())
        .data(viewer)
        .data(origin_of(client, &headers))
        .data(RequestLoader::new(
            OrganizationLoader::new(db.clone()),
            &batches,
        ))
        .data(RequestLoader::new(UserLoader::new(db.clone()), &batches))
        .data(RequestLoader::new(
            TimelineLoader::new(db.clone()),
            &batches,
        ))
        .data(RequestLoader::new(
            ScenarioLoader::new(db.clone()),
            &batches,
        ))
        .data(RequestLoader::new(
            CapabilityLoader::new(db.clone()),
            &batches,
        ))
        .data(RequestLoader::new(
            ContactPartnersLoader::new(db.clone()),
            &batches,
        ))
        .data(RequestLoader::new(
            crate::activities::AgendaLoader::new(db.clone()),
            &batches,
        ))
        .data(RequestLoader::new(
            crate::activities::EventLoader::new(db.clone()),
            &batches,
        ));
    let mut response = loaders::batched(&batches, state.schema.execute(request)).await;
    for error in &mut response.errors {
        label_request_error(error);
    }
    let operation = operation.take();
    span.record(
        "operation",
        tracing::field::display(operation.as_deref().unwrap_or("-")),
    );
    state.metrics.graphql_answered(
        operation.as_deref(),
        started.elapsed().as_secs_f64(),
        response.errors.iter().filter_map(|error| {
            match error.extensions.as_ref()?.get("code")? {
                async_graphql::Value::String(code) => Some(code.as_str()),
                _ => None,
            }
        }),
    );
    axum::Json(response).into_response()
}

/// Subscriptions over the graphql-transport-ws protocol (graphql-ws too). The access token goes
/// in the `connection_init` payload, as `{"token": "…"}` or `{"Authorization": "Bearer …"}`; a
/// connection without one may connect but subscribes to nothing. At shutdown the server closes
/// every connection with code 1001.
async fn graphql_ws(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Operations over the socket are rate-limited and audited like those over POST.
    let origin = origin_of(
        client.map(|Extension(addr)| addr).unwrap_or_default(),
        &headers,
    );
    let schema = state.schema.clone();
    let jwt = state.jwt.clone();
    let db = state.db.clone();
    let mut stopping = state.shutdown.subscribe();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let (mut sink, stream) = socket.split();
            let stream = stream.take_until(async move { stopped(&mut stopping).await });
            GraphQLWebSocket::new_with_pair(&mut sink, stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let viewer = match connection_viewer(&payload, &jwt)? {
                        Viewer::User(claims) => auth::standing(&db, claims)
                            .await
                            .map_err(|_| async_graphql::Error::new("登录已失效，请重新登录"))?,
                        viewer => viewer,
                    };
                    let mut data = Data::default();
                    data.insert(viewer);
                    data.insert(origin);
                    Ok(data)
                })
                .serve()
                .await;
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code: 1001,
                    reason: "服务正在停止".into(),
                })))
                .await;
        })
}

/// The viewer a WebSocket's `connection_init` payload names; a token that is present but not
/// valid refuses the connection.
fn connection_viewer(payload: &serde_json::Value, jwt: &JwtKeys) -> async_graphql::Result<Viewer> {
    let token = payload.get("token").and_then(|t| t.as_str()).or_else(|| {
        ["Authorization", "authorization"]
            .iter()
            .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
            .map(|v| v.strip_prefix("Bearer ").unwrap_or(v))
    });
    match token {
        None => Ok(Viewer::Anonymous),
        Some(token) => jwt
            .verify(token.trim())
            .map(Viewer::User)
            .ok_or_else(|| async_graphql::Error::new("登录已失效，请重新登录")),
    }
}

/// Errors that carry no code come from parsing, validation and the query limits, before any
/// resolver ran: they are the client's, and get the BAD_REQUEST code and a Chinese message.
fn label_request_error(error: &mut async_graphql::ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_some() {
        return;
    }
    extensions.set("code", "BAD_REQUEST");
    error.message = match error.message.as_str() {
        "Query is nested too deep." => format!("查询嵌套层数过深（最多{}层）", graphql::MAX_DEPTH),
        "Query is too complex." => "查询过于复杂，请减少所选字段".to_owned(),
        other => format!("请求无效：{other}"),
    };
}

/// The metrics in the Prometheus text format (README, "Operations"). With a metrics token
/// configured, only a request bearing it is answered; the gauges are read now: the database's
/// connections, the outbox, the matching index and the process's memory.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or("");
        if !telemetry::same_secret(given.trim().as_bytes(), token.as_bytes()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "需要指标令牌（Authorization: Bearer …）\n",
            )
                .into_response();
        }
    }
    let backlog = match crate::mail::outbox::backlog(&state.db).await {
        Ok(backlog) => backlog,
        Err(e) => {
            tracing::warn!(error = %e, "reading the outbox for the metrics failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let now = chrono::Utc::now();
    let (index_scenarios, index_capabilities) = state.index.counts();
    let snapshot = Snapshot {
        connections: state.db.connections().to_vec(),
        outbox_pending: backlog.pending,
        outbox_failed: backlog.failed,
        outbox_oldest_seconds: backlog
            .oldest_pending
            .as_deref()
            .and_then(crate::db::parse_time)
            .map_or(0.0, |oldest| {
                (now - oldest).num_milliseconds().max(0) as f64 / 1000.0
            }),
        index_scenarios,
        index_capabilities,
        index_rebuilt_at: state.index.rebuilt_at().map(|at| at as f64),
        live_subscriptions: state.feed.subscribers(),
    };
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(&snapshot),
    )
        .into_response()
}

/// A published edition as a spreadsheet: `/exports/editions/{id}.xlsx` or `.csv` (README,
/// "Exports"). Anyone may download a published one; anything else is 404.
async fn export_edition(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    let Some((id, extension)) = file.rsplit_once('.') else {
        return request_error(StatusCode::NOT_FOUND, AppError::NotFound);
    };
    if !matches!(extension, "xlsx" | "csv") {
        return request_error(StatusCode::NOT_FOUND, AppError::NotFound);
    }
    let sheet =
        match crate::exports::edition(&state.db, &state.taxonomy, &Viewer::Anonymous, id).await {
            Ok(sheet) => sheet,
            Err(err @ AppError::NotFound) => return request_error(StatusCode::NOT_FOUND, err),
            Err(err) => {
                err.log();
                return request_error(StatusCode::INTERNAL_SERVER_ERROR, err);
            }
        };
    let csv = extension == "csv";
    spreadsheet("edition", &sheet.name.clone(), extension, move || {
        if csv {
            Ok(crate::exports::csv(&sheet))
        } else {
            crate::exports::xlsx(&sheet)
        }
    })
    .await
}

/// An admin's export of a filtered list (README, "Exports"): `/exports/scenarios.xlsx`,
/// `capabilities` or `matches`, `.xlsx` or `.csv`, the filter in the query string; signed in
/// with the `Authorization` header as for `/graphql`.
async fn export_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(file): axum::extract::Path<String>,
    params: Result<
        axum::extract::Query<crate::exports::lists::ListParams>,
        axum::extract::rejection::QueryRejection,
    >,
) -> Response {
    use crate::exports::lists;
    let Some((list, extension)) = file.rsplit_once('.') else {
        return request_error(StatusCode::NOT_FOUND, AppError::NotFound);
    };
    if !matches!(extension, "xlsx" | "csv") {
        return request_error(StatusCode::NOT_FOUND, AppError::NotFound);
    }
    let Ok(axum::extract::Query(params)) = params else {
        return request_error(
            StatusCode::BAD_REQUEST,
            AppError::BadRequest("筛选参数格式不正确".into()),
        );
    };
    let viewer = match viewer_from(&headers, &state.jwt) {
        Ok(Viewer::User(claims)) => auth::standing(&state.db, claims).await,
        other => other,
    };
    let (db, taxonomy, index) = (&state.db, &state.taxonomy, &state.index);
    let sheet = match viewer {
        Err(err) => Err(err),
        Ok(viewer) => match list {
            "scenarios" => match params.opportunity_filter() {
                Ok(filter) => lists::scenarios(db, taxonomy, index, &viewer, filter).await,
                Err(err) => Err(err),
            },
            "capabilities" => match params.capability_filter() {
                Ok(filter) => lists::capabilities(db, taxonomy, index, &viewer, filter).await,
                Err(err) => Err(err),
            },
            "matches" => match params.match_status() {
                Ok(status) => lists::matches(db, &viewer, status).await,
                Err(err) => Err(err),
            },
            _ => Err(AppError::NotFound),
        },
    };
    let sheet = match sheet {
        Ok(sheet) => sheet,
        Err(err) => {
            let status = match &err {
                AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
                AppError::Forbidden | AppError::OrganizationInactive { .. } => {
                    StatusCode::FORBIDDEN
                }
                AppError::NotFound => StatusCode::NOT_FOUND,
                AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
                _ => {
                    err.log();
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            };
            return request_error(status, err);
        }
    };
    let csv = extension == "csv";
    let name = sheet.name.clone();
    let mut response = spreadsheet(list, &name, extension, move || {
        if csv {
            Ok(crate::exports::csv(&sheet))
        } else {
            crate::exports::xlsx(&sheet)
        }
    })
    .await;
    // Contacts inside: no cache keeps it.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The import template for collected scenarios (README, "Import"): the columns and, on a second
/// sheet, how to fill them and the code lists. Anyone may download it.
async fn scenario_template(State(state): State<AppState>) -> Response {
    let sheets = crate::import::scenarios::template(&state.taxonomy);
    spreadsheet(
        "scenarios-template",
        "场景征集导入模板",
        "xlsx",
        move || crate::exports::workbook(&sheets),
    )
    .await
}

/// A spreadsheet download named `name` (`ascii` for clients that read no UTF-8 file names),
/// built on the blocking pool: compressing a workbook is processor work that grows with it.
async fn spreadsheet(
    ascii: &str,
    name: &str,
    extension: &str,
    build: impl FnOnce() -> Result<Vec<u8>, AppError> + Send + 'static,
) -> Response {
    let content_type = if extension == "csv" {
        "text/csv; charset=utf-8"
    } else {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    };
    let disposition = format!(
        "attachment; filename=\"{ascii}.{extension}\"; filename*=UTF-8''{}.{extension}",
        crate::web::portal::encode(name)
    );
    let built = tokio::task::spawn_blocking(build)
        .await
        .unwrap_or_else(|e| Err(AppError::internal(format!("building the export: {e}"))));
    let body = match built {
        Ok(bytes) => bytes,
        Err(err) => {
            err.log();
            return request_error(StatusCode::INTERNAL_SERVER_ERROR, err);
        }
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).expect("percent-encoded ASCII"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and every migration this binary knows is applied.
/// How long `/readyz` waits for the database: a load balancer must learn within a probe's
/// timeout that the instance cannot serve, not after the pool's own wait.
const READINESS_TIMEOUT: Duration = Duration::from_secs(1);

async fn readyz(State(state): State<AppState>) -> Response {
    let checked = tokio::time::timeout(READINESS_TIMEOUT, state.db.migrations_applied())
        .await
        .unwrap_or_else(|_| Err(sqlx::Error::PoolTimedOut));
    match checked {
        Ok(true) => (
            StatusCode::OK,
            axum::Json(json!({
                "status": "ready",
                "liveSubscriptions": state.feed.subscribers(),
            })),
        )
            .into_response(),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "migrations pending" })),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({ "status": "database unavailable" })),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    /// The notification table names actions of the lifecycles it hears of (the table sits below
    /// the slices, so the check sits here, where both are in view).
    #[test]
    fn rules_name_actions_the_lifecycles_have() {
        use crate::matches::machine::RULES as MATCH;
        use crate::notifications::{Audience, RULES, rule_for};
        use crate::scenarios::RULES as SCENARIO;
        for rule in RULES {
            let known = match rule.aggregate {
                "SCENARIO" => {
                    rule.action == crate::notifications::REMIND_DEADLINE
                        || SCENARIO.iter().any(|r| r.action.as_str() == rule.action)
                }
                "CAPABILITY" => crate::capabilities::RULES
                    .iter()
                    .any(|r| r.action.as_str() == rule.action),
                "MATCH" => {
                    rule.action == "PROPOSE"
                        || rule.action == "CONTINUE"
                        || rule.action == "MESSAGE"
                        || MATCH.iter().any(|r| r.action.as_str() == rule.action)
                }
                "ORGANIZATION" => crate::orgs::RULES
                    .iter()
                    .any(|r| r.action.as_str() == rule.action),
                "PROPOSAL" => ["PROPOSE", "ADOPT", "DECLINE"].contains(&rule.action),
                "EVENT" => {
                    rule.action == "UPDATE"
                        || crate::activities::EVENT_RULES
                            .iter()
                            .any(|r| r.action.as_str() == rule.action)
                }
                "EVENT_REGISTRATION" => {
                    rule.action == "REGISTER"
                        || crate::activities::REGISTRATION_RULES
                            .iter()
                            .any(|r| r.action.as_str() == rule.action)
                }
                _ => false,
            };
            assert!(
                known,
                "{} {} is no action of its lifecycle",
                rule.aggregate, rule.action
            );
        }
        // A submission reaches only the county managers of its region; admins read the queue.
        assert_eq!(
            rule_for("SCENARIO", "SUBMIT").map(|r| r.audience),
            Some(Audience::CountyManagers)
        );
        assert_eq!(
            rule_for("MATCH", "NOT_SELECT").map(|r| r.audience),
            Some(Audience::CapabilityOwner)
        );
    }
}

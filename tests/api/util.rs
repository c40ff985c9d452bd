//! The test application: a fresh database per test (a temporary SQLite file, or a fresh schema in
//! the PostgreSQL named by `TEST_DATABASE_URL`), the real router, and signed-in users in one line.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use twolists::auth::{self, RegisterInput, RegisterOrganizationInput};
use twolists::orgs::{self, OrganizationKind};
use twolists::{AppState, Config};

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const PASSWORD: &str = "Taihang-Mountains-2026";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs the body once on SQLite and once on PostgreSQL, as two tests named `<name>::sqlite` and
/// `<name>::postgres`, with `backend` naming the one the body runs on. The PostgreSQL variant
/// runs in a build made with `TEST_DATABASE_URL` set (see `build.rs`); in any other build it is
/// reported as ignored, never as passed.
#[macro_export]
macro_rules! backend_test {
    ($(#[$meta:meta])* $name:ident, |$backend:ident| $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $backend = $crate::util::Backend::Sqlite;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(
                not(postgres_tests),
                ignore = "PostgreSQL variant: build and run with TEST_DATABASE_URL set"
            )]
            async fn postgres() {
                let $backend = $crate::util::Backend::Postgres;
                $body
            }
        }
    };
}

/// [`backend_test!`] with a started application on a fresh database as `app`.
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* $name:ident, |$app:ident| $body:block) => {
        $crate::backend_test!($(#[$meta])* $name, |backend| {
            let $app = $crate::util::TestApp::new(backend).await;
            $body
        });
    };
}

/// The PostgreSQL database the PostgreSQL variants run on. A variant that runs without one fails:
/// a test that did not run must not pass.
pub fn test_database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .expect("TEST_DATABASE_URL names the PostgreSQL database of the PostgreSQL variants")
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A number unique within this test process, for e-mails and credit codes.
pub fn unique() -> u64 {
    COUNTER.fetch_add(1, Ordering::Relaxed) + std::process::id() as u64 * 1_000_000
}

/// A valid unified social credit code, different on every call.
pub fn credit_code() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut n = unique();
    let mut body = String::new();
    for _ in 0..7 {
        body.push(ALPHABET[(n % 31) as usize] as char);
        n /= 31;
    }
    orgs::credit_code::with_check_char(&format!("91140700MA{body}")).unwrap()
}

#[derive(Clone)]
pub struct TestUser {
    pub id: String,
    pub org_id: String,
    pub token: String,
}

pub struct TestApp {
    pub state: AppState,
    router: Router,
    background: Option<twolists::app::Background>,
    _dir: tempfile::TempDir,
    /// The PostgreSQL schema of this test, dropped with it (declared last: dropped last).
    _schema: Option<PgSchema>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.state.begin_shutdown();
    }
}

impl TestApp {
    /// A started application on a fresh database.
    pub async fn new(backend: Backend) -> TestApp {
        TestApp::configured(backend, |_| {}).await
    }

    /// Like [`TestApp::new`], with changes to the configuration (e.g. an SMTP server). E-mail is
    /// retried quickly here: 100 ms, doubling.
    pub async fn configured(backend: Backend, change: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(dir.path());
        config.jwt_secret = Some(JWT_SECRET.into());
        config.mail_retry_base = std::time::Duration::from_millis(100);
        config.mail_poll_interval = std::time::Duration::from_millis(50);
        change(&mut config);
        let schema = match backend {
            Backend::Postgres => Some(fresh_pg_schema(&test_database_url()).await),
            Backend::Sqlite => None,
        };
        config.database_url = schema.as_ref().map(|s| s.url.clone());
        let mut app = TestApp::start(config, dir).await;
        app._schema = schema;
        app
    }

    /// A started application on a fresh database whose scheduled work runs on a clock the test
    /// sets, standing at `at` (`app.clock()` moves it; `app.state.scheduler.run_due()` runs what
    /// is due then).
    pub async fn at_time(backend: Backend, at: chrono::DateTime<chrono::Utc>) -> TestApp {
        let clock = twolists::clock::Clock::manual(at);
        TestApp::configured(backend, |config| config.clock = clock).await
    }

    /// The clock of the scheduled work.
    pub fn clock(&self) -> &twolists::clock::Clock {
        self.state.scheduler.clock()
    }

    /// A second instance of the service on this one's database and clock (as several instances
    /// share one PostgreSQL), without background work.
    pub async fn second_instance(&self) -> TestApp {
        let clock = self.clock().clone();
        TestApp::on_url_with(self.state.database_url(), |config| config.clock = clock).await
    }

    /// An application on an existing database (e.g. one that server processes share), without
    /// background work.
    pub async fn on_url(url: &str) -> TestApp {
        TestApp::on_url_with(url, |_| {}).await
    }

    /// [`TestApp::on_url`], with changes to the configuration.
    pub async fn on_url_with(url: &str, change: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(dir.path());
        config.jwt_secret = Some(JWT_SECRET.into());
        config.database_url = Some(url.to_owned());
        change(&mut config);
        TestApp::start(config, dir).await
    }

    async fn start(config: Config, dir: tempfile::TempDir) -> TestApp {
        let state = AppState::start(&config).await.expect("application starts");
        let router = state.router();
        TestApp {
            state,
            router,
            background: None,
            _dir: dir,
            _schema: None,
        }
    }

    /// The application's router, as `serve` runs it.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The PostgreSQL schema this test runs in, if it runs on PostgreSQL.
    pub fn pg_schema(&self) -> Option<&str> {
        self._schema.as_ref().map(|s| s.name.as_str())
    }

    /// The data folder (the embedded database, and `.eml` files when there is no SMTP server).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Starts the background work (e-mail worker, notification feed) as `serve` does.
    pub fn with_background(mut self) -> TestApp {
        self.background = Some(self.state.spawn_background().expect("background starts"));
        self
    }

    /// Serves the real router on a loopback port (for WebSocket clients); its address.
    pub async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = self.router.clone();
        tokio::spawn(twolists::server::serve(
            listener,
            router,
            twolists::server::ServerLimits::default(),
            std::future::pending(),
        ));
        addr
    }

    pub async fn request(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, body.to_vec())
    }

    /// `GET path`, with `user`'s token when given: status, headers, body.
    pub async fn download(
        &self,
        user: Option<&TestUser>,
        path: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut request = Request::get(path);
        if let Some(user) = user {
            request = request.header(header::AUTHORIZATION, format!("Bearer {}", user.token));
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, body.to_vec())
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let (status, body) = self
            .request(Request::get(path).body(Body::empty()).unwrap())
            .await;
        (status, String::from_utf8(body).unwrap())
    }

    /// Posts a GraphQL document with an optional bearer token; returns the HTTP status and body.
    pub async fn post_graphql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        let (status, body) = self.request(request.body(Body::from(body)).unwrap()).await;
        (
            status,
            serde_json::from_slice(&body).expect("JSON response"),
        )
    }

    /// An anonymous GraphQL request that must succeed: any top-level error fails the test, so that
    /// an error can never read as a null field. Business-rule errors in a mutation payload are
    /// the caller's to check.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.succeeding(None, query, variables).await
    }

    /// [`TestApp::gql`] as `user`.
    pub async fn gql_as(&self, user: &TestUser, query: &str, variables: Value) -> Value {
        self.succeeding(Some(&user.token), query, variables).await
    }

    /// An anonymous request that may be refused. A refusal (a top-level error, or errors in a
    /// mutation payload) must write nothing: every table is compared before and after it.
    pub async fn try_gql(&self, query: &str, variables: Value) -> Value {
        self.attempt(None, query, variables).await
    }

    /// [`TestApp::try_gql`] as `user`.
    pub async fn try_gql_as(&self, user: &TestUser, query: &str, variables: Value) -> Value {
        self.attempt(Some(&user.token), query, variables).await
    }

    async fn succeeding(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (_, response) = self.post_graphql(token, query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "the request failed: {response}\nrequest: {query}"
        );
        response
    }

    async fn attempt(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let before = self.snapshot().await;
        let (_, response) = self.post_graphql(token, query, variables).await;
        if is_refusal(&response) {
            self.assert_unchanged(&before).await;
        }
        response
    }

    /// Every row of every table, as text: what a refusal must leave as it was.
    pub async fn snapshot(&self) -> Snapshot {
        use sqlx::Row as _;
        let pool = self.state.db.pool();
        let tables: Vec<String> = if self.state.database_url().starts_with("postgres") {
            sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            )
            .fetch_all(pool)
            .await
            .unwrap()
        } else {
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(pool)
            .await
            .unwrap()
        };
        let mut snapshot = Snapshot::default();
        // The counters of attempts and the audit trail are what a refused attempt is meant to
        // write.
        let bookkeeping = [
            "_sqlx_migrations",
            "rate_limits",
            "login_failures",
            "audit_log",
        ];
        for table in tables
            .into_iter()
            .filter(|t| !bookkeeping.contains(&t.as_str()))
        {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
                .fetch_all(pool)
                .await
                .unwrap();
            let mut lines: Vec<String> = rows
                .iter()
                .map(|row| {
                    let mut line = String::new();
                    for i in 0..row.len() {
                        // Text as it is (long e-mail bodies make escaping it costly).
                        match row.try_get::<Option<String>, _>(i) {
                            Ok(Some(v)) => line.extend(["'", v.as_str(), "' | "]),
                            Ok(None) => line.push_str("NULL | "),
                            Err(_) => match row.try_get::<Option<i64>, _>(i) {
                                Ok(v) => line.push_str(&format!("{v:?} | ")),
                                Err(_) => line.push_str(&format!(
                                    "{:?} | ",
                                    row.try_get::<Option<f64>, _>(i).unwrap()
                                )),
                            },
                        }
                    }
                    line
                })
                .collect();
            lines.sort();
            snapshot.0.insert(table, lines);
        }
        snapshot
    }

    /// Fails, naming the rows that appeared and disappeared, unless the database still holds
    /// exactly what `before` holds.
    pub async fn assert_unchanged(&self, before: &Snapshot) {
        let after = self.snapshot().await;
        if after == *before {
            return;
        }
        let mut changes = Vec::new();
        for (table, rows) in &after.0 {
            let old: BTreeSet<&String> = before.0.get(table).into_iter().flatten().collect();
            let new: BTreeSet<&String> = rows.iter().collect();
            for row in new.difference(&old) {
                changes.push(format!("+ {table}: {row}"));
            }
            for row in old.difference(&new) {
                changes.push(format!("- {table}: {row}"));
            }
        }
        assert!(
            changes.is_empty(),
            "a refusal wrote to the database:\n{}",
            changes.join("\n")
        );
    }

    pub async fn admin(&self) -> TestUser {
        let email = format!("admin{}@jzcx.gov.cn", unique());
        let row = auth::create_admin(&self.state.db, &email, PASSWORD, "平台管理员")
            .await
            .unwrap();
        self.signed_in(row).await
    }

    /// A county scenario manager of the region, as `create-admin --region` makes one.
    pub async fn county_manager(&self, region: &str) -> TestUser {
        let email = format!("manager{}@jzcx.gov.cn", unique());
        let row = auth::create_staff(&self.state.db, &email, PASSWORD, "场景经理人", Some(region))
            .await
            .unwrap();
        self.signed_in(row).await
    }

    /// A member of a verified government unit of 榆次区 (140702).
    pub async fn gov_user(&self) -> TestUser {
        self.gov_user_in("140702").await
    }

    /// A member of a verified government unit of the region.
    pub async fn gov_user_in(&self, region: &str) -> TestUser {
        let user = self
            .registered(OrganizationKind::Government, "晋中市工业和信息化局", region)
            .await;
        self.verify_address(&user).await;
        self.verify(&user).await;
        user
    }

    /// A member of a verified enterprise.
    pub async fn enterprise_user(&self) -> TestUser {
        let user = self.pending_enterprise_user().await;
        self.verify(&user).await;
        user
    }

    /// A member of an enterprise that no admin has verified yet (the member's own address is
    /// verified, as for every user made here).
    pub async fn pending_enterprise_user(&self) -> TestUser {
        let user = self
            .registered(
                OrganizationKind::Enterprise,
                "山西晋中智能装备有限公司",
                "140702",
            )
            .await;
        self.verify_address(&user).await;
        user
    }

    async fn registered(&self, kind: OrganizationKind, org_name: &str, region: &str) -> TestUser {
        let n = unique();
        let email = format!("user{n}@example.cn");
        let input = RegisterInput {
            email,
            password: PASSWORD.into(),
            display_name: "测试用户".into(),
            organization: RegisterOrganizationInput {
                name: format!("{org_name}{n}"),
                kind,
                credit_code: (kind != OrganizationKind::Government).then(credit_code),
                region_code: region.into(),
            },
        };
        let registered = auth::register(
            &self.state.db,
            twolists::viewer::ClientAddr::default(),
            &self.state.taxonomy,
            input,
        )
        .await
        .unwrap()
        .unwrap_or_else(|errors| panic!("registration refused: {errors:?}"));
        let auth::Registered::Created { user, .. } = registered else {
            panic!("a fresh address was taken");
        };
        self.signed_in(*user).await
    }

    /// A real session for the user, as sign-in opens one.
    async fn signed_in(&self, user: auth::UserRow) -> TestUser {
        let session = auth::open_session(&self.state.db, &self.state.jwt, user)
            .await
            .unwrap();
        TestUser {
            id: session.user.id.clone(),
            org_id: session.user.organization_id.clone(),
            token: session.access_token,
        }
    }

    /// The user's organization verified by an admin.
    async fn verify(&self, user: &TestUser) {
        sqlx::query("UPDATE organizations SET status = 'VERIFIED' WHERE id = $1")
            .bind(&user.org_id)
            .execute(self.state.db.pool())
            .await
            .unwrap();
    }

    /// The user's address verified by its owner.
    async fn verify_address(&self, user: &TestUser) {
        sqlx::query("UPDATE users SET email_verified_at = created_at WHERE id = $1")
            .bind(&user.id)
            .execute(self.state.db.pool())
            .await
            .unwrap();
    }

    /// `SELECT COUNT(*) FROM <table>`, for checking that a refusal wrote nothing.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(self.state.db.pool())
            .await
            .unwrap()
    }
}

/// The rows of every table, as [`TestApp::snapshot`] reads them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Snapshot(std::collections::BTreeMap<String, Vec<String>>);

/// Whether a response is a refusal: a top-level error, or errors in a mutation payload.
pub fn is_refusal(response: &Value) -> bool {
    response.get("errors").is_some()
        || response["data"].as_object().is_some_and(|fields| {
            fields
                .values()
                .any(|p| p["errors"].as_array().is_some_and(|e| !e.is_empty()))
        })
}

/// Polls `probe` until it yields a value, and fails loudly, naming `what`, after 20 seconds.
pub async fn eventually<T, Fut>(what: &str, mut probe: impl FnMut() -> Fut) -> T
where
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[path = "smtp.rs"]
mod smtp;
pub use smtp::SmtpServer;

#[derive(Debug, Clone)]
pub struct ReceivedEmail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
    /// (filename, MIME type, body) of each attachment.
    pub attachments: Vec<(String, String, String)>,
}

impl ReceivedEmail {
    pub fn parse(raw: &[u8]) -> ReceivedEmail {
        use mailparse::MailHeaderMap as _;
        let mail = mailparse::parse_mail(raw).expect("a well-formed e-mail");
        let header = |name: &str| mail.headers.get_first_value(name).unwrap_or_default();
        let mut email = ReceivedEmail {
            to: header("To"),
            subject: header("Subject"),
            message_id: header("Message-ID"),
            text: String::new(),
            html: String::new(),
            attachments: Vec::new(),
        };
        email.read_parts(&mail.subparts);
        email
    }

    fn read_parts(&mut self, parts: &[mailparse::ParsedMail<'_>]) {
        for part in parts {
            let disposition = part.get_content_disposition();
            if disposition.disposition == mailparse::DispositionType::Attachment {
                let filename = disposition
                    .params
                    .get("filename")
                    .cloned()
                    .unwrap_or_default();
                self.attachments.push((
                    filename,
                    part.ctype.mimetype.clone(),
                    part.get_body().unwrap(),
                ));
                continue;
            }
            match part.ctype.mimetype.as_str() {
                "text/plain" => self.text = part.get_body().unwrap(),
                "text/html" => self.html = part.get_body().unwrap(),
                _ => self.read_parts(&part.subparts),
            }
        }
    }
}

/// A schema of its own in the test PostgreSQL database; dropped (with everything in it) when this
/// is dropped.
pub struct PgSchema {
    /// A URL whose connections use the schema.
    pub url: String,
    pub name: String,
    base: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // Drop runs inside the test's runtime: the schema is dropped on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(drop_schemas(&base, &[name]));
        })
        .join();
    }
}

/// Drops the named schemas; a schema still in use after a few seconds is left to the next sweep.
async fn drop_schemas(base: &str, names: &[String]) {
    use sqlx::Connection as _;
    let Ok(mut conn) = sqlx::AnyConnection::connect(base).await else {
        return;
    };
    let _ = sqlx::query("SET lock_timeout = '5s'")
        .execute(&mut conn)
        .await;
    for name in names {
        let drop = format!("DROP SCHEMA IF EXISTS {name} CASCADE");
        let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
            .execute(&mut conn)
            .await;
    }
    let _ = conn.close().await;
}

/// The test schemas (`t_<UUIDv7>`) in the database at `base` created before `cutoff`: those a test
/// that was killed left behind.
pub async fn test_schemas_before(base: &str, cutoff: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    use sqlx::Connection as _;
    let mut conn = sqlx::AnyConnection::connect(base)
        .await
        .expect("TEST_DATABASE_URL is reachable");
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 't\\_%'")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    names
        .into_iter()
        .filter(|name| {
            let created = uuid::Uuid::parse_str(&name[2..])
                .ok()
                .and_then(|id| id.get_timestamp())
                .map(|t| t.to_unix().0);
            created.is_some_and(|secs| (secs as i64) < cutoff.timestamp())
        })
        .collect()
}

/// Drops the test schemas older than a day.
pub async fn drop_old_test_schemas(base: &str) {
    let day_ago = chrono::Utc::now() - chrono::Duration::days(1);
    drop_schemas(base, &test_schemas_before(base, day_ago).await).await;
}

/// [`drop_old_test_schemas`], once per test process, before its first schema.
async fn sweep_old_schemas(base: &str) {
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT.get_or_init(|| drop_old_test_schemas(base)).await;
}

/// Creates a new schema in the PostgreSQL database at `base`, so that every test has its own
/// tables and tests run in parallel; leftovers of earlier runs older than a day are swept first.
pub async fn fresh_pg_schema(base: &str) -> PgSchema {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    sweep_old_schemas(base).await;
    let name = format!("t_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::AnyConnection::connect(base)
        .await
        .expect("TEST_DATABASE_URL is reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let separator = if base.contains('?') { '&' } else { '?' };
    PgSchema {
        url: format!("{base}{separator}options[search_path]={name}"),
        name,
        base: base.to_owned(),
    }
}

/// The object a query answered under `field`, from a response that must have succeeded: a failed
/// query fails here, so that a null field of the object can never stand for an error.
pub fn answered<'a>(response: &'a Value, field: &str) -> &'a Value {
    assert!(
        response.get("errors").is_none(),
        "the query failed: {response}"
    );
    let object = &response["data"][field];
    assert!(object.is_object(), "no {field} in {response}");
    object
}

/// The `extensions.code` of the first top-level error, if any.
pub fn error_code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

/// The codes of a mutation payload's `errors`.
pub fn payload_codes(payload: &Value) -> Vec<String> {
    payload["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("payload without errors: {payload}"))
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

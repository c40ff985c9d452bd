//! The test application: a fresh database per test (a temporary SQLite file, or a fresh schema in
//! the PostgreSQL named by `TEST_DATABASE_URL`), the real router, and signed-in users in one line.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use twolists::auth::{self, RegisterInput, RegisterOrganizationInput, Role};
use twolists::orgs::{self, OrganizationKind};
use twolists::{AppState, Config};

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const PASSWORD: &str = "Taihang-Mountains-2026";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs the body once on SQLite and once on PostgreSQL (when `TEST_DATABASE_URL` is set), as two
/// tests named `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* $name:ident, |$app:ident| $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::util::TestApp::new($crate::util::Backend::Sqlite)
                    .await
                    .expect("SQLite is always available");
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) = $crate::util::TestApp::new($crate::util::Backend::Postgres).await
                else {
                    eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant not run");
                    return;
                };
                $body
            }
        }
    };
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
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.state.begin_shutdown();
    }
}

impl TestApp {
    /// A started application on a fresh database; `None` for PostgreSQL when none is configured.
    pub async fn new(backend: Backend) -> Option<TestApp> {
        TestApp::configured(backend, |_| {}).await
    }

    /// Like [`TestApp::new`], with changes to the configuration (e.g. an SMTP server). E-mail is
    /// retried quickly here: 100 ms, doubling.
    pub async fn configured(backend: Backend, change: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(dir.path());
        config.jwt_secret = Some(JWT_SECRET.into());
        config.mail_retry_base = std::time::Duration::from_millis(100);
        config.mail_poll_interval = std::time::Duration::from_millis(50);
        change(&mut config);
        if backend == Backend::Postgres {
            let base = std::env::var("TEST_DATABASE_URL").ok()?;
            config.database_url = Some(fresh_pg_schema(&base).await);
        }
        Some(TestApp::start(config, dir).await)
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
        }
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
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        addr
    }

    pub async fn request(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, body.to_vec())
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

    /// Anonymous GraphQL request.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.post_graphql(None, query, variables).await.1
    }

    /// GraphQL request as `user`.
    pub async fn gql_as(&self, user: &TestUser, query: &str, variables: Value) -> Value {
        self.post_graphql(Some(&user.token), query, variables)
            .await
            .1
    }

    pub async fn admin(&self) -> TestUser {
        let email = format!("admin{}@jzcx.gov.cn", unique());
        let row = auth::create_admin(&self.state.db, &email, PASSWORD, "平台管理员")
            .await
            .unwrap();
        self.signed_in(row.id, row.organization_id, Role::Admin)
    }

    /// A member of a verified government unit.
    pub async fn gov_user(&self) -> TestUser {
        let user = self
            .registered(OrganizationKind::Government, "晋中市工业和信息化局")
            .await;
        self.verify(&user).await;
        user
    }

    /// A member of a verified enterprise.
    pub async fn enterprise_user(&self) -> TestUser {
        let user = self.pending_enterprise_user().await;
        self.verify(&user).await;
        user
    }

    /// A member of an enterprise that no admin has verified yet.
    pub async fn pending_enterprise_user(&self) -> TestUser {
        self.registered(OrganizationKind::Enterprise, "山西晋中智能装备有限公司")
            .await
    }

    async fn registered(&self, kind: OrganizationKind, org_name: &str) -> TestUser {
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
                region_code: "140702".into(),
            },
        };
        let registered = auth::register(&self.state.db, &self.state.taxonomy, input)
            .await
            .unwrap()
            .unwrap_or_else(|errors| panic!("registration refused: {errors:?}"));
        let role = registered.user.role();
        self.signed_in(registered.user.id, registered.organization.id, role)
    }

    fn signed_in(&self, id: String, org_id: String, role: Role) -> TestUser {
        let (token, _) = self.state.jwt.issue(&id, &org_id, role, chrono::Utc::now());
        TestUser { id, org_id, token }
    }

    async fn verify(&self, user: &TestUser) {
        sqlx::query("UPDATE organizations SET status = 'VERIFIED' WHERE id = $1")
            .bind(&user.org_id)
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

#[path = "smtp.rs"]
mod smtp;
pub use smtp::{SmtpServer, free_port};

#[derive(Debug, Clone)]
pub struct ReceivedEmail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
}

impl ReceivedEmail {
    pub fn parse(raw: &[u8]) -> ReceivedEmail {
        use mailparse::MailHeaderMap as _;
        let mail = mailparse::parse_mail(raw).expect("a well-formed e-mail");
        let header = |name: &str| mail.headers.get_first_value(name).unwrap_or_default();
        let mut text = String::new();
        let mut html = String::new();
        for part in &mail.subparts {
            match part.ctype.mimetype.as_str() {
                "text/plain" => text = part.get_body().unwrap(),
                "text/html" => html = part.get_body().unwrap(),
                _ => {}
            }
        }
        ReceivedEmail {
            to: header("To"),
            subject: header("Subject"),
            message_id: header("Message-ID"),
            text,
            html,
        }
    }
}

/// Creates a new schema in the PostgreSQL database at `base` and returns a URL whose connections
/// use it, so that every test has its own tables and tests run in parallel.
pub async fn fresh_pg_schema(base: &str) -> String {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::AnyConnection::connect(base)
        .await
        .expect("TEST_DATABASE_URL is reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options[search_path]={schema}")
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

//! One code path for two databases (DESIGN.md, Storage): SQLite as the embedded default and
//! PostgreSQL for a province-wide deployment, both through sqlx's `Any` driver.
//!
//! What the rest of the code may rely on: `$1…` placeholders, `RETURNING`, `ON CONFLICT`, text ids
//! and timestamps, BIGINT integers. [`Sql`] builds dynamic queries with numbered placeholders, since
//! `QueryBuilder::push_bind` writes `?`, which PostgreSQL rejects.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use sqlx::AnyConnection;
use sqlx::any::{AnyArguments, AnyPoolOptions};
use sqlx::{Any, AnyPool, Arguments, Connection as _, Encode, Executor, Type};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub type Tx = sqlx::Transaction<'static, Any>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The database a URL names: `sqlite:` or `postgres:`/`postgresql:`.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    /// SQL for the days (with fractions) from timestamp `from` to timestamp `to`, both stored
    /// timestamps (RFC 3339 text) or expressions giving one.
    pub fn days_between(self, from: &str, to: &str) -> String {
        match self {
            Backend::Sqlite => format!("(julianday({to}) - julianday({from}))"),
            Backend::Postgres => format!(
                "CAST(EXTRACT(EPOCH FROM (CAST({to} AS TIMESTAMPTZ) - CAST({from} AS TIMESTAMPTZ))) \
                 AS DOUBLE PRECISION) / 86400.0"
            ),
        }
    }
}

/// Why `twolists backup` made no copy.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("备份文件已存在：{0}。请指定一个新文件，已有的备份不会被覆盖")]
    Exists(std::path::PathBuf),
    #[error("备份文件的路径须为 UTF-8：{0}")]
    Path(std::path::PathBuf),
    #[error("PostgreSQL 数据库请用 pg_dump 备份（见 README 的“备份”一节）")]
    Postgres,
    #[error("无法创建备份文件 {0}：{1}")]
    Create(std::path::PathBuf, std::io::Error),
    #[error("写入备份失败：{0}")]
    Copy(sqlx::Error),
}

#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    reads: Arc<Reads>,
}

/// Connections kept for single statements outside a transaction (the reads of the GraphQL read
/// path), apart from the pool. The pool tests every connection it takes back with a round trip
/// (to the server, or to the SQLite connection's thread): as many round trips as statements. A
/// connection kept here goes back without one; one whose statement failed for a reason that may
/// have broken it, or was abandoned halfway (a cancelled request), is closed instead.
#[derive(Debug)]
struct Reads {
    idle: Mutex<Vec<AnyConnection>>,
    permits: Arc<Semaphore>,
}

/// How many connections of a pool are idle and busy, and how many it opens at most.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConnectionUse {
    pub idle: usize,
    pub busy: usize,
    pub max: usize,
}

/// Read connections kept at most, beside the pool's.
fn read_connections(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 4,
        Backend::Postgres => 8,
    }
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`).
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let Some(backend) = Backend::of_url(url) else {
            anyhow::bail!("unsupported database URL: expected sqlite:// or postgres://");
        };
        // A connection is not pinged each time it leaves the pool: the ping is a round trip to the
        // SQLite worker thread or to the server for every statement (a sixth of the processor time
        // of a read by code). A connection that broke fails its statement and is dropped.
        let mut options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false);
        options = match backend {
            Backend::Sqlite => options.max_connections(8).after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers proceed while one writer commits; busy timeout and foreign
                    // keys are sqlx's defaults for SQLite.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    // Reads map the file instead of copying each page in with a system call.
                    conn.execute("PRAGMA mmap_size = 268435456").await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options.max_connections(16),
        };
        let pool = options
            .connect(url)
            .await
            .with_context(|| format!("connecting to the {backend:?} database"))?;
        let reads = Arc::new(Reads {
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(read_connections(backend))),
        });
        Ok(Db {
            pool,
            backend,
            reads,
        })
    }

    /// The connections of the pool and of the reads, for the metrics.
    pub fn connections(&self) -> [(&'static str, ConnectionUse); 2] {
        let open = self.pool.size() as usize;
        let idle = self.pool.num_idle();
        let pool = ConnectionUse {
            idle,
            busy: open.saturating_sub(idle),
            max: self.pool.options().get_max_connections() as usize,
        };
        let max = read_connections(self.backend);
        let reads = ConnectionUse {
            idle: self.reads.idle.lock().map_or(0, |idle| idle.len()),
            busy: max.saturating_sub(self.reads.permits.available_permits()),
            max,
        };
        [("pool", pool), ("reads", reads)]
    }

    /// Read connections free to take now (of [`Db::reader`]'s bound).
    pub fn reads_available(&self) -> usize {
        self.reads.permits.available_permits()
    }

    /// The rows of `select` (a page) and, when `count` is given, the total it counts (-1
    /// otherwise), on two read connections at once: a page waits for the slower of the two
    /// statements, not for both.
    pub async fn page_and_total<T>(
        &self,
        select: Sql,
        count: Option<Sql>,
    ) -> Result<(Vec<T>, i64), sqlx::Error>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let total = async {
            let Some(count) = count else {
                return Ok(-1);
            };
            let (text, args) = count.build();
            let mut reader = self.reader().await?;
            let total = sqlx::query_scalar_with(text, args)
                .fetch_one(&mut *reader)
                .await;
            reader.done(total)
        };
        let rows = async {
            let (text, args) = select.build();
            let mut reader = self.reader().await?;
            let rows = sqlx::query_as_with(text, args)
                .fetch_all(&mut *reader)
                .await;
            reader.done(rows)
        };
        let (total, rows) = tokio::try_join!(total, rows)?;
        Ok((rows, total))
    }

    /// A connection for one statement outside a transaction; give the statement's result to
    /// [`Reader::done`]. Waits while every read connection is in use.
    ///
    /// ```ignore
    /// let mut reader = db.reader().await?;
    /// let row = sqlx::query_as(…).fetch_optional(&mut *reader).await;
    /// reader.done(row)
    /// ```
    pub async fn reader(&self) -> Result<Reader, sqlx::Error> {
        let permit = self
            .reads
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self.reads.idle.lock().expect("read connections lock").pop();
        let connection = match idle {
            Some(connection) => connection,
            // Opened by the pool (with its settings), then no longer the pool's.
            None => self.pool.acquire().await?.detach(),
        };
        Ok(Reader {
            connection: Some(connection),
            reads: self.reads.clone(),
            finished: false,
            _permit: permit,
        })
    }

    /// The URL of the embedded database inside `data_dir`, created if missing.
    /// Copies the embedded database to the new file `to`, consistently while the service runs:
    /// SQLite's `VACUUM INTO` reads one snapshot (writers go on, the log keeps their pages apart)
    /// and writes it compacted. The file is created private to the service's user (0600) before
    /// anything is written into it, and never over an existing one; a failed copy leaves none.
    /// Returns the copy's size in bytes. PostgreSQL has `pg_dump` for this.
    pub async fn backup_to(&self, to: &Path) -> Result<u64, BackupError> {
        if self.backend == Backend::Postgres {
            return Err(BackupError::Postgres);
        }
        let target = to
            .to_str()
            .ok_or_else(|| BackupError::Path(to.to_owned()))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        match options.open(to) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BackupError::Exists(to.to_owned()));
            }
            Err(e) => return Err(BackupError::Create(to.to_owned(), e)),
        }
        // SQLite accepts an empty file as the target of VACUUM INTO.
        let copied = sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await;
        if let Err(e) = copied {
            let _ = std::fs::remove_file(to);
            return Err(BackupError::Copy(e));
        }
        let size = std::fs::metadata(to)
            .map_err(|e| BackupError::Create(to.to_owned(), e))?
            .len();
        Ok(size)
    }

    /// The embedded database's file in the data folder.
    pub fn sqlite_path(data_dir: &Path) -> std::path::PathBuf {
        data_dir.join("twolists.db")
    }

    pub fn sqlite_url(data_dir: &Path) -> String {
        format!("sqlite://{}?mode=rwc", Db::sqlite_path(data_dir).display())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Gathers the query planner's statistics of every table now (after a bulk load, say). On
    /// SQLite it also folds the write-ahead log into the database file: a bulk load leaves the
    /// log as large as what it wrote, and only later writes would fold it, so until then every
    /// read would look its pages up in the log first.
    pub async fn analyze(&self) -> Result<(), sqlx::Error> {
        sqlx::query("ANALYZE").execute(&self.pool).await?;
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Gathers SQLite's planner statistics afresh at start (a scan of every index: about 0.1 s
    /// for 60,000 items). SQLite has no daemon that does it, and without statistics its planner
    /// prefers a status index to the primary key or to a list's own index (a 47,000-row scan
    /// for a page of 20). PostgreSQL's autovacuum keeps its statistics by itself.
    pub async fn gather_statistics(&self) -> Result<(), sqlx::Error> {
        if self.backend == Backend::Sqlite {
            self.analyze().await?;
        }
        Ok(())
    }

    /// Keeps SQLite's planner statistics current between starts: `PRAGMA optimize` re-analyses
    /// the tables that changed much. The service runs it every ten minutes.
    pub async fn refresh_statistics(&self) -> Result<(), sqlx::Error> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA optimize=0x10002")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .context("applying migrations")?;
        Ok(())
    }

    /// True when every migration this binary knows is applied.
    pub async fn migrations_applied(&self) -> Result<bool, sqlx::Error> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_all(&self.pool)
                .await?;
        Ok(MIGRATOR
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .all(|m| applied.contains(&m.version)))
    }

    /// Begins a write transaction. On SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so that a transaction that reads before it writes waits for other writers
    /// instead of failing when it upgrades its lock.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    pub async fn close(&self) {
        self.reads.permits.close();
        let idle = std::mem::take(&mut *self.reads.idle.lock().expect("read connections lock"));
        for connection in idle {
            let _ = connection.close().await;
        }
        self.pool.close().await;
    }
}

/// A read connection of [`Db::reader`]; it derefs to the connection, to run one statement on.
pub struct Reader {
    connection: Option<AnyConnection>,
    reads: Arc<Reads>,
    finished: bool,
    _permit: OwnedSemaphorePermit,
}

impl Reader {
    /// Passes the statement's result on, and keeps the connection for the next statement unless
    /// the error may have broken it.
    pub fn done<T>(mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        self.finished = match &result {
            Ok(_) => true,
            Err(e) => !may_break_the_connection(e),
        };
        result
    }
}

impl std::ops::Deref for Reader {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.connection
            .as_ref()
            .expect("a reader has its connection")
    }
}

impl std::ops::DerefMut for Reader {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.connection
            .as_mut()
            .expect("a reader has its connection")
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        if self.finished && !self.reads.permits.is_closed() {
            self.reads
                .idle
                .lock()
                .expect("read connections lock")
                .push(connection);
        }
        // Otherwise the connection is dropped here, which closes it.
    }
}

/// Errors after which a connection may no longer be in a usable state; a database's refusal of
/// a statement (a constraint, a syntax error) or a row that does not decode leaves it usable.
fn may_break_the_connection(err: &sqlx::Error) -> bool {
    !matches!(
        err,
        sqlx::Error::Database(_)
            | sqlx::Error::RowNotFound
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::TypeNotFound { .. }
    )
}

/// A row a cascade had to change moved on meanwhile (another transaction changed it). Returned
/// from inside a transaction, it rolls the whole change back and the request answers CONFLICT.
#[derive(Debug, thiserror::Error)]
#[error("a row changed by a cascade moved on meanwhile")]
pub struct Stale;

/// [`Stale`] as the error a store function or event handler returns.
pub fn stale() -> sqlx::Error {
    sqlx::Error::Protocol(Stale.to_string())
}

/// True for the error of [`stale`].
pub fn is_stale(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Protocol(message) if *message == Stale.to_string())
}

/// Current UTC time in the stored form: fixed-width RFC 3339 with microseconds, so that text order
/// is time order on both databases.
pub fn now() -> String {
    format_time(chrono::Utc::now())
}

pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A new time-ordered id (UUID v7) as text.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// True when `err` is a violation of the unique constraint on `table.column`.
///
/// PostgreSQL names the constraint (`<table>_<column>_key` for an inline `UNIQUE`); SQLite names no
/// constraint, only `table.column` in its message.
pub fn is_unique_violation(err: &sqlx::Error, table: &str, column: &str) -> bool {
    let Some(db_err) = err.as_database_error() else {
        return false;
    };
    if !db_err.is_unique_violation() {
        return false;
    }
    match db_err.constraint() {
        Some(constraint) => constraint == format!("{table}_{column}_key"),
        None => db_err.message().contains(&format!("{table}.{column}")),
    }
}

/// A dynamic SQL statement with numbered placeholders (`$1`, `$2`, …) that both databases accept.
#[derive(Default)]
pub struct Sql {
    text: String,
    args: AnyArguments,
    count: usize,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            ..Default::default()
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: for<'q> Encode<'q, Any> + Type<Any> + Send + 'static,
    {
        self.count += 1;
        self.text.push('$');
        self.text.push_str(&self.count.to_string());
        // Encoding into the Any buffer only fails for types the driver cannot carry, which the
        // bound above rules out for the types this project uses.
        self.args
            .add(value)
            .expect("value encodes into the Any argument buffer");
        self
    }

    /// Appends `$n, $n+1, …` bound to `values` (for `IN (…)`); nothing for an empty slice.
    pub fn bind_list(&mut self, values: &[String]) -> &mut Self {
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value.clone());
        }
        self
    }

    /// Appends ` AND {expr} IN ($n, …)`; for an empty list, ` AND 1 = 0` (an empty filter list
    /// matches nothing, as in the lists' filters; `IN ()` is not SQL on PostgreSQL).
    pub fn and_in(&mut self, expr: &str, values: &[String]) -> &mut Self {
        if values.is_empty() {
            return self.push(" AND 1 = 0");
        }
        self.push(" AND ")
            .push(expr)
            .push(" IN (")
            .bind_list(values)
            .push(")")
    }

    /// Appends a subquery of `values`, for `IN`, bound as one JSON array however many there are:
    /// a statement with a thousand placeholders costs SQLite more to bind (each by name) than to
    /// run, and PostgreSQL more to plan.
    pub fn bind_set(&mut self, backend: Backend, values: &[String]) -> &mut Self {
        let json = serde_json::to_string(values).expect("strings serialize");
        match backend {
            Backend::Sqlite => self
                .push("(SELECT value FROM json_each(")
                .bind(json)
                .push("))"),
            Backend::Postgres => self
                .push("(SELECT json_array_elements_text(")
                .bind(json)
                .push("::json))"),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The statement and its arguments, ready for `sqlx::query_with` and friends.
    pub fn build(self) -> (sqlx::AssertSqlSafe<String>, AnyArguments) {
        (sqlx::AssertSqlSafe(self.text), self.args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_numbers_placeholders() {
        let mut sql = Sql::new("SELECT 1 FROM t WHERE a = ");
        sql.bind("x".to_string()).push(" AND b = ").bind(2_i64);
        assert_eq!(sql.text(), "SELECT 1 FROM t WHERE a = $1 AND b = $2");
    }

    #[test]
    fn timestamps_sort_as_text() {
        let a = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let b = a + chrono::Duration::microseconds(1);
        assert!(format_time(a) < format_time(b));
        assert_eq!(format_time(a), "2026-01-02T03:04:05.000000Z");
        assert_eq!(parse_time(&format_time(b)), Some(b));
    }
}

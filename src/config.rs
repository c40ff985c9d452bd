//! Run-time configuration, shared by every command.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::clock::Clock;
use crate::db::Db;

#[derive(Clone, Debug)]
pub struct Config {
    /// Holds the embedded database, the generated signing key and, without SMTP, outgoing mail.
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; the embedded SQLite file in `data_dir` when absent.
    pub database_url: Option<String>,
    /// HS256 key for access tokens (at least 32 bytes). Generated into `data_dir` when absent;
    /// every instance of a multi-instance deployment must be given the same one.
    pub jwt_secret: Option<String>,
    /// Whether the developer tools are served: GraphiQL, introspection and field suggestions.
    pub explorer: bool,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Longest a request may take, body included, before it is answered 408.
    pub request_timeout: Duration,
    /// Outgoing mail: `smtp://…` / `smtps://…`; `.eml` files in `<data_dir>/outbox/` when absent.
    pub smtp_url: Option<String>,
    /// The From address of outgoing mail.
    pub mail_from: String,
    /// The address users reach the site at; e-mailed links start with it.
    pub public_url: String,
    /// The wait before the first retry of a failed e-mail; it doubles with each attempt.
    pub mail_retry_base: Duration,
    /// Attempts before an e-mail is marked failed.
    pub mail_max_attempts: i64,
    /// How often the e-mail worker looks for due e-mails.
    pub mail_poll_interval: Duration,
    /// Browser origins allowed to call the API from other sites (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// Word vectors for matching (`tools/export_vectors.py` format); the bundled ones when absent.
    pub vectors_file: Option<PathBuf>,
    /// When set, `GET /metrics` answers only requests with `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// The clock of the scheduled work: the system's, or a test's.
    pub clock: Clock,
    /// Days before a scenario's deadline that its unit and partners are reminded.
    pub deadline_reminder_days: u32,
    /// How often an instance looks for due scheduled jobs.
    pub job_poll_interval: Duration,
    /// The hour (0–23, China time) of the daily digest, and on Mondays of the weekly one.
    pub digest_hour: u32,
}

impl Config {
    /// The word vectors this configuration names: the file, or the bundled ones.
    pub fn word_vectors(&self) -> anyhow::Result<std::sync::Arc<crate::matching::WordVectors>> {
        use anyhow::Context as _;
        match &self.vectors_file {
            None => Ok(crate::matching::WordVectors::bundled()),
            Some(path) => {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("reading word vectors {}", path.display()))?;
                let vectors = crate::matching::WordVectors::parse(&bytes)
                    .with_context(|| format!("word vectors {}", path.display()))?;
                tracing::info!(file = %path.display(), words = vectors.len(), "word vectors loaded");
                Ok(std::sync::Arc::new(vectors))
            }
        }
    }

    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            data_dir: data_dir.into(),
            database_url: None,
            jwt_secret: None,
            explorer: true,
            body_limit_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            smtp_url: None,
            mail_from: "晋中市场景创新平台 <noreply@jzcx.cn>".to_owned(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            mail_retry_base: Duration::from_secs(30),
            mail_max_attempts: 8,
            cors_origins: Vec::new(),
            vectors_file: None,
            metrics_token: None,
            mail_poll_interval: Duration::from_secs(1),
            clock: Clock::system(),
            deadline_reminder_days: 3,
            job_poll_interval: Duration::from_secs(30),
            digest_hour: 8,
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| Db::sqlite_url(&self.data_dir))
    }
}

/// Creates `dir` (and its parents) private to the service's user (0700), or makes an existing
/// one private, saying so in the log: the folder holds the database, the signing key and
/// outgoing mail with its links.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    restrict(dir, 0o700, true)
}

/// Makes an existing file private to the service's user (0600), saying so in the log when it was
/// not; a missing file is left alone.
pub fn private_file(path: &Path) -> std::io::Result<()> {
    match std::fs::metadata(path) {
        Ok(_) => restrict(path, 0o600, true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Makes a file the service has just written private to its user (0600), without a log line.
pub fn keep_private(path: &Path) -> std::io::Result<()> {
    restrict(path, 0o600, false)
}

/// Creates an empty file private to the service's user (0600) unless it exists, so that what
/// another program then writes into it (SQLite, which gives its journal files the database
/// file's mode) starts private.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).map(drop)?;
    private_file(path)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32, announce: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current & !mode != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    if current & !mode != 0 && announce {
        tracing::warn!(
            path = %path.display(),
            from = %format_args!("{current:o}"),
            to = %format_args!("{mode:o}"),
            "made private to the service's user"
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32, _: bool) -> std::io::Result<()> {
    Ok(())
}

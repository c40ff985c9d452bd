//! Run-time configuration, shared by every command.

use std::path::PathBuf;
use std::time::Duration;

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
    /// How long a request's DataLoaders collect the keys of a page before they query.
    pub loader_batch_window: Duration,
    /// Browser origins allowed to call the API from other sites (CORS); none by default.
    pub cors_origins: Vec<String>,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            data_dir: data_dir.into(),
            database_url: None,
            jwt_secret: None,
            explorer: true,
            body_limit_bytes: 1024 * 1024,
            smtp_url: None,
            mail_from: "晋中市场景创新平台 <noreply@jzcx.cn>".to_owned(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            mail_retry_base: Duration::from_secs(30),
            mail_max_attempts: 8,
            cors_origins: Vec::new(),
            mail_poll_interval: Duration::from_secs(1),
            loader_batch_window: Duration::from_millis(5),
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| Db::sqlite_url(&self.data_dir))
    }
}

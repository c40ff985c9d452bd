//! Run-time configuration, shared by every command.

use std::path::PathBuf;

use crate::db::Db;

#[derive(Clone, Debug)]
pub struct Config {
    /// Holds the embedded database, the generated signing key and, later, outgoing mail.
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; the embedded SQLite file in `data_dir` when absent.
    pub database_url: Option<String>,
    /// HS256 key for access tokens (at least 32 bytes). Generated into `data_dir` when absent;
    /// every instance of a multi-instance deployment must be given the same one.
    pub jwt_secret: Option<String>,
    /// Whether the schema answers introspection queries (GraphiQL needs them).
    pub introspection: bool,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            data_dir: data_dir.into(),
            database_url: None,
            jwt_secret: None,
            introspection: true,
            body_limit_bytes: 1024 * 1024,
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| Db::sqlite_url(&self.data_dir))
    }
}

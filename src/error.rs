//! Errors, in two kinds (DESIGN.md, API conventions):
//!
//! - [`AppError`]: authentication, permission, unknown ids, conflicts and internal failures. They
//!   become top-level GraphQL errors whose `extensions.code` is stable and whose message is a fixed
//!   Chinese sentence; the cause of an internal failure is logged, never sent.
//! - [`UserError`]: validation and business-rule failures, returned in a mutation payload's `errors`
//!   so that a form can show them next to the field they concern.

use std::sync::Arc;

use async_graphql::{Enum, ErrorExtensions, SimpleObject};

/// Clone, because resolvers may return it directly; the sources are shared behind `Arc`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("authentication required or token invalid")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    /// FORBIDDEN, saying who may do it instead (Chinese, shown as is).
    #[error("forbidden: {0}")]
    NotYours(&'static str),
    /// The viewer's organization is suspended or was rejected: a stable code and the Chinese
    /// message that says why and what to do.
    #[error("organization may not act: {code}")]
    OrganizationInactive {
        code: &'static str,
        message: &'static str,
    },
    #[error("not found")]
    NotFound,
    #[error("conflict: the object was changed by someone else")]
    Conflict,
    /// Too many attempts: the client may try again after this many seconds.
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// A request the API cannot make sense of; the message is shown to the client as is and must
    /// therefore be Chinese and free of internals.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("database error: {0}")]
    Database(Arc<sqlx::Error>),
    #[error("internal error: {0:#}")]
    Internal(Arc<anyhow::Error>),
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if crate::db::is_stale(&err) {
            return AppError::Conflict;
        }
        AppError::Database(Arc::new(err))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::Internal(Arc::new(err))
    }
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden | AppError::NotYours(_) => "FORBIDDEN",
            AppError::OrganizationInactive { code, .. } => code,
            AppError::NotFound => "NOT_FOUND",
            AppError::Conflict => "CONFLICT",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::BadRequest(_) => "BAD_REQUEST",
            AppError::Database(_) | AppError::Internal(_) => "INTERNAL",
        }
    }

    /// The text a client reads.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Unauthenticated => "未登录或登录已失效，请重新登录".into(),
            AppError::Forbidden => "没有执行此操作的权限".into(),
            AppError::NotYours(who) => (*who).into(),
            AppError::OrganizationInactive { message, .. } => (*message).into(),
            AppError::NotFound => "对象不存在".into(),
            AppError::Conflict => "数据已被他人修改，请刷新后重试".into(),
            AppError::RateLimited { retry_after_secs } => {
                format!("尝试过于频繁，请在{retry_after_secs}秒后再试")
            }
            AppError::BadRequest(message) => message.clone(),
            AppError::Database(_) | AppError::Internal(_) => "服务器内部错误，请稍后再试".into(),
        }
    }

    /// Logs the cause of an internal failure; the client reads only the public message.
    pub fn log(&self) {
        if matches!(self, AppError::Database(_) | AppError::Internal(_)) {
            tracing::error!(error = %self, "request failed");
        }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        AppError::Internal(Arc::new(anyhow::anyhow!("{message}")))
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.log();
        let code = err.code();
        let retry_after = match err {
            AppError::RateLimited { retry_after_secs } => Some(retry_after_secs),
            _ => None,
        };
        async_graphql::Error::new(err.public_message()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(seconds) = retry_after {
                ext.set("retryAfterSeconds", seconds);
            }
        })
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// What a service answers for a write: the changed object, or the refusals to show next to the
/// fields they concern (nothing was written then).
pub type Outcome<T> = Result<T, Vec<UserError>>;

/// Implements `From<Outcome<Row>>` for a mutation payload `{ <field>: Option<Node>, errors }`,
/// where `Node` wraps `Row`: the object when the service changed it, the refusals otherwise.
///
/// `error::outcome_payload!(ScenarioPayload { scenario: Scenario(ScenarioRow) });`
macro_rules! outcome_payload {
    ($payload:ident { $field:ident : $node:ident ( $row:ty ) }) => {
        impl From<$crate::error::Outcome<$row>> for $payload {
            fn from(outcome: $crate::error::Outcome<$row>) -> Self {
                match outcome {
                    Ok(row) => $payload {
                        $field: Some($node(row)),
                        errors: Vec::new(),
                    },
                    Err(errors) => $payload {
                        $field: None,
                        errors,
                    },
                }
            }
        }
    };
}
pub(crate) use outcome_payload;

/// One refusal as an [`Outcome`].
pub fn refuse<T>(field: &[&str], code: ErrorCode, message: impl Into<String>) -> Outcome<T> {
    Err(vec![UserError::new(field, code, message)])
}

/// Stable codes of validation and business-rule failures.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// A required value is missing or empty.
    Required,
    /// The value has the wrong form.
    Invalid,
    /// The value is too long.
    TooLong,
    /// The number is outside the allowed range.
    OutOfRange,
    /// Another object already uses this value.
    Duplicate,
    /// The password is too short or too common.
    PasswordTooWeak,
    /// The unified social credit code fails the GB 32100-2015 check.
    InvalidCreditCode,
    /// The region code is not one of the platform's regions.
    UnknownRegion,
    /// E-mail or password is wrong.
    InvalidCredentials,
    /// The action is not allowed from the object's current state.
    InvalidTransition,
    /// The organization must be verified by an admin first.
    OrganizationNotVerified,
    /// Something the step needs is missing or out of date (e.g. a deadline in the past).
    Incomplete,
    /// The e-mailed token is unknown, already used or expired.
    InvalidToken,
    /// The account was removed from its organization and can no longer sign in.
    MemberRemoved,
    /// Too many open invitations for one organization.
    LimitReached,
    /// The user's e-mail address must be verified first (a new link: resendVerificationEmail).
    EmailNotVerified,
}

/// A validation or business-rule failure, returned in a mutation payload.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    /// Path to the input field the error concerns, e.g. `["organization", "creditCode"]`; null when
    /// it concerns the input as a whole.
    pub field: Option<Vec<String>>,
    pub code: ErrorCode,
    /// Chinese text to show the user.
    pub message: String,
}

impl UserError {
    pub fn new(field: &[&str], code: ErrorCode, message: impl Into<String>) -> Self {
        UserError {
            field: (!field.is_empty()).then(|| field.iter().map(|s| s.to_string()).collect()),
            code,
            message: message.into(),
        }
    }
}

/// Texts of at most this many characters (names, titles) are one line.
pub const SINGLE_LINE_MAX: usize = 100;

/// What is wrong with the characters of a text, if anything: control characters other than line
/// breaks and tabs, bidirectional overrides or a byte-order mark anywhere, and line breaks or tabs
/// in a one-line text. The same characters the GraphQL door refuses in any input.
pub fn text_problem(text: &str, one_line: bool) -> Option<&'static str> {
    let forbidden = |c: char| {
        (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    };
    if text.chars().any(forbidden) {
        Some("含有不允许的控制字符，请删除后重试")
    } else if one_line && text.chars().any(|c| matches!(c, '\n' | '\r' | '\t')) {
        Some("不能换行或含制表符")
    } else {
        None
    }
}

/// Collects the failures of one input before anything is written.
#[derive(Default, Debug)]
pub struct Validator {
    errors: Vec<UserError>,
}

impl Validator {
    pub fn push(&mut self, field: &[&str], code: ErrorCode, message: impl Into<String>) {
        self.errors.push(UserError::new(field, code, message));
    }

    /// Checks a required text field: trimmed, non-empty, at most `max` characters, free of
    /// control characters, and one line when it is short (a name or title, at most
    /// [`SINGLE_LINE_MAX`] characters).
    pub fn text(&mut self, field: &[&str], label: &str, value: &str, max: usize) -> bool {
        let value = value.trim();
        if value.is_empty() {
            self.push(field, ErrorCode::Required, format!("请填写{label}"));
            false
        } else if let Some(problem) = text_problem(value, max <= SINGLE_LINE_MAX) {
            self.push(field, ErrorCode::Invalid, format!("{label}{problem}"));
            false
        } else if value.chars().count() > max {
            self.push(
                field,
                ErrorCode::TooLong,
                format!("{label}不能超过{max}个字符"),
            );
            false
        } else {
            true
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn into_errors(self) -> Vec<UserError> {
        self.errors
    }

    /// `Ok(())` when nothing failed, otherwise the collected errors.
    pub fn finish(self) -> Result<(), Vec<UserError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

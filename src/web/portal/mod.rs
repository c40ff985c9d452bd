//! The public face of the two lists: server-rendered pages (the home page, both lists with their
//! filters, items by public code, editions, the 推广 showcase of landed cases, the statistics),
//! Atom feeds, the open-data JSON, `sitemap.xml` and `robots.txt`.
//!
//! Everything here is read as an anonymous viewer through the slices' services, so the pages show
//! exactly what the API shows a visitor who has not signed in: never a draft, an item under
//! review, a contact or a match. Pages are the same for everyone, so they carry an `ETag` and may
//! be cached for a minute; a repeated view with `If-None-Match` is answered 304 without a body.
//!
//! Templates (`templates/`, minijinja, escaping HTML by default) are compiled into the binary and
//! parsed once.

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minijinja::{Environment, Value, context};
use serde::Serialize;
use sha2::{Digest, Sha256};

mod charts;
mod events;
mod feeds;
mod pages;
mod view;

use crate::activities::EventStatus;
use crate::capabilities::CapabilityStatus;
use crate::db::Db;
use crate::error::AppError;
use crate::mail::templates::escape_html;
use crate::scenarios::ScenarioStatus;
use crate::search::LiveIndex;
use crate::taxonomy::Taxonomy;
use crate::viewer::Viewer;

pub use view::{capability_path, encode, scenario_path};

/// The site's name in titles and feeds.
pub const SITE_NAME: &str = "晋中市场景创新两张清单平台";

/// The public page of a list item in `status` (for e-mails that link to it), if it has one.
pub fn public_page(aggregate: &str, status: &str, code: &str) -> Option<String> {
    match aggregate {
        "SCENARIO" => ScenarioStatus::parse(status)
            .filter(|s| s.is_public())
            .map(|_| scenario_path(code)),
        "CAPABILITY" => CapabilityStatus::parse(status)
            .filter(|s| s.is_public())
            .map(|_| capability_path(code)),
        // Of an event, and of a registration for it: the event's page (its code is its id).
        "EVENT" | "EVENT_REGISTRATION" => EventStatus::parse(status)
            .filter(|s| s.is_public())
            .map(|_| events::event_path(code)),
        _ => None,
    }
}

/// What the public pages read: the database, the taxonomy, the live index and the site's public
/// address (for canonical links and feeds; no trailing slash).
#[derive(Clone)]
pub struct Portal {
    pub db: Db,
    pub taxonomy: Arc<Taxonomy>,
    pub index: Arc<LiveIndex>,
    pub site: Arc<str>,
}

impl Portal {
    /// The absolute address of a path on this site.
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.site)
    }
}

/// The public pages, feeds and open data, for any router state that can lend a [`Portal`].
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Portal: FromRef<S>,
{
    Router::new()
        .route("/", get(pages::home))
        .route("/opportunities", get(pages::opportunities))
        .route("/opportunities/{code}", get(pages::scenario))
        .route("/capabilities", get(pages::capabilities))
        .route("/capabilities/{code}", get(pages::capability))
        .route("/cases", get(pages::cases))
        .route("/cases/{code}", get(pages::case))
        .route("/editions", get(pages::editions))
        .route("/editions/{id}", get(pages::edition))
        .route("/events", get(events::list))
        .route("/events/{file}", get(events::event))
        .route("/stats", get(charts::page))
        .route("/feeds/{file}", get(feeds::atom))
        .route("/open-data/{file}", get(feeds::open_data))
        .route("/sitemap.xml", get(feeds::sitemap))
        .route("/robots.txt", get(feeds::robots))
        .route("/assets/site.css", get(stylesheet))
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // Escapes as the account pages and e-mails do: `/` stays as it is, so addresses read well.
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == minijinja::AutoEscape::Html
            && !value.is_safe()
            && let Some(text) = value.as_str()
        {
            return out
                .write_str(&escape_html(text))
                .map_err(minijinja::Error::from);
        }
        minijinja::escape_formatter(out, state, value)
    });
    for (name, source) in [
        ("base.html", include_str!("templates/base.html")),
        ("macros.html", include_str!("templates/macros.html")),
        ("home.html", include_str!("templates/home.html")),
        ("list.html", include_str!("templates/list.html")),
        ("scenario.html", include_str!("templates/scenario.html")),
        ("capability.html", include_str!("templates/capability.html")),
        ("editions.html", include_str!("templates/editions.html")),
        ("edition.html", include_str!("templates/edition.html")),
        ("cases.html", include_str!("templates/cases.html")),
        ("stats.html", include_str!("templates/stats.html")),
        ("events.html", include_str!("templates/events.html")),
        ("event.html", include_str!("templates/event.html")),
        ("error.html", include_str!("templates/error.html")),
    ] {
        env.add_template(name, source)
            .expect("the page templates are valid");
    }
    env
});

/// Everyone reading a public page: no one signed in.
static VISITOR: Viewer = Viewer::Anonymous;

/// What every page's head says about it.
struct Head {
    title: String,
    description: String,
    /// The page's address on this site (path and canonical query).
    path: String,
    /// The navigation entry the page belongs to.
    section: &'static str,
}

/// A failure while making a page: the reader's (400, 404) or ours (500, logged, generic text).
pub struct Failure(AppError);

impl From<AppError> for Failure {
    fn from(err: AppError) -> Failure {
        Failure(err)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(err: sqlx::Error) -> Failure {
        Failure(err.into())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self.0 {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "页面不存在",
                "没有找到这个页面：内容可能尚未发布、已撤回，或链接有误。".to_owned(),
            ),
            AppError::BadRequest(message) => (StatusCode::BAD_REQUEST, "请求有误", message.clone()),
            other => {
                other.log();
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "服务暂时不可用",
                    other.public_message().to_owned(),
                )
            }
        };
        let html = TEMPLATES.get_template("error.html").and_then(|t| {
            t.render(context! {
                site_name => SITE_NAME, title => title, description => message,
                canonical => "", section => "", message => message,
            })
        });
        let body = html.unwrap_or_else(|err| {
            tracing::error!(error = %err, "rendering the error page failed");
            message
        });
        (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response()
    }
}

pub type PageResult = Result<Response, Failure>;

/// Renders `template` with the head and the page's own values, as a cacheable HTML answer.
fn render(
    portal: &Portal,
    request: &HeaderMap,
    template: &str,
    head: Head,
    values: impl Serialize,
) -> PageResult {
    let html = TEMPLATES.get_template(template).and_then(|t| {
        t.render(context! {
            site_name => SITE_NAME,
            title => head.title,
            description => head.description,
            canonical => portal.url(&head.path),
            section => head.section,
            ..Value::from_serialize(&values)
        })
    });
    match html {
        Ok(html) => Ok(cacheable(
            request,
            "text/html; charset=utf-8",
            html.into_bytes(),
        )),
        Err(err) => Err(Failure(AppError::internal(format!(
            "rendering {template} failed: {err:#}"
        )))),
    }
}

/// The public pages load nothing but their own stylesheet, run no script, and submit forms only
/// to this site.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Seconds a browser or proxy may keep a public answer without asking again.
const MAX_AGE: &str = "public, max-age=60";

/// A public answer with its `ETag` (a digest of the body); 304 without a body when the request's
/// `If-None-Match` names it.
fn cacheable(request: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    let digest = Sha256::digest(&body);
    let tag = format!(
        "\"{}\"",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let tag = HeaderValue::from_str(&tag).expect("hex digits are a valid header value");
    let matches = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().trim_start_matches("W/"))
        .any(|v| v == "*" || v.as_bytes() == tag.as_bytes());
    let headers = [
        (header::ETAG, tag),
        (header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE)),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
    ];
    if matches {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (
        headers,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

async fn stylesheet(request: HeaderMap) -> Response {
    cacheable(
        &request,
        "text/css; charset=utf-8",
        include_str!("templates/site.css").as_bytes().to_vec(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for name in TEMPLATES.templates().map(|(name, _)| name) {
            assert!(TEMPLATES.get_template(name).is_ok(), "{name}");
        }
        assert_eq!(TEMPLATES.templates().count(), 13);
    }

    #[test]
    fn a_matching_etag_is_answered_304_without_a_body() {
        let first = cacheable(&HeaderMap::new(), "text/plain", b"body".to_vec());
        assert_eq!(first.status(), StatusCode::OK);
        let tag = first.headers()[header::ETAG].clone();
        let mut again = HeaderMap::new();
        again.insert(header::IF_NONE_MATCH, tag.clone());
        let second = cacheable(&again, "text/plain", b"body".to_vec());
        assert_eq!(second.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(second.headers()[header::ETAG], tag);
        let mut other = HeaderMap::new();
        other.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"abc\""));
        let third = cacheable(&other, "text/plain", b"body".to_vec());
        assert_eq!(third.status(), StatusCode::OK);
    }
}

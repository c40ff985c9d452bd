//! GraphiQL, served from the binary: the page at `GET /graphql` and the scripts and styles it
//! loads (`assets/graphiql/`), so that it works without the internet. Subscriptions go to
//! `/graphql/ws`; the headers given in GraphiQL (`{"Authorization": "Bearer …"}`) sign both in.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// The GraphiQL release in `assets/graphiql/`; part of the assets' path, so they can be cached
/// for good.
const VERSION: &str = "4.1.2";

/// (file name, content type, content)
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
];

/// The assets, for any router state.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/graphiql/{version}/{file}", get(asset))
}

async fn asset(Path((version, file)): Path<(String, String)>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) if version == VERSION => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *body,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The GraphiQL page.
pub async fn page() -> Html<String> {
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL · 晋中市场景创新两张清单平台</title>
<style>body {{ height: 100%; margin: 0; width: 100%; overflow: hidden; }} #graphiql {{ height: 100vh; }}</style>
<script src="/graphiql/{VERSION}/react.production.min.js"></script>
<script src="/graphiql/{VERSION}/react-dom.production.min.js"></script>
<link rel="stylesheet" href="/graphiql/{VERSION}/graphiql.min.css">
</head>
<body>
<div id="graphiql">正在加载 GraphiQL…</div>
<script src="/graphiql/{VERSION}/graphiql.min.js"></script>
<script>
const address = (path, socket) => {{
  const url = new URL(path, window.location.origin);
  if (socket) url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}};
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {{
    fetcher: GraphiQL.createFetcher({{
      url: address('/graphql', false),
      subscriptionUrl: address('/graphql/ws', true),
    }}),
    defaultEditorToolsVisibility: true,
  }})
);
</script>
</body>
</html>
"#
    ))
}

//! The HTTP server `serve` runs: the router on hyper, with the limits that keep slow or idle
//! clients from exhausting it (SECURITY.md, "Limits"):
//!
//! - at most [`ServerLimits::max_connections`] connections at a time; more wait in the kernel's
//!   backlog instead of taking file descriptors the database and the mail need;
//! - a connection that has not sent a whole request head within
//!   [`ServerLimits::header_timeout`] is closed: a half-sent request, or a kept-alive connection
//!   that has gone idle;
//! - an accept error (out of file descriptors, say) is logged and retried after a pause that
//!   doubles up to a second, instead of spinning.
//!
//! It speaks HTTP/1.1 (with upgrades, for the WebSocket of the subscriptions); a proxy in front of
//! it may speak HTTP/2 to browsers. On shutdown it stops accepting and lets the connections finish
//! what they are doing.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt as _;

use crate::viewer::ClientAddr;

/// The server's limits; `serve` takes them from its settings.
#[derive(Clone, Debug)]
pub struct ServerLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    /// Behind a reverse proxy: take the client's address from the last `X-Forwarded-For` entry
    /// (the one the proxy added) instead of the connection's peer, which is the proxy.
    pub trust_forwarded_for: bool,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            trust_forwarded_for: false,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then waits for the connections in
/// flight to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) {
    let max = limits.max_connections.max(1);
    let permits = Arc::new(Semaphore::new(max));
    let (stopping, stop) = watch::channel(false);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut pause = Duration::ZERO;
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    pause = (pause * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
                    tracing::warn!(error = %e, pause_ms = pause.as_millis() as u64, "accept failed");
                    tokio::time::sleep(pause).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        pause = Duration::ZERO;
        let _ = stream.set_nodelay(true);
        let trust_forwarded_for = limits.trust_forwarded_for;
        let service = router
            .clone()
            .map_request(move |request: Request<Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                let forwarded = trust_forwarded_for
                    .then(|| forwarded_for(request.headers()))
                    .flatten();
                let client = ClientAddr(Some(forwarded.unwrap_or(peer.ip())));
                request.extensions_mut().insert(client);
                request
            });
        let connection = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let stopped = tokio::select! {
                _ = connection.as_mut() => false,
                stopped = stop.wait_for(|stopping| *stopping) => stopped.is_ok(),
            };
            if stopped {
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
            drop(permit);
        });
    }
    drop(listener);
    stopping.send_replace(true);
    // Every connection holds a permit until it ends: all of them back means all ended.
    let _ = permits.acquire_many(max as u32).await;
}

/// The address the nearest proxy saw: the last entry of the last `X-Forwarded-For` header.
fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<std::net::IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?
        .to_str()
        .ok()?
        .rsplit(',')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Errors of one incoming connection (the peer gave up), not of the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

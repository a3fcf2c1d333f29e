//! The accept loop: HTTP/1.1 connections served by hyper, each with a time
//! limit on its request headers, and graceful shutdown.
//!
//! axum's own `serve` sets no header-read timeout, so a client that opens
//! connections and never finishes their headers could hold them for ever
//! (thousands at once). Here hyper's `header_read_timeout`
//! (`--header-read-timeout-ms`) closes a connection whose request head has
//! not fully arrived in time — on its first request and while a kept-alive
//! connection waits for its next one. Body uploads are bounded by
//! `--body-read-timeout-ms` ([`super::body`]).

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;

/// Serves `app` on `listener` until `shutdown` resolves; then stops
/// accepting, lets the requests in flight finish (idle kept-alive
/// connections are closed) and returns.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little
                    // rather than spin, as axum's `serve` does.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small request/response exchanges: send each answer at once rather
        // than wait for the client's acknowledgement (Nagle).
        let _ = stream.set_nodelay(true);
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout)
            .keep_alive(true);
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away or times out ends its connection;
            // there is no one to tell.
            let _ = connection.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

//! How every floe HTTP server serves (storage node, publisher/aggregator, indexer, key server):
//! one accept loop with limits nobody can starve, and one shape for every error.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use axum::{Router, routing::get};
//! use floe_serve::{ServeLimits, serve};
//!
//! let app = Router::new().route("/v1/health", get(|| async { "ok" }));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! // Until Ctrl-C; requests in flight then finish.
//! serve(listener, app, ServeLimits::default(), async { tokio::signal::ctrl_c().await.ok(); }).await
//! # }
//! ```
//!
//! What [`serve`] enforces, per [`ServeLimits`]:
//! - **header read timeout** ([`HEADER_READ_TIMEOUT`], 10 s): a request head must arrive whole
//!   within it. hyper runs this timer from the moment a connection waits for a head, so it is also
//!   the **idle connection timeout**: a connection that opens and sends nothing, or a keep-alive
//!   connection that sends no next request, is closed after it.
//! - **body read timeout** ([`BODY_READ_TIMEOUT`], 30 s): a request body that delivers no data
//!   for that long fails (400); a body may take longer in total as long as it keeps moving.
//! - **connection limit** ([`MAX_CONNECTIONS`], 1024): beyond it, new connections wait in the
//!   kernel's backlog until one closes, instead of exhausting file descriptors; with the two
//!   timeouts above, idle connections free their slots within seconds.
//! - **body limit** (`max_body`, per server): a declared `Content-Length` above it is refused at
//!   once with 413 naming the limit, before any byte of the body is read; a body without a
//!   declared length fails when it passes the limit.
//! - **CORS** ([`Cors`], per server, off unless configured): preflights answered, allowed
//!   origins may call every route and read every header (see [`cors`]).
//! - **TLS** ([`tls::TlsIdentity`], per server): with an identity every connection is TLS (the
//!   handshake must finish within the header read timeout, and holds a connection slot like any
//!   connection); without one the server speaks plain HTTP, which callers choose explicitly.
//! - **HTTP/2** beside HTTP/1.1: a client that offers it (ALPN on TLS, its preface on plain TCP)
//!   gets one connection for all its requests at once, with the flow-control windows of
//!   [`HTTP2_WINDOWS`] and at most [`MAX_STREAMS_PER_CONNECTION`] requests in flight. An HTTP/2
//!   connection on which no request has started for the header read timeout is closed
//!   gracefully (the requests in flight finish), as hyper closes an idle HTTP/1.1 one.
//! - **JSON errors**: every error answer that is not JSON already (axum's extractor rejections,
//!   unknown routes, wrong methods, the limits above) becomes floe's error shape
//!   `{"error": {"code": 400, "message": "..."}}` ([`error_response`]), keeping its status. A
//!   body cut off by the client (a half-closed connection) is 400, not 413.

use std::{convert::Infallible, future::Future, pin::pin, sync::Arc, time::Duration};

use axum::{
    Json, Router,
    body::Body,
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpListener,
    sync::{Semaphore, watch},
};
use tower::ServiceExt;

pub mod cors;
pub mod tls;

pub use cors::{Cors, InvalidOrigin};
pub use tls::{TlsError, TlsIdentity};

/// How long a request head may take to arrive, counted from when the connection starts waiting
/// for it (so also how long a connection may sit idle).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request body may deliver nothing.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 1024;
/// The body limit of a server that takes no large bodies.
pub const DEFAULT_MAX_BODY: u64 = 1024 * 1024;
/// HTTP/2 requests one connection may have in flight at once.
pub const MAX_STREAMS_PER_CONNECTION: u32 = 256;

/// How much an HTTP/2 peer may send before it is told to go on (flow-control windows, in bytes),
/// and its largest frame: what floe's servers offer for request bodies, and the node client for
/// answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Http2Windows {
    /// Per request.
    pub stream: u32,
    /// Per connection, over all its requests.
    pub connection: u32,
    /// The largest frame.
    pub frame: u32,
}

/// One connection carries all of a client's requests to a server at once (a store sends a node
/// its metadata, slivers and confirmation request together). hyper's defaults (64 KiB to 1 MiB
/// windows, 16 KiB frames) and its adaptive windows made a 64 MiB store at 10 nodes 20-28%
/// slower than over HTTP/1.1's eight connections per node; these made it as fast or faster
/// (docs/performance.md, "One round per node, one connection per node"). A connection's window
/// is also how much a server buffers for it, at most, before its handlers read.
pub const HTTP2_WINDOWS: Http2Windows = Http2Windows { stream: 4 << 20, connection: 16 << 20, frame: (1 << 20) - 1 };
/// The pause after a failed `accept` (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);
/// The most of a non-JSON error body kept as the JSON error's message.
const MAX_REJECTION_TEXT: usize = 16 * 1024;

/// A server's limits (see the crate documentation for what each does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// See [`HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// See [`BODY_READ_TIMEOUT`].
    pub body_read_timeout: Duration,
    /// See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// The largest request body, in bytes.
    pub max_body: u64,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

impl ServeLimits {
    /// The default limits with a body limit of `max_body` bytes.
    pub fn with_max_body(max_body: u64) -> Self {
        Self { max_body, ..Self::default() }
    }
}

/// Everything [`serve_with`] applies: the limits, the CORS policy and TLS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeOptions {
    /// Timeouts, connection and body limits.
    pub limits: ServeLimits,
    /// Which web origins may call the server from a browser.
    pub cors: Cors,
    /// The certificate and key to serve TLS with; `None` serves plain HTTP.
    pub tls: Option<TlsIdentity>,
}

/// floe's error answer: `status` with `{"error": {"code": status, "message": message}}`.
pub fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": { "code": status.as_u16(), "message": message.into() } });
    (status, Json(body)).into_response()
}

/// Serves `app` on `listener` under `limits` until `shutdown` completes; then stops accepting,
/// lets requests in flight finish, closes idle connections, and returns once every connection
/// has ended.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, ServeOptions { limits, cors: Cors::Off, tls: None }, shutdown).await
}

/// [`serve`] with a CORS policy and TLS as well as limits.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = options.limits;
    let app = guarded(app, limits, &options.cors);
    let tls = options.tls.as_ref().map(TlsIdentity::acceptor);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (closing, closing_seen) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        // A slot first: at the limit, new connections wait in the backlog, not in memory.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small answers (statuses, confirmations) should not wait for Nagle.
        let _ = stream.set_nodelay(true);
        // The peer's address, for handlers that limit per client (`ConnectInfo`).
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                request
            },
        ));
        let closing = closing_seen.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let Some(tls) = tls else {
                return serve_connection(stream, service, limits, closing).await;
            };
            // The handshake counts against the header timeout: a client that opens a connection
            // and never finishes it frees its slot as one that never sends a head does.
            match tokio::time::timeout(limits.header_read_timeout, tls.accept(stream)).await {
                Ok(Ok(stream)) => serve_connection(stream, service, limits, closing).await,
                Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
    closing.send_replace(true);
    // Every connection holds a slot until it ends.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// Serves HTTP/1.1 or HTTP/2 (whichever the client speaks, as its first bytes tell; on TLS the
/// two agree on it by ALPN first) on one connection until it ends, or gracefully once `closing`
/// turns true or no request has started for [`ServeLimits::header_read_timeout`]. hyper closes an
/// idle HTTP/1.1 connection itself; an HTTP/2 one would otherwise hold its slot for ever. A
/// graceful end lets the requests in flight finish (an HTTP/1.1 connection busy with one long
/// request is closed after it rather than kept alive); an HTTP/2 client is told (GOAWAY) to send
/// new ones elsewhere.
async fn serve_connection<S>(
    stream: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
    service: S,
    limits: ServeLimits,
    mut closing: watch::Receiver<bool>,
) where
    S: hyper::service::Service<hyper::Request<hyper::body::Incoming>, Response = Response> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .initial_stream_window_size(HTTP2_WINDOWS.stream)
        .initial_connection_window_size(HTTP2_WINDOWS.connection)
        .max_frame_size(HTTP2_WINDOWS.frame)
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION);
    let started = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let service = {
        let started = started.clone();
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            hyper::service::Service::call(&service, request)
        })
    };
    let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
    // The watch guard is dropped inside the arm's future, so none is held across awaits.
    let closed = async move {
        let _ = closing.wait_for(|closing| *closing).await;
    };
    let idle = async {
        loop {
            let seen = started.load(std::sync::atomic::Ordering::Relaxed);
            tokio::time::sleep(limits.header_read_timeout).await;
            if started.load(std::sync::atomic::Ordering::Relaxed) == seen {
                return;
            }
        }
    };
    let ending = async {
        tokio::select! {
            () = closed => {}
            () = idle => {}
        }
    };
    let ended = tokio::select! {
        ended = connection.as_mut() => ended,
        () = ending => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = ended {
        tracing::debug!(%error, "connection ended with an error");
    }
}

/// `app` behind the CORS layer, the limits and the JSON error mapping, as a service of hyper's
/// requests.
fn guarded(
    app: Router,
    limits: ServeLimits,
    cors: &Cors,
) -> impl tower::Service<
    hyper::Request<hyper::body::Incoming>,
    Response = Response,
    Error = Infallible,
    Future = impl Send + 'static,
> + Clone
+ Send
+ 'static {
    // Around the whole router (not `Router::layer`), so unknown routes are answered the same way.
    let layer =
        axum::middleware::from_fn(move |request: Request, next: axum::middleware::Next| guard(request, next, limits));
    // CORS outermost: preflights are answered before any route or limit, and every answer
    // (errors included) carries the headers a browser needs to let the page read it.
    let cors = tower::util::option_layer(cors.layer());
    tower::Layer::layer(&cors, tower::Layer::layer(&layer, app)).map_request(
        move |request: hyper::Request<hyper::body::Incoming>| {
            let max_body = usize::try_from(limits.max_body).unwrap_or(usize::MAX);
            request.map(|body| {
                let limited = http_body_util::Limited::new(body, max_body);
                Body::new(tower_http::timeout::TimeoutBody::new(limits.body_read_timeout, limited))
            })
        },
    )
}

/// Refuses a declared body over the limit, then maps any non-JSON error answer to JSON.
async fn guard(request: Request, next: axum::middleware::Next, limits: ServeLimits) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if let Some(declared) = declared.filter(|declared| *declared > limits.max_body) {
        let mut response = error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body of {declared} bytes exceeds this server's limit of {} bytes", limits.max_body),
        );
        // The body is not read: the connection cannot carry another request.
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    as_json_error(response, &method, &path, Some(limits.max_body)).await
}

/// `app` with every non-JSON error answer (extractor rejections, unknown routes, wrong methods)
/// turned into floe's JSON error: what [`serve`] does, for a router driven another way (tests
/// calling it as a service).
pub fn json_errors(app: Router) -> Router {
    app.layer(axum::middleware::from_fn(|request: Request, next: axum::middleware::Next| async move {
        let (method, path) = (request.method().clone(), request.uri().path().to_owned());
        let response = next.run(request).await;
        as_json_error(response, &method, &path, None).await
    }))
}

/// `response` unchanged unless it is an error without a JSON body; then the same status with
/// floe's JSON error, its text (or, when it has none, what went wrong) as the message.
async fn as_json_error(response: Response, method: &Method, path: &str, max_body: Option<u64>) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_REJECTION_TEXT).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE if max_body.is_some() => {
            format!("the request body exceeds this server's limit of {} bytes", max_body.unwrap_or_default())
        }
        StatusCode::NOT_FOUND if text.is_empty() => format!("no route {method} {path}"),
        StatusCode::METHOD_NOT_ALLOWED if text.is_empty() => format!("{path} does not take {method}"),
        _ if text.is_empty() => status.canonical_reason().unwrap_or("error").to_owned(),
        _ => text,
    };
    let mut answer = error_response(status, message);
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    // Keep what the original answer said beyond its body (e.g. `Allow` on a 405).
    for (name, value) in parts.headers.iter() {
        answer.headers_mut().entry(name.clone()).or_insert_with(|| value.clone());
    }
    answer
}

/// Whether reading a body failed because it passed a size limit (as opposed to the client
/// cutting it off or going quiet): 413 for the former, 400 for the rest.
pub fn is_body_too_large(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = error.source();
    }
    false
}

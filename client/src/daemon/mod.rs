//! The HTTP daemon in the shape of Walrus' publisher and aggregator, so Walrus-style clients work
//! unchanged:
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/v1/blobs/{blob_id}` | the blob's bytes; `Range: bytes=...` for a part (206) |
//! | GET | `/v1/blobs/{blob_id}/byte-range?start=S&length=L` | bytes `S..S+L` of the blob, as Walrus' aggregator |
//! | GET | `/v1/blobs/by-object-id/{object_id}` | the blob of a `Blob` object, with its `content-type` (and other allow-listed) attributes as headers |
//! | PUT | `/v1/blobs?epochs=N&deletable=true&permanent=true&send_object_to=0x..&force=true` | stores the body; answers `{"newlyCreated": ...}` or `{"alreadyCertified": ...}` |
//! | PUT | `/v1/quilts?epochs=N&...` | stores a multipart form (one part per file, optional `_metadata` tags) as one quilt |
//! | GET | `/v1/blobs/by-quilt-patch-id/{id}` | one file of a quilt by its quilt patch id |
//! | GET | `/v1/blobs/by-quilt-id/{quilt_id}/{identifier}` | one file of a quilt by identifier |
//! | GET | `/v1/quilts/{quilt_id}/patches` | a quilt's files: identifier, patch id, tags |
//!
//! Blobs are deletable by default, as in Walrus since v1.33; `permanent=true` stores a
//! permanent blob (one already certified for long enough is then not paid for again). The
//! publisher needs a client with a chain connection and a key; without one, `PUT` answers 503.
//! Errors are JSON `{"error": {"code", "message"}}`, extractor rejections included: the daemon
//! is served by floe-serve ([`serve`]), with its header and body read timeouts, connection limit
//! and a body limit of [`DaemonSettings::max_body`] refused up front (413 naming the limit).
//!
//! The publisher checks what it can before spending anything: `epochs` within 1 ..= the chain's
//! `max_epochs_ahead` (400 naming the limit), the size against the body limit and the committee's
//! largest blob (413). It stores through one [`FloeClient`], whose coin pool lends each
//! transaction its own coins, so concurrent `PUT`s from one key do not collide; a `PUT` of bytes
//! whose earlier store was paid but never certified resumes that `Blob` object (see
//! [`FloeClient::store`]).
//!
//! The aggregator serves only certified blobs: one that is registered but not certified is a
//! 409, whatever bytes the nodes may already hold. It streams ([`crate::blob_stream`]): the
//! metadata is verified before the headers go out, each sliver before its bytes do, and a range
//! fetches only the slivers holding it; all reads together hold at most
//! [`DaemonSettings::read_budget`]. A read that fails after the headers were sent ends the body
//! early (the connection is cut), so a client sees a short body, never a wrong byte.

mod aggregator;
pub mod auth;
pub mod limits;
mod publisher;
mod quilts;
pub(crate) mod range;

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use tokio::{net::TcpListener, task::JoinHandle};

use crate::{blob_stream::ReadBudget, client::FloeClient, settings::DEFAULT_MAX_PUBLISH_BODY};

/// Who may use the daemon, and how much (all off by default: an open daemon).
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Stores must carry a token this verifies.
    pub publisher_auth: Option<Arc<auth::PublisherAuth>>,
    /// Stores per client address and minute.
    pub store_rate: Option<Arc<limits::ClientRateLimit>>,
    /// Reads per client address and minute.
    pub read_rate: Option<Arc<limits::ClientRateLimit>>,
    /// WAL the publisher may spend per day.
    pub daily_budget: Option<Arc<limits::DailyBudget>>,
}

/// What the daemon serves and its limits.
#[derive(Debug, Clone)]
pub struct DaemonSettings {
    /// The largest body `PUT /v1/blobs` and `PUT /v1/quilts` accept, in bytes (413 beyond).
    pub max_body: usize,
    /// Whether `PUT /v1/blobs` is served (the publisher role).
    pub publisher: bool,
    /// Whether `GET /v1/blobs/...` is served (the aggregator role).
    pub aggregator: bool,
    /// Tokens, rates and budget.
    pub access: Access,
    /// Which web origins browsers may call it from (none by default).
    pub cors: floe_serve::Cors,
    /// The certificate it serves TLS with; `None` serves plain HTTP.
    pub tls: Option<floe_serve::TlsIdentity>,
    /// Sliver bytes the aggregator's reads may hold, in all and per read.
    pub read_budget: Arc<ReadBudget>,
}

impl Default for DaemonSettings {
    fn default() -> Self {
        Self {
            max_body: DEFAULT_MAX_PUBLISH_BODY,
            publisher: true,
            aggregator: true,
            access: Access::default(),
            cors: floe_serve::Cors::Off,
            tls: None,
            read_budget: Arc::default(),
        }
    }
}

/// The daemon's router over `client`.
pub fn router(client: Arc<FloeClient>, settings: &DaemonSettings) -> Router {
    let access = settings.access.clone();
    let mut router = Router::new();
    if settings.aggregator {
        let reads = Router::new()
            .route("/v1/blobs/{blob_id}", get(aggregator::by_blob_id))
            .route("/v1/blobs/{blob_id}/byte-range", get(aggregator::byte_range))
            .route("/v1/blobs/by-object-id/{object_id}", get(aggregator::by_object_id))
            .route("/v1/blobs/by-quilt-patch-id/{quilt_patch_id}", get(quilts::by_patch_id))
            .route("/v1/blobs/by-quilt-id/{quilt_id}/{identifier}", get(quilts::by_identifier))
            .route("/v1/quilts/{quilt_id}/patches", get(quilts::patches))
            .route_layer(axum::middleware::from_fn_with_state(access.clone(), aggregator::admit));
        router = router.merge(reads);
    }
    if settings.publisher {
        // Quilts pass the same admission as blobs: rate, token and budget before the body is read.
        let stores = Router::new()
            .route("/v1/blobs", axum::routing::put(publisher::store))
            .route("/v1/quilts", axum::routing::put(quilts::store))
            .route_layer(axum::middleware::from_fn_with_state(access.clone(), publisher::admit));
        router = router.merge(stores);
    }
    router
        .layer(DefaultBodyLimit::max(settings.max_body))
        .layer(axum::Extension(access))
        .layer(axum::Extension(settings.read_budget.clone()))
        .with_state(client)
}

/// A running daemon.
#[derive(Debug)]
pub struct Daemon {
    /// The address it listens on.
    pub address: SocketAddr,
    /// Whether it serves TLS.
    pub tls: bool,
    /// The serving task.
    pub task: JoinHandle<std::io::Result<()>>,
}

impl Daemon {
    /// The base URL, e.g. `https://127.0.0.1:31415`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.address)
    }
}

/// Serves the daemon on `listener` in a background task until `shutdown` completes.
pub fn serve(
    listener: TcpListener,
    client: Arc<FloeClient>,
    settings: DaemonSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Daemon> {
    let address = listener.local_addr()?;
    let app = router(client, &settings);
    let tls = settings.tls.is_some();
    let options = floe_serve::ServeOptions {
        limits: floe_serve::ServeLimits::with_max_body(settings.max_body as u64),
        cors: settings.cors,
        tls: settings.tls,
    };
    let task = tokio::spawn(floe_serve::serve_with(listener, app, options, shutdown));
    Ok(Daemon { address, tls, task })
}

/// An error answer: status and message, as `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = %self.status, message = %self.message, "request failed");
        }
        floe_serve::error_response(self.status, self.message)
    }
}

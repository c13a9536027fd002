//! The HTTP API, in the shape of the Walrus storage-node API (axum): metadata and slivers as BCS,
//! confirmations, attestations, status and health as JSON in a `{"success": {"code", "data"}}`
//! envelope, errors as `{"error": {"code", "message"}}`.
//!
//! The paths and query parameters are defined once, in floe-node-api's `paths`; the size bounds
//! in its `bounds` (re-exported by [`crate::limits`]); the JSON answers' types (the envelope, the
//! blob status, signed messages) in it too, so the node and its clients share one definition.
//!
//! | method | path | body / answer |
//! |---|---|---|
//! | GET | `/v1/health` | JSON [`crate::Health`] |
//! | GET, PUT | `/v1/blobs/{blob_id}/metadata` | BCS `BlobMetadata` in; BCS `{blob_id, metadata}` out |
//! | GET | `/v1/blobs/{blob_id}/metadata/status` | JSON `"stored"` or `"nonexistent"` |
//! | GET, PUT | `/v1/blobs/{blob_id}/slivers/{pair_index}/{primary\|secondary}` | BCS sliver (GET takes `?max_sliver_bytes=M`: a longer sliver is refused, 406, unread) |
//! | PUT | `/v1/blobs/{blob_id}/slivers` (floe's own: several slivers in one request) | BCS [`floe_node_api::SliverBatch`] in, every sliver checked before any is stored |
//! | GET | `/v1/blobs/{blob_id}/slivers/{pair_index}/{primary\|secondary}/status` | JSON `"stored"` or `"nonexistent"` |
//! | GET | `/v1/blobs/{blob_id}/confirmation/permanent` | JSON [`floe_node_api::ConfirmationAnswer`] `{"signed": {"serializedMessage", "signature"}}` |
//! | GET | `/v1/blobs/{blob_id}/confirmation/deletable/{object_id}` | same |
//! | GET | `/v1/blobs/{blob_id}/recoverySymbols?target_type=primary&target_sliver=3,17` | BCS `Vec<RecoverySymbol>` |
//! | POST | `/v1/blobs/{blob_id}/inconsistencyProof/{primary\|secondary}` | BCS proof in; JSON [`floe_node_api::SignedMessageJson`] out |
//! | GET | `/v1/blobs/{blob_id}/status` | JSON [`floe_node_api::BlobStatus`] |
//! | POST | `/v1/migrate/sync_shard` | BCS `SignedMessage` of a `SyncShardRequest` in (signed by the shard's current owner); BCS `SyncShardPage` out |
//!
//! A PUT of metadata or a sliver answers once it is stored; it is made durable (synced to disk)
//! at the latest before the node signs the blob's confirmation, so a crash in between costs the
//! node those slivers, never a promise (see [`crate::store`]).
//!
//! PUT metadata, PUT sliver(s) and GET confirmation take `?wait_millis=N`: the request waits up to
//! `N` ms (at most [`crate::limits::MAX_REGISTRATION_WAIT`]) for the node to see the blob's
//! registration, which reaches it through its chain follower, before it is judged.
//!
//! GET confirmation and PUT slivers (the batch) also take `?upload_wait_millis=N`: the request
//! waits for the rest of its upload as long as the upload keeps bringing data with no pause
//! longer than `N` ms (at most [`crate::limits::MAX_UPLOAD_WAIT`]). A confirmation, once the
//! registration is seen, waits for the node's share of the blob and is answered as soon as it is
//! stored; a sliver batch that came before its metadata waits for the metadata, its body held
//! within the bound of [`crate::pending`]. A client sends metadata and slivers at once and asks
//! for its confirmation as its last slivers go out: one round trip per node instead of three.
//!
//! ## Uploading right after registering (the client's contract)
//! A node learns of a registration only when its follower applies the checkpoint holding the
//! `register_blob` transaction, a moment after the client saw the transaction executed. So:
//! - a client uploading at once passes `?wait_millis=N` (a few seconds) on every PUT and on the
//!   confirmation GET; the node answers as soon as it has seen the registration, or after `N` ms
//!   with the usual refusal;
//! - without `wait_millis`, a blob the node has not seen registered is refused at once with
//!   **403** and a message saying it is not registered; that answer is retryable, since the
//!   node may simply be behind;
//! - or, to overlap the upload with the registration, the client passes `?pending=true` on the
//!   PUTs, sent while its transaction is on its way: a node that has not seen the registration
//!   checks the data as usual and holds it in memory (**202**) until it does, within a bound
//!   (**503** beyond it: upload after the registration instead; see [`crate::pending`]). The
//!   confirmation GET, with `?wait_millis=N`, then waits for the registration and counts the held
//!   data;
//! - `GET /v1/health` reports `nextCheckpoint`: once it exceeds the checkpoint of the client's
//!   transaction (floe-chain's `Executed::checkpoint`), the node's answers reflect it.

mod response;
mod routes;

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    middleware::{self, Next},
    response::Response,
    routing::{get, post, put},
};
use floe_node_api::paths::{self, Capture};
use tokio::{net::TcpListener, task::JoinHandle};

use crate::node::StorageNode;

/// The API's router over `node`, on the paths floe-node-api defines (its client builds the same).
pub fn router(node: Arc<StorageNode>) -> Router {
    let (blob_id, pair, axis) = (Capture("blob_id"), Capture("pair_index"), Capture("sliver_type"));
    // Requests for data mark the node as serving (background work slows down for them); health
    // polls and the verdicts' exchange, cheap and constant, do not.
    let polls = Router::new()
        .route(&paths::health(), get(routes::health))
        .route(&paths::challenge_outcomes(Capture("epoch")), get(routes::challenge_outcomes));
    Router::new()
        .route(&paths::metadata(blob_id), get(routes::get_metadata).put(routes::put_metadata))
        .route(&paths::metadata_status(blob_id), get(routes::metadata_status))
        .route(&paths::sliver_status(blob_id, pair, axis), get(routes::sliver_status))
        .route(&paths::slivers(blob_id), put(routes::put_slivers))
        .route(&paths::sliver(blob_id, pair, axis), get(routes::get_sliver).put(routes::put_sliver))
        .route(&paths::confirmation_permanent(blob_id), get(routes::confirm_permanent))
        .route(&paths::confirmation_deletable(blob_id, Capture("object_id")), get(routes::confirm_deletable))
        .route(&paths::recovery_symbols(blob_id), get(routes::recovery_symbols))
        .route(&paths::inconsistency_proof(blob_id, axis), post(routes::inconsistency_proof))
        .route(&paths::status(blob_id), get(routes::status))
        .route(&paths::sync_shard(), post(routes::sync_shard))
        .route(&paths::challenge(), post(routes::challenge))
        .route_layer(middleware::from_fn_with_state(node.clone(), mark_serving))
        .merge(polls)
        // Each body-taking route enforces its own limit (see `crate::limits`).
        .layer(DefaultBodyLimit::disable())
        .with_state(node)
}

/// Records that the node is serving a request for data, then passes the request on.
async fn mark_serving(State(node): State<Arc<StorageNode>>, request: Request, next: Next) -> Response {
    node.foreground().touch();
    next.run(request).await
}

/// A running API server.
#[derive(Debug)]
pub struct Server {
    /// The address it listens on.
    pub address: SocketAddr,
    /// Whether it serves TLS.
    pub tls: bool,
    /// The serving task. Stop a server started with [`serve_until`] through its shutdown signal:
    /// aborting the task leaves open connections (and their hold on the node) alive.
    pub task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// The base URL of the server, e.g. `https://127.0.0.1:9185`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.address)
    }
}

/// Serves `node` on `listener` in a background task, for the life of the process.
pub fn serve(listener: TcpListener, node: Arc<StorageNode>) -> std::io::Result<Server> {
    serve_until(listener, node, std::future::pending())
}

/// Serves `node` over plain HTTP on `listener` in a background task until `shutdown` completes;
/// requests in flight then finish (their writes are committed) before the task ends.
pub fn serve_until(
    listener: TcpListener,
    node: Arc<StorageNode>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Server> {
    serve_tls_until(listener, node, None, shutdown)
}

/// [`serve_until`], over TLS with `tls` (the node's self-signed certificate for its network
/// key), or plain HTTP when it is `None`.
pub fn serve_tls_until(
    listener: TcpListener,
    node: Arc<StorageNode>,
    tls: Option<floe_serve::TlsIdentity>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Server> {
    let address = listener.local_addr()?;
    let app = router(node);
    // floe-serve's timeouts, connection limit and JSON rejections; routes bound their own bodies.
    let limits = floe_serve::ServeLimits::with_max_body(floe_node_api::bounds::MAX_REQUEST_BODY as u64);
    let is_tls = tls.is_some();
    let options = floe_serve::ServeOptions { limits, cors: floe_serve::Cors::Off, tls };
    let task = tokio::spawn(floe_serve::serve_with(listener, app, options, shutdown));
    Ok(Server { address, tls: is_tls, task })
}

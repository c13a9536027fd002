//! The handlers: parse the path, read the body within its limit, run the node's logic on the
//! blocking pool (redb commits and sliver hashing block), and shape the answer.

use std::{collections::HashMap, str::FromStr, sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use floe_encoder::{BlobId, SliverIndex, SliverPairIndex, SliverType, messages::BlobPersistence};
use floe_node_api::{
    ConfirmationAnswer, SignedMessageJson, SliverBatch,
    paths::{ABOUT, MAX_SLIVER_BYTES, PENDING, TARGET_SLIVER, TARGET_TYPE, UPLOAD_WAIT_MILLIS, WAIT_MILLIS},
    slivers::MAX_SLIVER_BATCH_COUNT,
};
use sui_sdk_types::Address;

use super::response::{ApiError, bcs_body, read_body, success};
use crate::{
    error::NodeError,
    limits,
    node::{StorageNode, Stored},
};

type Node = State<Arc<StorageNode>>;

fn parse<T: FromStr>(text: &str, what: &'static str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|error: T::Err| ApiError::BadPath { what, reason: format!("{text:?}: {error}") })
}

fn blob_id(text: &str) -> Result<BlobId, ApiError> {
    parse(text, "blob id")
}

fn pair_index(text: &str) -> Result<SliverPairIndex, ApiError> {
    parse::<u16>(text, "sliver pair index").map(SliverPairIndex)
}

/// Runs blocking node logic off the async executor.
async fn blocking<T: Send + 'static>(
    node: Arc<StorageNode>,
    work: impl FnOnce(&StorageNode) -> Result<T, NodeError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || work(&node)).await.map_err(NodeError::Task)?.map_err(ApiError::from)
}

fn stored_status(stored: Stored) -> StatusCode {
    match stored {
        Stored::New => StatusCode::CREATED,
        Stored::AlreadyPresent => StatusCode::OK,
        Stored::Held => StatusCode::ACCEPTED,
    }
}

/// What the answer says was done with `what`.
fn stored_message(stored: Stored, what: String) -> String {
    match stored {
        Stored::New | Stored::AlreadyPresent => format!("{what} stored"),
        Stored::Held => format!("{what} held until the node sees the blob registered"),
    }
}

/// `?pending=true`: the client uploads before its registration has landed, and the node holds
/// the data of a blob it has not seen registered ([`crate::pending`]) instead of refusing it;
/// the request does not wait for the registration.
fn pending(query: &HashMap<String, String>) -> Result<bool, ApiError> {
    match query.get(PENDING).map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(NodeError::BadQuery(format!("{PENDING} {other:?}: expected true or false")).into()),
    }
}

pub(super) async fn health(State(node): Node) -> Response {
    success(StatusCode::OK, node.health())
}

pub(super) async fn get_metadata(State(node): Node, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = blob_id(&id)?;
    let metadata = blocking(node, move |node| node.metadata(&id)).await?;
    Ok(bcs_body(StatusCode::OK, metadata.to_bcs_with_id()))
}

/// With `?wait_millis=N`, waits up to `N` ms (at most [`limits::MAX_REGISTRATION_WAIT`]) for
/// the chain view to show the blob registered; the request then proceeds either way and is
/// refused as usual if it still is not.
async fn wait_for_registration(
    node: &StorageNode,
    blob_id: &BlobId,
    persistence: Option<&BlobPersistence>,
    query: &HashMap<String, String>,
) -> Result<(), ApiError> {
    let Some(wait) = wait_of(query, WAIT_MILLIS, limits::MAX_REGISTRATION_WAIT)? else { return Ok(()) };
    // Subscribed before the first look, so a change between the look and the wait is not missed.
    let mut changes = node.chain().changes();
    let registered = async {
        while !node.is_registered(blob_id, persistence) {
            if changes.changed().await.is_err() {
                return;
            }
        }
    };
    // Past the wait the request proceeds and is refused as usual if still not registered.
    let _ = tokio::time::timeout(wait, registered).await;
    Ok(())
}

pub(super) async fn put_metadata(
    State(node): Node,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id = blob_id(&id)?;
    let limit = limits::max_metadata_body(&node.committee().1);
    let early = pending(&query)?;
    let bytes = read_body(&headers, body, limit, "metadata").await?;
    let stored = if early {
        blocking(node, move |node| node.store_or_hold_metadata(&id, &bytes)).await?
    } else {
        wait_for_registration(&node, &id, None, &query).await?;
        blocking(node, move |node| node.store_metadata(&id, &bytes)).await?
    };
    Ok(success(stored_status(stored), stored_message(stored, format!("metadata of blob {id}"))))
}

/// `GET .../slivers/{pair}/{axis}`; with `?max_sliver_bytes=M`, a sliver of more than `M` bytes
/// of symbols is refused (406) without being read.
pub(super) async fn get_sliver(
    State(node): Node,
    Path((id, pair, axis)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (id, pair, axis) = (blob_id(&id)?, pair_index(&pair)?, parse::<SliverType>(&axis, "sliver type")?);
    let max_bytes = match query.get(MAX_SLIVER_BYTES) {
        None => None,
        Some(max) => Some(
            max.parse::<usize>()
                .map_err(|error| NodeError::BadQuery(format!("{MAX_SLIVER_BYTES} {max:?}: {error}")))?,
        ),
    };
    let sliver = blocking(node, move |node| node.sliver_bcs(&id, pair, axis, max_bytes)).await?;
    Ok(bcs_body(StatusCode::OK, sliver))
}

pub(super) async fn put_sliver(
    State(node): Node,
    Path((id, pair, axis)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (id, pair, axis) = (blob_id(&id)?, pair_index(&pair)?, parse::<SliverType>(&axis, "sliver type")?);
    let limit = limits::max_sliver_body(&node.committee().1);
    let early = pending(&query)?;
    let bytes = read_body(&headers, body, limit, "sliver").await?;
    let stored = if early {
        blocking(node, move |node| node.store_or_hold_sliver(&id, pair, axis, &bytes)).await?
    } else {
        wait_for_registration(&node, &id, None, &query).await?;
        blocking(node, move |node| node.store_sliver(&id, pair, axis, &bytes)).await?
    };
    Ok(success(stored_status(stored), stored_message(stored, format!("{axis} sliver of pair {pair} of blob {id}"))))
}

/// `PUT /v1/blobs/{id}/slivers`: a batch of the blob's slivers ([`SliverBatch`]), all checked
/// before any is stored. With `?upload_wait_millis=N`, a batch that came before the blob's
/// metadata (a client sends both at once) waits for it as long as the upload keeps bringing data
/// with no pause longer than `N` ms, its body held within the node's bound of bytes it holds
/// before checking them ([`crate::pending`]; beyond it, refused at once as without the wait).
pub(super) async fn put_slivers(
    State(node): Node,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id = blob_id(&id)?;
    let limit = limits::max_sliver_batch_body(&node.committee().1);
    let early = pending(&query)?;
    let quiet = wait_of(&query, UPLOAD_WAIT_MILLIS, limits::MAX_UPLOAD_WAIT)?.unwrap_or_default();
    let bytes = read_body(&headers, body, limit, "sliver batch").await?;
    let batch = SliverBatch::from_body(&bytes).map_err(NodeError::MalformedBatch)?;
    if batch.slivers.len() > MAX_SLIVER_BATCH_COUNT {
        return Err(NodeError::BatchTooLarge { count: batch.slivers.len(), max: MAX_SLIVER_BATCH_COUNT }.into());
    }
    let count = batch.slivers.len();
    if !early {
        wait_for_registration(&node, &id, None, &query).await?;
    }
    let store = |batch: SliverBatch| {
        let node = node.clone();
        async move {
            if early {
                blocking(node, move |node| node.store_or_hold_slivers(&id, batch)).await
            } else {
                blocking(node, move |node| node.store_slivers(&id, batch)).await
            }
        }
    };
    let mut place = None;
    let stored = as_the_upload_arrives(
        &node,
        &id,
        quiet,
        NodeError::wants_metadata,
        || store(batch.clone()),
        |error| {
            if place.is_none() {
                place = Some(node.pending().wait_with(bytes.len()).map_err(|_| error)?);
            }
            Ok(())
        },
    )
    .await?;
    drop(place);
    Ok(success(stored_status(stored), stored_message(stored, format!("{count} slivers of blob {id}"))))
}

/// `attempt`, and again each time blob `blob_id`'s upload brings this node data, while it fails
/// for want of data (`for_want`) and the upload keeps bringing some with no pause longer than
/// `quiet` (zero: once). `before_waiting` runs on each such failure before the wait, and may end
/// it with an error of its own.
async fn as_the_upload_arrives<T, Fut>(
    node: &StorageNode,
    blob_id: &BlobId,
    quiet: Duration,
    for_want: impl Fn(&NodeError) -> bool,
    attempt: impl Fn() -> Fut,
    mut before_waiting: impl FnMut(NodeError) -> Result<(), ApiError>,
) -> Result<T, ApiError>
where
    Fut: Future<Output = Result<T, ApiError>>,
{
    loop {
        // Subscribed before the look, so data stored between the look and the wait is not missed.
        let mut arrivals = node.upload_arrivals(blob_id);
        match attempt().await {
            Err(ApiError::Node(error)) if for_want(&error) && !quiet.is_zero() => {
                before_waiting(error)?;
                // A closed channel (the blob confirmed meanwhile by another request) is a cue to
                // look again too; a pause longer than the wait ends it, judged on what is there.
                if tokio::time::timeout(quiet, arrivals.changed()).await.is_err() {
                    return attempt().await;
                }
            }
            other => return other,
        }
    }
}

/// A wait in milliseconds from query parameter `name`, at most `max`; `None` if absent.
fn wait_of(query: &HashMap<String, String>, name: &str, max: Duration) -> Result<Option<Duration>, ApiError> {
    let Some(wait) = query.get(name) else { return Ok(None) };
    let wait = wait.parse::<u64>().map_err(|error| NodeError::BadQuery(format!("{name} {wait:?}: {error}")))?;
    Ok(Some(Duration::from_millis(wait).min(max)))
}

/// The confirmation, after the waits the query asks for: up to `wait_millis` for the
/// registration, then, while the node lacks some of its share of the blob, for as long as the
/// upload keeps bringing data with no pause longer than `upload_wait_millis` (a look each time
/// more arrives). Then it is judged on what the node holds.
async fn confirm(
    node: Arc<StorageNode>,
    id: BlobId,
    persistence: BlobPersistence,
    query: HashMap<String, String>,
) -> Result<Response, ApiError> {
    let quiet = wait_of(&query, UPLOAD_WAIT_MILLIS, limits::MAX_UPLOAD_WAIT)?.unwrap_or_default();
    wait_for_registration(&node, &id, Some(&persistence), &query).await?;
    let lacks_data =
        |error: &NodeError| matches!(error, NodeError::MissingSlivers { .. } | NodeError::NotStored { .. });
    let confirmation = || blocking(node.clone(), move |node| node.confirmation(&id, persistence));
    let signed = as_the_upload_arrives(&node, &id, quiet, lacks_data, confirmation, |_| Ok(())).await?;
    Ok(success(StatusCode::OK, ConfirmationAnswer { signed: SignedMessageJson(signed) }))
}

pub(super) async fn confirm_permanent(
    State(node): Node,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    confirm(node, blob_id(&id)?, BlobPersistence::Permanent, query).await
}

pub(super) async fn confirm_deletable(
    State(node): Node,
    Path((id, object_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let object_id: Address = parse(&object_id, "object id")?;
    confirm(node, blob_id(&id)?, BlobPersistence::Deletable { object_id: object_id.into_inner() }, query).await
}

pub(super) async fn recovery_symbols(
    State(node): Node,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let id = blob_id(&id)?;
    let target_axis = query
        .get(TARGET_TYPE)
        .ok_or_else(|| NodeError::BadQuery(format!("missing {TARGET_TYPE} (primary or secondary)")))?
        .parse::<SliverType>()
        .map_err(NodeError::BadSliverType)?;
    let targets = query
        .get(TARGET_SLIVER)
        .ok_or_else(|| NodeError::BadQuery(format!("missing {TARGET_SLIVER} (sliver indices, comma-separated)")))?;
    let targets = targets
        .split(',')
        .map(|target| {
            target
                .parse::<u16>()
                .map(SliverIndex)
                .map_err(|error| NodeError::BadQuery(format!("{TARGET_SLIVER} {target:?}: {error}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let symbols = blocking(node, move |node| node.recovery_symbols(&id, target_axis, &targets)).await?;
    Ok(bcs_body(StatusCode::OK, bcs::to_bytes(&symbols).expect("BCS of plain data cannot fail")))
}

pub(super) async fn inconsistency_proof(
    State(node): Node,
    Path((id, axis)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (id, axis) = (blob_id(&id)?, parse::<SliverType>(&axis, "sliver type")?);
    let limit = limits::max_inconsistency_proof_body(&node.committee().1);
    let bytes = read_body(&headers, body, limit, "inconsistency proof").await?;
    let signed = blocking(node, move |node| node.attest_invalid(&id, axis, &bytes)).await?;
    Ok(success(StatusCode::OK, SignedMessageJson(signed)))
}

pub(super) async fn status(State(node): Node, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = blob_id(&id)?;
    Ok(success(StatusCode::OK, node.status(&id)))
}

fn stored_on_node(stored: bool) -> &'static str {
    if stored { "stored" } else { "nonexistent" }
}

pub(super) async fn metadata_status(State(node): Node, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = blob_id(&id)?;
    let stored = blocking(node, move |node| node.has_metadata(&id)).await?;
    Ok(success(StatusCode::OK, stored_on_node(stored)))
}

pub(super) async fn sliver_status(
    State(node): Node,
    Path((id, pair, axis)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (id, pair, axis) = (blob_id(&id)?, pair_index(&pair)?, parse::<SliverType>(&axis, "sliver type")?);
    let stored = blocking(node, move |node| node.has_sliver(&id, pair, axis)).await?;
    Ok(success(StatusCode::OK, stored_on_node(stored)))
}

pub(super) async fn sync_shard(State(node): Node, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let bytes = read_body(&headers, body, limits::MAX_SYNC_REQUEST_BODY, "sync request").await?;
    let page = blocking(node, move |node| node.sync_shard(&bytes).map(|page| page.to_bcs())).await?;
    Ok(bcs_body(StatusCode::OK, page))
}

pub(super) async fn challenge(State(node): Node, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let bytes = read_body(&headers, body, floe_node_api::bounds::MAX_CHALLENGE_REQUEST_BODY, "challenge").await?;
    let request: floe_node_api::ChallengeRequest =
        bcs::from_bytes(&bytes).map_err(|error| NodeError::BadQuery(format!("challenge request: {error}")))?;
    let answers = blocking(node, move |node| node.answer_challenge(&request.samples)).await?;
    let response = floe_node_api::ChallengeResponse { answers };
    Ok(bcs_body(StatusCode::OK, bcs::to_bytes(&response).expect("BCS of plain data cannot fail")))
}

pub(super) async fn challenge_outcomes(
    State(node): Node,
    Path(epoch): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let epoch = parse::<floe_encoder::Epoch>(&epoch, "epoch")?;
    let about = match query.get(ABOUT) {
        None => None,
        Some(list) => Some(
            list.split(',')
                .map(|id| id.parse::<Address>().map(Address::into_inner))
                .collect::<Result<std::collections::BTreeSet<[u8; 32]>, _>>()
                .map_err(|error| NodeError::BadQuery(format!("{ABOUT}: not a list of node ids ({error})")))?,
        ),
    };
    let verdicts = blocking(node, move |node| node.challenge_outcomes(epoch, about.as_ref())).await?;
    Ok(bcs_body(StatusCode::OK, bcs::to_bytes(&verdicts).expect("BCS of plain data cannot fail")))
}

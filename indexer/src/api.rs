//! The explorer HTTP API: JSON over axum, lists paged with `?cursor=&limit=` and answered as
//! `{"items": [...], "next_cursor": "..."}`. Ids in paths and filters are validated and
//! normalized (blob ids as base64url text, addresses as 0x-prefixed 64 hex digits) before they
//! reach SQL; event kinds must be ones the indexer writes, epochs non-negative, cursors ones it
//! returned. Every refusal is floe's JSON error `{"error": {"code", "message"}}` naming the
//! parameter; floe-serve turns extractor rejections (a `limit` that is not a number) into the
//! same shape.
//!
//! | route | answer |
//! |---|---|
//! | `GET /v1/blobs?owner=&cursor=&limit=` | blobs, newest registration first |
//! | `GET /v1/blobs/{blob_id}` | the Blob objects with that blob id |
//! | `GET /v1/objects/{object_id}` | one Blob object |
//! | `GET /v1/events?kind=&blob_id=&tx=&object_id=&node_id=&cursor=&limit=` | events, newest first |
//! | `GET /v1/epochs?cursor=&limit=` | epochs, newest first |
//! | `GET /v1/committee?epoch=` | members with shards and pools (default: latest epoch) |
//! | `GET /v1/pools` | staking pools |
//! | `GET /v1/stakes?owner=&node_id=&cursor=&limit=` | stakes, newest first |
//! | `GET /v1/totals` | stored bytes, blob count, WAL staked, last checkpoint |
//! | `GET /v1/challenges?node=&epoch=&cursor=&limit=` | storage challenge outcomes, newest first, with seed and rewards withheld |
//! | `GET /v1/challenges/windows?cursor=&limit=` | challenge windows (epoch, seed), newest first |
//! | `GET /v1/quilt-patches?quilt_id=&identifier=&tag_key=&tag_value=&cursor=&limit=` | files of quilts, newest first ([`crate::quilts`]) |
//! | `GET /v1/api` | the OpenAPI 3.1 description of all of these ([`OPENAPI_JSON`]) |
//! | `GET /` | the explorer web page ([`EXPLORER_HTML`]): static HTML calling this API |

use std::str::FromStr;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Json, Router};
use floe_encoder::BlobId;
use serde::{Deserialize, Serialize};
use sui_sdk_types::{Address, Digest};

use crate::db::{DbConnection, DbError, Pool};
use crate::mapping::EVENT_KINDS;
use crate::queries::{self, ChallengeFilter, EventFilter, MAX_PAGE, PageRequest};

/// A request the API refused or could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Nothing has that id.
    #[error("{0} not found")]
    NotFound(String),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] DbError),
    /// The blocking query task died.
    #[error("query task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Db(_) | Self::Task(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        floe_serve::error_response(status, self.to_string())
    }
}

/// The OpenAPI 3.1 description served at `GET /v1/api`, written by hand; a test keeps its
/// paths equal to [`paths`] and checks live answers against its schemas.
pub const OPENAPI_JSON: &str = include_str!("api/openapi.json");

/// The explorer page served at `GET /`: one static file (inline CSS, vanilla JS), so the
/// explorer needs no build step.
pub const EXPLORER_HTML: &str = include_str!("api/explorer.html");

/// Every route with its handler: the router is built from this list and [`paths`] reads it,
/// so the OpenAPI test sees exactly what is served.
fn routes() -> [(&'static str, MethodRouter<Pool>); 14] {
    [
        ("/", get(explorer_page)),
        ("/v1/api", get(openapi)),
        ("/v1/blobs", get(list_blobs)),
        ("/v1/blobs/{blob_id}", get(blobs_by_blob_id)),
        ("/v1/objects/{object_id}", get(blob_by_object)),
        ("/v1/events", get(list_events)),
        ("/v1/epochs", get(list_epochs)),
        ("/v1/committee", get(committee)),
        ("/v1/pools", get(list_pools)),
        ("/v1/stakes", get(list_stakes)),
        ("/v1/totals", get(totals)),
        ("/v1/challenges", get(list_challenges)),
        ("/v1/challenges/windows", get(list_challenge_windows)),
        ("/v1/quilt-patches", get(list_quilt_patches)),
    ]
}

/// The paths the router serves (all with GET), in axum's `{param}` syntax, which is also
/// OpenAPI's.
pub fn paths() -> Vec<&'static str> {
    routes().into_iter().map(|(path, _)| path).collect()
}

/// The explorer API and page over a pool of database connections.
pub fn router(pool: Pool) -> Router {
    routes().into_iter().fold(Router::new(), |router, (path, handler)| router.route(path, handler)).with_state(pool)
}

async fn explorer_page() -> Html<&'static str> {
    Html(EXPLORER_HTML)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

/// Runs a query on a pooled connection off the async runtime (diesel is blocking).
async fn run<T: Send + 'static>(
    pool: Pool,
    query: impl FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(DbError::from)?;
        query(&mut conn)
    })
    .await
    .map_err(ApiError::Task)?
}

/// An address or object id: `0x` and 1 to 64 hex digits (the parser alone would also take hex
/// without the prefix, so `bad` would read as `0xbad`).
fn address(name: &str, text: &str) -> Result<String, ApiError> {
    text.strip_prefix("0x")
        .filter(|digits| (1..=64).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|_| Address::from_str(text).ok())
        .map(|a| a.to_string())
        .ok_or_else(|| ApiError::BadRequest(format!("{name} {text:?} is not an address: 0x and 1 to 64 hex digits")))
}

fn event_kind(text: &str) -> Result<String, ApiError> {
    EVENT_KINDS.contains(&text).then(|| text.to_owned()).ok_or_else(|| {
        ApiError::BadRequest(format!("kind {text:?} is not an event kind; one of {}", EVENT_KINDS.join(", ")))
    })
}

fn digest(text: &str) -> Result<String, ApiError> {
    // The parser accepts short base58 strings; a real digest prints back as itself.
    Digest::from_str(text)
        .ok()
        .map(|d| d.to_string())
        .filter(|printed| printed == text)
        .ok_or_else(|| ApiError::BadRequest(format!("transaction digest {text:?} is not base58 of 32 bytes")))
}

fn blob_id(text: &str) -> Result<String, ApiError> {
    BlobId::from_str(text).map(|id| id.to_string()).map_err(|e| ApiError::BadRequest(format!("blob id {text:?}: {e}")))
}

/// `?cursor=&limit=` alone. (Every parameter struct names its own fields: serde's flatten
/// would read numbers from query strings as text.)
#[derive(Debug, Default, Deserialize)]
struct PageParams {
    cursor: Option<String>,
    limit: Option<i64>,
}

fn page_request(cursor: Option<&str>, limit: Option<i64>) -> Result<PageRequest, ApiError> {
    let before = match cursor {
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|c| *c >= 0)
                .ok_or_else(|| ApiError::BadRequest(format!("cursor {text:?} is not one this API returned")))?,
        ),
        None => None,
    };
    let limit = limit.unwrap_or(queries::DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(format!("limit {limit} is outside 1..={MAX_PAGE}")));
    }
    Ok(PageRequest { before, limit })
}

#[derive(Debug, Deserialize)]
struct BlobParams {
    owner: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list_blobs(State(pool): State<Pool>, Query(params): Query<BlobParams>) -> Result<Response, ApiError> {
    let owner = params.owner.as_deref().map(|o| address("owner", o)).transpose()?;
    let page = page_request(params.cursor.as_deref(), params.limit)?;
    let result = run(pool, move |c| Ok(queries::blobs(c, owner.as_deref(), page)?)).await?;
    Ok(Json(result).into_response())
}

async fn blobs_by_blob_id(State(pool): State<Pool>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = blob_id(&id)?;
    let rows = run(pool, move |c| {
        let rows = queries::blobs_by_blob_id(c, &id)?;
        if rows.is_empty() { Err(ApiError::NotFound(format!("blob {id}"))) } else { Ok(rows) }
    })
    .await?;
    Ok(Json(rows).into_response())
}

async fn blob_by_object(State(pool): State<Pool>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = address("object id", &id)?;
    let row = run(pool, move |c| {
        queries::blob_by_object_id(c, &id)?.ok_or_else(|| ApiError::NotFound(format!("blob object {id}")))
    })
    .await?;
    Ok(Json(row).into_response())
}

#[derive(Debug, Deserialize)]
struct EventParams {
    kind: Option<String>,
    blob_id: Option<String>,
    tx: Option<String>,
    object_id: Option<String>,
    node_id: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list_events(State(pool): State<Pool>, Query(params): Query<EventParams>) -> Result<Response, ApiError> {
    let filter = EventFilter {
        kind: params.kind.as_deref().map(event_kind).transpose()?,
        blob_id: params.blob_id.as_deref().map(blob_id).transpose()?,
        tx_digest: params.tx.as_deref().map(digest).transpose()?,
        object_id: params.object_id.as_deref().map(|o| address("object_id", o)).transpose()?,
        node_id: params.node_id.as_deref().map(|n| address("node_id", n)).transpose()?,
    };
    let page = page_request(params.cursor.as_deref(), params.limit)?;
    let result = run(pool, move |c| Ok(queries::events(c, &filter, page)?)).await?;
    Ok(Json(result).into_response())
}

async fn list_epochs(State(pool): State<Pool>, Query(params): Query<PageParams>) -> Result<Response, ApiError> {
    let page = page_request(params.cursor.as_deref(), params.limit)?;
    Ok(Json(run(pool, move |c| Ok(queries::epochs(c, page)?)).await?).into_response())
}

#[derive(Debug, Deserialize)]
struct CommitteeParams {
    epoch: Option<i64>,
}

#[derive(Debug, Serialize)]
struct CommitteeAnswer {
    epoch: Option<i64>,
    members: Vec<queries::CommitteeMember>,
}

async fn committee(State(pool): State<Pool>, Query(params): Query<CommitteeParams>) -> Result<Response, ApiError> {
    if let Some(epoch) = params.epoch.filter(|epoch| *epoch < 0) {
        return Err(ApiError::BadRequest(format!("epoch {epoch} is negative; epochs count from 0")));
    }
    let (epoch, members) = run(pool, move |c| Ok(queries::committee(c, params.epoch)?)).await?;
    Ok(Json(CommitteeAnswer { epoch, members }).into_response())
}

async fn list_pools(State(pool): State<Pool>) -> Result<Response, ApiError> {
    Ok(Json(run(pool, |c| Ok(queries::pools(c)?)).await?).into_response())
}

#[derive(Debug, Deserialize)]
struct StakeParams {
    owner: Option<String>,
    node_id: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list_stakes(State(pool): State<Pool>, Query(params): Query<StakeParams>) -> Result<Response, ApiError> {
    let owner = params.owner.as_deref().map(|o| address("owner", o)).transpose()?;
    let node_id = params.node_id.as_deref().map(|n| address("node_id", n)).transpose()?;
    let page = page_request(params.cursor.as_deref(), params.limit)?;
    let result = run(pool, move |c| Ok(queries::stakes(c, owner.as_deref(), node_id.as_deref(), page)?)).await?;
    Ok(Json(result).into_response())
}

async fn totals(State(pool): State<Pool>) -> Result<Response, ApiError> {
    Ok(Json(run(pool, |c| Ok(queries::totals(c)?)).await?).into_response())
}

/// `?node=&epoch=` and a page. The epoch is read as text so that a malformed one gets this
/// API's JSON refusal rather than the extractor's plain-text one.
#[derive(Debug, Deserialize)]
struct ChallengeParams {
    #[serde(alias = "node_id")]
    node: Option<String>,
    epoch: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

fn epoch(text: &str) -> Result<i64, ApiError> {
    text.parse::<u32>()
        .map(i64::from)
        .map_err(|_| ApiError::BadRequest(format!("epoch {text:?} is not an epoch number")))
}

async fn list_challenges(
    State(pool): State<Pool>,
    Query(params): Query<ChallengeParams>,
) -> Result<Response, ApiError> {
    let filter = ChallengeFilter {
        node_id: params.node.as_deref().map(|n| address("node", n)).transpose()?,
        epoch: params.epoch.as_deref().map(epoch).transpose()?,
    };
    let page = page_request(params.cursor.as_deref(), params.limit)?;
    let result = run(pool, move |c| Ok(queries::challenge_outcomes(c, &filter, page)?)).await?;
    Ok(Json(result).into_response())
}

async fn list_challenge_windows(
    State(pool): State<Pool>,
    Query(params): Query<PageParams>,
) -> Result<Response, ApiError> {
    let page = page_request(params.cursor.as_deref(), params.limit)?;
    Ok(Json(run(pool, move |c| Ok(queries::challenge_windows(c, page)?)).await?).into_response())
}

#[derive(Debug, Deserialize)]
struct QuiltPatchParams {
    quilt_id: Option<String>,
    identifier: Option<String>,
    tag_key: Option<String>,
    tag_value: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

/// A text filter that must not be empty (an empty one would match nothing, silently).
fn non_empty(name: &str, text: String) -> Result<String, ApiError> {
    if text.is_empty() {
        Err(ApiError::BadRequest(format!("{name} is empty: leave it out to match any")))
    } else {
        Ok(text)
    }
}

async fn list_quilt_patches(
    State(pool): State<Pool>,
    Query(params): Query<QuiltPatchParams>,
) -> Result<Response, ApiError> {
    if params.tag_value.is_some() && params.tag_key.is_none() {
        return Err(ApiError::BadRequest("tag_value needs tag_key: the value of which tag?".into()));
    }
    let filter = crate::quilts::PatchFilter {
        quilt_id: params.quilt_id.as_deref().map(blob_id).transpose()?,
        identifier: params.identifier.map(|i| non_empty("identifier", i)).transpose()?,
        tag_key: params.tag_key.map(|k| non_empty("tag_key", k)).transpose()?,
        tag_value: params.tag_value,
    };
    let page = page_request(params.cursor.as_deref(), params.limit)?;
    let result = run(pool, move |c| Ok(crate::quilts::patches(c, &filter, page)?)).await?;
    Ok(Json(result).into_response())
}

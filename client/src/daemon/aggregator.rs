//! The aggregator: blobs by id or by `Blob` object, whole or by byte range, streamed.

use std::{collections::HashMap, ops::Range, sync::Arc, time::Duration};

use axum::{
    Extension,
    body::Body,
    extract::{Path, Query, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use backon::{ExponentialBuilder, Retryable};
use floe_chain::ClientError;
use floe_encoder::BlobId;
use sui_sdk_types::Address;

use super::{
    Access, ApiError,
    range::{self, RangeRequest},
};
use crate::{
    ChainError,
    blob_stream::{BlobReader, ReadBudget, ReadPlan},
    client::{Certification, FloeClient},
    read::ReadError,
};

/// Blob attributes served as response headers when a blob is fetched by object id; others are
/// not, so a blob's owner cannot set arbitrary headers on the aggregator's answers.
pub(super) const HEADER_ATTRIBUTES: &[&str] =
    &["content-type", "content-encoding", "content-disposition", "content-language", "cache-control"];

pub(super) fn read_error(error: ReadError) -> ApiError {
    let status = match error {
        ReadError::NotFound(_) => StatusCode::NOT_FOUND,
        ReadError::Decode { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ReadError::DecodeTask { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        ReadError::NoMetadata { .. } | ReadError::NotEnoughSlivers { .. } | ReadError::SliverUnavailable { .. } => {
            StatusCode::BAD_GATEWAY
        }
    };
    ApiError::new(status, error.to_string())
}

/// 416 for bytes `what` a blob of `len` bytes does not have, with `Content-Range: bytes */len`.
fn unsatisfiable(what: &str, len: u64) -> Response {
    let mut response =
        ApiError::new(StatusCode::RANGE_NOT_SATISFIABLE, format!("{what} is outside the blob's {len} bytes"))
            .into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
        response.headers_mut().insert(header::CONTENT_RANGE, value);
    }
    response
}

/// Streams bytes `range` of the blob `reader` opened: 206 with `Content-Range` for a part, 200
/// for the whole blob (or for a `byte-range` query, `partial` false).
fn stream(reader: &BlobReader, range: Range<u64>, partial: bool, extra: Vec<(HeaderName, HeaderValue)>) -> Response {
    let len = reader.len();
    let status = if partial { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
    let mut response = (status, Body::from_stream(reader.stream(range.clone()))).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(range.end - range.start));
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // Until told otherwise (`extra`): a blob id names its content forever, but a deletable
    // blob's bytes may go at its owner's word, so only a permanent one is cached for a year.
    response_headers.insert(header::CACHE_CONTROL, cache_control(false));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", reader.blob_id())) {
        response_headers.insert(header::ETAG, etag);
    }
    if partial && let Ok(value) = HeaderValue::from_str(&format!("bytes {}-{}/{len}", range.start, range.end - 1)) {
        response_headers.insert(header::CONTENT_RANGE, value);
    }
    for (name, value) in extra {
        response_headers.insert(name, value);
    }
    response
}

/// `Cache-Control` of a blob's bytes: a year, immutable, for a permanent blob; a minute for a
/// deletable one (or one whose permanence is not known), so caches drop it soon after a delete.
pub(super) fn cache_control(permanent: bool) -> HeaderValue {
    if permanent {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("public, max-age=60")
    }
}

/// Answers with the blob, or the part the `Range` header asks for.
fn answer(reader: &BlobReader, headers: &HeaderMap, extra: Vec<(HeaderName, HeaderValue)>) -> Response {
    let len = reader.len();
    match range::parse(headers.get(header::RANGE).and_then(|value| value.to_str().ok()), len) {
        RangeRequest::Whole => stream(reader, 0..len, false, extra),
        RangeRequest::Part(part) => stream(reader, part, true, extra),
        RangeRequest::Unsatisfiable => unsatisfiable("the range asked for", len),
    }
}

/// The answer to a blob that is not certified: 404 if no node knows it, 409 if it is registered
/// (its bytes may well be on the nodes, but nothing guarantees them until a certificate is).
fn uncertified(blob_id: &BlobId, read: Result<BlobReader, ReadError>) -> ApiError {
    match read {
        Err(error @ ReadError::NotFound(_)) => read_error(error),
        _ => ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "blob {blob_id} is registered but not certified: it is not available until a certificate is on chain"
            ),
        ),
    }
}

fn parse_blob_id(text: &str) -> Result<BlobId, ApiError> {
    text.parse().map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("bad blob id {text:?}: {error}")))
}

/// The blob's metadata, verified, if the blob is certified, with its `Cache-Control`. The
/// certification check runs beside the metadata fetch, so a certified blob costs no extra
/// latency; undecided (the nodes disagree or do not answer), the blob is served, verified as
/// always, and cached briefly.
async fn open_certified(
    client: &FloeClient,
    blob_id: &BlobId,
    budget: Arc<ReadBudget>,
    plan: ReadPlan,
) -> Result<(BlobReader, Vec<(HeaderName, HeaderValue)>), ApiError> {
    let (reader, mut certified) = tokio::join!(client.open_blob(blob_id, budget, plan), client.certification(blob_id));
    // Nodes follow the chain a checkpoint or more behind, so a blob certified a moment ago (its
    // store has just returned) can still look uncertified to them. A blob whose metadata the
    // nodes serve is asked about again for a few seconds before it is refused.
    if certified == Some(Certification::Uncertified) && reader.is_ok() {
        let settled = || async {
            match client.certification(blob_id).await {
                Some(Certification::Uncertified) => Err(()),
                other => Ok(other),
            }
        };
        let backoff = ExponentialBuilder::default().with_min_delay(Duration::from_millis(250)).with_max_times(4);
        certified = settled.retry(backoff).await.unwrap_or(Some(Certification::Uncertified));
    }
    if certified == Some(Certification::Uncertified) {
        return Err(uncertified(blob_id, reader));
    }
    let permanent = certified == Some(Certification::Permanent);
    Ok((reader.map_err(read_error)?, vec![(header::CACHE_CONTROL, cache_control(permanent))]))
}

/// What a GET or HEAD of a blob reads: a GET without a `Range` header the whole blob (its first
/// rows asked for with its metadata); otherwise only what the range holds, or nothing.
fn plan_of(method: &Method, headers: &HeaderMap) -> ReadPlan {
    match method == Method::GET && !headers.contains_key(header::RANGE) {
        true => ReadPlan::Whole,
        false => ReadPlan::Ranges,
    }
}

/// `GET /v1/blobs/{blob_id}`.
pub(super) async fn by_blob_id(
    State(client): State<Arc<FloeClient>>,
    Extension(budget): Extension<Arc<ReadBudget>>,
    Path(blob_id): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let blob_id = parse_blob_id(&blob_id)?;
    let (reader, caching) = open_certified(&client, &blob_id, budget, plan_of(&method, &headers)).await?;
    Ok(answer(&reader, &headers, caching))
}

/// `GET /v1/blobs/{blob_id}/byte-range?start=S&length=L`: bytes `S..S+L`, as Walrus' aggregator.
pub(super) async fn byte_range(
    State(client): State<Arc<FloeClient>>,
    Extension(budget): Extension<Arc<ReadBudget>>,
    Path(blob_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let blob_id = parse_blob_id(&blob_id)?;
    let number = |name: &str| -> Result<u64, ApiError> {
        let text = query.get(name).ok_or_else(|| {
            ApiError::new(StatusCode::BAD_REQUEST, format!("the query parameter {name} (a byte count) is missing"))
        })?;
        text.parse().map_err(|error| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("the query parameter {name}={text:?} is not a byte count: {error}"),
            )
        })
    };
    let (start, length) = (number("start")?, number("length")?);
    if length == 0 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "the query parameter length must be at least 1"));
    }
    let (reader, caching) = open_certified(&client, &blob_id, budget, ReadPlan::Ranges).await?;
    let end = start.checked_add(length).filter(|end| *end <= reader.len());
    match end {
        Some(end) => Ok(stream(&reader, start..end, false, caching)),
        None => Ok(unsatisfiable(&format!("bytes {start}..{start}+{length}"), reader.len())),
    }
}

/// `GET /v1/blobs/by-object-id/{object_id}`.
pub(super) async fn by_object_id(
    State(client): State<Arc<FloeClient>>,
    Extension(budget): Extension<Arc<ReadBudget>>,
    Path(object_id): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let object_id: Address = object_id
        .parse()
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("bad object id {object_id:?}: {error}")))?;
    let chain = client.chain().ok_or_else(|| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "this aggregator has no chain connection to look objects up")
    })?;
    let (blob, _) = chain.blob(object_id).await.map_err(|error| {
        // An object that is missing or is no Blob is the request's fault; anything else (the
        // chain unreachable, a refused read) is the upstream's.
        let status = match &error {
            ChainError::Client(ClientError::ObjectNotFound(_)) | ChainError::NotABlob { .. } => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_GATEWAY,
        };
        ApiError::new(status, error.to_string())
    })?;
    if !blob.is_certified() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("Blob object {object_id} (blob {}) is registered but not certified", blob.blob_id),
        ));
    }
    let attributes =
        chain.attributes(object_id).await.map_err(|error| ApiError::new(StatusCode::BAD_GATEWAY, error.to_string()))?;
    // The owner's `cache-control` attribute, if any, comes after and wins.
    let permanence = std::iter::once((header::CACHE_CONTROL, cache_control(!blob.deletable)));
    let extra = permanence
        .chain(
            attributes
                .into_iter()
                .filter(|(key, _)| HEADER_ATTRIBUTES.contains(&key.to_ascii_lowercase().as_str()))
                .filter_map(|(key, value)| {
                    Some((
                        HeaderName::from_bytes(key.to_ascii_lowercase().as_bytes()).ok()?,
                        HeaderValue::from_str(&value).ok()?,
                    ))
                }),
        )
        .collect();
    let reader = client.open_blob(&blob.blob_id, budget, plan_of(&method, &headers)).await.map_err(read_error)?;
    Ok(answer(&reader, &headers, extra))
}

/// Reads are public, but each client address has its rate (when the daemon sets one).
pub(super) async fn admit(State(access): State<Access>, request: Request, next: Next) -> Result<Response, ApiError> {
    if let Some(rate) = &access.read_rate {
        rate.check(super::publisher::client_address(request.extensions().get()), "reads")?;
    }
    Ok(next.run(request).await)
}

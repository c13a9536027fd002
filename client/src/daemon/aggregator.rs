//! The aggregator: blobs by id or by `Blob` object, whole or by byte range.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use floe_encoder::BlobId;
use sui_sdk_types::Address;

use super::{
    Access, ApiError,
    range::{self, RangeRequest},
};
use crate::{
    client::{Certification, FloeClient},
    progress::NoProgress,
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
        ReadError::NoMetadata { .. } | ReadError::NotEnoughSlivers { .. } => StatusCode::BAD_GATEWAY,
    };
    ApiError::new(status, error.to_string())
}

/// Answers with `blob`, or the part `headers` ask for.
fn answer(blob: Vec<u8>, blob_id: &BlobId, headers: &HeaderMap, extra: Vec<(HeaderName, HeaderValue)>) -> Response {
    let len = blob.len() as u64;
    let requested = range::parse(headers.get(header::RANGE).and_then(|value| value.to_str().ok()), len);
    let (status, body, content_range) = match requested {
        RangeRequest::Whole => (StatusCode::OK, blob, None),
        RangeRequest::Part(part) => {
            let content_range = format!("bytes {}-{}/{len}", part.start, part.end - 1);
            let body = blob[part.start as usize..part.end as usize].to_vec();
            (StatusCode::PARTIAL_CONTENT, body, Some(content_range))
        }
        RangeRequest::Unsatisfiable => {
            let mut response = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("the range asked for is outside the blob's {len} bytes"),
            )
            .into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return response;
        }
    };
    let mut response = (status, Body::from(body)).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    response_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // Until told otherwise (`extra`): a blob id names its content forever, but a deletable
    // blob's bytes may go at its owner's word, so only a permanent one is cached for a year.
    response_headers.insert(header::CACHE_CONTROL, cache_control(false));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{blob_id}\"")) {
        response_headers.insert(header::ETAG, etag);
    }
    if let Some(value) = content_range.and_then(|text| HeaderValue::from_str(&text).ok()) {
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

/// The answer to a blob that is not certified: 404 if no node knows it, 409 if it is registered
/// (its bytes may well be on the nodes, but nothing guarantees them until a certificate is).
fn uncertified(blob_id: &BlobId, read: Result<Vec<u8>, ReadError>) -> ApiError {
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

/// `GET /v1/blobs/{blob_id}`.
pub(super) async fn by_blob_id(
    State(client): State<Arc<FloeClient>>,
    Path(blob_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let blob_id: BlobId = blob_id
        .parse()
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("bad blob id {blob_id:?}: {error}")))?;
    // The certification check runs beside the read, so a certified blob costs no extra latency;
    // undecided (the nodes disagree or do not answer), the bytes are served, verified as always.
    let (blob, certified) = tokio::join!(client.read(&blob_id, &NoProgress), client.certification(&blob_id));
    if certified == Some(Certification::Uncertified) {
        return Err(uncertified(&blob_id, blob));
    }
    let blob = blob.map_err(read_error)?;
    let permanent = certified == Some(Certification::Permanent);
    Ok(answer(blob, &blob_id, &headers, vec![(header::CACHE_CONTROL, cache_control(permanent))]))
}

/// `GET /v1/blobs/by-object-id/{object_id}`.
pub(super) async fn by_object_id(
    State(client): State<Arc<FloeClient>>,
    Path(object_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let object_id: Address = object_id
        .parse()
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, format!("bad object id {object_id:?}: {error}")))?;
    let chain = client.chain().ok_or_else(|| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "this aggregator has no chain connection to look objects up")
    })?;
    let (blob, _) =
        chain.blob(object_id).await.map_err(|error| ApiError::new(StatusCode::NOT_FOUND, error.to_string()))?;
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
    let data = client.read(&blob.blob_id, &NoProgress).await.map_err(read_error)?;
    Ok(answer(data, &blob.blob_id, &headers, extra))
}

/// Reads are public, but each client address has its rate (when the daemon sets one).
pub(super) async fn admit(State(access): State<Access>, request: Request, next: Next) -> Result<Response, ApiError> {
    if let Some(rate) = &access.read_rate {
        rate.check(super::publisher::client_address(request.extensions().get()), "reads")?;
    }
    Ok(next.run(request).await)
}

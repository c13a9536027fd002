//! Quilts over HTTP, in Walrus's shape: `PUT /v1/quilts` (publisher) stores a multipart form as
//! one quilt; the aggregator serves a file by quilt patch id or by quilt id and identifier, and
//! lists a quilt's patches.
//!
//! `PUT /v1/quilts?epochs=..`: one part per file, its field name the file's identifier, and an
//! optional part `_metadata` holding a JSON array `[{"identifier", "tags": {key: value}}]`
//! (non-string tag values are stored as their JSON text, as Walrus does). The answer is
//! `{"blobStoreResult": <as PUT /v1/blobs>, "storedQuiltBlobs": [{"identifier", "quiltPatchId"}]}`.
//! Everything that makes a quilt invalid (no files, duplicate or invalid identifiers, tags of
//! unknown files, too many files) is refused with 400 before anything is paid.
//!
//! A file is answered with its bytes, `X-Quilt-Patch-Identifier: <identifier>`, and its tags that
//! are allow-listed response headers (e.g. `content-type`). `GET /v1/quilts/{quilt_id}/patches`
//! answers `[{"identifier", "patch_id", "tags"}]`. Unknown identifiers and patch ids are 404; a
//! blob that is not a well-formed quilt is 422.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use axum::{
    Extension, Json,
    body::Body,
    extract::{Multipart, Path, State},
    http::{HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use floe_encoder::{
    BlobId,
    quilt::{QuiltError, QuiltFile, QuiltPatchId},
};
use serde::Deserialize;

use super::{Access, ApiError, aggregator::HEADER_ATTRIBUTES, aggregator::read_error, publisher};
use crate::{
    client::{Certification, FloeClient},
    progress::NoProgress,
    quilt::{QuiltReadError, QuiltSelector, StoreQuiltError},
};

/// The multipart field that carries identifiers' tags instead of a file.
const METADATA_FIELD: &str = "_metadata";
/// The response header naming the file served.
const IDENTIFIER_HEADER: &str = "x-quilt-patch-identifier";

/// One entry of the `_metadata` part.
#[derive(Debug, Deserialize)]
struct PatchMetadata {
    identifier: String,
    #[serde(default)]
    tags: serde_json::Map<String, serde_json::Value>,
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

/// The files of a multipart form, with the tags `_metadata` gives them.
async fn files(mut multipart: Multipart) -> Result<Vec<QuiltFile>, ApiError> {
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    let mut tags: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    let multipart_error = |error: axum::extract::multipart::MultipartError| {
        ApiError::new(error.status(), format!("malformed multipart form: {}", error.body_text()))
    };
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == METADATA_FIELD {
            let text = field.text().await.map_err(multipart_error)?;
            let entries: Vec<PatchMetadata> = serde_json::from_str(&text).map_err(|error| {
                bad_request(format!("{METADATA_FIELD} is not a JSON array of {{identifier, tags}}: {error}"))
            })?;
            for entry in entries {
                let entry_tags = entry
                    .tags
                    .into_iter()
                    .map(|(key, value)| match value {
                        serde_json::Value::String(text) => (key, text),
                        other => (key, other.to_string()),
                    })
                    .collect();
                if tags.insert(entry.identifier.clone(), entry_tags).is_some() {
                    return Err(bad_request(format!("{METADATA_FIELD} names {:?} twice", entry.identifier)));
                }
            }
        } else {
            let data = field.bytes().await.map_err(multipart_error)?;
            parts.push((name, data.to_vec()));
        }
    }
    if parts.is_empty() {
        return Err(bad_request("no files in the multipart form: send one part per file, named by its identifier"));
    }
    if let Some(orphan) = tags.keys().find(|identifier| !parts.iter().any(|(name, _)| name == *identifier)) {
        return Err(bad_request(format!("{METADATA_FIELD} gives tags to {orphan:?}, but no part has that name")));
    }
    parts
        .into_iter()
        .map(|(identifier, data)| {
            let file_tags = tags.remove(&identifier).unwrap_or_default();
            QuiltFile::new(identifier, data)
                .map(|file| file.with_tags(file_tags))
                .map_err(|error| bad_request(error.to_string()))
        })
        .collect()
}

fn store_quilt_error(error: StoreQuiltError) -> ApiError {
    match error {
        StoreQuiltError::Quilt(error @ QuiltError::QuiltTooLarge { .. }) => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, error.to_string())
        }
        StoreQuiltError::Quilt(error) => bad_request(error.to_string()),
        StoreQuiltError::Store(error) => publisher::store_error(error),
        error @ StoreQuiltError::Attribute { .. } => ApiError::new(StatusCode::BAD_GATEWAY, error.to_string()),
    }
}

/// `PUT /v1/quilts`.
pub(super) async fn store(
    State(client): State<Arc<FloeClient>>,
    Extension(access): Extension<Access>,
    Extension(admitted): Extension<publisher::Admitted>,
    multipart: Multipart,
) -> Result<Json<crate::store_answer::QuiltStoreAnswer>, ApiError> {
    if client.chain().and_then(|chain| chain.sender()).is_none() {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "this daemon has no key to pay for storage with"));
    }
    let files = files(multipart).await?;
    if let Some(claims) = &admitted.claims {
        // A token's size limits bound the files' bytes together, as one upload.
        claims.check_size(files.iter().map(|file| file.data().len() as u64).sum())?;
    }
    // As for a blob: the answer goes out once the quilt is certified.
    let stored = client
        .store_quilt_detaching_tail(&files, &admitted.options, Arc::new(NoProgress))
        .await
        .map_err(store_quilt_error)?;
    if let Some(budget) = &access.daily_budget {
        budget.charge(stored.outcome.paid());
    }
    Ok(Json(stored.answer()))
}

fn quilt_read_error(error: QuiltReadError) -> ApiError {
    match error {
        QuiltReadError::Read(error) => read_error(error),
        error @ QuiltReadError::Quilt {
            source: QuiltError::UnknownIdentifier(_) | QuiltError::UnknownPatch { .. },
            ..
        } => ApiError::new(StatusCode::NOT_FOUND, error.to_string()),
        error => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string()),
    }
}

fn parse_quilt_id(text: &str) -> Result<BlobId, ApiError> {
    text.parse().map_err(|error| bad_request(format!("bad quilt id {text:?}: {error}")))
}

/// Refuses a quilt that is registered but not certified, as the blob routes do; says whether it
/// is certified as permanent (for caching).
async fn check_certified(client: &FloeClient, quilt_id: &BlobId) -> Result<bool, ApiError> {
    match client.certification(quilt_id).await {
        Some(Certification::Uncertified) => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("quilt {quilt_id} is not certified: it is not available until a certificate is on chain"),
        )),
        certification => Ok(certification == Some(Certification::Permanent)),
    }
}

/// A file's answer: its bytes and identifier, and the tags that are allow-listed headers.
fn file_answer(file: QuiltFile, etag: &str, permanent: bool) -> Response {
    let identifier = HeaderValue::from_str(file.identifier()).ok();
    let tag_headers: Vec<(HeaderName, HeaderValue)> = file
        .tags()
        .iter()
        .filter(|(key, _)| HEADER_ATTRIBUTES.contains(&key.to_ascii_lowercase().as_str()))
        .filter_map(|(key, value)| {
            Some((
                HeaderName::from_bytes(key.to_ascii_lowercase().as_bytes()).ok()?,
                HeaderValue::from_str(value).ok()?,
            ))
        })
        .collect();
    let mut response = (StatusCode::OK, Body::from(file.into_data())).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CACHE_CONTROL, super::aggregator::cache_control(permanent));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        headers.insert(header::ETAG, etag);
    }
    if let Some(identifier) = identifier {
        headers.insert(HeaderName::from_static(IDENTIFIER_HEADER), identifier);
    }
    for (name, value) in tag_headers {
        headers.insert(name, value);
    }
    response
}

/// `GET /v1/blobs/by-quilt-patch-id/{quilt_patch_id}`.
pub(super) async fn by_patch_id(
    State(client): State<Arc<FloeClient>>,
    Path(text): Path<String>,
) -> Result<Response, ApiError> {
    let id: QuiltPatchId = text.parse().map_err(|error: QuiltError| bad_request(error.to_string()))?;
    let permanent = check_certified(&client, &id.quilt_id).await?;
    let file = client.read_quilt_patch(&id).await.map_err(quilt_read_error)?;
    Ok(file_answer(file, &id.to_string(), permanent))
}

/// `GET /v1/blobs/by-quilt-id/{quilt_id}/{identifier}`.
pub(super) async fn by_identifier(
    State(client): State<Arc<FloeClient>>,
    Path((quilt_id, identifier)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let quilt_id = parse_quilt_id(&quilt_id)?;
    let permanent = check_certified(&client, &quilt_id).await?;
    let selector = QuiltSelector::Identifiers(vec![identifier.clone()]);
    let mut files = client.read_quilt_files(&quilt_id, &selector).await.map_err(quilt_read_error)?;
    let file = files.pop().ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, format!("no patch with identifier {identifier:?} in quilt {quilt_id}"))
    })?;
    Ok(file_answer(file, &format!("{quilt_id}/{identifier}"), permanent))
}

/// `GET /v1/quilts/{quilt_id}/patches`.
pub(super) async fn patches(
    State(client): State<Arc<FloeClient>>,
    Path(quilt_id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let quilt_id = parse_quilt_id(&quilt_id)?;
    check_certified(&client, &quilt_id).await?;
    let index = client.quilt_index(&quilt_id).await.map_err(quilt_read_error)?;
    let patches: Vec<serde_json::Value> = index
        .patches()
        .iter()
        .map(|patch| {
            let id = QuiltPatchId { quilt_id, patch: patch.internal_id() };
            serde_json::json!({ "identifier": patch.identifier(), "patch_id": id.to_string(), "tags": patch.tags() })
        })
        .collect();
    Ok(Json(serde_json::Value::Array(patches)))
}

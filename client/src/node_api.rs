//! A typed HTTP client of one storage node's API (the routes of `floe-node`, in the shape of the
//! Walrus storage-node API). Every answer is untrusted: reads are bounded by the largest valid
//! answer, metadata is verified against the blob id, slivers against the metadata, and
//! confirmations against the member's BLS key and the exact message the client expects.

use std::time::Duration;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use floe_encoder::{
    BlobId, EncodingConfig, Epoch, Sliver, SliverPairIndex, SliverType,
    bls::{BlsPublicKey, BlsSignature},
    decode::VerifiedSliver,
    messages::{BlobPersistence, SignedMessage, StorageConfirmation},
    metadata::{BlobMetadata, VerifiedBlobMetadata},
};
use serde::{Deserialize, Serialize};

/// Bytes allowed for a JSON answer (confirmation, status, error).
const MAX_JSON_ANSWER: usize = 16 * 1024;
/// Bytes allowed above a sliver's symbols for its BCS framing.
const SLIVER_FRAMING: usize = 64;
/// Bytes allowed above the metadata's hashes for the blob id and BCS framing.
const METADATA_FRAMING: usize = 32 + 1024;
/// BCS bytes of one hash in the metadata (tag and digest).
const METADATA_HASH_BYTES: usize = 33;

/// Why a request to a storage node failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeApiError {
    /// No answer (connection refused, reset, timeout, ...).
    #[error("request to {url} failed: {source}")]
    Transport {
        /// The URL.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The node answered with an error status.
    #[error("{url} answered {status}: {message}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The node's error message (or body text).
        message: String,
    },
    /// The answer is larger than any valid one.
    #[error("{url} sent more than the {limit} bytes a valid answer can have")]
    TooLarge {
        /// The URL.
        url: String,
        /// The bound.
        limit: usize,
    },
    /// The answer does not decode or does not verify: the node is faulty or lying.
    #[error("{url} sent an invalid answer: {reason}")]
    Invalid {
        /// The URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
}

impl NodeApiError {
    /// The node may answer differently if asked again soon: no answer, a server failure, or a
    /// refusal because it has not yet seen the blob's registration (403) or all its slivers (409).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Status { status, .. } => *status >= 500 || matches!(*status, 403 | 409 | 429),
            Self::TooLarge { .. } | Self::Invalid { .. } => false,
        }
    }

    /// The HTTP status, if the node answered with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A blob's lifecycle state as a node reports it (`GET /v1/blobs/{id}/status`, Walrus' shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NodeBlobStatus {
    /// No live registration.
    Nonexistent,
    /// Proven inconsistently encoded.
    Invalid,
    /// At least one permanent registration.
    #[serde(rename_all = "camelCase")]
    Permanent {
        /// The latest end epoch of the permanent objects.
        end_epoch: Epoch,
        /// Whether a permanent object is certified.
        is_certified: bool,
        /// The first epoch any object was certified in.
        initial_certified_epoch: Option<Epoch>,
    },
    /// Only deletable registrations.
    #[serde(rename_all = "camelCase")]
    Deletable {
        /// The first epoch any object was certified in.
        initial_certified_epoch: Option<Epoch>,
    },
}

/// A client of one node's API. Cheap to clone: clones share the connection pool.
#[derive(Debug, Clone)]
pub struct NodeClient {
    http: reqwest::Client,
    base: String,
}

#[derive(Deserialize)]
struct Envelope<T> {
    success: Success<T>,
}

#[derive(Deserialize)]
struct Success<T> {
    data: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignedJson {
    serialized_message: String,
    signature: String,
}

#[derive(Deserialize)]
struct ConfirmationJson {
    signed: SignedJson,
}

impl NodeClient {
    /// A client of the node at `base_url` (e.g. `http://127.0.0.1:9185`) over `http`.
    pub fn new(http: reqwest::Client, base_url: &str) -> Self {
        Self { http, base: base_url.trim_end_matches('/').to_owned() }
    }

    /// The node's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn blob_url(&self, blob_id: &BlobId, rest: &str) -> String {
        format!("{}/v1/blobs/{blob_id}/{rest}", self.base)
    }

    fn transport(url: &str) -> impl Fn(reqwest::Error) -> NodeApiError + '_ {
        move |source| NodeApiError::Transport { url: url.to_owned(), source }
    }

    /// Reads at most `limit` bytes of `response`, turning an error status into [`NodeApiError::Status`].
    async fn bounded(url: &str, mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, NodeApiError> {
        let status = response.status();
        if !status.is_success() {
            let mut body = Vec::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                body.extend_from_slice(&chunk);
                if body.len() >= MAX_JSON_ANSWER {
                    break;
                }
            }
            let text = String::from_utf8_lossy(&body);
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|value| value["error"]["message"].as_str().map(str::to_owned))
                .unwrap_or_else(|| text.chars().take(512).collect());
            return Err(NodeApiError::Status { url: url.to_owned(), status: status.as_u16(), message });
        }
        if response.content_length().is_some_and(|length| length > limit as u64) {
            return Err(NodeApiError::TooLarge { url: url.to_owned(), limit });
        }
        let mut body = Vec::with_capacity(response.content_length().map_or(0, |length| length as usize));
        while let Some(chunk) = response.chunk().await.map_err(Self::transport(url))? {
            if body.len() + chunk.len() > limit {
                return Err(NodeApiError::TooLarge { url: url.to_owned(), limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    async fn get(&self, url: &str, limit: usize, timeout: Duration) -> Result<Vec<u8>, NodeApiError> {
        let response = self.http.get(url).timeout(timeout).send().await.map_err(Self::transport(url))?;
        Self::bounded(url, response, limit).await
    }

    async fn put(&self, url: &str, body: Vec<u8>, timeout: Duration) -> Result<(), NodeApiError> {
        let response = self.http.put(url).timeout(timeout).body(body).send().await.map_err(Self::transport(url))?;
        Self::bounded(url, response, MAX_JSON_ANSWER).await.map(drop)
    }

    fn json<T: for<'de> Deserialize<'de>>(url: &str, bytes: &[u8]) -> Result<T, NodeApiError> {
        serde_json::from_slice::<Envelope<T>>(bytes)
            .map(|envelope| envelope.success.data)
            .map_err(|error| NodeApiError::Invalid { url: url.to_owned(), reason: format!("JSON answer: {error}") })
    }

    /// `PUT /v1/blobs/{id}/metadata`; the node waits up to `wait` for the registration.
    pub async fn put_metadata(
        &self,
        metadata: &VerifiedBlobMetadata,
        wait: Duration,
        timeout: Duration,
    ) -> Result<(), NodeApiError> {
        let url = format!("{}?wait_millis={}", self.blob_url(metadata.blob_id(), "metadata"), wait.as_millis());
        self.put(&url, metadata.metadata().to_bcs(), timeout + wait).await
    }

    /// `PUT /v1/blobs/{id}/slivers/{pair}/{axis}`.
    pub async fn put_sliver(
        &self,
        blob_id: &BlobId,
        pair: SliverPairIndex,
        sliver: &Sliver,
        wait: Duration,
        timeout: Duration,
    ) -> Result<(), NodeApiError> {
        let rest = format!("slivers/{pair}/{}?wait_millis={}", sliver.axis(), wait.as_millis());
        self.put(&self.blob_url(blob_id, &rest), sliver.to_bcs(), timeout + wait).await
    }

    /// `GET /v1/blobs/{id}/metadata`, verified against `blob_id` for this committee size.
    pub async fn metadata(
        &self,
        config: &EncodingConfig,
        blob_id: &BlobId,
        timeout: Duration,
    ) -> Result<VerifiedBlobMetadata, NodeApiError> {
        let url = self.blob_url(blob_id, "metadata");
        let limit = config.n_shards_usize() * 2 * METADATA_HASH_BYTES + METADATA_FRAMING;
        let bytes = self.get(&url, limit, timeout).await?;
        let invalid = |reason: String| NodeApiError::Invalid { url: url.clone(), reason };
        let (id, metadata) = bytes.split_at_checked(32).ok_or_else(|| invalid("shorter than a blob id".into()))?;
        if id != blob_id.0 {
            return Err(invalid(format!("answer is for blob {:?}", BlobId(id.try_into().expect("32 bytes")))));
        }
        let metadata = BlobMetadata::from_bcs(metadata).map_err(|error| invalid(error.to_string()))?;
        metadata.verify(config, blob_id).map_err(|error| invalid(error.to_string()))
    }

    /// `GET /v1/blobs/{id}/slivers/{pair}/{axis}`, checked against `metadata` (shape, index and
    /// hash). Verification re-encodes the sliver, so it runs on the blocking pool.
    pub async fn sliver(
        &self,
        config: &EncodingConfig,
        metadata: &VerifiedBlobMetadata,
        pair: SliverPairIndex,
        axis: SliverType,
        timeout: Duration,
    ) -> Result<VerifiedSliver, NodeApiError> {
        let url = self.blob_url(metadata.blob_id(), &format!("slivers/{pair}/{axis}"));
        let limit = config.sliver_len(axis, metadata.symbol_size(config)) + SLIVER_FRAMING;
        let bytes = self.get(&url, limit, timeout).await?;
        let invalid = |reason: String| NodeApiError::Invalid { url: url.clone(), reason };
        let sliver = Sliver::from_bcs(axis, &bytes).map_err(|error| invalid(error.to_string()))?;
        let expected = pair.sliver_index(axis, config.n_shards());
        if sliver.index() != expected {
            return Err(invalid(format!("{axis} sliver has index {}, pair {pair} holds {expected}", sliver.index())));
        }
        let (config, metadata) = (*config, metadata.clone());
        tokio::task::spawn_blocking(move || VerifiedSliver::new(&config, &metadata, sliver))
            .await
            .map_err(|error| invalid(format!("verification task failed: {error}")))?
            .map_err(|error| invalid(error.to_string()))
    }

    /// `GET /v1/blobs/{id}/confirmation/...`: the node's signed storage confirmation, checked to
    /// be exactly `expected` and signed by `key`.
    pub async fn confirmation(
        &self,
        expected: &StorageConfirmation,
        key: &BlsPublicKey,
        wait: Duration,
        timeout: Duration,
    ) -> Result<SignedMessage, NodeApiError> {
        let path = match expected.persistence {
            BlobPersistence::Permanent => "confirmation/permanent".to_owned(),
            BlobPersistence::Deletable { object_id } => {
                format!("confirmation/deletable/0x{}", hex_lower(&object_id))
            }
        };
        let url = format!("{}?wait_millis={}", self.blob_url(&expected.blob_id, &path), wait.as_millis());
        let bytes = self.get(&url, MAX_JSON_ANSWER, timeout + wait).await?;
        let invalid = |reason: String| NodeApiError::Invalid { url: url.clone(), reason };
        let answer: ConfirmationJson = Self::json(&url, &bytes)?;
        let serialized = STANDARD
            .decode(&answer.signed.serialized_message)
            .map_err(|error| invalid(format!("serializedMessage is not base64: {error}")))?;
        let signature = STANDARD
            .decode(&answer.signed.signature)
            .map_err(|error| invalid(format!("signature is not base64: {error}")))
            .and_then(|bytes| BlsSignature::from_bytes(&bytes).map_err(|error| invalid(error.to_string())))?;
        if serialized != expected.to_bytes() {
            let got = StorageConfirmation::from_bytes(&serialized)
                .map_or_else(|error| format!("unparsable ({error})"), |message| format!("{message:?}"));
            return Err(invalid(format!("confirmation is {got}, expected {expected:?}")));
        }
        let signed = SignedMessage { serialized, signature };
        signed
            .verify(key)
            .map_err(|error| invalid(format!("signature does not verify with the member key: {error}")))?;
        Ok(signed)
    }

    /// `GET /v1/blobs/{id}/status`.
    pub async fn status(&self, blob_id: &BlobId, timeout: Duration) -> Result<NodeBlobStatus, NodeApiError> {
        let url = self.blob_url(blob_id, "status");
        let bytes = self.get(&url, MAX_JSON_ANSWER, timeout).await?;
        Self::json(&url, &bytes)
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_status_json_is_walrus_shaped() {
        let text = r#"{"permanent":{"endEpoch":9,"isCertified":true,"deletableCounts":{"countDeletableTotal":0,"countDeletableCertified":0},"initialCertifiedEpoch":2}}"#;
        let status: NodeBlobStatus = serde_json::from_str(text).unwrap();
        assert_eq!(
            status,
            NodeBlobStatus::Permanent { end_epoch: 9, is_certified: true, initial_certified_epoch: Some(2) }
        );
        assert_eq!(serde_json::from_str::<NodeBlobStatus>(r#""nonexistent""#).unwrap(), NodeBlobStatus::Nonexistent);
    }

    #[test]
    fn not_registered_yet_and_server_failures_are_transient_lies_are_not() {
        let status = |status| NodeApiError::Status { url: String::new(), status, message: String::new() };
        assert!(status(403).is_transient() && status(409).is_transient() && status(503).is_transient());
        assert!(!status(400).is_transient() && !status(404).is_transient());
        assert!(!NodeApiError::Invalid { url: String::new(), reason: String::new() }.is_transient());
    }
}

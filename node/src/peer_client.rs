//! A client of other nodes' APIs, for what recovery needs: a blob's metadata and recovery
//! symbols. Every answer is treated as untrusted: sizes are bounded while reading, metadata is
//! verified against the blob id here, symbols are verified by the caller against the metadata.

use floe_encoder::{
    BlobId, EncodingConfig, SliverIndex, SliverType, metadata::BlobMetadata, metadata::VerifiedBlobMetadata,
    recovery::RecoverySymbol,
};

use crate::limits;

/// Why a request to a peer failed.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// No answer (connection refused, timeout, ...).
    #[error("request to {url} failed: {source}")]
    Transport {
        /// The URL.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The peer answered with an error status.
    #[error("{url} answered {status}: {message}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// The body, as text.
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
    /// The answer does not decode or verify.
    #[error("{url} sent an invalid answer: {reason}")]
    Invalid {
        /// The URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
}

impl PeerError {
    /// Worth retrying: the peer may answer next time (no answer, or a server-side failure).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Status { status, .. } => *status >= 500,
            Self::TooLarge { .. } | Self::Invalid { .. } => false,
        }
    }
}

/// An HTTP client for peers' node APIs.
#[derive(Debug, Clone)]
pub struct PeerClient {
    http: reqwest::Client,
}

impl Default for PeerClient {
    fn default() -> Self {
        Self::new()
    }
}

impl PeerClient {
    /// A client with the node's request timeout ([`limits::PEER_REQUEST_TIMEOUT`]).
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .timeout(limits::PEER_REQUEST_TIMEOUT)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { http }
    }

    /// GETs `url` and reads at most `limit` bytes of a successful answer.
    async fn get_bounded(&self, url: &str, limit: usize) -> Result<Vec<u8>, PeerError> {
        let transport = |source| PeerError::Transport { url: url.to_owned(), source };
        let mut response = self.http.get(url).send().await.map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            let message: String = text.chars().take(1024).collect();
            return Err(PeerError::Status { url: url.to_owned(), status: status.as_u16(), message });
        }
        if response.content_length().is_some_and(|length| length > limit as u64) {
            return Err(PeerError::TooLarge { url: url.to_owned(), limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > limit {
                return Err(PeerError::TooLarge { url: url.to_owned(), limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The metadata of `blob_id` from the node at `base_url`, verified against the blob id.
    pub async fn metadata(
        &self,
        base_url: &str,
        config: &EncodingConfig,
        blob_id: &BlobId,
    ) -> Result<VerifiedBlobMetadata, PeerError> {
        let url = format!("{}/v1/blobs/{blob_id}/metadata", base_url.trim_end_matches('/'));
        let bytes = self.get_bounded(&url, 32 + limits::max_metadata_body(config)).await?;
        let invalid = |reason: String| PeerError::Invalid { url: url.clone(), reason };
        let (id, metadata) = bytes.split_at_checked(32).ok_or_else(|| invalid("shorter than a blob id".into()))?;
        if id != blob_id.0 {
            return Err(invalid(format!("answer is for blob {:?}", BlobId(id.try_into().expect("32 bytes")))));
        }
        let metadata = BlobMetadata::from_bcs(metadata).map_err(|error| invalid(error.to_string()))?;
        metadata.verify(config, blob_id).map_err(|error| invalid(error.to_string()))
    }

    /// The recovery symbols the node at `base_url` offers for the `targets` slivers of
    /// `target_axis` of a blob with `symbol_size` (unverified: check each against the metadata).
    pub async fn recovery_symbols(
        &self,
        base_url: &str,
        config: &EncodingConfig,
        blob_id: &BlobId,
        symbol_size: u16,
        target_axis: SliverType,
        targets: &[SliverIndex],
    ) -> Result<Vec<RecoverySymbol>, PeerError> {
        let list = targets.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        let url = format!(
            "{}/v1/blobs/{blob_id}/recoverySymbols?target_type={target_axis}&target_sliver={list}",
            base_url.trim_end_matches('/')
        );
        let limit = limits::max_recovery_response(config, symbol_size, targets.len());
        let bytes = self.get_bounded(&url, limit).await?;
        bcs::from_bytes(&bytes).map_err(|error| PeerError::Invalid { url, reason: error.to_string() })
    }
}

//! Why a request to a storage node failed.

use floe_encoder::bls::BlsError;
use floe_encoder::error::{MetadataError, SliverError};
use floe_encoder::{BlobId, Epoch, SliverType};

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
    /// The server at the node's address presented a TLS certificate with another key than the
    /// one the chain lists for the node: it is not that node (or the node changed its key without
    /// publishing it).
    #[error("{url} is refused: {source}")]
    WrongTlsKey {
        /// The URL.
        url: String,
        /// The key expected and the one presented.
        #[source]
        source: crate::tls::WrongNodeKey,
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
    /// The node confirmed storage for another epoch than asked: it has not yet followed the chain
    /// into the asker's epoch, or the asker's committee belongs to an epoch that has ended.
    #[error("{url} confirmed storage for epoch {signed}, expected epoch {expected}")]
    OtherEpoch {
        /// The URL.
        url: String,
        /// The epoch the node signed for (its current one).
        signed: Epoch,
        /// The epoch asked for.
        expected: Epoch,
    },
    /// The answer does not decode or does not verify: the node is faulty or lying.
    #[error("{url} sent an invalid answer: {reason}")]
    Invalid {
        /// The URL.
        url: String,
        /// What was wrong.
        #[source]
        reason: InvalidAnswer,
    },
}

/// What was wrong with an answer that does not decode or does not verify.
#[derive(Debug, thiserror::Error)]
pub enum InvalidAnswer {
    /// A check of this crate failed; the text names it and the values involved.
    #[error("{0}")]
    Described(String),
    /// The body is not the BCS the route answers with.
    #[error(transparent)]
    Bcs(#[from] bcs::Error),
    /// The body is not the JSON envelope the route answers with.
    #[error("JSON answer: {0}")]
    Json(#[from] serde_json::Error),
    /// The metadata does not verify against the blob id asked for.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// The sliver does not verify against the metadata.
    #[error(transparent)]
    Sliver(#[from] SliverError),
    /// A sliver of a shard-sync page does not decode.
    #[error("{axis} sliver of blob {blob_id}: {source}")]
    PageSliver {
        /// The axis synced.
        axis: SliverType,
        /// The blob it claims to be of.
        blob_id: BlobId,
        /// Why it does not decode.
        #[source]
        source: SliverError,
    },
    /// The confirmation's signature does not verify with the member's key.
    #[error("signature does not verify with the member key: {0}")]
    Signature(#[from] BlsError),
    /// The answer's decoding or verification, on the blocking pool, could not run to its end.
    #[error("verification task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl From<String> for InvalidAnswer {
    fn from(text: String) -> Self {
        Self::Described(text)
    }
}

impl NodeApiError {
    /// The node may answer differently if asked again soon: no answer, a server failure, a
    /// refusal because it has not yet seen the blob's registration (403) or all its slivers (409),
    /// or a confirmation for the epoch before the asked one (its chain follower trails).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Status { status, .. } => *status >= 500 || matches!(*status, 403 | 409 | 429),
            Self::OtherEpoch { signed, expected, .. } => signed < expected,
            Self::TooLarge { .. } | Self::Invalid { .. } | Self::WrongTlsKey { .. } => false,
        }
    }

    /// The answer from `url` is invalid for `reason`.
    pub fn invalid(url: &str, reason: impl Into<InvalidAnswer>) -> Self {
        Self::Invalid { url: url.to_owned(), reason: reason.into() }
    }

    /// The HTTP status, if the node answered with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The URL of the request that failed (it names the node).
    pub fn url(&self) -> &str {
        match self {
            Self::Transport { url, .. }
            | Self::WrongTlsKey { url, .. }
            | Self::Status { url, .. }
            | Self::TooLarge { url, .. }
            | Self::OtherEpoch { url, .. }
            | Self::Invalid { url, .. } => url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_registered_yet_and_server_failures_are_transient_lies_are_not() {
        let status = |status| NodeApiError::Status { url: String::new(), status, message: String::new() };
        assert!(status(403).is_transient() && status(409).is_transient() && status(503).is_transient());
        assert!(!status(400).is_transient() && !status(404).is_transient());
        assert!(!NodeApiError::invalid("", String::new()).is_transient());
        assert!(!NodeApiError::TooLarge { url: String::new(), limit: 1 }.is_transient());
        assert_eq!(status(409).status(), Some(409));
        assert_eq!(NodeApiError::TooLarge { url: String::new(), limit: 1 }.status(), None);
        assert_eq!(NodeApiError::TooLarge { url: "https://n/v1/blobs".into(), limit: 1 }.url(), "https://n/v1/blobs");
    }

    #[test]
    fn a_node_behind_the_asked_epoch_may_catch_up_one_ahead_will_not() {
        let other = |signed, expected| NodeApiError::OtherEpoch { url: "http://n".into(), signed, expected };
        assert!(other(4, 5).is_transient());
        assert!(!other(6, 5).is_transient());
        assert_eq!(other(4, 5).to_string(), "http://n confirmed storage for epoch 4, expected epoch 5");
    }
}

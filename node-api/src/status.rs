//! A blob's lifecycle state as a node reports it (`GET /v1/blobs/{id}/status`, Walrus' shape).

use floe_encoder::Epoch;
use serde::{Deserialize, Serialize};

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
}

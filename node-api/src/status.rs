//! A blob's lifecycle state as a node reports it (`GET /v1/blobs/{id}/status`, Walrus' shape):
//! the node builds it from its chain view, clients weigh the answers of the committee.

use floe_encoder::Epoch;
use serde::{Deserialize, Serialize};

/// How many deletable objects exist for a blob id, and how many are certified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletableCounts {
    /// Live deletable objects.
    pub count_deletable_total: u32,
    /// Live certified deletable objects.
    pub count_deletable_certified: u32,
}

/// A blob's lifecycle state as a node reports it (`GET /v1/blobs/{id}/status`, Walrus' shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BlobStatus {
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
        /// Deletable objects alongside.
        deletable_counts: DeletableCounts,
        /// The first epoch any object was certified in.
        initial_certified_epoch: Option<Epoch>,
    },
    /// Only deletable registrations.
    #[serde(rename_all = "camelCase")]
    Deletable {
        /// The first epoch any object was certified in.
        initial_certified_epoch: Option<Epoch>,
        /// The deletable objects.
        deletable_counts: DeletableCounts,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `data` of `GET /v1/blobs/{id}/status` as the node served it before the type moved
    /// here (and as Walrus serves it): a change to the wire shape fails this test.
    #[test]
    fn status_json_is_the_served_walrus_shape() {
        let cases = [
            (BlobStatus::Nonexistent, r#""nonexistent""#),
            (BlobStatus::Invalid, r#""invalid""#),
            (
                BlobStatus::Permanent {
                    end_epoch: 9,
                    is_certified: false,
                    deletable_counts: DeletableCounts { count_deletable_total: 1, count_deletable_certified: 1 },
                    initial_certified_epoch: Some(2),
                },
                r#"{"permanent":{"endEpoch":9,"isCertified":false,"deletableCounts":{"countDeletableTotal":1,"countDeletableCertified":1},"initialCertifiedEpoch":2}}"#,
            ),
            (
                BlobStatus::Deletable {
                    initial_certified_epoch: None,
                    deletable_counts: DeletableCounts { count_deletable_total: 2, count_deletable_certified: 0 },
                },
                r#"{"deletable":{"initialCertifiedEpoch":null,"deletableCounts":{"countDeletableTotal":2,"countDeletableCertified":0}}}"#,
            ),
        ];
        for (status, text) in cases {
            assert_eq!(serde_json::to_string(&status).unwrap(), text);
            assert_eq!(serde_json::from_str::<BlobStatus>(text).unwrap(), status);
        }
    }
}

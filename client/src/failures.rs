//! What went wrong with the nodes a read or a store asked, kept as typed values: an error that
//! reports "not enough slivers" or "not enough confirmations" carries each node's own error (its
//! URL, the HTTP status, the verification that failed), so a caller can tell a node that was down
//! from one that lied, and the message quotes the first few.

use std::fmt;

use floe_encoder::{SliverIndex, SliverType, error::RecoveryError};

use crate::node_api::NodeApiError;

/// Failures quoted in an error message; the rest are counted.
const QUOTED: usize = 5;

/// One thing that went wrong while asking the nodes.
#[derive(Debug, thiserror::Error)]
pub enum SourceFailure {
    /// A request to a node failed, or its answer did not verify.
    #[error(transparent)]
    Node(#[from] NodeApiError),
    /// The blob's registration failed, so the node was not asked to confirm storing it.
    #[error("the blob's registration failed; no confirmation was asked for")]
    Unregistered,
    /// A node that failed earlier in this read was not asked again.
    #[error("{url} was not asked again during this read")]
    NotAskedAgain {
        /// The node's URL.
        url: String,
    },
    /// A node's recovery symbol does not verify against the metadata: the node is lying.
    #[error("a recovery symbol from {url} failed verification: {source}")]
    InvalidRecoverySymbol {
        /// The node's URL.
        url: String,
        /// The failed check.
        #[source]
        source: RecoveryError,
    },
    /// A node sent a recovery symbol for another sliver than the one asked.
    #[error("{url} sent a recovery symbol for {axis} sliver {index}, not for the one asked")]
    MisaddressedRecoverySymbol {
        /// The node's URL.
        url: String,
        /// The axis the symbol is for.
        axis: SliverType,
        /// The sliver the symbol is for.
        index: SliverIndex,
    },
    /// Too few valid recovery symbols came to rebuild a sliver.
    #[error("{got} of the {needed} recovery symbols needed")]
    TooFewRecoverySymbols {
        /// Valid symbols received.
        got: usize,
        /// Symbols needed.
        needed: usize,
    },
    /// The symbols did not rebuild the sliver (its hash differs from the metadata's).
    #[error("rebuilding {axis} sliver {index}: {source}")]
    Rebuild {
        /// The sliver's axis.
        axis: SliverType,
        /// The sliver's index.
        index: SliverIndex,
        /// Why it failed.
        #[source]
        source: RecoveryError,
    },
    /// The rebuilding task panicked or was cancelled.
    #[error("the rebuilding task failed: {0}")]
    RebuildTask(#[from] tokio::task::JoinError),
    /// A sliver of the encoded blob could not be read from its spill file to be uploaded.
    #[error("reading {axis} sliver of pair {pair} of the encoded blob: {source}")]
    SpillRead {
        /// The sliver pair.
        pair: floe_encoder::SliverPairIndex,
        /// The sliver's axis.
        axis: SliverType,
        /// The read error.
        #[source]
        source: std::io::Error,
    },
}

/// Every failure of one read or upload, in the order they happened. Displayed as the first
/// five and a count of the rest.
#[derive(Debug, Default)]
pub struct Failures(Vec<SourceFailure>);

impl SourceFailure {
    /// The URL of the node this failure is held against, if it is held against one.
    pub fn url(&self) -> Option<&str> {
        match self {
            Self::Node(error) => Some(error.url()),
            Self::NotAskedAgain { url }
            | Self::InvalidRecoverySymbol { url, .. }
            | Self::MisaddressedRecoverySymbol { url, .. } => Some(url),
            Self::Unregistered
            | Self::TooFewRecoverySymbols { .. }
            | Self::Rebuild { .. }
            | Self::RebuildTask(_)
            | Self::SpillRead { .. } => None,
        }
    }
}

impl Failures {
    /// No failures yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `failure`.
    pub fn push(&mut self, failure: impl Into<SourceFailure>) {
        self.0.push(failure.into());
    }

    /// Appends every failure of `other`.
    pub fn extend(&mut self, other: Failures) {
        self.0.extend(other.0);
    }

    /// The failures, oldest first.
    pub fn iter(&self) -> std::slice::Iter<'_, SourceFailure> {
        self.0.iter()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<SourceFailure> for Failures {
    fn from(failure: SourceFailure) -> Self {
        Self(vec![failure])
    }
}

impl IntoIterator for Failures {
    type Item = SourceFailure;
    type IntoIter = std::vec::IntoIter<SourceFailure>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Failures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none reported (no node could be asked, or none answered in time)");
        }
        for (i, failure) in self.0.iter().take(QUOTED).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{failure}")?;
        }
        if self.0.len() > QUOTED {
            write!(f, "; and {} more", self.0.len() - QUOTED)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(i: u16) -> SourceFailure {
        SourceFailure::Node(NodeApiError::Status {
            url: format!("https://node-{i}"),
            status: 404,
            message: "gone".into(),
        })
    }

    #[test]
    fn the_first_five_are_quoted_and_the_rest_counted() {
        let mut failures = Failures::new();
        assert!(failures.to_string().starts_with("none reported"));
        for i in 0..7 {
            failures.push(status(i));
        }
        let text = failures.to_string();
        assert!(text.starts_with("https://node-0 answered 404: gone; https://node-1"), "{text}");
        assert!(text.contains("https://node-4") && !text.contains("https://node-5"), "{text}");
        assert!(text.ends_with("; and 2 more"), "{text}");
        assert_eq!(failures.len(), 7);
    }

    #[test]
    fn each_failure_keeps_the_node_error_it_came_from() {
        let failures = Failures::from(status(3));
        let Some(SourceFailure::Node(NodeApiError::Status { status, .. })) = failures.iter().next() else {
            panic!("the node's own error is kept")
        };
        assert_eq!(*status, 404);
        assert_eq!(failures.iter().next().unwrap().url(), Some("https://node-3"));
    }
}

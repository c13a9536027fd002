//! Why the node refused a request: one variant per reason, each naming the blob, shard, sliver or
//! limit involved. The HTTP layer maps each to a status code ([`NodeError::kind`]).

use floe_encoder::{
    BlobId, Epoch, ShardIndex, SliverIndex, SliverPairIndex, SliverType,
    error::{MetadataError, RecoveryError, SliverError},
    index::UnknownSliverType,
};

use crate::store::StoreError;

/// A sliver a node should hold for a blob but does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingSliver {
    /// The shard that should store it.
    pub shard: ShardIndex,
    /// The pair the shard stores.
    pub pair: SliverPairIndex,
    /// Primary or secondary.
    pub axis: SliverType,
}

impl std::fmt::Display for MissingSliver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} sliver of pair {} (shard {})", self.axis, self.pair, self.shard)
    }
}

fn list(missing: &[MissingSliver]) -> String {
    missing.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// The broad class of a refusal, which decides the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is malformed or its content is wrong (400).
    BadRequest,
    /// The request is not signed by the node key it names (401).
    Unauthorized,
    /// The chain does not allow it (403).
    Forbidden,
    /// The thing asked for is not here (404).
    NotFound,
    /// The node is not ready for it yet (409).
    Conflict,
    /// The node failed (500).
    Internal,
    /// The node cannot take it now, but may later (503).
    Unavailable,
    /// What was asked for is not what the request says it takes (406).
    NotAcceptable,
}

/// Why the node refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The chain has no live registration of the blob.
    #[error("blob {blob_id} is not registered on chain in epoch {epoch}: {reason}")]
    NotRegistered {
        /// The blob.
        blob_id: BlobId,
        /// The current epoch.
        epoch: Epoch,
        /// Never registered, expired, deleted, or not with this persistence.
        reason: &'static str,
    },
    /// The blob id was proven inconsistently encoded.
    #[error("blob {0} was invalidated on chain (inconsistently encoded)")]
    Invalid(BlobId),
    /// A pair index beyond the shard count.
    #[error("sliver pair {pair} is out of range for {n_shards} shards")]
    PairOutOfRange {
        /// The pair.
        pair: SliverPairIndex,
        /// The shard count.
        n_shards: u16,
    },
    /// The pair is stored on a shard this node does not hold.
    #[error(
        "sliver pair {pair} of blob {blob_id} belongs to shard {shard}, which this node does not hold in epoch {epoch}"
    )]
    ForeignShard {
        /// The blob.
        blob_id: BlobId,
        /// The pair.
        pair: SliverPairIndex,
        /// The shard the pair maps to.
        shard: ShardIndex,
        /// The current epoch.
        epoch: Epoch,
    },
    /// The metadata body is not BCS metadata.
    #[error("malformed metadata body: {0}")]
    MalformedMetadata(MetadataError),
    /// The metadata does not belong to the blob id (or the committee size).
    #[error("metadata refused for blob {blob_id}: {source}")]
    WrongMetadata {
        /// The blob.
        blob_id: BlobId,
        /// What was wrong.
        source: MetadataError,
    },
    /// Slivers can be checked only against stored metadata.
    #[error("metadata of blob {0} is not stored here yet: PUT the metadata before its slivers")]
    MetadataFirst(BlobId),
    /// The sliver body is not a BCS sliver.
    #[error("malformed {axis} sliver body: {source}")]
    MalformedSliver {
        /// The axis from the URL.
        axis: SliverType,
        /// What was wrong.
        source: SliverError,
    },
    /// The body of a sliver batch is not a BCS [`floe_node_api::SliverBatch`].
    #[error("the body is not a BCS sliver batch: {0}")]
    MalformedBatch(#[source] bcs::Error),
    /// A sliver batch holds more slivers than one batch may.
    #[error("{count} slivers in one batch; at most {max}")]
    BatchTooLarge {
        /// Slivers sent.
        count: usize,
        /// The bound.
        max: usize,
    },
    /// The sliver's own index is not the one of the pair in the URL.
    #[error("{axis} sliver has index {actual}, but pair {pair} holds {axis} sliver {expected}")]
    WrongSliverIndex {
        /// The axis.
        axis: SliverType,
        /// The pair in the URL.
        pair: SliverPairIndex,
        /// The index the pair holds.
        expected: SliverIndex,
        /// The index in the body.
        actual: SliverIndex,
    },
    /// The sliver does not match the metadata.
    #[error("{axis} sliver of pair {pair} of blob {blob_id} does not match the metadata: {source}")]
    WrongSliver {
        /// The blob.
        blob_id: BlobId,
        /// The pair.
        pair: SliverPairIndex,
        /// The axis.
        axis: SliverType,
        /// What was wrong.
        source: SliverError,
    },
    /// Nothing stored under this name.
    #[error("{what} of blob {blob_id} is not stored on this node")]
    NotStored {
        /// What was asked for.
        what: String,
        /// The blob.
        blob_id: BlobId,
    },
    /// A sliver longer than the request's `max_sliver_bytes`: not read, not sent.
    #[error(
        "the {axis} sliver of pair {pair} of blob {blob_id} has {len} bytes of symbols, more than the {max} asked for"
    )]
    SliverLongerThanAsked {
        /// The blob.
        blob_id: BlobId,
        /// The sliver's pair.
        pair: SliverPairIndex,
        /// The sliver's axis.
        axis: SliverType,
        /// Its bytes of symbols.
        len: usize,
        /// The most the request takes.
        max: usize,
    },
    /// A confirmation was asked before every sliver of the node's shards was stored.
    #[error("blob {blob_id} is not fully stored here yet; missing {}: {}", missing.len(), list(missing))]
    MissingSlivers {
        /// The blob.
        blob_id: BlobId,
        /// What is missing.
        missing: Vec<MissingSliver>,
    },
    /// The node holds no shard in the current epoch, so it has nothing to confirm.
    #[error("this node holds no shards in epoch {0} and confirms nothing")]
    NoShards(Epoch),
    /// A query parameter is missing or wrong.
    #[error("bad query: {0}")]
    BadQuery(String),
    /// The `target_type` query parameter names no sliver type.
    #[error("bad query: target_type: {0}")]
    BadSliverType(#[source] UnknownSliverType),
    /// The inconsistency proof body is not BCS.
    #[error("malformed inconsistency proof: {0}")]
    MalformedProof(#[source] bcs::Error),
    /// The proof is about the other axis than the URL says.
    #[error("the inconsistency proof targets a {actual} sliver, the URL says {expected}")]
    ProofAxisMismatch {
        /// The axis in the URL.
        expected: SliverType,
        /// The axis in the proof.
        actual: SliverType,
    },
    /// The proof does not show an inconsistency.
    #[error("inconsistency proof for blob {blob_id} refused: {source}")]
    ProofRejected {
        /// The blob.
        blob_id: BlobId,
        /// Why.
        source: RecoveryError,
    },
    /// A node-to-node request whose signature does not verify with the node key it names: the
    /// caller is not who it claims to be.
    #[error("{what} is not signed by the node key it names: {source}")]
    Unauthenticated {
        /// The request.
        what: &'static str,
        /// Why the signature does not verify.
        #[source]
        source: floe_encoder::messages::MessageError,
    },
    /// A peer asked for a shard that the current committee does not assign to it.
    #[error("shard {shard} is not assigned to the requester in epoch {epoch}")]
    NotShardOwner {
        /// The shard asked for.
        shard: ShardIndex,
        /// The current epoch.
        epoch: Epoch,
    },
    /// A peer asked about an epoch this node has not reached yet (its follower trails).
    #[error("epoch {asked} has not started here yet (this node is at epoch {current}); try again shortly")]
    EpochAhead {
        /// The epoch asked about.
        asked: Epoch,
        /// The node's epoch.
        current: Epoch,
    },
    /// Data uploaded before its registration was not held ([`crate::pending`]).
    #[error(transparent)]
    Pending(#[from] crate::pending::PendingError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The chain state kept with the store failed (boxed: the error stays small).
    #[error(transparent)]
    ChainState(Box<crate::chain_state::ChainStateError>),
    /// A blocking task panicked or was cancelled.
    #[error("internal task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl From<crate::chain_state::ChainStateError> for NodeError {
    fn from(error: crate::chain_state::ChainStateError) -> Self {
        Self::ChainState(Box::new(error))
    }
}

impl NodeError {
    /// Whether slivers were refused because their blob's metadata has not arrived (yet).
    pub fn wants_metadata(&self) -> bool {
        matches!(self, Self::MetadataFirst(_) | Self::Pending(crate::pending::PendingError::MetadataFirst(_)))
    }

    /// The class of the refusal.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NotRegistered { .. }
            | Self::Invalid(_)
            | Self::ForeignShard { .. }
            | Self::NoShards(_)
            | Self::NotShardOwner { .. } => ErrorKind::Forbidden,
            Self::Unauthenticated { .. } => ErrorKind::Unauthorized,
            Self::PairOutOfRange { .. }
            | Self::MalformedMetadata(_)
            | Self::WrongMetadata { .. }
            | Self::MalformedSliver { .. }
            | Self::MalformedBatch(_)
            | Self::BatchTooLarge { .. }
            | Self::WrongSliverIndex { .. }
            | Self::WrongSliver { .. }
            | Self::BadQuery(_)
            | Self::BadSliverType(_)
            | Self::MalformedProof(_)
            | Self::ProofAxisMismatch { .. }
            | Self::ProofRejected { .. } => ErrorKind::BadRequest,
            Self::NotStored { .. } => ErrorKind::NotFound,
            Self::SliverLongerThanAsked { .. } => ErrorKind::NotAcceptable,
            Self::MetadataFirst(_) | Self::MissingSlivers { .. } | Self::EpochAhead { .. } => ErrorKind::Conflict,
            Self::Pending(crate::pending::PendingError::MetadataFirst(_)) => ErrorKind::Conflict,
            Self::Pending(crate::pending::PendingError::Full { .. }) => ErrorKind::Unavailable,
            Self::Store(_) | Self::ChainState(_) | Self::Task(_) => ErrorKind::Internal,
        }
    }
}

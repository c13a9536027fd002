//! The node's view of the chain: [`ChainView`] answers the questions the node asks while serving
//! requests, from local state. A running node sees the chain through
//! [`crate::chain_state::ChainState`], which [`crate::follower`] fills with the
//! [`crate::chain_state::ChainChange`]s it reads from `BlobRegistered`, `BlobCertified`,
//! `BlobDeleted`, `InvalidBlobID` and epoch-change events, one checkpoint at a time; tests feed
//! the same changes by hand (`test_chain`, behind the `test-utils` feature).
//!
//! After applying a checkpoint, the follower brings the node's storage in line with it:
//! - a blob deleted or invalidated: [`crate::StorageNode::sync_blob`] (drops the data when
//!   nothing pays for the blob any more);
//! - a new committee: [`crate::StorageNode::collect_garbage`] (drops expired blobs);
//! - a blob certified: if [`crate::StorageNode::missing_slivers`] is not empty,
//!   [`crate::recovery::recover_from_committee`].
//!
//! ```
//! use floe_encoder::{ShardIndex, bls::BlsSecretKey};
//! use floe_node::chain_view::{Committee, CommitteeMember};
//!
//! let key = BlsSecretKey::from_seed(&[1; 32]);
//! let member = CommitteeMember {
//!     public_key: key.public_key(),
//!     shards: (0..4).map(ShardIndex).collect(),
//!     http_address: "http://127.0.0.1:9185".into(),
//!     network_key: None,
//! };
//! let committee = Committee::new(1, 4, vec![member]).unwrap();
//! assert_eq!(committee.epoch(), 1);
//! assert_eq!(committee.shards_of(&key.public_key()).len(), 4);
//! ```

use std::sync::Arc;

use floe_encoder::{
    BlobId, EncodingConfig, Epoch, ShardIndex,
    bls::BlsPublicKey,
    network_key::NetworkPublicKey,
    shard_assignment::{self, ShardAssignmentError},
};

use crate::blob_info::BlobInfo;

/// One storage node of a committee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeMember {
    /// The node's BLS key, which signs its confirmations.
    pub public_key: BlsPublicKey,
    /// The shards it holds; its weight is their number.
    pub shards: Vec<ShardIndex>,
    /// Base URL of its HTTP API, e.g. `https://10.0.0.1:9185`.
    pub http_address: String,
    /// The key its TLS certificate must carry (from the chain); an `https://` member is reached
    /// with it pinned.
    pub network_key: Option<NetworkPublicKey>,
}

impl CommitteeMember {
    /// The member's weight in quorums: its number of shards.
    pub fn weight(&self) -> usize {
        self.shards.len()
    }

    /// A client of the member's API (its network key pinned for https).
    pub fn client(&self, http: &reqwest::Client) -> floe_node_api::NodeClient {
        floe_node_api::NodeClient::for_node(http, &self.http_address, self.network_key.as_ref())
    }
}

/// The storage committee of one epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committee {
    epoch: Epoch,
    n_shards: u16,
    members: Vec<CommitteeMember>,
}

/// Why a committee description was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitteeError {
    /// Some shard is held by no member, by several, or is beyond the shard count.
    #[error(transparent)]
    Shards(#[from] ShardAssignmentError),
    /// The shard count is not one the encoding supports.
    #[error("unsupported shard count: {0}")]
    Encoding(#[from] floe_encoder::error::EncodeError),
}

impl Committee {
    /// A committee whose members hold every shard of `0..n_shards` exactly once.
    pub fn new(epoch: Epoch, n_shards: u16, members: Vec<CommitteeMember>) -> Result<Self, CommitteeError> {
        EncodingConfig::new(n_shards)?;
        shard_assignment::holders(n_shards, members.iter().map(|member| member.shards.as_slice()))?;
        Ok(Self { epoch, n_shards, members })
    }

    /// The epoch this committee serves.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The number of shards `n`.
    pub fn n_shards(&self) -> u16 {
        self.n_shards
    }

    /// The encoding parameters for `n` shards.
    pub fn encoding_config(&self) -> EncodingConfig {
        EncodingConfig::new(self.n_shards).expect("checked in Committee::new")
    }

    /// The members, in the chain's order (the order of certificate bitmaps).
    pub fn members(&self) -> &[CommitteeMember] {
        &self.members
    }

    /// The shards held by the member with `public_key` (none if it is not a member), sorted.
    pub fn shards_of(&self, public_key: &BlsPublicKey) -> Vec<ShardIndex> {
        let mut shards: Vec<ShardIndex> = self
            .members
            .iter()
            .filter(|member| member.public_key == *public_key)
            .flat_map(|member| member.shards.iter().copied())
            .collect();
        shards.sort();
        shards
    }

    /// The HTTP addresses of every member but the one with `own_key`: the peers to recover from.
    pub fn peer_addresses(&self, own_key: &BlsPublicKey) -> Vec<String> {
        self.peers(own_key).map(|member| member.http_address.clone()).collect()
    }

    /// Every member but the one with `own_key` that holds shards: the peers to recover from.
    pub fn peers(&self, own_key: &BlsPublicKey) -> impl Iterator<Item = &CommitteeMember> {
        self.members.iter().filter(move |member| member.public_key != *own_key && !member.shards.is_empty())
    }

    /// The member holding `shard`.
    pub fn holder_of(&self, shard: ShardIndex) -> Option<&CommitteeMember> {
        self.members.iter().find(|member| member.shards.contains(&shard))
    }
}

/// What the node asks the chain while serving. Implementations must answer from local state
/// (no I/O): every API request consults it.
pub trait ChainView: Send + Sync + 'static {
    /// The current epoch.
    fn current_epoch(&self) -> Epoch;

    /// The committee of the current epoch: members, their keys, shards and addresses.
    fn committee(&self) -> Arc<Committee>;

    /// The chain's state of `blob_id`, or `None` if it was never registered.
    fn blob_info(&self, blob_id: &BlobId) -> Option<BlobInfo>;

    /// The first checkpoint not yet reflected in this view, for views fed by a follower.
    fn next_checkpoint(&self) -> Option<u64> {
        None
    }

    /// Marks every change of this view: a request waiting for the chain to show something
    /// (a registration the client's transaction just made) waits on it instead of polling.
    fn changes(&self) -> tokio::sync::watch::Receiver<u64>;
}

impl std::fmt::Debug for dyn ChainView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainView(epoch {})", self.current_epoch())
    }
}

//! The client's view of the storage committee: who holds which shards, under which BLS key, at
//! which URL, in the on-chain member order that signer bitmaps refer to.
//!
//! ```
//! use floe_client::committee::{StorageCommittee, StorageMember};
//! use floe_encoder::{BlobId, ShardIndex, SliverPairIndex, bls::BlsSecretKey};
//!
//! let member = |i: u8, shards: std::ops::Range<u16>| StorageMember {
//!     node_id: [i; 32],
//!     name: format!("node-{i}"),
//!     public_key: BlsSecretKey::from_seed(&[i; 32]).public_key(),
//!     shards: shards.map(ShardIndex).collect(),
//!     url: format!("http://127.0.0.1:{}", 9000 + u16::from(i)),
//!     network_key: None,
//! };
//! let committee = StorageCommittee::new(3, 10, vec![member(0, 0..4), member(1, 4..7), member(2, 7..10)]).unwrap();
//! // Which node stores pair 0 of a blob depends on the blob id (the rotation spreads the load).
//! let holder = committee.holder_of_pair(&BlobId([0; 32]), SliverPairIndex(0));
//! assert_eq!(holder, 0);
//! assert!(committee.is_quorum(7) && !committee.is_quorum(6));
//! ```

use std::sync::Arc;

use floe_chain::floe::state::CommitteeInfo;
use floe_encoder::{
    BlobId, EncodingConfig, Epoch, ShardIndex, SliverPairIndex, bft,
    bls::BlsPublicKey,
    certificate::{self, CertificateError},
    error::EncodeError,
    mapping,
    network_key::NetworkPublicKey,
    shard_assignment::{self, ShardAssignmentError},
};
use floe_node_api::NodeClient;

/// A node id on chain: its staking pool's object id. The same node keeps it across epochs, so it
/// is what identifies a node in two committees.
pub type NodeId = [u8; 32];

/// One storage node of the committee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageMember {
    /// The node id on chain (its staking pool's object id).
    pub node_id: NodeId,
    /// The node's name, for messages.
    pub name: String,
    /// The key its storage confirmations are signed with.
    pub public_key: BlsPublicKey,
    /// The shards it holds this epoch.
    pub shards: Vec<ShardIndex>,
    /// The base URL of its HTTP API, e.g. `https://127.0.0.1:9185`.
    pub url: String,
    /// The key its TLS certificate must carry, from the chain; an `https://` member is reached
    /// with it pinned.
    pub network_key: Option<NetworkPublicKey>,
}

impl StorageMember {
    /// A client of the member's API: https with its network key pinned, or plain HTTP where its
    /// URL says `http://`.
    pub fn client(&self, http: &reqwest::Client) -> NodeClient {
        NodeClient::for_node(http, &self.url, self.network_key.as_ref())
    }
}

/// Why a committee description is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitteeError {
    /// The shard count is not one the encoding supports.
    #[error("a committee of {n_shards} shards cannot encode blobs: {source}")]
    BadShardCount {
        /// The shard count.
        n_shards: u16,
        /// The encoder's refusal.
        #[source]
        source: EncodeError,
    },
    /// Some shard is held by no member, by several, or is beyond the shard count.
    #[error(transparent)]
    Shards(#[from] ShardAssignmentError),
    /// The certificate committee could not be built.
    #[error(transparent)]
    Certificate(#[from] CertificateError),
}

/// The storage committee of one epoch.
#[derive(Debug, Clone)]
pub struct StorageCommittee {
    epoch: Epoch,
    config: EncodingConfig,
    members: Vec<StorageMember>,
    /// `holder[shard]` = index of the member holding it.
    holder: Vec<usize>,
    certificate_committee: certificate::Committee,
}

impl StorageCommittee {
    /// A committee of `n_shards` shards at `epoch`; `members` in on-chain (bitmap) order. Every
    /// shard must be held by exactly one member.
    pub fn new(epoch: Epoch, n_shards: u16, members: Vec<StorageMember>) -> Result<Self, CommitteeError> {
        let config =
            EncodingConfig::new(n_shards).map_err(|source| CommitteeError::BadShardCount { n_shards, source })?;
        let holder = shard_assignment::holders(n_shards, members.iter().map(|member| member.shards.as_slice()))?;
        let certificate_members = members
            .iter()
            .map(|member| certificate::CommitteeMember {
                public_key: member.public_key,
                weight: member.shards.len() as u16,
                node_id: member.node_id,
            })
            .collect();
        let certificate_committee = certificate::Committee::new(epoch, certificate_members)?;
        Ok(Self { epoch, config, members, holder, certificate_committee })
    }

    /// The committee the chain reports ([`floe_chain::floe::state::FloeReader::committee`]).
    pub fn from_chain(info: &CommitteeInfo) -> Result<Self, CommitteeError> {
        let members = info
            .members
            .iter()
            .map(|member| StorageMember {
                node_id: member.node_id.into_inner(),
                name: member.name.clone(),
                public_key: member.public_key,
                shards: member.shards.clone(),
                url: member.http_url(),
                network_key: Some(member.network_public_key),
            })
            .collect();
        Self::new(info.epoch, info.n_shards, members)
    }

    /// The epoch.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The encoding parameters for this committee's shard count.
    pub fn config(&self) -> &EncodingConfig {
        &self.config
    }

    /// The number of shards.
    pub fn n_shards(&self) -> u16 {
        self.config.n_shards()
    }

    /// The members in bitmap order.
    pub fn members(&self) -> &[StorageMember] {
        &self.members
    }

    /// The committee as certificates see it.
    pub fn certificate_committee(&self) -> &certificate::Committee {
        &self.certificate_committee
    }

    /// The index of the member with node id `node_id`, if it is a member.
    pub fn position_of(&self, node_id: &NodeId) -> Option<usize> {
        self.members.iter().position(|member| &member.node_id == node_id)
    }

    /// The index of the member holding `shard`.
    pub fn holder_of_shard(&self, shard: ShardIndex) -> usize {
        self.holder[shard.as_usize()]
    }

    /// The index of the member storing `pair` of `blob_id`.
    pub fn holder_of_pair(&self, blob_id: &BlobId, pair: SliverPairIndex) -> usize {
        self.holder_of_shard(mapping::shard_for_pair(pair, blob_id, self.n_shards()))
    }

    /// The pairs of `blob_id` that member `member` stores.
    pub fn pairs_of_member(&self, blob_id: &BlobId, member: usize) -> Vec<SliverPairIndex> {
        self.members[member]
            .shards
            .iter()
            .map(|shard| mapping::pair_for_shard(*shard, blob_id, self.n_shards()))
            .collect()
    }

    /// The shard weight of member `member`.
    pub fn weight(&self, member: usize) -> u64 {
        self.members[member].shards.len() as u64
    }

    /// Whether `weight` shards are a quorum (`3w >= 2n + 1`): enough to certify.
    pub fn is_quorum(&self, weight: u64) -> bool {
        bft::is_quorum(weight, self.n_shards())
    }

    /// Whether `weight` shards include at least one correct one (`3w >= n + 1`).
    pub fn is_one_correct(&self, weight: u64) -> bool {
        bft::is_one_correct(weight, self.n_shards())
    }
}

/// The committees a client reads from: the current one, and the previous one, whose members keep
/// the slivers of shards that moved until the new owners have them.
#[derive(Debug, Clone)]
pub struct Committees {
    /// The committee of the current epoch.
    pub current: Arc<StorageCommittee>,
    /// The committee of the epoch before, if there was one with the same shard count.
    pub previous: Option<Arc<StorageCommittee>>,
}

impl Committees {
    /// `current` with `previous`; a previous committee of another shard count or epoch than the
    /// one before `current` is dropped, as its slivers would not decode with the current ones.
    pub fn new(current: Arc<StorageCommittee>, previous: Option<Arc<StorageCommittee>>) -> Self {
        let previous = previous.filter(|previous| {
            previous.n_shards() == current.n_shards() && previous.epoch().checked_add(1) == Some(current.epoch())
        });
        Self { current, previous }
    }
}

#[cfg(test)]
mod tests {
    use floe_encoder::bls::BlsSecretKey;

    use super::*;

    fn member(i: u8, shards: &[u16]) -> StorageMember {
        StorageMember {
            node_id: [i; 32],
            name: format!("n{i}"),
            public_key: BlsSecretKey::from_seed(&[i; 32]).public_key(),
            shards: shards.iter().copied().map(ShardIndex).collect(),
            url: String::new(),
            network_key: None,
        }
    }

    #[test]
    fn every_pair_maps_to_the_member_whose_pairs_list_it() {
        let committee =
            StorageCommittee::new(1, 10, vec![member(0, &[0, 5, 9]), member(1, &[1, 2, 3, 4, 6, 7, 8])]).unwrap();
        let blob_id = BlobId([0x37; 32]);
        for member in 0..2 {
            for pair in committee.pairs_of_member(&blob_id, member) {
                assert_eq!(committee.holder_of_pair(&blob_id, pair), member);
            }
        }
        let total: usize = (0..2).map(|m| committee.pairs_of_member(&blob_id, m).len()).sum();
        assert_eq!(total, 10);
    }

    #[test]
    fn a_shard_held_twice_or_never_is_refused_with_its_index() {
        let not_held_once = |shard, holders| ShardAssignmentError::NotHeldOnce { shard: ShardIndex(shard), holders };
        let error = StorageCommittee::new(1, 4, vec![member(0, &[0, 1, 2]), member(1, &[2])]).unwrap_err();
        assert_eq!(error, CommitteeError::Shards(not_held_once(2, 2)));
        let error = StorageCommittee::new(1, 4, vec![member(0, &[0, 1, 2])]).unwrap_err();
        assert_eq!(error, CommitteeError::Shards(not_held_once(3, 0)));
        let error = StorageCommittee::new(1, 4, vec![member(0, &[0, 1, 2, 3, 4])]).unwrap_err();
        assert!(
            matches!(error, CommitteeError::Shards(ShardAssignmentError::OutOfRange { shard: ShardIndex(4), .. })),
            "{error}"
        );
    }

    #[test]
    fn a_previous_committee_must_be_of_the_epoch_before_and_the_same_shard_count() {
        let now = Arc::new(StorageCommittee::new(5, 4, vec![member(0, &[0, 1]), member(1, &[2, 3])]).unwrap());
        let before = Arc::new(StorageCommittee::new(4, 4, vec![member(0, &[0, 2]), member(1, &[1, 3])]).unwrap());
        let committees = Committees::new(now.clone(), Some(before));
        assert!(committees.previous.is_some());
        assert_eq!(committees.current.position_of(&[1; 32]), Some(1));
        assert_eq!(committees.current.position_of(&[9; 32]), None);

        let older = Arc::new(StorageCommittee::new(3, 4, vec![member(0, &[0, 2]), member(1, &[1, 3])]).unwrap());
        assert!(Committees::new(now.clone(), Some(older)).previous.is_none());
        let wider = Arc::new(StorageCommittee::new(4, 10, vec![member(0, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9])]).unwrap());
        assert!(Committees::new(now, Some(wider)).previous.is_none());
    }
}

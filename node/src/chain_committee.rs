//! The committee as the chain states it: a [`CommitteeSource`] reading floe's System and Staking
//! objects through floe-chain's [`FloeReader`] (BLS keys in signer-bitmap order, shards, and the
//! network address each node registered).
//!
//! ```
//! use floe_chain::floe::state::{CommitteeInfo, MemberInfo};
//! use floe_encoder::{ShardIndex, bls::BlsSecretKey};
//! use floe_node::chain_committee::committee_from;
//!
//! let info = CommitteeInfo {
//!     epoch: 3,
//!     n_shards: 4,
//!     members: vec![MemberInfo {
//!         node_id: sui_sdk_types::Address::ZERO,
//!         name: "node-0".into(),
//!         public_key: BlsSecretKey::from_seed(&[1; 32]).public_key(),
//!         shards: (0..4).map(ShardIndex).collect(),
//!         network_address: "http://127.0.0.1:9185".into(),
//!         network_public_key: floe_encoder::network_key::NetworkPublicKey([2; 32]),
//!     }],
//! };
//! let committee = committee_from(&info).unwrap();
//! assert_eq!(committee.epoch(), 3);
//! assert_eq!(committee.members()[0].http_address, "http://127.0.0.1:9185");
//! ```

use floe_chain::floe::state::{CommitteeInfo, FloeReader};
use futures::future::BoxFuture;

use crate::{
    chain_view::{Committee, CommitteeError, CommitteeMember},
    follower::{CommitteeSource, CommitteeSourceError},
};

/// The node's committee from the chain's description of it.
pub fn committee_from(info: &CommitteeInfo) -> Result<Committee, CommitteeError> {
    let members = info
        .members
        .iter()
        .map(|member| CommitteeMember {
            public_key: member.public_key,
            shards: member.shards.clone(),
            http_address: member.http_url(),
            network_key: Some(member.network_public_key),
        })
        .collect();
    Committee::new(info.epoch, info.n_shards, members)
}

/// Reads the committee from the chain.
#[derive(Debug, Clone)]
pub struct ChainCommittee {
    reader: FloeReader,
}

impl ChainCommittee {
    /// A source reading through `reader`.
    pub fn new(reader: FloeReader) -> Self {
        Self { reader }
    }
}

impl CommitteeSource for ChainCommittee {
    fn current(&self) -> BoxFuture<'_, Result<Committee, CommitteeSourceError>> {
        Box::pin(async move {
            let info = self.reader.committee().await?;
            Ok(committee_from(&info)?)
        })
    }
}

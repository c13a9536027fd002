//! A chain for tests: a [`ChainState`] in its own temporary database, fed by the test with the
//! same [`ChainChange`]s the follower reads from checkpoints, one checkpoint per
//! [`TestChain::apply`]. Several nodes may share one, as they share a chain.
//!
//! ```
//! use floe_encoder::{BlobId, ShardIndex, bls::BlsSecretKey};
//! use floe_node::{ChainView, chain_state::ChainChange, test_chain::TestChain};
//! use floe_node::chain_view::{Committee, CommitteeMember};
//! use sui_sdk_types::Address;
//!
//! let member = CommitteeMember {
//!     public_key: BlsSecretKey::from_seed(&[1; 32]).public_key(),
//!     shards: (0..4).map(ShardIndex).collect(),
//!     http_address: "http://127.0.0.1:9185".into(),
//!     network_key: None,
//! };
//! let chain = TestChain::new(Committee::new(1, 4, vec![member]).unwrap());
//! let blob_id = BlobId([5; 32]);
//! chain.apply([ChainChange::Registered { blob_id, object_id: Address::new([6; 32]), end_epoch: 3, deletable: false }]);
//! assert!(chain.blob_info(&blob_id).unwrap().is_registered(1));
//! assert_eq!(chain.next_checkpoint(), 1);
//! ```

use std::{ops::Deref, sync::Arc};

use floe_encoder::{Epoch, ShardIndex, bls::BlsSecretKey};
use tempfile::TempDir;

use crate::{
    Store,
    chain_state::{ChainChange, ChainState},
    chain_view::{Committee, CommitteeMember},
};

/// A [`ChainState`] a test drives by hand. Cheap to clone: clones share the state.
#[derive(Debug, Clone)]
pub struct TestChain {
    state: Arc<ChainState>,
    /// Holds the database's directory for as long as a clone lives.
    _dir: Arc<TempDir>,
}

impl TestChain {
    /// A chain at `committee`'s epoch with no blobs.
    ///
    /// # Panics
    /// If the temporary database cannot be created.
    pub fn new(committee: Committee) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory for the test chain");
        let store = Store::open(dir.path()).expect("the test chain's database opens");
        let state = ChainState::open(&store, committee).expect("the test chain's state opens");
        Self { state: Arc::new(state), _dir: Arc::new(dir) }
    }

    /// A chain whose committee, at `epoch`, gives the node of `key` the first `held` of
    /// `n_shards` shards and one other member the rest: one node's share of a larger committee,
    /// for benches that time a single node.
    ///
    /// # Panics
    /// If `held` is not below `n_shards`, or as [`TestChain::new`].
    pub fn holding_first(epoch: Epoch, n_shards: u16, held: u16, key: &BlsSecretKey) -> Self {
        let member = |public_key, shards: std::ops::Range<u16>, port: u16| CommitteeMember {
            public_key,
            shards: shards.map(ShardIndex).collect(),
            http_address: format!("http://127.0.0.1:{port}"),
            network_key: None,
        };
        let other = BlsSecretKey::from_seed(&[6; 32]).public_key();
        let members = vec![member(key.public_key(), 0..held, 1), member(other, held..n_shards, 2)];
        Self::new(Committee::new(epoch, n_shards, members).expect("a committee of two members"))
    }

    /// Applies `changes` as the next checkpoint, as the follower would.
    ///
    /// # Panics
    /// If the database write fails.
    pub fn apply(&self, changes: impl IntoIterator<Item = ChainChange>) {
        let changes: Vec<ChainChange> = changes.into_iter().collect();
        self.state.apply_checkpoint(self.state.next_checkpoint(), &changes, &[]).expect("a test checkpoint applies");
    }

    /// The state, to give a node as its chain view.
    pub fn state(&self) -> Arc<ChainState> {
        self.state.clone()
    }
}

impl Deref for TestChain {
    type Target = ChainState;

    fn deref(&self) -> &ChainState {
        &self.state
    }
}

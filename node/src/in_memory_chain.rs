//! A [`ChainView`] and [`ChainFeed`] kept in memory: what tests drive by hand and what the chain
//! follower can feed from checkpoints. Several nodes may share one instance, as they share a chain.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use floe_encoder::{BlobId, Epoch};
use tokio::sync::watch;

use crate::{
    blob_info::{BlobInfo, ObjectId},
    chain_view::{ChainFeed, ChainView, Committee},
};

/// The chain's state in memory.
#[derive(Debug)]
pub struct InMemoryChain {
    state: RwLock<State>,
    /// Counts the changes, for [`ChainView::changes`].
    changes: watch::Sender<u64>,
}

#[derive(Debug)]
struct State {
    committee: Arc<Committee>,
    blobs: HashMap<BlobId, BlobInfo>,
}

impl InMemoryChain {
    /// A chain at `committee`'s epoch with no blobs.
    pub fn new(committee: Committee) -> Self {
        Self {
            state: RwLock::new(State { committee: Arc::new(committee), blobs: HashMap::new() }),
            changes: watch::Sender::new(0),
        }
    }

    fn update(&self, blob_id: BlobId, change: impl FnOnce(&mut BlobInfo)) {
        {
            // A poisoned lock means a panic mid-update elsewhere; the map itself is still
            // consistent because every change is a single call on one entry.
            let mut state = self.state.write().unwrap_or_else(|poison| poison.into_inner());
            change(state.blobs.entry(blob_id).or_default());
        }
        self.changes.send_modify(|count| *count += 1);
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.read().unwrap_or_else(|poison| poison.into_inner()))
    }
}

impl ChainView for InMemoryChain {
    fn current_epoch(&self) -> Epoch {
        self.read(|state| state.committee.epoch())
    }

    fn committee(&self) -> Arc<Committee> {
        self.read(|state| state.committee.clone())
    }

    fn blob_info(&self, blob_id: &BlobId) -> Option<BlobInfo> {
        self.read(|state| state.blobs.get(blob_id).cloned())
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}

impl ChainFeed for InMemoryChain {
    fn blob_registered(&self, blob_id: BlobId, object_id: ObjectId, end_epoch: Epoch, deletable: bool) {
        self.update(blob_id, |info| {
            if !info.objects.contains_key(&object_id) {
                info.register(object_id, end_epoch, deletable);
            }
        });
    }

    fn blob_certified(&self, blob_id: BlobId, object_id: ObjectId, epoch: Epoch) {
        self.update(blob_id, |info| info.certify(object_id, epoch));
    }

    fn blob_extended(&self, blob_id: BlobId, object_id: ObjectId, end_epoch: Epoch) {
        self.update(blob_id, |info| info.extend(object_id, end_epoch));
    }

    fn blob_deleted(&self, blob_id: BlobId, object_id: ObjectId) {
        self.update(blob_id, |info| info.delete(object_id));
    }

    fn blob_invalidated(&self, blob_id: BlobId) {
        self.update(blob_id, BlobInfo::invalidate);
    }

    fn epoch_changed(&self, committee: Committee) {
        {
            let mut state = self.state.write().unwrap_or_else(|poison| poison.into_inner());
            if committee.epoch() >= state.committee.epoch() {
                state.committee = Arc::new(committee);
            }
        }
        self.changes.send_modify(|count| *count += 1);
    }
}

#[cfg(test)]
mod tests {
    use floe_encoder::{ShardIndex, bls::BlsSecretKey};

    use super::*;
    use crate::chain_view::CommitteeMember;

    fn committee(epoch: Epoch) -> Committee {
        let member = CommitteeMember {
            public_key: BlsSecretKey::from_seed(&[1; 32]).public_key(),
            shards: (0..4).map(ShardIndex).collect(),
            http_address: "http://127.0.0.1:1".into(),
            network_key: None,
        };
        Committee::new(epoch, 4, vec![member]).unwrap()
    }

    #[test]
    fn replayed_events_change_nothing_and_epochs_never_go_back() {
        let chain = InMemoryChain::new(committee(2));
        let (blob, object) = (BlobId([7; 32]), ObjectId([8; 32]));
        chain.blob_registered(blob, object, 5, false);
        chain.blob_certified(blob, object, 2);
        let before = chain.blob_info(&blob).unwrap();
        // A follower restarted from an older checkpoint replays both events.
        chain.blob_registered(blob, object, 5, false);
        chain.blob_certified(blob, object, 3);
        assert_eq!(chain.blob_info(&blob).unwrap(), before);
        assert!(before.is_certified(2));
        chain.blob_extended(blob, object, 9);
        assert_eq!(chain.blob_info(&blob).unwrap().end_epoch(2), Some(9));
        chain.epoch_changed(committee(1));
        assert_eq!(chain.current_epoch(), 2);
        chain.epoch_changed(committee(3));
        assert_eq!(chain.current_epoch(), 3);
    }
}

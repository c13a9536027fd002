//! The slivers this process checked and stored itself, which a storage confirmation vouches for
//! without reading them back.
//!
//! Every sliver is checked against its blob's metadata before it is stored (upload, recovery,
//! shard sync). A confirmation used to read the node's whole share of the blob back, check each
//! sliver's digest and decode it: about as much work as the upload's own check, and for a blob of
//! GiBs, with every node of a local network on two cores, longer than a client's one-minute
//! request timeout. Instead the store records here each sliver it inserts (the one its caller
//! checked) and drops it from the record whenever it removes it or a read finds it damaged; a
//! confirmation then costs one look-up per sliver, and reads back and checks only the slivers
//! not recorded: those stored before the process started (a disk damaged while the node was
//! stopped is never confirmed) and those an upload found already stored (nothing was written,
//! so the bytes on disk are not the ones just checked).
//!
//! The trade-off: damage to a recorded sliver on disk after its write, while the node runs, is
//! not seen by a confirmation. The background scrub ([`crate::scrub`]) checks every stored
//! sliver against its metadata and finds it, as would any read of it; finding it drops it from
//! the record and sets it aside for repair.
//!
//! Bounded by [`MAX_VOUCHED_SLIVERS`]: beyond it the blobs written least recently are forgotten
//! first. A forgotten sliver is read back and checked at its next confirmation, as every sliver
//! was before; the record can only spare work, never let the node confirm what it would not
//! have confirmed by reading.

use std::collections::{BTreeMap, HashMap, HashSet};

use floe_encoder::{BlobId, ShardIndex, SliverType};

/// How many slivers are recorded at most: 2^18, a few MiB. A blob has at most two slivers per
/// shard and fewer than 2^16 shards, so the newest blob always fits whole. The record has to
/// cover an upload from its first write to its confirmation, which follows at once: at 1000
/// shards a node holding every shard records 2000 slivers per blob, so it covers the last 131
/// blobs it took; a node of a ten-node committee (100 shards), the last 1310.
pub const MAX_VOUCHED_SLIVERS: usize = 1 << 18;

/// The slivers recorded, by blob (see the module docs). The store keeps it behind a lock taken
/// around every write transaction that changes a sliver table, so the record changes in the
/// same order as the tables.
#[derive(Debug, Default)]
pub(crate) struct VouchedSlivers {
    blobs: HashMap<BlobId, Blob>,
    /// The blobs by the number of their latest write, least recent first.
    by_age: BTreeMap<u64, BlobId>,
    writes: u64,
    len: usize,
}

#[derive(Debug)]
struct Blob {
    latest_write: u64,
    slivers: HashSet<(ShardIndex, SliverType)>,
}

impl VouchedSlivers {
    /// Records slivers of `blob_id` this process checked and stored.
    pub(crate) fn record(&mut self, blob_id: BlobId, slivers: impl IntoIterator<Item = (ShardIndex, SliverType)>) {
        let write = self.writes;
        self.writes += 1;
        let blob = self.blobs.entry(blob_id).or_insert_with(|| Blob { latest_write: write, slivers: HashSet::new() });
        self.by_age.remove(&blob.latest_write);
        blob.latest_write = write;
        self.by_age.insert(write, blob_id);
        for sliver in slivers {
            if blob.slivers.insert(sliver) {
                self.len += 1;
            }
        }
        while self.len > MAX_VOUCHED_SLIVERS {
            let Some((_, oldest)) = self.by_age.pop_first() else { break };
            if let Some(evicted) = self.blobs.remove(&oldest) {
                self.len -= evicted.slivers.len();
            }
        }
    }

    /// Whether the sliver of `axis` that `shard` stores for `blob_id` is recorded.
    pub(crate) fn contains(&self, blob_id: &BlobId, shard: ShardIndex, axis: SliverType) -> bool {
        self.blobs.get(blob_id).is_some_and(|blob| blob.slivers.contains(&(shard, axis)))
    }

    /// Drops one sliver (removed, or found damaged).
    pub(crate) fn forget(&mut self, blob_id: &BlobId, shard: ShardIndex, axis: SliverType) {
        if let Some(blob) = self.blobs.get_mut(blob_id)
            && blob.slivers.remove(&(shard, axis))
        {
            self.len -= 1;
        }
    }

    /// Drops every sliver of `blob_id` (its data deleted).
    pub(crate) fn forget_blob(&mut self, blob_id: &BlobId) {
        if let Some(blob) = self.blobs.remove(blob_id) {
            self.by_age.remove(&blob.latest_write);
            self.len -= blob.slivers.len();
        }
    }

    /// Drops every sliver of `shard` (its tables deleted).
    pub(crate) fn forget_shard(&mut self, shard: ShardIndex) {
        for blob in self.blobs.values_mut() {
            let before = blob.slivers.len();
            blob.slivers.retain(|(held, _)| *held != shard);
            self.len -= before - blob.slivers.len();
        }
    }

    /// How many slivers are recorded.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use floe_encoder::{
        EncodingConfig, SliverPairIndex, bls::BlsSecretKey, encode, mapping, messages::BlobPersistence,
    };
    use redb::{ReadableTable, TableDefinition};
    use sui_sdk_types::Address;

    use super::*;
    use crate::{
        NodeError, StorageNode, Store,
        chain_state::ChainChange,
        chain_view::{Committee, CommitteeMember},
        scrub::{ScrubStep, scrub_next},
        store::{ScrubPosition, shard_table_name},
        test_chain::TestChain,
    };

    fn blob(i: u32) -> BlobId {
        let mut id = [0; 32];
        id[..4].copy_from_slice(&i.to_le_bytes());
        BlobId(id)
    }

    /// Both slivers of each of the shards `0..shards`.
    fn slivers(shards: u16) -> impl Iterator<Item = (ShardIndex, SliverType)> {
        (0..shards).flat_map(|shard| [SliverType::Primary, SliverType::Secondary].map(|axis| (ShardIndex(shard), axis)))
    }

    #[test]
    fn the_record_stays_within_its_bound_forgetting_the_least_recently_written_blob_first() {
        let mut vouched = VouchedSlivers::default();
        // A node holding all of 1000 shards: 2000 slivers a blob.
        let fit = (MAX_VOUCHED_SLIVERS / 2000) as u32;
        for i in 0..fit {
            vouched.record(blob(i), slivers(1000));
        }
        assert_eq!(vouched.len(), fit as usize * 2000);
        // A late sliver of blob 0's upload makes it the most recently written.
        vouched.record(blob(0), [(ShardIndex(0), SliverType::Primary)]);
        vouched.record(blob(fit), slivers(1000));
        assert!(vouched.len() <= MAX_VOUCHED_SLIVERS);
        assert!(vouched.contains(&blob(0), ShardIndex(999), SliverType::Secondary), "written lately: kept");
        assert!(!vouched.contains(&blob(1), ShardIndex(0), SliverType::Primary), "the least recent: forgotten");
        assert!(vouched.contains(&blob(2), ShardIndex(0), SliverType::Primary));
        assert!(vouched.contains(&blob(fit), ShardIndex(999), SliverType::Secondary));
        for i in fit + 1..fit * 3 {
            vouched.record(blob(i), slivers(1000));
            assert!(vouched.len() <= MAX_VOUCHED_SLIVERS);
        }
        assert!(vouched.contains(&blob(fit * 3 - 1), ShardIndex(0), SliverType::Primary));
    }

    #[test]
    fn a_blob_with_the_most_shards_there_can_be_is_recorded_whole() {
        let mut vouched = VouchedSlivers::default();
        vouched.record(blob(0), slivers(100));
        vouched.record(blob(1), slivers(u16::MAX));
        vouched.record(blob(2), slivers(u16::MAX));
        assert!(vouched.len() <= MAX_VOUCHED_SLIVERS);
        assert!(!vouched.contains(&blob(0), ShardIndex(0), SliverType::Primary), "the oldest made room");
        for id in [blob(1), blob(2)] {
            assert!(vouched.contains(&id, ShardIndex(0), SliverType::Primary));
            assert!(vouched.contains(&id, ShardIndex(u16::MAX - 1), SliverType::Secondary));
        }
    }

    #[test]
    fn forgetting_a_sliver_a_blob_or_a_shard_leaves_the_rest() {
        let mut vouched = VouchedSlivers::default();
        vouched.record(blob(0), slivers(4));
        vouched.record(blob(1), slivers(4));
        vouched.forget(&blob(0), ShardIndex(1), SliverType::Secondary);
        assert!(!vouched.contains(&blob(0), ShardIndex(1), SliverType::Secondary));
        assert!(vouched.contains(&blob(0), ShardIndex(1), SliverType::Primary));
        vouched.forget_shard(ShardIndex(2));
        assert!(!vouched.contains(&blob(1), ShardIndex(2), SliverType::Primary));
        assert!(!vouched.contains(&blob(0), ShardIndex(2), SliverType::Secondary));
        assert!(vouched.contains(&blob(1), ShardIndex(3), SliverType::Primary));
        vouched.forget_blob(&blob(1));
        assert!(!vouched.contains(&blob(1), ShardIndex(0), SliverType::Primary));
        assert_eq!(vouched.len(), 8 - 1 - 2);
        // Forgetting what is not recorded changes nothing.
        vouched.forget(&blob(7), ShardIndex(0), SliverType::Primary);
        vouched.forget_blob(&blob(7));
        assert_eq!(vouched.len(), 5);
    }

    #[test]
    fn every_removal_of_a_stored_sliver_drops_it_from_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let encoded = encode(&EncodingConfig::new(4).unwrap(), b"removed in every way there is").unwrap();
        let blob_id = *encoded.metadata.blob_id();
        let all: Vec<(ShardIndex, SliverType)> = slivers(4).collect();
        for (pair, (shard, _)) in encoded.pairs.iter().zip(all.iter().step_by(2)) {
            store.put_sliver(*shard, &blob_id, &pair.primary).unwrap();
            store.put_sliver(*shard, &blob_id, &pair.secondary).unwrap();
        }
        assert!(store.not_vouched_for(&blob_id, all.clone()).is_empty());

        store.remove_damaged_sliver(ShardIndex(0), SliverType::Primary, &blob_id, |_| true).unwrap();
        store.drop_shard(ShardIndex(1)).unwrap();
        let to_check = store.not_vouched_for(&blob_id, all.clone());
        assert_eq!(
            to_check,
            [
                (ShardIndex(0), SliverType::Primary),
                (ShardIndex(1), SliverType::Primary),
                (ShardIndex(1), SliverType::Secondary)
            ]
        );
        store.delete_blob_data(&blob_id).unwrap();
        assert_eq!(store.not_vouched_for(&blob_id, all.clone()), all);
    }

    /// Flips a bit of a stored sliver record behind the store's back, as a failing disk would.
    fn damage_in_place(store: &Store, shard: ShardIndex, axis: SliverType, blob_id: &BlobId) {
        let db = store.database();
        let txn = db.begin_write().unwrap();
        {
            let name = shard_table_name(shard, axis);
            let mut table = txn.open_table(TableDefinition::<&[u8], &[u8]>::new(&name)).unwrap();
            let mut record = table.get(blob_id.0.as_slice()).unwrap().expect("the sliver is stored").value().to_vec();
            let last = record.len() - 1;
            record[last] ^= 1;
            table.insert(blob_id.0.as_slice(), record.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }

    fn missing_count(result: Result<impl std::fmt::Debug, NodeError>) -> usize {
        match result {
            Err(NodeError::MissingSlivers { missing, .. }) => missing.len(),
            other => panic!("expected missing slivers, got {other:?}"),
        }
    }

    #[test]
    fn damage_after_the_write_is_left_to_the_scrub_and_a_restarted_node_reads_every_sliver_back() {
        let key = BlsSecretKey::from_seed(&[3; 32]);
        let member = CommitteeMember {
            public_key: key.public_key(),
            shards: (0..4).map(ShardIndex).collect(),
            http_address: "http://127.0.0.1:1".into(),
            network_key: None,
        };
        let chain = TestChain::new(Committee::new(1, 4, vec![member]).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let node = StorageNode::new(chain.state(), Store::open(dir.path()).unwrap(), key.clone());
        let config = EncodingConfig::new(4).unwrap();
        let bytes: Vec<u8> = (0..30_000u32).map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()[1]).collect();
        let encoded = encode(&config, &bytes).unwrap();
        let blob_id = *encoded.metadata.blob_id();
        let object_id = Address::new([9; 32]);
        chain.apply([ChainChange::Registered { blob_id, object_id, end_epoch: 5, deletable: false }]);
        node.store_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).unwrap();
        for pair in &encoded.pairs {
            for sliver in [&pair.primary, &pair.secondary] {
                node.store_sliver(&blob_id, pair.index(), sliver.axis(), &sliver.to_bcs()).unwrap();
            }
        }
        let shard_of = |pair: u16| mapping::shard_for_pair(SliverPairIndex(pair), &blob_id, 4);

        // Changed on disk after this process checked and wrote it: the confirmation, which does
        // not read it back, signs; the scrub is what finds the damage.
        damage_in_place(node.store(), shard_of(0), SliverType::Primary, &blob_id);
        node.confirmation(&blob_id, BlobPersistence::Permanent).expect("vouched for without a read");
        assert_eq!(node.health().integrity.corrupt_found, 0, "nothing read it");
        let (mut cursor, mut damaged) = (None, Vec::new());
        while let ScrubStep::Checked { position, damaged: found, .. } = scrub_next(&node, cursor.as_ref()).unwrap() {
            damaged.extend(found.into_iter().map(|(at, _)| at));
            cursor = Some(position);
        }
        assert_eq!(damaged, [ScrubPosition { shard: shard_of(0), axis: SliverType::Primary, blob_id }]);
        assert_eq!(missing_count(node.confirmation(&blob_id, BlobPersistence::Permanent)), 1, "set aside");
        let good = encoded.pairs[0].primary.to_bcs();
        node.store_sliver(&blob_id, SliverPairIndex(0), SliverType::Primary, &good).unwrap();
        node.confirmation(&blob_id, BlobPersistence::Permanent).expect("stored again");

        // Changed while no process vouched for it: a restarted node reads it back and refuses.
        damage_in_place(node.store(), shard_of(1), SliverType::Secondary, &blob_id);
        drop(node);
        let node = StorageNode::new(chain.state(), Store::open(dir.path()).unwrap(), key);
        assert_eq!(missing_count(node.confirmation(&blob_id, BlobPersistence::Permanent)), 1);
        assert_eq!(node.health().integrity.corrupt_found, 1, "the confirmation's read found it");
    }
}

//! What the chain says about one blob: the `Blob` objects registered for it (permanent or
//! deletable, each with its end epoch and certification) and whether it was invalidated.
//!
//! Walrus keeps one aggregate per blob id, since several `Blob` objects (owned by different
//! people) may register the same content. The node stores slivers per blob id, so it needs the
//! aggregate to decide whether anyone still pays for them.
//!
//! ```
//! use floe_node::blob_info::BlobInfo;
//! use sui_sdk_types::Address;
//!
//! let mut info = BlobInfo::default();
//! info.register(Address::new([1; 32]), 10, false);
//! assert!(info.is_registered(3));
//! assert!(!info.is_certified(3));
//! info.certify(Address::new([1; 32]), 3);
//! assert!(info.is_certified(3));
//! assert!(!info.is_registered(10)); // expired at its end epoch
//! ```

use std::collections::BTreeMap;

use floe_encoder::{Epoch, messages::BlobPersistence};
use floe_node_api::{BlobStatus, DeletableCounts};
use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

/// One `Blob` object registered for the blob id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobObject {
    /// Whether the owner may delete it before its end epoch.
    pub deletable: bool,
    /// The first epoch in which the blob is no longer stored.
    pub end_epoch: Epoch,
    /// The epoch its certificate was accepted in, if it was.
    pub certified_epoch: Option<Epoch>,
}

/// The chain's state of one blob id, aggregated over its `Blob` objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobInfo {
    /// Live (not deleted) objects by id; expired ones stay until garbage collection.
    pub objects: BTreeMap<Address, BlobObject>,
    /// Set once the blob id was proven inconsistently encoded; final.
    pub invalid: bool,
}

impl BlobInfo {
    /// A `Blob` object `object_id` was registered, ending at `end_epoch`.
    pub fn register(&mut self, object_id: Address, end_epoch: Epoch, deletable: bool) {
        self.objects.insert(object_id, BlobObject { deletable, end_epoch, certified_epoch: None });
    }

    /// The certificate of `object_id` was accepted in `epoch`. Unknown objects are ignored: a
    /// certification always follows its registration on chain.
    pub fn certify(&mut self, object_id: Address, epoch: Epoch) {
        if let Some(object) = self.objects.get_mut(&object_id) {
            object.certified_epoch.get_or_insert(epoch);
        }
    }

    /// The storage of `object_id` was extended to `end_epoch`.
    pub fn extend(&mut self, object_id: Address, end_epoch: Epoch) {
        if let Some(object) = self.objects.get_mut(&object_id) {
            object.end_epoch = object.end_epoch.max(end_epoch);
        }
    }

    /// The deletable object `object_id` was deleted by its owner.
    pub fn delete(&mut self, object_id: Address) {
        self.objects.remove(&object_id);
    }

    /// The blob id was proven inconsistently encoded.
    pub fn invalidate(&mut self) {
        self.invalid = true;
    }

    fn live(&self, epoch: Epoch) -> impl Iterator<Item = (&Address, &BlobObject)> {
        let valid = !self.invalid;
        self.objects.iter().filter(move |(_, object)| valid && object.end_epoch > epoch)
    }

    /// Some live object pays for the blob in `epoch`.
    pub fn is_registered(&self, epoch: Epoch) -> bool {
        self.live(epoch).next().is_some()
    }

    /// Some live object is certified.
    pub fn is_certified(&self, epoch: Epoch) -> bool {
        self.live(epoch).any(|(_, object)| object.certified_epoch.is_some())
    }

    /// The registration a confirmation of `persistence` refers to is live in `epoch`: any
    /// permanent object for a permanent confirmation, that very deletable object otherwise.
    pub fn is_registered_as(&self, persistence: &BlobPersistence, epoch: Epoch) -> bool {
        match persistence {
            BlobPersistence::Permanent => self.live(epoch).any(|(_, object)| !object.deletable),
            BlobPersistence::Deletable { object_id } => {
                self.live(epoch).any(|(id, object)| object.deletable && id.inner() == object_id)
            }
        }
    }

    /// The latest end epoch of the live objects.
    pub fn end_epoch(&self, epoch: Epoch) -> Option<Epoch> {
        self.live(epoch).map(|(_, object)| object.end_epoch).max()
    }

    /// Nothing pays for the blob any more (every object deleted or expired, or the id invalid):
    /// its data may be deleted.
    pub fn is_dead(&self, epoch: Epoch) -> bool {
        !self.is_registered(epoch)
    }

    /// The status served by `GET /v1/blobs/{id}/status`.
    pub fn status(&self, epoch: Epoch) -> BlobStatus {
        if self.invalid {
            return BlobStatus::Invalid;
        }
        let live: Vec<&BlobObject> = self.live(epoch).map(|(_, object)| object).collect();
        if live.is_empty() {
            return BlobStatus::Nonexistent;
        }
        let deletable_counts = DeletableCounts {
            count_deletable_total: live.iter().filter(|o| o.deletable).count() as u32,
            count_deletable_certified: live.iter().filter(|o| o.deletable && o.certified_epoch.is_some()).count()
                as u32,
        };
        let initial_certified_epoch = live.iter().filter_map(|o| o.certified_epoch).min();
        let permanent: Vec<&&BlobObject> = live.iter().filter(|o| !o.deletable).collect();
        match permanent.iter().map(|o| o.end_epoch).max() {
            Some(end_epoch) => BlobStatus::Permanent {
                end_epoch,
                is_certified: permanent.iter().any(|o| o.certified_epoch.is_some()),
                deletable_counts,
                initial_certified_epoch,
            },
            None => BlobStatus::Deletable { initial_certified_epoch, deletable_counts },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleting_the_last_object_or_invalidating_kills_the_blob() {
        let (a, b) = (Address::new([1; 32]), Address::new([2; 32]));
        let mut info = BlobInfo::default();
        info.register(a, 5, true);
        info.register(b, 7, true);
        assert!(info.is_registered_as(&BlobPersistence::Deletable { object_id: a.into_inner() }, 1));
        assert!(!info.is_registered_as(&BlobPersistence::Permanent, 1));
        info.delete(a);
        assert!(!info.is_registered_as(&BlobPersistence::Deletable { object_id: a.into_inner() }, 1));
        assert!(info.is_registered(1));
        assert_eq!(info.end_epoch(1), Some(7));
        info.invalidate();
        assert!(info.is_dead(1));
        assert_eq!(info.status(1), BlobStatus::Invalid);
    }

    #[test]
    fn status_reports_permanent_end_epoch_and_deletable_counts() {
        let mut info = BlobInfo::default();
        info.register(Address::new([1; 32]), 9, false);
        info.register(Address::new([2; 32]), 4, true);
        info.certify(Address::new([2; 32]), 2);
        let expected = BlobStatus::Permanent {
            end_epoch: 9,
            is_certified: false,
            deletable_counts: DeletableCounts { count_deletable_total: 1, count_deletable_certified: 1 },
            initial_certified_epoch: Some(2),
        };
        assert_eq!(info.status(3), expected);
        assert_eq!(info.status(9), BlobStatus::Nonexistent);
    }

    /// Blob infos are stored in the node's database as BCS; object ids must stay 32 bare bytes
    /// there, as they were before the node used `Address`, or a node's stored state stops
    /// decoding.
    #[test]
    fn stored_blob_info_keeps_its_bcs_layout() {
        let mut info = BlobInfo::default();
        info.register(Address::new([0xab; 32]), 9, false);
        info.certify(Address::new([0xab; 32]), 2);
        let mut expected = vec![1];
        expected.extend([0xab; 32]);
        expected.extend([0, 9, 0, 0, 0, 1, 2, 0, 0, 0, 0]);
        assert_eq!(bcs::to_bytes(&info).unwrap(), expected);
        assert_eq!(bcs::from_bytes::<BlobInfo>(&expected).unwrap(), info);
    }
}

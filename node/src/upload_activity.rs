//! Uploads under way at this node: when each blob last brought it data.
//!
//! A client certifies a blob as soon as nodes holding a quorum of shards have confirmed it; the
//! other nodes are usually still being uploaded to, and see the certification arrive meanwhile.
//! Every certification leaves each node a recovery duty, which rebuilds from the peers' recovery
//! symbols whatever slivers the node lacks at that moment. For a node still receiving its share,
//! that is the upload's work done a second time, and dearer: one recovery symbol with its Merkle
//! proof from each of hundreds of peers per sliver. At 100 nodes and 1000 shards it was about a
//! third of the whole network's CPU during back-to-back stores (`perf`, see docs/performance.md,
//! "Where a store's time goes"). So the recovery duty of a blob that brought this node data
//! lately, and that this node has not confirmed since, waits until the upload has been quiet for a
//! while ([`crate::duties::DutySettings::upload_quiet`]); what is still missing then is recovered.
//!
//! Only time is recorded, in memory: after a restart nothing is under way, and a recovery starts
//! at once, as before.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use floe_encoder::BlobId;

/// Entries kept before the old ones are dropped: far more than the uploads a node takes at once.
const TRACKED: usize = 4096;

/// Entries older than this are dropped when the map is full: no duty waits for an upload quiet
/// for longer.
const FORGET_AFTER: Duration = Duration::from_secs(120);

/// When each blob with an upload under way last brought data.
#[derive(Debug, Default)]
pub struct UploadActivity {
    last: Mutex<HashMap<BlobId, Instant>>,
}

impl UploadActivity {
    /// `blob_id`'s upload brought data (metadata or slivers, stored or held) just now.
    pub fn touch(&self, blob_id: &BlobId) {
        let now = Instant::now();
        let mut last = self.lock();
        if last.len() >= TRACKED && !last.contains_key(blob_id) {
            last.retain(|_, at| now.duration_since(*at) < FORGET_AFTER);
            if last.len() >= TRACKED {
                // Still full of recent uploads: forget the quietest.
                if let Some(quietest) = last.iter().min_by_key(|(_, at)| **at).map(|(id, _)| *id) {
                    last.remove(&quietest);
                }
            }
        }
        last.insert(*blob_id, now);
    }

    /// This node confirmed `blob_id`: its part of the upload is done.
    pub fn done(&self, blob_id: &BlobId) {
        self.lock().remove(blob_id);
    }

    /// How much longer until `blob_id`'s upload has brought nothing for `quiet`; `None` if it
    /// already has (or there was none).
    pub fn wait_for_quiet(&self, blob_id: &BlobId, quiet: Duration) -> Option<Duration> {
        let last = *self.lock().get(blob_id)?;
        quiet.checked_sub(last.elapsed()).filter(|left| !left.is_zero())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<BlobId, Instant>> {
        self.last.lock().unwrap_or_else(|poison| poison.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(byte: u8) -> BlobId {
        BlobId([byte; 32])
    }

    #[test]
    fn an_upload_is_under_way_until_quiet_or_confirmed() {
        let activity = UploadActivity::default();
        let quiet = Duration::from_secs(60);
        assert_eq!(activity.wait_for_quiet(&blob(1), quiet), None, "no upload at all");
        activity.touch(&blob(1));
        let left = activity.wait_for_quiet(&blob(1), quiet).expect("under way");
        assert!(left > Duration::from_secs(59) && left <= quiet, "{left:?}");
        assert_eq!(activity.wait_for_quiet(&blob(2), quiet), None, "another blob");
        assert_eq!(activity.wait_for_quiet(&blob(1), Duration::ZERO), None, "quiet for zero already");
        activity.done(&blob(1));
        assert_eq!(activity.wait_for_quiet(&blob(1), quiet), None, "confirmed");
    }

    #[test]
    fn it_stays_bounded() {
        let activity = UploadActivity::default();
        for index in 0..(TRACKED + 10) {
            let mut id = [0u8; 32];
            id[..8].copy_from_slice(&(index as u64).to_le_bytes());
            activity.touch(&BlobId(id));
        }
        assert_eq!(activity.lock().len(), TRACKED);
        // The newest is kept.
        let mut newest = [0u8; 32];
        newest[..8].copy_from_slice(&((TRACKED + 9) as u64).to_le_bytes());
        assert!(activity.wait_for_quiet(&BlobId(newest), Duration::from_secs(60)).is_some());
    }
}

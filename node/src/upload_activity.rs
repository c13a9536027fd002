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
//!
//! Requests that wait for the rest of an upload (a confirmation asked for while the last slivers
//! are still on their way, slivers that arrive before their metadata: `?upload_wait_millis=`)
//! subscribe to the blob's arrivals ([`UploadActivity::arrivals`]) and are woken each time data
//! of the blob has been stored or held.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use floe_encoder::BlobId;
use tokio::sync::watch;

/// Entries kept before the old ones are dropped: far more than the uploads a node takes at once.
const TRACKED: usize = 4096;

/// Entries older than this are dropped when the map is full: no duty waits for an upload quiet
/// for longer.
const FORGET_AFTER: Duration = Duration::from_secs(120);

/// When each blob with an upload under way last brought data, and who waits for its next data.
#[derive(Debug, Default)]
pub struct UploadActivity {
    uploads: Mutex<HashMap<BlobId, Upload>>,
}

#[derive(Debug)]
struct Upload {
    /// When the upload last brought data, or (if it has not yet) when a request began waiting
    /// for it: the entry's age when the map is full.
    at: Instant,
    /// Whether the upload has brought data (an entry made by a waiter alone has not).
    brought_data: bool,
    /// Bumped each time the upload brings data; its receivers are the waiting requests.
    arrived: watch::Sender<()>,
}

impl Upload {
    fn new(at: Instant) -> Self {
        Self { at, brought_data: false, arrived: watch::Sender::new(()) }
    }
}

impl UploadActivity {
    /// `blob_id`'s upload brought data (metadata or slivers, stored or held) just now: called
    /// once the data is in place, so a request woken by it finds it.
    pub fn touch(&self, blob_id: &BlobId) {
        let now = Instant::now();
        let mut uploads = self.lock();
        let upload = Self::entry(&mut uploads, blob_id, now);
        upload.at = now;
        upload.brought_data = true;
        upload.arrived.send_replace(());
    }

    /// A receiver woken each time `blob_id`'s upload brings data from now on. Subscribe before
    /// looking at what is stored, so data arriving between the look and the wait is not missed.
    /// The receiver's sender may go (the upload is confirmed, or forgotten among too many): its
    /// `changed` then fails at once, which a waiter takes as a cue to look again.
    pub fn arrivals(&self, blob_id: &BlobId) -> watch::Receiver<()> {
        Self::entry(&mut self.lock(), blob_id, Instant::now()).arrived.subscribe()
    }

    /// This node confirmed `blob_id`: its part of the upload is done.
    pub fn done(&self, blob_id: &BlobId) {
        self.lock().remove(blob_id);
    }

    /// How much longer until `blob_id`'s upload has brought nothing for `quiet`; `None` if it
    /// already has (or there was none).
    pub fn wait_for_quiet(&self, blob_id: &BlobId, quiet: Duration) -> Option<Duration> {
        let last = self.lock().get(blob_id).filter(|upload| upload.brought_data)?.at;
        quiet.checked_sub(last.elapsed()).filter(|left| !left.is_zero())
    }

    /// `blob_id`'s entry, made if there is none; the map stays within [`TRACKED`].
    fn entry<'a>(uploads: &'a mut HashMap<BlobId, Upload>, blob_id: &BlobId, now: Instant) -> &'a mut Upload {
        if uploads.len() >= TRACKED && !uploads.contains_key(blob_id) {
            uploads.retain(|_, upload| now.duration_since(upload.at) < FORGET_AFTER);
            if uploads.len() >= TRACKED {
                // Still full of recent uploads: forget the quietest.
                if let Some(quietest) = uploads.iter().min_by_key(|(_, upload)| upload.at).map(|(id, _)| *id) {
                    uploads.remove(&quietest);
                }
            }
        }
        uploads.entry(*blob_id).or_insert_with(|| Upload::new(now))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<BlobId, Upload>> {
        self.uploads.lock().unwrap_or_else(|poison| poison.into_inner())
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
    fn a_waiter_is_woken_by_its_blobs_data_only() {
        let activity = UploadActivity::default();
        let quiet = Duration::from_secs(60);
        let mut waiting = activity.arrivals(&blob(1));
        assert_eq!(activity.wait_for_quiet(&blob(1), quiet), None, "waiting is not an upload under way");
        activity.touch(&blob(2));
        assert!(!waiting.has_changed().unwrap(), "another blob's data");
        activity.touch(&blob(1));
        assert!(waiting.has_changed().unwrap(), "its blob's data");
        waiting.mark_unchanged();
        assert!(activity.wait_for_quiet(&blob(1), quiet).is_some());
        activity.done(&blob(1));
        assert!(waiting.has_changed().is_err(), "confirmed: the waiter looks again");
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
        let _waiter = activity.arrivals(&blob(1));
        assert_eq!(activity.lock().len(), TRACKED, "a waiter's entry counts in the bound too");
        // The newest is kept.
        let mut newest = [0u8; 32];
        newest[..8].copy_from_slice(&((TRACKED + 9) as u64).to_le_bytes());
        assert!(activity.wait_for_quiet(&BlobId(newest), Duration::from_secs(60)).is_some());
    }
}

//! What the node knows about the health of what it holds: damaged slivers found (by a read, a
//! confirmation, a peer's request or the scrub), set aside and handed to repair, and how many
//! came back. The numbers are reported in `GET /v1/health` as [`IntegrityStatus`].
//!
//! A damaged sliver is removed at once: from then on the node answers for it exactly as for a
//! sliver it never had (404 on GET, missing in a confirmation, absent from recovery symbols and
//! shard sync pages), and the repair hook (the runner's: a recovery duty) rebuilds it from peers.

use std::{
    collections::HashSet,
    sync::{
        Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
};

use floe_encoder::{BlobId, ShardIndex, SliverType};

/// Asks for the repair of a blob's missing slivers (by recovery from peers).
pub type RepairHook = Box<dyn Fn(BlobId) + Send + Sync>;

/// Counters of the node's self-checks, as `GET /v1/health` reports them (a wire type, defined
/// by floe-node-api).
pub use floe_node_api::IntegrityStatus;

/// The live counters and the repair hook, owned by the node.
#[derive(Default)]
pub struct Integrity {
    scrub_checked: AtomicU64,
    scrub_bytes: AtomicU64,
    scrub_passes: AtomicU64,
    scrub_bytes_per_sec: AtomicU64,
    corrupt_found: AtomicU64,
    repaired: AtomicU64,
    awaiting: Mutex<HashSet<(BlobId, ShardIndex, SliverType)>>,
    repair: OnceLock<RepairHook>,
}

impl std::fmt::Debug for Integrity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Integrity").field("status", &self.status()).finish_non_exhaustive()
    }
}

impl Integrity {
    /// Installs the hook that repairs damaged blobs; only the first call takes effect.
    pub fn set_repair_hook(&self, hook: RepairHook) {
        if self.repair.set(hook).is_err() {
            tracing::warn!("a repair hook was already installed; keeping the first");
        }
    }

    /// Counts damage found in `blob_id` and asks for its repair.
    pub(crate) fn found_damage(&self, blob_id: BlobId, sliver: Option<(ShardIndex, SliverType)>) {
        self.corrupt_found.fetch_add(1, Ordering::Relaxed);
        if let Some((shard, axis)) = sliver {
            self.awaiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert((blob_id, shard, axis));
        }
        match self.repair.get() {
            Some(repair) => repair(blob_id),
            None => tracing::warn!(%blob_id, "no repair hook: the damaged data stays missing until stored again"),
        }
    }

    /// Notes slivers stored (verified) again; those set aside as damaged count as repaired.
    pub(crate) fn stored(&self, blob_id: BlobId, slivers: impl IntoIterator<Item = (ShardIndex, SliverType)>) {
        let mut awaiting = self.awaiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if awaiting.is_empty() {
            return;
        }
        for (shard, axis) in slivers {
            if awaiting.remove(&(blob_id, shard, axis)) {
                self.repaired.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Goes over the slivers set aside and not stored again: `state` says of each whether it is
    /// stored again (`Some(true)`: counted as repaired), still missing (`Some(false)`: its repair
    /// is asked for again, in case the first request was lost to a recovery already under way),
    /// or no longer wanted here (`None`: forgotten).
    pub(crate) fn repair_again(&self, state: impl Fn(&BlobId, ShardIndex, SliverType) -> Option<bool>) {
        let mut again = std::collections::BTreeSet::new();
        {
            let mut awaiting = self.awaiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            awaiting.retain(|(blob_id, shard, axis)| match state(blob_id, *shard, *axis) {
                Some(true) => {
                    self.repaired.fetch_add(1, Ordering::Relaxed);
                    false
                }
                Some(false) => {
                    again.insert(*blob_id);
                    true
                }
                None => false,
            });
        }
        if let Some(repair) = self.repair.get() {
            again.into_iter().for_each(repair);
        }
    }

    /// Counts `slivers` of `bytes` in all checked by the scrub.
    pub(crate) fn scrubbed(&self, slivers: u64, bytes: u64) {
        self.scrub_checked.fetch_add(slivers, Ordering::Relaxed);
        self.scrub_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts a finished scrub pass.
    pub(crate) fn scrub_pass_done(&self) {
        self.scrub_passes.fetch_add(1, Ordering::Relaxed);
    }

    /// Records the scrub's rate (0: off).
    pub(crate) fn set_scrub_rate(&self, bytes_per_sec: u64) {
        self.scrub_bytes_per_sec.store(bytes_per_sec, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn status(&self) -> IntegrityStatus {
        let awaiting = self.awaiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len();
        IntegrityStatus {
            scrub_checked: self.scrub_checked.load(Ordering::Relaxed),
            scrub_bytes: self.scrub_bytes.load(Ordering::Relaxed),
            scrub_passes: self.scrub_passes.load(Ordering::Relaxed),
            scrub_bytes_per_sec: self.scrub_bytes_per_sec.load(Ordering::Relaxed),
            corrupt_found: self.corrupt_found.load(Ordering::Relaxed),
            repaired: self.repaired.load(Ordering::Relaxed),
            awaiting_repair: awaiting as u64,
        }
    }
}

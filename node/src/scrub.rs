//! The background scrub: walks every stored sliver, one after the other and forever, at a
//! bounded rate, and checks each as if it had just been received: its digest (the bytes did not
//! change on disk), its index (it is the sliver its shard holds for that blob), and its Merkle
//! root against the blob's verified metadata. A sliver that fails is set aside and repaired by
//! recovery (`StorageNode::set_aside_sliver`), exactly like one a read found damaged.
//!
//! Progress survives restarts: the position of the last sliver checked is saved in the store
//! every few seconds ([`CURSOR_SAVE_INTERVAL`]) and at shutdown, and a restarted node goes on
//! from there. Counters are in `GET /v1/health` (`integrity`).
//!
//! The walk goes blob by blob, and a step checks a blob's slivers together ([`STEP_BYTES`] of
//! them at most): the blob's metadata is verified once for all of them, and their Merkle roots
//! are computed in one batch (shared codec calls and hash lanes, as for an upload).
//!
//! Cost: each sliver is re-encoded and hashed to check its Merkle root, and a step costs a fixed
//! part besides (seeks in the store, a hop to the blocking pool, the metadata's look-up and
//! verification) whatever its size. So the scrub is paced two ways, whichever is slower
//! ([`pause_after`]): by the bytes it reads ([`ScrubSettings::bytes_per_sec`]), which bounds its
//! disk reads on large slivers, and by the time its steps take ([`ScrubSettings::busy_percent`]),
//! which bounds its share of the machine on small ones. A node holding many small blobs would
//! otherwise walk them flat out: ten nodes sharing two cores spent 15% of the machine scrubbing
//! 2000 blobs of 100 bytes.
//!
//! And it gives way to the node's clients: while the API serves requests for data (an upload, a
//! read, a sync page: [`crate::foreground`], within the last [`SERVING_WINDOW`]), each pause is
//! [`ScrubSettings::serving_slowdown`] times as long. It slows down rather than stops, so that a
//! node that always has requests still checks what it holds, more slowly. On `floe localnet`
//! (ten nodes on two cores) a pass over a few hundred MiB took up to half a core for ten
//! seconds, and a store or read that met it shared the machine with it.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use floe_encoder::{ShardIndex, SliverIndex, SliverType, error::SliverError, mapping, sliver::Sliver};
use tokio::sync::watch;

use crate::{
    error::NodeError,
    follower::stopped,
    node::StorageNode,
    store::ScrubPosition,
    stored_sliver::{self, Damage},
};

/// The scrub's default rate: 16 MiB/s.
pub const DEFAULT_SCRUB_BYTES_PER_SEC: u64 = 16 * 1024 * 1024;

/// The scrub's default share of the time: its steps take at most a tenth of it.
pub const DEFAULT_SCRUB_BUSY_PERCENT: u8 = 10;

/// The pause after a full pass (or after a failure to read the store) before the next.
pub const DEFAULT_PASS_PAUSE: Duration = Duration::from_secs(30);

/// How often the scrub's position is saved while it walks.
pub const CURSOR_SAVE_INTERVAL: Duration = Duration::from_secs(5);

/// Pauses shorter than this are accumulated rather than slept one by one.
const MIN_PAUSE: Duration = Duration::from_millis(10);

/// A node that served a request for data this recently is serving: the scrub slows down.
pub const SERVING_WINDOW: Duration = Duration::from_secs(2);

/// How much longer the scrub's pauses are while the node serves requests for data.
pub const DEFAULT_SERVING_SLOWDOWN: u32 = 10;

/// How the scrub paces itself.
#[derive(Debug, Clone)]
pub struct ScrubSettings {
    /// Bytes of slivers checked per second; 0 turns the scrub off.
    pub bytes_per_sec: u64,
    /// The share of the time, in percent (1 to 100), the scrub's steps may take: after a step
    /// that took `t` it pauses at least `t * (100 - busy_percent) / busy_percent`.
    pub busy_percent: u8,
    /// The pause between passes.
    pub pass_pause: Duration,
    /// How many times as long each pause after a step is while the node serves requests for
    /// data ([`SERVING_WINDOW`]); 1: the scrub keeps its pace whatever the node serves.
    pub serving_slowdown: u32,
}

impl Default for ScrubSettings {
    fn default() -> Self {
        Self {
            bytes_per_sec: DEFAULT_SCRUB_BYTES_PER_SEC,
            busy_percent: DEFAULT_SCRUB_BUSY_PERCENT,
            pass_pause: DEFAULT_PASS_PAUSE,
            serving_slowdown: DEFAULT_SERVING_SLOWDOWN,
        }
    }
}

/// The pause owed after a step that checked `bytes` and took `busy`: the longer of the byte
/// rate's and the time share's, [`ScrubSettings::serving_slowdown`] times that if the node is
/// `serving` requests for data.
pub fn pause_after(bytes: u64, busy: Duration, serving: bool, settings: &ScrubSettings) -> Duration {
    let by_bytes = Duration::from_secs_f64(bytes as f64 / settings.bytes_per_sec.max(1) as f64);
    let percent = u32::from(settings.busy_percent.clamp(1, 100));
    let by_time = busy * (100 - percent) / percent;
    let pause = by_bytes.max(by_time);
    if serving { pause * settings.serving_slowdown.max(1) } else { pause }
}

/// Bytes of records one step checks at most (a sliver larger than this alone): they are held in
/// memory together, and their hashes computed in one batch.
pub const STEP_BYTES: u64 = 4 << 20;

/// What one step of the scrub did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScrubStep {
    /// Slivers of one blob were checked.
    Checked {
        /// Where the last of them is: where the next step goes on from.
        position: ScrubPosition,
        /// How many were checked.
        slivers: u64,
        /// Their stored bytes.
        bytes: u64,
        /// Those set aside, and why.
        damaged: Vec<(ScrubPosition, ScrubDamage)>,
    },
    /// Nothing is stored after the position given: the pass is over.
    PassDone,
}

/// Why the scrub set a stored sliver aside.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScrubDamage {
    /// The record is not an intact sliver.
    #[error(transparent)]
    Record(#[from] Damage),
    /// The record is another sliver than its shard holds for the blob.
    #[error("holds {axis} sliver {found}, but shard {shard} holds sliver {expected}")]
    WrongIndex {
        /// The axis.
        axis: SliverType,
        /// The sliver stored.
        found: SliverIndex,
        /// The shard.
        shard: ShardIndex,
        /// The sliver the shard holds.
        expected: SliverIndex,
    },
    /// The sliver does not match its hash in the blob's metadata.
    #[error(transparent)]
    Unverified(#[from] SliverError),
}

/// Checks the stored slivers that follow `after` (from the start when `None`): the next blob's,
/// or the rest of `after`'s, [`STEP_BYTES`] of them at most; blocking.
///
/// A blob's slivers are checked together because most of a small sliver's check is shared: at
/// 1000 shards a node's slivers of a small blob are a few KiB each, and checking one alone cost
/// a verification of the blob's metadata (its 1000 pairs of hashes against the blob id, more
/// hashing than the sliver's own Merkle tree) and a codec call padded to 32 times its work.
pub fn scrub_next(node: &StorageNode, after: Option<&ScrubPosition>) -> Result<ScrubStep, NodeError> {
    let records = node.store().next_scrub_records(after, STEP_BYTES)?;
    let Some(&(position, _)) = records.last() else {
        node.integrity().scrub_pass_done();
        repair_again(node);
        return Ok(ScrubStep::PassDone);
    };
    let bytes = records.iter().map(|(_, record)| record.len() as u64).sum();
    node.integrity().scrubbed(records.len() as u64, bytes);
    let mut damaged = Vec::new();
    for ((at, record), verdict) in records.iter().zip(check(node, &records)?) {
        if let Err(reason) = verdict {
            // Removed only if the record is still the one checked: a copy stored meanwhile stays.
            node.set_aside_sliver(at.shard, at.axis, &at.blob_id, &reason, |stored| stored == record)?;
            damaged.push((*at, reason));
        }
    }
    Ok(ScrubStep::Checked { position, slivers: records.len() as u64, bytes, damaged })
}

/// For each of `records`, slivers of one blob stored where its position says, whether it is a
/// sliver the node can vouch for (`Err`: why not).
fn check(node: &StorageNode, records: &[(ScrubPosition, Vec<u8>)]) -> Result<Vec<Result<(), ScrubDamage>>, NodeError> {
    let (_, config) = node.committee();
    let mut verdicts = Vec::with_capacity(records.len());
    let mut intact = Vec::new();
    for (i, (ScrubPosition { shard, axis, blob_id }, record)) in records.iter().enumerate() {
        let sliver = match stored_sliver::open(*axis, record) {
            Ok(sliver) => sliver,
            Err(damage) => {
                verdicts.push(Err(damage.into()));
                continue;
            }
        };
        let expected =
            mapping::pair_for_shard(*shard, blob_id, config.n_shards()).sliver_index(*axis, config.n_shards());
        if sliver.index() == expected {
            intact.push((i, sliver));
            verdicts.push(Ok(()));
        } else {
            let (axis, shard, found) = (*axis, *shard, sliver.index());
            verdicts.push(Err(ScrubDamage::WrongIndex { axis, found, shard, expected }));
        }
    }
    let Some(&(first, _)) = intact.first() else { return Ok(verdicts) };
    match node.metadata(&records[first].0.blob_id) {
        Ok(metadata) => {
            let slivers: Vec<&Sliver> = intact.iter().map(|(_, sliver)| sliver).collect();
            for ((i, _), verified) in intact.iter().zip(metadata.verify_slivers(&config, &slivers)) {
                verdicts[*i] = verified.map_err(ScrubDamage::from);
            }
        }
        // Nothing to check against (metadata dropped, or set aside as damaged and being
        // recovered): the digests held, which is what can be said now.
        Err(NodeError::NotStored { .. }) => {}
        Err(error) => return Err(error),
    }
    Ok(verdicts)
}

/// Asks again for the repair of slivers set aside that are still missing from shards the node
/// holds, of blobs still certified.
fn repair_again(node: &StorageNode) {
    let owned = node.owned_shards();
    node.integrity().repair_again(|blob_id, shard, axis| {
        if !owned.contains(&shard) || !node.is_certified(blob_id) {
            return None;
        }
        node.store().has_sliver(shard, axis, blob_id).ok()
    });
}

async fn on_blocking_pool<T: Send + 'static>(
    node: &Arc<StorageNode>,
    work: impl FnOnce(&StorageNode) -> Result<T, NodeError> + Send + 'static,
) -> Result<T, NodeError> {
    let node = node.clone();
    tokio::task::spawn_blocking(move || work(&node)).await.map_err(NodeError::Task)?
}

async fn save_cursor(node: &Arc<StorageNode>, cursor: Option<ScrubPosition>) {
    let saved = on_blocking_pool(node, move |node| Ok(node.store().put_scrub_cursor(cursor.as_ref())?)).await;
    if let Err(error) = saved {
        tracing::warn!(%error, "cannot save the scrub's position; a restart repeats part of the pass");
    }
}

/// Scrubs until `shutdown` turns true, resuming from the position saved in the store.
pub async fn run(node: Arc<StorageNode>, settings: ScrubSettings, mut shutdown: watch::Receiver<bool>) {
    node.integrity().set_scrub_rate(settings.bytes_per_sec);
    if settings.bytes_per_sec == 0 {
        tracing::info!("scrub off (scrub_bytes_per_sec = 0): stored slivers are checked only when read");
        return;
    }
    let mut cursor = on_blocking_pool(&node, |node| Ok(node.store().scrub_cursor()?)).await.unwrap_or_else(|error| {
        tracing::warn!(%error, "cannot read the scrub's position; starting a pass from the beginning");
        None
    });
    tracing::info!(
        bytes_per_sec = settings.bytes_per_sec,
        busy_percent = settings.busy_percent,
        resume = cursor.is_some(),
        "scrub started"
    );
    let (mut saved_at, mut debt) = (Instant::now(), Duration::ZERO);
    loop {
        let after = cursor;
        let started = Instant::now();
        let step = on_blocking_pool(&node, move |node| scrub_next(node, after.as_ref())).await;
        match step {
            Ok(ScrubStep::Checked { position, bytes, .. }) => {
                cursor = Some(position);
                // Measured on the wall clock: on a machine busy with other work a step takes
                // longer, and the scrub gives way.
                let serving = node.foreground().serving_within(SERVING_WINDOW);
                debt += pause_after(bytes, started.elapsed(), serving, &settings);
            }
            Ok(ScrubStep::PassDone) => {
                cursor = None;
                tracing::debug!("scrub pass done");
                save_cursor(&node, None).await;
                saved_at = Instant::now();
                debt += settings.pass_pause;
            }
            Err(error) => {
                tracing::warn!(%error, "scrub step failed; retrying after a pause");
                debt += settings.pass_pause;
            }
        }
        if saved_at.elapsed() >= CURSOR_SAVE_INTERVAL {
            save_cursor(&node, cursor).await;
            saved_at = Instant::now();
        }
        if debt >= MIN_PAUSE {
            let pause = std::mem::take(&mut debt);
            tokio::select! {
                () = stopped(&mut shutdown) => break,
                () = tokio::time::sleep(pause) => {}
            }
        } else if *shutdown.borrow() {
            break;
        }
    }
    save_cursor(&node, cursor).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_mib_per_sec_a_tenth_of_the_time() -> ScrubSettings {
        ScrubSettings { bytes_per_sec: 1 << 20, busy_percent: 10, ..ScrubSettings::default() }
    }

    #[test]
    fn the_pause_after_a_step_is_the_longer_of_the_byte_rate_and_the_time_share() {
        let settings = one_mib_per_sec_a_tenth_of_the_time();
        // A large sliver: its bytes set the pace (1 MiB at 1 MiB/s), not its 5 ms of work.
        assert_eq!(pause_after(1 << 20, Duration::from_millis(5), false, &settings), Duration::from_secs(1));
        // A tiny sliver: its bytes are nothing, its 1 ms of work owes 9 ms at a tenth of the time.
        assert_eq!(pause_after(100, Duration::from_millis(1), false, &settings), Duration::from_millis(9));
        // All the time: only the bytes count.
        let flat_out = ScrubSettings { busy_percent: 100, ..settings.clone() };
        assert_eq!(
            pause_after(100, Duration::from_millis(1), false, &flat_out),
            Duration::from_secs_f64(100.0 / 1048576.0)
        );
        // Out of range is taken as the nearest bound rather than dividing by zero.
        let zero = ScrubSettings { busy_percent: 0, ..settings.clone() };
        assert_eq!(pause_after(0, Duration::from_millis(1), false, &zero), Duration::from_millis(99));
    }

    #[test]
    fn while_the_node_serves_every_pause_is_the_slowdown_times_as_long() {
        let settings = one_mib_per_sec_a_tenth_of_the_time();
        assert_eq!(pause_after(1 << 20, Duration::from_millis(5), true, &settings), Duration::from_secs(10));
        assert_eq!(pause_after(100, Duration::from_millis(1), true, &settings), Duration::from_millis(90));
        // 1 keeps the pace; 0 is taken as 1.
        for slowdown in [0, 1] {
            let steady = ScrubSettings { serving_slowdown: slowdown, ..settings.clone() };
            assert_eq!(pause_after(1 << 20, Duration::from_millis(5), true, &steady), Duration::from_secs(1));
        }
    }
}

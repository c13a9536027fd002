//! Progress of long operations, reported through a small trait so that a command-line tool can
//! draw progress bars without this library depending on a terminal crate.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use floe_client::progress::{Progress, ProgressEvent};
//!
//! #[derive(Default)]
//! struct CountSlivers(AtomicU64);
//! impl Progress for CountSlivers {
//!     fn event(&self, event: ProgressEvent) {
//!         if let ProgressEvent::SliverStored { .. } = event {
//!             self.0.fetch_add(1, Ordering::Relaxed);
//!         }
//!     }
//! }
//! ```

use std::{sync::Mutex, time::Duration};

use floe_encoder::BlobId;

/// A step of a store, in the order a store runs them; [`ProgressEvent::PhaseDone`] reports how
/// long each took, so a tool can show where the time of a store goes.
///
/// The upload runs every node's requests at once, so its steps are measured at quorum points:
/// [`StorePhase::Metadata`] ends when nodes holding a quorum of shards have stored the metadata,
/// [`StorePhase::Slivers`] when such nodes have stored all their slivers (each checked by its
/// node against the metadata), [`StorePhase::Confirmations`] when such nodes have signed. A
/// phase may be reported more than once (a store that meets an epoch change uploads again):
/// add them up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorePhase {
    /// Encoding the blob into slivers and metadata.
    Encode,
    /// Reading the chain before paying (system state, committee, the sender's `Blob` objects)
    /// and, for a permanent blob, asking the nodes whether it is certified already.
    Check,
    /// The registration transaction (reserve and register), executed and in a checkpoint. A new
    /// blob's upload runs alongside it: the three phases below start with it, not after it.
    Register,
    /// Until nodes holding a quorum of shards stored (or held, before the registration reached
    /// them) the metadata; a wait for the registration to reach them through their chain
    /// follower is included.
    Metadata,
    /// Then until nodes holding a quorum of shards stored (or held) every sliver of theirs.
    Slivers,
    /// Then until nodes holding a quorum of shards signed their confirmation.
    Confirmations,
    /// Then building the certificate: aggregating the confirmations.
    Certificate,
    /// The certify transaction, executed and in a checkpoint (the slower nodes keep uploading
    /// meanwhile).
    Certify,
    /// After the certify transaction, the rest of the slower nodes' grace period
    /// ([`Settings::quorum_grace`](crate::Settings::quorum_grace) from the quorum at most).
    Stragglers,
}

impl StorePhase {
    /// Every phase, in order.
    pub const ALL: [Self; 9] = [
        Self::Encode,
        Self::Check,
        Self::Register,
        Self::Metadata,
        Self::Slivers,
        Self::Confirmations,
        Self::Certificate,
        Self::Certify,
        Self::Stragglers,
    ];

    /// A short lowercase name, for tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Encode => "encode",
            Self::Check => "check",
            Self::Register => "register",
            Self::Metadata => "metadata",
            Self::Slivers => "slivers",
            Self::Confirmations => "confirmations",
            Self::Certificate => "certificate",
            Self::Certify => "certify",
            Self::Stragglers => "stragglers",
        }
    }
}

/// One step of a store or a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// The blob is encoded: `slivers` slivers are to be stored.
    Encoded {
        /// The blob id.
        blob_id: BlobId,
        /// Slivers to upload (two per shard).
        slivers: u64,
    },
    /// The blob is already certified for long enough; nothing is paid or uploaded.
    AlreadyCertified {
        /// The blob id.
        blob_id: BlobId,
    },
    /// The registration transaction executed.
    Registered {
        /// The `Blob` object id (`0x...`).
        object_id: String,
    },
    /// One sliver was stored on its node.
    SliverStored {
        /// Stored so far.
        done: u64,
        /// To store in all.
        total: u64,
    },
    /// A node confirmed storage; `weight` shards have confirmed so far.
    Confirmed {
        /// Shards confirmed so far.
        weight: u64,
        /// Shards needed for a certificate.
        needed: u64,
    },
    /// The certificate is on chain.
    Certified,
    /// A read got one more verified sliver.
    SliverFetched {
        /// Verified so far.
        done: u64,
        /// Needed to decode.
        needed: u64,
    },
    /// A read is decoding.
    Decoding,
    /// A step of a store ended after `took`.
    PhaseDone {
        /// The step.
        phase: StorePhase,
        /// How long it took.
        took: Duration,
    },
}

/// Receives progress events; called from several tasks at once.
pub trait Progress: Send + Sync {
    /// One event.
    fn event(&self, event: ProgressEvent);
}

/// Discards progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _event: ProgressEvent) {}
}

/// Adds up how long each [`StorePhase`] of one store took (a phase reported twice, as in a store
/// that meets an epoch change, is added up), for a log line or a table.
#[derive(Debug, Default)]
pub struct PhaseTimes(Mutex<[Option<Duration>; StorePhase::ALL.len()]>);

impl PhaseTimes {
    /// The time `phase` took; `None` if the store did not go through it.
    pub fn took(&self, phase: StorePhase) -> Option<Duration> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[phase as usize]
    }

    /// `encode=12ms check=3ms ...`: every phase the store went through, in order.
    pub fn summary(&self) -> String {
        StorePhase::ALL
            .iter()
            .filter_map(|phase| self.took(*phase).map(|took| format!("{}={}ms", phase.name(), took.as_millis())))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Progress for PhaseTimes {
    fn event(&self, event: ProgressEvent) {
        if let ProgressEvent::PhaseDone { phase, took } = event {
            let mut times = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let total = times[phase as usize].get_or_insert(Duration::ZERO);
            *total += took;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_times_add_up_a_phase_reported_twice_and_list_only_phases_gone_through() {
        let times = PhaseTimes::default();
        for (phase, ms) in [(StorePhase::Encode, 5), (StorePhase::Slivers, 7), (StorePhase::Slivers, 3)] {
            times.event(ProgressEvent::PhaseDone { phase, took: Duration::from_millis(ms) });
        }
        times.event(ProgressEvent::Certified);
        assert_eq!(times.took(StorePhase::Slivers), Some(Duration::from_millis(10)));
        assert_eq!(times.took(StorePhase::Register), None);
        assert_eq!(times.summary(), "encode=5ms slivers=10ms");
    }
}

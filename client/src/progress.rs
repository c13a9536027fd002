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

use floe_encoder::BlobId;

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

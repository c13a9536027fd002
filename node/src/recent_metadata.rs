//! The metadata of the blobs being uploaded, kept verified in memory.
//!
//! Every sliver a node stores is checked against its blob's metadata, and the metadata read from
//! disk is checked before it is trusted: its record's digest and the committee's checks
//! ([`crate::stored_metadata`]; before records were sealed, its root hash was computed again, two
//! hashes per shard, at 1000 shards more than checking a small sliver). A node taking the ten or
//! twenty slivers of a blob would read, decode and check the same metadata (64 KiB at 1000
//! shards) that many times; here it keeps the last few verified ones. Metadata verified against a
//! blob id cannot go stale (the blob id commits to it), so an entry is never wrong, only evicted.

use std::sync::{Arc, Mutex};

use floe_encoder::{BlobId, metadata::VerifiedBlobMetadata};

/// How many blobs' metadata are kept: enough for the uploads a node takes at once.
pub const RECENT_METADATA: usize = 64;

/// The most recently verified metadata, newest last.
#[derive(Debug, Default)]
pub struct RecentMetadata {
    entries: Mutex<Vec<Arc<VerifiedBlobMetadata>>>,
}

impl RecentMetadata {
    /// The verified metadata of `blob_id`, if it is among the recent ones.
    pub fn get(&self, blob_id: &BlobId) -> Option<Arc<VerifiedBlobMetadata>> {
        let entries = self.entries.lock().unwrap_or_else(|poison| poison.into_inner());
        entries.iter().rev().find(|metadata| metadata.blob_id() == blob_id).cloned()
    }

    /// Remembers `metadata`, forgetting the oldest beyond [`RECENT_METADATA`].
    pub fn insert(&self, metadata: Arc<VerifiedBlobMetadata>) {
        let mut entries = self.entries.lock().unwrap_or_else(|poison| poison.into_inner());
        entries.retain(|kept| kept.blob_id() != metadata.blob_id());
        if entries.len() >= RECENT_METADATA {
            entries.remove(0);
        }
        entries.push(metadata);
    }
}

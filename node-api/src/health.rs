//! `GET /v1/health`: what a node says about itself (uptime, epoch, key, shards, chain progress,
//! self-checks), the one type the node serves and every client reads.

use serde::{Deserialize, Serialize};

/// The node's state as `GET /v1/health` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Seconds since the node started.
    pub uptime_secs: u64,
    /// The current epoch.
    pub epoch: u32,
    /// The node's BLS public key, base64.
    pub public_key: String,
    /// The committee's shard count.
    pub n_shards: u16,
    /// The shards this node holds in the current epoch.
    pub owned_shards: Vec<u16>,
    /// The first checkpoint the node has not applied yet: every transaction in an earlier
    /// checkpoint is reflected in its answers. Absent when the node does not follow a chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_checkpoint: Option<u64>,
    /// The node's self-checks: scrub progress, damage found and repaired.
    #[serde(default)]
    pub integrity: IntegrityStatus,
    /// The disk space the node's store takes. Absent when the node could not read it (and from
    /// nodes older than this field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageUse>,
}

/// The disk space a node's store takes, as `GET /v1/health` reports it (field `storage`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageUse {
    /// Bytes of disk the database file takes (metadata, chain state, small sliver records).
    pub database_bytes: u64,
    /// Bytes of disk the sliver file takes: its live records, not the holes removals punched.
    pub sliver_file_bytes: u64,
    /// The sliver file's length, holes included: where its next record goes.
    pub sliver_file_length: u64,
}

/// Counters of the node's self-checks, as `GET /v1/health` reports them (field `integrity`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrityStatus {
    /// Slivers the scrub checked since the node started.
    pub scrub_checked: u64,
    /// Their bytes.
    pub scrub_bytes: u64,
    /// Full passes the scrub completed since the node started.
    pub scrub_passes: u64,
    /// The scrub's rate limit in bytes per second (0: the scrub is off).
    pub scrub_bytes_per_sec: u64,
    /// Damaged slivers (and metadata) found since the node started, by any check.
    pub corrupt_found: u64,
    /// Damaged slivers stored again, correct (by recovery, an upload or a shard sync).
    pub repaired: u64,
    /// Damaged slivers set aside and not stored again yet.
    pub awaiting_repair: u64,
}

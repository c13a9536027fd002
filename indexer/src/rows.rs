//! One Rust struct per table row: what ingestion writes and what the explorer returns as JSON.

use diesel::prelude::*;
use serde::Serialize;

use crate::schema::{
    blobs, challenge_outcomes, challenge_windows, committee_members, committee_shards, epochs, events, pools,
    quilt_checks, quilt_patch_tags, quilt_patches, rewards_withheld, stakes, totals, watermarks,
};

/// How far the pipeline has committed: every row of checkpoints up to `checkpoint` is written.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = watermarks)]
pub struct Watermark {
    /// The pipeline's name ([`crate::PIPELINE`]).
    pub pipeline: String,
    /// The last committed checkpoint.
    pub checkpoint: i64,
    /// Its epoch.
    pub epoch: i64,
    /// Its timestamp (ms since the Unix epoch).
    pub timestamp_ms: i64,
    /// The id the next event row gets.
    pub next_event_id: i64,
}

/// Running totals over blobs that are not deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = totals)]
pub struct TotalsRow {
    /// The pipeline's name ([`crate::PIPELINE`]).
    pub pipeline: String,
    /// Sum of their unencoded sizes.
    pub stored_bytes: i64,
    /// How many there are.
    pub blob_count: i64,
    /// How many of them are certified.
    pub certified_count: i64,
}

/// One event of an indexed transaction.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub struct EventRow {
    /// Gapless id in chain order (checkpoint, transaction, event); the pagination cursor.
    pub id: i64,
    /// The checkpoint holding the transaction.
    pub checkpoint: i64,
    /// The checkpoint's timestamp (ms).
    pub timestamp_ms: i64,
    /// The transaction digest (base58).
    pub tx_digest: String,
    /// The event's position in the transaction.
    pub event_index: i32,
    /// The transaction sender.
    pub sender: String,
    /// The event's name for floe events (`BlobRegistered`, ...), `unknown` for other types,
    /// `malformed` for a floe type whose contents did not decode.
    pub kind: String,
    /// The full Move type.
    pub type_tag: String,
    /// The epoch the event names, if any.
    pub epoch: Option<i64>,
    /// The blob id it concerns, if any.
    pub blob_id: Option<String>,
    /// The Blob or StakedWal object it concerns, if any.
    pub object_id: Option<String>,
    /// The storage node it concerns, if any.
    pub node_id: Option<String>,
    /// The decoded fields as JSON (for unknown events: the type and hex contents).
    pub fields: String,
}

/// One Blob object.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = blobs, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct BlobRow {
    /// The Blob object id.
    pub object_id: String,
    /// The blob id (base64url text).
    pub blob_id: String,
    /// The current owner: an address, `object:<id>`, `shared`, `immutable`, or none once the
    /// object is deleted or wrapped.
    pub owner: Option<String>,
    /// Unencoded size in bytes.
    pub size: i64,
    /// The encoding type byte.
    pub encoding_type: i32,
    /// The epoch it was registered in.
    pub registered_epoch: i64,
    /// The epoch it was certified in, if it was.
    pub certified_epoch: Option<i64>,
    /// The first epoch it is no longer stored.
    pub end_epoch: i64,
    /// Whether its owner may delete it.
    pub deletable: bool,
    /// Whether it was deleted (by `delete_blob` or burnt).
    pub deleted: bool,
    /// Whether its blob id was proven inconsistently encoded.
    pub invalid: bool,
    /// Its attributes as a JSON object, when known (not yet indexed: always none).
    pub attributes: Option<String>,
    /// The id of its `BlobRegistered` event.
    pub registered_event: i64,
    /// The checkpoint of its registration.
    pub registered_checkpoint: i64,
    /// The last checkpoint that changed it.
    pub updated_checkpoint: i64,
}

/// One epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = epochs, treat_none_as_null = true)]
pub struct EpochRow {
    /// The epoch.
    pub epoch: i64,
    /// The checkpoint of its `EpochChangeStart`.
    pub start_checkpoint: Option<i64>,
    /// That checkpoint's timestamp (ms).
    pub start_timestamp_ms: Option<i64>,
    /// The checkpoint of its `EpochChangeDone`.
    pub done_checkpoint: Option<i64>,
    /// Total capacity (encoded bytes) selected for it.
    pub total_capacity_size: Option<i64>,
    /// Storage price (FROST per MiB unit per epoch) selected for it.
    pub storage_price_per_unit_size: Option<i64>,
    /// Write price (FROST per MiB unit) selected for it.
    pub write_price_per_unit_size: Option<i64>,
}

/// A node that reported its shards for an epoch.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = committee_members)]
pub struct CommitteeMemberRow {
    /// The epoch.
    pub epoch: i64,
    /// The storage node.
    pub node_id: String,
    /// How many shards it holds.
    pub shard_count: i32,
}

/// One shard's holder in an epoch.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = committee_shards)]
pub struct CommitteeShardRow {
    /// The epoch.
    pub epoch: i64,
    /// The shard index.
    pub shard: i32,
    /// The node holding it.
    pub node_id: String,
}

/// A staking pool.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = pools)]
pub struct PoolRow {
    /// The storage node.
    pub node_id: String,
    /// Commission rate in basis points.
    pub commission_rate: i32,
    /// The epoch it registered in.
    pub registered_epoch: i64,
    /// Principal staked and not yet withdrawn (FROST).
    pub staked: i64,
    /// Rewards distributed to the pool, commission included (FROST).
    pub rewards: i64,
    /// The commission part of those rewards (FROST).
    pub commission_earned: i64,
    /// Commission the operator collected (FROST).
    pub commission_collected: i64,
}

/// One StakedWal object.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = stakes, treat_none_as_null = true)]
pub struct StakeRow {
    /// The StakedWal object.
    pub staked_wal_id: String,
    /// The node staked with.
    pub node_id: String,
    /// The current owner (as for blobs).
    pub owner: Option<String>,
    /// The principal (FROST).
    pub principal: i64,
    /// The first epoch it counts in.
    pub activation_epoch: i64,
    /// `staked`, `withdrawing` or `withdrawn`.
    pub state: String,
    /// The epoch it can be withdrawn, once requested.
    pub withdraw_epoch: Option<i64>,
    /// Principal plus rewards paid out, once withdrawn.
    pub withdrawn_amount: Option<i64>,
    /// The id of its `Staked` event.
    pub staked_event: i64,
}

/// An epoch's storage challenge window.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = challenge_windows)]
pub struct ChallengeWindowRow {
    /// The epoch the challenges are about.
    pub epoch: i64,
    /// The seed the samples are drawn from (hex).
    pub seed: String,
    /// The clock time the window opened (ms since the Unix epoch).
    pub opened_at_ms: i64,
    /// The checkpoint of its `ChallengeWindowOpened`.
    pub checkpoint: i64,
    /// The transaction that opened it.
    pub tx_digest: String,
}

/// A node's recorded storage challenge outcome in an epoch.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = challenge_outcomes)]
pub struct ChallengeOutcomeRow {
    /// The id of its `ChallengeOutcome` event; the list cursor.
    pub event_id: i64,
    /// The epoch the outcome is about.
    pub epoch: i64,
    /// The challenged node.
    pub node_id: String,
    /// Whether it passed.
    pub passed: bool,
    /// The shard weight of the certificate's signers.
    pub stake_support: i32,
    /// The checkpoint of the record.
    pub checkpoint: i64,
    /// The recording transaction.
    pub tx_digest: String,
}

/// A node's rewards withheld for an epoch it failed its challenges in.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = rewards_withheld)]
pub struct RewardsWithheldRow {
    /// The epoch the rewards were earned in.
    pub epoch: i64,
    /// The node.
    pub node_id: String,
    /// The share withheld (FROST).
    pub amount: i64,
    /// The checkpoint of its `RewardsWithheld`.
    pub checkpoint: i64,
    /// The epoch-change transaction.
    pub tx_digest: String,
}

/// What the aggregator said about one blob id: `quilt`, `not_quilt` or `failed`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = quilt_checks)]
pub struct QuiltCheckRow {
    /// The blob id (base64url text).
    pub blob_id: String,
    /// `quilt`, `not_quilt` or `failed`.
    pub state: String,
    /// Patches recorded (0 unless a quilt).
    pub patch_count: i32,
    /// Requests made.
    pub attempts: i32,
    /// When the answer was recorded (ms since the Unix epoch).
    pub checked_at_ms: i64,
    /// Why no usable answer came, for `failed`.
    pub error: Option<String>,
}

/// One file of a quilt.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = quilt_patches)]
pub struct QuiltPatchRow {
    /// Order of recording; the pagination cursor.
    pub id: i64,
    /// The quilt's blob id.
    pub quilt_id: String,
    /// The file's identifier, unique in its quilt.
    pub identifier: String,
    /// Its quilt patch id (what `floe read` and the aggregator take).
    pub patch_id: String,
    /// Its tags as a JSON object.
    pub tags: String,
}

/// One tag of one quilt patch.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = quilt_patch_tags)]
pub struct QuiltPatchTagRow {
    /// The patch's row id.
    pub patch_row: i64,
    /// The tag's key.
    pub tag_key: String,
    /// Its value.
    pub tag_value: String,
}

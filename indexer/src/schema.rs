//! The tables, as diesel sees them; `migrations/` creates them (one SQL set for both backends).

#![allow(missing_docs)]

diesel::table! {
    /// How far a pipeline has committed.
    watermarks (pipeline) {
        pipeline -> Text,
        checkpoint -> BigInt,
        epoch -> BigInt,
        timestamp_ms -> BigInt,
        next_event_id -> BigInt,
    }
}

diesel::table! {
    /// Running totals over the blobs table.
    totals (pipeline) {
        pipeline -> Text,
        stored_bytes -> BigInt,
        blob_count -> BigInt,
        certified_count -> BigInt,
    }
}

diesel::table! {
    /// Every event of every indexed transaction.
    events (id) {
        id -> BigInt,
        checkpoint -> BigInt,
        timestamp_ms -> BigInt,
        tx_digest -> Text,
        event_index -> Integer,
        sender -> Text,
        kind -> Text,
        type_tag -> Text,
        epoch -> Nullable<BigInt>,
        blob_id -> Nullable<Text>,
        object_id -> Nullable<Text>,
        node_id -> Nullable<Text>,
        fields -> Text,
    }
}

diesel::table! {
    /// One row per Blob object.
    blobs (object_id) {
        object_id -> Text,
        blob_id -> Text,
        owner -> Nullable<Text>,
        size -> BigInt,
        encoding_type -> Integer,
        registered_epoch -> BigInt,
        certified_epoch -> Nullable<BigInt>,
        end_epoch -> BigInt,
        deletable -> Bool,
        deleted -> Bool,
        invalid -> Bool,
        attributes -> Nullable<Text>,
        registered_event -> BigInt,
        registered_checkpoint -> BigInt,
        updated_checkpoint -> BigInt,
    }
}

diesel::table! {
    /// Epoch boundaries and parameters.
    epochs (epoch) {
        epoch -> BigInt,
        start_checkpoint -> Nullable<BigInt>,
        start_timestamp_ms -> Nullable<BigInt>,
        done_checkpoint -> Nullable<BigInt>,
        total_capacity_size -> Nullable<BigInt>,
        storage_price_per_unit_size -> Nullable<BigInt>,
        write_price_per_unit_size -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Nodes that reported shards for an epoch.
    committee_members (epoch, node_id) {
        epoch -> BigInt,
        node_id -> Text,
        shard_count -> Integer,
    }
}

diesel::table! {
    /// Which node holds which shard in an epoch.
    committee_shards (epoch, shard) {
        epoch -> BigInt,
        shard -> Integer,
        node_id -> Text,
    }
}

diesel::table! {
    /// Staking pools with running totals.
    pools (node_id) {
        node_id -> Text,
        commission_rate -> Integer,
        registered_epoch -> BigInt,
        staked -> BigInt,
        rewards -> BigInt,
        commission_earned -> BigInt,
        commission_collected -> BigInt,
    }
}

diesel::table! {
    /// One row per StakedWal object.
    stakes (staked_wal_id) {
        staked_wal_id -> Text,
        node_id -> Text,
        owner -> Nullable<Text>,
        principal -> BigInt,
        activation_epoch -> BigInt,
        state -> Text,
        withdraw_epoch -> Nullable<BigInt>,
        withdrawn_amount -> Nullable<BigInt>,
        staked_event -> BigInt,
    }
}

diesel::table! {
    /// Each epoch's storage challenge window.
    challenge_windows (epoch) {
        epoch -> BigInt,
        seed -> Text,
        opened_at_ms -> BigInt,
        checkpoint -> BigInt,
        tx_digest -> Text,
    }
}

diesel::table! {
    /// Each node's recorded storage challenge outcome per epoch.
    challenge_outcomes (event_id) {
        event_id -> BigInt,
        epoch -> BigInt,
        node_id -> Text,
        passed -> Bool,
        stake_support -> Integer,
        checkpoint -> BigInt,
        tx_digest -> Text,
    }
}

diesel::table! {
    /// Rewards withheld from a node for a recorded challenge failure.
    rewards_withheld (epoch, node_id) {
        epoch -> BigInt,
        node_id -> Text,
        amount -> BigInt,
        checkpoint -> BigInt,
        tx_digest -> Text,
    }
}

diesel::table! {
    /// Blob ids asked about at the aggregator, and what it said.
    quilt_checks (blob_id) {
        blob_id -> Text,
        state -> Text,
        patch_count -> Integer,
        attempts -> Integer,
        checked_at_ms -> BigInt,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    /// The files of quilts.
    quilt_patches (id) {
        id -> BigInt,
        quilt_id -> Text,
        identifier -> Text,
        patch_id -> Text,
        tags -> Text,
    }
}

diesel::table! {
    /// Each tag of each quilt patch.
    quilt_patch_tags (patch_row, tag_key) {
        patch_row -> BigInt,
        tag_key -> Text,
        tag_value -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    watermarks,
    totals,
    events,
    blobs,
    epochs,
    committee_members,
    committee_shards,
    pools,
    stakes,
    challenge_windows,
    challenge_outcomes,
    rewards_withheld,
    quilt_checks,
    quilt_patches,
    quilt_patch_tags
);

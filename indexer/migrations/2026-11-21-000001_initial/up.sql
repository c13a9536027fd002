-- floe-indexer's initial schema. One migration set for SQLite and PostgreSQL: only types both
-- understand (TEXT, BIGINT, INTEGER, BOOLEAN). Ids are 0x-prefixed hex, blob ids their
-- base64url text, amounts FROST, epochs and sizes as BIGINT.

-- How far each pipeline has committed; written in the same transaction as the rows.
CREATE TABLE watermarks (
    pipeline TEXT PRIMARY KEY NOT NULL,
    checkpoint BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    -- The id the next event row gets, so event ids are gapless and deterministic on replay.
    next_event_id BIGINT NOT NULL
);

-- Running totals over the blobs table, kept by the ingester in the batch's transaction so the
-- explorer does not sum the whole table per request.
CREATE TABLE totals (
    pipeline TEXT PRIMARY KEY NOT NULL,
    stored_bytes BIGINT NOT NULL,
    blob_count BIGINT NOT NULL,
    certified_count BIGINT NOT NULL
);

-- Every event of every indexed transaction, floe's decoded and anyone else's as unknown.
CREATE TABLE events (
    id BIGINT PRIMARY KEY NOT NULL,
    checkpoint BIGINT NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    tx_digest TEXT NOT NULL,
    event_index INTEGER NOT NULL,
    sender TEXT NOT NULL,
    kind TEXT NOT NULL,
    type_tag TEXT NOT NULL,
    epoch BIGINT,
    blob_id TEXT,
    object_id TEXT,
    node_id TEXT,
    fields TEXT NOT NULL
);
CREATE UNIQUE INDEX events_tx ON events (tx_digest, event_index);
CREATE INDEX events_kind ON events (kind, id);
CREATE INDEX events_blob ON events (blob_id, id);
CREATE INDEX events_object ON events (object_id, id);
CREATE INDEX events_node ON events (node_id, id);

-- One row per Blob object (several objects may share a blob id).
CREATE TABLE blobs (
    object_id TEXT PRIMARY KEY NOT NULL,
    blob_id TEXT NOT NULL,
    owner TEXT,
    size BIGINT NOT NULL,
    encoding_type INTEGER NOT NULL,
    registered_epoch BIGINT NOT NULL,
    certified_epoch BIGINT,
    end_epoch BIGINT NOT NULL,
    deletable BOOLEAN NOT NULL,
    deleted BOOLEAN NOT NULL,
    invalid BOOLEAN NOT NULL,
    attributes TEXT,
    -- The id of the BlobRegistered event: orders blobs by registration, pages "recent blobs".
    registered_event BIGINT NOT NULL,
    registered_checkpoint BIGINT NOT NULL,
    updated_checkpoint BIGINT NOT NULL
);
CREATE UNIQUE INDEX blobs_registered ON blobs (registered_event);
CREATE INDEX blobs_blob_id ON blobs (blob_id, registered_event);
CREATE INDEX blobs_owner ON blobs (owner, registered_event);

CREATE TABLE epochs (
    epoch BIGINT PRIMARY KEY NOT NULL,
    start_checkpoint BIGINT,
    start_timestamp_ms BIGINT,
    done_checkpoint BIGINT,
    total_capacity_size BIGINT,
    storage_price_per_unit_size BIGINT,
    write_price_per_unit_size BIGINT
);

-- Nodes that reported their shards for an epoch (ShardsReceived), and who holds which shard.
CREATE TABLE committee_members (
    epoch BIGINT NOT NULL,
    node_id TEXT NOT NULL,
    shard_count INTEGER NOT NULL,
    PRIMARY KEY (epoch, node_id)
);
CREATE TABLE committee_shards (
    epoch BIGINT NOT NULL,
    shard INTEGER NOT NULL,
    node_id TEXT NOT NULL,
    PRIMARY KEY (epoch, shard)
);
CREATE INDEX committee_shards_node ON committee_shards (epoch, node_id);

-- Staking pools (one per storage node) with running totals.
CREATE TABLE pools (
    node_id TEXT PRIMARY KEY NOT NULL,
    commission_rate INTEGER NOT NULL,
    registered_epoch BIGINT NOT NULL,
    staked BIGINT NOT NULL,
    rewards BIGINT NOT NULL,
    commission_earned BIGINT NOT NULL,
    commission_collected BIGINT NOT NULL
);

-- One row per StakedWal object.
CREATE TABLE stakes (
    staked_wal_id TEXT PRIMARY KEY NOT NULL,
    node_id TEXT NOT NULL,
    owner TEXT,
    principal BIGINT NOT NULL,
    activation_epoch BIGINT NOT NULL,
    state TEXT NOT NULL,
    withdraw_epoch BIGINT,
    withdrawn_amount BIGINT,
    staked_event BIGINT NOT NULL
);
CREATE INDEX stakes_node ON stakes (node_id, staked_event);
CREATE INDEX stakes_owner ON stakes (owner, staked_event);

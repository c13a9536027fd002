-- Quilt patches (issue 17). The chain's events say a blob was certified, not what is inside it,
-- so the indexer asks an aggregator for each certified blob's patch list once (`floe indexer
-- --aggregator URL`) and keeps the answer here. Same types for both backends.

-- One row per blob id asked about: `quilt` (its patches are in quilt_patches), `not_quilt`
-- (the aggregator said it is not a well-formed quilt), or `failed` (no usable answer after the
-- retries; `error` says why). Blob ids without a row are still to be asked.
CREATE TABLE quilt_checks (
    blob_id TEXT PRIMARY KEY NOT NULL,
    state TEXT NOT NULL,
    patch_count INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    checked_at_ms BIGINT NOT NULL,
    error TEXT
);

-- One row per file of a quilt. `id` is given by the indexer in the order patches were recorded
-- and orders and pages the list; `tags` is the tags' JSON object as the aggregator gave it.
CREATE TABLE quilt_patches (
    id BIGINT PRIMARY KEY NOT NULL,
    quilt_id TEXT NOT NULL,
    identifier TEXT NOT NULL,
    patch_id TEXT NOT NULL,
    tags TEXT NOT NULL
);
CREATE UNIQUE INDEX quilt_patches_quilt_identifier ON quilt_patches (quilt_id, identifier);
CREATE INDEX quilt_patches_identifier ON quilt_patches (identifier, id);

-- Each tag of each patch, for search by key (and value).
CREATE TABLE quilt_patch_tags (
    patch_row BIGINT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (patch_row, tag_key)
);
CREATE INDEX quilt_patch_tags_key_value ON quilt_patch_tags (tag_key, tag_value, patch_row);

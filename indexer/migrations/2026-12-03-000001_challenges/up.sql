-- Storage challenges (issue 13): each epoch's challenge window, each node's recorded outcome,
-- and the rewards withheld for a recorded failure. Same types as the initial schema, for both
-- backends.

-- One window per epoch (the chain opens it at most once); the seed is 64 hex digits.
CREATE TABLE challenge_windows (
    epoch BIGINT PRIMARY KEY NOT NULL,
    seed TEXT NOT NULL,
    opened_at_ms BIGINT NOT NULL,
    checkpoint BIGINT NOT NULL,
    tx_digest TEXT NOT NULL
);

-- One outcome per node and epoch (the chain records at most one); keyed by the id of its
-- ChallengeOutcome event, which orders and pages the list.
CREATE TABLE challenge_outcomes (
    event_id BIGINT PRIMARY KEY NOT NULL,
    epoch BIGINT NOT NULL,
    node_id TEXT NOT NULL,
    passed BOOLEAN NOT NULL,
    stake_support INTEGER NOT NULL,
    checkpoint BIGINT NOT NULL,
    tx_digest TEXT NOT NULL
);
CREATE UNIQUE INDEX challenge_outcomes_node_epoch ON challenge_outcomes (node_id, epoch);
CREATE INDEX challenge_outcomes_epoch ON challenge_outcomes (epoch, event_id);

-- RewardsWithheld: emitted at the epoch change after the outcome, so in a later transaction
-- (and often a later batch) than the outcome it follows; kept apart and joined when read.
CREATE TABLE rewards_withheld (
    epoch BIGINT NOT NULL,
    node_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    checkpoint BIGINT NOT NULL,
    tx_digest TEXT NOT NULL,
    PRIMARY KEY (epoch, node_id)
);

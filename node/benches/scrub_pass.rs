//! What a scrub pass costs a node that holds small blobs, checked blob by blob (as the scrub does)
//! and, for comparison, one sliver at a time (as it did before: each step a record read, the
//! blob's metadata verified, the sliver's Merkle root computed alone).
//!
//! `cargo bench --profile dev -p floe-node --bench scrub_pass` prints one line per shape and way.
//! The node holds a hundredth of n = 1000 shards (a member of a 100-node committee) and
//! `FLOE_BENCH_BLOBS` (default 20) blobs of `FLOE_BENCH_BLOB_BYTES` (default 100); then a tenth of
//! n = 100 shards and the same blobs. Each way runs `FLOE_BENCH_RUNS` (default 3) passes.

use std::time::{Duration, Instant};

use floe_encoder::{EncodingConfig, ShardIndex, bls::BlsSecretKey, encode, mapping};
use floe_node::{
    StorageNode, Store,
    scrub::{ScrubStep, scrub_next},
    stored_sliver,
    test_chain::TestChain,
};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn blob(seed: u32, len: usize) -> Vec<u8> {
    (0..len as u32).map(|i| (i ^ seed).wrapping_mul(2_654_435_761).to_le_bytes()[2]).collect()
}

/// A node holding the first `held` of `n_shards` shards and `blobs` blobs of `len` bytes.
fn node(n_shards: u16, held: u16, blobs: u32, len: usize) -> (StorageNode, TestChain, tempfile::TempDir) {
    let config = EncodingConfig::new(n_shards).expect("a supported shard count");
    let key = BlsSecretKey::from_seed(&[5; 32]);
    let own: Vec<ShardIndex> = (0..held).map(ShardIndex).collect();
    let chain = TestChain::holding_first(3, n_shards, held, &key);
    let dir = tempfile::tempdir().expect("a directory");
    let node = StorageNode::new(chain.state(), Store::open(dir.path()).expect("a store"), key);
    for i in 0..blobs {
        let encoded = encode(&config, &blob(i, len)).expect("encodes");
        let blob_id = *encoded.metadata.blob_id();
        node.store().put_metadata(&blob_id, encoded.metadata.metadata()).expect("metadata");
        let slivers: Vec<_> = own
            .iter()
            .flat_map(|shard| {
                let pair = &encoded.pairs[mapping::pair_for_shard(*shard, &blob_id, n_shards).as_usize()];
                [(*shard, pair.primary.clone()), (*shard, pair.secondary.clone())]
            })
            .collect();
        node.store().put_slivers(&blob_id, &slivers).expect("slivers");
    }
    (node, chain, dir)
}

/// A pass as the scrub makes it: the slivers checked, and how long it took.
fn blob_by_blob(node: &StorageNode) -> (u64, Duration) {
    let (started, mut cursor, mut checked) = (Instant::now(), None, 0);
    while let ScrubStep::Checked { position, slivers, damaged, .. } = scrub_next(node, cursor.as_ref()).expect("a step")
    {
        assert!(damaged.is_empty(), "nothing is damaged: {damaged:?}");
        checked += slivers;
        cursor = Some(position);
    }
    (checked, started.elapsed())
}

/// A pass one sliver per step, each checked alone against its blob's metadata, verified anew.
fn sliver_by_sliver(node: &StorageNode, config: &EncodingConfig) -> (u64, Duration) {
    let (started, mut cursor, mut checked) = (Instant::now(), None, 0);
    loop {
        let records = node.store().next_scrub_records(cursor.as_ref(), 1).expect("a record");
        let Some((position, record)) = records.into_iter().next() else { break };
        let sliver = stored_sliver::open(position.axis, &record).expect("intact");
        let metadata = node.metadata(&position.blob_id).expect("stored metadata verifies");
        metadata.verify_sliver(config, &sliver).expect("the sliver verifies");
        checked += 1;
        cursor = Some(position);
    }
    (checked, started.elapsed())
}

fn main() {
    let blobs: u32 = env_or("FLOE_BENCH_BLOBS", 20);
    let len: usize = env_or("FLOE_BENCH_BLOB_BYTES", 100);
    let runs: usize = env_or("FLOE_BENCH_RUNS", 3);
    for (n_shards, held) in [(1000u16, 10u16), (100, 10)] {
        let config = EncodingConfig::new(n_shards).expect("a supported shard count");
        let (node, _chain, _dir) = node(n_shards, held, blobs, len);
        for _ in 0..runs {
            for (way, (slivers, took)) in
                [("blob by blob", blob_by_blob(&node)), ("sliver by sliver", sliver_by_sliver(&node, &config))]
            {
                println!(
                    "n={n_shards}, {held} shards held, {blobs} blobs of {len} B: pass {way}: {slivers} slivers in {:.1} ms, {:.0} us per sliver, {:.0} slivers/s",
                    took.as_secs_f64() * 1e3,
                    took.as_secs_f64() * 1e6 / slivers as f64,
                    slivers as f64 / took.as_secs_f64(),
                );
            }
        }
    }
}

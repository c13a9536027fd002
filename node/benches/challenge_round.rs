//! What one storage-challenge round costs a node: bytes on the wire and CPU.
//!
//! `cargo bench -p floe-node --bench challenge_round` prints one line per shard count. A node
//! of a test chain holds a tenth of the shards and stores `FLOE_BENCH_BLOBS` blobs of 1 KiB
//! (default 10,000 at n = 100; at n = 1000 encoding 10,000 blobs takes hours on 2 cores, so
//! `FLOE_BENCH_BLOBS_1000`, default 20, are stored there: a round's size does not depend on the
//! number of blobs, only the list the samples are drawn from does, and that list is timed at
//! 10,000 ids for both). A round is one challenger asking the node its 66 samples and checking
//! the answers. Figures: request and answer bytes of a round (BCS bodies; HTTP adds ~200 bytes
//! of headers each way), the time the node takes to answer, the time the challenger takes to
//! draw the samples from 10,000 blob ids and to verify the answers, and a node's traffic per
//! epoch in a committee of 100 members (it answers 100 rounds, asks 100, and serves its list of
//! 100 verdicts to 100 reporters once: reporters poll until recorded, so more in practice).

use std::time::Instant;

use floe_encoder::{
    BlobId, EncodingConfig, ShardIndex,
    bls::BlsSecretKey,
    challenge::{EligibleBlobs, SAMPLES_PER_NODE, draw_samples},
    encode,
};
use floe_node::test_chain::TestChain;
use floe_node::{StorageNode, Store, chain_state::ChainChange};
use floe_node_api::{ChallengeRequest, ChallengeResponse, SampleAnswer};
use sui_sdk_types::Address;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn blob(seed: u32) -> Vec<u8> {
    (0..1024u32).map(|i| (i ^ seed).wrapping_mul(2_654_435_761).to_le_bytes()[2]).collect()
}

fn round(n_shards: u16, stored: usize) {
    let config = EncodingConfig::new(n_shards).expect("a supported shard count");
    let key = BlsSecretKey::from_seed(&[5; 32]);
    let tenth = n_shards / 10;
    let own: Vec<ShardIndex> = (0..tenth).map(ShardIndex).collect();
    // The node holds the first tenth; one other member the rest.
    let chain = TestChain::holding_first(3, n_shards, tenth, &key);
    let dir = tempfile::tempdir().expect("a directory");
    let node = StorageNode::new(chain.state(), Store::open(dir.path()).expect("a store"), key);
    let started = Instant::now();
    let mut ids = Vec::with_capacity(stored);
    for i in 0..stored {
        let encoded = encode(&config, &blob(i as u32)).expect("encodes");
        let blob_id = *encoded.metadata.blob_id();
        let object_id = Address::new((i as u64 + 1).to_le_bytes().repeat(4).try_into().expect("32 bytes"));
        // Straight into the store, one transaction per blob (the API path verifies and commits
        // each sliver alone, which makes 10,000 blobs take a quarter of an hour).
        node.store().put_metadata(&blob_id, encoded.metadata.metadata()).expect("metadata");
        let slivers: Vec<_> = own
            .iter()
            .flat_map(|shard| {
                let pair = &encoded.pairs[floe_encoder::mapping::pair_for_shard(*shard, &blob_id, n_shards).as_usize()];
                [(*shard, pair.primary.clone()), (*shard, pair.secondary.clone())]
            })
            .collect();
        node.store().put_slivers(&blob_id, &slivers).expect("slivers");
        // Registered and certified in one checkpoint: one chain-state commit per blob.
        chain.apply([
            ChainChange::Registered { blob_id, object_id, end_epoch: 100, deletable: false },
            ChainChange::Certified { blob_id, object_id, epoch: 2, end_epoch: 100 },
        ]);
        ids.push(blob_id);
    }
    let setup = started.elapsed();

    // The list is what grows with the blobs stored: draw from 10,000 ids (the stored ones first).
    let mut listed = ids.clone();
    listed.extend((ids.len()..10_000).map(|i| BlobId(floe_encoder::merkle::blake2b256(&(i as u64).to_le_bytes()))));
    let started = Instant::now();
    let list = EligibleBlobs::new(listed);
    let _ = draw_samples(&[7; 32], &[9; 32], &list, &own, n_shards, SAMPLES_PER_NODE);
    let draw_10k = started.elapsed();

    // The round itself, over the stored blobs.
    let stored_list = EligibleBlobs::new(ids);
    let samples = draw_samples(&[7; 32], &[9; 32], &stored_list, &own, n_shards, SAMPLES_PER_NODE);
    let request = bcs::to_bytes(&ChallengeRequest { samples: samples.clone() }).expect("BCS");
    let started = Instant::now();
    let answers = node.answer_challenge(&samples).expect("the node answers");
    let answer_time = started.elapsed();
    let response = bcs::to_bytes(&ChallengeResponse { answers: answers.clone() }).expect("BCS");
    let started = Instant::now();
    for (sample, answer) in samples.iter().zip(&answers) {
        match answer {
            SampleAnswer::Answered(answer) => answer.verify(&config, sample).expect("an honest answer verifies"),
            SampleAnswer::Missing => panic!("the node holds every sampled sliver"),
        }
    }
    let verify_time = started.elapsed();

    let members = 100usize;
    let verdicts = members * 160;
    let per_epoch_sent = members * response.len() + members * request.len() + members * verdicts;
    println!(
        "n = {n_shards:>4}, {stored:>5} blobs stored ({:.1} s to set up): round request {} B, answer {} B \
         ({:.0} B/sample); node answers in {:.2} ms, challenger draws from 10,000 ids in {:.2} ms and \
         verifies in {:.2} ms; per epoch in a 100-member committee a node sends {:.2} MiB",
        setup.as_secs_f64(),
        request.len(),
        response.len(),
        response.len() as f64 / SAMPLES_PER_NODE as f64,
        answer_time.as_secs_f64() * 1e3,
        draw_10k.as_secs_f64() * 1e3,
        verify_time.as_secs_f64() * 1e3,
        per_epoch_sent as f64 / (1u64 << 20) as f64,
    );
}

fn main() {
    round(100, env_or("FLOE_BENCH_BLOBS", 10_000));
    round(1000, env_or("FLOE_BENCH_BLOBS_1000", 20));
}

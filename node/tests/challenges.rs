//! The challenge route over HTTP: a node answers samples of its shards with symbols anyone can
//! check against the blob id, says "missing" for what it does not hold, refuses oversized
//! challenges, and serves the verdicts it signed.

use std::time::Duration;

use floe_encoder::{
    SliverType,
    challenge::{ChallengeSample, EligibleBlobs, draw_samples},
    encode, mapping,
};
use floe_node::chain_state::ChainChange;
use floe_node::local_cluster::{EPOCH, LocalCluster, every_other_in_file};
use floe_node_api::{NodeApiError, NodeClient, SampleAnswer, challenge::MAX_CHALLENGE_SAMPLES};
use sui_sdk_types::Address;

const TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_node_proves_what_it_holds_and_says_missing_for_the_rest() {
    let cluster = LocalCluster::start_with(&[2, 2], every_other_in_file).await.unwrap();
    let n = cluster.config.n_shards();
    let mut ids = Vec::new();
    for seed in 0..3u8 {
        let encoded = encode(&cluster.config, &vec![seed; 3_000 + usize::from(seed) * 100]).unwrap();
        let blob_id = *encoded.metadata.blob_id();
        let object = Address::new([seed + 1; 32]);
        cluster.chain.apply([ChainChange::Registered { blob_id, object_id: object, end_epoch: 50, deletable: false }]);
        for node in &cluster.nodes {
            node.node.store_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).unwrap();
        }
        for pair in &encoded.pairs {
            let holder = cluster.holder_of_pair(&blob_id, pair.index().0);
            for sliver in [&pair.primary, &pair.secondary] {
                cluster.nodes[holder]
                    .node
                    .store_sliver(&blob_id, pair.index(), sliver.axis(), &sliver.to_bcs())
                    .unwrap();
            }
        }
        cluster.chain.apply([ChainChange::Certified { blob_id, object_id: object, epoch: EPOCH, end_epoch: 50 }]);
        ids.push(blob_id);
    }
    let node = &cluster.nodes[0];
    let client = NodeClient::new(reqwest::Client::new(), &node.url());
    let blobs = EligibleBlobs::new(ids.clone());

    // Its own shards: every answer verifies against the blob id alone.
    let samples = draw_samples(&[3; 32], &[4; 32], &blobs, &node.shards, n, 40);
    let answers = client.challenge(&samples, TIMEOUT).await.unwrap();
    assert_eq!(answers.len(), samples.len());
    for (sample, answer) in samples.iter().zip(&answers) {
        let SampleAnswer::Answered(answer) = answer else { panic!("{sample:?} not answered") };
        answer.verify(&cluster.config, sample).unwrap();
    }

    // Another node's shard, and a sliver it lost: missing.
    let foreign = cluster.nodes[1].shards[0];
    let lost_blob = ids[1];
    let lost_shard = node.shards[1];
    let lost_pair = mapping::pair_for_shard(lost_shard, &lost_blob, n);
    node.node.store().delete_blob_data(&lost_blob).unwrap();
    let asked = [
        ChallengeSample { blob_id: ids[0], shard: foreign, axis: SliverType::Primary, symbol: 1 },
        ChallengeSample { blob_id: lost_blob, shard: lost_shard, axis: SliverType::Secondary, symbol: 0 },
    ];
    let answers = client.challenge(&asked, TIMEOUT).await.unwrap();
    assert_eq!(answers, vec![SampleAnswer::Missing, SampleAnswer::Missing], "pair {lost_pair} was deleted");

    // Too many samples in one request: refused with 400.
    let too_many = vec![samples[0]; MAX_CHALLENGE_SAMPLES + 1];
    match client.challenge(&too_many, TIMEOUT).await {
        Err(NodeApiError::Status { status: 400 | 413, .. }) => {}
        other => panic!("an oversized challenge: {other:?}"),
    }

    // No verdicts signed yet for this epoch.
    assert!(client.challenge_outcomes(EPOCH, 2, None, TIMEOUT).await.unwrap().is_empty());
}

/// A reporter asks only for the verdicts on the nodes it is due to report: the node serves just
/// those, and refuses a list that is not node ids.
#[tokio::test]
async fn verdicts_are_served_for_the_nodes_asked_about() {
    use floe_encoder::messages::ChallengeOutcomeMessage;
    use floe_node::challenges::verdicts::Verdicts;
    let cluster = LocalCluster::start_with(&[2, 2], every_other_in_file).await.unwrap();
    let node = &cluster.nodes[0];
    let verdicts = Verdicts::of(&node.node);
    for id in [[1u8; 32], [2; 32], [3; 32]] {
        let signed = ChallengeOutcomeMessage { epoch: EPOCH, node_id: id, passed: true }.sign(&node.key);
        verdicts.keep(EPOCH, &id, signed).unwrap();
    }
    let client = NodeClient::new(reqwest::Client::new(), &node.url());
    let about_of = |signed: &floe_encoder::messages::SignedMessage| {
        ChallengeOutcomeMessage::from_bytes(&signed.serialized).unwrap().node_id
    };
    // (Three verdicts: answers are bounded by the committee's size, as if it had three members.)
    let all = client.challenge_outcomes(EPOCH, 3, None, TIMEOUT).await.unwrap();
    assert_eq!(all.len(), 3);
    let some = client.challenge_outcomes(EPOCH, 3, Some(&[[3; 32], [1; 32], [9; 32]]), TIMEOUT).await.unwrap();
    let mut ids: Vec<[u8; 32]> = some.iter().map(about_of).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![[1; 32], [3; 32]]);
    let url = format!("{}/v1/challenges/{EPOCH}/outcomes?about=0x01,nonsense", node.url());
    let answer = reqwest::get(url).await.unwrap();
    assert_eq!(answer.status(), 400);
    assert!(answer.text().await.unwrap().contains("about"));
}

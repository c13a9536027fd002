//! Storage challenges end to end, on a local network whose nodes challenge each other every
//! epoch: honest nodes pass every epoch and no failure is ever recorded; a node that silently
//! lost a tenth of its slivers fails the next epoch and its rewards for it are withheld; a node
//! down for a whole epoch fails that epoch.

use std::time::{Duration, Instant};

use floe_chain::floe::FloeEvent;
use floe_chain::floe::challenges::ChallengeState;
use floe_chain::floe::state::FloeReader;
use floe_client::{NoProgress, StoreOptions};
use floe_encoder::BlobId;
use floe_tests::{SMALL, TestNet, random_bytes};
use sui_sdk_types::Address;

/// How long outcomes may take to be recorded once an epoch starts.
const OUTCOMES_TIMEOUT: Duration = Duration::from_secs(120);

fn reader(net: &TestNet) -> FloeReader {
    FloeReader::new(net.localnet.chain(), net.localnet.deployment().clone())
}

/// Waits until `epoch`'s challenge state records an outcome for every one of `members` nodes.
async fn outcomes(net: &TestNet, epoch: u32, members: usize) -> ChallengeState {
    let reader = reader(net);
    let started = Instant::now();
    loop {
        let staking = reader.staking().await.expect("the staking object reads");
        assert_eq!(staking.epoch, epoch, "the epoch moved on while waiting for its outcomes");
        let state = staking.challenges;
        if state.epoch == epoch && state.passed.len() + state.failed.len() == members {
            return state;
        }
        assert!(
            started.elapsed() < OUTCOMES_TIMEOUT,
            "epoch {epoch}: only {} passed and {} failed of {members} recorded (window open: {})",
            state.passed.len(),
            state.failed.len(),
            state.seed.is_some()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until `epoch`'s window is open and `passes` outcomes are recorded (the members that
/// answer everything), then moves the chain's clock past the answer deadline (a quarter epoch
/// after the window opened), after which the others are judged on what they did not answer.
async fn pass_the_deadline(net: &TestNet, epoch: u32, passes: usize) {
    let reader = reader(net);
    let duration = reader.system().await.expect("the system object reads").epoch_duration_ms;
    let started = Instant::now();
    loop {
        let state = reader.staking().await.expect("the staking object reads").challenges;
        if state.epoch == epoch && state.seed.is_some() && state.passed.len() >= passes {
            break;
        }
        assert!(started.elapsed() < OUTCOMES_TIMEOUT, "epoch {epoch}: window or passes missing: {state:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    net.localnet.devnet().ledger().advance_clock(duration / 4 + 1_000);
}

/// Stores `count` blobs of a few sizes for 30 epochs; returns their ids.
async fn store_blobs(net: &TestNet, count: u64) -> Vec<BlobId> {
    let client = net.localnet.client().await.expect("a user client");
    let options = StoreOptions { epochs: 30, ..StoreOptions::default() };
    let mut ids = Vec::new();
    for seed in 0..count {
        let bytes = random_bytes(500 + (seed as usize % 5) * 7_000, 1_000 + seed);
        ids.push(client.store(bytes, &options, &NoProgress).await.expect("the store certifies").blob_id());
    }
    ids
}

/// The events of type `pick` in the checkpoints from `from` up to the chain's tip.
async fn events_since<T>(net: &TestNet, from: u64, pick: impl Fn(FloeEvent) -> Option<T>) -> Vec<T> {
    let chain = net.localnet.chain();
    let packages = net.localnet.deployment().packages;
    let tip = chain.service_info().await.expect("the chain answers").checkpoint_height;
    let mut found = Vec::new();
    for sequence_number in from..=tip {
        let checkpoint = chain.get_checkpoint(sequence_number).await.expect("checkpoints read").expect("below the tip");
        for event in checkpoint.transactions.iter().flat_map(|tx| &tx.events) {
            if let Some(picked) = FloeEvent::from_event(&packages, event).ok().and_then(&pick) {
                found.push(picked);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn honest_nodes_pass_every_epoch_and_no_failure_is_ever_recorded() {
    let net = TestNet::start(SMALL).await;
    store_blobs(&net, 6).await;
    let members = net.committee().await.members.len();
    let mut windows = Vec::new();
    for _ in 0..20 {
        let (epoch, _) = net.advance_epoch().await;
        let state = outcomes(&net, epoch, members).await;
        assert!(state.failed.is_empty(), "epoch {epoch}: honest nodes recorded as failing: {:?}", state.failed);
        let seed = state.seed.expect("the window is open");
        assert_eq!(seed.len(), 32);
        windows.push(seed);
    }
    windows.sort();
    windows.dedup();
    assert_eq!(windows.len(), 20, "a fresh seed every epoch");
    let withheld = events_since(&net, 0, |event| match event {
        FloeEvent::RewardsWithheld(e) => Some(e),
        _ => None,
    })
    .await;
    assert!(withheld.is_empty(), "rewards withheld from honest nodes: {withheld:?}");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_that_lost_a_tenth_of_its_slivers_fails_and_loses_its_rewards_and_a_node_down_fails_its_epoch() {
    let mut net = TestNet::start(SMALL).await;
    let blobs = store_blobs(&net, 20).await;
    let committee = net.committee().await;
    let members = committee.members.len();
    let index_of = |node_id: Address| {
        let member = committee.members.iter().find(|member| member.node_id == node_id).expect("a member");
        (0..net.localnet.n_nodes())
            .find(|i| net.localnet.node(*i).is_some_and(|node| node.node().public_key() == member.public_key))
            .expect("every member is a local node")
    };
    let (lossy, down) = (committee.members[1].node_id, committee.members[2].node_id);

    // Epoch 2: the blobs of epoch 1 are challenged, and every node holds them.
    let (epoch, _) = net.advance_epoch().await;
    let state = outcomes(&net, epoch, members).await;
    assert!(state.failed.is_empty(), "epoch {epoch}: {:?} failed", state.failed);

    // One node silently loses 2 of its 20 blobs: a tenth of its slivers.
    let lossy_node = net.localnet.node(index_of(lossy)).expect("running").node().clone();
    for blob_id in &blobs[..2] {
        lossy_node.store().delete_blob_data(blob_id).expect("the store deletes");
    }
    let (epoch, _) = net.advance_epoch().await;
    // It says it lacks them; nodes ask again until the deadline, then judge.
    pass_the_deadline(&net, epoch, members - 1).await;
    let state = outcomes(&net, epoch, members).await;
    assert_eq!(state.failed, vec![lossy], "epoch {epoch}: only the node that lost data fails");
    let failed_epoch = epoch;

    // Its rewards for that epoch are withheld when it ends; the others are paid.
    let before_change = net.localnet.chain().service_info().await.unwrap().checkpoint_height;
    // Another node goes down for the whole next epoch (the rest hold a quorum of shards).
    net.localnet.stop_node(index_of(down)).await.expect("the node stops");
    let (epoch, _) = net.advance_epoch().await;
    let withheld = events_since(&net, before_change, |event| match event {
        FloeEvent::RewardsWithheld(e) if e.epoch == failed_epoch => Some(e),
        _ => None,
    })
    .await;
    assert_eq!(withheld.len(), 1, "{withheld:?}");
    assert_eq!(withheld[0].node_id, lossy);
    assert!(withheld[0].amount > 0, "the epoch earned rewards");
    let paid = events_since(&net, before_change, |event| match event {
        FloeEvent::RewardsDistributed(e) if e.epoch == failed_epoch => Some(e.node_id),
        _ => None,
    })
    .await;
    assert_eq!(paid.len(), members - 1);
    assert!(!paid.contains(&lossy));

    // The node that is down answers nothing; once the answer deadline (a quarter epoch after
    // the window opened) passes on the chain's clock, it fails the epoch.
    pass_the_deadline(&net, epoch, members - 2).await;
    let state = outcomes(&net, epoch, members).await;
    assert!(state.failed.contains(&down), "epoch {epoch}: the node down all epoch did not fail: {state:?}");
    assert!(state.failed.contains(&lossy), "epoch {epoch}: the node still lacks its data");
    assert_eq!(state.passed.len(), members - 2, "{state:?}");
    net.shutdown().await;
}

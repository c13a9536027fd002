//! The network through epochs, end to end on an in-process local network of 7 storage nodes:
//! stake moves at every epoch (a candidate is staked into the committee, a member is unstaked out
//! of it, stake shifts between members), the committee and the shard assignment change, shards
//! migrate from their previous owners to their new ones — while a writer stores blobs and a
//! reader reads every certified blob back the whole time.
//!
//! Checked at every epoch change: the shards that moved are exactly as many as the assignment
//! rule requires (a node keeps its shards where it can: only growth moves shards); once the new
//! owners report their sync, every shard's slivers of every live blob are in its current owner's
//! store and no former owner keeps a shard it no longer holds. Over the whole run: no read of a
//! certified blob failed, every store certified.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use floe_chain::floe::staked_wal::StakedWalState;
use floe_chain::floe::state::CommitteeInfo;
use floe_client::{FloeClient, NoProgress, StoreOptions};
use floe_encoder::{BlobId, ShardIndex};
use floe_node::ChainView;
use floe_tests::{Shape, TestNet, random_bytes};
use sui_sdk_types::Address;
use tokio::sync::Mutex;

/// 7 nodes sharing 20 shards; 5 of them stay in the committee after the first change.
const SHAPE: Shape = Shape { nodes: 7, shards: 20 };
/// Epoch changes the test drives.
const EPOCH_CHANGES: usize = 12;
/// How long an epoch change, or the sync after it, may take.
const SYNC_TIMEOUT: Duration = Duration::from_secs(90);
/// 1 WAL in FROST.
const WAL: u64 = 1_000_000_000;

/// A blob stored so far: its id, bytes and end epoch.
type StoredBlob = (BlobId, Vec<u8>, u32);
/// Blobs stored so far, shared by the writer, the reader and the checks.
type Stored = Arc<Mutex<Vec<StoredBlob>>>;

/// The end epoch a store reached.
fn end_epoch(outcome: &floe_client::StoreOutcome) -> u32 {
    match outcome {
        floe_client::StoreOutcome::NewlyCreated { blob, .. } => blob.storage.end_epoch,
        floe_client::StoreOutcome::AlreadyCertified { end_epoch, .. } => *end_epoch,
    }
}

/// Shard -> node id.
fn holders(committee: &CommitteeInfo) -> BTreeMap<ShardIndex, Address> {
    committee
        .members
        .iter()
        .flat_map(|member| member.shards.iter().map(move |shard| (*shard, member.node_id)))
        .collect()
}

/// The fewest shards that can move from `before` to `after`: every shard a node gains must come
/// from another node, and a node that does not grow need gain none.
fn minimum_moves(before: &CommitteeInfo, after: &CommitteeInfo) -> usize {
    let count = |committee: &CommitteeInfo, node: Address| {
        committee.members.iter().find(|member| member.node_id == node).map_or(0, |member| member.shards.len())
    };
    after.members.iter().map(|member| member.shards.len().saturating_sub(count(before, member.node_id))).sum()
}

/// Waits until `more` blobs were stored after the moment of the call.
async fn wait_for_stores(stored: &Stored, more: usize) {
    let target = stored.lock().await.len() + more;
    let started = Instant::now();
    while stored.lock().await.len() < target {
        assert!(started.elapsed() < SYNC_TIMEOUT, "no {more} stores completed within {SYNC_TIMEOUT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The node index (localnet order) of every node id, from the genesis committee.
fn node_indices(net: &TestNet, genesis: &CommitteeInfo) -> BTreeMap<Address, usize> {
    genesis
        .members
        .iter()
        .map(|member| {
            let index = (0..net.localnet.n_nodes())
                .find(|i| net.localnet.node(*i).is_some_and(|node| node.node().public_key() == member.public_key))
                .expect("every member is a local node");
            (member.node_id, index)
        })
        .collect()
}

/// Waits until every node follows epoch `epoch`, holds every sliver of its shards for every blob
/// in `blobs`, and keeps no shard it does not hold (its new owner reported it received).
async fn wait_synced(net: &TestNet, committee: &CommitteeInfo, indices: &BTreeMap<Address, usize>, blobs: &[BlobId]) {
    let started = Instant::now();
    loop {
        let mut lagging = Vec::new();
        for (node_id, index) in indices {
            let running = net.localnet.node(*index).expect("every node runs");
            let node = running.node();
            if running.chain_state().current_epoch() < committee.epoch {
                lagging.push(format!("node {index} is still at epoch {}", running.chain_state().current_epoch()));
                continue;
            }
            let owned: BTreeSet<ShardIndex> = committee
                .members
                .iter()
                .find(|member| member.node_id == *node_id)
                .map(|member| member.shards.iter().copied().collect())
                .unwrap_or_default();
            for blob_id in blobs {
                let missing = node.missing_slivers(blob_id).expect("the store answers");
                if !missing.is_empty() {
                    lagging.push(format!("node {index} misses {} slivers of {blob_id}", missing.len()));
                }
            }
            let stored: BTreeSet<ShardIndex> =
                node.store().stored_shards().expect("the store answers").into_iter().collect();
            let extra: Vec<_> = stored.difference(&owned).collect();
            if !extra.is_empty() {
                lagging.push(format!("node {index} still keeps shards {extra:?} it no longer holds"));
            }
        }
        if lagging.is_empty() {
            return;
        }
        assert!(started.elapsed() < SYNC_TIMEOUT, "epoch {} did not sync: {}", committee.epoch, lagging.join("; "));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Asks to withdraw every stake operator `index` holds (its genesis stake with its own node).
async fn unstake_operator(net: &TestNet, index: usize) {
    // The node signs its epoch_sync_done with the same key: not at the same time.
    net.wait_for_duties(index).await;
    let key = net.localnet.config().node_operator(index);
    let client = FloeClient::connect(net.localnet.deployment().clone(), Some(key), Default::default())
        .await
        .expect("an operator client");
    let chain = client.chain().expect("a chain connection");
    let owner = chain.sender().expect("a signer");
    let stakes = chain.stakes(owner).await.expect("the operator's stakes");
    for stake in stakes.into_iter().filter(|stake| stake.state == StakedWalState::Staked) {
        chain.request_withdraw(stake.id).await.expect("the withdrawal request executes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stake_moves_every_epoch_and_no_certified_blob_becomes_unreadable() {
    let net = TestNet::start(SHAPE).await;
    let genesis = net.committee().await;
    let indices = node_indices(&net, &genesis);
    let node_id = |index: usize| *indices.iter().find(|(_, i)| **i == index).expect("a node").0;
    let user = Arc::new(net.localnet.client().await.expect("a user client"));
    let stored: Stored = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));

    // The writer: a blob every moment, for 2..5 epochs, some deletable.
    let writer = {
        let (user, stored, stop) = (user.clone(), stored.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut failures, mut straddled) = (Vec::new(), 0u32);
            let mut seed = 0u64;
            while !stop.load(Ordering::Relaxed) {
                seed += 1;
                let bytes = random_bytes(2_000 + (seed as usize % 7) * 9_000, seed);
                let options = StoreOptions {
                    epochs: 2 + (seed % 4) as u32,
                    deletable: seed.is_multiple_of(3),
                    ..StoreOptions::default()
                };
                match user.store(bytes.clone(), &options, &NoProgress).await {
                    Ok(outcome) => {
                        if let floe_client::StoreOutcome::NewlyCreated { blob, .. } = &outcome
                            && blob.certified_epoch.is_some_and(|certified| certified > blob.registered_epoch)
                        {
                            straddled += 1;
                        }
                        stored.lock().await.push((outcome.blob_id(), bytes, end_epoch(&outcome)));
                    }
                    Err(error) => failures.push(format!("store {seed}: {error}")),
                }
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            (failures, straddled)
        })
    };
    // The reader: every blob stored so far, again and again, while it is live. A blob whose last
    // epoch may end during the pass is left out. A pass can still outlast two epoch changes on
    // a loaded machine, so a failed read counts only if its blob was live from the start of the
    // pass to the end of the read: once the chain reaches a blob's end epoch, nodes drop it.
    let reader = {
        let (user, stored, stop) = (user.clone(), stored.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut failures, mut reads, mut expired) = (Vec::new(), 0u64, 0u64);
            let chain = user.chain().expect("a chain connection");
            let epoch_now = || async { chain.system().await.expect("the system state").epoch() };
            while !stop.load(Ordering::Relaxed) {
                let epoch = epoch_now().await;
                let blobs = stored.lock().await.clone();
                for (blob_id, bytes, end) in blobs.into_iter().filter(|(_, _, end)| *end > epoch + 1) {
                    reads += 1;
                    let failure = match user.read(&blob_id, &NoProgress).await {
                        Ok(read) if read == bytes => continue,
                        Ok(read) => format!("{} wrong bytes", read.len()),
                        Err(error) => error.to_string(),
                    };
                    let after = epoch_now().await;
                    if after >= end {
                        expired += 1;
                        continue;
                    }
                    failures.push(format!(
                        "read {blob_id} (end epoch {end}, pass from epoch {epoch}, failed at epoch {after}): {failure}"
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (reads, expired, failures)
        })
    };

    // Stake moves, one per epoch: nodes 5 and 6 leave (they become candidates without stake),
    // then candidates are staked in, members unstaked out, stake shifts between members.
    let mut moved_total = 0;
    for change in 0..EPOCH_CHANGES {
        match change {
            0 => {
                unstake_operator(&net, 5).await;
                unstake_operator(&net, 6).await;
            }
            1 => {
                net.stake(node_id(5), 1_000_000 * WAL).await;
            }
            2 => unstake_operator(&net, 4).await,
            3 => {
                net.stake(node_id(0), 2_000_000 * WAL).await;
            }
            4 => {
                net.stake(node_id(6), 1_500_000 * WAL).await;
            }
            5 => unstake_operator(&net, 1).await,
            6 => {
                net.stake(node_id(4), 3_000_000 * WAL).await;
            }
            7 => {
                net.stake(node_id(2), 2_500_000 * WAL).await;
            }
            8 => {
                net.stake(node_id(1), 800_000 * WAL).await;
            }
            9 => unstake_operator(&net, 3).await,
            10 => {
                net.stake(node_id(3), 4_000_000 * WAL).await;
            }
            _ => {
                net.stake(node_id(6), 3_000_000 * WAL).await;
            }
        }
        // Each epoch sees stores complete before it ends (and others straddle the change).
        wait_for_stores(&stored, 2).await;
        let before = net.committee().await;
        let (epoch, _) = net.advance_epoch().await;
        let after = net.committee().await;
        assert_eq!(after.epoch, epoch);
        let (old, new) = (holders(&before), holders(&after));
        let moved = new.iter().filter(|(shard, holder)| old.get(*shard) != Some(*holder)).count();
        assert_eq!(moved, minimum_moves(&before, &after), "epoch {epoch}: shards moved beyond the minimum");
        moved_total += moved;
        // Blobs stored for few epochs expire on the way; the live ones must be held.
        let live: Vec<BlobId> =
            stored.lock().await.iter().filter(|(_, _, end)| *end > epoch).map(|(id, _, _)| *id).collect();
        wait_synced(&net, &after, &indices, &live).await;
        eprintln!(
            "epoch {epoch}: {} members, {moved} shards moved, {} live blobs synced",
            after.members.len(),
            live.len()
        );
    }
    stop.store(true, Ordering::Relaxed);
    let (store_failures, straddled) = writer.await.expect("the writer ran");
    let (reads, expired, read_failures) = reader.await.expect("the reader ran");
    assert!(moved_total > 0, "the stake moves moved no shard");
    assert!(store_failures.is_empty(), "stores failed: {store_failures:#?}");
    assert!(read_failures.is_empty(), "reads failed ({} of {reads}): {read_failures:#?}", read_failures.len());
    assert!(stored.lock().await.len() >= EPOCH_CHANGES, "too few stores to mean anything");
    eprintln!(
        "{} blobs stored ({straddled} registered in one epoch, certified in a later one), {reads} reads \
         ({expired} failed because their blob expired during the pass)",
        stored.lock().await.len()
    );

    // The stakes: the user's stake with node 5, in the committee since epoch 3, earned rewards
    // from the storage fees; operator 5, unstaked at epoch 1, withdraws its principal and the
    // rewards of epoch 1.
    let user_stakes =
        user.chain().expect("a chain connection").stakes(net.localnet.user_key().address()).await.expect("stakes");
    let with_5 = user_stakes.iter().find(|stake| stake.node_id == node_id(5)).expect("the user's stake with node 5");
    assert!(with_5.value > with_5.principal, "no rewards on {with_5:?}");
    net.wait_for_duties(5).await;
    let operator_5 = net.localnet.config().node_operator(5);
    let client = FloeClient::connect(net.localnet.deployment().clone(), Some(operator_5.clone()), Default::default())
        .await
        .expect("an operator client");
    let chain = client.chain().expect("a chain connection");
    let withdrawing = chain.stakes(operator_5.address()).await.expect("stakes").into_iter().next().expect("a stake");
    let paid = chain.withdraw(withdrawing.id).await.expect("the withdrawal completes");
    assert!(paid >= withdrawing.principal, "paid {paid} for a principal of {}", withdrawing.principal);
    assert!(chain.stakes(operator_5.address()).await.expect("stakes").is_empty());
    net.shutdown().await;
}

/// Waits until node `index` holds every sliver of its shards for every blob in `blobs`.
async fn wait_holds(net: &TestNet, index: usize, blobs: &[BlobId]) {
    let started = Instant::now();
    let node = net.localnet.node(index).expect("the node runs").node().clone();
    loop {
        let mut missing = 0;
        for blob_id in blobs {
            missing += node.missing_slivers(blob_id).expect("the store answers").len();
        }
        if missing == 0 {
            return;
        }
        assert!(started.elapsed() < SYNC_TIMEOUT, "node {index} still misses {missing} slivers");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_whose_previous_owner_is_down_is_recovered_from_the_rest_of_the_committee() {
    let mut net = TestNet::start(floe_tests::SMALL).await;
    let genesis = net.committee().await;
    let indices = node_indices(&net, &genesis);
    let index_of = |node: Address| indices[&node];
    let client = net.localnet.client().await.expect("a user client");
    let mut blobs = Vec::new();
    for seed in 0..3 {
        let bytes = random_bytes(30_000 + seed * 1_000, seed as u64);
        let options = StoreOptions { epochs: 4, ..StoreOptions::default() };
        let outcome = client.store(bytes.clone(), &options, &NoProgress).await.expect("the store certifies");
        blobs.push((outcome.blob_id(), bytes));
    }
    // Three times the stake of the others: the gainer goes from 3 to 6 of the 12 shards, one
    // from each other node.
    let gainer = genesis.members[0].node_id;
    net.stake(gainer, 2_000_000 * WAL).await;
    let before = holders(&genesis);
    // The previous owner of one of the shards the gainer will take is down during the change.
    // Every other node gives up one shard (it keeps its lowest ones); member 1 is stopped.
    let gained_from = genesis.members[1].node_id;
    net.localnet.stop_node(index_of(gained_from)).await.expect("the node stops");
    net.advance_epoch().await;
    let after = net.committee().await;
    let moved: Vec<ShardIndex> = holders(&after)
        .into_iter()
        .filter(|(shard, holder)| *holder == gainer && before[shard] != gainer)
        .map(|(shard, _)| shard)
        .collect();
    assert_eq!(moved.len(), 3, "the gainer took 3 shards");
    assert!(moved.iter().any(|shard| before[shard] == gained_from), "one came from the stopped node");
    let ids: Vec<BlobId> = blobs.iter().map(|(id, _)| *id).collect();
    wait_holds(&net, index_of(gainer), &ids).await;
    for (blob_id, bytes) in &blobs {
        assert_eq!(&client.read(blob_id, &NoProgress).await.expect("the blob reads"), bytes);
    }
    net.shutdown().await;
}

/// The simplest life of a committee: at genesis every shard is held by exactly one node, and
/// each node knows its own; each epoch change waits for the nodes' `epoch_sync_done` reports
/// (`advance_epoch` retries until the chain accepts it), and every node follows the change,
/// does its duties for the new epoch and keeps following.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_follow_each_epoch_change_and_report_their_sync_of_it() {
    let net = TestNet::start(floe_tests::SMALL).await;
    let n = net.localnet.n_nodes();
    let mut held: Vec<u16> =
        (0..n).flat_map(|i| net.localnet.node(i).unwrap().node().owned_shards()).map(|s| s.0).collect();
    held.sort_unstable();
    assert_eq!(held, (0..floe_tests::SMALL.shards).collect::<Vec<u16>>(), "each shard held once at genesis");
    for i in 0..n {
        assert!(!net.localnet.node(i).unwrap().node().owned_shards().is_empty(), "node {i} holds shards");
    }
    let genesis = net.localnet.node(0).unwrap().chain_state().current_epoch();
    for expected in [genesis + 1, genesis + 2] {
        let (epoch, _) = net.advance_epoch().await;
        assert_eq!(epoch, expected);
        for i in 0..n {
            let node = net.localnet.node(i).unwrap();
            let started = Instant::now();
            while node.chain_state().current_epoch() != epoch {
                assert!(started.elapsed() < SYNC_TIMEOUT, "node {i} never reached epoch {epoch}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            net.wait_for_duties(i).await;
            assert!(!node.follower_stopped(), "node {i}'s follower stopped");
        }
    }
    net.shutdown().await;
}

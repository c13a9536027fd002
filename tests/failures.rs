//! The promises that hold when parts of the network fail: f nodes down during a store and
//! during a read, a node that missed an upload (or was restarted during it) ending up with its
//! slivers, and a deleted blob no longer being served.

use std::time::Duration;

use floe_client::{NoProgress, StoreOptions};
use floe_tests::{SMALL, TestNet, random_bytes};

/// How long background work (a node following the chain, recovering) may take in a test.
const SETTLE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_stored_with_f_nodes_down_reads_back_with_another_f_down() {
    // 4 nodes of 3 shards over 12 shards: f = 3 shards, one whole node.
    let mut net = TestNet::start(SMALL).await;
    net.localnet.stop_node(0).await.unwrap();
    let client = net.localnet.client().await.unwrap();
    let blob = random_bytes(300_000, 11);
    let stored = client.store(blob.clone(), &StoreOptions::default(), &NoProgress).await.unwrap();

    net.localnet.restart_node(0).await.unwrap();
    net.localnet.stop_node(3).await.unwrap();
    let read = client.read(&stored.blob_id(), &NoProgress).await.unwrap();
    assert!(read == blob, "the blob read back differs");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_missed_the_upload_recovers_its_slivers_after_certification() {
    let mut net = TestNet::start(SMALL).await;
    net.localnet.stop_node(1).await.unwrap();
    let client = net.localnet.client().await.unwrap();
    let stored = client.store(random_bytes(200_000, 12), &StoreOptions::default(), &NoProgress).await.unwrap();
    let blob_id = stored.blob_id();

    net.localnet.restart_node(1).await.unwrap();
    let node = net.localnet.node(1).unwrap().node().clone();
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let missing = node.missing_slivers(&blob_id).unwrap();
        if missing.is_empty() && node.has_metadata(&blob_id).unwrap() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "node 1 still misses {} slivers", missing.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Its slivers are the real ones: they verify against the metadata when read from it alone
    // together with its peers.
    let read = client.read(&blob_id, &NoProgress).await.unwrap();
    assert_eq!(read, random_bytes(200_000, 12));
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_blob_is_no_longer_served() {
    let net = TestNet::start(SMALL).await;
    let client = net.localnet.client().await.unwrap();
    let options = StoreOptions { deletable: true, ..StoreOptions::default() };
    let stored = client.store(random_bytes(50_000, 13), &options, &NoProgress).await.unwrap();
    let blob_id = stored.blob_id();
    let floe_client::StoreOutcome::NewlyCreated { blob, .. } = stored else { panic!("a new blob") };
    client.read(&blob_id, &NoProgress).await.unwrap();

    client.chain().unwrap().delete(blob.id).await.unwrap();
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let served = (0..net.localnet.n_nodes())
            .filter(|i| net.localnet.node(*i).unwrap().node().has_metadata(&blob_id).unwrap())
            .count();
        if served == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{served} nodes still hold the deleted blob");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(client.read(&blob_id, &NoProgress).await.is_err(), "a deleted blob was read");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarted_mid_upload_ends_up_with_all_its_slivers() {
    let mut net = TestNet::start(SMALL).await;
    let client = std::sync::Arc::new(net.localnet.client().await.unwrap());
    let blob = random_bytes(3 * 1024 * 1024, 14);
    let store = {
        let (client, blob) = (client.clone(), blob.clone());
        tokio::spawn(async move { client.store(blob, &StoreOptions::default(), &NoProgress).await })
    };
    // Whatever point of the upload the restart hits (before, during or after node 2's share),
    // the store completes and node 2 ends up holding its slivers, by the client's retries or by
    // recovery from its peers after certification.
    tokio::time::sleep(Duration::from_millis(50)).await;
    net.localnet.restart_node(2).await.unwrap();
    let stored = store.await.unwrap().unwrap();
    let blob_id = stored.blob_id();

    let node = net.localnet.node(2).unwrap().node().clone();
    let deadline = tokio::time::Instant::now() + SETTLE;
    while !(node.has_metadata(&blob_id).unwrap() && node.missing_slivers(&blob_id).unwrap().is_empty()) {
        assert!(tokio::time::Instant::now() < deadline, "node 2 never got its slivers back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(client.read(&blob_id, &NoProgress).await.unwrap() == blob);
    net.shutdown().await;
}

//! Storing and reading on a local network of 10 nodes and 100 shards: what goes in comes out,
//! under the id anyone can compute offline, and a blob already certified is not paid twice.

use floe_client::{NoProgress, StoreOptions, StoreOutcome};
use floe_encoder::EncodingConfig;
use floe_tests::{DEFAULT, TestNet, random_bytes};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_of_0_b_1_b_and_a_few_mib_read_back_identical_under_their_offline_blob_id() {
    let net = TestNet::start(DEFAULT).await;
    let client = net.localnet.client().await.unwrap();
    let config = EncodingConfig::new(DEFAULT.shards).unwrap();
    for (seed, len) in [(1, 0), (2, 1), (3, 3 * 1024 * 1024 + 17)] {
        let blob = random_bytes(len, seed);
        let stored = client.store(blob.clone(), &StoreOptions::default(), &NoProgress).await.unwrap();
        assert!(matches!(stored, StoreOutcome::NewlyCreated { .. }), "{len} B: {stored:?}");
        let offline = floe_encoder::encode::compute_metadata(&config, &blob).unwrap();
        assert_eq!(stored.blob_id(), *offline.blob_id(), "{len} B: blob id differs from the offline one");
        let read = client.read(&stored.blob_id(), &NoProgress).await.unwrap();
        assert_eq!(read.len(), len);
        assert!(read == blob, "{len} B: the blob read back differs");
    }
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storing_a_certified_blob_again_pays_nothing() {
    let net = TestNet::start(DEFAULT).await;
    let client = net.localnet.client().await.unwrap();
    let chain = client.chain().unwrap();
    let user = net.localnet.user_key().address();
    let blob = random_bytes(100_000, 7);
    let first = client.store(blob.clone(), &StoreOptions::default(), &NoProgress).await.unwrap();
    assert!(matches!(first, StoreOutcome::NewlyCreated { .. }));
    let balance = chain.wal_balance(user).await.unwrap();
    let second = client.store(blob, &StoreOptions::default(), &NoProgress).await.unwrap();
    assert!(matches!(second, StoreOutcome::AlreadyCertified { .. }), "{second:?}");
    assert_eq!(second.blob_id(), first.blob_id());
    assert_eq!(chain.wal_balance(user).await.unwrap(), balance, "the second store paid");
    net.shutdown().await;
}

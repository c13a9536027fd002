//! Storing and reading on a local network of 10 nodes and 100 shards: what goes in comes out,
//! under the id anyone can compute offline, and a blob already certified is not paid twice.

use std::{sync::Arc, time::Duration};

use floe_client::{
    BatchStoreError, FloeClient, NoProgress, PhaseTimes, Settings, SpillOptions, StoreError, StoreOptions,
    StoreOutcome, StorePhase,
};
use floe_encoder::EncodingConfig;
use floe_tests::{DEFAULT, SMALL, TestNet, random_bytes};

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
    let before = chain.wal_balance(user).await.unwrap();
    let options = StoreOptions { epochs: 3, ..StoreOptions::default() };
    let first = client.store(blob.clone(), &options, &NoProgress).await.unwrap();
    let StoreOutcome::NewlyCreated { blob: created, price, .. } = &first else { panic!("a new blob: {first:?}") };
    // The first store paid exactly its price, and its Blob is certified this epoch, for the
    // epochs asked, permanent (the default).
    let balance = chain.wal_balance(user).await.unwrap();
    assert!(price.total() > 0);
    assert_eq!(before - balance, price.total(), "the first store paid exactly its price");
    let epoch = chain.system().await.unwrap().epoch();
    assert_eq!(created.certified_epoch, Some(epoch));
    assert_eq!(created.storage.end_epoch, epoch + 3);
    assert!(!created.deletable);
    let second = client.store(blob, &options, &NoProgress).await.unwrap();
    assert!(matches!(second, StoreOutcome::AlreadyCertified { .. }), "{second:?}");
    assert_eq!(second.blob_id(), first.blob_id());
    assert_eq!(chain.wal_balance(user).await.unwrap(), balance, "the second store paid");
    // What a store asks the nodes before paying for bytes someone else stored: certified until
    // the end epoch, not one later; an unknown blob is not.
    let end = created.storage.end_epoch;
    assert_eq!(client.certified_until_at_least(&created.blob_id, end).await, Some(end));
    assert_eq!(client.certified_until_at_least(&created.blob_id, end + 1).await, None);
    let unknown = floe_encoder::encode::compute_metadata(client.committee().config(), b"never stored").unwrap();
    assert_eq!(client.certified_until_at_least(unknown.blob_id(), end).await, None);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_101_blobs_is_certified_in_two_transactions_and_reads_back() {
    let net = floe_tests::TestNet::start(floe_tests::SMALL).await;
    let client = net.localnet.client().await.unwrap();
    let chain = client.chain().unwrap();
    let user = net.localnet.user_key().address();
    let blobs: Vec<Vec<u8>> = (0..101).map(|i| random_bytes(100 + i, 9_000 + i as u64)).collect();
    let balance = chain.wal_balance(user).await.unwrap();
    let options = StoreOptions { epochs: 2, ..StoreOptions::default() };
    let stored = client.store_batch(blobs.clone(), &options, 8).await.unwrap();
    assert_eq!(stored.len(), 101);
    let paid: u64 = stored.iter().map(|blob| blob.price.total()).sum();
    assert_eq!(balance - chain.wal_balance(user).await.unwrap(), paid, "each blob paid its price, once");
    let objects: std::collections::BTreeSet<_> = stored.iter().map(|blob| blob.object_id).collect();
    assert_eq!(objects.len(), 101, "one Blob object per blob");
    let mut certifying = std::collections::BTreeSet::new();
    for (i, blob) in stored.iter().enumerate() {
        let (on_chain, _) = chain.blob(blob.object_id).await.unwrap();
        assert_eq!((on_chain.blob_id, on_chain.is_certified()), (blob.blob_id, true), "blob {i}");
        certifying.insert(chain.client().get_object(blob.object_id).await.unwrap().previous_transaction());
    }
    // The last transaction to touch each Blob certified it: 100 in one, the 101st in another.
    assert_eq!(certifying.len(), 2, "{certifying:?}");
    for i in [0, 57, 100] {
        let read = client.read(&stored[i].blob_id, &NoProgress).await.unwrap();
        assert!(read == blobs[i], "blob {i} reads back");
    }
    net.shutdown().await;
}

/// The uploads of a batch start alongside its register transaction; when that fails (here the
/// key holds 1 FROST of WAL), the batch ends with the chain's error instead of waiting on its
/// uploads, and nothing is paid or registered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_whose_registration_fails_ends_with_the_chain_error_and_pays_nothing() {
    let net = TestNet::start(SMALL).await;
    let funded = net.localnet.client().await.unwrap();
    let funded_chain = funded.chain().unwrap();
    let key = floe_chain::Keypair::generate();
    let owner = key.address();
    funded_chain.send_sui(owner, 10_000_000_000).await.unwrap();
    funded_chain.send_wal(owner, 1).await.unwrap();
    let poor = FloeClient::connect(net.localnet.deployment().clone(), Some(key), Settings::default()).await.unwrap();
    let blobs: Vec<Vec<u8>> = (0..3).map(|i| random_bytes(1_000 + i, 300 + i as u64)).collect();
    let error = poor.store_batch(blobs, &StoreOptions::default(), 2).await.unwrap_err();
    assert!(matches!(error, BatchStoreError::Chain(_)), "{error:?}");
    let chain = poor.chain().unwrap();
    assert_eq!(chain.wal_balance(owner).await.unwrap(), 1, "nothing was paid");
    assert!(chain.blobs_of(owner).await.unwrap().is_empty(), "nothing was registered");
    net.shutdown().await;
}

/// `store_file` from the spill threshold on: the file is encoded to a spill file and its slivers
/// uploaded from there; the blob id is the offline one, the blob reads back identical, and the
/// spill directory is empty afterwards, whether the store succeeded or failed. Below the
/// threshold the same holds for a file read into memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_stored_through_a_spill_file_reads_back_identical_and_leaves_no_scratch_file() {
    let mut net = TestNet::start(SMALL).await;
    let client = net.localnet.client().await.unwrap();
    let config = EncodingConfig::new(SMALL.shards).unwrap();
    let files = tempfile::tempdir().unwrap();
    let spill_dir = tempfile::tempdir().unwrap();
    let spill = SpillOptions { threshold: 0, dir: spill_dir.path().to_owned() };
    let spill_files = || std::fs::read_dir(spill_dir.path()).unwrap().count();
    // From the threshold on through a spill file; below it (the last two) read straight into the
    // encoder's memory.
    let in_memory = SpillOptions { threshold: u64::MAX, ..spill.clone() };
    for (seed, len, how) in
        [(11, 0, &spill), (12, 2 * 1024 * 1024 + 5, &spill), (14, 1, &in_memory), (15, 3 << 20, &in_memory)]
    {
        let blob = random_bytes(len, seed);
        let path = files.path().join(format!("{len}.bin"));
        std::fs::write(&path, &blob).unwrap();
        let stored = client.store_file(&path, how, &StoreOptions::default(), &NoProgress).await.unwrap();
        assert!(matches!(stored, StoreOutcome::NewlyCreated { .. }), "{len} B: {stored:?}");
        let offline = floe_encoder::encode::compute_metadata(&config, &blob).unwrap();
        assert_eq!(stored.blob_id(), *offline.blob_id(), "{len} B: blob id differs from the offline one");
        assert!(client.read(&stored.blob_id(), &NoProgress).await.unwrap() == blob, "{len} B: read back differs");
        assert_eq!(spill_files(), 0, "a spill file was left behind");
    }

    let missing = files.path().join("missing.bin");
    let error = client.store_file(&missing, &spill, &StoreOptions::default(), &NoProgress).await.unwrap_err();
    assert!(matches!(&error, StoreError::ReadFile { path, .. } if *path == missing), "{error}");

    // Two of the four nodes (6 of 12 shards) gone: the upload cannot reach a quorum, so the store
    // fails after paying, and still leaves no spill file.
    net.localnet.stop_node(2).await.unwrap();
    net.localnet.stop_node(3).await.unwrap();
    let settings = Settings {
        store_attempts: 1,
        quorum_grace: floe_client::settings::Grace::fixed(Duration::ZERO),
        ..Settings::default()
    };
    let client =
        FloeClient::connect(net.localnet.deployment().clone(), Some(net.localnet.user_key()), settings).await.unwrap();
    let path = files.path().join("unlucky.bin");
    std::fs::write(&path, random_bytes(100_000, 13)).unwrap();
    let error = client.store_file(&path, &spill, &StoreOptions::default(), &NoProgress).await.unwrap_err();
    assert!(matches!(error, StoreError::NotCertified { .. }), "{error}");
    assert_eq!(spill_files(), 0, "a failed store left a spill file behind");
    net.shutdown().await;
}

/// The blobs whose data the nodes held before seeing their registration, over all nodes.
fn held_then_stored(net: &TestNet, nodes: usize) -> u64 {
    (0..nodes).map(|i| net.localnet.node(i).expect("the node runs").node().pending().blobs_taken()).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_uploads_alongside_its_registration_and_nodes_that_hold_nothing_get_the_data_after_it() {
    // The nodes hold data sent before the registration: the upload overlaps the transaction.
    let net = TestNet::start(SMALL).await;
    let client = net.localnet.client().await.unwrap();
    for (seed, deletable) in [(11, false), (12, true)] {
        let blob = random_bytes(200_000, seed);
        let options = StoreOptions { deletable, ..StoreOptions::default() };
        let stored = client.store(blob.clone(), &options, &NoProgress).await.unwrap();
        assert!(matches!(stored, StoreOutcome::NewlyCreated { .. }), "{stored:?}");
        assert!(client.read(&stored.blob_id(), &NoProgress).await.unwrap() == blob);
    }
    // Sent at once, the metadata reaches the nodes long before the register transaction has
    // executed (it takes several round trips to the chain).
    let held = held_then_stored(&net, SMALL.nodes);
    assert!(held > 0, "no node held anything sent before the registration");
    // A client told to wait for the registration sends nothing before it.
    let settings = Settings { upload_before_registration: false, ..Settings::default() };
    let waiting =
        FloeClient::connect(net.localnet.deployment().clone(), Some(net.localnet.user_key()), settings).await.unwrap();
    let blob = random_bytes(200_000, 15);
    let stored = waiting.store(blob.clone(), &StoreOptions::default(), &NoProgress).await.unwrap();
    assert!(waiting.read(&stored.blob_id(), &NoProgress).await.unwrap() == blob);
    assert_eq!(held_then_stored(&net, SMALL.nodes), held, "data was held for a client that waits");
    net.shutdown().await;

    // Nodes that hold nothing (bound 0) refuse with 503; the data goes again once registered.
    let net = TestNet::start_configured(SMALL, |config| config.node_limits.pending_upload_mib = 0).await;
    let client = net.localnet.client().await.unwrap();
    for (seed, deletable) in [(13, false), (14, true)] {
        let blob = random_bytes(200_000, seed);
        let options = StoreOptions { deletable, ..StoreOptions::default() };
        let stored = client.store(blob.clone(), &options, &NoProgress).await.unwrap();
        let StoreOutcome::NewlyCreated { blob: created, .. } = &stored else { panic!("a new blob: {stored:?}") };
        assert!(created.certified_epoch.is_some());
        assert!(client.read(&stored.blob_id(), &NoProgress).await.unwrap() == blob);
    }
    assert_eq!(held_then_stored(&net, SMALL.nodes), 0);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_detaching_its_tail_answers_once_certified_and_its_upload_to_a_silent_node_ends_with_the_grace_period()
{
    // 4 nodes of 3 shards: the other three are a quorum. Node 3 is replaced by a listener that
    // takes connections and never answers (a node that refuses connections is not waited for at
    // all once the blob is certified: `client/tests/store_read.rs`), so only the grace period
    // ends its upload.
    let mut net = TestNet::start(SMALL).await;
    let silent_url = net.localnet.node_urls()[3].clone();
    net.localnet.stop_node(3).await.expect("the node stops");
    let address = silent_url.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
    let silent = tokio::net::TcpListener::bind(address).await.expect("the stopped node's port is free");
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let settings = Settings {
        store_attempts: 1000,
        retry_delay: Duration::from_millis(100),
        quorum_grace: floe_client::settings::Grace::fixed(Duration::from_secs(4)),
        ..Settings::default()
    };
    let client =
        FloeClient::connect(net.localnet.deployment().clone(), Some(net.localnet.user_key()), settings).await.unwrap();
    let client = Arc::new(client);

    let blob = random_bytes(100_000, 21);
    let phases = Arc::new(PhaseTimes::default());
    let stored = client.store_detaching_tail(blob.clone(), StoreOptions::default(), phases.clone()).await.unwrap();
    let StoreOutcome::NewlyCreated { blob: created, .. } = &stored else { panic!("a new blob: {stored:?}") };
    assert!(created.certified_epoch.is_some(), "answered before the blob was certified: {created:?}");
    assert!(phases.took(StorePhase::Certify).is_some());
    assert_eq!(phases.took(StorePhase::Stragglers), None, "the answer waited for the node that is down");
    // The upload to the node that is down goes on without the caller, and ends with the grace
    // period: the tail reports its phase then.
    let tail_ended = async {
        while phases.took(StorePhase::Stragglers).is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), tail_ended).await.expect("the detached tail ends");
    assert!(client.read(&stored.blob_id(), &NoProgress).await.unwrap() == blob);

    // A plain store answers only after the grace period.
    let waited = PhaseTimes::default();
    let stored = client.store(random_bytes(100_000, 22), &StoreOptions::default(), &waited).await.unwrap();
    assert!(matches!(stored, StoreOutcome::NewlyCreated { .. }), "{stored:?}");
    assert!(waited.took(StorePhase::Stragglers).is_some(), "a plain store answered before its grace period ended");

    // With no room for a detached tail, the store keeps its tail and answers after it.
    let settings = Settings { max_detached_tails: 0, ..client.settings().clone() };
    let client =
        FloeClient::connect(net.localnet.deployment().clone(), Some(net.localnet.user_key()), settings).await.unwrap();
    let kept = Arc::new(PhaseTimes::default());
    let stored = Arc::new(client)
        .store_detaching_tail(random_bytes(100_000, 23), StoreOptions::default(), kept.clone())
        .await
        .unwrap();
    assert!(matches!(stored, StoreOutcome::NewlyCreated { .. }), "{stored:?}");
    assert!(kept.took(StorePhase::Stragglers).is_some(), "a tail was detached beyond the bound");
    holder.abort();
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_resumes_a_registration_made_after_its_client_listed_the_keys_blobs_and_skips_one_given_away() {
    let net = TestNet::start(SMALL).await;
    let client = net.localnet.client().await.unwrap();
    let chain = client.chain().unwrap();
    // The first store lists the key's `Blob` objects; the client keeps that listing.
    client.store(random_bytes(1000, 31), &StoreOptions::default(), &NoProgress).await.unwrap();

    // Then two stores stop after paying: registered through the same client, never certified.
    let config = *client.committee().config();
    let system = chain.system().await.unwrap();
    let register = |blob: &[u8]| {
        let encoded = floe_encoder::encode(&config, blob).unwrap();
        let price = floe_client::Price::of(&system, &config, blob.len() as u64, 1).unwrap();
        async move { chain.register(encoded.metadata.metadata(), &price, false).await.unwrap() }
    };
    let (kept, given) = (random_bytes(50_000, 32), random_bytes(50_000, 33));
    let kept_object = *register(&kept).await.object.object_id();
    let given_object = *register(&given).await.object.object_id();
    chain.transfer_object(given_object, sui_sdk_types::Address::new([0x77; 32])).await.unwrap();

    // The registration kept is resumed, found without listing again.
    let stored = client.store(kept.clone(), &StoreOptions::default(), &NoProgress).await.unwrap();
    let StoreOutcome::NewlyCreated { blob: created, resumed, .. } = &stored else { panic!("a new blob: {stored:?}") };
    assert!(*resumed, "paid again instead of resuming: {stored:?}");
    assert_eq!(created.id, kept_object);
    assert!(created.certified_epoch.is_some());
    // The one given away is read as it is now, no longer the key's: the store pays for its own.
    let stored = client.store(given.clone(), &StoreOptions::default(), &NoProgress).await.unwrap();
    let StoreOutcome::NewlyCreated { blob: created, resumed, .. } = &stored else { panic!("a new blob: {stored:?}") };
    assert!(!*resumed, "resumed an object the key gave away: {stored:?}");
    assert_ne!(created.id, given_object);
    assert!(client.read(&stored.blob_id(), &NoProgress).await.unwrap() == given);
    net.shutdown().await;
}

//! The client lives through epoch changes: a blob registered in one epoch is certified in the
//! next (the same `Blob` object, paid for once), also when the change moved shards between
//! nodes, and every blob reads back identical afterwards through the SDK and the aggregator,
//! even with a node that gained shards stopped, and a stream opened before the change reads on
//! from the new committee.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use floe_chain::MoveAbort;
use floe_chain::floe::aborts::rule_of;
use floe_chain::floe::messages::is_incorrect_epoch;
use floe_chain::floe::state::{CommitteeInfo, FloeReader};
use floe_client::{
    ChainError, FloeClient, NoProgress, Price, Progress, ProgressEvent, ReadBudget, Settings, StorageCommittee,
    StoreOptions, StoreOutcome,
};
use floe_encoder::{BlobId, EncodedBlob, encode, messages::BlobPersistence};
use floe_tests::{SMALL, TestNet, random_bytes};
use sui_sdk_types::Address;

fn reader(net: &TestNet) -> FloeReader {
    FloeReader::new(net.localnet.chain(), net.localnet.deployment().clone())
}

fn shards_by_node(committee: &CommitteeInfo) -> HashMap<Address, Vec<u16>> {
    committee.members.iter().map(|member| (member.node_id, member.shards.iter().map(|s| s.0).collect())).collect()
}

/// `data` encoded for the client's committee and registered (paid for) for `epochs`, without
/// any upload: returns the encoding, the `Blob` object id and the price paid.
async fn register(client: &FloeClient, data: &[u8], epochs: u32) -> (EncodedBlob, Address, Price) {
    let access = client.chain().expect("a signing client");
    let system = access.system().await.expect("the system state");
    let config = *client.committee().config();
    let encoded = encode(&config, data).expect("the blob encodes");
    let price = Price::of(&system, &config, data.len() as u64, epochs).expect("a price");
    let registered = access.register(encoded.metadata.metadata(), &price, false).await.expect("the registration");
    (encoded, *registered.object.object_id(), price)
}

/// Whether `abort` is `bls_aggregate::ENotEnoughStake`: a certificate whose signers do not hold
/// a quorum of the committee's shards.
fn is_not_enough_stake(abort: &MoveAbort) -> bool {
    rule_of(abort).is_some_and(|rule| rule.module == "bls_aggregate" && rule.name == "ENotEnoughStake")
}

/// Reads `blob_id` through the aggregator.
async fn aggregator_read(net: &TestNet, blob_id: &BlobId) -> Vec<u8> {
    let url = format!("{}/v1/blobs/{blob_id}", net.localnet.daemon_url().expect("the daemon runs"));
    let answer = reqwest::get(&url).await.expect("the aggregator answers");
    assert!(answer.status().is_success(), "GET {url}: {}", answer.status());
    answer.bytes().await.expect("a body").to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_registered_before_an_epoch_change_is_certified_after_it_and_paid_once() {
    let net = TestNet::start(SMALL).await;
    let client = net.localnet.client().await.expect("a client");
    let access = client.chain().expect("a signing client");
    let user = net.localnet.user_key().address();
    let registered_in = access.system().await.expect("the system state").epoch();

    let data = random_bytes(30_000, 1);
    let wal_before = access.wal_balance(user).await.expect("a balance");
    let (encoded, object_id, price) = register(&client, &data, 3).await;
    let wal_registered = access.wal_balance(user).await.expect("a balance");
    assert_eq!(wal_before - wal_registered, price.total());

    // Equal stakes: the same shards, but a new epoch, which alone voids confirmations of the old.
    let (epoch, _) = net.advance_epoch().await;
    assert_eq!(epoch, registered_in + 1);

    let blob = client.certify_registered(&encoded, object_id, BlobPersistence::Permanent, &NoProgress).await.unwrap();
    assert_eq!(blob.id, object_id);
    assert_eq!(blob.blob_id, *encoded.metadata.blob_id());
    assert_eq!(blob.registered_epoch, registered_in);
    assert_eq!(blob.certified_epoch, Some(epoch));
    assert_eq!(access.wal_balance(user).await.expect("a balance"), wal_registered, "WAL was paid again");
    assert_eq!(client.committee().epoch(), epoch, "the client moved to the new committee");

    // Resuming a certified registration changes nothing.
    let again = client.certify_registered(&encoded, object_id, BlobPersistence::Permanent, &NoProgress).await.unwrap();
    assert_eq!(again, blob);
    assert_eq!(client.read(&blob.blob_id, &NoProgress).await.unwrap(), data);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_live_through_an_epoch_change_that_moves_shards() {
    let mut net = TestNet::start(SMALL).await;
    let client = net.localnet.client().await.expect("a client");
    let access = client.chain().expect("a signing client");
    let user = net.localnet.user_key().address();
    let before = reader(&net).committee().await.expect("the committee");

    // Three more genesis stakes behind node 0: it gains shards at the next epoch.
    let gainer = before.members[0].node_id;
    net.stake(gainer, 3 * floe_localnet::NODE_STAKE).await;

    let stored_data = random_bytes(25_000, 2);
    let options = StoreOptions { epochs: 3, ..StoreOptions::default() };
    let stored = match client.store(stored_data.clone(), &options, &NoProgress).await.unwrap() {
        StoreOutcome::NewlyCreated { blob, .. } => blob,
        other => panic!("a new blob, got {other:?}"),
    };
    // Registered and uploaded in the old epoch; its certificate of that epoch comes too late.
    let late_data = random_bytes(35_000, 3);
    let (encoded, object_id, _) = register(&client, &late_data, 3).await;
    let old_certificate = client.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();
    let wal_registered = access.wal_balance(user).await.expect("a balance");

    let (epoch, _) = net.advance_epoch().await;
    assert_eq!(epoch, before.epoch + 1);
    let after = reader(&net).committee().await.expect("the committee");
    let (shards_before, shards_after) = (shards_by_node(&before), shards_by_node(&after));
    assert_ne!(shards_before, shards_after, "the stake moved no shard");
    assert!(shards_after[&gainer].len() > shards_before[&gainer].len(), "{shards_before:?} -> {shards_after:?}");
    let previous = reader(&net).previous_committee().await.expect("the previous committee");
    assert_eq!(previous.as_ref().map(shards_by_node), Some(shards_before.clone()));

    // The old certificate is refused. Move checks the signers against the new committee before
    // the message's epoch: whether the refusal names the weight or the epoch depends on which
    // nodes signed first, and the signers' shards in the new committee say which it must be.
    let (_, reference) = access.blob(object_id).await.expect("the blob object");
    let refused = access.certify(&reference, &old_certificate, None).await.unwrap_err();
    let signers_now: usize = old_certificate
        .signers
        .iter()
        .map(|signer| shards_after[&before.members[usize::from(*signer)].node_id].len())
        .sum();
    let still_a_quorum = 3 * signers_now > 2 * usize::from(SMALL.shards);
    match &refused {
        ChainError::Client(error) => {
            let abort = error.move_abort().unwrap_or_else(|| panic!("a Move abort, got {error}"));
            if still_a_quorum {
                assert!(is_incorrect_epoch(&abort), "{error}");
            } else {
                assert!(is_not_enough_stake(&abort), "{error}");
            }
        }
        other => panic!("a Move abort, got {other}"),
    }
    let late = client.certify_registered(&encoded, object_id, BlobPersistence::Permanent, &NoProgress).await.unwrap();
    assert_eq!((late.id, late.certified_epoch), (object_id, Some(epoch)));
    assert_eq!(access.wal_balance(user).await.expect("a balance"), wal_registered, "WAL was paid again");

    // Every blob reads back, through a fresh client (current and previous committee) and the
    // aggregator, also with a node down that holds at most f shards. (Not the gainer: once it
    // reported its new shards received, their previous holders dropped them, and with more than
    // f shards down nothing can be read — reads that need the previous holders while the new
    // ones sync are tested in floe-client's tests/epochs.rs.)
    // The localnet names node i `node-i`.
    let f = usize::from((SMALL.shards - 1) / 3);
    let down = after
        .members
        .iter()
        .find(|member| member.node_id != gainer && member.shards.len() <= f)
        .expect("a member holding at most f shards");
    let down_index: usize = down.name.strip_prefix("node-").and_then(|i| i.parse().ok()).expect("a localnet node name");
    for stop in [false, true] {
        if stop {
            net.localnet.stop_node(down_index).await.expect("the node stops");
        }
        let reader = net.localnet.client().await.expect("a client");
        assert_eq!(reader.committees().previous.map(|p| p.epoch()), Some(before.epoch));
        for (blob_id, data) in [(stored.blob_id, &stored_data), (late.blob_id, &late_data)] {
            assert_eq!(&reader.read(&blob_id, &NoProgress).await.unwrap(), data, "read of {blob_id}, stop {stop}");
            assert_eq!(&aggregator_read(&net, &blob_id).await, data, "aggregator read of {blob_id}, stop {stop}");
        }
    }
    net.shutdown().await;
}

/// Ends the epoch the moment a store's confirmations first reach a quorum, so that the
/// certificate being built is of an epoch that is over when it reaches the chain.
struct EndEpochAtQuorum<'a> {
    net: &'a TestNet,
    done: AtomicBool,
}

impl Progress for EndEpochAtQuorum<'_> {
    fn event(&self, event: ProgressEvent) {
        if let ProgressEvent::Confirmed { weight, needed } = event
            && weight >= needed
            && !self.done.swap(true, Ordering::SeqCst)
        {
            // Progress is synchronous; the runtime has other workers for the network meanwhile.
            tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(self.net.advance_epoch()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_whose_certificate_comes_too_late_certifies_again_in_the_new_epoch() {
    let net = TestNet::start(SMALL).await;
    let client = net.localnet.client().await.expect("a client");
    let access = client.chain().expect("a signing client");
    let user = net.localnet.user_key().address();
    let registered_in = access.system().await.expect("the system state").epoch();
    let wal_before = access.wal_balance(user).await.expect("a balance");

    let data = random_bytes(20_000, 4);
    let progress = EndEpochAtQuorum { net: &net, done: AtomicBool::new(false) };
    let options = StoreOptions { epochs: 3, ..StoreOptions::default() };
    let (blob, price) = match client.store(data.clone(), &options, &progress).await.unwrap() {
        StoreOutcome::NewlyCreated { blob, price, .. } => (blob, price),
        other => panic!("a new blob, got {other:?}"),
    };
    assert!(progress.done.load(Ordering::SeqCst), "the epoch was ended during the store");
    assert_eq!(blob.registered_epoch, registered_in);
    assert_eq!(blob.certified_epoch, Some(registered_in + 1));
    assert_eq!(wal_before - access.wal_balance(user).await.expect("a balance"), price.total(), "paid once");
    assert_eq!(client.read(&blob.blob_id, &NoProgress).await.unwrap(), data);
    net.shutdown().await;
}

/// Holds a store at the moment its confirmations reach a quorum until the test says go on, so
/// that the test can change the network (end the epoch, restart a node) in between.
struct PauseAtQuorum {
    reached: std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    resume: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl Progress for PauseAtQuorum {
    fn event(&self, event: ProgressEvent) {
        if let ProgressEvent::Confirmed { weight, needed } = event
            && weight >= needed
            && let Some(reached) = self.reached.lock().expect("not poisoned").take()
        {
            let _ = reached.send(());
            let resume = self.resume.lock().expect("not poisoned");
            tokio::task::block_in_place(|| resume.recv()).expect("the test says go on");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_certificate_whose_signers_lost_their_shards_is_signed_again_in_the_new_epoch() {
    let mut net = TestNet::start(SMALL).await;
    let client = net.localnet.client().await.expect("a client");
    let access = client.chain().expect("a signing client");
    let user = net.localnet.user_key().address();
    let before = reader(&net).committee().await.expect("the committee");
    let gainer = &before.members[0];
    let gainer_index: usize =
        gainer.name.strip_prefix("node-").and_then(|i| i.parse().ok()).expect("a localnet node name");
    let gainer = gainer.node_id;
    net.stake(gainer, 3 * floe_localnet::NODE_STAKE).await;
    // With the gainer down, the certificate is the other three nodes' alone; after the epoch
    // change they hold too few shards for it (not just an old epoch), which Move reports as
    // `ENotEnoughStake` before it looks at the message's epoch.
    net.localnet.stop_node(gainer_index).await.expect("the gainer stops");

    let (reached, quorum) = tokio::sync::oneshot::channel();
    let (go_on, resume) = std::sync::mpsc::channel();
    let progress =
        PauseAtQuorum { reached: std::sync::Mutex::new(Some(reached)), resume: std::sync::Mutex::new(resume) };
    let wal_before = access.wal_balance(user).await.expect("a balance");
    let data = random_bytes(22_000, 5);
    let options = StoreOptions { epochs: 3, ..StoreOptions::default() };
    // The store runs as its own task: the pause blocks its thread, and the change below must
    // run meanwhile.
    let store = tokio::spawn({
        let data = data.clone();
        async move {
            let stored = client.store(data, &options, &progress).await;
            (client, stored)
        }
    });
    quorum.await.expect("the store reaches a quorum");
    let (epoch, _) = net.advance_epoch().await;
    net.localnet.restart_node(gainer_index).await.expect("the gainer starts again");
    go_on.send(()).expect("the store waits");
    let (client, stored) = store.await.expect("the store task");
    let access = client.chain().expect("a signing client");
    let (blob, price) = match stored.expect("the store certifies in the new epoch") {
        StoreOutcome::NewlyCreated { blob, price, .. } => (blob, price),
        other => panic!("a new blob, got {other:?}"),
    };

    let after = reader(&net).committee().await.expect("the committee");
    let others_now: usize = after.members.iter().filter(|m| m.node_id != gainer).map(|m| m.shards.len()).sum();
    assert!(3 * others_now <= 2 * usize::from(SMALL.shards), "the old signers still hold a quorum: {after:?}");
    assert_eq!((blob.registered_epoch, blob.certified_epoch), (before.epoch, Some(epoch)));
    assert_eq!(wal_before - access.wal_balance(user).await.expect("a balance"), price.total(), "paid once");
    assert_eq!(client.read(&blob.blob_id, &NoProgress).await.unwrap(), data);
    net.shutdown().await;
}

/// A streamed read opened before an epoch change that gives most shards to a node outside the
/// committees the read started with, finished after the old holders dropped those shards: no row
/// is served or rebuilt from the old committees, and the read follows the chain to the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_opened_before_an_epoch_change_reads_on_from_the_new_committee() {
    let net = TestNet::start_configured(SMALL, |config| config.candidates = 1).await;
    let client = net.localnet.client().await.expect("a client");
    let data = random_bytes(60_000, 7);
    let options = StoreOptions { epochs: 3, ..StoreOptions::default() };
    let blob_id = client.store(data.clone(), &options, &NoProgress).await.unwrap().blob_id();
    // Opened for ranges: no row is fetched before the change.
    let stream = client
        .open_blob(&blob_id, std::sync::Arc::new(ReadBudget::default()), floe_client::ReadPlan::Ranges)
        .await
        .unwrap();
    let before = net.committee().await;

    // The candidate (node SMALL.nodes), staked far above the members, takes most shards.
    let pools = client.chain().expect("a chain").pools().await.expect("the pools");
    let newcomer_name = format!("node-{}", SMALL.nodes);
    let newcomer = pools.iter().find(|pool| pool.name == newcomer_name).expect("the candidate's pool").id;
    net.stake(newcomer, 20 * floe_localnet::NODE_STAKE).await;
    let (epoch, _) = net.advance_epoch().await;
    assert_eq!(epoch, before.epoch + 1);
    // The newcomer syncs its shards and reports them; then their old holders drop them.
    net.wait_for_duties(SMALL.nodes).await;
    for index in 0..SMALL.nodes {
        net.wait_for_duties(index).await;
    }
    let after = net.committee().await;
    let f = usize::from((SMALL.shards - 1) / 3);
    let taken = after.members.iter().find(|member| member.node_id == newcomer).expect("the newcomer").shards.len();
    assert!(taken > 2 * f, "the newcomer took {taken} shards: the old members could still decode");

    // The old committee alone serves no longer (its members hold too few shards to decode)...
    let stale = FloeClient::with_committee(StorageCommittee::from_chain(&before).unwrap(), Settings::default());
    assert!(stale.read(&blob_id, &NoProgress).await.is_err(), "the old committee still serves the blob");
    // ...and the stream opened before the change still reads every byte.
    assert_eq!(stream.read(0..stream.len()).await.unwrap(), data);
    net.shutdown().await;
}

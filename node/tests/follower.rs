//! Storage nodes following a real (in-process) devnet chain. A small native package at floe's
//! package id relays floe events (`0xf1::events::*`, decoded by type tag exactly like the real
//! package's), so the tests choose every event: registrations, certifications, deletions and
//! epoch changes, and check what the nodes do with them.

use std::{
    future::Future,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use floe_chain::{
    ChainClient, Executed, Executor, Keypair,
    floe::{
        MoveType,
        events::{BlobCertified, BlobDeleted, BlobRegistered, EpochChangeStart, InvalidBlobID},
    },
};
use floe_devnet::{
    CallError, Devnet, DevnetConfig, FLOE_PACKAGE, GenesisAccount, GenesisConfig, MoveCallContext, NativePackage,
    Value, packages_with,
};
use floe_encoder::{
    BlobId, EncodedBlob, EncodingConfig, ShardIndex, SliverType, bls::BlsSecretKey, encode, mapping,
    messages::BlobPersistence,
};
use floe_node::{
    ChainView, Store,
    chain_state::{ChainState, Duty},
    chain_view::{Committee, CommitteeMember},
    config::{KeySource, NodeConfig, NodeLimits},
    follower::{CommitteeSource, CommitteeSourceError},
    runner::{self, RunningNode},
};
use futures::future::BoxFuture;
use serde::{Serialize, de::DeserializeOwned};
use sui_sdk_types::{Address, Identifier};
use sui_transaction_builder::Function;
use tempfile::TempDir;
use tokio::net::TcpListener;

const BUDGET: u64 = 50_000_000;
const WAIT: Duration = Duration::from_secs(30);

/// `0xf1::relay::<EventName>(bcs: vector<u8>)` emits `0xf1::events::<EventName>` with those bytes
/// after checking they decode as that event.
struct EventRelay;

fn relay<T: MoveType + Serialize + DeserializeOwned>(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
) -> Result<Vec<Value>, CallError> {
    let bytes: Vec<u8> = call.pure(args, 0)?;
    let event: T = bcs::from_bytes(&bytes)
        .map_err(|error| CallError::Argument { index: 0, reason: format!("event does not decode: {error}") })?;
    let packages = packages();
    call.emit(T::struct_tag(&packages), &event);
    Ok(vec![])
}

impl NativePackage for EventRelay {
    fn has_function(&self, module: &str, function: &str) -> bool {
        module == "relay"
            && ["BlobRegistered", "BlobCertified", "BlobDeleted", "InvalidBlobID", "EpochChangeStart"]
                .contains(&function)
    }

    fn call(&self, call: &mut MoveCallContext<'_>, args: &[Value]) -> Result<Vec<Value>, CallError> {
        match call.function() {
            "BlobRegistered" => relay::<BlobRegistered>(call, args),
            "BlobCertified" => relay::<BlobCertified>(call, args),
            "BlobDeleted" => relay::<BlobDeleted>(call, args),
            "InvalidBlobID" => relay::<InvalidBlobID>(call, args),
            "EpochChangeStart" => relay::<EpochChangeStart>(call, args),
            _ => Err(call.abort(0)),
        }
    }
}

fn packages() -> floe_chain::Packages {
    floe_chain::Packages { wal: floe_devnet::WAL_PACKAGE, floe: FLOE_PACKAGE, seal: floe_devnet::SEAL_PACKAGE }
}

/// The committee the tests set, as the chain would report it.
struct Committees(Mutex<Committee>);

impl Committees {
    fn set(&self, committee: Committee) {
        *self.0.lock().unwrap() = committee;
    }
}

impl CommitteeSource for Committees {
    fn current(&self) -> BoxFuture<'_, Result<Committee, CommitteeSourceError>> {
        let committee = self.0.lock().unwrap().clone();
        Box::pin(async move { Ok(committee) })
    }
}

fn seed(i: usize) -> [u8; 32] {
    [u8::try_from(i).unwrap() + 1; 32]
}

fn key(i: usize) -> BlsSecretKey {
    BlsSecretKey::from_seed(&seed(i))
}

/// A devnet with the relay package, `nodes` storage nodes each holding `shards_each` shards,
/// and a funded sender.
struct Net {
    devnet: Devnet,
    client: ChainClient,
    sender: Keypair,
    committees: Arc<Committees>,
    configs: Vec<NodeConfig>,
    nodes: Vec<Option<RunningNode>>,
    config: EncodingConfig,
    _dirs: Vec<TempDir>,
}

impl Net {
    async fn start(nodes: usize, shards_each: u16) -> Self {
        let sender = Keypair::from_secret_bytes([0xa1; 32]);
        let chain_dir = tempfile::tempdir().unwrap();
        let genesis = GenesisConfig {
            accounts: vec![GenesisAccount { address: sender.address(), sui_coins: vec![10_000_000_000; 4] }],
            ..GenesisConfig::default()
        };
        let mut devnet_config = DevnetConfig::new(chain_dir.path(), genesis);
        devnet_config.checkpoint_interval = Duration::from_millis(200);
        let deployment = devnet_config.deployment_path();
        let devnet = Devnet::start_with(devnet_config, packages_with([(FLOE_PACKAGE, Arc::new(EventRelay) as _)]))
            .await
            .unwrap();
        let client = ChainClient::new(&devnet.url()).unwrap();

        let n_shards = u16::try_from(nodes).unwrap() * shards_each;
        let mut listeners = Vec::new();
        let mut members = Vec::new();
        for i in 0..nodes {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let first = u16::try_from(i).unwrap() * shards_each;
            members.push(CommitteeMember {
                public_key: key(i).public_key(),
                shards: (first..first + shards_each).map(ShardIndex).collect(),
                http_address: format!("http://{}", listener.local_addr().unwrap()),
                network_key: None,
            });
            listeners.push(listener);
        }
        let committees = Arc::new(Committees(Mutex::new(Committee::new(1, n_shards, members).unwrap())));
        let mut dirs = vec![chain_dir];
        let mut configs = Vec::new();
        let mut running = Vec::new();
        for (i, listener) in listeners.into_iter().enumerate() {
            let dir = tempfile::tempdir().unwrap();
            let config = node_config(dir.path().to_path_buf(), listener.local_addr().unwrap(), deployment.clone(), i);
            running.push(Some(runner::start_with(&config, listener, committees.clone()).await.unwrap()));
            configs.push(config);
            dirs.push(dir);
        }
        let config = EncodingConfig::new(n_shards).unwrap();
        Self { devnet, client, sender, committees, configs, nodes: running, config, _dirs: dirs }
    }

    fn node(&self, i: usize) -> &RunningNode {
        self.nodes[i].as_ref().expect("node is running")
    }

    /// Calls `0xf1::relay::<event>` with the event's BCS and waits until every running node
    /// has applied the checkpoint holding it.
    async fn emit<T: MoveType + Serialize>(&self, event: &T) -> Executed {
        let executed = self.emit_only(event).await;
        for node in self.nodes.iter().flatten() {
            tokio::time::timeout(WAIT, node.chain_state().applied(executed.checkpoint)).await.unwrap();
        }
        executed
    }

    async fn emit_only<T: MoveType + Serialize>(&self, event: &T) -> Executed {
        let name = T::struct_tag(&packages()).name().to_string();
        let relay = Function::new(FLOE_PACKAGE, Identifier::from_static("relay"), Identifier::new(name).unwrap());
        Executor::new(self.client.clone(), self.sender.clone())
            .run(BUDGET, |builder| {
                let bytes = builder.pure(&bcs::to_bytes(event).unwrap());
                builder.move_call(relay, vec![bytes]);
            })
            .await
            .unwrap()
    }

    /// The index of the node holding the shard of `pair` in the current committee.
    fn holder_of_pair(&self, blob_id: &BlobId, pair: u16) -> usize {
        let shard = mapping::shard_for_pair(floe_encoder::SliverPairIndex(pair), blob_id, self.config.n_shards());
        let committee = self.committees.0.lock().unwrap().clone();
        let holder = committee.holder_of(shard).unwrap().public_key;
        (0..self.configs.len()).find(|i| key(*i).public_key() == holder).unwrap()
    }

    /// Stores metadata on the given nodes and each sliver pair on its holder among them.
    fn upload(&self, encoded: &EncodedBlob, to_nodes: &[usize]) {
        let blob_id = *encoded.metadata.blob_id();
        for &i in to_nodes {
            self.node(i).node().store_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).unwrap();
        }
        for pair in &encoded.pairs {
            let holder = self.holder_of_pair(&blob_id, pair.index().0);
            if to_nodes.contains(&holder) {
                for axis in [SliverType::Primary, SliverType::Secondary] {
                    self.node(holder)
                        .node()
                        .store_sliver(&blob_id, pair.index(), axis, &pair.sliver(axis).to_bcs())
                        .unwrap();
                }
            }
        }
    }

    async fn stop_node(&mut self, i: usize) {
        self.nodes[i].take().unwrap().stop().await.unwrap();
    }

    /// Stops node `i` and waits until its store is closed, for a test that opens its directory
    /// itself (work the stop cancelled may hold it a moment longer).
    async fn stop_node_closing_its_store(&mut self, i: usize) {
        let closing = self.node(i).closing();
        self.stop_node(i).await;
        assert!(closing.closed(floe_node::store::StoreClosing::WAIT).await, "node {i}'s store is still open");
    }

    async fn restart_node(&mut self, i: usize) {
        let listener = TcpListener::bind(self.configs[i].listen).await.unwrap();
        self.nodes[i] = Some(runner::start_with(&self.configs[i], listener, self.committees.clone()).await.unwrap());
    }

    async fn shutdown(mut self) {
        for i in 0..self.nodes.len() {
            if self.nodes[i].is_some() {
                self.stop_node(i).await;
            }
        }
        self.devnet.shutdown().await;
    }
}

fn node_config(data_dir: PathBuf, listen: std::net::SocketAddr, deployment: PathBuf, i: usize) -> NodeConfig {
    NodeConfig {
        data_dir,
        listen,
        public_url: Some(format!("http://{listen}")),
        deployment,
        rpc_url: None,
        bls_key: KeySource::Seed(hex::encode(seed(i))),
        network_key: None,
        plain_http: true,
        sui_key: None,
        limits: NodeLimits { recovery_retry_delay_ms: 50, ..NodeLimits::default() },
        base_dir: PathBuf::new(),
    }
}

fn object(byte: u8) -> Address {
    Address::new([byte; 32])
}

fn registered(encoded: &EncodedBlob, object_byte: u8, end_epoch: u32, deletable: bool) -> BlobRegistered {
    BlobRegistered {
        epoch: 1,
        blob_id: *encoded.metadata.blob_id(),
        size: encoded.metadata.unencoded_length(),
        encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
        end_epoch,
        deletable,
        object_id: object(object_byte),
    }
}

fn certified(blob_id: BlobId, object_byte: u8, end_epoch: u32) -> BlobCertified {
    BlobCertified {
        epoch: 1,
        blob_id,
        end_epoch,
        deletable: false,
        object_id: object(object_byte),
        is_extension: false,
    }
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed).collect()
}

/// Polls `condition` until it holds, failing the test after [`WAIT`].
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future).await.expect("timed out")
}

#[tokio::test]
async fn registered_blob_is_accepted_and_deleted_blob_is_dropped() {
    let net = Net::start(1, 4).await;
    let encoded = encode(&net.config, &data(5_000, 1)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    let node = net.node(0).node().clone();

    // Not registered yet: refused.
    assert!(node.store_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).is_err());
    net.emit(&registered(&encoded, 7, 5, true)).await;
    net.upload(&encoded, &[0]);
    let signed = node.confirmation(&blob_id, BlobPersistence::Deletable { object_id: [7; 32] }).unwrap();
    assert!(signed.verify(&key(0).public_key()).is_ok());

    net.emit(&BlobDeleted { epoch: 1, blob_id, end_epoch: 5, object_id: object(7), was_certified: false }).await;
    eventually("the deleted blob's data is gone", || !node.has_metadata(&blob_id).unwrap()).await;
    let pair = encoded.pairs[0].index();
    assert!(!node.has_sliver(&blob_id, pair, SliverType::Primary).unwrap());
    assert!(!node.is_registered(&blob_id, None));
    net.shutdown().await;
}

#[tokio::test]
async fn upload_waiting_for_registration_succeeds_once_the_follower_sees_it() {
    let net = Net::start(1, 4).await;
    let encoded = encode(&net.config, &data(3_000, 2)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    let url = format!("{}/v1/blobs/{blob_id}/metadata", net.node(0).url());
    let http = reqwest::Client::new();

    // Without waiting, an unregistered blob is refused with 403 and a reason.
    let refused = http.put(&url).body(encoded.metadata.metadata().to_bcs()).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);

    // The client PUTs before its registration is in a checkpoint the node has applied.
    let body = encoded.metadata.metadata().to_bcs();
    let upload = tokio::spawn(async move { http.put(format!("{url}?wait_millis=20000")).body(body).send().await });
    net.emit_only(&registered(&encoded, 8, 5, false)).await;
    let answer = within(upload).await.unwrap().unwrap();
    assert_eq!(answer.status().as_u16(), 201);
    assert!(net.node(0).node().has_metadata(&blob_id).unwrap());
    net.shutdown().await;
}

#[tokio::test]
async fn data_held_before_the_registration_is_stored_when_the_follower_applies_it() {
    let net = Net::start(1, 4).await;
    let encoded = encode(&net.config, &data(4_000, 3)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    let node = net.node(0).node().clone();
    assert_eq!(
        node.store_or_hold_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).unwrap(),
        floe_node::Stored::Held
    );
    for pair in &encoded.pairs {
        for axis in [SliverType::Primary, SliverType::Secondary] {
            let held = node.store_or_hold_sliver(&blob_id, pair.index(), axis, &pair.sliver(axis).to_bcs()).unwrap();
            assert_eq!(held, floe_node::Stored::Held);
        }
    }
    assert!(!node.has_metadata(&blob_id).unwrap());

    // No request comes after the registration: the follower stores what was held as it applies it.
    net.emit_only(&registered(&encoded, 9, 5, false)).await;
    eventually("the held metadata is stored", || node.has_metadata(&blob_id).unwrap()).await;
    for pair in &encoded.pairs {
        assert!(node.has_sliver(&blob_id, pair.index(), SliverType::Secondary).unwrap());
    }
    assert_eq!(node.pending().held_bytes(), 0);
    let signed = node.confirmation(&blob_id, BlobPersistence::Permanent).unwrap();
    assert!(signed.verify(&key(0).public_key()).is_ok());
    net.shutdown().await;
}

#[tokio::test]
async fn restart_mid_stream_neither_skips_nor_doubles_a_checkpoint() {
    let mut net = Net::start(1, 4).await;
    let blobs: Vec<EncodedBlob> = (0..4).map(|i| encode(&net.config, &data(1_000, i)).unwrap()).collect();
    net.emit(&registered(&blobs[0], 10, 5, false)).await;
    net.emit(&registered(&blobs[1], 11, 5, false)).await;
    let cursor = net.node(0).chain_state().next_checkpoint();
    net.stop_node_closing_its_store(0).await;

    // While the node is down the chain moves on.
    net.emit_only(&registered(&blobs[2], 12, 5, false)).await;
    let last = net.emit_only(&registered(&blobs[3], 13, 5, false)).await;
    // What it applied is on disk: it resumes there, not from genesis and not past what it missed.
    {
        let store = Store::open(&net.configs[0].data_dir).unwrap();
        let committee = net.committees.0.lock().unwrap().clone();
        let stored = ChainState::open(&store, committee).unwrap();
        assert_eq!(stored.next_checkpoint(), cursor);
        assert!(cursor <= last.checkpoint);
    }
    net.restart_node(0).await;
    let state = net.node(0).chain_state().clone();
    within(state.applied(last.checkpoint)).await;
    for (i, blob) in blobs.iter().enumerate() {
        let info = state.blob_info(blob.metadata.blob_id()).unwrap_or_else(|| panic!("blob {i} unknown"));
        assert_eq!(info.objects.len(), 1, "blob {i}");
    }
    // Applying a checkpoint twice or skipping one would have stopped the follower.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!net.node(0).follower_stopped());
    assert!(state.next_checkpoint() > last.checkpoint);
    net.shutdown().await;
}

#[tokio::test]
async fn a_stopped_nodes_store_is_closed_once_work_left_running_lets_go_of_it() {
    let mut net = Net::start(1, 4).await;
    // As a blocking store call whose request was cancelled: it runs on, holding the node.
    let held = net.node(0).node().clone();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let work = tokio::task::spawn_blocking(move || {
        released.recv().unwrap();
        drop(held);
    });
    let closing = net.node(0).closing();
    net.stop_node(0).await;
    assert!(!closing.is_closed(), "the work still holds the store");
    assert!(!closing.closed(Duration::from_millis(50)).await, "a wait that ends early says the store is open");
    release.send(()).unwrap();
    assert!(closing.closed(WAIT).await, "closed once the work let go");
    work.await.unwrap();
    // The directory opens again (a restart, or an operator's tool).
    Store::open(&net.configs[0].data_dir).unwrap();
    net.restart_node(0).await;
    net.shutdown().await;
}

#[tokio::test]
async fn epoch_change_refreshes_the_committee_and_drops_expired_blobs() {
    let net = Net::start(2, 2).await;
    let encoded = encode(&net.config, &data(2_000, 3)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    net.emit(&registered(&encoded, 20, 2, false)).await;
    net.upload(&encoded, &[0, 1]);
    assert_eq!(net.node(0).node().owned_shards(), vec![ShardIndex(0), ShardIndex(1)]);

    // Epoch 2: node 0 hands shard 1 to node 1.
    let before = net.committees.0.lock().unwrap().clone();
    let members = vec![
        CommitteeMember { shards: vec![ShardIndex(0)], ..before.members()[0].clone() },
        CommitteeMember { shards: vec![ShardIndex(1), ShardIndex(2), ShardIndex(3)], ..before.members()[1].clone() },
    ];
    net.committees.set(Committee::new(2, 4, members).unwrap());
    net.emit(&EpochChangeStart { epoch: 2 }).await;
    for i in 0..2 {
        assert_eq!(net.node(i).chain_state().current_epoch(), 2);
    }
    assert_eq!(net.node(0).node().owned_shards(), vec![ShardIndex(0)]);
    assert_eq!(net.node(1).node().owned_shards(), vec![ShardIndex(1), ShardIndex(2), ShardIndex(3)]);
    // The blob ended at epoch 2: expired, its data collected.
    for i in 0..2 {
        let node = net.node(i).node().clone();
        eventually("the expired blob's data is gone", || !node.has_metadata(&blob_id).unwrap()).await;
    }
    // No Sui key is configured, so the epoch-sync duty is dropped rather than kept forever.
    let state = net.node(0).chain_state().clone();
    eventually("the epoch-sync duty is done", || !state.duties().unwrap().contains(&Duty::EpochSyncDone(2))).await;
    net.shutdown().await;
}

#[tokio::test]
async fn node_that_missed_the_upload_recovers_its_slivers_after_certification() {
    let net = Net::start(4, 2).await;
    let encoded = encode(&net.config, &data(30_000, 4)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    net.emit(&registered(&encoded, 30, 5, false)).await;
    net.upload(&encoded, &[0, 1, 2]);
    let lagging = net.node(3).node().clone();
    assert_eq!(lagging.missing_slivers(&blob_id).unwrap().len(), 4);

    net.emit(&certified(blob_id, 30, 5)).await;
    eventually("the lagging node holds every sliver of its shards", || {
        lagging.missing_slivers(&blob_id).unwrap().is_empty()
    })
    .await;
    for pair in &encoded.pairs {
        if net.holder_of_pair(&blob_id, pair.index().0) == 3 {
            for axis in [SliverType::Primary, SliverType::Secondary] {
                assert_eq!(lagging.sliver(&blob_id, pair.index(), axis).unwrap(), *pair.sliver(axis));
            }
        }
    }
    assert!(lagging.confirmation(&blob_id, BlobPersistence::Permanent).is_ok());
    let state = net.node(3).chain_state().clone();
    eventually("the recovery duty is done", || state.duties().unwrap().is_empty()).await;
    net.shutdown().await;
}

/// An upload's writes are synced to disk when the node confirms. The client stops asking for
/// confirmations once it has its certificate, so the slower nodes' share is synced by the
/// recovery duty the certification leaves instead: after it, nothing would bring that data back
/// if a crash lost it.
#[tokio::test]
async fn the_recovery_duty_syncs_the_data_of_a_node_not_asked_to_confirm() {
    let net = Net::start(4, 2).await;
    let encoded = encode(&net.config, &data(30_000, 7)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    net.emit(&registered(&encoded, 33, 5, false)).await;
    net.upload(&encoded, &[0, 1, 2, 3]);
    for i in 0..3 {
        assert!(net.node(i).node().confirmation(&blob_id, BlobPersistence::Permanent).is_ok());
        assert!(net.node(i).node().store().is_synced(&blob_id), "node {i} synced as it confirmed");
    }
    let unasked = net.node(3).node().clone();
    assert!(!unasked.store().is_synced(&blob_id), "node 3 has the data, not yet synced");
    net.emit(&certified(blob_id, 33, 5)).await;
    let state = net.node(3).chain_state().clone();
    eventually("the recovery duty syncs node 3's data", || {
        state.duties().unwrap().is_empty() && unasked.store().is_synced(&blob_id)
    })
    .await;
    assert!(unasked.missing_slivers(&blob_id).unwrap().is_empty());
    net.shutdown().await;
}

/// A blob is certified once a quorum confirms, while the other nodes are still being uploaded
/// to: their recovery duty waits for the upload instead of rebuilding from peers what it brings,
/// and recovers only once an unfinished upload has gone quiet (`DutySettings::upload_quiet`).
#[tokio::test]
async fn recovery_waits_for_an_upload_under_way_and_not_for_one_given_up() {
    let net = Net::start(4, 2).await;
    let lagging = net.node(3).node().clone();
    let state = net.node(3).chain_state().clone();
    // Positions in `encoded.pairs` of the pairs node 3 holds.
    let pairs_of_3 = |encoded: &EncodedBlob| -> Vec<usize> {
        let blob_id = *encoded.metadata.blob_id();
        (0..encoded.pairs.len()).filter(|&i| net.holder_of_pair(&blob_id, encoded.pairs[i].index().0) == 3).collect()
    };

    // Under way: the metadata and one sliver have arrived when the certification does.
    let encoded = encode(&net.config, &data(30_000, 5)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    net.emit(&registered(&encoded, 31, 5, false)).await;
    net.upload(&encoded, &[0, 1, 2]);
    lagging.store_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).unwrap();
    let first = &encoded.pairs[pairs_of_3(&encoded)[0]];
    lagging.store_sliver(&blob_id, first.index(), SliverType::Primary, &first.primary.to_bcs()).unwrap();
    net.emit(&certified(blob_id, 31, 5)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(lagging.missing_slivers(&blob_id).unwrap().len(), 3, "nothing recovered while the upload is under way");
    assert!(!state.duties().unwrap().is_empty(), "the recovery waits, recorded");
    for pair in pairs_of_3(&encoded).into_iter().map(|i| &encoded.pairs[i]) {
        for axis in [SliverType::Primary, SliverType::Secondary] {
            lagging.store_sliver(&blob_id, pair.index(), axis, &pair.sliver(axis).to_bcs()).unwrap();
        }
    }
    assert!(lagging.confirmation(&blob_id, BlobPersistence::Permanent).is_ok());
    eventually("the waiting recovery finds nothing missing and is done", || state.duties().unwrap().is_empty()).await;

    // Given up: the client sent the metadata and stopped; once quiet, the slivers are recovered.
    let encoded = encode(&net.config, &data(30_000, 6)).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    net.emit(&registered(&encoded, 32, 5, false)).await;
    net.upload(&encoded, &[0, 1, 2]);
    lagging.store_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).unwrap();
    net.emit(&certified(blob_id, 32, 5)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(lagging.missing_slivers(&blob_id).unwrap().len(), 4, "waiting for the upload to go quiet");
    eventually("the slivers are recovered after the quiet period", || {
        lagging.missing_slivers(&blob_id).unwrap().is_empty()
    })
    .await;
    for pair in pairs_of_3(&encoded).into_iter().map(|i| &encoded.pairs[i]) {
        for axis in [SliverType::Primary, SliverType::Secondary] {
            assert_eq!(lagging.sliver(&blob_id, pair.index(), axis).unwrap(), *pair.sliver(axis));
        }
    }
    net.shutdown().await;
}

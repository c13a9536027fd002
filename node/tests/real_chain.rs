//! Storage nodes on a devnet running floe's own native packages, started from a staked genesis:
//! the nodes read their committee from the chain's System and Staking objects, follow real
//! epoch changes, and report `epoch_sync_done` with their operators' keys, without which the
//! chain refuses the next epoch change.

use std::{path::PathBuf, sync::Arc, time::Duration};

use floe_chain::{
    ChainClient, Executor, Keypair,
    floe::{CertificateBytes, FloeCalls, InitParams, MoveType, NewBlob, state::FloeReader},
};
use floe_devnet::{
    CommitteeGenesis, Devnet, DevnetConfig, EpochSchedule, GenesisAccount, GenesisConfig, GenesisNode, floe_packages,
    packages_with,
};
use floe_encoder::{
    EncodingConfig, SliverType,
    bls::{BlsSecretKey, BlsSignature},
    encode, mapping,
    messages::BlobPersistence,
};
use floe_node::{
    ChainView,
    chain_committee::ChainCommittee,
    config::{KeySource, NodeConfig, NodeLimits},
    runner::{self, RunningNode},
};
use sui_transaction_builder::ObjectInput;
use tokio::net::TcpListener;

const NODES: usize = 4;
const WAIT: Duration = Duration::from_secs(30);
const BUDGET: u64 = 50_000_000;

fn bls_seed(i: usize) -> [u8; 32] {
    [0x40 + u8::try_from(i).unwrap(); 32]
}

fn operator(i: usize) -> Keypair {
    Keypair::from_secret_bytes([0x60 + u8::try_from(i).unwrap(); 32])
}

async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Ends the epoch as soon as the chain allows it (it waits for the nodes' sync reports).
async fn advance(devnet: &Devnet) -> u32 {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match devnet.advance_epoch().await {
            Ok(epoch) => return epoch,
            Err(error) => {
                assert!(tokio::time::Instant::now() < deadline, "the epoch change is still refused: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A devnet with floe's native packages and a staked genesis of [`NODES`] nodes over 8 shards,
/// the nodes running, and a user holding WAL.
struct RealNet {
    devnet: Devnet,
    genesis: CommitteeGenesis,
    user: Keypair,
    running: Vec<RunningNode>,
    _dirs: Vec<tempfile::TempDir>,
}

impl RealNet {
    async fn start() -> Self {
        let user = Keypair::from_secret_bytes([0x5a; 32]);
        let mut listeners = Vec::new();
        for _ in 0..NODES {
            listeners.push(TcpListener::bind("127.0.0.1:0").await.unwrap());
        }
        let urls: Vec<String> = listeners.iter().map(|l| format!("http://{}", l.local_addr().unwrap())).collect();
        let nodes = (0..NODES)
            .map(|i| {
                let key = BlsSecretKey::from_seed(&bls_seed(i));
                // Plain HTTP (explicit `http://` addresses); the network key is registered unused.
                let network = floe_encoder::network_key::NetworkKeyPair::from_seed([0x50; 32]).public_key();
                GenesisNode::new(
                    &format!("node-{i}"),
                    &urls[i],
                    &key,
                    &network,
                    operator(i).address(),
                    1_000_000_000_000_000,
                )
            })
            .collect();
        let params =
            InitParams { n_shards: 8, epoch_duration_ms: 3_600_000, max_epochs_ahead: 104, max_committee_size: 4 };
        let genesis = CommitteeGenesis::new(&params, &[(user.address(), vec![1_000_000_000_000])], nodes).unwrap();
        let chain_dir = tempfile::tempdir().unwrap();
        let chain = GenesisConfig {
            accounts: vec![GenesisAccount { address: user.address(), sui_coins: vec![10_000_000_000; 2] }],
            ..GenesisConfig::default()
        };
        let mut config = DevnetConfig::new(chain_dir.path(), chain);
        config.checkpoint_interval = Duration::from_millis(200);
        config.epochs = EpochSchedule { auto_advance: false, complete_sync: false, poll: Duration::from_millis(50) };
        genesis.configure(&mut config);
        let deployment_path = config.deployment_path();
        let devnet = Devnet::start_with(config, packages_with(floe_packages())).await.unwrap();

        let mut dirs = Vec::new();
        let mut running: Vec<RunningNode> = Vec::new();
        for (i, listener) in listeners.into_iter().enumerate() {
            let dir = tempfile::tempdir().unwrap();
            let config = NodeConfig {
                data_dir: dir.path().to_path_buf(),
                listen: listener.local_addr().unwrap(),
                public_url: Some(urls[i].clone()),
                deployment: deployment_path.clone(),
                rpc_url: None,
                bls_key: KeySource::Seed(hex::encode(bls_seed(i))),
                network_key: None,
                plain_http: true,
                sui_key: Some(KeySource::Seed(operator(i).to_suiprivkey().unwrap())),
                limits: NodeLimits::default(),
                base_dir: PathBuf::new(),
            };
            let reader = FloeReader::new(ChainClient::new(&devnet.url()).unwrap(), devnet.deployment().clone());
            running.push(runner::start_with(&config, listener, Arc::new(ChainCommittee::new(reader))).await.unwrap());
            dirs.push(dir);
        }
        dirs.push(chain_dir);
        Self { devnet, genesis, user, running, _dirs: dirs }
    }

    async fn shutdown(self) {
        for node in self.running {
            node.stop().await.unwrap();
        }
        self.devnet.shutdown().await;
    }
}

#[tokio::test]
async fn nodes_follow_real_epoch_changes_and_report_their_epoch_sync() {
    let net = RealNet::start().await;
    let (devnet, running) = (&net.devnet, &net.running);
    // The genesis committee: epoch 1, every shard held once, each node knows its own.
    let mut held: Vec<u16> = Vec::new();
    for node in running {
        assert_eq!(node.chain_state().current_epoch(), 1);
        let shards = node.node().owned_shards();
        assert!(!shards.is_empty());
        held.extend(shards.iter().map(|shard| shard.0));
    }
    held.sort_unstable();
    assert_eq!(held, (0..8).collect::<Vec<u16>>());

    // Epoch 2 starts once a quorum reported its sync of epoch 1 (the nodes do so at start-up);
    // they learn of it from EpochChangeStart and report their sync of epoch 2.
    assert_eq!(advance(devnet).await, 2);
    for node in running {
        let state = node.chain_state().clone();
        wait_until("every node is at epoch 2", || state.current_epoch() == 2).await;
    }
    for node in running {
        let state = node.chain_state().clone();
        wait_until("the epoch-sync duty is done", || state.duties().unwrap().is_empty()).await;
    }
    // The chain accepts the next epoch change only after a quorum reported epoch_sync_done.
    assert_eq!(advance(devnet).await, 3);
    for node in running {
        let state = node.chain_state().clone();
        wait_until("every node is at epoch 3", || state.current_epoch() == 3).await;
        assert!(!node.follower_stopped());
    }
    net.shutdown().await;
}

#[tokio::test]
async fn node_that_missed_the_upload_recovers_its_slivers_after_certification() {
    let net = RealNet::start().await;
    let client = ChainClient::new(&net.devnet.url()).unwrap();
    let deployment = net.devnet.deployment().clone();
    let calls = FloeCalls::resolve(&client, &deployment).await.unwrap();
    let config = EncodingConfig::new(8).unwrap();
    let data: Vec<u8> = (0..40_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let encoded = encode(&config, &data).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    let owner = net.user.address();

    // Register: reserve storage for two epochs and register the blob on it, paid in WAL.
    let wal = net.genesis.floe.wal_coins.iter().find(|(holder, _)| *holder == owner).unwrap().1.id;
    let wal = client.get_object(wal).await.unwrap();
    let user = Executor::new(client.clone(), net.user.clone());
    let registered = user
        .run(BUDGET, |tx| {
            let payment = tx.object(ObjectInput::owned(wal.object_id(), wal.version(), wal.digest()));
            let storage = calls.reserve_space(tx, 30 * 1_048_576, 2, payment);
            let new_blob = NewBlob::from_metadata(encoded.metadata.metadata(), false);
            let blob = calls.register_blob(tx, storage, &new_blob, payment);
            let recipient = tx.pure(&owner);
            tx.transfer_objects(vec![blob], recipient);
        })
        .await
        .unwrap();
    for node in &net.running {
        tokio::time::timeout(WAIT, node.chain_state().applied(registered.checkpoint)).await.unwrap();
    }

    // Upload to every node but the last, and certify with their confirmations (6 of 8 shards).
    let (lagging, writers) = net.running.split_last().unwrap();
    for node in writers {
        let node = node.node();
        node.store_metadata(&blob_id, &encoded.metadata.metadata().to_bcs()).unwrap();
        let shards = node.owned_shards();
        for pair in &encoded.pairs {
            if shards.contains(&mapping::shard_for_pair(pair.index(), &blob_id, 8)) {
                for axis in [SliverType::Primary, SliverType::Secondary] {
                    node.store_sliver(&blob_id, pair.index(), axis, &pair.sliver(axis).to_bcs()).unwrap();
                }
            }
        }
    }
    let committee = FloeReader::new(client.clone(), deployment.clone()).committee().await.unwrap();
    let mut bitmap = vec![0u8; committee.members.len().div_ceil(8)];
    let mut signatures = Vec::new();
    let mut message = Vec::new();
    for node in writers {
        let signed = node.node().confirmation(&blob_id, BlobPersistence::Permanent).unwrap();
        let position = committee.position_of(&node.node().public_key()).unwrap();
        bitmap[position / 8] |= 1 << (position % 8);
        signatures.push(signed.signature);
        message = signed.serialized;
    }
    let certificate = CertificateBytes {
        signature: BlsSignature::aggregate(&signatures).unwrap().to_bytes().to_vec(),
        signers_bitmap: bitmap,
        message,
    };
    let blob_type = floe_chain::floe::blob::Blob::struct_tag(&deployment.packages);
    let blob_object = client.owned_objects(owner, Some(&blob_type)).await.unwrap().remove(0);
    user.run(BUDGET, |tx| {
        let blob = tx.object(ObjectInput::owned(blob_object.object_id(), blob_object.version(), blob_object.digest()));
        calls.certify_blob(tx, blob, &certificate);
    })
    .await
    .unwrap();

    // The node that missed the upload rebuilds its slivers from its peers.
    let lagging_node = lagging.node().clone();
    wait_until("the lagging node stores every sliver of its shards", || {
        lagging_node.missing_slivers(&blob_id).unwrap().is_empty()
    })
    .await;
    let shards = lagging_node.owned_shards();
    for pair in &encoded.pairs {
        if shards.contains(&mapping::shard_for_pair(pair.index(), &blob_id, 8)) {
            for axis in [SliverType::Primary, SliverType::Secondary] {
                assert_eq!(lagging_node.sliver(&blob_id, pair.index(), axis).unwrap(), *pair.sliver(axis));
            }
        }
    }
    assert!(lagging_node.confirmation(&blob_id, BlobPersistence::Permanent).is_ok());
    net.shutdown().await;
}

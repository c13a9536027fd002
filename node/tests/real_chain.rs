//! Storage nodes on a devnet running floe's own native packages, started from a staked genesis:
//! the nodes read their committee from the chain's System and Staking objects, follow real
//! epoch changes, and report `epoch_sync_done` with their operators' keys, without which the
//! chain refuses the next epoch change.

use std::{path::PathBuf, sync::Arc, time::Duration};

use floe_chain::{ChainClient, Keypair, floe::InitParams, floe::state::FloeReader};
use floe_devnet::{
    CommitteeGenesis, Devnet, DevnetConfig, EpochSchedule, GenesisConfig, GenesisNode, floe_packages, packages_with,
};
use floe_encoder::bls::BlsSecretKey;
use floe_node::{
    ChainView,
    chain_committee::ChainCommittee,
    config::{KeySource, NodeConfig, NodeLimits},
    runner::{self, RunningNode},
};
use tokio::net::TcpListener;

const NODES: usize = 4;
const WAIT: Duration = Duration::from_secs(30);

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

#[tokio::test]
async fn nodes_follow_real_epoch_changes_and_report_their_epoch_sync() {
    let mut listeners = Vec::new();
    for _ in 0..NODES {
        listeners.push(TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    let urls: Vec<String> = listeners.iter().map(|l| format!("http://{}", l.local_addr().unwrap())).collect();
    let nodes = (0..NODES)
        .map(|i| {
            let key = BlsSecretKey::from_seed(&bls_seed(i));
            GenesisNode::new(&format!("node-{i}"), &urls[i], &key, operator(i).address(), 1_000_000_000_000_000)
        })
        .collect();
    let params = InitParams { n_shards: 8, epoch_duration_ms: 3_600_000, max_epochs_ahead: 104, max_committee_size: 4 };
    let genesis = CommitteeGenesis::new(&params, &[], nodes).unwrap();
    let chain_dir = tempfile::tempdir().unwrap();
    let mut config = DevnetConfig::new(chain_dir.path(), GenesisConfig::default());
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
            sui_key: Some(KeySource::Seed(operator(i).to_suiprivkey().unwrap())),
            limits: NodeLimits::default(),
            base_dir: PathBuf::new(),
        };
        let reader = FloeReader::new(ChainClient::new(&devnet.url()).unwrap(), devnet.deployment().clone());
        running.push(runner::start_with(&config, listener, Arc::new(ChainCommittee::new(reader))).await.unwrap());
        dirs.push(dir);
    }
    // The genesis committee: epoch 1, every shard held once, each node knows its own.
    let mut held: Vec<u16> = Vec::new();
    for node in &running {
        assert_eq!(node.chain_state().current_epoch(), 1);
        let shards = node.node().owned_shards();
        assert!(!shards.is_empty());
        held.extend(shards.iter().map(|shard| shard.0));
    }
    held.sort_unstable();
    assert_eq!(held, (0..8).collect::<Vec<u16>>());

    // Epoch 2 starts once a quorum reported its sync of epoch 1 (the nodes do so at start-up);
    // they learn of it from EpochChangeStart and report their sync of epoch 2.
    assert_eq!(advance(&devnet).await, 2);
    for node in &running {
        let state = node.chain_state().clone();
        wait_until("every node is at epoch 2", || state.current_epoch() == 2).await;
    }
    for node in &running {
        let state = node.chain_state().clone();
        wait_until("the epoch-sync duty is done", || state.duties().unwrap().is_empty()).await;
    }
    // The chain accepts the next epoch change only after a quorum reported epoch_sync_done.
    assert_eq!(advance(&devnet).await, 3);
    for node in &running {
        let state = node.chain_state().clone();
        wait_until("every node is at epoch 3", || state.current_epoch() == 3).await;
        assert!(!node.follower_stopped());
    }
    for node in running {
        node.stop().await.unwrap();
    }
    devnet.shutdown().await;
}

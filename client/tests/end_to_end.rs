//! The whole store path on a real chain: a devnet running floe's native packages from a staked
//! genesis, storage nodes following it, and the client paying in WAL, uploading, certifying on
//! chain and reading back; a second store of the same bytes is recognised as already certified.

use std::{path::PathBuf, sync::Arc, time::Duration};

use floe_chain::{ChainClient, Keypair, floe::InitParams, floe::state::FloeReader, floe::wal::wal_type};
use floe_client::{FloeClient, NoProgress, Settings, StoreOptions, StoreOutcome};
use floe_devnet::{
    CommitteeGenesis, Devnet, DevnetConfig, EpochSchedule, GenesisAccount, GenesisConfig, GenesisNode, floe_packages,
    packages_with,
};
use floe_encoder::{bls::BlsSecretKey, network_key::NetworkKeyPair};
use floe_node::{
    chain_committee::ChainCommittee,
    config::{KeySource, NodeConfig, NodeLimits},
    runner::{self, RunningNode},
};
use tokio::net::TcpListener;

const NODES: usize = 4;

fn bls_seed(i: usize) -> [u8; 32] {
    [0x21 + u8::try_from(i).unwrap(); 32]
}

/// Node `i`'s network (TLS) key: the nodes serve https, their keys pinned from the chain.
fn network_seed(i: usize) -> [u8; 32] {
    [0x31 + u8::try_from(i).unwrap(); 32]
}

fn operator(i: usize) -> Keypair {
    Keypair::from_secret_bytes([0x71 + u8::try_from(i).unwrap(); 32])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

struct Net {
    devnet: Devnet,
    user: Keypair,
    nodes: Vec<RunningNode>,
    _dirs: Vec<tempfile::TempDir>,
}

async fn start() -> Net {
    let user = Keypair::from_secret_bytes([0x3c; 32]);
    let mut listeners = Vec::new();
    for _ in 0..NODES {
        listeners.push(TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    let urls: Vec<String> = listeners.iter().map(|l| format!("https://{}", l.local_addr().unwrap())).collect();
    let genesis_nodes = (0..NODES)
        .map(|i| {
            let key = BlsSecretKey::from_seed(&bls_seed(i));
            let network = NetworkKeyPair::from_seed(network_seed(i)).public_key();
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
    let params = InitParams { n_shards: 10, epoch_duration_ms: 3_600_000, max_epochs_ahead: 52, max_committee_size: 4 };
    let genesis = CommitteeGenesis::new(&params, &[(user.address(), vec![1_000_000_000_000])], genesis_nodes).unwrap();
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
    let mut nodes = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let config = NodeConfig {
            data_dir: dir.path().to_path_buf(),
            listen: listener.local_addr().unwrap(),
            public_url: Some(urls[i].clone()),
            deployment: deployment_path.clone(),
            rpc_url: None,
            bls_key: KeySource::Seed(hex(&bls_seed(i))),
            network_key: Some(KeySource::Seed(hex(&network_seed(i)))),
            plain_http: false,
            sui_key: Some(KeySource::Seed(operator(i).to_suiprivkey().unwrap())),
            limits: NodeLimits::default(),
            base_dir: PathBuf::new(),
        };
        let reader = FloeReader::new(ChainClient::new(&devnet.url()).unwrap(), devnet.deployment().clone());
        nodes.push(runner::start_with(&config, listener, Arc::new(ChainCommittee::new(reader))).await.unwrap());
        dirs.push(dir);
    }
    dirs.push(chain_dir);
    Net { devnet, user, nodes, _dirs: dirs }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_blob_is_paid_certified_on_chain_read_back_and_not_paid_twice() {
    let net = start().await;
    let settings = Settings { quorum_grace: Duration::from_millis(500), ..Settings::default() };
    let client = FloeClient::connect(net.devnet.deployment().clone(), Some(net.user.clone()), settings).await.unwrap();
    let chain = client.chain().unwrap();
    let wal = wal_type(&net.devnet.deployment().packages);
    let before = chain.client().balance(net.user.address(), &wal).await.unwrap();

    let data: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 8) as u8).collect();
    let options = StoreOptions { epochs: 3, ..StoreOptions::default() };
    let outcome = client.store(data.clone(), &options, &NoProgress).await.unwrap();
    let StoreOutcome::NewlyCreated { blob, price, .. } = &outcome else {
        panic!("expected a new blob, got {outcome:?}")
    };
    let epoch = chain.system().await.unwrap().epoch();
    assert_eq!(blob.certified_epoch, Some(epoch));
    assert_eq!(blob.storage.end_epoch, epoch + 3);
    assert!(!blob.deletable);
    let after = chain.client().balance(net.user.address(), &wal).await.unwrap();
    assert_eq!(before - after, price.total(), "the user paid exactly the price");
    assert!(price.total() > 0);

    assert_eq!(client.read(&blob.blob_id, &NoProgress).await.unwrap(), data);

    // The nodes saw the certification on chain: storing the same bytes again costs nothing.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let again = client.store(data.clone(), &options, &NoProgress).await.unwrap();
        if let StoreOutcome::AlreadyCertified { blob_id, end_epoch, .. } = again {
            assert_eq!((blob_id, end_epoch), (blob.blob_id, epoch + 3));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the second store was not recognised as certified");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A deletable blob can be deleted by its owner.
    let deletable = StoreOptions { deletable: true, ..StoreOptions::default() };
    let outcome = client.store(b"short-lived".to_vec(), &deletable, &NoProgress).await.unwrap();
    let StoreOutcome::NewlyCreated { blob, .. } = outcome else { panic!("deletable stores are always new") };
    assert!(blob.deletable);
    chain.delete(blob.id).await.unwrap();
    assert!(chain.blob(blob.id).await.is_err(), "the deleted Blob object is gone");

    for node in net.nodes {
        node.stop().await.unwrap();
    }
    net.devnet.shutdown().await;
}

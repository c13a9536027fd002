//! Following a live chain (the embedded devnet): the watermark reaches the chain's tip, and an
//! indexer killed mid-run resumes one past its watermark and catches up again.

use std::time::Duration;

use floe_chain::{ChainClient, Keypair, Packages, StreamPolicy};
use floe_devnet::{Devnet, DevnetConfig, GenesisAccount, GenesisConfig};
use floe_indexer::{DatabaseUrl, DbConnection, Ingester, follow};
use sui_sdk_types::Address;

fn packages() -> Packages {
    Packages { wal: Address::new([0xa1; 32]), floe: Address::new([0xf1; 32]), seal: Address::new([0x5e; 32]) }
}

fn ingester(url: &DatabaseUrl) -> Ingester {
    let mut conn = DbConnection::establish(url).unwrap();
    conn.run_migrations().unwrap();
    Ingester::new(conn, packages())
}

/// Polls the watermark until it reaches `checkpoint`.
async fn wait_for(url: &DatabaseUrl, checkpoint: u64) -> u64 {
    let mut reader = ingester(url);
    for _ in 0..200 {
        if let Some(w) = reader.watermark().unwrap()
            && w.checkpoint as u64 >= checkpoint
        {
            return w.checkpoint as u64;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("watermark did not reach {checkpoint} within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_the_devnet_and_resumes_after_a_kill() {
    let alice = Keypair::from_secret_bytes([0xa1; 32]);
    let genesis = GenesisConfig {
        accounts: vec![GenesisAccount { address: alice.address(), sui_coins: vec![5_000_000_000] }],
        ..GenesisConfig::default()
    };
    let chain_dir = tempfile::tempdir().unwrap();
    let mut config = DevnetConfig::new(chain_dir.path(), genesis);
    config.checkpoint_interval = Duration::from_millis(100);
    let devnet = Devnet::start(config).await.unwrap();
    let client = ChainClient::new(&devnet.url()).unwrap();
    let policy = StreamPolicy { max_attempts: Some(3), ..StreamPolicy::default() };

    let db_dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::in_data_dir(db_dir.path());
    let running = {
        let (client, ingester) = (client.clone(), ingester(&url));
        tokio::spawn(async move { follow(&client, ingester, 0, policy).await })
    };
    let tip = client.service_info().await.unwrap().checkpoint_height;
    let reached = wait_for(&url, tip + 2).await;
    // Kill the indexer; any batch in flight either committed or left no trace.
    running.abort();
    let _ = running.await;

    let mut restarted = ingester(&url);
    let resume = restarted.next_checkpoint(0).unwrap();
    assert!(resume > reached, "resumes past the observed watermark {reached}, at {resume}");
    assert_eq!(Some(resume - 1), restarted.watermark().unwrap().map(|w| w.checkpoint as u64));
    let running = {
        let client = client.clone();
        tokio::spawn(async move { follow(&client, restarted, 0, policy).await })
    };
    let later = client.service_info().await.unwrap().checkpoint_height;
    wait_for(&url, later + 2).await;
    running.abort();
    let _ = running.await;
    devnet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_effects_become_object_changes_with_owners() {
    use floe_chain::{Executor, gas_budget};
    use floe_indexer::{IndexedCheckpoint, ObjectState};
    use sui_sdk_types::Owner;

    let (alice, bob) = (Keypair::from_secret_bytes([0xa1; 32]), Keypair::from_secret_bytes([0xb0; 32]));
    let genesis = GenesisConfig {
        accounts: vec![GenesisAccount { address: alice.address(), sui_coins: vec![5_000_000_000] }],
        ..GenesisConfig::default()
    };
    let chain_dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(DevnetConfig::new(chain_dir.path(), genesis)).await.unwrap();
    let client = ChainClient::new(&devnet.url()).unwrap();
    let executed = Executor::new(client.clone(), alice.clone())
        .run(gas_budget::CALL, |tx| {
            let amount = tx.pure(&1_000u64);
            let gas_coin = tx.gas();
            let coin = tx.split_coins(gas_coin, vec![amount]);
            let recipient = tx.pure(&bob.address());
            tx.transfer_objects(coin, recipient);
        })
        .await
        .unwrap();

    let checkpoint = client.get_checkpoint(executed.checkpoint).await.unwrap().unwrap();
    let indexed = IndexedCheckpoint::from(&checkpoint);
    assert_eq!(indexed.sequence_number, executed.checkpoint);
    assert_eq!(indexed.timestamp_ms, checkpoint.timestamp_ms());
    let tx = indexed.transactions.iter().find(|t| t.digest == executed.digest.to_string()).unwrap();
    assert!(tx.succeeded);
    assert_eq!(tx.sender, alice.address());
    let owners: Vec<ObjectState> = tx.object_changes.iter().map(|c| c.state).collect();
    assert!(owners.contains(&ObjectState::Written(Owner::Address(bob.address()))), "{owners:?}");
    assert!(owners.contains(&ObjectState::Written(Owner::Address(alice.address()))), "gas stays alice's: {owners:?}");
    devnet.shutdown().await;
}

/// One HTTP/1.1 GET over a plain socket; returns the status line and the body.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: indexer\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_indexes_and_serves_the_explorer_api_over_http() {
    use floe_indexer::{IndexerConfig, IndexerService};

    let alice = Keypair::from_secret_bytes([0xa1; 32]);
    let genesis = GenesisConfig {
        accounts: vec![GenesisAccount { address: alice.address(), sui_coins: vec![5_000_000_000] }],
        ..GenesisConfig::default()
    };
    let chain_dir = tempfile::tempdir().unwrap();
    let mut config = DevnetConfig::new(chain_dir.path(), genesis);
    config.checkpoint_interval = Duration::from_millis(100);
    let devnet = Devnet::start(config).await.unwrap();
    let db_dir = tempfile::tempdir().unwrap();
    let service = IndexerService::start(IndexerConfig {
        database: DatabaseUrl::in_data_dir(db_dir.path()),
        rpc_url: devnet.url(),
        packages: packages(),
        first_checkpoint: 0,
        listen: "127.0.0.1:0".parse().unwrap(),
        stream_policy: StreamPolicy::default(),
        cors: Default::default(),
        quilts: None,
        tls: None,
    })
    .await
    .unwrap();

    let mut indexed = None;
    for _ in 0..200 {
        let (status, body) = http_get(service.addr(), "/v1/totals").await;
        assert!(status.contains("200"), "{status}: {body}");
        let totals: serde_json::Value = serde_json::from_str(&body).unwrap();
        if totals["checkpoint"].as_i64().is_some_and(|c| c >= 3) {
            indexed = Some(totals);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let totals = indexed.expect("the API reports checkpoint 3 within 10 s");
    assert_eq!(totals["blob_count"], 0);
    let (status, body) = http_get(service.addr(), "/v1/blobs?limit=0").await;
    assert!(status.contains("400"), "{status}: {body}");
    assert!(!service.follower_stopped());
    assert!(service.stop().await.is_none());
    devnet.shutdown().await;
}

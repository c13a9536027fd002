//! Key-server fetch latency on loopback: an in-process devnet with the seal package, three key
//! servers, and a user fetching the key of one owner-only id, 200 times:
//! - one server (`POST /v1/fetch_key`: checks, policy simulation, key derivation, encryption,
//!   plus the client's decryption and pairing check), and
//! - the full client flow, `fetch_keys` from 3 servers with threshold 2.
//!
//! Run: `cargo run -p floe-keyserver --example fetch_latency [-- FETCHES]`

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use floe_chain::floe::SealCalls;
use floe_chain::{ChainClient, Keypair};
use floe_devnet::{
    Devnet, DevnetConfig, GenesisAccount, GenesisConfig, NativePackage, SEAL_PACKAGE, SealPackage, packages_with,
};
use floe_keyserver::{KeyServer, KeyServerConfig, KeyServerInfo, fetch_keys, register_key_server};
use floe_seal::MasterKey;
use floe_seal::session::SessionKey;
use sui_sdk_types::{Address, Digest, TransactionKind};
use sui_transaction_builder::{ObjectInput, TransactionBuilder};

const DEFAULT_FETCHES: usize = 200;
const SERVERS: usize = 3;
const THRESHOLD: usize = 2;

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as u64
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{label:<40} n={:<4} p50={:>7.2} ms  p99={:>7.2} ms  mean={:>7.2} ms  max={:>7.2} ms",
        samples.len(),
        percentile(&samples, 50.0).as_secs_f64() * 1e3,
        percentile(&samples, 99.0).as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        samples.last().expect("at least one sample").as_secs_f64() * 1e3,
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let fetches: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(DEFAULT_FETCHES);
    let operator = Keypair::from_secret_bytes([0x0a; 32]);
    let user = Keypair::from_secret_bytes([0x0b; 32]);
    let dir = tempfile::tempdir()?;
    let genesis = GenesisConfig {
        accounts: vec![
            GenesisAccount { address: operator.address(), sui_coins: vec![10_000_000_000] },
            GenesisAccount { address: user.address(), sui_coins: vec![10_000_000_000] },
        ],
        ..GenesisConfig::default()
    };
    let packages = packages_with([(SEAL_PACKAGE, Arc::new(SealPackage) as Arc<dyn NativePackage>)]);
    let devnet = Devnet::start_with(DevnetConfig::new(dir.path(), genesis), packages).await?;
    let chain = ChainClient::new(&devnet.url())?;

    let mut servers = Vec::new();
    let mut infos = Vec::new();
    for i in 0..SERVERS {
        let master = MasterKey::generate(&mut rand::thread_rng());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let packages = &devnet.deployment().packages;
        let id =
            register_key_server(&chain, packages, &operator, &format!("ks-{i}"), &url, &master.public_key()).await?;
        let mut config = KeyServerConfig::new(master, id, chain.clone());
        // The benchmark is one user asking back to back.
        config.rate_per_second = u32::MAX / 2;
        config.rate_burst = u32::MAX / 2;
        servers.push(KeyServer::serve(listener, config)?);
        infos.push(KeyServerInfo::from_chain(&chain, id).await?);
    }
    tokio::time::sleep(Duration::from_millis(700)).await;

    let inner_id: Vec<u8> = [user.address().as_bytes(), b"bench".as_slice()].concat();
    let mut tx = TransactionBuilder::new();
    tx.set_sender(Address::ZERO);
    tx.add_gas_objects([ObjectInput::owned(Address::from_static("0x1234"), 1, Digest::ZERO)]);
    tx.set_gas_price(1_000);
    tx.set_gas_budget(1);
    SealCalls::new(&devnet.deployment().packages).owner_seal_approve(&mut tx, &inner_id);
    let TransactionKind::ProgrammableTransaction(ptb) = tx.try_build()?.kind else {
        anyhow::bail!("the builder made no programmable transaction");
    };
    let wallet = sui_crypto::ed25519::Ed25519PrivateKey::new([0x0b; 32]);
    let session = SessionKey::create(&wallet, user.address(), SEAL_PACKAGE, 30, now_ms(), &mut rand::thread_rng())?;
    let http = reqwest::Client::new();

    // Warm up connections and caches.
    for _ in 0..5 {
        fetch_keys(&http, &infos, THRESHOLD, &session, &ptb).await?;
    }
    let mut single = Vec::with_capacity(fetches);
    for _ in 0..fetches {
        let started = Instant::now();
        fetch_keys(&http, &infos[..1], 1, &session, &ptb).await?;
        single.push(started.elapsed());
    }
    let mut threshold = Vec::with_capacity(fetches);
    for _ in 0..fetches {
        let started = Instant::now();
        fetch_keys(&http, &infos, THRESHOLD, &session, &ptb).await?;
        threshold.push(started.elapsed());
    }
    println!("key-server fetch latency, loopback, in-process devnet, 1 key id per request");
    report("one server (fetch + verify)", single);
    report(&format!("fetch_keys {THRESHOLD}-of-{SERVERS} (fetch + verify)"), threshold);

    for server in servers {
        server.shutdown().await;
    }
    devnet.shutdown().await;
    Ok(())
}

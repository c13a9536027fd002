//! Throughput of the devnet through floe-chain's client over gRPC on loopback:
//! executed-and-checkpointed transactions per second (SUI split+transfer PTBs from several
//! accounts in parallel, each waiting for its checkpoint), and the rate at which a subscriber
//! streams those checkpoints back from sequence 0, checking there is no gap; meanwhile a live
//! subscriber follows the chain and must see every checkpoint in order.
//!
//! Run: `cargo bench -p floe-devnet --bench throughput` (env `FLOE_BENCH_TXS`, `FLOE_BENCH_ACCOUNTS`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use floe_chain::{ChainClient, Keypair, SelectedCoin, StreamPolicy, select_gas, transaction_for};
use floe_devnet::{Devnet, DevnetConfig, GenesisAccount, GenesisConfig};
use futures::StreamExt;

const BUDGET: u64 = 50_000_000;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One account sending `count` transfers back to back, each waiting for its checkpoint.
async fn sender(client: ChainClient, key: Keypair, recipient: sui_sdk_types::Address, count: usize) {
    let mut gas: SelectedCoin = select_gas(&client, key.address(), BUDGET).await.expect("funded account");
    for _ in 0..count {
        let mut tx = transaction_for(key.address(), &gas, 1_000, BUDGET);
        let gas_arg = tx.gas();
        let amount = tx.pure(&1u64);
        let coin = tx.split_coins(gas_arg, vec![amount]);
        let to = tx.pure(&recipient);
        tx.transfer_objects(coin, to);
        let tx = tx.try_build().expect("complete transaction");
        let executed = client.sign_and_execute(&tx, &key).await.expect("transfer executes");
        gas.reference = executed.reference_of(gas.reference.object_id()).expect("gas coin written");
    }
}

#[tokio::main]
async fn main() {
    let total = env("FLOE_BENCH_TXS", 4_000);
    let accounts = env("FLOE_BENCH_ACCOUNTS", 16);
    let keys: Vec<Keypair> = (0..accounts).map(|i| Keypair::from_secret_bytes([i as u8 + 1; 32])).collect();
    let genesis = GenesisConfig {
        accounts: keys
            .iter()
            .map(|k| GenesisAccount { address: k.address(), sui_coins: vec![1_000_000_000_000] })
            .collect(),
        ..GenesisConfig::default()
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = DevnetConfig::new(dir.path(), genesis);
    config.checkpoint_interval = Duration::from_secs(1);
    let devnet = Devnet::start(config).await.expect("devnet starts");
    let client = ChainClient::new(&devnet.url()).expect("client");
    let recipient = Keypair::from_secret_bytes([0xee; 32]).address();

    // A live subscriber follows the chain while the transactions run, checking for gaps.
    let first_live = client.service_info().await.expect("service info").checkpoint_height + 1;
    let seen = Arc::new(AtomicU64::new(first_live - 1));
    let follower = {
        let seen = seen.clone();
        let mut live = Box::pin(
            client.checkpoints_from_with(first_live, StreamPolicy { max_attempts: Some(5), ..StreamPolicy::default() }),
        );
        tokio::spawn(async move {
            let mut expected = first_live;
            while let Some(checkpoint) = live.next().await {
                let checkpoint = checkpoint.expect("live checkpoint");
                assert_eq!(checkpoint.sequence_number, expected, "gap or repeat in the live stream");
                seen.store(expected, Ordering::SeqCst);
                expected += 1;
            }
        })
    };

    let per_account = total / accounts;
    let start = Instant::now();
    let tasks: Vec<_> =
        keys.into_iter().map(|key| tokio::spawn(sender(client.clone(), key, recipient, per_account))).collect();
    for task in tasks {
        task.await.expect("sender task");
    }
    let elapsed = start.elapsed();
    let executed = per_account * accounts;
    println!(
        "execute+checkpoint: {executed} transactions from {accounts} accounts in {:.2} s = {:.0} tx/s",
        elapsed.as_secs_f64(),
        executed as f64 / elapsed.as_secs_f64()
    );

    let tip = client.service_info().await.expect("service info").checkpoint_height;
    let caught_up = Instant::now();
    while seen.load(Ordering::SeqCst) < tip {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    println!(
        "live subscriber: {} checkpoints in order without gaps, caught up with the tip {:.1} ms after the last execution",
        tip + 1 - first_live,
        caught_up.elapsed().as_secs_f64() * 1e3
    );
    follower.abort();

    let start = Instant::now();
    // Errors surface instead of being retried forever.
    let policy = StreamPolicy { max_attempts: Some(5), ..StreamPolicy::default() };
    let mut stream = Box::pin(client.checkpoints_from_with(0, policy));
    let mut expected = 0;
    let mut transactions = 0;
    while expected <= tip {
        let checkpoint = stream.next().await.expect("stream continues").expect("checkpoint decodes");
        assert_eq!(checkpoint.sequence_number, expected, "gap or repeat in the checkpoint stream");
        transactions += checkpoint.transactions.len();
        expected += 1;
    }
    let elapsed = start.elapsed();
    println!(
        "stream: {} checkpoints ({transactions} transactions) from 0 in {:.2} s = {:.0} checkpoints/s, no gaps",
        tip + 1,
        elapsed.as_secs_f64(),
        (tip + 1) as f64 / elapsed.as_secs_f64()
    );
    devnet.shutdown().await;
}

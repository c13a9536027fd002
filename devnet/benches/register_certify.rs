//! Throughput of floe's storage path on the devnet through floe-chain's client over gRPC on
//! loopback: executed-and-checkpointed transactions per second, each one PTB that reserves
//! storage, registers a permanent blob on it and certifies it with a quorum certificate of a
//! 4-member committee (real BLS: the devnet verifies an aggregate signature per transaction).
//! Certificates are signed before the clock starts; several accounts send in parallel, each
//! waiting for its transaction's checkpoint before the next. Meanwhile a live subscriber follows
//! the checkpoint stream and must see every checkpoint, in order, without a gap.
//!
//! Run: `cargo bench -p floe-devnet --bench register_certify` (env `FLOE_BENCH_TXS`,
//! `FLOE_BENCH_ACCOUNTS`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use floe_chain::floe::calls::{CertificateBytes, FloeCalls, InitParams, NewBlob, SharedObject};
use floe_chain::{ChainClient, Keypair, SelectedCoin, StreamPolicy, select_gas, transaction_for};
use floe_devnet::{Devnet, DevnetConfig, FloeGenesis, GenesisAccount, GenesisConfig, floe_packages, packages_with};
use floe_encoder::bls::{BlsSecretKey, BlsSignature};
use floe_encoder::certificate::{Committee, CommitteeMember};
use floe_encoder::merkle::Node;
use floe_encoder::messages::{BlobPersistence, StorageConfirmation};
use floe_encoder::{BlobId, EncodingType};
use futures::StreamExt;
use sui_sdk_types::ObjectReference;
use sui_transaction_builder::ObjectInput;

const BUDGET: u64 = 50_000_000;
const EPOCH: u32 = 1;
/// Unencoded size of every blob: 10,680 encoded bytes at 10 shards.
const BLOB_SIZE: u64 = 1000;
const ENCODED_SIZE: u64 = 10_680;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One blob to store: its registration and a quorum certificate (members 0, 1, 2).
fn prepared_blob(keys: &[BlsSecretKey], account: usize, index: usize) -> (NewBlob, CertificateBytes) {
    let mut root_hash = [0u8; 32];
    root_hash[..8].copy_from_slice(&(account as u64).to_le_bytes());
    root_hash[8..16].copy_from_slice(&(index as u64).to_le_bytes());
    let blob_id = BlobId::derive(EncodingType::RS2, BLOB_SIZE, &Node::Digest(root_hash));
    let blob =
        NewBlob { blob_id, root_hash, size: BLOB_SIZE, encoding_type: EncodingType::RS2.as_u8(), deletable: false };
    let message = StorageConfirmation { epoch: EPOCH, blob_id, persistence: BlobPersistence::Permanent }.to_bytes();
    let signatures: Vec<BlsSignature> = keys[..3].iter().map(|key| key.sign(&message)).collect();
    let certificate = CertificateBytes {
        signature: BlsSignature::aggregate(&signatures).expect("three signatures").to_bytes().to_vec(),
        signers_bitmap: vec![0b0111],
        message,
    };
    (blob, certificate)
}

/// One account storing its blobs back to back, each waiting for its checkpoint.
async fn sender(
    client: ChainClient,
    calls: FloeCalls,
    key: Keypair,
    mut wal: ObjectReference,
    blobs: Vec<(NewBlob, CertificateBytes)>,
) {
    let mut gas: SelectedCoin = select_gas(&client, key.address(), BUDGET).await.expect("funded account");
    for (blob, certificate) in blobs {
        let mut tx = transaction_for(key.address(), &gas, 1_000, BUDGET);
        let payment = tx.object(ObjectInput::owned(*wal.object_id(), wal.version(), *wal.digest()));
        let storage = calls.reserve_space(&mut tx, ENCODED_SIZE, 2, payment);
        let registered = calls.register_blob(&mut tx, storage, &blob, payment);
        calls.certify_blob(&mut tx, registered, &certificate);
        let owner = tx.pure(&key.address());
        tx.transfer_objects(vec![registered], owner);
        let tx = tx.try_build().expect("complete transaction");
        let executed = client.sign_and_execute(&tx, &key).await.expect("register and certify execute");
        gas.reference = executed.reference_of(gas.reference.object_id()).expect("gas coin written");
        wal = executed.reference_of(wal.object_id()).expect("WAL coin written");
    }
}

#[tokio::main]
async fn main() {
    let total = env("FLOE_BENCH_TXS", 2_000);
    let accounts = env("FLOE_BENCH_ACCOUNTS", 16);
    let per_account = total / accounts;
    let keys: Vec<Keypair> = (0..accounts).map(|i| Keypair::from_secret_bytes([i as u8 + 1; 32])).collect();
    let bls: Vec<BlsSecretKey> = (0..4u8).map(|i| BlsSecretKey::from_seed(&[i + 0x10; 32])).collect();
    let members = bls
        .iter()
        .zip([3u16, 3, 2, 2])
        .enumerate()
        .map(|(i, (key, weight))| CommitteeMember { public_key: key.public_key(), weight, node_id: [i as u8 + 1; 32] })
        .collect();
    let committee = Committee::new(EPOCH, members).expect("committee");
    let params =
        InitParams { n_shards: 10, epoch_duration_ms: 3_600_000, max_epochs_ahead: 10, max_committee_size: 10 };
    let wal_accounts: Vec<_> = keys.iter().map(|k| (k.address(), vec![1_000_000_000_000])).collect();
    let genesis = FloeGenesis::new(&params, &wal_accounts).expect("genesis").with_committee(&committee, 1 << 40, 10, 5);
    let chain = GenesisConfig {
        accounts: keys
            .iter()
            .map(|k| GenesisAccount { address: k.address(), sui_coins: vec![1_000_000_000_000] })
            .collect(),
        ..GenesisConfig::default()
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = DevnetConfig::new(dir.path(), chain);
    config.checkpoint_interval = Duration::from_secs(1);
    genesis.configure(&mut config);
    let devnet = Devnet::start_with(config, packages_with(floe_packages())).await.expect("devnet starts");
    let client = ChainClient::new(&devnet.url()).expect("client");
    let packages = devnet.deployment().packages;
    let calls =
        FloeCalls::new(&packages, SharedObject::new(genesis.system.id, 1), SharedObject::new(genesis.staking.id, 1));

    let signing = Instant::now();
    let prepared: Vec<Vec<(NewBlob, CertificateBytes)>> = {
        let bls = std::sync::Arc::new(bls);
        let tasks: Vec<_> = (0..accounts)
            .map(|account| {
                let bls = bls.clone();
                tokio::task::spawn_blocking(move || (0..per_account).map(|i| prepared_blob(&bls, account, i)).collect())
            })
            .collect();
        let mut prepared = Vec::new();
        for task in tasks {
            prepared.push(task.await.expect("signing task"));
        }
        prepared
    };
    println!(
        "signed {} certificates in {:.2} s (not timed below)",
        per_account * accounts,
        signing.elapsed().as_secs_f64()
    );

    // A live subscriber follows the chain while the transactions run, checking for gaps.
    let first_live = client.service_info().await.expect("service info").checkpoint_height + 1;
    let seen = Arc::new(AtomicU64::new(first_live - 1));
    let follower = {
        let seen = seen.clone();
        let policy = StreamPolicy { max_attempts: Some(5), ..StreamPolicy::default() };
        let mut live = Box::pin(client.checkpoints_from_with(first_live, policy));
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

    let mut tasks = Vec::new();
    let start = Instant::now();
    for (key, blobs) in keys.into_iter().zip(prepared) {
        let wal_id = genesis.wal_coins.iter().find(|(owner, _)| *owner == key.address()).expect("WAL coin").1.id;
        let wal = client.get_object(wal_id).await.expect("WAL coin exists");
        let wal = ObjectReference::new(wal.object_id(), wal.version(), wal.digest());
        tasks.push(tokio::spawn(sender(client.clone(), calls, key, wal, blobs)));
    }
    for task in tasks {
        task.await.expect("sender task");
    }
    let elapsed = start.elapsed();
    let executed = per_account * accounts;
    println!(
        "reserve+register+certify: {executed} transactions from {accounts} accounts in {:.2} s = {:.0} tx/s (executed and checkpointed)",
        elapsed.as_secs_f64(),
        executed as f64 / elapsed.as_secs_f64()
    );
    let tip = client.service_info().await.expect("service info").checkpoint_height;
    let caught_up = Instant::now();
    while seen.load(Ordering::SeqCst) < tip {
        assert!(!follower.is_finished(), "the live subscriber stopped");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    println!(
        "live subscriber: {} checkpoints in order without gaps, caught up with the tip {:.1} ms after the last execution",
        tip + 1 - first_live,
        caught_up.elapsed().as_secs_f64() * 1e3
    );
    follower.abort();
    devnet.shutdown().await;
}

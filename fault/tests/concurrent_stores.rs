//! 50 stores sent to the publisher at once (one key, its coin pool running them in parallel):
//! every one certifies, no payment is orphaned (no registered-but-uncertified `Blob` left owned
//! by the publisher's account) and the WAL spent is exactly what 50 stores cost.

use std::collections::BTreeSet;

use floe_chain::floe::{MoveType, blob::Blob};
use floe_chain::{Deployment, Keypair};
use floe_client::{ChainAccess, Price};
use floe_encoder::EncodingConfig;
use floe_fault::{Figures, Network, NetworkOptions, Publisher, random_blob, seeded};
use sui_sdk_types::ObjectData;

/// Stores in flight at once.
const STORES: usize = 50;
/// Epochs each store buys.
const EPOCHS: u32 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_stores_all_certify_and_pay_exactly_once() {
    let mut rng = seeded("concurrent_stores");
    let net = Network::start(NetworkOptions::default()).unwrap();
    let publisher = Publisher::new(net.daemon_url.as_deref().unwrap());
    let deployment = Deployment::load(&net.deployment_file).unwrap();
    let chain = ChainAccess::connect(deployment.clone(), None).await.unwrap();
    let payer = Keypair::from_suiprivkey(&net.key).unwrap().address();
    let before = chain.wal_balance(payer).await.unwrap();

    // Distinct blobs (random bytes) of random sizes, all PUT at once.
    let blobs: Vec<Vec<u8>> = (0..STORES).map(|_| random_blob(&mut rng, 1..32 * 1024)).collect();
    let started = std::time::Instant::now();
    let stores = blobs.iter().map(|bytes| {
        let publisher = publisher.clone();
        let bytes = bytes.clone();
        tokio::spawn(async move { publisher.store(bytes, EPOCHS).await })
    });
    let results: Vec<_> = futures_join(stores).await;
    let seconds = started.elapsed().as_secs_f64();

    let mut figures = Figures::new("concurrent_stores");
    figures.tried = STORES as u64;
    let mut stored_ids = BTreeSet::new();
    let mut reported_cost = 0;
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(stored) if stored.newly_created => {
                figures.succeeded += 1;
                reported_cost += stored.cost;
                stored_ids.insert(stored.blob_id);
            }
            Ok(stored) => failures.push(format!("{} answered alreadyCertified for a new blob", stored.blob_id)),
            Err(error) => failures.push(error),
        }
    }

    // The account's Blob objects: one per store, each certified (nothing paid and left behind).
    let tag = <Blob as MoveType>::struct_tag(&deployment.packages);
    let owned: Vec<Blob> = chain
        .client()
        .owned_objects(payer, Some(&tag))
        .await
        .unwrap()
        .iter()
        .filter_map(|object| match object.data() {
            ObjectData::Struct(data) => bcs::from_bytes::<Blob>(data.contents()).ok(),
            ObjectData::Package(_) => None,
        })
        .collect();
    let uncertified: Vec<String> =
        owned.iter().filter(|blob| blob.certified_epoch.is_none()).map(|blob| blob.blob_id.to_string()).collect();
    let owned_ids: BTreeSet<String> = owned.iter().map(|blob| blob.blob_id.to_string()).collect();

    // What 50 stores of these sizes cost at the chain's prices.
    let system = chain.system().await.unwrap();
    let config = EncodingConfig::new(net.n_shards()).unwrap();
    let expected: u64 =
        blobs.iter().map(|bytes| Price::of(&system, &config, bytes.len() as u64, EPOCHS).unwrap().total()).sum();
    let spent = before - chain.wal_balance(payer).await.unwrap();

    // Every acknowledged blob reads back.
    let mut wrong = 0;
    for bytes in &blobs {
        let id = floe_encoder::encode(&config, bytes).unwrap().metadata.blob_id().to_string();
        if stored_ids.contains(&id) && publisher.read(&id).await.ok().as_ref() != Some(bytes) {
            wrong += 1;
        }
    }
    figures.wrong_bytes = wrong;
    figures.note("seconds", format!("{seconds:.1}"));
    figures.note("orphaned registrations", uncertified.len());
    figures.note("WAL spent / expected (FROST)", format!("{spent}/{expected}"));
    println!("{figures}");

    assert!(failures.is_empty(), "{} stores failed: {failures:?}\n{}", failures.len(), net.logs());
    assert_eq!(figures.succeeded, STORES as u64);
    assert!(uncertified.is_empty(), "registered but never certified: {uncertified:?}");
    assert_eq!(owned_ids, stored_ids, "the account owns exactly the blobs stored");
    assert_eq!(owned.len(), STORES, "one Blob object per store, none paid twice");
    assert_eq!(spent, expected, "WAL spent vs the price of {STORES} stores");
    assert_eq!(reported_cost, expected, "the costs the publisher reported");
    assert_eq!(wrong, 0, "a stored blob read back different");
}

/// Awaits every task, in order.
async fn futures_join<T: Send + 'static>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        out.push(task.await.expect("a store task panicked"));
    }
    out
}

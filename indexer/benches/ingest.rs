//! Ingest and explorer benchmark: a synthetic backfill of blob events (registrations,
//! certifications, wallet transfers) into SQLite and PostgreSQL, then explorer query latency
//! at that size.
//!
//! `cargo bench -p floe-indexer --bench ingest -- [--events N] [--sqlite-only]`
//! PostgreSQL: `FLOE_BENCH_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`); the
//! benchmark works in a schema of its own and drops it.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use floe_chain::Packages;
use floe_chain::floe::MoveType;
use floe_chain::floe::events::{BlobCertified, BlobRegistered};
use floe_encoder::BlobId;
use floe_indexer::{
    ConnectionManager, DatabaseUrl, DbConnection, IndexedCheckpoint, IndexedTransaction, Ingester,
    MAX_BATCH_CHECKPOINTS, ObjectChange, ObjectState, Pool,
};
use sui_sdk_types::{Address, Digest, Event, Identifier, Owner};
use tower::ServiceExt;

/// Transactions per checkpoint (each registers or certifies one blob).
const TXS_PER_CHECKPOINT: usize = 10;
/// Distinct owners the blobs are spread over.
const OWNERS: u64 = 1_000;
/// Requests per explorer endpoint.
const QUERIES: usize = 1_000;

fn packages() -> Packages {
    Packages { wal: Address::new([0xa1; 32]), floe: Address::new([0xf1; 32]), seal: Address::new([0x5e; 32]) }
}

fn address(kind: u8, n: u64) -> Address {
    let mut bytes = [kind; 32];
    bytes[..8].copy_from_slice(&n.to_le_bytes());
    Address::new(bytes)
}

fn blob_id(n: u64) -> BlobId {
    let mut bytes = [0x42; 32];
    bytes[..8].copy_from_slice(&n.to_le_bytes());
    BlobId(bytes)
}

fn event<T: MoveType + serde::Serialize>(value: &T) -> Event {
    let packages = packages();
    Event {
        package_id: packages.floe,
        module: Identifier::from_static("system"),
        sender: Address::ZERO,
        type_: T::struct_tag(&packages),
        contents: bcs::to_bytes(value).expect("mirrors serialize"),
    }
}

/// A history of `events` blob events: blob `i` is registered in one transaction and certified
/// in the next checkpoint; every tenth blob is then transferred by its owner's wallet.
fn history(events: usize) -> Vec<IndexedCheckpoint> {
    let blobs = (events / 2) as u64;
    let mut txs: Vec<IndexedTransaction> = Vec::new();
    let mut tx_number = 0u64;
    let mut tx = |sender: Address, events: Vec<Event>, changes: Vec<ObjectChange>| {
        tx_number += 1;
        let mut digest = [0u8; 32];
        digest[..8].copy_from_slice(&tx_number.to_le_bytes());
        IndexedTransaction {
            digest: Digest::new(digest).to_string(),
            sender,
            succeeded: true,
            events,
            object_changes: changes,
        }
    };
    let written = |object: Address, owner: Address| ObjectChange {
        object_id: object,
        state: ObjectState::Written(Owner::Address(owner)),
    };
    for i in 0..blobs {
        let (object, owner) = (address(0x0b, i), address(0xa0, i % OWNERS));
        let gas = written(address(0x6a, i % OWNERS), owner);
        let registered = BlobRegistered {
            epoch: 1,
            blob_id: blob_id(i),
            size: 1_000 + i,
            encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
            end_epoch: 10,
            deletable: i % 2 == 0,
            object_id: object,
        };
        txs.push(tx(owner, vec![event(&registered)], vec![written(object, owner), gas]));
        // Certify the blob registered TXS_PER_CHECKPOINT transactions ago: the previous checkpoint.
        if i >= TXS_PER_CHECKPOINT as u64 {
            let j = i - TXS_PER_CHECKPOINT as u64;
            let (object, owner) = (address(0x0b, j), address(0xa0, j % OWNERS));
            let certified = BlobCertified {
                epoch: 1,
                blob_id: blob_id(j),
                end_epoch: 10,
                deletable: j.is_multiple_of(2),
                object_id: object,
                is_extension: false,
            };
            let mut changes = vec![written(object, owner), written(address(0x6a, j % OWNERS), owner)];
            if j.is_multiple_of(10) {
                // A transfer in the same transaction as the certification.
                changes[0] = written(object, address(0xa0, (j + 1) % OWNERS));
            }
            txs.push(tx(owner, vec![event(&certified)], changes));
        }
    }
    txs.chunks(TXS_PER_CHECKPOINT)
        .enumerate()
        .map(|(n, chunk)| IndexedCheckpoint {
            sequence_number: n as u64,
            epoch: 1,
            timestamp_ms: 1_700_000_000_000 + n as u64 * 250,
            transactions: chunk.to_vec(),
        })
        .collect()
}

struct Target {
    name: &'static str,
    url: DatabaseUrl,
    setup: Option<String>,
}

fn connect(target: &Target) -> DbConnection {
    let mut conn = DbConnection::establish(&target.url).expect("database reachable");
    if let Some(setup) = &target.setup {
        conn.batch_execute(setup).expect("setup");
    }
    conn
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

async fn measure(app: &axum::Router, name: &str, uris: &[String]) {
    let mut times = Vec::with_capacity(uris.len());
    for uri in uris {
        let start = Instant::now();
        let response = app.clone().oneshot(Request::get(uri.as_str()).body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let _ = axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap();
        times.push(start.elapsed());
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
    times.sort();
    println!(
        "    {name:<28} p50 {:>7.3} ms   p99 {:>7.3} ms   max {:>7.3} ms",
        percentile(&times, 0.50).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
}

fn run(target: &Target, checkpoints: &[IndexedCheckpoint], events: usize) {
    let mut conn = connect(target);
    conn.run_migrations().expect("migrations");
    let mut ingester = Ingester::new(conn, packages());
    let start = Instant::now();
    for batch in checkpoints.chunks(MAX_BATCH_CHECKPOINTS) {
        ingester.apply(batch).expect("ingest");
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{}: {} events in {} checkpoints in {:.2} s: {:.0} events/s, {:.0} checkpoints/s (batches of {} checkpoints)",
        target.name,
        events,
        checkpoints.len(),
        elapsed,
        events as f64 / elapsed,
        checkpoints.len() as f64 / elapsed,
        MAX_BATCH_CHECKPOINTS
    );

    let pool: Pool = Pool::builder()
        .max_size(2)
        .build(ConnectionManager::new(target.url.clone(), target.setup.clone()))
        .expect("pool");
    let app = floe_indexer::api::router(pool);
    let blobs = (events / 2) as u64;
    let pick = |k: usize| (k as u64 * 7_919) % blobs;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let by_object: Vec<String> = (0..QUERIES).map(|k| format!("/v1/objects/{}", address(0x0b, pick(k)))).collect();
        let by_blob: Vec<String> = (0..QUERIES).map(|k| format!("/v1/blobs/{}", blob_id(pick(k)))).collect();
        let by_owner: Vec<String> =
            (0..QUERIES).map(|k| format!("/v1/blobs?owner={}&limit=50", address(0xa0, pick(k) % OWNERS))).collect();
        let recent: Vec<String> = (0..QUERIES).map(|k| format!("/v1/blobs?limit=50&cursor={}", pick(k) * 2)).collect();
        let events_by_blob: Vec<String> =
            (0..QUERIES).map(|k| format!("/v1/events?blob_id={}", blob_id(pick(k)))).collect();
        let events_by_kind: Vec<String> =
            (0..QUERIES).map(|k| format!("/v1/events?kind=BlobCertified&limit=50&cursor={}", pick(k) * 2)).collect();
        let totals: Vec<String> = (0..QUERIES).map(|_| "/v1/totals".to_owned()).collect();
        println!("  explorer ({QUERIES} requests each, in-process through the router):");
        measure(&app, "blob by object id", &by_object).await;
        measure(&app, "blob by blob id", &by_blob).await;
        measure(&app, "blobs by owner (50)", &by_owner).await;
        measure(&app, "recent blobs page (50)", &recent).await;
        measure(&app, "events by blob", &events_by_blob).await;
        measure(&app, "events by type page (50)", &events_by_kind).await;
        measure(&app, "totals", &totals).await;
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let events = args
        .iter()
        .position(|a| a == "--events")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse::<usize>().expect("--events takes a number"))
        .unwrap_or(100_000);
    let sqlite_only = args.iter().any(|a| a == "--sqlite-only");
    let checkpoints = history(events);
    let events: usize = checkpoints.iter().flat_map(|c| &c.transactions).map(|t| t.events.len()).sum();

    let dir = tempfile::tempdir().expect("temp dir");
    run(&Target { name: "SQLite", url: DatabaseUrl::in_data_dir(dir.path()), setup: None }, &checkpoints, events);

    if !sqlite_only {
        let url = std::env::var("FLOE_BENCH_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let url = DatabaseUrl::parse(&url).expect("PostgreSQL url");
        let schema = format!("floe_indexer_bench_{}", std::process::id());
        let mut admin = DbConnection::establish(&url).expect("PostgreSQL reachable (or pass --sqlite-only)");
        admin.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("create schema");
        let target = Target { name: "PostgreSQL", url, setup: Some(format!("SET search_path TO {schema}")) };
        run(&target, &checkpoints, events);
        admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).expect("drop schema");
    }
}

//! The indexer following real floe flows on a small local network, checked through its explorer
//! HTTP API: stored blobs appear with their ids, owner, size and epochs; a plain transfer moves
//! the owner; extension and deletion follow; a stake and an epoch change fill the staking and
//! epoch tables; an indexer killed mid-run and restarted on its database ends up with exactly the
//! rows a fresh indexer makes of the same chain. The blob flows run on SQLite and PostgreSQL.
//! With the aggregator given, the files of a stored quilt are found by identifier and by tag
//! (a plain blob lists none), on both backends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use floe_chain::floe::state::FloeReader;
use floe_chain::{Executor, Keypair, gas_budget};
use floe_client::{NoProgress, StoreOptions, StoreOutcome};
use floe_indexer::{DatabaseUrl, DbConnection, IndexerConfig, IndexerService};
use floe_tests::{SMALL, TestNet, random_bytes};
use serde_json::Value;
use sui_sdk_types::Address;
use sui_transaction_builder::ObjectInput;

/// Starts an indexer of `net`'s chain on `database`, serving on a free port.
async fn start_indexer(net: &TestNet, database: &DatabaseUrl) -> IndexerService {
    start_indexer_with(net, database, None).await
}

/// As [`start_indexer`], asking `aggregator` for quilt patches if given.
async fn start_indexer_with(net: &TestNet, database: &DatabaseUrl, aggregator: Option<&str>) -> IndexerService {
    IndexerService::start(IndexerConfig {
        database: database.clone(),
        rpc_url: net.localnet.rpc_url(),
        packages: net.localnet.deployment().packages,
        first_checkpoint: 0,
        listen: "127.0.0.1:0".parse().expect("a socket address"),
        stream_policy: Default::default(),
        cors: Default::default(),
        quilts: aggregator.map(floe_indexer::QuiltSource::new),
        tls: None,
    })
    .await
    .expect("the indexer starts")
}

/// `GET base + path` as JSON, asserting a 200.
async fn get(service: &IndexerService, path: &str) -> Value {
    let url = format!("http://{}{path}", service.addr());
    let response = reqwest::get(&url).await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status();
    let body = response.text().await.expect("a body");
    assert!(status.is_success(), "GET {url}: {status}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: {e}: {body}"))
}

/// Waits until the indexer has committed the chain's current tip; returns that checkpoint.
async fn caught_up(net: &TestNet, service: &IndexerService) -> i64 {
    let tip = net.localnet.chain().service_info().await.expect("service info").checkpoint_height;
    let tip = i64::try_from(tip).expect("a small checkpoint");
    for _ in 0..400 {
        if get(service, "/v1/totals").await["checkpoint"].as_i64().is_some_and(|c| c >= tip) {
            return tip;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the indexer did not reach checkpoint {tip} within 20 s");
}

/// The one Blob row of `object_id`.
async fn blob_row(service: &IndexerService, object_id: Address) -> Value {
    get(service, &format!("/v1/objects/{object_id}")).await
}

/// Stores `len` fresh bytes; returns the new Blob object.
async fn store(net: &TestNet, seed: u64, deletable: bool) -> floe_chain::floe::blob::Blob {
    let client = net.localnet.client().await.expect("a client");
    let options = StoreOptions { epochs: 2, deletable, ..StoreOptions::default() };
    match client.store(random_bytes(10_000 + seed as usize, seed), &options, &NoProgress).await {
        Ok(StoreOutcome::NewlyCreated { blob, .. }) => blob,
        other => panic!("store: {other:?}"),
    }
}

/// Moves the Blob `object_id` from the user to `recipient` with a plain `TransferObjects`.
async fn transfer(net: &TestNet, object_id: Address, recipient: Address) {
    let chain = net.localnet.chain();
    let user = net.localnet.user_key();
    let object = chain.get_object(object_id).await.expect("the blob object");
    Executor::new(chain, user)
        .run(gas_budget::CALL, |builder| {
            let blob = builder.object(ObjectInput::owned(object_id, object.version(), object.digest()));
            let to = builder.pure(&recipient);
            builder.transfer_objects(vec![blob], to);
        })
        .await
        .expect("the transfer executes");
}

/// Blob flows 1-3: store, transfer, extend, delete, each checked in the indexer's rows.
async fn blob_flows_follow(net: &TestNet, service: &IndexerService) {
    let user = net.localnet.user_key().address();
    let client = net.localnet.client().await.expect("a client");
    let access = client.chain().expect("a signing client");

    // 1. store: register + certify.
    let kept = store(net, 1, false).await;
    caught_up(net, service).await;
    let row = blob_row(service, kept.id).await;
    assert_eq!(row["blob_id"], kept.blob_id.to_string());
    assert_eq!(row["object_id"], kept.id.to_string());
    assert_eq!(row["owner"], user.to_string());
    assert_eq!(row["size"], kept.size);
    assert_eq!(row["registered_epoch"], kept.registered_epoch);
    assert_eq!(row["certified_epoch"], kept.certified_epoch.expect("certified"));
    assert_eq!(row["end_epoch"], kept.storage.end_epoch);
    assert_eq!(row["deletable"], false);
    assert_eq!(row["deleted"], false);
    let by_blob_id = get(service, &format!("/v1/blobs/{}", kept.blob_id)).await;
    assert_eq!(by_blob_id.as_array().map(Vec::len), Some(1), "{by_blob_id}");
    let events = get(service, &format!("/v1/events?object_id={}", kept.id)).await;
    let kinds: Vec<&str> =
        events["items"].as_array().expect("items").iter().filter_map(|e| e["kind"].as_str()).collect();
    // Newest first.
    assert_eq!(kinds, ["BlobCertified", "BlobRegistered"]);
    for event in events["items"].as_array().expect("items") {
        let digest = event["tx_digest"].as_str().expect("a digest");
        assert!(digest.parse::<sui_sdk_types::Digest>().is_ok(), "tx digest {digest}");
        assert_eq!(event["blob_id"], kept.blob_id.to_string());
        assert_eq!(event["sender"], user.to_string());
        let by_tx = get(service, &format!("/v1/events?tx={digest}")).await;
        assert!(by_tx["items"].as_array().expect("items").iter().any(|e| e["id"] == event["id"]));
    }

    // 2. a plain transfer moves the owner.
    let other = Keypair::from_secret_bytes([0x0b; 32]).address();
    transfer(net, kept.id, other).await;
    caught_up(net, service).await;
    assert_eq!(blob_row(service, kept.id).await["owner"], other.to_string());
    let owned = get(service, &format!("/v1/blobs?owner={other}")).await;
    let owned: Vec<&Value> = owned["items"].as_array().expect("items").iter().map(|b| &b["object_id"]).collect();
    assert_eq!(owned, [&Value::String(kept.id.to_string())]);

    // 3. extend, then delete a deletable blob.
    let doomed = store(net, 2, true).await;
    access.extend(doomed.id, 3).await.expect("extend");
    caught_up(net, service).await;
    let row = blob_row(service, doomed.id).await;
    assert_eq!(row["end_epoch"], doomed.storage.end_epoch + 3, "{row}");
    assert_eq!(row["deletable"], true);
    access.delete(doomed.id).await.expect("delete");
    caught_up(net, service).await;
    let row = blob_row(service, doomed.id).await;
    assert_eq!(row["deleted"], true, "{row}");
    let totals = get(service, "/v1/totals").await;
    assert_eq!(totals["blob_count"], 1, "{totals}");
    assert_eq!(totals["certified_count"], 1, "{totals}");
    assert_eq!(totals["stored_bytes"], kept.size, "{totals}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_transferred_extended_and_deleted_blobs_follow_in_sqlite() {
    let net = TestNet::start(SMALL).await;
    let service = start_indexer(&net, &DatabaseUrl::Sqlite(net.dir().join("indexer.sqlite"))).await;
    blob_flows_follow(&net, &service).await;
    assert!(service.stop().await.is_none(), "the follower stopped on an error");
    net.shutdown().await;
}

/// A PostgreSQL database of its own, dropped at the end.
struct PostgresDb {
    admin: String,
    name: String,
}

impl PostgresDb {
    fn create() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let admin = std::env::var("FLOE_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let name = format!("floe_e2e_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let mut conn = DbConnection::establish(&DatabaseUrl::parse(&admin).expect("a URL"))
            .expect("PostgreSQL at FLOE_TEST_POSTGRES or 127.0.0.1:5432");
        // One statement per call: several in one simple query run as a transaction, which
        // CREATE DATABASE refuses.
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).expect("drop database");
        conn.batch_execute(&format!("CREATE DATABASE {name}")).expect("create database");
        Self { admin, name }
    }

    fn url(&self) -> DatabaseUrl {
        let base = self.admin.rsplit_once('/').map_or(self.admin.as_str(), |(base, _)| base);
        DatabaseUrl::parse(&format!("{base}/{}", self.name)).expect("a URL")
    }
}

impl Drop for PostgresDb {
    fn drop(&mut self) {
        if let Ok(mut conn) = DbConnection::establish(&DatabaseUrl::Postgres(self.admin.clone())) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_transferred_extended_and_deleted_blobs_follow_in_postgres() {
    let db = PostgresDb::create();
    let net = TestNet::start(SMALL).await;
    let service = start_indexer(&net, &db.url()).await;
    blob_flows_follow(&net, &service).await;
    assert!(service.stop().await.is_none(), "the follower stopped on an error");
    net.shutdown().await;
}

/// Rows of both indexers that must be equal, up to checkpoint `until` (events carry their ids,
/// so a doubled or lost event shows).
async fn comparable_rows(service: &IndexerService, until: i64) -> Value {
    let events = get(service, "/v1/events?limit=500").await;
    let events: Vec<Value> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["checkpoint"].as_i64().is_some_and(|c| c <= until))
        .cloned()
        .collect();
    serde_json::json!({
        "events": events,
        "blobs": get(service, "/v1/blobs?limit=500").await["items"],
        "stakes": get(service, "/v1/stakes?limit=500").await["items"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stakes_and_epochs_follow_and_a_restarted_indexer_matches_a_fresh_one() {
    let net = TestNet::start(SMALL).await;
    let database = DatabaseUrl::Sqlite(net.dir().join("restarted.sqlite"));
    let service = start_indexer(&net, &database).await;
    let user = net.localnet.user_key().address();

    // 4. stake with a pool, then an epoch change.
    let reader = FloeReader::new(net.localnet.chain(), net.localnet.deployment().clone());
    let committee = reader.committee().await.expect("the committee");
    let node_id = committee.members[0].node_id;
    let amount = 1_000_000_000;
    net.stake(node_id, amount).await;
    caught_up(&net, &service).await;
    let stakes = get(&service, &format!("/v1/stakes?owner={user}")).await;
    let stakes = stakes["items"].as_array().expect("items");
    assert_eq!(stakes.len(), 1, "{stakes:?}");
    assert_eq!(stakes[0]["node_id"], node_id.to_string());
    assert_eq!(stakes[0]["principal"], amount);
    let pools = get(&service, "/v1/pools").await;
    let pool = pools.as_array().expect("pools").iter().find(|p| p["node_id"] == node_id.to_string()).cloned();
    let pool = pool.unwrap_or_else(|| panic!("no pool row for {node_id}: {pools}"));
    assert!(pool["staked"].as_u64().is_some_and(|s| s >= amount), "{pool}");

    // Kill the indexer mid-run; the chain goes on without it.
    assert!(service.stop().await.is_none(), "the follower stopped on an error");
    let (epoch, _) = net.advance_epoch().await;
    assert_eq!(epoch, committee.epoch + 1);
    store(&net, 3, false).await;

    let service = start_indexer(&net, &database).await;
    caught_up(&net, &service).await;
    let epochs = get(&service, "/v1/epochs").await;
    let numbers: Vec<i64> =
        epochs["items"].as_array().expect("items").iter().filter_map(|e| e["epoch"].as_i64()).collect();
    assert_eq!(numbers.first(), Some(&i64::from(epoch)), "{epochs}");
    // Members appear as they report their shards received (ShardsReceived); the last report may
    // come after the quorum that finished the epoch change, so wait for it.
    let reported = Instant::now();
    loop {
        let members = get(&service, &format!("/v1/committee?epoch={epoch}")).await;
        let shards: usize = members["members"]
            .as_array()
            .map_or(0, |m| m.iter().filter_map(|m| m["shards"].as_array()).map(Vec::len).sum());
        if shards == usize::from(SMALL.shards) {
            break;
        }
        assert!(reported.elapsed() < Duration::from_secs(60), "{shards} shards reported: {members}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        caught_up(&net, &service).await;
    }

    // 5. exactly once: the restarted indexer has what a fresh one makes of the same chain.
    let fresh = start_indexer(&net, &DatabaseUrl::Sqlite(net.dir().join("fresh.sqlite"))).await;
    let until = caught_up(&net, &fresh).await;
    caught_up(&net, &service).await;
    let (restarted_rows, fresh_rows) = (comparable_rows(&service, until).await, comparable_rows(&fresh, until).await);
    assert!(!restarted_rows["events"].as_array().expect("events").is_empty());
    assert_eq!(restarted_rows, fresh_rows);
    assert!(service.stop().await.is_none());
    assert!(fresh.stop().await.is_none());
    net.shutdown().await;
}

/// `GET path` until `ready` holds of the answer (the indexer learns patches after it indexed the
/// certification).
async fn get_when(service: &IndexerService, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = get(service, path).await;
        if ready(&answer) {
            return answer;
        }
        assert!(Instant::now() < deadline, "GET {path} within 60 s: {answer}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A quilt and a plain blob stored on `net`; the indexer with the aggregator finds the quilt's
/// files by identifier, by tag and by quilt, and nothing for the plain blob.
async fn quilt_patches_are_searchable(net: &TestNet, database: &DatabaseUrl) {
    use floe_encoder::quilt::QuiltFile;
    let aggregator = net.localnet.daemon_url().expect("the daemon runs");
    let service = start_indexer_with(net, database, Some(&aggregator)).await;
    let client = net.localnet.client().await.expect("a client");
    let files = vec![
        QuiltFile::new("index.html", b"<h1>hi</h1>".to_vec()).unwrap().with_tag("content-type", "text/html"),
        QuiltFile::new("logo.png", random_bytes(3_000, 5)).unwrap().with_tag("content-type", "image/png"),
        QuiltFile::new("notes.txt", b"plain".to_vec()).unwrap().with_tag("lang", "en"),
    ];
    let stored = client.store_quilt(&files, &StoreOptions::default(), &NoProgress).await.expect("store a quilt");
    let quilt_id = stored.quilt_id().to_string();
    let plain = store(net, 21, false).await;

    let found = get_when(&service, "/v1/quilt-patches?identifier=logo.png", |page| {
        page["items"].as_array().is_some_and(|items| !items.is_empty())
    })
    .await;
    let item = &found["items"][0];
    assert_eq!(item["quilt_id"], quilt_id.as_str(), "{found}");
    let patch_ids: std::collections::BTreeMap<String, String> =
        stored.patch_ids().into_iter().map(|(identifier, id)| (identifier, id.to_string())).collect();
    assert_eq!(item["patch_id"], patch_ids["logo.png"].as_str(), "{found}");
    assert_eq!(item["tags"]["content-type"], "image/png", "{found}");

    let tagged = get(&service, "/v1/quilt-patches?tag_key=content-type").await;
    let mut names: Vec<&str> =
        tagged["items"].as_array().unwrap().iter().map(|p| p["identifier"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["index.html", "logo.png"], "{tagged}");
    let html = get(&service, "/v1/quilt-patches?tag_key=content-type&tag_value=text/html").await;
    assert_eq!(html["items"].as_array().unwrap().len(), 1, "{html}");
    assert_eq!(html["items"][0]["identifier"], "index.html");
    let whole = get(&service, &format!("/v1/quilt-patches?quilt_id={quilt_id}")).await;
    assert_eq!(whole["items"].as_array().unwrap().len(), 3, "{whole}");
    // A plain blob has no patches (that it is recorded as no quilt is the unit tests' part).
    let none = get(&service, &format!("/v1/quilt-patches?quilt_id={}", plain.blob_id)).await;
    assert_eq!(none["items"], serde_json::json!([]), "{none}");
    assert!(service.stop().await.is_none(), "the follower stopped on an error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quilt_patches_are_found_by_identifier_and_tag_in_sqlite() {
    let net = TestNet::start(SMALL).await;
    quilt_patches_are_searchable(&net, &DatabaseUrl::Sqlite(net.dir().join("indexer.sqlite"))).await;
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quilt_patches_are_found_by_identifier_and_tag_in_postgres() {
    let db = PostgresDb::create();
    let net = TestNet::start(SMALL).await;
    quilt_patches_are_searchable(&net, &db.url()).await;
    net.shutdown().await;
}

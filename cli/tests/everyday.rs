//! The everyday blob commands through the `floe` binary against one `floe localnet` (with its
//! indexer, 6 s epochs): `floe health`, `floe store --dry-run` and `--epochs max`, refusals that
//! name the rule before anything is paid, `floe status` in words with its owner, attributes
//! removed, blobs burnt at any time or all expired at once, the aggregator's caching of
//! permanent and deletable blobs, and `floe blob-id --deployment`.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Localnet, floe_command, run};
use serde_json::Value;

/// `floe ARGS --deployment D --key KEY` as the funded user: its JSON, or its stderr.
fn user(net: &Localnet, args: &[&str]) -> Result<Value, String> {
    net.floe(Some(&net.key), args)
}

/// The funded user's balances.
fn balances(net: &Localnet) -> (u64, u64) {
    let balance = user(net, &["wallet", "balance"]).expect("floe wallet balance");
    (balance["sui_mist"].as_u64().unwrap(), balance["wal_frost"].as_u64().unwrap())
}

/// `floe info` once `ready` holds of it (the chain's epoch clock, not a fixed sleep).
fn info_when(net: &Localnet, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let info = user(net, &["info"]).expect("floe info");
        if ready(&info) {
            return info;
        }
        assert!(Instant::now() < deadline, "{what} did not happen within 90 s: {info}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The same command without `--json`: what a person reads.
fn text(net: &Localnet, args: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_floe"));
    command.args(["--log-level", "warn"]).args(args).arg("--deployment").arg(&net.deployment);
    let out = command.output().unwrap();
    assert!(out.status.success(), "floe {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn object_of(stored: &Value) -> String {
    stored["outcome"]["newlyCreated"]["blobObject"]["id"].as_str().unwrap_or_else(|| panic!("{stored}")).to_owned()
}

fn listed_objects(net: &Localnet) -> Vec<String> {
    let listed = user(net, &["list-blobs"]).expect("floe list-blobs");
    listed["blobs"].as_array().unwrap().iter().map(|row| row["objectId"].as_str().unwrap().to_owned()).collect()
}

/// `Cache-Control` of the aggregator's answer to `GET path` (HTTP/1.0 by hand: the tests have
/// no blocking HTTP client).
/// Retried while the nodes have not yet seen the certificate (409).
fn cache_control(aggregator: &str, path: &str) -> String {
    use std::io::{Read as _, Write as _};
    let addr = aggregator.trim_start_matches("http://").trim_end_matches('/');
    let deadline = Instant::now() + Duration::from_secs(30);
    let head = loop {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let head = text.split_once("\r\n\r\n").expect("an HTTP answer").0.to_owned();
        if head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200") {
            break head;
        }
        assert!(Instant::now() < deadline, "GET {path}: {head}");
        std::thread::sleep(Duration::from_millis(300));
    };
    head.lines()
        .find_map(|line| line.split_once(':').filter(|(name, _)| name.eq_ignore_ascii_case("cache-control")))
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_else(|| panic!("GET {path} has no Cache-Control: {head}"))
}

#[test]
fn everyday_commands_say_what_they_do_and_refuse_before_paying() {
    let dir = tempfile::tempdir().unwrap();
    let net = Localnet::start_indexed(dir.path(), &["--epoch-secs", "6", "--key-servers", "0", "--no-demo"]);
    let info = user(&net, &["info"]).unwrap();
    let max = info["max_epochs_ahead"].as_u64().expect("floe info shows max_epochs_ahead");

    // Every node answers its health.
    let health = user(&net, &["health"]).unwrap();
    assert_eq!((health["healthy"].as_u64(), health["nodes"].as_array().map(Vec::len)), (Some(4), Some(4)), "{health}");
    let shards: u64 = health["nodes"].as_array().unwrap().iter().map(|node| node["shards"].as_u64().unwrap()).sum();
    assert_eq!(shards, 12, "{health}");
    // Each node's store has its database on disk, at least.
    assert!(health["nodes"].as_array().unwrap().iter().all(|node| node["disk_bytes"].as_u64() > Some(0)), "{health}");
    assert!(text(&net, &["health"]).contains("4 of 4 nodes healthy"));

    // A dry run prices without paying, and needs no key.
    let file = dir.path().join("a.txt");
    std::fs::write(&file, b"an everyday blob").unwrap();
    let file = file.to_str().unwrap();
    let before = balances(&net);
    let dry = net.floe(None, &["store", file, "--epochs", "2", "--dry-run"]).unwrap();
    assert!(dry["total_frost"].as_u64().unwrap() > 0 && dry["price"]["epochs"] == 2, "{dry}");
    assert_eq!(dry["n_shards"], 12);
    let offline = run(floe_command(&["blob-id", file, "--n-shards", "12"])).unwrap();
    assert_eq!(dry["blob_id"], offline["blob_id"]);
    assert_eq!(balances(&net), before, "a dry run pays nothing");

    // Too many epochs: the rule in words, nothing paid, each cause once.
    let refused = user(&net, &["store", file, "--epochs", "500"]).unwrap_err();
    assert!(refused.contains(&format!("storage is sold at most {max} epochs ahead")), "{refused}");
    assert_eq!(balances(&net), before, "a refused store pays nothing");
    let refused_line = refused.trim();
    for part in refused_line.split(": ").filter(|part| part.len() > 12) {
        assert_eq!(refused_line.matches(part).count(), 1, "{part:?} printed twice in {refused_line}");
    }

    // --epochs max stores as far ahead as sold.
    let stored = user(&net, &["store", file, "--epochs", "max"]).unwrap();
    let permanent = object_of(&stored);
    let blob_id = stored["blob_id"].as_str().unwrap().to_owned();
    let end = stored["outcome"]["newlyCreated"]["blobObject"]["storage"]["endEpoch"].as_u64().unwrap();
    let epoch = user(&net, &["info"]).unwrap()["epoch"].as_u64().unwrap();
    assert!(end == epoch + max || end + 1 == epoch + max, "end {end}, epoch {epoch}, max {max}");
    let refused = user(&net, &["extend", &permanent, "--epochs", "500"]).unwrap_err();
    assert!(refused.contains("so it can be extended by at most"), "{refused}");

    // Status in words, with the owner from the indexer once it indexed the blob.
    let explorer = net.started["explorer_url"].as_str().expect("the localnet runs an indexer").to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status = text(&net, &["status", &blob_id, "--indexer", &explorer]);
        if status.contains("owner: 0x") || Instant::now() > deadline {
            break status;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(status.contains(&format!("certified, permanent, until epoch {end} (from 20")), "{status}");
    assert!(status.contains("12 of 12 shards answered"), "{status}");
    let address = net.started["address"].as_str().unwrap();
    assert!(status.contains(&format!("owner: {address} (Blob object {permanent}, permanent")), "{status}");
    let json = user(&net, &["status", &blob_id]).unwrap();
    assert_eq!((json["certified_until"].as_u64(), json["answered"].as_u64()), (Some(end), Some(12)), "{json}");

    // Attributes: set, removed, and a missing one refused without gas.
    user(&net, &["set-attribute", &permanent, "content-type", "text/plain"]).unwrap();
    user(&net, &["set-attribute", &permanent, "name", "a.txt"]).unwrap();
    let removed = user(&net, &["remove-attribute", &permanent, "content-type"]).unwrap();
    assert_eq!(removed["details"]["value"], "text/plain", "{removed}");
    let attributes = user(&net, &["attributes", &permanent]).unwrap();
    assert_eq!(attributes["details"], serde_json::json!({ "name": "a.txt" }));
    let before = balances(&net);
    let refused = user(&net, &["remove-attribute", &permanent, "content-type"]).unwrap_err();
    assert!(refused.contains("has no attribute \"content-type\"; it has name"), "{refused}");
    assert_eq!(balances(&net), before, "the refusal sent nothing");

    // The aggregator lets caches keep a permanent blob, not a deletable one.
    let aggregator = net.started["daemon_url"].as_str().expect("the localnet runs the daemon").to_owned();
    assert!(cache_control(&aggregator, &format!("/v1/blobs/{blob_id}")).contains("immutable"));
    let other = dir.path().join("b.txt");
    std::fs::write(&other, b"a deletable everyday blob").unwrap();
    let deletable = user(&net, &["store", other.to_str().unwrap(), "--epochs", "1", "--deletable"]).unwrap();
    let deletable_id = deletable["blob_id"].as_str().unwrap();
    let deletable_object = object_of(&deletable);
    let header = cache_control(&aggregator, &format!("/v1/blobs/{deletable_id}"));
    assert!(!header.contains("immutable") && header.contains("max-age=60"), "{header}");
    let header = cache_control(&aggregator, &format!("/v1/blobs/by-object-id/{deletable_object}"));
    assert!(!header.contains("immutable"), "{header}");

    // A live, certified, permanent blob is burnt at once.
    let burnt = user(&net, &["burn", &permanent]).unwrap();
    assert_eq!(burnt["object_id"], permanent.as_str(), "{burnt}");
    assert!(!listed_objects(&net).contains(&permanent));

    // Blobs stored for one epoch are burnt together once expired; a live one stays.
    let third = dir.path().join("c.txt");
    std::fs::write(&third, b"a short-lived everyday blob").unwrap();
    let short = object_of(&user(&net, &["store", third.to_str().unwrap(), "--epochs", "1"]).unwrap());
    let lasting = dir.path().join("d.txt");
    std::fs::write(&lasting, b"a lasting everyday blob").unwrap();
    let kept = object_of(&user(&net, &["store", lasting.to_str().unwrap(), "--epochs", "max"]).unwrap());
    // What has expired already goes now (with 6 s epochs, maybe the deletable blob).
    let early = user(&net, &["burn", "--all-expired"]).unwrap();
    let listed = user(&net, &["list-blobs"]).unwrap();
    let end_of = |id: &str| {
        let row = listed["blobs"].as_array().unwrap().iter().find(|row| row["objectId"] == id);
        row.map_or(0, |row| row["endEpoch"].as_u64().unwrap())
    };
    let last_end = end_of(&short).max(end_of(&deletable_object));
    info_when(&net, "the short blobs' expiry", |info| info["epoch"].as_u64() >= Some(last_end));
    let swept = user(&net, &["burn", "--all-expired"]).unwrap();
    let burnt_now = !swept["burnt"].as_array().unwrap().is_empty();
    assert_eq!(swept["transactions"].as_u64(), Some(u64::from(burnt_now)), "{swept}");
    let swept_ids: Vec<&str> = [&early, &swept]
        .iter()
        .flat_map(|burnt| burnt["burnt"].as_array().unwrap().iter().map(|id| id.as_str().unwrap()))
        .collect();
    assert!(swept_ids.contains(&short.as_str()) && swept_ids.contains(&deletable_object.as_str()), "{swept_ids:?}");
    assert!(!swept_ids.contains(&kept.as_str()), "{swept_ids:?}");
    let nothing = text(&net, &["burn", "--all-expired", "--key", &net.key]);
    assert!(nothing.starts_with("no expired blobs to burn at epoch"), "{nothing}");
    let left = listed_objects(&net);
    assert!(left.contains(&kept) && !left.contains(&short), "{left:?}");

    // blob-id with the network's shard count, saying where it came from.
    let mut command = floe_command(&["blob-id", file, "--deployment"]);
    command.arg(&net.deployment);
    let id = run(command).unwrap();
    assert_eq!((id["n_shards"].as_u64(), &id["blob_id"]), (Some(12), &offline["blob_id"]), "{id}");
    assert!(id["shards_from"].as_str().unwrap().contains("the network of"), "{id}");
}

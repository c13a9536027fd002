//! Shared blobs through the `floe` binary against one `floe localnet` with its indexer: the
//! owner shares a stored blob with some WAL, a stranger funds and extends it from those funds,
//! an extension the funds cannot pay is refused before any gas is spent, the nodes follow the
//! extension (the blob is certified to its new end and still reads), and `floe status` names the
//! shared blob with its funds.

mod common;

use std::time::{Duration, Instant};

use common::Localnet;
use serde_json::Value;

const FROST_PER_WAL: u64 = 1_000_000_000;

/// `floe --json ARGS --deployment D ACCOUNT...`: its JSON, or its stderr.
fn floe_as(net: &Localnet, args: &[&str], account: &[&str]) -> Result<Value, String> {
    let mut command = common::floe_command(args);
    command.arg("--deployment").arg(&net.deployment).args(account);
    common::run(command)
}

/// `ready` of `floe status BLOB_ID --json` within 60 s (the nodes follow the chain's events
/// asynchronously).
fn status_when(net: &Localnet, args: &[&str], what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = net.floe(None, args).expect("floe status");
        if ready(&status) {
            return status;
        }
        assert!(Instant::now() < deadline, "{what} within 60 s: {status}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn anyone_funds_and_extends_a_shared_blob_from_its_funds() {
    let dir = tempfile::tempdir().unwrap();
    let net = Localnet::start_indexed(dir.path(), &["--key-servers", "0", "--no-demo"]);
    let owner = ["--key", net.key.as_str()];

    let file = dir.path().join("shared.txt");
    std::fs::write(&file, b"a blob that belongs to everyone").unwrap();
    let stored = floe_as(&net, &["store", file.to_str().unwrap(), "--epochs", "2"], &owner).unwrap();
    let blob_object = stored["outcome"]["newlyCreated"]["blobObject"]["id"].as_str().unwrap().to_owned();
    let blob_id = stored["blob_id"].as_str().unwrap().to_owned();
    let end = stored["outcome"]["newlyCreated"]["blobObject"]["storage"]["endEpoch"].as_u64().unwrap();

    // Shared with one FROST: not enough for any extension.
    let shared = floe_as(&net, &["share", &blob_object, "--fund", "0.000000001"], &owner).unwrap();
    let shared_id = shared["details"]["sharedBlobId"].as_str().unwrap_or_else(|| panic!("{shared}")).to_owned();
    assert_eq!(shared["details"]["fundsFrost"], 1, "{shared}");
    let listed = floe_as(&net, &["list-blobs"], &owner).unwrap();
    assert!(!listed.to_string().contains(&blob_object), "a shared blob is nobody's: {listed}");
    let again = floe_as(&net, &["share", &blob_object], &owner).unwrap_err();
    assert!(again.contains(&blob_object), "{again}");

    // A stranger with 3 WAL.
    let keystore = dir.path().join("stranger.keystore");
    let keystore = keystore.to_str().unwrap();
    let created = common::run(common::floe_command(&["wallet", "new", "--keystore", keystore])).unwrap();
    let stranger = created["address"].as_str().unwrap().to_owned();
    let mut faucet = common::floe_command(&["faucet", &stranger, "--sui", "5", "--wal", "3"]);
    faucet.arg("--deployment").arg(&net.deployment).arg("--keystore").arg(net.dir.join("sui.keystore"));
    common::run(faucet).unwrap();
    let theirs = ["--keystore", keystore];
    let balance = |net: &Localnet| {
        let balance = floe_as(net, &["wallet", "balance"], &theirs).unwrap();
        (balance["sui_mist"].as_u64().unwrap(), balance["wal_frost"].as_u64().unwrap())
    };

    // One FROST pays for nothing: refused in words, before any gas.
    let before = balance(&net);
    let refused = floe_as(&net, &["extend", &shared_id, "--epochs", "2"], &theirs).unwrap_err();
    assert!(refused.contains("holds 1 FROST but extending it by 2 epochs costs"), "{refused}");
    assert!(refused.contains("floe fund-shared-blob"), "{refused}");
    assert_eq!(balance(&net), before, "a refused extension spends nothing");
    let other = dir.path().join("other.txt");
    std::fs::write(&other, b"an owned blob").unwrap();
    let owned = floe_as(&net, &["store", other.to_str().unwrap(), "--epochs", "1"], &owner).unwrap();
    let owned = owned["outcome"]["newlyCreated"]["blobObject"]["id"].as_str().unwrap().to_owned();
    let refused = floe_as(&net, &["fund-shared-blob", &owned, "1"], &theirs).unwrap_err();
    assert!(refused.contains("is not a shared blob") && refused.contains("::blob::Blob"), "{refused}");
    assert_eq!(balance(&net), before, "a refused funding spends nothing");

    // The stranger funds it, then extends it: the WAL comes from the funds, not the stranger.
    let funded = floe_as(&net, &["fund-shared-blob", &shared_id, "1"], &theirs).unwrap();
    assert_eq!(funded["details"]["fundsFrost"], FROST_PER_WAL + 1, "{funded}");
    let (_, wal_before) = balance(&net);
    assert_eq!(wal_before, 2 * FROST_PER_WAL);
    let extended = floe_as(&net, &["extend", &shared_id, "--epochs", "2"], &theirs).unwrap();
    let cost = extended["details"]["costFrost"].as_u64().unwrap();
    assert!(cost > 1, "{extended}");
    assert_eq!(extended["details"]["endEpoch"].as_u64(), Some(end + 2), "{extended}");
    assert_eq!(extended["details"]["fundsFrost"].as_u64(), Some(FROST_PER_WAL + 1 - cost), "{extended}");
    assert_eq!(balance(&net).1, wal_before, "the extension was paid from the shared blob's funds");

    // The nodes follow the extension event as for an owned blob: certified to the new end.
    let blob_status = ["status", blob_id.as_str()];
    let status = status_when(&net, &blob_status, "the nodes see the extension", |status| {
        status["certified_until"].as_u64() == Some(end + 2)
    });
    assert_eq!(status["answered"], 12, "{status}");
    let out = dir.path().join("read.txt");
    floe_as(&net, &["read", &blob_id, "--out", out.to_str().unwrap()], &[]).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), b"a blob that belongs to everyone");

    // `floe status` names the shared blob and its funds (from the indexer, then the chain).
    let explorer = net.started["explorer_url"].as_str().unwrap().to_owned();
    let with_indexer = ["status", blob_id.as_str(), "--indexer", explorer.as_str()];
    let status = status_when(&net, &with_indexer, "the indexer sees the shared blob", |status| {
        status["shared"].as_array().is_some_and(|rows| !rows.is_empty())
            && status["objects"].as_array().is_some_and(|rows| {
                rows.iter().any(|row| row["object_id"] == blob_object.as_str() && row["end_epoch"] == end + 2)
            })
    });
    let row = &status["shared"][0];
    assert_eq!(row["object_id"], shared_id.as_str(), "{status}");
    assert_eq!(row["blob_object_id"], blob_object.as_str(), "{status}");
    assert_eq!(row["funds_frost"].as_u64(), Some(FROST_PER_WAL + 1 - cost), "{status}");
    assert_eq!(row["end_epoch"].as_u64(), Some(end + 2), "{status}");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_floe"));
    command.args(["--log-level", "warn"]).args(with_indexer).arg("--deployment").arg(&net.deployment);
    let text = String::from_utf8(command.output().unwrap().stdout).unwrap();
    assert!(text.contains(&format!("shared: SharedBlob {shared_id} (Blob object {blob_object}) holds 0.")), "{text}");
    assert!(text.contains(&format!("for extensions, until epoch {}", end + 2)), "{text}");
}

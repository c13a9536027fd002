//! The everyday wallet commands through the `floe` binary against a `floe localnet`: a new key,
//! coins from the faucet, balances, sending coins back, listing one's blobs and giving one away.

mod common;

use common::Localnet;
use serde_json::Value;

const FROST_PER_WAL: u64 = 1_000_000_000;

fn floe_on(localnet: &Localnet, args: &[&str], account: &[&str]) -> Value {
    let mut command = common::floe_command(args);
    command.arg("--deployment").arg(&localnet.deployment).args(account);
    common::run(command).unwrap_or_else(|error| panic!("floe {args:?} failed: {error}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_wallet_is_funded_sends_back_and_receives_a_blob() {
    let dir = tempfile::tempdir().unwrap();
    let localnet = Localnet::start(dir.path(), &["--key-servers", "0", "--no-demo"]);
    let keystore = dir.path().join("mine.keystore");
    let keystore = keystore.to_str().unwrap();

    let created = common::run(common::floe_command(&["wallet", "new", "--keystore", keystore])).unwrap();
    let me = created["address"].as_str().unwrap().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(keystore).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the keystore is readable by its owner only");
    }
    let shown = common::run(common::floe_command(&["wallet", "address", "--keystore", keystore])).unwrap();
    assert_eq!(shown["address"], me.as_str());
    assert!(!created.to_string().contains("suiprivkey"), "the key is never printed: {created}");

    let mut faucet = common::floe_command(&["faucet", &me, "--sui", "5", "--wal", "3"]);
    faucet.arg("--deployment").arg(&localnet.deployment).arg("--keystore").arg(localnet.dir.join("sui.keystore"));
    common::run(faucet).unwrap();
    let mine = ["--keystore", keystore];
    let balance = floe_on(&localnet, &["wallet", "balance"], &mine);
    assert_eq!(balance["sui_mist"], 5 * FROST_PER_WAL);
    assert_eq!(balance["wal_frost"], 3 * FROST_PER_WAL);

    let funded = localnet.started["address"].as_str().unwrap().to_owned();
    floe_on(&localnet, &["send", &funded, "1.25", "--coin", "wal"], &mine);
    let balance = floe_on(&localnet, &["wallet", "balance", "--owner", &me], &[]);
    assert_eq!(balance["wal_frost"], 3 * FROST_PER_WAL - 1_250_000_000);
    assert!(balance["sui_mist"].as_u64().unwrap() < 5 * FROST_PER_WAL, "gas was paid in SUI");

    // The funded account stores a blob and gives it to the new wallet.
    let file = dir.path().join("gift.txt");
    std::fs::write(&file, b"a blob given away").unwrap();
    let stored = localnet.floe(Some(&localnet.key), &["store", file.to_str().unwrap(), "--epochs", "2"]).unwrap();
    let object_id =
        stored["outcome"]["newlyCreated"]["blobObject"]["id"].as_str().expect("a new Blob object").to_owned();
    let theirs = floe_on(&localnet, &["list-blobs"], &["--key", &localnet.key]);
    let row = theirs["blobs"].as_array().unwrap().iter().find(|row| row["objectId"] == object_id.as_str()).cloned();
    let row = row.expect("the stored blob is listed");
    assert_eq!((row["certified"].as_bool(), row["size"].as_u64()), (Some(true), Some(17)));

    let refused = {
        let mut command = common::floe_command(&["transfer", &object_id, &funded]);
        command.arg("--deployment").arg(&localnet.deployment).args(mine);
        common::run(command).unwrap_err()
    };
    assert!(refused.contains("only its owner can transfer or change it"), "{refused}");

    floe_on(&localnet, &["transfer", &object_id, &me], &["--key", &localnet.key]);
    let after = floe_on(&localnet, &["list-blobs", "--owner", &me], &[]);
    let ids: Vec<&str> =
        after["blobs"].as_array().unwrap().iter().map(|row| row["objectId"].as_str().unwrap()).collect();
    assert_eq!(ids, [object_id.as_str()]);
}

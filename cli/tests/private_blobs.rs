//! Private blobs through the `floe` command, on a `floe localnet` with 3 key servers: `floe store
//! --encrypt --policy ...` seals, `floe read` opens for the readers the policy admits and refuses
//! the others, `floe allowlist`, `floe service` and `floe subscribe` change who is admitted.
//! Subscriptions expire and time locks open by the chain's clock, which `floe advance-clock`
//! moves forward instead of the test waiting for it.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use floe_chain::{ChainClient, Deployment, Executor, Keypair, gas_budget};

mod common;

use common::Localnet;

/// `floe localnet` with 3 key servers.
fn start(dir: &Path) -> Localnet {
    Localnet::start(dir, &["--key-servers", "3"])
}

/// `floe read BLOB -o FILE` as `key`: the bytes written, or the error.
fn read(net: &Localnet, key: Option<&str>, blob_id: &str, dir: &Path) -> Result<Vec<u8>, String> {
    let out = dir.join(format!("read-{}", now_ms()));
    net.floe(key, &["read", blob_id, "-o", out.to_str().unwrap()])?;
    Ok(std::fs::read(&out).unwrap())
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

fn expect_refused(result: Result<Vec<u8>, String>, why: &str) {
    match result {
        Ok(_) => panic!("the read should have been refused ({why})"),
        Err(stderr) => assert!(stderr.contains(why), "expected {why:?} in: {stderr}"),
    }
}

/// `floe advance-clock BY` on the localnet's devnet: the chain's time after it.
fn advance_clock(net: &Localnet, by: &str) -> u64 {
    let advanced = net.floe(None, &["advance-clock", by]).unwrap();
    advanced["timestamp_ms"].as_u64().unwrap_or_else(|| panic!("no timestamp_ms in {advanced}"))
}

/// Gives `to` 1 SUI from the localnet's funded key: key servers simulate a reader's approval
/// with one of the reader's coins as gas.
async fn fund(net: &Localnet, to: &Keypair) {
    let deployment = Deployment::load(&net.deployment).unwrap();
    let chain = ChainClient::new(&deployment.rpc_url).unwrap();
    let user = Keypair::from_suiprivkey(&net.key).unwrap();
    Executor::new(chain, user)
        .run(gas_budget::CALL, |tx| {
            let amount = tx.pure(&1_000_000_000u64);
            let gas = tx.gas();
            let coin = tx.split_coins(gas, vec![amount]).remove(0);
            let recipient = tx.pure(&to.address());
            tx.transfer_objects(vec![coin], recipient);
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_blobs_open_only_for_the_readers_their_policy_admits() {
    let dir = tempfile::tempdir().unwrap();
    let net = start(&dir.path().join("net"));
    let owner = Some(net.key.as_str());
    let bob_key = Keypair::from_secret_bytes([0xb0; 32]);
    fund(&net, &bob_key).await;
    let bob = bob_key.to_suiprivkey().unwrap();
    let bob = Some(bob.as_str());
    let bob_address = bob_key.address().to_string();
    let file = dir.path().join("plans.txt");
    let plaintext = b"floe private plans: ship the CLI".repeat(100);
    std::fs::write(&file, &plaintext).unwrap();
    let store = |policy: &str| {
        let stored = net.floe(owner, &["store", file.to_str().unwrap(), "--encrypt", "--policy", policy]).unwrap();
        assert_eq!(stored["sealed"]["threshold"], 2, "{stored}");
        assert_eq!(stored["sealed"]["plaintext_size"], plaintext.len(), "{stored}");
        stored["blob_id"].as_str().unwrap().to_owned()
    };

    // Owner only: the owner reads the plaintext; the stored bytes are ciphertext; bob is refused.
    let blob = store("owner");
    assert_eq!(read(&net, owner, &blob, dir.path()).unwrap(), plaintext);
    let raw = net.floe(None, &["read", &blob, "--raw", "-o", dir.path().join("raw").to_str().unwrap()]).unwrap();
    let stored = std::fs::read(dir.path().join("raw")).unwrap();
    assert_eq!(raw["size"], stored.len());
    assert!(!stored.windows(32).any(|w| w == &plaintext[..32]), "the stored blob holds plaintext");
    expect_refused(read(&net, None, &blob, dir.path()), "the blob is sealed");
    expect_refused(read(&net, bob, &blob, dir.path()), "not the reader's address");

    // Allowlist: refused, added -> opens, removed -> refused again.
    let list = net.floe(owner, &["allowlist", "create", "team"]).unwrap();
    let list = list["allowlist"].as_str().unwrap().to_owned();
    let blob = store(&format!("allowlist:{list}"));
    expect_refused(read(&net, bob, &blob, dir.path()), "NoAccess");
    let added = net.floe(owner, &["allowlist", "add", &list, &bob_address]).unwrap();
    assert_eq!(added["members"], serde_json::json!([bob_address]));
    assert_eq!(read(&net, bob, &blob, dir.path()).unwrap(), plaintext);
    net.floe(owner, &["allowlist", "remove", &list, &bob_address]).unwrap();
    expect_refused(read(&net, bob, &blob, dir.path()), "NoAccess");
    expect_refused(Err(net.floe(bob, &["allowlist", "add", &list, &bob_address]).unwrap_err()), "no AllowlistCap");

    // Subscription paid in SUI: no subscription -> refused; subscribed -> opens; expired -> refused.
    // Epochs last an hour and challenge answers are due a quarter epoch in: moving the clock 10
    // minutes in all reaches neither.
    let service =
        net.floe(owner, &["service", "create", "news", "--fee", "1000", "--ttl", "5m", "--coin", "sui"]).unwrap();
    let service = service["service"].as_str().unwrap().to_owned();
    let blob = store(&format!("subscription:{service}"));
    expect_refused(read(&net, bob, &blob, dir.path()), "holds no Subscription");
    let subscribed = net.floe(bob, &["subscribe", &service]).unwrap();
    assert_eq!(read(&net, bob, &blob, dir.path()).unwrap(), plaintext);
    let expires = subscribed["expires_at_ms"].as_u64().unwrap();
    let chain_now = advance_clock(&net, "301s");
    assert!(chain_now > expires, "the chain's time {chain_now} is not past the expiry {expires}");
    expect_refused(read(&net, bob, &blob, dir.path()), "NoAccess");

    // Time lock: refused before the time, opens for anyone after it. `+5m` counts from the
    // chain's time, now 5 minutes ahead of this machine's clock: counted from the wall clock, the
    // blob would open at once.
    let stored = net.floe(owner, &["store", file.to_str().unwrap(), "--encrypt", "--policy", "timelock:+5m"]).unwrap();
    let blob = stored["blob_id"].as_str().unwrap();
    let policy = stored["sealed"]["policy"].as_str().unwrap();
    assert!(policy.starts_with("time lock until ") && policy.ends_with(" UTC"), "{policy}");
    let unlock = stored["sealed"]["unlock_ms"].as_u64().unwrap();
    assert!(unlock >= chain_now + 300_000, "unlock {unlock} is not 5 minutes after the chain's time {chain_now}");
    expect_refused(read(&net, bob, blob, dir.path()), "NoAccess");
    let chain_now = advance_clock(&net, "301s");
    assert!(chain_now > unlock, "the chain's time {chain_now} is not past the unlock time {unlock}");
    assert_eq!(read(&net, bob, blob, dir.path()).unwrap(), plaintext);
}

//! TLS through the `floe` binary on `floe localnet`: every storage node serves https with a
//! self-signed certificate for its network key, which the chain lists with its address, and
//! clients pin that key. A store and a read go through; once node 0's operator publishes another
//! key than the one node 0 serves, clients refuse node 0 by name (and still read from the
//! others). With `--tls-services` the aggregator serves https with the certificate the localnet
//! wrote, and the indexer finds quilt patches through it. A peer without a committee member's node
//! key cannot pull a shard.

use std::path::Path;
use std::time::Duration;

use floe_client::node_api::{NodeApiError, NodeClient};
use floe_encoder::{
    BlobId, EncodingConfig, ShardIndex, SliverType,
    bls::BlsSecretKey,
    messages::SyncShardRequest,
    network_key::{NetworkKeyPair, NetworkPublicKey},
};
use floe_node::config::{KeySource, NodeConfig};
use serde_json::Value;

mod common;

use common::{Localnet, floe_command, run};

fn start(dir: &Path, args: &[&str]) -> Localnet {
    Localnet::start(dir, &[&["--key-servers", "0", "--no-demo"], args].concat())
}

fn node_config(net: &Localnet, node: usize) -> std::path::PathBuf {
    net.dir.join(format!("node-{node}")).join("node.toml")
}

/// `floe health`'s row of `name`.
fn health_of(net: &Localnet, name: &str) -> Value {
    let health = net.floe(None, &["health"]).expect("floe health");
    health["nodes"].as_array().unwrap().iter().find(|row| row["name"] == name).cloned().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_pin_each_nodes_key_from_the_chain_and_refuse_a_node_serving_another() {
    let dir = tempfile::tempdir().unwrap();
    let net = start(dir.path(), &["--tls-services"]);
    let urls: Vec<&str> = net.started["node_urls"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
    assert!(urls.iter().all(|url| url.starts_with("https://")), "{urls:?}");

    // `floe info` lists each member's key as the chain holds it: the key node.toml serves.
    let info = net.floe(None, &["info"]).unwrap();
    let members = info["committee"].as_array().unwrap();
    let served = NodeConfig::load(&node_config(&net, 0)).unwrap().network_key_pair().unwrap().unwrap().public_key();
    let node_0 = members.iter().find(|member| member["name"] == "node-0").unwrap();
    assert_eq!(node_0["network_public_key"], served.to_string(), "{info}");

    // A store and a read, every sliver over https.
    let file = dir.path().join("blob.bin");
    let bytes: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    let stored = net.floe(Some(&net.key), &["store", file.to_str().unwrap(), "--epochs", "2"]).unwrap();
    let blob_id = stored["blob_id"].as_str().unwrap_or_else(|| panic!("{stored}")).to_owned();
    let copy = dir.path().join("copy.bin");
    net.floe(None, &["read", &blob_id, "-o", copy.to_str().unwrap()]).unwrap();
    assert_eq!(std::fs::read(&copy).unwrap(), bytes);
    assert_eq!(health_of(&net, "node-0")["status"], "ok");

    // The aggregator serves https with the localnet's certificate: trusted, it answers the blob;
    // a client that does not trust it is refused.
    let aggregator = net.started["daemon_url"].as_str().unwrap();
    assert!(aggregator.starts_with("https://"), "{aggregator}");
    let certificate = std::fs::read(dir.path().join("tls").join("cert.pem")).unwrap();
    let trusting = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&certificate).unwrap()])
        .build()
        .unwrap();
    let answer = trusting.get(format!("{aggregator}/v1/blobs/{blob_id}")).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.bytes().await.unwrap(), bytes);
    assert!(reqwest::get(format!("{aggregator}/v1/blobs/{blob_id}")).await.is_err(), "an untrusted certificate");

    // Node 0's operator publishes another key; node 0 goes on serving its old certificate.
    let other = NetworkKeyPair::from_seed([0x5c; 32]).public_key();
    let mut rotated = NodeConfig::load(&node_config(&net, 0)).unwrap();
    rotated.network_key = Some(KeySource::Seed("5c".repeat(32)));
    // Relative paths in node.toml are relative to its directory: keep the copy beside it.
    let rotated_path = node_config(&net, 0).with_file_name("node-rotated.toml");
    std::fs::write(&rotated_path, rotated.to_toml()).unwrap();
    let mut command = floe_command(&["node", "set-network-key", "--config"]);
    command.arg(&rotated_path);
    let set = run(command).unwrap();
    assert_eq!(set["details"]["network_public_key"], other.to_string(), "{set}");

    // Clients now refuse node 0, naming it, the key it serves and the one on chain.
    let row = health_of(&net, "node-0");
    assert_eq!(row["status"], "refused", "{row}");
    let problem = row["problem"].as_str().unwrap();
    assert!(problem.contains(urls[0]), "{problem}");
    assert!(problem.contains(&format!("carries key {served}, the chain lists {other}")), "{problem}");
    assert_eq!(health_of(&net, "node-1")["status"], "ok");

    // The blob still reads from the other nodes, verified as ever.
    let again = dir.path().join("again.bin");
    net.floe(None, &["read", &blob_id, "-o", again.to_str().unwrap()]).unwrap();
    assert_eq!(std::fs::read(&again).unwrap(), bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_without_a_members_node_key_cannot_pull_a_shard() {
    let dir = tempfile::tempdir().unwrap();
    let net = start(dir.path(), &[]);
    let info = net.floe(None, &["info"]).unwrap();
    let epoch = u32::try_from(info["epoch"].as_u64().unwrap()).unwrap();
    let member =
        |name: &str| info["committee"].as_array().unwrap().iter().find(|m| m["name"] == name).cloned().unwrap();
    let node_0 = member("node-0");
    let key: NetworkPublicKey = node_0["network_public_key"].as_str().unwrap().parse().unwrap();
    let node = NodeClient::for_node(&reqwest::Client::new(), node_0["url"].as_str().unwrap(), Some(&key));
    let config = EncodingConfig::new(12).unwrap();
    let ask = |request: SyncShardRequest, signer: BlsSecretKey| {
        let node = node.clone();
        async move {
            let signed = request.sign(&signer);
            node.sync_shard(&config, &request, &signed, Duration::from_secs(10)).await
        }
    };
    let request = |requester: &BlsSecretKey| SyncShardRequest {
        epoch,
        shard: ShardIndex(0),
        axis: SliverType::Primary,
        start: BlobId([0; 32]),
        count: 10,
        requester: requester.public_key(),
    };

    // A peer with a key of its own, not a member's: authenticated as itself, refused (403).
    let stranger = BlsSecretKey::from_seed(&[0xee; 32]);
    let error = ask(request(&stranger), stranger.clone()).await.unwrap_err();
    assert!(matches!(&error, NodeApiError::Status { status: 403, .. }), "{error}");
    assert!(error.to_string().contains("not assigned to the requester"), "{error}");

    // A peer naming node 1 without node 1's key: the signature does not verify (401).
    let node_1 = NodeConfig::load(&node_config(&net, 1)).unwrap().bls_secret_key().unwrap();
    let error = ask(request(&node_1), stranger).await.unwrap_err();
    assert!(matches!(&error, NodeApiError::Status { status: 401, .. }), "{error}");
    assert!(error.to_string().contains("not signed by the node key it names"), "{error}");
}

/// Under `--tls-services` the localnet's indexer asks its aggregator, over https with the
/// localnet's own certificate, for the patches of each certified quilt; without that trust it
/// would record nothing and the explorer would never list them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_indexer_finds_quilt_patches_through_the_https_aggregator() {
    let dir = tempfile::tempdir().unwrap();
    let net = Localnet::start_indexed(dir.path(), &["--key-servers", "0", "--no-demo", "--tls-services"]);
    let explorer = net.started["explorer_url"].as_str().unwrap().trim_end_matches('/').to_owned();
    assert!(explorer.starts_with("https://"), "{explorer}");

    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    let notes = files.join("notes.txt");
    std::fs::write(&notes, b"kept in a quilt").unwrap();
    let logo = files.join("logo.png");
    std::fs::write(&logo, [0x89, b'P', b'N', b'G', 1, 2, 3]).unwrap();
    let stored = net
        .floe(Some(&net.key), &["store-quilt", notes.to_str().unwrap(), logo.to_str().unwrap(), "--epochs", "2"])
        .unwrap();
    let quilt_id = stored["quilt_id"].as_str().unwrap_or_else(|| panic!("{stored}")).to_owned();

    let certificate = std::fs::read(dir.path().join("tls").join("cert.pem")).unwrap();
    let trusting = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&certificate).unwrap()])
        .build()
        .unwrap();
    let url = format!("{explorer}/v1/quilt-patches?quilt_id={quilt_id}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let page = loop {
        let body = trusting.get(&url).send().await.unwrap().bytes().await.unwrap();
        let page: Value = serde_json::from_slice(&body).unwrap();
        if page["items"].as_array().is_some_and(|items| items.len() == 2) {
            break page;
        }
        assert!(tokio::time::Instant::now() < deadline, "the indexer listed no patches of {quilt_id}: {page}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let mut identifiers: Vec<&str> =
        page["items"].as_array().unwrap().iter().map(|item| item["identifier"].as_str().unwrap()).collect();
    identifiers.sort_unstable();
    assert_eq!(identifiers, ["logo.png", "notes.txt"], "{page}");
}

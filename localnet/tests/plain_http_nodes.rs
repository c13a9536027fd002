//! A local network whose storage nodes serve plain HTTP (`nodes_tls = false`, `floe localnet
//! --plain-http-nodes`): the nodes are on chain at `http://` addresses, answer HTTP without a
//! handshake, and the network stores and reads as the https one does.

use floe_client::{NoProgress, StoreOptions};
use floe_localnet::{Localnet, LocalnetConfig, Ports};

#[tokio::test(flavor = "multi_thread")]
async fn nodes_without_tls_are_on_chain_at_http_addresses_and_store_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = LocalnetConfig::new(dir.path());
    config.ports = Ports::ephemeral();
    config.n_nodes = 4;
    config.n_shards = 8;
    config.key_servers = 0;
    config.indexer = false;
    config.daemon = false;
    config.nodes_tls = false;
    let net = Localnet::start(config).await.unwrap();

    let urls = net.node_urls();
    assert_eq!(urls.len(), 4);
    let client = net.client().await.unwrap();
    let committee = client.committee();
    let mut on_chain: Vec<String> = committee.members().iter().map(|m| m.url.clone()).collect();
    on_chain.sort();
    let mut served = urls.clone();
    served.sort();
    assert_eq!(on_chain, served, "the chain names the addresses the nodes serve");
    for url in &urls {
        assert!(url.starts_with("http://"), "{url}");
        // A plain HTTP request, no TLS: an https node would drop it.
        let health = reqwest::get(format!("{url}/v1/health")).await.unwrap();
        assert!(health.status().is_success(), "{url}: {}", health.status());
    }

    let bytes = b"stored over plain HTTP".to_vec();
    let stored = client.store(bytes.clone(), &StoreOptions::default(), &NoProgress).await.unwrap();
    assert_eq!(client.read(&stored.blob_id(), &NoProgress).await.unwrap(), bytes);
    net.shutdown().await;
}

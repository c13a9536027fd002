//! A local network started on the OS's ports, stopped and started again on its data directory,
//! is the same network: same addresses, same key servers, and it stores and reads.

use floe_client::{NoProgress, StoreOptions};
use floe_localnet::{BoundPorts, Localnet, LocalnetConfig, Ports};

fn config(dir: &std::path::Path) -> LocalnetConfig {
    let mut config = LocalnetConfig::new(dir);
    config.ports = Ports::ephemeral();
    config.n_nodes = 4;
    config.n_shards = 8;
    config.key_servers = 2;
    config.indexer = false;
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn a_network_on_any_ports_restarts_on_the_same_addresses_and_keeps_its_blobs_and_key_servers() {
    let dir = tempfile::tempdir().unwrap();

    let first = Localnet::start(config(dir.path())).await.unwrap();
    let ports = first.bound_ports();
    assert!(ports.rpc != 0 && ports.nodes.iter().all(|p| *p != 0), "{ports:?}");
    let (urls, key_servers, rpc) = (first.node_urls(), first.key_servers().to_vec(), first.rpc_url());
    let stored = first
        .client()
        .await
        .unwrap()
        .store(b"kept across a restart".to_vec(), &StoreOptions::default(), &NoProgress)
        .await
        .unwrap();
    first.shutdown().await;
    assert_eq!(BoundPorts::load(dir.path()).unwrap(), Some(ports.clone()), "ports.json records the first start");

    // Asked for the OS's ports again, the restart serves where the chain says the nodes are.
    let second = Localnet::start(config(dir.path())).await.unwrap();
    assert_eq!(second.bound_ports(), ports);
    assert_eq!(second.node_urls(), urls);
    assert_eq!(second.rpc_url(), rpc);
    assert_eq!(second.key_servers(), &key_servers[..], "key servers are not registered anew");
    let client = second.client().await.unwrap();
    let read = client.read(&stored.blob_id(), &NoProgress).await.unwrap();
    assert_eq!(read, b"kept across a restart");
    let again =
        client.store(b"stored after the restart".to_vec(), &StoreOptions::default(), &NoProgress).await.unwrap();
    assert_eq!(client.read(&again.blob_id(), &NoProgress).await.unwrap(), b"stored after the restart");
    second.shutdown().await;
}

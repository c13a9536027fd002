//! Storage nodes on loopback sharing one test chain, and the client's view of them.
#![allow(dead_code)]

use std::time::Duration;

use floe_client::{FloeClient, Settings, StorageCommittee, StorageMember};
use floe_node::local_cluster::LocalCluster;

pub use floe_node::local_cluster::EPOCH;

pub type Cluster = LocalCluster;

/// Settings with short waits, for tests.
pub fn quick_settings() -> Settings {
    Settings {
        registration_wait: Duration::from_millis(300),
        retry_delay: Duration::from_millis(50),
        quorum_grace: floe_client::settings::Grace::fixed(Duration::from_millis(500)),
        request_timeout: Duration::from_secs(20),
        status_timeout: Duration::from_secs(2),
        ..Settings::default()
    }
}

/// Nodes holding consecutive shard ranges of the given sizes.
pub async fn cluster(shards_per_node: &[u16]) -> Cluster {
    LocalCluster::start(shards_per_node).await.unwrap()
}

/// The client's view of a cluster.
pub trait ClientView {
    /// The committee as the client sees it.
    fn committee(&self) -> StorageCommittee;
    /// A chain-less client of this cluster.
    fn client(&self) -> FloeClient;
}

impl ClientView for LocalCluster {
    fn committee(&self) -> StorageCommittee {
        let members = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| StorageMember {
                node_id: [u8::try_from(i).unwrap(); 32],
                name: format!("node-{i}"),
                public_key: node.key.public_key(),
                shards: node.shards.clone(),
                url: node.server.url(),
                network_key: None,
            })
            .collect();
        StorageCommittee::new(EPOCH, self.config.n_shards(), members).unwrap()
    }

    fn client(&self) -> FloeClient {
        FloeClient::with_committee(self.committee(), quick_settings())
    }
}

/// A deterministic, non-repetitive blob of `len` bytes.
pub fn blob(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed).collect()
}

/// Passes `request` (for `uri`) on to the node at `honest` as it came; returns its path and
/// query with the node's answer. What the test proxies in front of an honest node share.
pub async fn forward(honest: &str, uri: &axum::http::Uri, request: axum::extract::Request) -> (String, u16, Vec<u8>) {
    let path = uri.path_and_query().map_or(uri.path(), |path| path.as_str()).to_owned();
    let method = reqwest::Method::from_bytes(request.method().as_str().as_bytes()).unwrap();
    let body = axum::body::to_bytes(request.into_body(), usize::MAX).await.unwrap();
    let answer = reqwest::Client::new().request(method, format!("{honest}{path}")).body(body).send().await.unwrap();
    let status = answer.status().as_u16();
    (path, status, answer.bytes().await.unwrap().to_vec())
}

//! A cluster of in-process storage nodes on loopback, sharing one test chain.
#![allow(dead_code)]

use std::ops::Deref;

use floe_encoder::{BlobId, EncodedBlob, EncodingConfig, SliverType, encode};

use floe_node::local_cluster::{LocalCluster, LocalNode, every_other_in_file};
use floe_node::test_chain::TestChain;

// Not every test binary including this module uses it.
#[allow(unused_imports)]
pub use floe_node::local_cluster::EPOCH;

pub type TestNode = LocalNode;

/// A [`LocalCluster`] with the HTTP helpers the API tests use.
pub struct Cluster {
    pub local: LocalCluster,
    pub http: reqwest::Client,
}

impl Deref for Cluster {
    type Target = LocalCluster;

    fn deref(&self) -> &LocalCluster {
        &self.local
    }
}

impl std::ops::DerefMut for Cluster {
    fn deref_mut(&mut self) -> &mut LocalCluster {
        &mut self.local
    }
}

/// Nodes holding consecutive shard ranges of the given sizes; the odd ones keep every sliver
/// record in their sliver file, so the tests' small blobs go both ways through the store.
pub async fn cluster(shards_per_node: &[u16]) -> Cluster {
    let local = LocalCluster::start_with(shards_per_node, every_other_in_file).await.unwrap();
    Cluster { local, http: reqwest::Client::new() }
}

/// A deterministic, non-repetitive blob of `len` bytes.
pub fn blob(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed).collect()
}

impl Cluster {
    pub fn encode(&self, len: usize, seed: u8) -> EncodedBlob {
        encode(&self.config, &blob(len, seed)).unwrap()
    }

    pub fn blob_url(&self, node: usize, blob_id: &BlobId, rest: &str) -> String {
        format!("{}/v1/blobs/{blob_id}/{rest}", self.nodes[node].url())
    }

    pub async fn put(&self, url: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
        let response = self.http.put(url).body(body).send().await.unwrap();
        let status = response.status().as_u16();
        (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap())
    }

    pub async fn get_json(&self, url: &str) -> (u16, serde_json::Value) {
        let response = self.http.get(url).send().await.unwrap();
        let status = response.status().as_u16();
        (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap())
    }

    pub async fn get_bytes(&self, url: &str) -> (u16, Vec<u8>) {
        let response = self.http.get(url).send().await.unwrap();
        (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
    }

    /// PUTs the metadata to the given nodes and every pair to its holder among them.
    pub async fn upload(&self, encoded: &EncodedBlob, to_nodes: &[usize]) {
        let blob_id = *encoded.metadata.blob_id();
        for &node in to_nodes {
            let (status, body) =
                self.put(&self.blob_url(node, &blob_id, "metadata"), encoded.metadata.metadata().to_bcs()).await;
            assert!(status == 201 || status == 200, "metadata to node {node}: {status} {body}");
        }
        for pair in &encoded.pairs {
            let holder = self.holder_of_pair(&blob_id, pair.index().0);
            if !to_nodes.contains(&holder) {
                continue;
            }
            for axis in [SliverType::Primary, SliverType::Secondary] {
                let url = self.blob_url(holder, &blob_id, &format!("slivers/{}/{axis}", pair.index()));
                let (status, body) = self.put(&url, pair.sliver(axis).to_bcs()).await;
                assert_eq!(status, 201, "{axis} sliver of pair {} to node {holder}: {body}", pair.index());
            }
        }
    }
}

/// The error message of a JSON error body.
pub fn message(body: &serde_json::Value) -> String {
    body["error"]["message"].as_str().unwrap_or_default().to_owned()
}

/// Stops `node`'s server, closes its store and reopens the same directory in a new node
/// on a new port.
pub async fn restart(node: TestNode, chain: TestChain) -> TestNode {
    node.restart(chain).await.unwrap()
}

/// A blob whose writer lied: primary sliver `pair` is altered and the metadata commits to the
/// altered sliver, so every sliver matches the metadata but they are not one codeword.
pub fn inconsistent_blob(config: &EncodingConfig, len: usize, seed: u8, pair: usize) -> EncodedBlob {
    use floe_encoder::{EncodingType, Sliver, metadata::BlobMetadata};
    let honest = encode(config, &blob(len, seed)).unwrap();
    let mut pairs = honest.pairs.clone();
    let original = &pairs[pair].primary;
    let mut data = original.data().to_vec();
    data[0] ^= 0x5a;
    let altered = Sliver::new(SliverType::Primary, original.index(), original.symbol_size(), data).unwrap();
    let mut hashes = honest.metadata.metadata().hashes().to_vec();
    hashes[pair].primary_hash = altered.hash(config);
    pairs[pair].primary = altered;
    let metadata = BlobMetadata::new(EncodingType::RS2, honest.metadata.unencoded_length(), hashes);
    let blob_id = metadata.compute_blob_id();
    EncodedBlob { metadata: metadata.verify(config, &blob_id).unwrap(), pairs }
}

/// A crash test runs its own test again as a child process ([`crashed_child`]). The child finds
/// [`crash_dir`] set, writes into that directory and [`crash`]es without any cleanup; the parent
/// then opens what the child left there.
const CRASH_DIR_VAR: &str = "FLOE_TEST_CRASH_DIR";

/// What the child prints just before it aborts, so the parent knows it got that far.
const CRASH_MARKER: &str = "crash test: written, aborting";

/// In a crash test's child process, the directory to write into before crashing.
pub fn crash_dir() -> Option<std::path::PathBuf> {
    std::env::var_os(CRASH_DIR_VAR).map(std::path::PathBuf::from)
}

/// Ends a crash test's child process the way a power cut would end a node: no destructor runs.
pub fn crash() -> ! {
    println!("{CRASH_MARKER}");
    std::process::abort();
}

/// Runs this test binary's test `test` as a child process writing into a fresh directory, checks
/// that it reached its [`crash`], and returns the directory.
pub fn crashed_child(test: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CRASH_DIR_VAR, dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success(), "the child aborted");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(CRASH_MARKER),
        "the child did not finish its writes: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir
}

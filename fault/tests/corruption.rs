//! A node's files damaged while it is stopped:
//!
//! - bytes of a stored sliver flipped inside its redb file: the restarted node never serves the
//!   damaged bytes (a sliver whose digest fails reads as missing), reports the damage in
//!   `GET /v1/health` and repairs it from its peers, then serves the right bytes again;
//! - the redb file truncated: the node refuses to start, naming the file and what to do (move it
//!   aside); done so, it starts empty and recovers the slivers of its shards from its peers.

use std::path::Path;
use std::time::Duration;

use floe_encoder::{BlobId, EncodedBlob, EncodingConfig, ShardIndex, mapping};
use floe_fault::{Figures, Network, NetworkOptions, Publisher, StartError, eventually, node_get, random_blob, seeded};
use rand::Rng as _;

/// How long a node may take to catch up or repair.
const SETTLE: Duration = Duration::from_secs(90);
/// One request to a node.
const REQUEST: Duration = Duration::from_secs(10);

/// A stored blob: its id and its encoding (the slivers every node should hold).
struct Blob {
    id: BlobId,
    encoded: EncodedBlob,
}

/// The primary slivers node `node` holds of `blob`: (pair, expected BCS bytes).
fn held(net: &Network, node: usize, blob: &Blob) -> Vec<(u16, Vec<u8>)> {
    let shards = net.node_started(node).expect("running")["shards"].as_array().expect("shards").clone();
    shards
        .iter()
        .map(|shard| {
            let shard = ShardIndex(u16::try_from(shard.as_u64().expect("a shard index")).expect("a u16"));
            let pair = mapping::pair_for_shard(shard, &blob.id, net.n_shards());
            (pair.0, blob.encoded.pairs[pair.as_usize()].primary.to_bcs())
        })
        .collect()
}

fn sliver_url(net: &Network, node: usize, blob: &BlobId, pair: u16) -> String {
    format!("{}/v1/blobs/{blob}/slivers/{pair}/primary", net.node_urls[node])
}

/// Waits until node `node` serves every primary sliver it holds of `blobs`, each byte-identical
/// to the encoding; counts any answer with other bytes in `wrong`.
async fn serves_all(net: &Network, node: usize, blobs: &[Blob], wrong: &mut u64) -> bool {
    let http = net.node_http(node);
    for blob in blobs {
        for (pair, expected) in held(net, node, blob) {
            let url = sliver_url(net, node, &blob.id, pair);
            let served = eventually(SETTLE, || async {
                match node_get(&http, &url, REQUEST).await {
                    Ok((200, body)) if body == expected => Some(true),
                    Ok((200, _)) => Some(false),
                    _ => None,
                }
            })
            .await;
            match served {
                Some(true) => {}
                Some(false) => {
                    *wrong += 1;
                    return false;
                }
                None => return false,
            }
        }
    }
    true
}

/// Flips one byte inside every copy of a 32-byte window from the middle of `bytes` in the file
/// (redb writes copy-on-write, so stale copies may sit beside the live one); how many it found.
fn flip_on_disk(path: &Path, bytes: &[u8]) -> usize {
    let window = &bytes[bytes.len() / 2 - 16..bytes.len() / 2 + 16];
    let mut file = std::fs::read(path).unwrap();
    let (mut found, mut at) = (0, 0);
    while let Some(offset) = file[at..].windows(window.len()).position(|candidate| candidate == window) {
        file[at + offset + 16] ^= 0x5a;
        found += 1;
        at += offset + window.len();
    }
    std::fs::write(path, file).unwrap();
    found
}

async fn health(net: &Network, node: usize) -> serde_json::Value {
    let url = format!("{}/v1/health", net.node_urls[node]);
    let (status, body) = node_get(&net.node_http(node), &url, REQUEST).await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice::<serde_json::Value>(&body).unwrap()["success"]["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_damaged_node_never_serves_bad_bytes_and_repairs_or_refuses_to_start_naming_the_file() {
    let mut rng = seeded("corruption");
    let mut net = Network::start(NetworkOptions::default()).unwrap();
    let publisher = Publisher::new(net.daemon_url.as_deref().unwrap());
    let config = EncodingConfig::new(net.n_shards()).unwrap();
    let mut blobs = Vec::new();
    for _ in 0..3 {
        let bytes = random_blob(&mut rng, 16 * 1024..48 * 1024);
        let stored = publisher.store(bytes.clone(), 2).await.unwrap();
        let encoded = floe_encoder::encode(&config, &bytes).unwrap();
        let id = *encoded.metadata.blob_id();
        assert_eq!(stored.blob_id, id.to_string());
        blobs.push(Blob { id, encoded });
    }
    let victim = rng.gen_range(0..net.n_nodes());
    let mut figures = Figures::new("corruption");
    let mut wrong = 0;
    assert!(serves_all(&net, victim, &blobs, &mut wrong).await, "node {victim} never held its slivers\n{}", net.logs());

    // 1. Flipped bytes in one sliver.
    let (pair, good) = held(&net, victim, &blobs[0])[0].clone();
    let data = blobs[0].encoded.pairs[usize::from(pair)].primary.data().to_vec();
    net.stop_node(victim);
    // In the database, or in the sliver file beside it for a sliver of 64 KiB or more.
    let copies = flip_on_disk(&net.node_database(victim), &data) + flip_on_disk(&net.node_sliver_file(victim), &data);
    assert!(copies >= 1, "the sliver's bytes are in the node's files");
    net.start_node(victim).unwrap();
    let url = sliver_url(&net, victim, &blobs[0].id, pair);
    let http = net.node_http(victim);
    let (first_status, first_body) = node_get(&http, &url, REQUEST).await.unwrap();
    figures.tried += 1;
    // 404 (set aside, as if never held) or, if the scrub or repair came first, the right bytes.
    assert!(first_status != 200 || first_body == good, "node {victim} served the damaged bytes");
    let repaired = eventually(SETTLE, || async {
        let health = health(&net, victim).await;
        let integrity = &health["integrity"];
        let ok = matches!(node_get(&http, &url, REQUEST).await, Ok((200, ref body)) if *body == good);
        (ok && integrity["corruptFound"].as_u64() >= Some(1) && integrity["repaired"].as_u64() >= Some(1))
            .then(|| integrity.clone())
    })
    .await;
    let integrity =
        repaired.unwrap_or_else(|| panic!("node {victim} did not repair the damaged sliver\n{}", net.logs()));
    figures.succeeded += 1;
    figures.note("flipped: first answer", first_status);
    figures.note("corruptFound", &integrity["corruptFound"]);
    figures.note("repaired", &integrity["repaired"]);
    assert!(serves_all(&net, victim, &blobs, &mut wrong).await, "after the repair\n{}", net.logs());

    // 2. The file truncated: the node refuses to start and names the file.
    net.stop_node(victim);
    let database = net.node_database(victim);
    let length = std::fs::metadata(&database).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&database).unwrap().set_len(length / 2).unwrap();
    figures.tried += 1;
    match net.start_node(victim) {
        Err(StartError::Exited { status, stderr, .. }) => {
            assert!(!status.success());
            assert!(stderr.contains(&database.display().to_string()), "the error names the file: {stderr}");
            assert!(stderr.contains("move it aside"), "the error says what to do: {stderr}");
            figures.note("truncated", "refused to start, naming the file");
        }
        Err(error) => panic!("node {victim} on a truncated file: {error}"),
        Ok(()) => panic!("node {victim} started on a database file truncated to half\n{}", net.logs()),
    }
    // What the message advises: move the file aside; the node starts empty and recovers.
    std::fs::rename(&database, database.with_extension("redb.damaged")).unwrap();
    net.start_node(victim).unwrap();
    let recovered = serves_all(&net, victim, &blobs, &mut wrong).await;
    figures.succeeded += u64::from(recovered);
    figures.wrong_bytes = wrong;
    println!("{figures}");
    assert!(recovered, "node {victim} started empty and did not recover its slivers\n{}", net.logs());
    assert_eq!(wrong, 0, "a node served damaged bytes");
}

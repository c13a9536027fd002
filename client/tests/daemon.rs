//! The aggregator over HTTP: certified blobs only, whole or by byte range, unknown blobs, and the
//! publisher's limits.

mod common;

use std::sync::Arc;

use common::{ClientView as _, blob, cluster};
use floe_client::{NoProgress, daemon};
use floe_encoder::{encode, messages::BlobPersistence};
use tokio::net::TcpListener;

async fn start(client: floe_client::FloeClient, max_body: usize) -> (daemon::Daemon, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let settings = daemon::DaemonSettings { max_body, ..daemon::DaemonSettings::default() };
    let daemon = daemon::serve(listener, Arc::new(client), settings, async move {
        let _ = stopped.await;
    })
    .unwrap();
    (daemon, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregator_serves_whole_blobs_and_byte_ranges() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let client = cluster.client();
    let data = blob(100_000, 6);
    let encoded = encode(client.committee().config(), &data).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 6);
    client.upload(&encoded, BlobPersistence::Permanent, &NoProgress).await.unwrap();
    let (daemon, _stop) = start(client, 1024).await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/blobs/{blob_id}", daemon.url());
    // Registered and uploaded but not certified: not served yet.
    let uncertified = http.get(&url).send().await.unwrap();
    assert_eq!(uncertified.status(), 409);
    let body: serde_json::Value = serde_json::from_slice(&uncertified.bytes().await.unwrap()).unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("not certified"), "{body}");
    cluster.certify(blob_id, 6);

    let whole = http.get(&url).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.bytes().await.unwrap().as_ref(), data.as_slice());

    let part = http.get(&url).header("range", "bytes=1000-1999").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 1000-1999/100000");
    assert_eq!(part.bytes().await.unwrap().as_ref(), &data[1000..2000]);

    let tail = http.get(&url).header("range", "bytes=-10").send().await.unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &data[99_990..]);

    let beyond = http.get(&url).header("range", "bytes=100000-").send().await.unwrap();
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"], "bytes */100000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_blobs_are_404_bad_ids_400_and_publishing_needs_a_key_and_a_small_body() {
    let cluster = cluster(&[3, 3, 2, 2]).await;
    let (daemon, _stop) = start(cluster.client(), 1024).await;
    let http = reqwest::Client::new();
    let unknown = *encode(&floe_encoder::EncodingConfig::new(10).unwrap(), b"x").unwrap().metadata.blob_id();
    let answer = http.get(format!("{}/v1/blobs/{unknown}", daemon.url())).send().await.unwrap();
    assert_eq!(answer.status(), 404);
    let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("does not exist"), "{body}");

    let answer = http.get(format!("{}/v1/blobs/not-a-blob-id", daemon.url())).send().await.unwrap();
    assert_eq!(answer.status(), 400);

    let answer = http.put(format!("{}/v1/blobs", daemon.url())).body(vec![1u8; 100]).send().await.unwrap();
    assert_eq!(answer.status(), 503);
    let answer = http.put(format!("{}/v1/blobs", daemon.url())).body(vec![1u8; 2000]).send().await.unwrap();
    assert_eq!(answer.status(), 413);

    let answer = http.get(format!("{}/v1/blobs/by-object-id/0x5", daemon.url())).send().await.unwrap();
    assert_eq!(answer.status(), 503);
}

//! The publisher/aggregator over HTTP, as Walrus-style clients use it: `PUT /v1/blobs` answers
//! `newlyCreated` then `alreadyCertified`, `GET /v1/blobs/{id}` returns the bytes, whole or by
//! range, and by object id.

use floe_tests::{SMALL, TestNet, random_bytes};

async fn put(http: &reqwest::Client, url: &str, body: &[u8]) -> serde_json::Value {
    let response = http.put(url).body(body.to_vec()).send().await.unwrap();
    assert_eq!(response.status(), 200, "PUT {url}");
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publisher_and_aggregator_round_trip_with_ranges_and_object_ids() {
    let net = TestNet::start(SMALL).await;
    let base = net.localnet.daemon_url();
    let http = reqwest::Client::new();
    let blob = random_bytes(123_457, 21);

    let created = put(&http, &format!("{base}/v1/blobs?epochs=2&permanent=true"), &blob).await;
    let object = &created["newlyCreated"]["blobObject"];
    let blob_id = object["blobId"].as_str().expect("newlyCreated.blobObject.blobId").to_owned();
    let object_id = object["id"].as_str().expect("newlyCreated.blobObject.id").to_owned();
    assert_eq!(object["size"], blob.len());
    assert!(object["certifiedEpoch"].is_number(), "not certified: {created}");

    // Deletable is the default (as on Walrus); a permanent blob certified long enough is not stored again.
    let again = put(&http, &format!("{base}/v1/blobs?permanent=true"), &blob).await;
    assert_eq!(again["alreadyCertified"]["blobId"], blob_id.as_str(), "{again}");

    let whole = http.get(format!("{base}/v1/blobs/{blob_id}")).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert!(whole.bytes().await.unwrap() == blob, "GET returned other bytes");

    let part = http.get(format!("{base}/v1/blobs/{blob_id}")).header("Range", "bytes=1000-1999").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], format!("bytes 1000-1999/{}", blob.len()).as_str());
    assert!(part.bytes().await.unwrap() == blob[1000..2000], "range returned other bytes");

    let by_object = http.get(format!("{base}/v1/blobs/by-object-id/{object_id}")).send().await.unwrap();
    assert_eq!(by_object.status(), 200);
    assert!(by_object.bytes().await.unwrap() == blob, "GET by object id returned other bytes");

    let unknown = http.get(format!("{base}/v1/blobs/{}", "A".repeat(43))).send().await.unwrap();
    assert_eq!(unknown.status(), 404, "an unknown blob id must be 404");
    net.shutdown().await;
}

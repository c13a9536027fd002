//! The publisher/aggregator over HTTP, as Walrus-style clients use it: `PUT /v1/blobs` answers
//! `newlyCreated` then `alreadyCertified`, `GET /v1/blobs/{id}` returns the bytes, whole or by
//! range, and by object id.

use floe_tests::{DaemonHttp, SMALL, TestNet, json_error, random_bytes};

async fn put(http: &reqwest::Client, url: &str, body: &[u8]) -> serde_json::Value {
    let response = http.put(url).body(body.to_vec()).send().await.unwrap();
    assert_eq!(response.status(), 200, "PUT {url}");
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publisher_and_aggregator_round_trip_with_ranges_and_object_ids() {
    let net = TestNet::start(SMALL).await;
    let DaemonHttp { base, http } = net.daemon_http();
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
    // By object id: an object that does not exist, and one that is no Blob (the Clock), are not
    // found; neither is the upstream's failure.
    for (object, what) in [(format!("0x{}", "ab".repeat(32)), "a missing object"), ("0x6".to_owned(), "the Clock")] {
        let answer = http.get(format!("{base}/v1/blobs/by-object-id/{object}")).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{what}");
        let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
        assert!(body["error"]["message"].is_string(), "{what}: {body}");
    }
    net.shutdown().await;
}

/// Sends `request` as raw bytes and reads the answer until the server closes the connection.
async fn raw(address: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_in_json_before_anything_is_spent() {
    let net = TestNet::start(SMALL).await;
    let DaemonHttp { base, http } = net.daemon_http();
    let sui_before = net.user_sui().await;
    let blob = random_bytes(1000, 5);

    for epochs in ["1000", "4294967295"] {
        let response = http.put(format!("{base}/v1/blobs?epochs={epochs}")).body(blob.clone()).send().await.unwrap();
        let (status, message) = json_error(response).await;
        assert_eq!(status, 400, "epochs={epochs}: {message}");
        assert!(message.contains("at most 104 epochs ahead"), "epochs={epochs}: {message}");
    }
    // An extractor rejection (not a number) is floe's JSON error too.
    let (status, _) =
        json_error(http.put(format!("{base}/v1/blobs?epochs=x")).body(blob.clone()).send().await.unwrap()).await;
    assert_eq!(status, 400);
    let (status, message) = json_error(http.get(format!("{base}/v1/nowhere")).send().await.unwrap()).await;
    assert_eq!(status, 404, "{message}");
    assert_eq!(net.user_sui().await, sui_before, "gas was spent");

    // A declared 10 GB body is refused before a byte of it is sent.
    let address = base.trim_start_matches("http://");
    let answer = raw(address, b"PUT /v1/blobs HTTP/1.1\r\nHost: floe\r\nContent-Length: 10000000000\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains(&format!("limit of {} bytes", floe_client::settings::DEFAULT_MAX_PUBLISH_BODY)),
        "{answer}"
    );
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_resumes_a_paid_but_uncertified_registration_and_the_aggregator_refuses_it_until_then() {
    let net = TestNet::start(SMALL).await;
    let DaemonHttp { base, http } = net.daemon_http();
    let client = net.localnet.client().await.unwrap();
    let chain = client.chain().unwrap();
    let user = net.localnet.user_key().address();

    // A store that stopped after paying: registered (deletable, the publisher's default) and
    // uploaded, never certified.
    let blob = random_bytes(200_000, 77);
    let config = *client.committee().config();
    let encoded = floe_encoder::encode(&config, &blob).unwrap();
    let blob_id = encoded.metadata.blob_id().to_string();
    let system = chain.system().await.unwrap();
    let price = floe_client::Price::of(&system, &config, blob.len() as u64, 2).unwrap();
    let registered = chain.register(encoded.metadata.metadata(), &price, true).await.unwrap();
    let object_id = registered.object.object_id().to_string();
    let persistence =
        floe_encoder::messages::BlobPersistence::Deletable { object_id: registered.object.object_id().into_inner() };
    client.upload(&encoded, persistence, &floe_client::NoProgress).await.unwrap();

    // The nodes hold its slivers, but it is not certified: the aggregator says so.
    for url in [format!("{base}/v1/blobs/{blob_id}"), format!("{base}/v1/blobs/by-object-id/{object_id}")] {
        let (status, message) = json_error(http.get(&url).send().await.unwrap()).await;
        assert_eq!(status, 409, "{url}: {message}");
        assert!(message.contains("not certified"), "{message}");
    }

    let wal_before = chain.wal_balance(user).await.unwrap();
    let resumed = put(&http, &format!("{base}/v1/blobs?epochs=2"), &blob).await;
    let created = &resumed["newlyCreated"];
    assert_eq!(created["blobObject"]["id"], object_id.as_str(), "{resumed}");
    assert!(created["blobObject"]["certifiedEpoch"].is_number(), "{resumed}");
    assert!(created["resourceOperation"]["reuseRegistration"].is_object(), "{resumed}");
    assert_eq!(created["cost"], 0, "{resumed}");
    // Certified and deletable: storing it again reuses the same object.
    let again = put(&http, &format!("{base}/v1/blobs?epochs=1"), &blob).await;
    assert_eq!(again["alreadyCertified"]["object"], object_id.as_str(), "{again}");
    assert_eq!(chain.wal_balance(user).await.unwrap(), wal_before, "WAL was paid again");

    let whole = http.get(format!("{base}/v1/blobs/{blob_id}")).send().await.unwrap();
    assert_eq!(whole.status(), 200);
    assert!(whole.bytes().await.unwrap() == blob, "GET returned other bytes");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_puts_from_one_key_all_certify_with_one_blob_object_each() {
    const STORES: usize = 50;
    let net = TestNet::start(SMALL).await;
    let DaemonHttp { base, http } = net.daemon_http();
    let mut puts = tokio::task::JoinSet::new();
    for index in 0..STORES {
        let (http, url) = (http.clone(), format!("{base}/v1/blobs?epochs=2"));
        let blob = random_bytes(1024 * 1024, 5000 + index as u64);
        puts.spawn(async move {
            let response = http.put(url).body(blob).send().await.unwrap();
            let status = response.status();
            (status, serde_json::from_slice::<serde_json::Value>(&response.bytes().await.unwrap()).unwrap())
        });
    }
    let mut blob_ids = Vec::new();
    while let Some(answer) = puts.join_next().await {
        let (status, body) = answer.unwrap();
        assert_eq!(status, 200, "{body}");
        let object = &body["newlyCreated"]["blobObject"];
        assert!(object["certifiedEpoch"].is_number(), "not certified: {body}");
        blob_ids.push(object["blobId"].as_str().unwrap().parse::<floe_encoder::BlobId>().unwrap());
    }
    assert_eq!(blob_ids.len(), STORES);
    // One certified Blob object per store: no payment left without a certificate.
    let client = net.localnet.client().await.unwrap();
    let chain = client.chain().unwrap();
    let user = net.localnet.user_key().address();
    let mut objects = 0;
    for blob_id in &blob_ids {
        let owned = chain.owned_blobs(user, blob_id).await.unwrap();
        assert!(owned.iter().all(|blob| blob.is_certified()), "an uncertified Blob of {blob_id}");
        objects += owned.len();
    }
    assert_eq!(objects, STORES);
    net.shutdown().await;
}

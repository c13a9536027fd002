//! Quilts end to end: `PUT /v1/quilts` stores a multipart form as one quilt in Walrus's format
//! (the same quilt id and patch ids as computed offline), the aggregator serves its files by
//! patch id and by identifier and lists them, bad requests are refused in JSON, and the client
//! reads one file from the few slivers holding it even when the whole quilt cannot be read.

use std::collections::BTreeSet;

use floe_client::{NoProgress, QuiltSelector, StoreOptions};
use floe_encoder::{
    EncodingConfig, SliverType, encode,
    quilt::{Quilt, QuiltFile, QuiltPatchId, index_columns},
};
use floe_tests::{DaemonHttp, SMALL, Shape, TestNet, json_error, random_bytes};

const BOUNDARY: &str = "floe-quilt-test-boundary";

/// A multipart/form-data body: one part per `(name, bytes)`.
fn multipart(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, data) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn put_quilt(http: &reqwest::Client, url: &str, parts: &[(&str, &[u8])]) -> reqwest::Response {
    http.put(url)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(parts))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quilts_over_http_store_in_walrus_format_and_serve_files_by_patch_id_identifier_and_listing() {
    let net = TestNet::start(SMALL).await;
    let DaemonHttp { base, http } = net.daemon_http();
    let (page, logo, empty) = (b"<h1>hello</h1>".to_vec(), random_bytes(5_000, 3), Vec::new());
    let metadata = br#"[{"identifier": "index.html", "tags": {"content-type": "text/html", "n": 1}},
                        {"identifier": "logo.png", "tags": {"kind": "image"}}]"#;
    let parts: [(&str, &[u8]); 4] =
        [("logo.png", &logo), ("index.html", &page), ("empty", &empty), ("_metadata", metadata)];

    let response = put_quilt(&http, &format!("{base}/v1/quilts?epochs=2"), &parts).await;
    assert_eq!(response.status(), 200);
    let stored: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    let object = &stored["blobStoreResult"]["newlyCreated"]["blobObject"];
    let quilt_id = object["blobId"].as_str().expect("blobStoreResult.newlyCreated.blobObject.blobId").to_owned();

    // The same quilt and patch ids as computed offline for the committee's 12 shards.
    let files = vec![
        QuiltFile::new("logo.png", logo.clone()).unwrap().with_tag("kind", "image"),
        QuiltFile::new("index.html", page.clone()).unwrap().with_tag("content-type", "text/html").with_tag("n", "1"),
        QuiltFile::new("empty", empty.clone()).unwrap(),
    ];
    let config = EncodingConfig::new(12).unwrap();
    let quilt = Quilt::encode(&config, &files).unwrap();
    let offline_id = *encode(&config, quilt.bytes()).unwrap().metadata.blob_id();
    assert_eq!(quilt_id, offline_id.to_string());
    let expected: Vec<(String, String)> = quilt
        .index()
        .patches()
        .iter()
        .map(|p| (p.identifier().to_owned(), QuiltPatchId { quilt_id: offline_id, patch: p.internal_id() }.to_string()))
        .collect();
    let answered: Vec<(String, String)> = stored["storedQuiltBlobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["identifier"].as_str().unwrap().to_owned(), p["quiltPatchId"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(answered, expected);

    // Walrus marks the Blob object as a quilt.
    let chain = net.localnet.client().await.unwrap();
    let object_id = object["id"].as_str().unwrap().parse().unwrap();
    let attributes = chain.chain().unwrap().attributes(object_id).await.unwrap();
    assert!(attributes.contains(&("_walrusBlobType".to_owned(), "quilt".to_owned())), "{attributes:?}");

    let html_id = &expected.iter().find(|(identifier, _)| identifier == "index.html").unwrap().1;
    let by_id = http.get(format!("{base}/v1/blobs/by-quilt-patch-id/{html_id}")).send().await.unwrap();
    assert_eq!(by_id.status(), 200);
    assert_eq!(by_id.headers()["x-quilt-patch-identifier"], "index.html");
    assert_eq!(by_id.headers()["content-type"], "text/html");
    assert_eq!(by_id.bytes().await.unwrap(), page);

    for (identifier, data) in [("logo.png", &logo), ("empty", &empty)] {
        let response = http.get(format!("{base}/v1/blobs/by-quilt-id/{quilt_id}/{identifier}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{identifier}");
        assert_eq!(response.headers()["x-quilt-patch-identifier"], identifier);
        assert_eq!(&response.bytes().await.unwrap().to_vec(), data, "{identifier}");
    }

    let listed = http.get(format!("{base}/v1/quilts/{quilt_id}/patches")).send().await.unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.bytes().await.unwrap()).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 3);
    let html = listed.iter().find(|p| p["identifier"] == "index.html").unwrap();
    assert_eq!(html["patch_id"], html_id.as_str());
    assert_eq!(html["tags"], serde_json::json!({"content-type": "text/html", "n": "1"}));

    // Unknown files are 404, malformed ids 400, all as JSON errors.
    let (status, message) =
        json_error(http.get(format!("{base}/v1/blobs/by-quilt-id/{quilt_id}/nope")).send().await.unwrap()).await;
    assert_eq!(status, 404);
    assert!(message.contains("\"nope\""), "{message}");
    let (status, message) =
        json_error(http.get(format!("{base}/v1/blobs/by-quilt-patch-id/{quilt_id}")).send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(message.contains("quilt patch id"), "{message}");
    let (status, _) = json_error(http.get(format!("{base}/v1/quilts/not-an-id/patches")).send().await.unwrap()).await;
    assert_eq!(status, 400);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_quilt_uploads_are_refused_in_json_before_anything_is_spent() {
    let net = TestNet::start(SMALL).await;
    let DaemonHttp { base, http } = net.daemon_http();
    let sui_before = net.user_sui().await;
    let url = format!("{base}/v1/quilts");

    // The parts sent, and what the refusal must say.
    type Case = (&'static [(&'static str, &'static [u8])], &'static str);
    let cases: [Case; 6] = [
        (&[], "no files"),
        (&[("_metadata", b"[]")], "no files"),
        (&[("a", b"1"), ("_metadata", b"{\"not\": \"an array\"}")], "_metadata is not a JSON array"),
        (&[("a", b"1"), ("_metadata", br#"[{"identifier": "b", "tags": {}}]"#)], "no part has that name"),
        (&[("a", b"1"), ("a", b"2")], "duplicate quilt identifier \"a\""),
        (&[("bad ", b"1")], "ends with whitespace"),
    ];
    for (parts, needle) in cases {
        let (status, message) = json_error(put_quilt(&http, &url, parts).await).await;
        assert_eq!(status, 400, "{needle}: {message}");
        assert!(message.contains(needle), "expected {needle:?} in {message:?}");
    }
    // 12 shards leave 8 columns for files: a ninth is refused.
    let names: Vec<String> = (0..9).map(|i| format!("f{i}")).collect();
    let parts: Vec<(&str, &[u8])> = names.iter().map(|name| (name.as_str(), b"x".as_slice())).collect();
    let (status, message) = json_error(put_quilt(&http, &url, &parts).await).await;
    assert_eq!(status, 400);
    assert!(message.contains("at most 8"), "{message}");
    let (status, message) = json_error(put_quilt(&http, &format!("{url}?epochs=0"), &[("a", b"1")]).await).await;
    assert_eq!(status, 400);
    assert!(message.contains("epochs"), "{message}");

    assert_eq!(net.user_sui().await, sui_before, "a refused upload spent gas");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_read_from_the_slivers_holding_it_when_the_whole_quilt_cannot_be_read() {
    // 7 nodes of 3 shards over 21: decoding the whole quilt needs 9 primary (or 15 secondary)
    // slivers; one small file and the index need two secondary slivers, on at most 2 nodes.
    let mut net = TestNet::start(Shape { nodes: 7, shards: 21 }).await;
    let client = net.localnet.client().await.unwrap();
    // A large first file sets a symbol size at which the index and each small file take one
    // column each.
    let files: Vec<QuiltFile> = [30_000, 100, 101]
        .into_iter()
        .enumerate()
        .map(|(i, len)| {
            QuiltFile::new(format!("part-{i}"), random_bytes(len, i as u64)).unwrap().with_tag("i", i.to_string())
        })
        .collect();
    let stored = client.store_quilt(&files, &StoreOptions::default(), &NoProgress).await.unwrap();
    let quilt_id = stored.quilt_id();
    let (identifier, patch_id) = stored.patch_ids()[1].clone();
    let patch = stored.index.patch(&identifier).unwrap().clone();

    let committee = client.committee();
    let n = committee.n_shards();
    let config = *committee.config();
    let quilt = Quilt::encode(&config, &files).unwrap();
    let column0 = floe_encoder::quilt::ColumnSource::column(&quilt, 0).unwrap().into_owned();
    let columns: BTreeSet<u16> = (0..index_columns(&column0).unwrap()).chain(patch.columns()).collect();
    let holders: BTreeSet<usize> = columns
        .iter()
        .map(|c| {
            committee.holder_of_pair(&quilt_id, floe_encoder::SliverIndex(*c).pair_index(SliverType::Secondary, n))
        })
        .collect();
    let kept_shards: usize = holders.iter().map(|member| committee.weight(*member) as usize).sum();
    assert!(kept_shards < usize::from(config.n_rows()), "the test needs a quilt whose file sits on few nodes");
    for member in 0..committee.members().len() {
        if holders.contains(&member) {
            continue;
        }
        let key = committee.members()[member].public_key;
        let index = (0..net.localnet.n_nodes())
            .find(|i| net.localnet.node(*i).is_some_and(|node| node.node().public_key() == key))
            .expect("every member is a local node");
        net.localnet.stop_node(index).await.unwrap();
    }

    assert!(client.read(&quilt_id, &NoProgress).await.is_err(), "the whole quilt should not be readable");
    let by_id = client.read_quilt_patch(&patch_id).await.unwrap();
    assert_eq!(by_id.identifier(), identifier);
    assert_eq!(by_id.data(), files[1].data());
    let by_name =
        client.read_quilt_files(&quilt_id, &QuiltSelector::Identifiers(vec![identifier.clone()])).await.unwrap();
    assert_eq!(by_name, vec![files[1].clone()]);
    net.shutdown().await;
}

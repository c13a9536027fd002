//! The client against a scripted node on loopback: each test's node answers every request with
//! the same raw HTTP response, so the answers can be as wrong as a faulty or lying node's.

use std::time::Duration;

use floe_encoder::{BlobId, EncodingConfig, SliverIndex, SliverType, encode};
use floe_node_api::{NodeApiError, NodeClient, bounds};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A node at the returned URL that answers every request with `head` (status line and headers,
/// without the blank line) and then `body`.
async fn scripted_node(head: String, body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (head, body) = (head.clone(), body.clone());
            tokio::spawn(async move {
                // Read the request's head; these requests carry no body.
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                let _ = socket.write_all(format!("{head}\r\nconnection: close\r\n\r\n").as_bytes()).await;
                let _ = socket.write_all(&body).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    url
}

fn with_length(status: &str, content_type: &str, body: Vec<u8>) -> (String, Vec<u8>) {
    (format!("HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}", body.len()), body)
}

/// `body` sent in chunks of `chunk` bytes, without a content length.
fn chunked(body: &[u8], chunk: usize) -> (String, Vec<u8>) {
    let mut encoded = Vec::new();
    for piece in body.chunks(chunk) {
        encoded.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        encoded.extend_from_slice(piece);
        encoded.extend_from_slice(b"\r\n");
    }
    encoded.extend_from_slice(b"0\r\n\r\n");
    ("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked".to_owned(), encoded)
}

fn client(url: &str) -> NodeClient {
    NodeClient::new(reqwest::Client::new(), url)
}

fn config() -> EncodingConfig {
    EncodingConfig::new(10).unwrap()
}

#[tokio::test]
async fn an_answer_announced_larger_than_any_valid_one_is_refused() {
    let config = config();
    let limit = bounds::max_metadata_answer(&config);
    let (head, body) = with_length("200 OK", "application/octet-stream", vec![0; limit + 1]);
    let node = client(&scripted_node(head, body).await);
    let error = node.metadata(&config, &BlobId([1; 32]), TIMEOUT).await.unwrap_err();
    assert!(matches!(error, NodeApiError::TooLarge { limit: bound, .. } if bound == limit), "{error}");
    assert!(!error.is_transient());
}

#[tokio::test]
async fn a_streamed_answer_is_cut_off_once_it_passes_its_bound() {
    let config = config();
    let (blob_id, symbol_size, targets) = (BlobId([2; 32]), 64, [SliverIndex(1), SliverIndex(4)]);
    let limit = bounds::max_recovery_response(&config, symbol_size, targets.len());
    let (head, body) = chunked(&vec![7; limit + 100], 1000);
    let node = client(&scripted_node(head, body).await);
    let error = node
        .recovery_symbols(&config, &blob_id, symbol_size, SliverType::Primary, &targets, TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(error, NodeApiError::TooLarge { limit: bound, .. } if bound == limit), "{error}");

    // The same streamed answer within the bound is read in full (and then refused as garbage).
    let (head, body) = chunked(&vec![7; limit / 2], 1000);
    let node = client(&scripted_node(head, body).await);
    let error = node
        .recovery_symbols(&config, &blob_id, symbol_size, SliverType::Primary, &targets, TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(error, NodeApiError::Invalid { .. }), "{error}");
}

#[tokio::test]
async fn an_error_status_carries_the_nodes_json_message() {
    let message = "blob 7rxc is not registered";
    let json = format!(r#"{{"error":{{"code":403,"message":"{message}"}}}}"#);
    let (head, body) = with_length("403 Forbidden", "application/json", json.into_bytes());
    let node = client(&scripted_node(head, body).await);
    let error = node.status(&BlobId([3; 32]), TIMEOUT).await.unwrap_err();
    match &error {
        NodeApiError::Status { status, message: got, .. } => assert_eq!((*status, got.as_str()), (403, message)),
        other => panic!("expected a status error, got {other}"),
    }
    assert!(error.is_transient(), "not registered yet may change once the node catches up");
    assert_eq!(error.status(), Some(403));

    // A body that is not the API's JSON is kept as text.
    let (head, body) = with_length("500 Internal Server Error", "text/plain", b"out of disk".to_vec());
    let node = client(&scripted_node(head, body).await);
    let error = node.status(&BlobId([3; 32]), TIMEOUT).await.unwrap_err();
    assert!(matches!(&error, NodeApiError::Status { status: 500, message, .. } if message == "out of disk"), "{error}");
}

#[tokio::test]
async fn metadata_of_another_blob_is_rejected_and_the_right_one_verifies() {
    let config = config();
    let asked = encode(&config, b"the blob asked for").unwrap().metadata;
    let other = encode(&config, b"some other blob").unwrap().metadata;
    let blob_id = *asked.blob_id();

    // The asked blob id in front of another blob's metadata: the hashes do not derive the id.
    let mut lie = blob_id.0.to_vec();
    lie.extend_from_slice(&other.metadata().to_bcs());
    let (head, body) = with_length("200 OK", "application/octet-stream", lie);
    let node = client(&scripted_node(head, body).await);
    let error = node.metadata(&config, &blob_id, TIMEOUT).await.unwrap_err();
    assert!(matches!(error, NodeApiError::Invalid { .. }), "{error}");

    // Another blob's answer as it is: refused for naming the other blob.
    let mut other_answer = other.blob_id().0.to_vec();
    other_answer.extend_from_slice(&other.metadata().to_bcs());
    let (head, body) = with_length("200 OK", "application/octet-stream", other_answer);
    let node = client(&scripted_node(head, body).await);
    let error = node.metadata(&config, &blob_id, TIMEOUT).await.unwrap_err();
    assert!(error.to_string().contains(&format!("answer is for blob {}", other.blob_id())), "{error}");

    // The honest answer verifies.
    let mut honest = blob_id.0.to_vec();
    honest.extend_from_slice(&asked.metadata().to_bcs());
    let (head, body) = with_length("200 OK", "application/octet-stream", honest);
    let node = client(&scripted_node(head, body).await);
    assert_eq!(node.metadata(&config, &blob_id, TIMEOUT).await.unwrap(), asked);
}

/// A confirmation answer carrying `message` signed by `key`.
fn confirmation_answer(
    message: &floe_encoder::messages::StorageConfirmation,
    key: &floe_encoder::bls::BlsSecretKey,
) -> (String, Vec<u8>) {
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    let signed = message.sign(key);
    let body = serde_json::json!({ "success": { "code": 200, "data": { "signed": {
        "serializedMessage": STANDARD.encode(&signed.serialized),
        "signature": STANDARD.encode(signed.signature.to_bytes()),
    }}}});
    with_length("200 OK", "application/json", body.to_string().into_bytes())
}

#[tokio::test]
async fn a_confirmation_for_another_epoch_is_named_with_both_epochs() {
    use floe_encoder::messages::{BlobPersistence, StorageConfirmation};
    let key = floe_encoder::bls::BlsSecretKey::from_seed(&[4; 32]);
    let expected = StorageConfirmation { epoch: 5, blob_id: BlobId([7; 32]), persistence: BlobPersistence::Permanent };

    // Signed for the epoch before: the node trails the chain and may catch up.
    let (head, body) = confirmation_answer(&StorageConfirmation { epoch: 4, ..expected }, &key);
    let node = client(&scripted_node(head, body).await);
    let error = node.confirmation(&expected, Duration::ZERO, Duration::ZERO, TIMEOUT).await.unwrap_err();
    assert!(matches!(error, NodeApiError::OtherEpoch { signed: 4, expected: 5, .. }), "{error}");
    assert!(error.is_transient());

    // The same epoch but another blob is no epoch matter: a wrong answer.
    let (head, body) = confirmation_answer(&StorageConfirmation { blob_id: BlobId([8; 32]), ..expected }, &key);
    let node = client(&scripted_node(head, body).await);
    let error = node.confirmation(&expected, Duration::ZERO, Duration::ZERO, TIMEOUT).await.unwrap_err();
    assert!(matches!(error, NodeApiError::Invalid { .. }), "{error}");

    // The asked one verifies.
    let (head, body) = confirmation_answer(&expected, &key);
    let node = client(&scripted_node(head, body).await);
    let signed = node.confirmation(&expected, Duration::ZERO, Duration::ZERO, TIMEOUT).await.unwrap();
    signed.verify(&key.public_key()).unwrap();
}

/// A node that answers one request 200 and hands back the request as it came: its head and its
/// body (read up to its `content-length`).
async fn recording_node() -> (String, tokio::sync::oneshot::Receiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (sender, receiver) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 64 * 1024];
        let end = loop {
            if let Some(at) = request.windows(4).position(|window| window == b"\r\n\r\n") {
                break at + 4;
            }
            let read = socket.read(&mut buffer).await.unwrap();
            assert!(read > 0, "the request ended inside its head");
            request.extend_from_slice(&buffer[..read]);
        };
        let head = String::from_utf8(request[..end].to_vec()).unwrap().to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .map_or(0, |value| value.trim().parse().unwrap());
        while request.len() < end + length {
            let read = socket.read(&mut buffer).await.unwrap();
            assert!(read > 0, "the request ended inside its body");
            request.extend_from_slice(&buffer[..read]);
        }
        let answer = r#"{"success":{"code":200,"data":"stored"}}"#;
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
            answer.len()
        );
        socket.write_all(reply.as_bytes()).await.unwrap();
        let _ = sender.send((head, request[end..].to_vec()));
    });
    (url, receiver)
}

/// A batch goes out as the slivers' own bytes in pieces: the node must still see one body of
/// declared length (not chunked), byte for byte the batch's BCS.
#[tokio::test]
async fn a_sliver_batch_is_sent_with_its_length_and_arrives_as_its_bcs() {
    use floe_node_api::{Registration, SliverBatch};
    let encoded = encode(&config(), &vec![9u8; 300_000]).unwrap();
    let pairs = &encoded.pairs[1..4];
    let body = SliverBatch::encode(
        pairs.iter().flat_map(|pair| [(pair.index(), &pair.primary), (pair.index(), &pair.secondary)]),
    );
    let expected = body.to_vec();
    let (url, request) = recording_node().await;
    let landed = Registration::Landed { wait: Duration::ZERO };
    client(&url).put_slivers(encoded.metadata.blob_id(), body, landed, Duration::ZERO, TIMEOUT).await.unwrap();
    let (head, received) = request.await.unwrap();
    assert!(head.contains(&format!("content-length: {}\r\n", expected.len())), "{head}");
    assert!(!head.contains("transfer-encoding"), "{head}");
    assert_eq!(received, expected);
    let batch = SliverBatch::from_bcs(&received).unwrap();
    assert_eq!(batch.slivers.len(), 6);
    assert_eq!(batch.slivers[5].clone().into_sliver().unwrap(), pairs[2].secondary);
}

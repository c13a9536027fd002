//! [`floe_serve::serve_with`] over TLS: a client trusting the certificate gets the same answers
//! and the same limits as over plain HTTP, a client that does not trust it is refused, and a
//! connection that never completes its handshake is closed after the header timeout, its slot
//! freed for others. A client that offers HTTP/2 gets it: one connection for its requests at
//! once, closed once idle for the header timeout like an HTTP/1.1 one.
//!
//! The waits below bound how long a broken server could hang a test; nothing asserts on timing.

use std::{net::SocketAddr, time::Duration};

use axum::{
    Router,
    body::Bytes,
    routing::{get, put},
};
use floe_serve::{Cors, ServeLimits, ServeOptions, TlsIdentity, serve_with, tls::self_signed_pem};
use tokio::{
    io::AsyncReadExt,
    net::{TcpListener, TcpStream},
};

/// How long a test waits for something that must happen before calling the server stuck.
const STUCK: Duration = Duration::from_secs(60);

async fn start(max_connections: usize) -> (SocketAddr, reqwest::Client) {
    let (certificate, key) = self_signed_pem(&["127.0.0.1".to_owned()]).unwrap();
    let tls = TlsIdentity::from_pem(&certificate, &key).unwrap();
    let app = Router::new()
        .route("/v1/health", get(|| async { "ok" }))
        .route("/v1/upload", put(|body: Bytes| async move { body.len().to_string() }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let limits = ServeLimits {
        header_read_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_millis(300),
        max_connections,
        max_body: 1000,
    };
    let options = ServeOptions { limits, cors: Cors::Off, tls: Some(tls) };
    tokio::spawn(serve_with(listener, app, options, std::future::pending()));
    let trusting = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(certificate.as_bytes()).unwrap()])
        .timeout(STUCK)
        .build()
        .unwrap();
    (address, trusting)
}

#[tokio::test]
async fn a_trusting_client_is_served_with_the_limits_and_json_errors_of_plain_http() {
    let (address, http) = start(16).await;
    let health = http.get(format!("https://{address}/v1/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.version(), reqwest::Version::HTTP_2, "offered by the client, agreed by ALPN");
    assert_eq!(health.text().await.unwrap(), "ok");

    let too_large = http.put(format!("https://{address}/v1/upload")).body(vec![0u8; 2000]).send().await.unwrap();
    assert_eq!(too_large.status(), 413);
    let error: serde_json::Value = serde_json::from_slice(&too_large.bytes().await.unwrap()).unwrap();
    assert_eq!(error["error"]["code"], 413, "{error}");

    let missing = http.get(format!("https://{address}/v1/nothing")).send().await.unwrap();
    assert_eq!(missing.status(), 404);

    // Plain HTTP to a TLS server gets no answer, and an untrusting client refuses the server.
    assert!(reqwest::get(format!("http://{address}/v1/health")).await.is_err());
    assert!(reqwest::get(format!("https://{address}/v1/health")).await.is_err());
}

#[tokio::test]
async fn a_connection_that_never_handshakes_is_closed_and_frees_its_slot() {
    let (address, http) = start(1).await;
    // Takes the only slot and sends nothing: no ClientHello ever comes.
    let mut idle = TcpStream::connect(address).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(STUCK, idle.read(&mut buf)).await.expect("the server closes the connection");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // The slot is free again.
    let health = http.get(format!("https://{address}/v1/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn one_http2_connection_carries_requests_at_once_and_is_closed_once_idle() {
    // One slot: a second connection waits in the backlog until the first is closed.
    let (address, http) = start(1).await;
    let url = format!("https://{address}/v1/health");
    let requests: Vec<_> = (0..8).map(|_| tokio::spawn(http.get(&url).send())).collect();
    for request in requests {
        let answer = request.await.unwrap().expect("served on the one connection");
        assert_eq!((answer.status(), answer.version()), (reqwest::StatusCode::OK, reqwest::Version::HTTP_2));
    }
    // Another client's connection is served once the first client's, idle, is closed.
    let other =
        reqwest::Client::builder().tls_danger_accept_invalid_certs(true).http1_only().timeout(STUCK).build().unwrap();
    let answer = other.get(&url).send().await.expect("served once the idle connection is closed");
    assert_eq!(answer.status(), 200);
    // The first client opens a new connection when it needs one.
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);
}

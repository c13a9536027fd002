//! A server under [`floe_serve::serve`] cannot be starved by slow or idle clients, refuses what
//! is too large before reading it, and answers every rejection in floe's JSON error shape.
//!
//! The waits below bound how long a broken server could hang a test; nothing asserts on timing.

use std::{net::SocketAddr, time::Duration};

use axum::{
    Router,
    body::Bytes,
    extract::Query,
    routing::{get, put},
};
use floe_serve::{ServeLimits, serve};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// How long a test waits for something that must happen before calling the server stuck.
const STUCK: Duration = Duration::from_secs(60);

/// `?n=` as a number: a query that does not parse is an extractor rejection.
#[derive(Debug, serde::Deserialize)]
struct Count {
    #[allow(dead_code)]
    n: u32,
}

async fn start(limits: ServeLimits) -> SocketAddr {
    let app = Router::new()
        .route("/v1/health", get(|| async { "ok" }))
        .route("/v1/count", get(|Query(_count): Query<Count>| async { "counted" }))
        .route("/v1/upload", put(|body: Bytes| async move { body.len().to_string() }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, app, limits, std::future::pending()));
    address
}

fn quick(max_connections: usize) -> ServeLimits {
    ServeLimits {
        header_read_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_millis(300),
        max_connections,
        max_body: 1000,
    }
}

async fn health(address: SocketAddr) -> reqwest::StatusCode {
    let http = reqwest::Client::builder().timeout(STUCK).build().unwrap();
    http.get(format!("http://{address}/v1/health")).send().await.expect("health answers").status()
}

/// Sends `request` raw and reads until the server closes (or [`STUCK`]).
async fn raw(address: SocketAddr, request: &[u8], half_close: bool) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    if half_close {
        stream.shutdown().await.unwrap();
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(STUCK, stream.read_to_end(&mut answer)).await.expect("the server closes");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_half_sent_request_header_is_dropped_while_normal_requests_are_served() {
    let address = start(quick(16)).await;
    let mut slow = TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /v1/health HTTP/1.1\r\nHost: floe\r\nX-Half: ").await.unwrap();
    assert_eq!(health(address).await, 200);
    // The server closes the slow connection on its own (a 408 or nothing, then EOF).
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(STUCK, slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the half-sent request is still held");
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"), "a half header must not be answered");
    assert_eq!(health(address).await, 200);
}

#[tokio::test]
async fn many_idle_connections_do_not_stop_health_requests() {
    // Eight times more idle connections than the server serves at once.
    let address = start(quick(4)).await;
    let mut idle = Vec::new();
    for _ in 0..32 {
        idle.push(TcpStream::connect(address).await.unwrap());
    }
    assert_eq!(health(address).await, 200);
    drop(idle);
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_before_it_is_sent() {
    let address = start(quick(16)).await;
    let answer =
        raw(address, b"PUT /v1/upload HTTP/1.1\r\nHost: floe\r\nContent-Length: 10000000000\r\n\r\n", false).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""code":413"#) && answer.contains("limit of 1000 bytes"), "{answer}");
}

#[tokio::test]
async fn a_body_cut_off_by_a_half_closed_connection_is_400() {
    let address = start(quick(16)).await;
    let answer =
        raw(address, b"PUT /v1/upload HTTP/1.1\r\nHost: floe\r\nContent-Length: 100\r\n\r\nonly ten b", true).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains(r#""code":400"#), "{answer}");
}

#[tokio::test]
async fn extractor_rejections_and_unknown_routes_are_json_errors() {
    let address = start(quick(16)).await;
    let http = reqwest::Client::new();
    for (url, status) in [("/v1/count?n=many", 400), ("/v1/nowhere", 404)] {
        let response = http.get(format!("http://{address}{url}")).send().await.unwrap();
        assert_eq!(response.status(), status, "{url}");
        let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).expect("a JSON body");
        assert_eq!(body["error"]["code"], status, "{url}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|text| !text.is_empty()), "{url}: {body}");
    }
    let response = http.post(format!("http://{address}/v1/health")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).expect("a JSON body");
    assert_eq!(body["error"]["code"], 405, "{body}");
    let fits = http.put(format!("http://{address}/v1/upload")).body(vec![7u8; 1000]).send().await.unwrap();
    assert_eq!(fits.text().await.unwrap(), "1000");
}

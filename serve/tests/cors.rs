//! CORS under [`floe_serve::serve_with`]: preflights are answered for allowed origins (before
//! routing, so a POST-only route still answers OPTIONS), answers to allowed origins carry the
//! headers a browser checks (errors too, with floe's JSON body), and other origins or a server
//! with CORS off get none.

use std::net::SocketAddr;

use axum::{
    Router,
    routing::{get, post},
};
use floe_serve::{Cors, ServeLimits, ServeOptions, serve_with};
use tokio::net::TcpListener;

async fn start(cors: Cors) -> SocketAddr {
    let app = Router::new()
        .route("/v1/service", get(|| async { ([("x-keyserver-version", "0.5.0")], "{}") }))
        .route("/v1/fetch_key", post(|| async { "keys" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let options = ServeOptions { limits: ServeLimits::with_max_body(100), cors, tls: None };
    tokio::spawn(serve_with(listener, app, options, std::future::pending()));
    address
}

async fn preflight(address: SocketAddr, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("http://{address}/v1/fetch_key"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,client-sdk-version")
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn listed_origins_pass_preflight_and_read_answers_and_errors() {
    let page = "http://localhost:5173";
    let address = start(Cors::from_origins(&[page]).unwrap()).await;

    let answer = preflight(address, page).await;
    assert!(answer.status().is_success(), "{}", answer.status());
    assert_eq!(header(&answer, "access-control-allow-origin"), Some(page));
    assert!(header(&answer, "access-control-allow-methods").unwrap().contains("POST"));
    // Any request header is allowed (`*`, valid for requests without credentials, as these are).
    let allowed = header(&answer, "access-control-allow-headers").unwrap();
    assert!(allowed == "*" || allowed.contains("client-sdk-version"), "{allowed}");
    assert_eq!(header(&answer, "access-control-max-age"), Some("3600"));

    let client = reqwest::Client::new();
    let answer = client.get(format!("http://{address}/v1/service")).header("origin", page).send().await.unwrap();
    assert_eq!(header(&answer, "access-control-allow-origin"), Some(page));
    // The version header Seal's SDK reads is exposed to the page.
    assert_eq!(header(&answer, "access-control-expose-headers"), Some("*"));

    // An error (a body over the limit) is still readable by the page, in floe's JSON shape.
    let answer = client
        .post(format!("http://{address}/v1/fetch_key"))
        .header("origin", page)
        .body(vec![0u8; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);
    assert_eq!(header(&answer, "access-control-allow-origin"), Some(page));
    let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], 413);

    // Another origin gets no permission.
    let answer = preflight(address, "http://evil.example").await;
    assert_eq!(header(&answer, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn any_origin_is_admitted_with_a_star() {
    let address = start(Cors::AnyOrigin).await;
    let answer = preflight(address, "http://127.0.0.1:9999").await;
    assert!(answer.status().is_success());
    assert_eq!(header(&answer, "access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn with_cors_off_no_permission_is_given() {
    let address = start(Cors::Off).await;
    let answer = reqwest::Client::new()
        .get(format!("http://{address}/v1/service"))
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    assert_eq!(header(&answer, "access-control-allow-origin"), None);
    let answer = preflight(address, "http://localhost:5173").await;
    assert_eq!(header(&answer, "access-control-allow-origin"), None);
}

//! `floe daemon` with publisher authentication, through HTTP against a `floe localnet`: stores
//! without a valid token are refused before anything is paid, a valid token stores once and the
//! `Blob` goes to the address its claims name, and rate limits answer 429.

mod common;

use std::io::{Read, Write};
use std::process::Child;
use std::time::{SystemTime, UNIX_EPOCH};

use common::Localnet;
use floe_chain::{ChainClient, Deployment, floe::wal::wal_type};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};
use sui_sdk_types::{Address, StructTag};

const SECRET: &str = "the publisher's token secret";

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `floe daemon` on a free port with the given flags, and its address.
fn daemon(localnet: &Localnet, flags: &[&str]) -> (Daemon, String) {
    let mut command = common::floe_command(&["daemon", "--listen", "127.0.0.1:0", "--plain-http"]);
    command.args(flags).arg("--deployment").arg(&localnet.deployment).args(["--key", &localnet.key]);
    let (child, started) = common::spawn_announced(command);
    assert_eq!(started["requires_token"], true, "{started}");
    let addr = started["url"].as_str().unwrap().trim_start_matches("http://").to_owned();
    (Daemon(child), addr)
}

/// A request over HTTP/1.0: the status and the body as JSON (null if not JSON).
fn request(addr: &str, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, Value) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(stream, "{method} {path} HTTP/1.0\r\nHost: {addr}\r\n{auth}Content-Length: {}\r\n\r\n", body.len()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("an HTTP status line");
    let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn token(claims: Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::default(), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn message(body: &Value) -> String {
    body["error"]["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_need_a_valid_unused_token_and_nothing_is_paid_for_refused_ones() {
    let dir = tempfile::tempdir().unwrap();
    let localnet = Localnet::start(dir.path(), &["--key-servers", "0", "--no-demo"]);
    let secret_file = dir.path().join("jwt-secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let (_daemon, addr) =
        daemon(&localnet, &["--jwt-secret-file", secret_file.to_str().unwrap(), "--store-rate-per-minute", "8"]);

    let deployment = Deployment::load(&localnet.deployment).unwrap();
    let chain = ChainClient::new(&deployment.rpc_url).unwrap();
    let payer: Address = localnet.started["address"].as_str().unwrap().parse().unwrap();
    let wal = wal_type(&deployment.packages);
    let balances = || async {
        (chain.balance(payer, &wal).await.unwrap(), chain.balance(payer, &StructTag::sui()).await.unwrap())
    };
    let before = balances().await;
    let blob = b"stored with a token".to_vec();

    let (status, body) = request(&addr, "PUT", "/v1/blobs?epochs=2", None, &blob);
    assert_eq!((status, message(&body).contains("requires a token")), (401, true), "{body}");
    let forged = token(json!({ "exp": now() + 300, "jti": "forged" }), "not the secret");
    let (status, body) = request(&addr, "PUT", "/v1/blobs?epochs=2", Some(&forged), &blob);
    assert_eq!((status, message(&body).contains("signature")), (401, true), "{body}");
    assert!(!message(&body).contains(&forged), "the token is not echoed");
    let expired = token(json!({ "exp": now() - 5, "jti": "expired" }), SECRET);
    let (status, body) = request(&addr, "PUT", "/v1/blobs?epochs=2", Some(&expired), &blob);
    assert_eq!((status, message(&body)), (401, "the token has expired".to_owned()), "{body}");
    let small = token(json!({ "exp": now() + 300, "jti": "small", "max_size": 4 }), SECRET);
    let (status, body) = request(&addr, "PUT", "/v1/blobs?epochs=2", Some(&small), &blob);
    assert_eq!((status, message(&body).contains("at most 4 bytes")), (413, true), "{body}");
    let short = token(json!({ "exp": now() + 300, "jti": "short", "max_epochs": 1 }), SECRET);
    let (status, body) = request(&addr, "PUT", "/v1/blobs?epochs=2", Some(&short), &blob);
    assert_eq!((status, message(&body).contains("at most 1 epochs")), (403, true), "{body}");
    assert_eq!(balances().await, before, "refused stores spend neither WAL nor gas");

    let owner = Address::from_static("0xb0b");
    let valid = token(json!({ "exp": now() + 300, "jti": "valid", "send_object_to": owner.to_string() }), SECRET);
    let (status, body) = request(&addr, "PUT", "/v1/blobs?epochs=2", Some(&valid), &blob);
    assert_eq!(status, 200, "{body}");
    let object = &body["newlyCreated"]["blobObject"];
    let object_id: Address = object["id"].as_str().unwrap().parse().unwrap();
    let stored = chain.get_object(object_id).await.unwrap();
    assert_eq!(stored.owner(), &sui_sdk_types::Owner::Address(owner), "the Blob goes to the token's address");

    let (status, body) = request(&addr, "PUT", "/v1/blobs?epochs=2", Some(&valid), &blob);
    assert_eq!((status, message(&body).contains("used already")), (403, true), "{body}");

    // 8 stores a minute from one address (7 made above, refused ones count too): a burst of
    // quick requests meets the limit within a few (the allowance refills by one every 7.5 s).
    let limited = (0..10).map(|_| request(&addr, "PUT", "/v1/blobs", None, &[])).find(|(status, _)| *status != 401);
    let (status, body) = limited.expect("the rate limit answers within 10 requests");
    assert_eq!((status, message(&body).contains("limit of 8 stores per minute")), (429, true), "{body}");
}

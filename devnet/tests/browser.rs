//! A browser dApp reaches the devnet: gRPC-web over HTTP/1.1 on the same port as native gRPC,
//! and CORS (preflights answered, gRPC status headers exposed to the page). Requests are written
//! by hand on a TCP socket, byte for byte what a browser's fetch sends.

mod common;

use common::http1::http1;
use common::start;
use prost::Message;
use sui_rpc::proto::sui::rpc::v2 as proto;

/// gRPC-web frames: (flag, payload); flag 0x80 marks the trailers.
fn frames(mut body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while !body.is_empty() {
        let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
        frames.push((body[0], body[5..5 + len].to_vec()));
        body = &body[5 + len..];
    }
    frames
}

fn frame(message: &impl Message) -> Vec<u8> {
    let payload = message.encode_to_vec();
    let mut out = vec![0];
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(&payload);
    out
}

fn post(path: &str, body_len: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://dapp.localhost:5173\r\n\
         Content-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\nAccept: application/grpc-web+proto\r\n\
         Content-Length: {body_len}\r\nConnection: close\r\n\r\n"
    )
}

#[tokio::test]
async fn grpc_web_over_http1_gets_a_grpc_web_answer() {
    let net = start().await;
    let body = frame(&proto::GetServiceInfoRequest::default());
    let answer = http1(net.devnet.addr(), &post("/sui.rpc.v2.LedgerService/GetServiceInfo", body.len()), &body).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("application/grpc-web+proto"));
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    let exposed = answer.header("access-control-expose-headers").expect("exposed headers");
    assert!(exposed.contains("grpc-status") && exposed.contains("grpc-message"), "{exposed}");

    let parsed = frames(&answer.body);
    assert_eq!(parsed.len(), 2, "one message, then the trailers");
    let info = proto::GetServiceInfoResponse::decode(parsed[0].1.as_slice()).unwrap();
    assert_eq!(info.chain_id, Some(net.devnet.deployment().chain_id.clone()));
    assert_eq!(parsed[1].0, 0x80);
    let trailers = String::from_utf8(parsed[1].1.clone()).unwrap().to_ascii_lowercase();
    assert!(trailers.contains("grpc-status:0"), "{trailers}");

    // Errors travel in the trailers too, readable by the page.
    let mut request = proto::GetObjectRequest::default();
    request.object_id = Some("0xdead".into());
    let body = frame(&request);
    let answer = http1(net.devnet.addr(), &post("/sui.rpc.v2.LedgerService/GetObject", body.len()), &body).await;
    assert_eq!(answer.status, 200);
    let status = answer.header("grpc-status").map(str::to_owned).or_else(|| {
        let frames = frames(&answer.body);
        let trailers = String::from_utf8(frames.last()?.1.clone()).ok()?.to_ascii_lowercase();
        trailers.lines().find_map(|l| l.strip_prefix("grpc-status:").map(|s| s.trim().to_owned()))
    });
    assert_eq!(status.as_deref(), Some("5"), "NotFound");

    // Native gRPC keeps working on the same port.
    assert_eq!(net.client.service_info().await.unwrap().chain_id, net.devnet.deployment().chain_id);
    net.devnet.shutdown().await;
}

#[tokio::test]
async fn cors_preflights_are_answered_for_any_origin() {
    let net = start().await;
    let head = "OPTIONS /sui.rpc.v2.LedgerService/GetServiceInfo HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                Origin: http://dapp.localhost:5173\r\nAccess-Control-Request-Method: POST\r\n\
                Access-Control-Request-Headers: content-type,x-grpc-web,x-sui-client-protocol-version\r\n\
                Content-Length: 0\r\nConnection: close\r\n\r\n";
    let answer = http1(net.devnet.addr(), head, &[]).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
    let methods = answer.header("access-control-allow-methods").unwrap_or_default();
    assert!(methods == "*" || methods.contains("POST"), "{methods}");
    let headers = answer.header("access-control-allow-headers").unwrap_or_default();
    assert!(headers == "*" || headers.contains("x-sui-client-protocol-version"), "{headers}");
    assert!(answer.header("access-control-max-age").is_some());
    net.devnet.shutdown().await;
}

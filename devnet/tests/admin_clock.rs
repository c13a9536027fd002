//! The admin route `POST /devnet/advance-clock`, as another process (`floe advance-clock`, curl)
//! calls it: plain HTTP on the gRPC port, the clock moved for every reader, checkpoint timestamps
//! still in order, and the time kept across a restart.

mod common;

use common::http1::{Answer, http1};
use common::{Net, config, start};
use floe_devnet::{ADVANCE_CLOCK_PATH, ClockAdvanced, Devnet};

const HOUR_MS: u64 = 3_600_000;

async fn request(net: &Net, method: &str, body: &str) -> Answer {
    let head = format!(
        "{method} {ADVANCE_CLOCK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    http1(net.devnet.addr(), &head, body.as_bytes()).await
}

#[tokio::test]
async fn the_route_moves_the_clock_for_grpc_readers_keeps_checkpoints_in_order_and_survives_a_restart() {
    let net = start().await;
    let before = net.client.chain_time().await.unwrap().as_ms();

    let answer = request(&net, "POST", &format!(r#"{{"duration_ms":{}}}"#, 2 * HOUR_MS)).await;
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    let advanced: ClockAdvanced = serde_json::from_slice(&answer.body).unwrap();
    assert!(advanced.timestamp_ms.as_ms() >= before + 2 * HOUR_MS, "{advanced:?} from {before}");

    // A gRPC reader on the same port sees the new time at once: a checkpoint was sealed at it.
    let seen = net.client.chain_time().await.unwrap();
    assert!(seen >= advanced.timestamp_ms, "{seen:?} < {advanced:?}");
    let (checkpoint, _) = net.devnet.ledger().checkpoint(advanced.checkpoint).unwrap();
    assert_eq!(checkpoint.summary.timestamp_ms, advanced.timestamp_ms.as_ms());

    // Checkpoints sealed after it keep to the new time, and all timestamps are in order.
    let tip = net.devnet.ledger().tip();
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut watch = net.devnet.ledger().watch_tip();
        watch.wait_for(|t| *t > tip).await.unwrap();
    })
    .await
    .expect("an idle checkpoint within 10 s");
    let ledger = net.devnet.ledger();
    let stamps: Vec<u64> = (0..=ledger.tip()).map(|n| ledger.checkpoint(n).unwrap().0.summary.timestamp_ms).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");
    assert!(*stamps.last().unwrap() >= advanced.timestamp_ms.as_ms());

    // A restart resumes at the advanced time, not the wall clock.
    let Net { devnet, alice, bob, dir, .. } = net;
    devnet.shutdown().await;
    let devnet = Devnet::start(config(dir.path(), &alice, &bob)).await.unwrap();
    assert!(devnet.ledger().now_ms() >= advanced.timestamp_ms.as_ms(), "the advance was lost on restart");
    devnet.shutdown().await;
}

#[tokio::test]
async fn the_route_takes_only_a_post_of_a_duration_and_a_refusal_moves_nothing() {
    let net = start().await;
    let before = net.client.chain_time().await.unwrap().as_ms();
    for body in [r#"{"duration_ms":-5}"#, r#"{"duration":5}"#, "soon"] {
        let answer = request(&net, "POST", body).await;
        assert!((400..500).contains(&answer.status), "{body}: {}", answer.status);
    }
    assert_eq!(request(&net, "GET", "").await.status, 405);
    // The wall clock moved a little meanwhile; an hour would show.
    assert!(net.client.chain_time().await.unwrap().as_ms() < before + HOUR_MS);
    net.devnet.shutdown().await;
}

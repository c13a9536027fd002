//! A slow-connection client against one storage node: hundreds of connections that send nothing
//! and hundreds that send a request head one header line at a time (slowloris). Meanwhile the
//! node keeps answering health and sliver requests promptly, and it closes the slow connections
//! itself once the header read timeout (10 s, floe-serve) has passed.

use std::time::{Duration, Instant};

use floe_encoder::{EncodingConfig, ShardIndex, mapping};
use floe_fault::{Figures, Network, NetworkOptions, Publisher, blob_bytes, fault_duration, node_get, seeded};
use rand::Rng as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connections that open and send nothing.
const IDLE: usize = 200;
/// Connections that trickle a request head.
const SLOW: usize = 300;
/// The longest a health or sliver request may take while the slow clients hold their connections.
const PROMPT: Duration = Duration::from_secs(3);
/// The server's header read timeout (floe_serve::HEADER_READ_TIMEOUT) plus slack for a loaded
/// machine.
const CLOSED_WITHIN: Duration = Duration::from_secs(25);

/// Whether the server closed the connection (EOF, reset, or an answer such as 408 then EOF)
/// before `deadline`; the slow client goes on trickling header lines until then.
async fn closed_by_server(mut stream: TcpStream, trickle: bool, deadline: Instant) -> bool {
    if trickle {
        let _ = stream.write_all(b"GET /v1/health HTTP/1.1\r\nHost: floe\r\n").await;
    }
    let mut buf = [0u8; 512];
    let mut line = 0u32;
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(1000), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // an error answer; the close follows
            Err(_) => {}
        }
        if trickle {
            line += 1;
            if stream.write_all(format!("X-Slow-{line}: x\r\n").as_bytes()).await.is_err() {
                return true;
            }
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_answers_promptly_while_slow_clients_hold_hundreds_of_connections() {
    let mut rng = seeded("slow_clients");
    let duration = fault_duration(Duration::from_secs(15));
    let net = Network::start(NetworkOptions::default()).unwrap();
    let publisher = Publisher::new(net.daemon_url.as_deref().unwrap());
    let bytes = blob_bytes(&mut rng, 20_000);
    publisher.store(bytes.clone(), 1).await.unwrap();
    let config = EncodingConfig::new(net.n_shards()).unwrap();
    let encoded = floe_encoder::encode(&config, &bytes).unwrap();
    let blob_id = *encoded.metadata.blob_id();

    let target = rng.gen_range(0..net.n_nodes());
    let shard = net.node_started(target).unwrap()["shards"][0].as_u64().unwrap();
    let pair = mapping::pair_for_shard(ShardIndex(u16::try_from(shard).unwrap()), &blob_id, net.n_shards());
    let good = encoded.pairs[pair.as_usize()].primary.to_bcs();
    let base = net.node_urls[target].clone();
    // The slow clients below speak TCP: over TLS a trickled head fails the handshake, and an idle
    // connection waits out the same header timeout as before.
    let addr = base.trim_start_matches("https://").trim_start_matches("http://").to_owned();
    let sliver_url = format!("{base}/v1/blobs/{blob_id}/slivers/{pair}/primary");
    let health_url = format!("{base}/v1/health");

    // The slow clients.
    let started = Instant::now();
    let deadline = started + CLOSED_WITHIN.max(duration);
    let mut slow = Vec::new();
    for i in 0..IDLE + SLOW {
        let stream = TcpStream::connect(&addr).await.unwrap();
        slow.push(tokio::spawn(closed_by_server(stream, i >= IDLE, deadline)));
    }

    // Meanwhile, a well-behaved client: health and the sliver, every 250 ms.
    let http = net.node_http(target);
    let mut figures = Figures::new("slow_clients");
    let (mut slowest, mut failures) = (Duration::ZERO, Vec::new());
    let until = Instant::now() + duration;
    while Instant::now() < until {
        for url in [&health_url, &sliver_url] {
            figures.tried += 1;
            let asked = Instant::now();
            match node_get(&http, url, PROMPT).await {
                Ok((200, body)) if url != &sliver_url || body == good => figures.succeeded += 1,
                Ok((200, _)) => figures.wrong_bytes += 1,
                Ok((status, body)) => failures.push(format!("{url}: {status} {}", String::from_utf8_lossy(&body))),
                Err(error) => failures.push(error),
            }
            slowest = slowest.max(asked.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let mut closed = 0;
    for task in slow {
        closed += usize::from(task.await.unwrap());
    }
    let closed_after = started.elapsed();
    figures.note("slow connections", format!("{IDLE} idle + {SLOW} trickling"));
    figures.note("closed by the node", format!("{closed} within {:.0} s", closed_after.as_secs_f64()));
    figures.note("slowest answer ms", slowest.as_millis());
    println!("{figures}");

    assert!(failures.is_empty(), "requests failed while slow clients held connections: {failures:?}\n{}", net.logs());
    assert_eq!(figures.wrong_bytes, 0);
    assert!(slowest < PROMPT, "an answer took {slowest:?}");
    assert_eq!(closed, IDLE + SLOW, "the node closes idle and slowloris connections after its header timeout");
}

//! `floe devnet`, `floe indexer` and `floe localnet` run as processes: they print where they serve, answer
//! there, and are killed at the end.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use floe_chain::ChainClient;

/// A spawned `floe` that is killed when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `floe --json ARGS` and returns it with the first JSON object it prints.
fn spawn_json(args: &[&str]) -> (Running, serde_json::Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_floe"))
        .arg("--json")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the floe binary runs");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    assert!(!line.is_empty(), "floe {args:?} exited before printing");
    (running, serde_json::from_str(&line).expect("the first line is a JSON object"))
}

fn http_get(addr: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_serves_the_chain_on_the_url_it_prints() {
    let dir = tempfile::tempdir().unwrap();
    let (_devnet, started) = spawn_json(&["devnet", "--data-dir", dir.path().to_str().unwrap(), "--port", "0"]);
    let url = started["rpc_url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{started}");
    let deployment = std::path::PathBuf::from(started["deployment_file"].as_str().unwrap());
    assert_eq!(deployment, dir.path().join("deployment.json"));
    assert!(deployment.is_file());

    let info = ChainClient::new(url).unwrap().service_info().await.unwrap();
    assert_eq!(info.chain, "floe-devnet");
    assert_eq!(info.chain_id, started["chain_id"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexer_follows_a_devnet_and_serves_the_explorer_it_prints() {
    let chain_dir = tempfile::tempdir().unwrap();
    let (_devnet, devnet) = spawn_json(&[
        "devnet",
        "--data-dir",
        chain_dir.path().to_str().unwrap(),
        "--port",
        "0",
        "--checkpoint-interval-ms",
        "100",
    ]);
    let rpc = devnet["rpc_url"].as_str().unwrap();
    let index_dir = tempfile::tempdir().unwrap();
    let (_indexer, started) = spawn_json(&[
        "indexer",
        "--rpc",
        rpc,
        "--data-dir",
        index_dir.path().to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--plain-http",
        "--deployment",
        devnet["deployment_file"].as_str().unwrap(),
    ]);
    let explorer = started["explorer_url"].as_str().unwrap();
    let addr = explorer.strip_prefix("http://").and_then(|rest| rest.strip_suffix('/')).expect("http://ADDR/");
    assert!(!addr.ends_with(":0"), "{started}");

    let page = http_get(addr, "/");
    assert!(page.starts_with("HTTP/1.0 200") || page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.to_lowercase().contains("<html"), "{page}");
    assert!(index_dir.path().join("indexer.sqlite").is_file());

    // The devnet seals a checkpoint every 100 ms; the follower must get at least one into SQL.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = http_get(addr, "/v1/totals");
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(head.contains(" 200 "), "{response}");
        let totals: serde_json::Value = serde_json::from_str(body).expect("totals are JSON");
        if totals["checkpoint"].as_i64().is_some_and(|checkpoint| checkpoint >= 1) {
            break;
        }
        assert!(Instant::now() < deadline, "no checkpoint indexed in 30 s: {totals}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn indexer_refuses_a_database_url_it_cannot_use() {
    let out = Command::new(env!("CARGO_BIN_EXE_floe"))
        .args(["indexer", "--rpc", "http://127.0.0.1:1", "--devnet", "--database-url", "ftp://somewhere"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("ftp://somewhere") && stderr.contains("postgres://"), "{stderr}");
}

#[test]
fn services_refuse_to_guess_which_packages_to_use() {
    for command in ["indexer", "keyserver"] {
        let out =
            Command::new(env!("CARGO_BIN_EXE_floe")).args([command, "--rpc", "http://127.0.0.1:1"]).output().unwrap();
        assert!(!out.status.success(), "{command} started without --deployment or --devnet");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("--deployment") && stderr.contains("--devnet"), "{command}: {stderr}");
    }
}

#[test]
fn devnet_stops_cleanly_on_ctrl_c_and_restarts_on_the_same_chain() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["devnet", "--data-dir", dir.path().to_str().unwrap(), "--port", "0"];
    let (mut first, started) = spawn_json(&args);
    let interrupted = Command::new("kill").args(["-INT", &first.0.id().to_string()]).status().unwrap();
    assert!(interrupted.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = first.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "floe devnet still running 20 s after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status after Ctrl-C: {status}");

    let (_second, restarted) = spawn_json(&args);
    assert_eq!(restarted["chain_id"], started["chain_id"]);
}

#[test]
fn localnet_stores_and_reads_a_first_blob_serves_it_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("net");
    let (mut net, started) = spawn_json(&[
        "localnet",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--any-ports",
        "--nodes",
        "4",
        "--shards",
        "12",
        "--key-servers",
        "1",
        "--no-indexer",
    ]);
    assert_eq!(started["node_urls"].as_array().unwrap().len(), 4, "{started}");
    assert_eq!(started["key_server_urls"].as_array().unwrap().len(), 1, "{started}");
    assert!(std::path::Path::new(started["deployment_file"].as_str().unwrap()).is_file());
    assert!(started["key"].as_str().unwrap().starts_with("suiprivkey1"));

    // The first blob is served by the aggregator under the id printed.
    let demo = &started["demo"];
    let daemon = started["daemon_url"].as_str().unwrap().trim_start_matches("http://");
    let response = http_get(daemon, &format!("/v1/blobs/{}", demo["blob_id"].as_str().unwrap()));
    assert!(response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    assert!(body.starts_with("hello from floe"), "{body}");
    assert_eq!(body.len() as u64, demo["size"].as_u64().unwrap());

    let interrupted = Command::new("kill").args(["-INT", &net.0.id().to_string()]).status().unwrap();
    assert!(interrupted.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = net.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "floe localnet still running 30 s after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status after Ctrl-C: {status}");
}

//! Storage challenges through the `floe` command on a `floe localnet` with its indexer: `floe
//! audit` of an honest committee node after storing blobs finds every sample valid (with the
//! blobs given and with the indexer's list), a node id outside the committee is refused with
//! the members named, and `floe challenges --json` answers the indexer's record.

use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::{Localnet, floe_command, run};

/// The explorer's certified blob ids, read with a plain HTTP/1.0 GET (the test needs nothing
/// more than the body).
fn certified_blob_ids(explorer: &str) -> Vec<String> {
    use std::io::{Read, Write};
    let host = explorer.trim_start_matches("http://").trim_end_matches('/');
    let Ok(mut stream) = std::net::TcpStream::connect(host) else { return Vec::new() };
    let request = format!("GET /v1/blobs?limit=500 HTTP/1.0\r\nHost: {host}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return Vec::new();
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    let page: Value = serde_json::from_str(body).unwrap_or_default();
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| !b["certified_epoch"].is_null())
        .filter_map(|b| b["blob_id"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn audit_of_honest_and_unknown_nodes_and_the_challenge_record() {
    let dir = tempfile::tempdir().unwrap();
    let net = Localnet::start_indexed(dir.path(), &["--key-servers", "0", "--no-demo"]);
    let explorer = net.started["explorer_url"].as_str().expect("the indexer runs").to_owned();
    let user = |args: &[&str]| net.floe(Some(&net.key), args);

    let mut blob_ids = Vec::new();
    for i in 0..3 {
        let file = dir.path().join(format!("blob-{i}.txt"));
        std::fs::write(&file, format!("blob {i} for the audit: {}", "x".repeat(100 * i))).unwrap();
        let stored = user(&["store", file.to_str().unwrap(), "--epochs", "3"]).expect("floe store");
        blob_ids.push(stored["blob_id"].as_str().unwrap().to_owned());
    }
    let info = net.floe(None, &["info"]).expect("floe info");
    let node = info["committee"][0]["node_id"].as_str().unwrap().to_owned();

    // The blobs given: 66 samples by default, all valid.
    let mut args = vec!["audit", node.as_str()];
    for id in &blob_ids {
        args.extend(["--blob", id.as_str()]);
    }
    let report = net.floe(None, &args).expect("floe audit of an honest node succeeds");
    assert_eq!(report["node_id"], node);
    assert_eq!(report["samples"], 66, "{report}");
    assert_eq!(report["valid"], 66, "{report}");
    assert_eq!(
        (report["missing"].as_u64(), report["invalid"].as_u64(), report["unreachable"].as_u64()),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(report["eligible_blobs"], 3);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 66);
    for sample in results {
        assert_eq!(sample["result"], "valid", "{sample}");
        assert!(blob_ids.iter().any(|id| sample["blob_id"] == id.as_str()), "{sample}");
        assert!(sample["shard"].is_u64() && sample["symbol"].is_u64() && sample["axis"].is_string());
    }

    // From the indexer's list, once it has indexed the certifications.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !blob_ids.iter().all(|id| certified_blob_ids(&explorer).contains(id)) {
        assert!(Instant::now() < deadline, "the indexer did not list the stored blobs as certified");
        std::thread::sleep(Duration::from_millis(250));
    }
    let report = net.floe(None, &["audit", &node, "--samples", "300", "--indexer", &explorer]).expect("floe audit");
    assert_eq!((report["samples"].as_u64(), report["valid"].as_u64()), (Some(300), Some(300)), "{report}");
    assert_eq!(report["eligible_blobs"], 3);

    // A node id that is not a member: a clear refusal naming the members.
    let stranger = format!("0x{}", "42".repeat(32));
    let error = net.floe(None, &["audit", &stranger, "--blob", &blob_ids[0]]).unwrap_err();
    assert!(error.contains("not a member"), "{error}");
    assert!(error.contains(&node), "the members are named: {error}");

    // The record as the indexer keeps it (filled by the committee's challenges elsewhere).
    let mut command = floe_command(&["challenges", "--indexer", &explorer]);
    command.arg("--deployment").arg(&net.deployment);
    let record = run(command).expect("floe challenges");
    assert!(record["outcomes"].is_array(), "{record}");
    let record = run(floe_command(&["challenges", "--indexer", &explorer, "--node", &node, "--epoch", "1"]))
        .expect("floe challenges");
    assert!(record["outcomes"].is_array(), "{record}");
}

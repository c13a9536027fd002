//! The chain and the indexer SIGKILLed at random points while blobs are stored, each restarted
//! from its files: in the end the indexer's API answers exactly what a fresh indexer that read the
//! same chain once, from checkpoint 0, answers (no checkpoint lost, none applied twice), and
//! every blob acknowledged reads back.

use std::time::{Duration, Instant};

use floe_fault::{
    Figures, Network, NetworkOptions, Process, Publisher, blob_bytes, eventually, fault_duration, random_blob, seeded,
};
use rand::Rng as _;

/// The explorer endpoints compared (first pages; the scenario stores far fewer rows than a page).
const ENDPOINTS: &[&str] = &[
    "/v1/totals",
    "/v1/blobs?limit=100",
    "/v1/events?limit=100",
    "/v1/epochs?limit=100",
    "/v1/committee",
    "/v1/pools",
    "/v1/stakes?limit=100",
];

fn start_indexer(net: &Network, name: &str) -> Process {
    let data_dir = net.dir().join(name);
    let args = [
        "indexer",
        "--rpc",
        &net.rpc_url,
        "--deployment",
        net.deployment_file.to_str().unwrap(),
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--plain-http",
    ];
    net.spawn(name, &args).unwrap_or_else(|error| panic!("{name}: {error}\n{}", net.logs()))
}

fn explorer(indexer: &Process) -> String {
    indexer.started["explorer_url"].as_str().unwrap().trim_end_matches('/').to_owned()
}

/// Every compared endpoint's answer, or None while one does not answer 200.
async fn snapshot(http: &reqwest::Client, base: &str) -> Option<Vec<serde_json::Value>> {
    let mut answers = Vec::new();
    for endpoint in ENDPOINTS {
        let response = http.get(format!("{base}{endpoint}")).send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        answers.push(serde_json::from_slice(&response.bytes().await.ok()?).ok()?);
    }
    Some(answers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_indexer_killed_with_the_chain_ends_equal_to_a_fresh_one() {
    let mut rng = seeded("chain_restarts");
    let duration = fault_duration(Duration::from_secs(30));
    let mut net = Network::start(NetworkOptions::default()).unwrap();
    let publisher = Publisher::new(net.daemon_url.as_deref().unwrap());
    let mut indexer = Some(start_indexer(&net, "indexer"));
    let mut figures = Figures::new("chain_restarts");
    let (mut chain_kills, mut indexer_kills) = (0u64, 0u64);
    let mut acknowledged = Vec::new();

    // Stores one after the other; between two stores, sometimes a SIGKILL of the chain or the
    // indexer, restarted after a random pause (stores meanwhile fail or wait: counted).
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline {
        let bytes = random_blob(&mut rng, 1..16 * 1024);
        figures.tried += 1;
        if let Ok(stored) = publisher.store(bytes.clone(), 1).await {
            figures.succeeded += 1;
            acknowledged.push((stored.blob_id, bytes));
        }
        match rng.gen_range(0..4) {
            0 => {
                net.kill_chain();
                chain_kills += 1;
                tokio::time::sleep(Duration::from_millis(rng.gen_range(200..1500))).await;
                if let Err(error) = net.start_chain() {
                    panic!("the chain did not restart after a SIGKILL: {error}\n{}", net.logs());
                }
            }
            1 => {
                indexer.take().expect("running").kill();
                indexer_kills += 1;
                tokio::time::sleep(Duration::from_millis(rng.gen_range(100..1000))).await;
                indexer = Some(start_indexer(&net, "indexer"));
            }
            _ => {}
        }
    }
    // One more store once everything runs, so both indexers have something recent to agree on.
    let bytes = blob_bytes(&mut rng, 1000);
    let last = eventually(Duration::from_secs(90), || async { publisher.store(bytes.clone(), 1).await.ok() }).await;
    let last = last.unwrap_or_else(|| panic!("no store after the faults\n{}", net.logs()));
    acknowledged.push((last.blob_id, bytes));

    // A fresh indexer over the same chain; both must converge to the same answers.
    let fresh = start_indexer(&net, "indexer-fresh");
    let http = reqwest::Client::new();
    let (survivor_url, fresh_url) = (explorer(indexer.as_ref().unwrap()), explorer(&fresh));
    // Both must have indexed at least up to the chain's height after the last store.
    let chain = floe_chain::ChainClient::new(&net.rpc_url).unwrap();
    let height = chain.service_info().await.unwrap().checkpoint_height;
    let agreed = eventually(Duration::from_secs(90), || async {
        let (a, b) = (snapshot(&http, &survivor_url).await?, snapshot(&http, &fresh_url).await?);
        let indexed = a[0]["checkpoint"].as_u64()?;
        (a == b && indexed + 1 >= height).then_some(a)
    })
    .await;
    let (a, b) = (snapshot(&http, &survivor_url).await, snapshot(&http, &fresh_url).await);

    let mut lost = 0;
    for (blob_id, bytes) in &acknowledged {
        if publisher.read(blob_id).await.ok().as_ref() != Some(bytes) {
            lost += 1;
        }
    }
    figures.lost = lost;
    figures.note("seconds", duration.as_secs());
    figures.note("chain kills", chain_kills);
    figures.note("indexer kills", indexer_kills);
    figures.note("indexer equal to a fresh one", agreed.is_some());
    figures.note("checkpoints", height);
    println!("{figures}");

    assert!(chain_kills + indexer_kills > 0, "no fault injected: {figures}");
    if agreed.is_none() {
        for (endpoint, (a, b)) in ENDPOINTS.iter().zip(a.unwrap_or_default().iter().zip(b.unwrap_or_default().iter())) {
            if a != b {
                eprintln!("{endpoint} differs:\n  restarted: {a}\n  fresh:     {b}");
            }
        }
        panic!("the restarted indexer never agreed with a fresh one\n{}", net.logs());
    }
    assert_eq!(lost, 0, "acknowledged blobs lost across chain restarts\n{}", net.logs());
}

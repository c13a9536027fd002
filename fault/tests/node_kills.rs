//! Storage nodes SIGKILLed at random during stores and reads, at most f at a time, each restarted
//! from its files: every blob the publisher acknowledged reads back identical, during the faults
//! (no wrong byte ever) and after them (none lost).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use floe_fault::{Figures, Network, NetworkOptions, Publisher, fault_duration, random_blob, seeded};
use rand::{Rng as _, SeedableRng};

/// A blob acknowledged by the publisher, and its bytes.
type Acknowledged = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_blobs_read_back_identical_while_nodes_are_killed_and_restarted() {
    let mut rng = seeded("node_kills");
    let duration = fault_duration(Duration::from_secs(35));
    let net = Network::start(NetworkOptions::default()).unwrap();
    let n = net.n_nodes();
    let f = (n - 1) / 3;
    let publisher = Publisher::new(net.daemon_url.as_deref().unwrap());
    let net = Arc::new(Mutex::new(net));
    let stop = Arc::new(AtomicBool::new(false));
    let mut figures = Figures::new("node_kills");

    // The killer: SIGKILL up to f distinct nodes, let the network run without them a moment,
    // restart them from their files, let them catch up a moment, again.
    let killer = {
        let (net, stop) = (net.clone(), stop.clone());
        let mut rng = floe_fault::Rng::seed_from_u64(rng.r#gen());
        tokio::task::spawn_blocking(move || {
            let (mut kills, mut restarts) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                let victims: HashSet<usize> = (0..rng.gen_range(1..=f)).map(|_| rng.gen_range(0..n)).collect();
                for &i in &victims {
                    net.lock().unwrap().kill_node(i);
                    kills += 1;
                }
                std::thread::sleep(Duration::from_millis(rng.gen_range(500..2500)));
                for &i in &victims {
                    let mut net = net.lock().unwrap();
                    if let Err(error) = net.start_node(i) {
                        panic!("node {i} did not restart after a SIGKILL: {error}\n{}", net.logs());
                    }
                    restarts += 1;
                }
                std::thread::sleep(Duration::from_millis(rng.gen_range(1000..3000)));
            }
            (kills, restarts)
        })
    };

    // The writer stores blobs of random sizes one after the other; the reader reads random
    // acknowledged ones back meanwhile.
    let acknowledged: Acknowledged = Arc::default();
    let deadline = Instant::now() + duration;
    let writer = {
        let (publisher, acknowledged) = (publisher.clone(), acknowledged.clone());
        let mut rng = floe_fault::Rng::seed_from_u64(rng.r#gen());
        tokio::spawn(async move {
            let (mut tried, mut stored, mut failures) = (0u64, 0u64, Vec::new());
            while Instant::now() < deadline {
                let bytes = random_blob(&mut rng, 1..64 * 1024);
                tried += 1;
                match publisher.store(bytes.clone(), 1).await {
                    Ok(blob) => {
                        stored += 1;
                        acknowledged.lock().unwrap().push((blob.blob_id, bytes));
                    }
                    Err(error) => failures.push(error),
                }
            }
            (tried, stored, failures)
        })
    };
    let reader = {
        let (publisher, acknowledged) = (publisher.clone(), acknowledged.clone());
        let mut rng = floe_fault::Rng::seed_from_u64(rng.r#gen());
        tokio::spawn(async move {
            let (mut tried, mut read, mut wrong) = (0u64, 0u64, 0u64);
            while Instant::now() < deadline {
                let pick = {
                    let blobs = acknowledged.lock().unwrap();
                    (!blobs.is_empty()).then(|| blobs[rng.gen_range(0..blobs.len())].clone())
                };
                let Some((blob_id, bytes)) = pick else {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                tried += 1;
                match publisher.read(&blob_id).await {
                    Ok(got) if got == bytes => read += 1,
                    Ok(_) => wrong += 1,
                    Err(_) => {}
                }
            }
            (tried, read, wrong)
        })
    };
    let (stores_tried, stored, store_failures) = writer.await.unwrap();
    let (reads_tried, reads_ok, reads_wrong) = reader.await.unwrap();
    stop.store(true, Ordering::Relaxed);
    let (kills, restarts) = killer.await.unwrap();

    // Every node runs again; every acknowledged blob must read back identical.
    {
        let mut net = net.lock().unwrap();
        for i in 0..n {
            assert!(net.node_running(i), "node {i} exited on its own\n{}", net.logs());
        }
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let (mut lost, mut wrong) = (Vec::new(), 0u64);
    for (blob_id, bytes) in &acknowledged {
        match publisher.read(blob_id).await {
            Ok(got) if got == *bytes => {}
            Ok(_) => wrong += 1,
            Err(error) => lost.push(format!("{blob_id}: {error}")),
        }
    }

    figures.tried = stores_tried;
    figures.succeeded = stored;
    figures.lost = lost.len() as u64;
    figures.wrong_bytes = wrong + reads_wrong;
    figures.note("seconds", duration.as_secs());
    figures.note("nodes killed", kills);
    figures.note("restarts", restarts);
    figures.note("reads during faults ok/tried", format!("{reads_ok}/{reads_tried}"));
    println!("{figures}");
    for error in store_failures.iter().take(5) {
        println!("  a store that failed under faults: {error}");
    }

    let logs = || net.lock().unwrap().logs();
    assert!(lost.is_empty(), "acknowledged blobs lost: {lost:?}\n{}", logs());
    assert_eq!(figures.wrong_bytes, 0, "a read returned other bytes than were stored");
    assert!(kills > 0, "the scenario killed no node: {figures}");
    assert!(stored > 0, "no store succeeded under faults: {store_failures:?}\n{}", logs());
}

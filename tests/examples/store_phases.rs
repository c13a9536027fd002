//! Where the time of a store goes: each phase of `FloeClient::store` (encode, chain checks,
//! register transaction, metadata / slivers / confirmations at quorum, certificate, certify
//! transaction) next to the offline encoding of the same bytes, with the client's peak memory.
//!
//! ```sh
//! cargo run -p floe-tests --example store_phases
//! cargo run -p floe-tests --example store_phases -- --shapes 10x100,100x1000 --sizes 100B,1MiB,16MiB,64MiB --runs 2
//! ```
//!
//! The local network (devnet and storage nodes, `NODESxSHARDS`) runs in a child process (this
//! same program, `--serve-network`), so the memory figure is the client's alone: peak RSS
//! (`VmHWM`, reset before each store; `base` is the RSS when the store starts, the blob
//! included) against the blob plus its encoded slivers (`b+sl`). The nodes and
//! the client share the machine's cores, as on `floe localnet`.
//!
//! Columns: `encode` is the offline encoding (same bytes, same shard count, this process);
//! `store` the whole store; `x` their ratio; then each phase as the client reports it
//! (`ProgressEvent::PhaseDone`; the upload's phases end when nodes holding a quorum of shards
//! passed them); `verify` is what the nodes' check of every sliver against the metadata costs,
//! measured offline on one thread (the work the nodes do inside `slivers`).

use std::{
    io::{BufRead, BufReader, Read, Write},
    process::{Command, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

use floe_chain::Deployment;
use floe_client::{FloeClient, Progress, ProgressEvent, Settings, StoreOptions, StorePhase};
use floe_encoder::{EncodingConfig, SliverType, encode};
use floe_localnet::{Localnet, LocalnetConfig, Ports};
use floe_tests::random_bytes;

const USAGE: &str = "store_phases [--shapes 10x100,100x1000] [--sizes 100B,1MiB,16MiB,64MiB] [--runs 1]";

struct Args {
    shapes: Vec<(usize, u16)>,
    sizes: Vec<usize>,
    runs: usize,
}

fn parse_shape(text: &str) -> (usize, u16) {
    let (nodes, shards) = text.split_once('x').unwrap_or_else(|| panic!("shape {text:?} is not NODESxSHARDS"));
    (nodes.parse().expect("a node count"), shards.parse().expect("a shard count"))
}

fn parse_size(text: &str) -> usize {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let number: usize = number.parse().unwrap_or_else(|_| panic!("size {text:?} does not start with a number"));
    number
        * match unit {
            "" | "B" => 1,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            other => panic!("unknown unit {other:?} in {text:?} (B, KiB, MiB, GiB)"),
        }
}

fn parse_args(args: &[String]) -> Args {
    let mut parsed = Args {
        shapes: vec![(10, 100), (100, 1000)],
        sizes: ["100B", "1MiB", "16MiB", "64MiB"].map(parse_size).to_vec(),
        runs: 1,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value; usage: {USAGE}"));
        match flag.as_str() {
            "--shapes" => parsed.shapes = value.split(',').map(parse_shape).collect(),
            "--sizes" => parsed.sizes = value.split(',').map(parse_size).collect(),
            "--runs" => parsed.runs = value.parse().expect("a number of runs"),
            other => panic!("unknown flag {other}; usage: {USAGE}"),
        }
    }
    parsed
}

fn human(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// A field of `/proc/self/status` in bytes (`VmHWM`, `VmRSS`).
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// Resets `VmHWM` to the current RSS (Linux `clear_refs`, value 5).
fn reset_peak() {
    if let Err(error) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("cannot reset the peak RSS ({error}); peaks are since the start");
    }
}

/// The phases a store reported, with the peak RSS when each ended.
#[derive(Default)]
struct PhaseLog {
    phases: Mutex<Vec<(StorePhase, Duration, u64)>>,
}

impl Progress for PhaseLog {
    fn event(&self, event: ProgressEvent) {
        if let ProgressEvent::PhaseDone { phase, took } = event {
            self.phases.lock().unwrap().push((phase, took, status_bytes("VmHWM")));
        }
    }
}

impl PhaseLog {
    /// The total time of `phase` (a phase reported twice is added up).
    fn took(&self, phase: StorePhase) -> Option<Duration> {
        let phases = self.phases.lock().unwrap();
        let mut matching = phases.iter().filter(|(each, ..)| *each == phase).peekable();
        matching.peek()?;
        Some(matching.map(|(_, took, _)| *took).sum())
    }
}

fn ms(duration: Duration) -> String {
    format!("{:.0}", duration.as_secs_f64() * 1e3)
}

fn mib(bytes: u64) -> String {
    format!("{:.0}", bytes as f64 / (1 << 20) as f64)
}

/// The child: serves a local network of `shape` under `dir` until its standard input closes.
fn serve_network(shape: &str, dir: &str) {
    let (nodes, shards) = parse_shape(shape);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let mut config = LocalnetConfig::new(dir);
        config.ports = Ports::ephemeral();
        config.n_nodes = nodes;
        config.n_shards = shards;
        config.key_servers = 0;
        config.indexer = false;
        config.daemon = false;
        let localnet = Localnet::start(config).await.expect("the local network starts");
        // Every node must have read the chain so far, or the first store waits for followers
        // still replaying the genesis checkpoints.
        let tip = localnet.chain().service_info().await.expect("the chain answers").checkpoint_height;
        for index in 0..nodes {
            let node = localnet.node(index).expect("the node runs");
            while node.chain_state().next_checkpoint() <= tip {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        println!("ready {}", localnet.deployment_path().display());
        std::io::stdout().flush().expect("stdout");
        // Blocks a runtime thread until the parent closes the pipe: the network runs meanwhile.
        tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await
        .expect("the stdin reader");
        localnet.shutdown().await;
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve-network") {
        return serve_network(&args[1], &args[2]);
    }
    if args.first().map(String::as_str) == Some("--store") {
        let number = |i: usize| args[i].parse::<u64>().expect("a number");
        return store_one(&args[1], &args[2], number(3) as u16, number(4) as usize, number(5));
    }
    let args = parse_args(&args);
    let phase_names: Vec<&str> = StorePhase::ALL.iter().map(|phase| phase.name()).collect();
    println!(
        "store phases (ms); peak = client peak RSS during the store (MiB), vs = peak / (blob + slivers); load {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for (nodes, shards) in &args.shapes {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let started = Instant::now();
        let mut child = Command::new(std::env::current_exe().expect("this program"))
            .args(["--serve-network", &format!("{nodes}x{shards}"), &dir.path().display().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the network process starts");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let deployment_path = loop {
            let line = lines.next().expect("the network process says it is ready").expect("its output reads");
            if let Some(path) = line.strip_prefix("ready ") {
                break path.to_owned();
            }
        };
        println!(
            "\n{nodes} nodes, {shards} shards (network up in {:.1} s)\n{:>8} {:>7} {:>7} {:>5} | {} | {:>6} | {:>5} {:>5} {:>6} {:>4}",
            started.elapsed().as_secs_f64(),
            "size",
            "encode",
            "store",
            "x",
            phase_names.iter().map(|name| format!("{name:>8.8}")).collect::<Vec<_>>().join(" "),
            "verify",
            "base",
            "peak",
            "b+sl",
            "vs"
        );
        for run in 0..args.runs {
            for (index, &size) in args.sizes.iter().enumerate() {
                let seed = (u64::from(*shards) << 32) | (run * args.sizes.len() + index) as u64;
                // Each store in a fresh process: its peak RSS is this store's alone.
                let status = Command::new(std::env::current_exe().expect("this program"))
                    .args(["--store", &deployment_path, &dir.path().display().to_string()])
                    .args([shards.to_string(), size.to_string(), seed.to_string()])
                    .status()
                    .expect("the store process runs");
                assert!(status.success(), "the store of {} failed", human(size));
            }
        }
        drop(child.stdin.take());
        let _ = child.wait();
    }
}

/// The child that stores: `size` random bytes once through a client of the network described by
/// `deployment_path` (the user key of the local network under `dir`), then encodes the same bytes
/// offline; prints one line.
fn store_one(deployment_path: &str, dir: &str, shards: u16, size: usize, seed: u64) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let deployment = Deployment::load(std::path::Path::new(deployment_path)).expect("the deployment file");
    let key = LocalnetConfig::new(dir).user_key();
    let client = runtime.block_on(FloeClient::connect(deployment, Some(key), Settings::default())).expect("a client");
    let config = EncodingConfig::new(shards).expect("a shard count");
    let data = random_bytes(size, seed);
    let log = PhaseLog::default();
    reset_peak();
    let base = status_bytes("VmRSS");
    let storing = Instant::now();
    let outcome = runtime.block_on(client.store(data, &StoreOptions::default(), &log)).expect("the store certifies");
    let store_time = storing.elapsed();
    let peak = status_bytes("VmHWM");
    assert!(matches!(outcome, floe_client::StoreOutcome::NewlyCreated { .. }), "{outcome:?}");

    // The same bytes encoded offline, and the nodes' check of every sliver, after the store so
    // that they do not count in its memory (the bytes are made again from their seed).
    let data = random_bytes(size, seed);
    let encoding = Instant::now();
    let encoded = encode(&config, &data).expect("the blob encodes");
    let encode_time = encoding.elapsed();
    let slivers: usize = encoded
        .pairs
        .iter()
        .map(|pair| pair.sliver(SliverType::Primary).data().len() + pair.sliver(SliverType::Secondary).data().len())
        .sum();
    let verifying = Instant::now();
    for pair in &encoded.pairs {
        for axis in [SliverType::Primary, SliverType::Secondary] {
            encoded.metadata.verify_sliver(&config, pair.sliver(axis)).expect("own slivers verify");
        }
    }
    let verify_time = verifying.elapsed();
    let phases: Vec<String> = StorePhase::ALL
        .iter()
        .map(|phase| format!("{:>8}", log.took(*phase).map_or_else(|| "-".to_owned(), ms)))
        .collect();
    let payload = (size + slivers) as u64;
    println!(
        "{:>8} {:>7} {:>7} {:>5.1} | {} | {:>6} | {:>5} {:>5} {:>6} {:>4.2}",
        human(size),
        ms(encode_time),
        ms(store_time),
        store_time.as_secs_f64() / encode_time.as_secs_f64(),
        phases.join(" "),
        ms(verify_time),
        mib(base),
        mib(peak),
        mib(payload),
        peak as f64 / payload as f64,
    );
}

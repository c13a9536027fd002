//! Where the time of a store goes: each phase of `FloeClient::store` (encode, chain checks,
//! register transaction, metadata / slivers / confirmations at quorum, certificate, certify
//! transaction) next to the offline encoding of the same bytes, with the client's peak memory.
//!
//! ```sh
//! cargo run -p floe-tests --example store_phases
//! cargo run -p floe-tests --example store_phases -- --shapes 10x100,100x1000 --sizes 100B,1MiB,16MiB,64MiB --runs 2
//! # a chain as slow to finality as a real one; the upload waiting for the registration, as before
//! cargo run -p floe-tests --example store_phases -- --shapes 10x100 --finality-ms 400 --upload-after-register
//! # every answer of the chain's API held 50 ms, as a distant full node's round trip would
//! cargo run -p floe-tests --example store_phases -- --shapes 10x100 --rpc-ms 50
//! # one of the ten nodes down (stopped once the network is up: its connections are refused)
//! cargo run -p floe-tests --example store_phases -- --shapes 10x100 --nodes-down 1
//! # each store also made with the upload in three rounds per node (metadata, slivers,
//! # confirmation one after another, `Settings::upload_wait` zero), marked `r3`
//! cargo run -p floe-tests --example store_phases -- --shapes 10x100 --upload-rounds both
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
    process::Command,
    sync::Mutex,
    time::{Duration, Instant},
};

use floe_chain::Deployment;
use floe_client::{FloeClient, Progress, ProgressEvent, Settings, StoreOptions, StorePhase};
use floe_encoder::{EncodingConfig, SliverType, encode};
use floe_localnet::LocalnetConfig;
use floe_tests::{
    bench::{NetworkProcess, human, mib, parse_shape, parse_size, reset_peak, serve_network_if_asked, status_bytes},
    random_bytes,
};

/// The `floe` binary's allocator, so the figures are what `floe` would show.
#[global_allocator]
static ALLOCATOR: floe_alloc::Allocator = floe_alloc::Allocator;

const USAGE: &str = "store_phases [--shapes 10x100,100x1000] [--sizes 100B,1MiB,16MiB,64MiB] [--runs 1] \
                     [--finality-ms 0] [--rpc-ms 0] [--upload-after-register] [--nodes-down 0] [--upload-rounds 1|3|both]";

struct Args {
    shapes: Vec<(usize, u16)>,
    sizes: Vec<usize>,
    runs: usize,
    /// The devnet makes each transaction wait this long, as a real chain's consensus does.
    finality_delay: Duration,
    /// The devnet holds each answer of its API this long, as a distant full node's round trip.
    rpc_delay: Duration,
    /// The upload waits for the register transaction (`Settings::upload_before_registration`
    /// off), instead of running alongside it.
    upload_after_register: bool,
    /// Storage nodes stopped once the network is up (the last ones): stores run with them down.
    nodes_down: usize,
    /// The rounds per node of each store's upload: 1 (the client's default) or 3
    /// (`Settings::upload_wait` zero); both, one after the other.
    upload_rounds: Vec<u8>,
}

fn parse_args(args: &[String]) -> Args {
    let mut parsed = Args {
        shapes: vec![(10, 100), (100, 1000)],
        sizes: ["100B", "1MiB", "16MiB", "64MiB"].map(parse_size).to_vec(),
        runs: 1,
        finality_delay: Duration::ZERO,
        rpc_delay: Duration::ZERO,
        upload_after_register: false,
        nodes_down: 0,
        upload_rounds: vec![1],
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        if flag == "--upload-after-register" {
            parsed.upload_after_register = true;
            continue;
        }
        if flag == "--help" || flag == "-h" {
            println!("usage: {USAGE}");
            std::process::exit(0);
        }
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value; usage: {USAGE}"));
        match flag.as_str() {
            "--shapes" => parsed.shapes = value.split(',').map(parse_shape).collect(),
            "--sizes" => parsed.sizes = value.split(',').map(parse_size).collect(),
            "--runs" => parsed.runs = value.parse().expect("a number of runs"),
            "--finality-ms" => parsed.finality_delay = Duration::from_millis(value.parse().expect("milliseconds")),
            "--rpc-ms" => parsed.rpc_delay = Duration::from_millis(value.parse().expect("milliseconds")),
            "--nodes-down" => parsed.nodes_down = value.parse().expect("a number of nodes"),
            "--upload-rounds" => {
                parsed.upload_rounds = match value.as_str() {
                    "1" => vec![1],
                    "3" => vec![3],
                    "both" => vec![1, 3],
                    other => panic!("--upload-rounds {other}: 1, 3 or both"),
                }
            }
            other => panic!("unknown flag {other}; usage: {USAGE}"),
        }
    }
    parsed
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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if serve_network_if_asked(&args) {
        return;
    }
    if args.first().map(String::as_str) == Some("--store") {
        let number = |i: usize| args[i].parse::<u64>().expect("a number");
        let defaults = Settings::default();
        let settings = Settings {
            upload_before_registration: args[6] == "overlap",
            upload_wait: if args[7] == "3" { Duration::ZERO } else { defaults.upload_wait },
            ..defaults
        };
        return store_one(&args[1], &args[2], number(3) as u16, number(4) as usize, number(5), settings);
    }
    let args = parse_args(&args);
    let phase_names: Vec<&str> = StorePhase::ALL.iter().map(|phase| phase.name()).collect();
    println!(
        "store phases (ms); peak = client peak RSS during the store (MiB), vs = peak / (blob + slivers); \
         finality delay {} ms; chain answers held {} ms; upload {} the register transaction, in {} round(s) per node; {} node(s) down; load {}",
        args.finality_delay.as_millis(),
        args.rpc_delay.as_millis(),
        if args.upload_after_register { "after" } else { "alongside" },
        args.upload_rounds.iter().map(ToString::to_string).collect::<Vec<_>>().join(" and "),
        args.nodes_down,
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
        let network =
            NetworkProcess::start(*nodes, *shards, dir.path(), args.finality_delay, args.rpc_delay, args.nodes_down);
        let deployment_path = network.deployment_path.clone();
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
                // Which goes first alternates: a store right after another pays for the tail of
                // that one's work on the nodes (found measuring the two, 2026-12-07).
                let mut order = args.upload_rounds.clone();
                if run % 2 == 1 {
                    order.reverse();
                }
                for (shape, rounds) in order.iter().enumerate() {
                    let stores = args.sizes.len() * args.upload_rounds.len();
                    let number = run * stores + index * args.upload_rounds.len() + shape;
                    let seed = (u64::from(*shards) << 32) | number as u64;
                    // Each store in a fresh process: its peak RSS is this store's alone.
                    let status = Command::new(std::env::current_exe().expect("this program"))
                        .args(["--store", &deployment_path, &dir.path().display().to_string()])
                        .args([shards.to_string(), size.to_string(), seed.to_string()])
                        .arg(if args.upload_after_register { "after" } else { "overlap" })
                        .arg(rounds.to_string())
                        .status()
                        .expect("the store process runs");
                    assert!(status.success(), "the store of {} failed", human(size));
                }
            }
        }
        drop(network);
    }
}

/// The child that stores: `size` random bytes once through a client of the network described by
/// `deployment_path` (the user key of the local network under `dir`), then encodes the same bytes
/// offline; prints one line.
fn store_one(deployment_path: &str, dir: &str, shards: u16, size: usize, seed: u64, settings: Settings) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let deployment = Deployment::load(std::path::Path::new(deployment_path)).expect("the deployment file");
    let key = LocalnetConfig::new(dir).user_key();
    let in_three_rounds = settings.upload_wait.is_zero();
    let client = runtime.block_on(FloeClient::connect(deployment, Some(key), settings)).expect("a client");
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
        if in_three_rounds { format!("{} r3", human(size)) } else { human(size) },
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

//! A large file stored and read back with bounded memory: `FloeClient::store_file` encoding to a
//! spill file (or in memory, `--in-memory`, to compare), then a streamed read compared byte for
//! byte with the file. Prints each step's time and the client's peak RSS (`VmHWM` of the child
//! process that runs it) against the file's size and its encoded slivers.
//!
//! ```sh
//! cargo run -p floe-tests --example big_store -- --shape 10x1000 --size 2GiB
//! cargo run -p floe-tests --example big_store -- --shape 10x1000 --size 256MiB --in-memory --dir /var/tmp
//! ```
//!
//! The local network (devnet and storage nodes, `NODESxSHARDS`) runs in a child process, the
//! store in another and the read in a third, so each memory figure is that process's alone; the
//! network's own peak RSS is printed at the end. The file, the network's data and the spill file
//! are made under `--dir` (default: the system's temporary directory) and removed at the end:
//! the spill file takes about the encoded size (4.5x the file at 1000 shards) and the nodes store
//! as much again.

use std::{
    io::{BufReader, BufWriter, Read, Write},
    path::{Path, PathBuf},
    process::Command,
    sync::Arc,
    time::Instant,
};

use floe_chain::Deployment;
use floe_client::{
    FloeClient, Progress, ProgressEvent, ReadBudget, ReadPlan, Settings, SpillOptions, StoreOptions, StoreOutcome,
    StorePhase,
};
use floe_encoder::{BlobId, EncodingConfig};
use floe_localnet::LocalnetConfig;
use floe_tests::bench::{
    NetworkProcess, human, mib, parse_shape, parse_size, reset_peak, serve_network_if_asked, status_bytes,
    status_bytes_of,
};
use futures::StreamExt;
use rand::{RngCore, SeedableRng};

/// The `floe` binary's allocator, so the memory and time figures are what `floe store` and
/// `floe read` would show.
#[global_allocator]
static ALLOCATOR: floe_alloc::Allocator = floe_alloc::Allocator;

/// Records each phase of the store as the client reports it, and the peak RSS when the encoding
/// ended (the rest of the store is the upload).
#[derive(Default)]
struct StoreLog {
    encode_peak: std::sync::Mutex<Option<(f64, u64)>>,
    phases: std::sync::Mutex<Vec<(StorePhase, f64)>>,
}

impl Progress for StoreLog {
    fn event(&self, event: ProgressEvent) {
        if let ProgressEvent::PhaseDone { phase, took } = event {
            if phase == StorePhase::Encode {
                *self.encode_peak.lock().unwrap() = Some((took.as_secs_f64(), status_bytes("VmHWM")));
            }
            self.phases.lock().unwrap().push((phase, took.as_secs_f64()));
        }
    }
}

const USAGE: &str = "big_store [--shape 10x1000] [--size 1GiB] [--in-memory] [--dir DIR]";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if serve_network_if_asked(&args) {
        return;
    }
    match args.first().map(String::as_str) {
        Some("--store") => return store_child(&args[1], &args[2], Path::new(&args[3]), &args[4], args[5] == "memory"),
        Some("--read") => return read_child(&args[1], &args[2], Path::new(&args[3])),
        _ => {}
    }
    let (mut shape, mut size, mut in_memory, mut dir) = ((10, 1000), 1 << 30, false, std::env::temp_dir());
    let mut flags = args.iter();
    while let Some(flag) = flags.next() {
        let mut value = || flags.next().unwrap_or_else(|| panic!("{flag} needs a value; usage: {USAGE}")).clone();
        match flag.as_str() {
            "--shape" => shape = parse_shape(&value()),
            "--size" => size = parse_size(&value()),
            "--dir" => dir = PathBuf::from(value()),
            "--in-memory" => in_memory = true,
            other => panic!("unknown flag {other}; usage: {USAGE}"),
        }
    }
    let (nodes, shards) = shape;
    let work = tempfile::tempdir_in(&dir).expect("a temporary directory");
    let file = work.path().join("blob.bin");
    let writing = Instant::now();
    write_random_file(&file, size, 0x5eed);
    let config = EncodingConfig::new(shards).expect("a shard count");
    let symbol = u64::from(config.symbol_size_for(size as u64).expect("the file fits the shard count"));
    let slivers = u64::from(shards) * (u64::from(config.n_rows()) + u64::from(config.n_columns())) * symbol;
    println!(
        "big_store: {} file (written in {:.1} s), {nodes} nodes, {shards} shards, slivers {} MiB, {}; load {}",
        human(size),
        writing.elapsed().as_secs_f64(),
        mib(slivers),
        if in_memory { "encoded in memory" } else { "encoded to a spill file" },
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
    );
    let starting = Instant::now();
    let network_dir = work.path().join("network");
    let network =
        NetworkProcess::start(nodes, shards, &network_dir, std::time::Duration::ZERO, std::time::Duration::ZERO, 0);
    println!("network up in {:.1} s", starting.elapsed().as_secs_f64());
    let child = |args: &[&str]| {
        let output = Command::new(std::env::current_exe().expect("this program"))
            .args(args)
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("the child runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        print!("{stdout}");
        assert!(output.status.success(), "{args:?} failed");
        stdout
    };
    let network_dir = network_dir.display().to_string();
    let (spill_dir, file_arg) = (work.path().display().to_string(), file.display().to_string());
    let stored = child(&[
        "--store",
        &network.deployment_path,
        &network_dir,
        &file_arg,
        &spill_dir,
        if in_memory { "memory" } else { "spill" },
    ]);
    let blob_id = stored
        .lines()
        .find_map(|line| line.strip_prefix("blob id "))
        .expect("the store child prints the blob id")
        .to_owned();
    child(&["--read", &network.deployment_path, &blob_id, &file_arg]);
    println!(
        "network process peak RSS {} MiB",
        mib(status_bytes_of(&network.status_file().display().to_string(), "VmHWM"))
    );
    drop(network);
}

/// Writes `size` bytes from a seeded generator to `path`, a chunk at a time.
fn write_random_file(path: &Path, size: usize, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = BufWriter::new(std::fs::File::create(path).expect("the file is created"));
    let mut chunk = vec![0u8; 8 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        rng.fill_bytes(&mut chunk[..n]);
        out.write_all(&chunk[..n]).expect("the file is written");
        left -= n;
    }
    out.flush().expect("the file is written");
}

fn client(runtime: &tokio::runtime::Runtime, deployment_path: &str, network_dir: &str) -> FloeClient {
    let deployment = Deployment::load(Path::new(deployment_path)).expect("the deployment file");
    let key = LocalnetConfig::new(network_dir).user_key();
    runtime.block_on(FloeClient::connect(deployment, Some(key), Settings::default())).expect("a client")
}

/// The child that stores `file`, encoded to a spill file in `spill_dir` (or in memory); prints
/// the blob id, the time and the peak RSS.
fn store_child(deployment_path: &str, network_dir: &str, file: &Path, spill_dir: &str, in_memory: bool) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let client = client(&runtime, deployment_path, network_dir);
    let spill = SpillOptions { threshold: if in_memory { u64::MAX } else { 0 }, dir: PathBuf::from(spill_dir) };
    reset_peak();
    let base = status_bytes("VmRSS");
    let storing = Instant::now();
    let log = StoreLog::default();
    let outcome =
        runtime.block_on(client.store_file(file, &spill, &StoreOptions::default(), &log)).expect("the store certifies");
    let took = storing.elapsed();
    let peak = status_bytes("VmHWM");
    assert!(matches!(outcome, StoreOutcome::NewlyCreated { .. }), "{outcome:?}");
    let leftovers = std::fs::read_dir(spill_dir).expect("the spill directory").count();
    println!("blob id {}", outcome.blob_id());
    let (encode_took, encode_peak) = log.encode_peak.lock().unwrap().unwrap_or_default();
    let phases: Vec<String> =
        log.phases.lock().unwrap().iter().map(|(phase, took)| format!("{} {took:.1} s", phase.name())).collect();
    println!("store phases: {}", phases.join(", "));
    println!(
        "store: {:.1} s (encode {encode_took:.1} s), client peak RSS {} MiB (at start {} MiB, at the end of the encoding {} MiB); entries left in the spill directory: {leftovers} (the file and the network's directory)",
        took.as_secs_f64(),
        mib(peak),
        mib(base),
        mib(encode_peak),
    );
}

/// The child that reads blob `blob_id` as a stream and compares it with `file`; prints the time
/// and the peak RSS.
fn read_child(deployment_path: &str, blob_id: &str, file: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let deployment = Deployment::load(Path::new(deployment_path)).expect("the deployment file");
    let client = runtime.block_on(FloeClient::connect(deployment, None, Settings::default())).expect("a client");
    let blob_id: BlobId = blob_id.parse().expect("a blob id");
    reset_peak();
    let reading = Instant::now();
    let mut expected = BufReader::with_capacity(8 << 20, std::fs::File::open(file).expect("the file"));
    let compared = runtime.block_on(async {
        let reader =
            client.open_blob(&blob_id, Arc::new(ReadBudget::default()), ReadPlan::Whole).await.expect("the blob opens");
        let mut chunks = reader.stream(0..reader.len());
        let (mut compared, mut want) = (0u64, Vec::new());
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.expect("the blob reads");
            want.resize(chunk.len(), 0);
            expected.read_exact(&mut want).expect("the file is as long as the blob");
            assert!(
                chunk == want,
                "the blob differs from the file within bytes {compared}..{}",
                compared + chunk.len() as u64
            );
            compared += chunk.len() as u64;
        }
        compared
    });
    assert_eq!(compared, std::fs::metadata(file).expect("the file").len(), "the whole file was read back");
    println!(
        "read: {:.1} s, {} MiB compared byte for byte, client peak RSS {} MiB",
        reading.elapsed().as_secs_f64(),
        mib(compared),
        mib(status_bytes("VmHWM"))
    );
}

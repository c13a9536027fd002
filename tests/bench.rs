//! What the benchmark examples share: a local network served by a child process (so a store's
//! memory figure is the client's alone), sizes in words, and the process's peak RSS.

use std::{
    io::{BufRead, BufReader, Read, Write},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use floe_localnet::{Localnet, LocalnetConfig, Ports};

/// The flag a benchmark example's child process is started with to serve a network
/// ([`serve_network_if_asked`]).
pub const SERVE_NETWORK: &str = "--serve-network";

/// `NODESxSHARDS`, as `10x100`.
pub fn parse_shape(text: &str) -> (usize, u16) {
    let (nodes, shards) = text.split_once('x').unwrap_or_else(|| panic!("shape {text:?} is not NODESxSHARDS"));
    (nodes.parse().expect("a node count"), shards.parse().expect("a shard count"))
}

/// A size with an optional unit: `100B`, `16MiB`, `2GiB`.
pub fn parse_size(text: &str) -> usize {
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

/// A size in the largest unit that divides it.
pub fn human(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// A field of a `/proc/PID/status` file in bytes (`VmHWM`, `VmRSS`); 0 if absent.
pub fn status_bytes_of(status_file: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(status_file).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// A field of this process's `/proc/self/status` in bytes.
pub fn status_bytes(field: &str) -> u64 {
    status_bytes_of("/proc/self/status", field)
}

/// Resets `VmHWM` to the current RSS (Linux `clear_refs`, value 5).
pub fn reset_peak() {
    if let Err(error) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("cannot reset the peak RSS ({error}); peaks are since the start");
    }
}

/// Bytes in MiB, rounded.
pub fn mib(bytes: u64) -> String {
    format!("{:.0}", bytes as f64 / (1 << 20) as f64)
}

/// A local network served by a child process (this same program, started with
/// [`SERVE_NETWORK`]) until dropped.
#[derive(Debug)]
pub struct NetworkProcess {
    child: Child,
    /// The network's deployment file.
    pub deployment_path: String,
}

impl NetworkProcess {
    /// Starts `nodes` storage nodes sharing `shards` shards (and the devnet, each transaction
    /// waiting `finality_delay` as on a real chain, each answer of its API `rpc_delay` as a
    /// distant full node's would) under `dir`, waits until they have read the
    /// chain so far, then stops the last `down` of them (their connections are refused, as a
    /// node's that is down).
    pub fn start(
        nodes: usize,
        shards: u16,
        dir: &std::path::Path,
        finality_delay: Duration,
        rpc_delay: Duration,
        down: usize,
    ) -> Self {
        let delay_ms = finality_delay.as_millis().to_string();
        let mut child = Command::new(std::env::current_exe().expect("this program"))
            .args([
                SERVE_NETWORK,
                &format!("{nodes}x{shards}"),
                &dir.display().to_string(),
                &delay_ms,
                &down.to_string(),
                &rpc_delay.as_millis().to_string(),
            ])
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
        Self { child, deployment_path }
    }

    /// The `/proc` status file of the network's process.
    pub fn status_file(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for NetworkProcess {
    fn drop(&mut self) {
        // Closing its standard input stops the network.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// In a benchmark example's `main`: if this process was started to serve a network
/// ([`NetworkProcess::start`]), serves it until its standard input closes and returns true.
pub fn serve_network_if_asked(args: &[String]) -> bool {
    if args.first().map(String::as_str) != Some(SERVE_NETWORK) {
        return false;
    }
    let (nodes, shards) = parse_shape(&args[1]);
    let dir = &args[2];
    let finality_delay = Duration::from_millis(args[3].parse().expect("the finality delay in ms"));
    let down: usize = args[4].parse().expect("the number of nodes down");
    let rpc_delay = Duration::from_millis(args[5].parse().expect("the chain API's delay in ms"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let mut config = LocalnetConfig::new(dir);
        config.ports = Ports::ephemeral();
        config.n_nodes = nodes;
        config.n_shards = shards;
        config.key_servers = 0;
        config.indexer = false;
        config.daemon = false;
        config.finality_delay = finality_delay;
        config.rpc_delay = rpc_delay;
        let mut localnet = Localnet::start(config).await.expect("the local network starts");
        // Every node must have read the chain so far, or the first store waits for followers
        // still replaying the genesis checkpoints.
        let tip = localnet.chain().service_info().await.expect("the chain answers").checkpoint_height;
        for index in 0..nodes {
            let node = localnet.node(index).expect("the node runs");
            while node.chain_state().next_checkpoint() <= tip {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        for index in nodes.saturating_sub(down)..nodes {
            localnet.stop_node(index).await.expect("the node stops");
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
    true
}

//! `floe node --config FILE`: one storage node (floe-node) serving its API and following the
//! chain until Ctrl-C. `floe node --print-config` prints a commented starting point with fresh
//! keys; the
//! operator's subcommands (`floe node register`, ...) are in [`crate::operator`].

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use floe_encoder::network_key::NetworkKeyPair;
use floe_node::config::NodeConfig;
use floe_node::runner;
use serde::Serialize;

use crate::Output;

/// How often the command checks that the node's follower is still running.
const FOLLOWER_CHECK: Duration = Duration::from_millis(500);

/// The BLS seed of [`EXAMPLE_CONFIG`], replaced by a fresh one when printed.
const EXAMPLE_BLS_SEED: &str = "0101010101010101010101010101010101010101010101010101010101010101";
/// The network key of [`EXAMPLE_CONFIG`], replaced by a fresh one when printed.
const EXAMPLE_NETWORK_SEED: &str = "0202020202020202020202020202020202020202020202020202020202020202";

/// An example configuration, printed by `--print-config` with fresh keys.
pub const EXAMPLE_CONFIG: &str = r#"# floe storage node. Relative paths are relative to this file.
data_dir = "node-0"
listen = "127.0.0.1:9185"
# The URL registered on chain for this node (default: https://<listen>).
public_url = "https://127.0.0.1:9185"
# The deployment description `floe devnet` writes into its data directory.
deployment = "devnet/deployment.json"
# rpc_url = "http://127.0.0.1:9000"   # overrides the deployment's endpoint
# BLS key: a 32-byte seed in hex, inline or in a file (bls_key = { file = "bls.seed" }).
bls_key = { seed = "0101010101010101010101010101010101010101010101010101010101010101" }
# Network key: the Ed25519 key of the API's self-signed TLS certificate, 32 bytes in hex (inline
# or in a file). Its public half is registered on chain, where clients and peers pin it.
network_key = { seed = "0202020202020202020202020202020202020202020202020202020202020202" }
# plain_http = true   # serve plain HTTP instead (register an http:// address then)
# Operator account (suiprivkey1..., or a sui.keystore file) for epoch_sync_done; optional.
# sui_key = { file = "sui.keystore" }

[limits]
parallel_recoveries = 4
recovery_peer_concurrency = 8
recovery_request_attempts = 3
recovery_attempts = 6
recovery_retry_delay_ms = 500
# A duty that failed all its attempts is retried after pauses doubling up to this.
duty_retry_max_delay_ms = 30000
# The background scrub: stored slivers checked per second (bytes; 0 turns it off), and the share
# of the time (percent) its checks may take, whichever is slower.
scrub_bytes_per_sec = 16777216
scrub_busy_percent = 10
scrub_pass_pause_secs = 30
# While the node serves uploads, reads or sync pages, the scrub's pauses are this many times as long.
scrub_serving_slowdown = 10
# The database's page cache.
db_cache_mib = 64
# Slivers of 64 KiB or more are written and read past the kernel's page cache (direct I/O) where
# the file system allows it; false keeps them in the page cache.
sliver_direct_io = true
# Uploads sent before their registration (?pending=true) are held in memory until the node sees it:
# at most this much over all blobs, for at most this long.
pending_upload_mib = 64
pending_upload_secs = 60
"#;

/// Arguments of `floe node`: run the node, or one of the operator's subcommands.
#[derive(Debug, Clone, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NodeArgs {
    /// An operator command instead of running the node.
    #[command(subcommand)]
    pub operator: Option<crate::operator::OperatorCommand>,
    /// The node's TOML configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print an example configuration with freshly generated keys (BLS and network) and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// What `floe node` prints once it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeStarted {
    /// The base URL of the node's API.
    pub url: String,
    /// The node's BLS public key, base64.
    pub public_key: String,
    /// The current epoch.
    pub epoch: u32,
    /// The shards it holds in that epoch.
    pub shards: Vec<u16>,
}

impl fmt::Display for NodeStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "floe storage node serving")?;
        writeln!(f, "api:        {}", self.url)?;
        writeln!(f, "public key: {}", self.public_key)?;
        writeln!(f, "epoch:      {} ({} shards held)", self.epoch, self.shards.len())?;
        write!(f, "press Ctrl-C to stop")
    }
}

/// [`EXAMPLE_CONFIG`] with a fresh BLS key and a fresh network (TLS) key.
pub fn example_config() -> String {
    let bls = hex::encode(rand::random::<[u8; 32]>());
    let network = hex::encode(NetworkKeyPair::generate().seed());
    EXAMPLE_CONFIG.replace(EXAMPLE_BLS_SEED, &bls).replace(EXAMPLE_NETWORK_SEED, &network)
}

/// Runs the node until Ctrl-C, or fails when its follower gives up on the chain.
pub async fn run(args: &NodeArgs, output: Output) -> anyhow::Result<()> {
    if let Some(command) = &args.operator {
        return crate::operator::run(command, output).await;
    }
    if args.print_config {
        print!("{}", example_config());
        return Ok(());
    }
    let path = args.config.as_ref().context("--config FILE is required (or --print-config, or a subcommand)")?;
    let config = NodeConfig::load(path)?;
    let mut interrupt = crate::interrupt::Interrupt::install()?;
    let running = match runner::start(&config).await {
        Ok(running) => running,
        Err(error) => {
            // A hint only where the error is about the chain or the port; the others (a damaged
            // database, a bad key) say themselves what to do.
            let hint = match &error {
                runner::RunError::Listen { .. } => format!(" (is {} free?)", config.listen),
                runner::RunError::Client(_) | runner::RunError::Committee(_) => {
                    let rpc = config.load_deployment().map(|deployment| deployment.rpc_url).unwrap_or_default();
                    format!(" (is the chain up at {rpc}?)")
                }
                _ => String::new(),
            };
            return Err(anyhow::Error::new(error).context(format!("starting the node of {}{hint}", path.display())));
        }
    };
    let health = running.node().health();
    output.emit(&NodeStarted {
        url: running.url(),
        public_key: health.public_key,
        epoch: health.epoch,
        shards: health.owned_shards,
    })?;
    let mut check = tokio::time::interval(FOLLOWER_CHECK);
    loop {
        tokio::select! {
            signal = interrupt.wait() => {
                running.stop().await?;
                return signal;
            }
            _ = check.tick() => if running.follower_stopped() {
                let reason = running.stop().await.err().map(|e| e.to_string()).unwrap_or_else(|| "no reason given".into());
                bail!("the node stopped following the chain: {reason}; check that the endpoint is up");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_config_loads_with_keys_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let load = |name: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, example_config()).unwrap();
            NodeConfig::load(&path).unwrap()
        };
        let (first, second) = (load("a.toml"), load("b.toml"));
        let network = |config: &NodeConfig| config.network_key_pair().unwrap().unwrap().public_key();
        assert_ne!(network(&first), network(&second));
        assert_ne!(first.bls_secret_key().unwrap().public_key(), second.bls_secret_key().unwrap().public_key());
        assert!(!first.plain_http && first.tls_identity().unwrap().is_some());
        assert_eq!(first.limits, floe_node::config::NodeLimits::default(), "the printed limits are the defaults");
    }
}

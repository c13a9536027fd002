//! `floe localnet`: a whole network on this machine (devnet, storage nodes, publisher/aggregator,
//! indexer, key servers), a first store and read to show it works, then serving until Ctrl-C.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use floe_client::{NoProgress, StoreOptions};
use floe_localnet::{Localnet, LocalnetConfig, Ports};
use serde::Serialize;

use crate::Output;

/// Arguments of `floe localnet`.
#[derive(Debug, Clone, clap::Args)]
pub struct LocalnetArgs {
    /// Where everything keeps its state (reused on restart: blobs stored survive).
    #[arg(long, default_value = "floe-localnet")]
    pub data_dir: PathBuf,
    /// Storage nodes.
    #[arg(long, default_value_t = floe_localnet::DEFAULT_NODES)]
    pub nodes: usize,
    /// Extra storage nodes registered as candidates with no stake (after the committee's, on the
    /// next ports): they join a committee once WAL is staked with them (`floe stake`).
    #[arg(long, default_value_t = 0)]
    pub candidates: usize,
    /// Shards over the nodes.
    #[arg(long, default_value_t = floe_localnet::DEFAULT_SHARDS)]
    pub shards: u16,
    /// Epoch length in seconds.
    #[arg(long, default_value_t = floe_localnet::DEFAULT_EPOCH_DURATION.as_secs())]
    pub epoch_secs: u64,
    /// Seal key servers.
    #[arg(long, default_value_t = floe_localnet::DEFAULT_KEY_SERVERS)]
    pub key_servers: usize,
    /// Do not run the indexer.
    #[arg(long)]
    pub no_indexer: bool,
    /// Make the genesis committee and write each node's `node-<i>/node.toml`, but do not run
    /// the nodes: run each with `floe node --config DIR/node-<i>/node.toml` (as the fault suite
    /// does, to kill and restart them alone). The first store and read are skipped.
    #[arg(long)]
    pub external_nodes: bool,
    /// Do not run the publisher/aggregator (run `floe daemon` instead). The first store and
    /// read still run, through the SDK.
    #[arg(long)]
    pub no_daemon: bool,
    /// Use free ports instead of the fixed ones on a first start (picked at random outside the
    /// range the OS gives outgoing connections, so none takes a port before a node or a restart
    /// binds it). A restart on the same data directory serves on the ports of the first start
    /// (`ports.json`), as nodes and key servers are registered on chain at those addresses.
    #[arg(long)]
    pub any_ports: bool,
    /// Skip the first store and read.
    #[arg(long)]
    pub no_demo: bool,
    /// Serve the publisher/aggregator, the explorer and the key servers over https too, with a
    /// self-signed certificate written to DIR/tls/cert.pem (trust it: `curl --cacert`). Without
    /// it they serve plain HTTP; storage nodes serve https either way.
    #[arg(long)]
    pub tls_services: bool,
    /// Storage nodes serve plain HTTP and register `http://` addresses on chain, instead of
    /// https with their network keys pinned: to measure what TLS costs, or to watch the
    /// traffic. Not for anything that should stay private.
    #[arg(long)]
    pub plain_http_nodes: bool,
}

impl LocalnetArgs {
    fn config(&self) -> LocalnetConfig {
        let mut config = LocalnetConfig::new(&self.data_dir);
        config.n_nodes = self.nodes;
        config.candidates = self.candidates;
        config.n_shards = self.shards;
        config.epoch_duration = Duration::from_secs(self.epoch_secs.max(1));
        config.key_servers = self.key_servers;
        config.indexer = !self.no_indexer;
        config.nodes_in_process = !self.external_nodes;
        config.daemon = !self.no_daemon;
        config.services_tls = self.tls_services;
        config.nodes_tls = !self.plain_http_nodes;
        if self.any_ports {
            config.ports = Ports::ephemeral();
        }
        config
    }
}

/// What `floe localnet` prints once everything serves.
#[derive(Debug, Clone, Serialize)]
pub struct LocalnetStarted {
    /// The chain's gRPC endpoint.
    pub rpc_url: String,
    /// The deployment description the other commands take (`--deployment`).
    pub deployment_file: PathBuf,
    /// A keystore holding the funded account's key (`--keystore`).
    pub keystore_file: PathBuf,
    /// The funded account.
    pub address: String,
    /// Its key, `suiprivkey1...` (`--key`).
    pub key: String,
    /// The publisher/aggregator, unless `--no-daemon`.
    pub daemon_url: Option<String>,
    /// The explorer, if the indexer runs.
    pub explorer_url: Option<String>,
    /// The storage nodes, committee first, then the candidates (https, each certificate's key
    /// pinned from the chain; http with `--plain-http-nodes`).
    pub node_urls: Vec<String>,
    /// Each node's network public key (hex), as on chain: the key its TLS certificate carries.
    pub node_network_keys: Vec<String>,
    /// How many of the last nodes are candidates without stake.
    pub candidates: usize,
    /// The key servers.
    pub key_server_urls: Vec<String>,
    /// The first store and read, unless skipped.
    pub demo: Option<Demo>,
}

/// The first store and read.
#[derive(Debug, Clone, Serialize)]
pub struct Demo {
    /// The blob stored.
    pub blob_id: String,
    /// Its size.
    pub size: usize,
    /// Milliseconds to store (encode, pay, upload, certify).
    pub store_ms: u128,
    /// Milliseconds to read it back (verified).
    pub read_ms: u128,
    /// Where the aggregator serves it (unless `--no-daemon`).
    pub url: Option<String>,
}

impl fmt::Display for LocalnetStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "floe localnet serving ({} storage nodes)", self.node_urls.len())?;
        if self.candidates > 0 {
            writeln!(f, "candidates:        the last {} nodes, with no stake (see `floe info`)", self.candidates)?;
        }
        writeln!(f, "rpc url:           {}", self.rpc_url)?;
        if let Some(url) = &self.daemon_url {
            writeln!(f, "publisher/aggr.:   {url}")?;
        }
        if let Some(url) = &self.explorer_url {
            writeln!(f, "explorer:          {url}")?;
        }
        writeln!(f, "storage nodes:     {}", self.node_urls.join(" "))?;
        if !self.key_server_urls.is_empty() {
            writeln!(f, "key servers:       {}", self.key_server_urls.join(" "))?;
        }
        writeln!(f, "deployment file:   {}", self.deployment_file.display())?;
        writeln!(f, "funded account:    {}", self.address)?;
        writeln!(f, "its key:           {}", self.key)?;
        if let Some(demo) = &self.demo {
            writeln!(
                f,
                "stored {} bytes as blob {} in {} and read it back in {}",
                demo.size,
                demo.blob_id,
                floe_chain::Span(u64::try_from(demo.store_ms).unwrap_or(u64::MAX)),
                floe_chain::Span(u64::try_from(demo.read_ms).unwrap_or(u64::MAX))
            )?;
            if let Some(url) = &demo.url {
                writeln!(f, "  curl {url}")?;
            }
        }
        writeln!(
            f,
            "try:  floe store FILE --deployment {} --keystore {}",
            self.deployment_file.display(),
            self.keystore_file.display()
        )?;
        write!(f, "press Ctrl-C to stop")
    }
}

/// Runs the local network until Ctrl-C.
pub async fn run(args: &LocalnetArgs, output: Output) -> anyhow::Result<()> {
    let config = args.config();
    let localnet = Localnet::start(config.clone())
        .await
        .with_context(|| format!("starting the local network in {}", args.data_dir.display()))?;
    let mut interrupt = crate::interrupt::Interrupt::install()?;
    let user = localnet.user_key();
    let keystore_file = args.data_dir.join("sui.keystore");
    floe_chain::Keystore { keys: vec![user.clone()] }
        .save(&keystore_file)
        .with_context(|| format!("writing {}", keystore_file.display()))?;
    let demo = if args.no_demo || args.external_nodes { None } else { Some(demo(&localnet).await?) };
    output.emit(&LocalnetStarted {
        rpc_url: localnet.rpc_url(),
        deployment_file: localnet.deployment_path(),
        keystore_file,
        address: user.address().to_string(),
        key: user.to_suiprivkey().context("encoding the funded key")?,
        daemon_url: localnet.daemon_url(),
        explorer_url: localnet.indexer_url(),
        node_urls: localnet.node_urls(),
        node_network_keys: localnet.node_network_keys().iter().map(ToString::to_string).collect(),
        candidates: args.candidates,
        key_server_urls: localnet.key_servers().iter().map(|k| k.url.clone()).collect(),
        demo,
    })?;
    let stopped = interrupt.wait().await;
    localnet.shutdown().await;
    stopped
}

/// Stores a small text and reads it back through the SDK, as a user would check the network.
async fn demo(localnet: &Localnet) -> anyhow::Result<Demo> {
    let client = localnet.client().await.context("connecting a client to the local network")?;
    let text = format!("hello from floe, stored at {:?}\n", std::time::SystemTime::now());
    let started = Instant::now();
    let stored = client
        .store(text.clone().into_bytes(), &StoreOptions::default(), &NoProgress)
        .await
        .context("the first store on the local network failed")?;
    let store_ms = started.elapsed().as_millis();
    let blob_id = stored.blob_id();
    let started = Instant::now();
    let read = client.read(&blob_id, &NoProgress).await.context("reading the first blob back failed")?;
    let read_ms = started.elapsed().as_millis();
    anyhow::ensure!(read == text.as_bytes(), "the blob read back differs from the one stored");
    Ok(Demo {
        blob_id: blob_id.to_string(),
        size: text.len(),
        store_ms,
        read_ms,
        url: localnet.daemon_url().map(|daemon| format!("{daemon}/v1/blobs/{blob_id}")),
    })
}

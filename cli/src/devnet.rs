//! `floe devnet`: the embedded chain (floe-devnet) as a server on loopback until Ctrl-C; and
//! `floe advance-clock`: moving a running devnet's clock forward (devnet only, through its admin
//! route `POST /devnet/advance-clock`), so time-based rules can be tried without waiting.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use floe_chain::{ClockTime, Deployment, Span};
use floe_devnet::{AdvanceClock, ClockAdvanced, Devnet, DevnetConfig, GenesisConfig};
use serde::Serialize;

use crate::Output;

/// The port `floe devnet` listens on when `--port` is not given.
pub const DEFAULT_DEVNET_PORT: u16 = 9000;

/// Arguments of `floe devnet`.
#[derive(Debug, Clone, clap::Args)]
pub struct DevnetArgs {
    /// Where the chain state and deployment.json live (created if missing; reused on restart).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The loopback port to serve gRPC on (0: any free port).
    #[arg(long, default_value_t = DEFAULT_DEVNET_PORT)]
    pub port: u16,
    /// A JSON `GenesisConfig` (chain name, funded accounts, gas); used only for a new chain.
    #[arg(long)]
    pub genesis: Option<PathBuf>,
    /// Seal an empty checkpoint after this many idle milliseconds.
    #[arg(long, default_value_t = 1_000)]
    pub checkpoint_interval_ms: u64,
}

impl DevnetArgs {
    /// The devnet configuration these arguments describe.
    pub fn config(&self) -> anyhow::Result<DevnetConfig> {
        let genesis = match &self.genesis {
            None => GenesisConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the genesis file {}", path.display()))?;
                serde_json::from_str(&text).with_context(|| {
                    format!("{} is not a genesis configuration (chain, accounts, gas); fix the JSON", path.display())
                })?
            }
        };
        let mut config = DevnetConfig::new(&self.data_dir, genesis);
        config.listen = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        config.checkpoint_interval = Duration::from_millis(self.checkpoint_interval_ms.max(1));
        Ok(config)
    }
}

/// What `floe devnet` prints once it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DevnetStarted {
    /// The gRPC endpoint to give clients, nodes and the indexer.
    pub rpc_url: String,
    /// The chain id.
    pub chain_id: String,
    /// The deployment description file (package and object ids).
    pub deployment_file: PathBuf,
}

impl fmt::Display for DevnetStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "floe devnet serving")?;
        writeln!(f, "rpc url:         {}", self.rpc_url)?;
        writeln!(f, "chain id:        {}", self.chain_id)?;
        writeln!(f, "deployment file: {}", self.deployment_file.display())?;
        write!(f, "press Ctrl-C to stop")
    }
}

/// Runs the devnet until Ctrl-C.
pub async fn run(args: &DevnetArgs, output: Output) -> anyhow::Result<()> {
    let config = args.config()?;
    let deployment_file = config.deployment_path();
    let devnet = Devnet::start(config).await.with_context(|| {
        format!(
            "starting the devnet in {} on port {} (is the port taken? try --port 0)",
            args.data_dir.display(),
            args.port
        )
    })?;
    let mut interrupt = crate::interrupt::Interrupt::install()?;
    output.emit(&DevnetStarted {
        rpc_url: devnet.url(),
        chain_id: devnet.deployment().chain_id.clone(),
        deployment_file,
    })?;
    let stopped = interrupt.wait().await;
    devnet.shutdown().await;
    stopped
}

/// Arguments of `floe advance-clock`.
#[derive(Debug, Clone, clap::Args)]
pub struct AdvanceClockArgs {
    /// How far to move the clock: a number and a unit (ms, s, m, h or d), e.g. 30s or 2h.
    #[arg(value_parser = crate::private_blob::parse_duration)]
    pub by: Duration,
    /// The devnet's deployment.json (written by `floe devnet` or `floe localnet`).
    #[arg(long)]
    pub deployment: PathBuf,
}

/// What `floe advance-clock` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockAdvancedReport {
    /// How far the clock was moved, in ms.
    pub advanced_ms: u64,
    /// The chain's time now, in ms since the Unix epoch.
    pub timestamp_ms: ClockTime,
    /// The checkpoint sealed at that time.
    pub checkpoint: u64,
}

impl fmt::Display for ClockAdvancedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "moved the devnet's clock {} ahead: the chain's time is {} (checkpoint {})",
            Span(self.advanced_ms),
            self.timestamp_ms,
            self.checkpoint
        )
    }
}

/// Asks the devnet of `args.deployment` to move its clock forward.
pub async fn advance_clock(args: &AdvanceClockArgs, output: Output) -> anyhow::Result<()> {
    let deployment = Deployment::load(&args.deployment)
        .with_context(|| format!("cannot load the deployment description {}", args.deployment.display()))?;
    let url = format!("{}{}", deployment.rpc_url.trim_end_matches('/'), floe_devnet::ADVANCE_CLOCK_PATH);
    let request = AdvanceClock { duration_ms: u64::try_from(args.by.as_millis()).unwrap_or(u64::MAX) };
    let response = reqwest::Client::new()
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(&request)?)
        .send()
        .await
        .with_context(|| format!("cannot reach the chain at {}; is it running?", deployment.rpc_url))?;
    let status = response.status();
    let body = response.bytes().await.with_context(|| format!("reading the answer of {url}"))?;
    if status == reqwest::StatusCode::NOT_FOUND {
        bail!(
            "the chain at {} has no {} route: only a floe devnet's clock can be moved (not a Sui network's)",
            deployment.rpc_url,
            floe_devnet::ADVANCE_CLOCK_PATH
        );
    }
    if !status.is_success() {
        bail!("the devnet refused to move its clock ({status}): {}", String::from_utf8_lossy(&body));
    }
    let advanced: ClockAdvanced =
        serde_json::from_slice(&body).with_context(|| format!("{url} answered something else than the new time"))?;
    output.emit(&ClockAdvancedReport {
        advanced_ms: request.duration_ms,
        timestamp_ms: advanced.timestamp_ms,
        checkpoint: advanced.checkpoint,
    })
}

//! `floe indexer`: floe-indexer's follower and explorer API in one process until Ctrl-C.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use floe_chain::StreamPolicy;
use floe_indexer::{DatabaseUrl, IndexerConfig, IndexerService, QuiltSource};
use serde::Serialize;

use crate::Output;
use crate::account::PackagesArgs;

/// Where the explorer listens when `--listen` is not given.
pub const DEFAULT_EXPLORER_LISTEN: &str = "127.0.0.1:9100";

/// How often the command checks that the follower is still running.
const FOLLOWER_CHECK: Duration = Duration::from_millis(500);

/// Arguments of `floe indexer`.
#[derive(Debug, Clone, clap::Args)]
pub struct IndexerArgs {
    /// The Sui gRPC v2 endpoint to follow, e.g. the URL `floe devnet` prints.
    #[arg(long)]
    pub rpc: String,
    /// `postgres://...` or a SQLite path; default: indexer.sqlite under --data-dir.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Where the default SQLite database lives (created if missing).
    #[arg(long, default_value = "floe-indexer")]
    pub data_dir: PathBuf,
    /// Where the explorer page and API listen (port 0: any free port).
    #[arg(long, default_value = DEFAULT_EXPLORER_LISTEN)]
    pub listen: SocketAddr,
    /// floe's packages: `--deployment FILE` or `--devnet`.
    #[command(flatten)]
    pub packages: PackagesArgs,
    /// The first checkpoint to index when the database is empty.
    #[arg(long, default_value_t = 0)]
    pub first_checkpoint: u64,
    /// A web origin (`https://app.example`) whose pages may call the explorer API from a
    /// browser; repeat for several, `*` for any. The explorer page itself needs none.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// An aggregator (`http://127.0.0.1:31415`) to ask for the files of each certified blob
    /// that is a quilt, so `/v1/quilt-patches` finds them by identifier and tag; without it
    /// quilts are indexed as plain blobs.
    #[arg(long, value_name = "URL")]
    pub aggregator: Option<String>,
    /// Patch-list requests the indexer keeps in flight at once (with --aggregator).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub aggregator_concurrency: u16,
    /// TLS, or plain HTTP.
    #[command(flatten)]
    pub tls: crate::server_tls::TlsArgs,
}

impl IndexerArgs {
    /// The indexer configuration these arguments describe.
    pub fn config(&self) -> anyhow::Result<IndexerConfig> {
        let database = match &self.database_url {
            Some(url) => DatabaseUrl::parse(url).with_context(|| {
                format!("--database-url {url:?}: give postgres://..., sqlite://PATH or a file path")
            })?,
            None => {
                std::fs::create_dir_all(&self.data_dir)
                    .with_context(|| format!("cannot create the data directory {}", self.data_dir.display()))?;
                DatabaseUrl::in_data_dir(&self.data_dir)
            }
        };
        let packages = self.packages.packages()?;
        Ok(IndexerConfig {
            database,
            rpc_url: self.rpc.clone(),
            packages,
            first_checkpoint: self.first_checkpoint,
            listen: self.listen,
            stream_policy: StreamPolicy::default(),
            cors: floe_serve::Cors::from_origins(&self.cors_origins).context("--cors-origin")?,
            quilts: self.quilt_source()?,
            tls: self.tls.identity()?,
        })
    }

    /// The aggregator to ask for quilt patches, checked to be an http(s) URL.
    fn quilt_source(&self) -> anyhow::Result<Option<QuiltSource>> {
        let Some(url) = &self.aggregator else { return Ok(None) };
        let parsed = reqwest::Url::parse(url).with_context(|| format!("--aggregator {url:?} is not a URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            bail!("--aggregator {url:?}: give the aggregator's http:// or https:// base URL");
        }
        let mut source = QuiltSource::new(url);
        source.concurrency = usize::from(self.aggregator_concurrency);
        Ok(Some(source))
    }
}

/// What `floe indexer` prints once it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexerStarted {
    /// The explorer web page; the JSON API is under `/v1/`.
    pub explorer_url: String,
    /// The chain endpoint followed.
    pub rpc_url: String,
}

impl fmt::Display for IndexerStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "floe indexer following {}", self.rpc_url)?;
        writeln!(f, "explorer: {}", self.explorer_url)?;
        write!(f, "press Ctrl-C to stop")
    }
}

/// Runs the indexer until Ctrl-C, or fails when the follower gives up on the chain.
pub async fn run(args: &IndexerArgs, output: Output) -> anyhow::Result<()> {
    let config = args.config()?;
    let service = IndexerService::start(config)
        .await
        .with_context(|| format!("starting the indexer (is {} taken? try --listen 127.0.0.1:0)", args.listen))?;
    let mut interrupt = crate::interrupt::Interrupt::install()?;
    output.emit(&IndexerStarted {
        explorer_url: format!("{}://{}/", args.tls.scheme(), service.addr()),
        rpc_url: args.rpc.clone(),
    })?;
    let mut check = tokio::time::interval(FOLLOWER_CHECK);
    loop {
        tokio::select! {
            signal = interrupt.wait() => {
                service.stop().await;
                return signal;
            }
            _ = check.tick() => if service.follower_stopped() {
                let reason = service.stop().await.map(|e| e.to_string()).unwrap_or_else(|| "no reason given".into());
                bail!("the indexer stopped following {}: {reason}; check that the endpoint is up", args.rpc);
            }
        }
    }
}

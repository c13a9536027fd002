//! Runs a floe devnet as a server until Ctrl-C.
//!
//! ```text
//! floe-devnet --data-dir DIR [--listen 127.0.0.1:9000] [--genesis genesis.json]
//!             [--checkpoint-interval-ms 1000]
//! ```
//! `genesis.json` is a `GenesisConfig` (chain name, funded accounts, gas); it is used only when
//! DIR holds no chain yet. The deployment description is written to DIR/deployment.json.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use floe_devnet::{Devnet, DevnetConfig, GenesisConfig};

fn parse_args() -> anyhow::Result<DevnetConfig> {
    let mut data_dir: Option<PathBuf> = None;
    let mut listen = "127.0.0.1:9000".to_owned();
    let mut genesis = GenesisConfig::default();
    let mut interval_ms: u64 = 1_000;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--data-dir" => data_dir = Some(value()?.into()),
            "--listen" => listen = value()?,
            "--genesis" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
                genesis = serde_json::from_str(&text).with_context(|| format!("parsing {path}"))?;
            }
            "--checkpoint-interval-ms" => {
                interval_ms = value()?.parse().context("--checkpoint-interval-ms takes milliseconds")?;
            }
            other => bail!("unknown argument {other:?}; see the usage in the source header"),
        }
    }
    let data_dir = data_dir.context("--data-dir is required")?;
    let mut config = DevnetConfig::new(data_dir, genesis);
    config.listen = listen.parse().with_context(|| format!("--listen {listen:?} is not host:port"))?;
    config.checkpoint_interval = Duration::from_millis(interval_ms.max(1));
    Ok(config)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = parse_args()?;
    let deployment_path = config.deployment_path();
    let devnet = Devnet::start(config).await.context("starting the devnet")?;
    println!("floe devnet serving on {} (chain id {})", devnet.url(), devnet.deployment().chain_id);
    println!("deployment description: {}", deployment_path.display());
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    devnet.shutdown().await;
    Ok(())
}

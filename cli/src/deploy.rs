//! `floe deploy`: publish floe's Move packages (the bytecode checked in under `move/*/bytecode`)
//! through any Sui gRPC endpoint, initialize the system, and write `deployment.json`.

use std::fmt;
use std::path::PathBuf;

use anyhow::Context as _;
use floe_chain::floe::calls::InitParams;
use floe_chain::floe::deploy::{check_init_params, deploy};
use floe_chain::{ChainClient, Deployment};
use serde::Serialize;

use crate::Output;
use crate::account::AccountArgs;

/// Arguments of `floe deploy`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeployArgs {
    /// The gRPC endpoint of a Sui full node, e.g. `http://127.0.0.1:9000`.
    #[arg(long)]
    pub rpc_url: String,
    /// Where to write the deployment description.
    #[arg(long, default_value = "deployment.json")]
    pub out: PathBuf,
    /// The key that publishes and pays, as `suiprivkey1...`.
    #[arg(long, conflicts_with = "keystore")]
    pub key: Option<String>,
    /// A Sui keystore file; its first key publishes unless `--address` picks one.
    #[arg(long)]
    pub keystore: Option<PathBuf>,
    /// Which key of the keystore publishes.
    #[arg(long, requires = "keystore")]
    pub address: Option<sui_sdk_types::Address>,
    /// Shards of the storage system (at least 4).
    #[arg(long, default_value_t = 1000)]
    pub n_shards: u16,
    /// Length of an epoch in milliseconds.
    #[arg(long, default_value_t = 86_400_000)]
    pub epoch_duration_ms: u64,
    /// How many epochs ahead storage can be bought (1 to 1000).
    #[arg(long, default_value_t = 53)]
    pub max_epochs_ahead: u32,
    /// The largest storage committee.
    #[arg(long, default_value_t = 100)]
    pub max_committee_size: u16,
}

/// What `floe deploy` did.
#[derive(Debug, Serialize)]
pub struct DeployReport {
    /// The file written.
    pub deployment_file: String,
    /// Its contents.
    pub deployment: Deployment,
}

impl fmt::Display for DeployReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.deployment;
        writeln!(f, "deployed floe on chain {} ({})", d.chain_id, d.rpc_url)?;
        writeln!(f, "  wal package:  {}", d.packages.wal)?;
        writeln!(f, "  floe package: {}", d.packages.floe)?;
        writeln!(f, "  seal package: {}", d.packages.seal)?;
        writeln!(f, "  System:       {}", d.system_object)?;
        writeln!(f, "  Staking:      {}", d.staking_object)?;
        write!(f, "wrote {}", self.deployment_file)
    }
}

/// Runs `floe deploy`.
pub async fn run(args: &DeployArgs, output: Output) -> anyhow::Result<()> {
    let signer = AccountArgs {
        deployment: args.out.clone(),
        key: args.key.clone(),
        keystore: args.keystore.clone(),
        address: args.address,
    }
    .required_signer()?;
    let params = InitParams {
        n_shards: args.n_shards,
        epoch_duration_ms: args.epoch_duration_ms,
        max_epochs_ahead: args.max_epochs_ahead,
        max_committee_size: args.max_committee_size,
    };
    check_init_params(&params)?;
    let client = ChainClient::new(&args.rpc_url)?;
    let deployment =
        deploy(&client, &signer, &params).await.with_context(|| format!("deploying floe through {}", args.rpc_url))?;
    deployment.save(&args.out)?;
    output.emit(&DeployReport { deployment_file: args.out.display().to_string(), deployment })
}

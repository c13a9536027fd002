//! What the client commands share: the deployment to talk to and the key to sign with.

use std::path::PathBuf;

use anyhow::Context as _;
use floe_chain::{Deployment, Keypair, Keystore, Packages};
use floe_client::{ChainAccess, FloeClient, Settings};
use sui_sdk_types::Address;

/// Which floe packages a service works with, for the commands that take a chain endpoint of
/// their own (`floe indexer`, `floe keyserver`). Naming them is required: a service silently
/// pointed at the devnet's package ids would follow or serve nothing on another network.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct PackagesArgs {
    /// A deployment.json naming floe's package ids (written by `floe devnet`, `floe localnet`
    /// or `floe deploy`).
    #[arg(long)]
    pub deployment: Option<PathBuf>,
    /// Use the package ids every floe devnet has (its packages live at fixed addresses).
    #[arg(long)]
    pub devnet: bool,
}

impl PackagesArgs {
    /// The package ids chosen.
    pub fn packages(&self) -> anyhow::Result<Packages> {
        match &self.deployment {
            Some(path) => Ok(Deployment::load(path)
                .with_context(|| format!("cannot load the deployment description {}", path.display()))?
                .packages),
            None => Ok(Packages {
                wal: floe_devnet::WAL_PACKAGE,
                floe: floe_devnet::FLOE_PACKAGE,
                seal: floe_devnet::SEAL_PACKAGE,
            }),
        }
    }
}

/// Where floe lives and who acts.
#[derive(Debug, Clone, clap::Args)]
pub struct AccountArgs {
    /// The deployment description (`deployment.json`, written by `floe devnet` or `floe localnet`).
    #[arg(long)]
    pub deployment: PathBuf,
    /// The key to sign with, as `suiprivkey1...` (as `sui keytool export` prints it).
    #[arg(long, conflicts_with = "keystore")]
    pub key: Option<String>,
    /// A Sui keystore file (`sui.keystore`); its first key signs unless `--address` picks one.
    #[arg(long)]
    pub keystore: Option<PathBuf>,
    /// Which key of the keystore signs.
    #[arg(long, requires = "keystore")]
    pub address: Option<Address>,
}

impl AccountArgs {
    /// The deployment description.
    pub fn deployment(&self) -> anyhow::Result<Deployment> {
        Deployment::load(&self.deployment).with_context(|| {
            format!(
                "cannot load the deployment description {}; pass the deployment.json that `floe devnet` or `floe localnet` wrote",
                self.deployment.display()
            )
        })
    }

    /// The signing key, if one was given.
    pub fn signer(&self) -> anyhow::Result<Option<Keypair>> {
        if let Some(key) = &self.key {
            let key = Keypair::from_suiprivkey(key.trim()).context(
                "--key is not a Sui private key; give it as suiprivkey1... (e.g. from `sui keytool export`)",
            )?;
            return Ok(Some(key));
        }
        let Some(path) = &self.keystore else {
            return Ok(None);
        };
        let keystore = Keystore::load(path).with_context(|| format!("cannot load the keystore {}", path.display()))?;
        let key = match &self.address {
            Some(address) => keystore
                .find(address)
                .with_context(|| format!("the keystore {} has no key for {address}", path.display()))?,
            None => keystore.keys.first().with_context(|| format!("the keystore {} is empty", path.display()))?,
        };
        Ok(Some(key.clone()))
    }

    /// The signing key, which this command needs.
    pub fn required_signer(&self) -> anyhow::Result<Keypair> {
        self.signer()?
            .context("this command pays or changes objects on chain: pass --key suiprivkey1... or --keystore FILE")
    }

    /// The deployment's chain alone (no committee read), signing with `signer`.
    pub async fn chain(&self, signer: Option<Keypair>) -> anyhow::Result<ChainAccess> {
        let deployment = self.deployment()?;
        let url = deployment.rpc_url.clone();
        ChainAccess::connect(deployment, signer).await.with_context(|| {
            format!("cannot reach the chain at {url}; is it running and is the deployment file its own?")
        })
    }

    /// A client of the deployment, signing with `signer`.
    pub async fn client(&self, signer: Option<Keypair>) -> anyhow::Result<FloeClient> {
        let deployment = self.deployment()?;
        let url = deployment.rpc_url.clone();
        FloeClient::connect(deployment, signer, Settings::default()).await.with_context(|| {
            format!("cannot read floe's committee from {url}; is the chain running and is the deployment file its own?")
        })
    }
}

//! The wallet commands: a key of one's own (`floe wallet new | address | balance`), moving coins
//! and objects (`floe send`, `floe transfer`), the blobs one owns (`floe list-blobs`), and SUI and
//! WAL for a new account on a local network (`floe faucet`).

use std::fmt;
use std::path::PathBuf;

use anyhow::Context as _;
use floe_chain::{Keypair, Keystore};
use serde::Serialize;
use sui_sdk_types::{Address, StructTag};

use crate::Output;
use crate::account::AccountArgs;
use crate::stake::{WalAmount, format_wal};

/// `floe wallet`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum WalletCommand {
    /// Create a key and add it to a keystore (created, readable by you only, if missing); prints
    /// its address, never the key.
    New {
        /// The keystore file.
        #[arg(long)]
        keystore: PathBuf,
    },
    /// Print the address of the key given with --key or --keystore.
    Address {
        /// The key to show, as `suiprivkey1...`.
        #[arg(long, conflicts_with = "keystore")]
        key: Option<String>,
        /// A keystore file (its first key).
        #[arg(long)]
        keystore: Option<PathBuf>,
    },
    /// SUI and WAL balances of your account (or of --owner).
    Balance(OwnerArgs),
}

/// An account to look at: --owner, else the signer's.
#[derive(Debug, Clone, clap::Args)]
pub struct OwnerArgs {
    /// Whose account (default: the key's).
    #[arg(long)]
    pub owner: Option<Address>,
    /// The chain, and the key whose account it is.
    #[command(flatten)]
    pub account: AccountArgs,
}

impl OwnerArgs {
    fn owner(&self) -> anyhow::Result<Address> {
        match self.owner {
            Some(owner) => Ok(owner),
            None => Ok(self
                .account
                .signer()?
                .context("whose account? pass --owner 0x..., or your key with --key or --keystore")?
                .address()),
        }
    }
}

/// Which coin `floe send` and `floe faucet` move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Coin {
    /// SUI, for gas.
    Sui,
    /// WAL, for storage and staking.
    Wal,
}

/// `floe send`.
#[derive(Debug, Clone, clap::Args)]
pub struct SendArgs {
    /// Who receives it.
    pub recipient: Address,
    /// How much, in whole coins (e.g. 1.5).
    pub amount: WalAmount,
    /// Which coin.
    #[arg(long, value_enum, default_value = "wal")]
    pub coin: Coin,
    /// The chain and the sender's key.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// `floe transfer`.
#[derive(Debug, Clone, clap::Args)]
pub struct TransferArgs {
    /// The object to give away: a `Blob`, a `StakedWal`, any object you own.
    pub object_id: Address,
    /// Who receives it.
    pub recipient: Address,
    /// The chain and the owner's key.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// `floe faucet`.
#[derive(Debug, Clone, clap::Args)]
pub struct FaucetArgs {
    /// Who receives the coins.
    pub recipient: Address,
    /// SUI to send.
    #[arg(long, default_value = "10")]
    pub sui: WalAmount,
    /// WAL to send.
    #[arg(long, default_value = "10")]
    pub wal: WalAmount,
    /// The local network's deployment.
    #[arg(long, default_value = "floe-localnet/devnet/deployment.json")]
    pub deployment: PathBuf,
    /// The local network's funded keystore (`floe localnet` writes it).
    #[arg(long, default_value = "floe-localnet/sui.keystore")]
    pub keystore: PathBuf,
}

/// A key's address.
#[derive(Debug, Serialize)]
pub struct WalletAddress {
    /// The address.
    pub address: String,
    /// The keystore it was added to, for `wallet new`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keystore: Option<PathBuf>,
}

impl fmt::Display for WalletAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.keystore {
            Some(path) => write!(f, "new key {} added to {}", self.address, path.display()),
            None => write!(f, "{}", self.address),
        }
    }
}

/// An account's balances.
#[derive(Debug, Serialize)]
pub struct Balances {
    /// Whose.
    pub owner: String,
    /// SUI, in MIST.
    pub sui_mist: u64,
    /// WAL, in FROST.
    pub wal_frost: u64,
}

impl fmt::Display for Balances {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "account {}", self.owner)?;
        writeln!(f, "  SUI  {}", format_coin(self.sui_mist, "SUI"))?;
        write!(f, "  WAL  {}", format_wal(self.wal_frost))
    }
}

/// `amount` base units as whole coins with only the decimals needed (SUI and WAL both have 9).
fn format_coin(amount: u64, symbol: &str) -> String {
    format_wal(amount).replace(" WAL", &format!(" {symbol}"))
}

/// Coins or an object sent.
#[derive(Debug, Serialize)]
pub struct Sent {
    /// What moved: "1.5 WAL", or an object id.
    pub what: String,
    /// Who received it.
    pub recipient: String,
}

impl fmt::Display for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sent {} to {}", self.what, self.recipient)
    }
}

/// One `Blob` object of `floe list-blobs`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobRow {
    /// The blob id.
    pub blob_id: String,
    /// The `Blob` object.
    pub object_id: String,
    /// Unencoded size in bytes.
    pub size: u64,
    /// The first epoch it is no longer stored.
    pub end_epoch: u32,
    /// Whether its owner may delete it early.
    pub deletable: bool,
    /// Whether a quorum certified it (an unfinished store when not: `floe store` of the same
    /// file finishes it without paying again).
    pub certified: bool,
}

/// `floe list-blobs`.
#[derive(Debug, Serialize)]
pub struct BlobList {
    /// Whose.
    pub owner: String,
    /// The current epoch, to read end epochs against.
    pub epoch: u32,
    /// The blobs, by end epoch.
    pub blobs: Vec<BlobRow>,
}

impl fmt::Display for BlobList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} Blob objects owned by {} (epoch {} now)", self.blobs.len(), self.owner, self.epoch)?;
        if self.blobs.is_empty() {
            return Ok(());
        }
        writeln!(f, "{:<45} {:<66} {:>12} {:>9} {:<9} status", "blob id", "object id", "size", "until", "deletable")?;
        for (i, blob) in self.blobs.iter().enumerate() {
            let status = match (blob.certified, blob.end_epoch <= self.epoch) {
                (_, true) => "expired",
                (true, false) => "certified",
                (false, false) => "unfinished (store the file again to finish it)",
            };
            write!(
                f,
                "{:<45} {:<66} {:>12} {:>9} {:<9} {status}",
                blob.blob_id,
                blob.object_id,
                blob.size,
                blob.end_epoch,
                if blob.deletable { "yes" } else { "no" }
            )?;
            if i + 1 < self.blobs.len() {
                writeln!(f)?;
            }
        }
        Ok(())
    }
}

/// `floe wallet ...`.
pub async fn wallet(command: &WalletCommand, output: Output) -> anyhow::Result<()> {
    match command {
        WalletCommand::New { keystore } => {
            let mut store = if keystore.exists() {
                Keystore::load(keystore).with_context(|| format!("cannot load the keystore {}", keystore.display()))?
            } else {
                Keystore { keys: Vec::new() }
            };
            let key = Keypair::generate();
            store.keys.push(key.clone());
            store.save(keystore).with_context(|| format!("cannot write the keystore {}", keystore.display()))?;
            output.emit(&WalletAddress { address: key.address().to_string(), keystore: Some(keystore.clone()) })
        }
        WalletCommand::Address { key, keystore } => {
            let key = match (key, keystore) {
                (Some(key), _) => Keypair::from_suiprivkey(key.trim()).context("--key is not a suiprivkey1... key")?,
                (None, Some(path)) => Keystore::load(path)
                    .with_context(|| format!("cannot load the keystore {}", path.display()))?
                    .keys
                    .first()
                    .cloned()
                    .with_context(|| format!("the keystore {} is empty", path.display()))?,
                (None, None) => anyhow::bail!("which key? pass --key suiprivkey1... or --keystore FILE"),
            };
            output.emit(&WalletAddress { address: key.address().to_string(), keystore: None })
        }
        WalletCommand::Balance(args) => {
            let owner = args.owner()?;
            let chain = args.account.chain(None).await?;
            let sui = chain.client().balance(owner, &StructTag::sui()).await.context("reading the SUI balance")?;
            let wal = chain.wal_balance(owner).await.context("reading the WAL balance")?;
            output.emit(&Balances { owner: owner.to_string(), sui_mist: sui, wal_frost: wal })
        }
    }
}

/// Sends `amount` base units of `coin` from `chain`'s signer.
async fn send_coin(
    chain: &floe_client::ChainAccess,
    coin: Coin,
    recipient: Address,
    amount: u64,
) -> anyhow::Result<()> {
    match coin {
        Coin::Sui => chain.send_sui(recipient, amount).await,
        Coin::Wal => chain.send_wal(recipient, amount).await,
    }
    .with_context(|| format!("sending {} to {recipient}", describe(coin, amount)))
}

fn describe(coin: Coin, amount: u64) -> String {
    match coin {
        Coin::Sui => format_coin(amount, "SUI"),
        Coin::Wal => format_wal(amount),
    }
}

/// `floe send`.
pub async fn send(args: &SendArgs, output: Output) -> anyhow::Result<()> {
    let chain = args.account.chain(Some(args.account.required_signer()?)).await?;
    let WalAmount(amount) = args.amount;
    send_coin(&chain, args.coin, args.recipient, amount).await?;
    output.emit(&Sent { what: describe(args.coin, amount), recipient: args.recipient.to_string() })
}

/// `floe transfer`.
pub async fn transfer(args: &TransferArgs, output: Output) -> anyhow::Result<()> {
    let chain = args.account.chain(Some(args.account.required_signer()?)).await?;
    chain
        .transfer_object(args.object_id, args.recipient)
        .await
        .with_context(|| format!("transferring {} to {}", args.object_id, args.recipient))?;
    output.emit(&Sent { what: args.object_id.to_string(), recipient: args.recipient.to_string() })
}

/// `floe list-blobs`.
pub async fn list_blobs(args: &OwnerArgs, output: Output) -> anyhow::Result<()> {
    let owner = args.owner()?;
    let chain = args.account.chain(None).await?;
    let epoch = chain.system().await.context("reading the current epoch")?.committee.epoch;
    let mut blobs = chain.blobs_of(owner).await.context("listing the Blob objects")?;
    blobs.sort_by_key(|blob| (blob.end_epoch(), blob.id));
    let blobs = blobs
        .iter()
        .map(|blob| BlobRow {
            blob_id: blob.blob_id.to_string(),
            object_id: blob.id.to_string(),
            size: blob.size,
            end_epoch: blob.end_epoch(),
            deletable: blob.deletable,
            certified: blob.certified_epoch.is_some(),
        })
        .collect();
    output.emit(&BlobList { owner: owner.to_string(), epoch, blobs })
}

/// `floe faucet`: SUI and WAL from the local network's funded account.
pub async fn faucet(args: &FaucetArgs, output: Output) -> anyhow::Result<()> {
    let account = AccountArgs {
        deployment: args.deployment.clone(),
        key: None,
        keystore: Some(args.keystore.clone()),
        address: None,
    };
    let treasury = account.required_signer().with_context(|| {
        format!(
            "the faucet pays from the local network's key in {}; is `floe localnet` running there?",
            args.keystore.display()
        )
    })?;
    let chain = account.chain(Some(treasury)).await?;
    let (WalAmount(sui), WalAmount(wal)) = (args.sui, args.wal);
    send_coin(&chain, Coin::Sui, args.recipient, sui).await?;
    send_coin(&chain, Coin::Wal, args.recipient, wal).await?;
    let what = format!("{} and {}", describe(Coin::Sui, sui), describe(Coin::Wal, wal));
    output.emit(&Sent { what, recipient: args.recipient.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_read_as_whole_coins() {
        let balances = Balances { owner: "0x1".into(), sui_mist: 1_500_000_000, wal_frost: 2_000_000_000 };
        let text = balances.to_string();
        assert!(text.contains("SUI  1.5 SUI") && text.contains("WAL  2 WAL"), "{text}");
    }

    #[test]
    fn an_unfinished_blob_says_how_to_finish_it() {
        let row = |certified, end_epoch| BlobRow {
            blob_id: "b".into(),
            object_id: "0x2".into(),
            size: 1,
            end_epoch,
            deletable: false,
            certified,
        };
        let list = BlobList { owner: "0x1".into(), epoch: 5, blobs: vec![row(false, 9), row(true, 9), row(true, 5)] };
        let text = list.to_string();
        assert!(text.contains("unfinished (store the file again"), "{text}");
        assert!(text.contains("certified") && text.contains("expired"), "{text}");
    }
}

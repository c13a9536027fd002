//! The command line: global flags, the subcommands, and dispatch to their modules.

use clap::{Parser, Subcommand};

use crate::Output;
use crate::access::{AllowlistArgs, ServiceArgs, SubscribeArgs};
use crate::blob_id::BlobIdArgs;
use crate::challenges::{AuditArgs, ChallengesArgs};
use crate::deploy::DeployArgs;
use crate::devnet::{AdvanceClockArgs, DevnetArgs};
use crate::health::HealthArgs;
use crate::indexer::IndexerArgs;
use crate::keyserver::KeyserverArgs;
use crate::localnet::LocalnetArgs;
use crate::node::NodeArgs;
use crate::quilt::{ListPatchesArgs, ReadQuiltArgs, StoreQuiltArgs};
use crate::stake::{StakeArgs, StakedWalArgs, StakesArgs};
use crate::wallet::{FaucetArgs, OwnerArgs, SendArgs, TransferArgs, WalletCommand};
use crate::{
    blob_commands::{
        BurnArgs, ExtendArgs, FundSharedArgs, ObjectArgs, RemoveAttributeArgs, SetAttributeArgs, ShareArgs, StatusArgs,
    },
    daemon::DaemonArgs,
    info::InfoArgs,
    read::ReadArgs,
    store::StoreArgs,
};

/// floe: a decentralized blob store on Sui.
#[derive(Debug, Parser)]
#[command(name = "floe", version, about)]
pub struct Cli {
    /// Print results as one JSON object per line instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The most detailed log level written to stderr (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "info")]
    pub log_level: tracing_subscriber::filter::LevelFilter,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute a file's blob id offline, with its size and encoded size (with --quilt: the id of
    /// the quilt of several files, and each file's quilt patch id).
    BlobId(BlobIdArgs),
    /// Run a whole local network (chain, storage nodes, publisher/aggregator, indexer, key
    /// servers), store and read a first blob, and serve until Ctrl-C.
    Localnet(LocalnetArgs),
    /// Run the embedded local chain as a server until Ctrl-C.
    Devnet(DevnetArgs),
    /// Devnet only: move a running floe devnet's (or localnet's) chain clock forward, so that
    /// subscriptions expire, time locks open and epochs end without waiting.
    AdvanceClock(AdvanceClockArgs),
    /// Publish floe's Move packages through a Sui full node, initialize the system, and write
    /// deployment.json.
    Deploy(DeployArgs),
    /// Index a chain into SQL and serve the explorer until Ctrl-C.
    Indexer(IndexerArgs),
    /// Run a Seal-style key server for private blobs until Ctrl-C (registers it on chain first
    /// unless --object-id is given).
    Keyserver(KeyserverArgs),
    /// Store files: pay in WAL, upload to the storage nodes, certify on chain (with --encrypt,
    /// sealed first so only an access policy's readers can open them).
    Store(StoreArgs),
    /// Read a blob by its id, or one file of a quilt by its quilt patch id, verified, to stdout or
    /// a file; sealed blobs are opened with your key.
    Read(ReadArgs),
    /// Store many small files as one quilt (one blob, paid once); prints each file's patch id.
    StoreQuilt(StoreQuiltArgs),
    /// Read files of a quilt by identifier, by tag, or all, fetching only the slivers that hold
    /// them.
    ReadQuilt(ReadQuiltArgs),
    /// List the files of a quilt: identifiers, quilt patch ids, tags.
    ListPatches(ListPatchesArgs),
    /// Create an allowlist or change who is on it (for `--policy allowlist:<id>`).
    Allowlist(AllowlistArgs),
    /// Create or show a subscription service (for `--policy subscription:<id>`).
    Service(ServiceArgs),
    /// Buy a subscription to a service, which opens the blobs sealed for it until it expires.
    Subscribe(SubscribeArgs),
    /// Show what the storage nodes report about a blob.
    Status(StatusArgs),
    /// Delete a deletable blob you own (its storage returns to you).
    Delete(ObjectArgs),
    /// Extend a certified blob you own by some epochs (pays in WAL), or a shared blob by its
    /// SharedBlob id (paid from its funds; anyone may).
    Extend(ExtendArgs),
    /// Share a certified blob you own: it becomes a SharedBlob that anyone can fund and extend,
    /// and nobody (you included) can delete or burn.
    Share(ShareArgs),
    /// Add WAL to a shared blob's funds, which pay for its extensions (AMOUNT in WAL, e.g. 1.5).
    FundSharedBlob(FundSharedArgs),
    /// Destroy Blob objects you own, at any time (their storage is not refunded; the nodes keep
    /// certified data until its end epoch), or with --all-expired every one that has expired.
    Burn(BurnArgs),
    /// Set an attribute (e.g. content-type) on a blob you own.
    SetAttribute(SetAttributeArgs),
    /// Remove an attribute from a blob you own.
    RemoveAttribute(RemoveAttributeArgs),
    /// List a blob's attributes.
    Attributes(ObjectArgs),
    /// Ask every storage node of the committee how it is: one row per node with its address,
    /// shards, status and latency (nodes that do not answer are listed too).
    Health(HealthArgs),
    /// Show the epoch schedule, prices, the storage committee (now and next) and every
    /// registered candidate with its stake.
    Info(InfoArgs),
    /// Stake WAL with a storage node (AMOUNT in WAL, e.g. 1.5); it counts from the next epoch.
    Stake(StakeArgs),
    /// List your StakedWal objects with what withdrawing each would pay.
    Stakes(StakesArgs),
    /// Ask to withdraw a stake; `floe withdraw` pays it from the epoch this prints.
    Unstake(StakedWalArgs),
    /// Withdraw a stake (principal and rewards) once its withdrawal epoch has come.
    Withdraw(StakedWalArgs),
    /// List the storage challenge outcomes the chain recorded (from the indexer: --indexer, by
    /// default the one `floe localnet` runs), with the rewards withheld for failures.
    Challenges(ChallengesArgs),
    /// Challenge a storage node now, as any user can: random samples of the slivers it must
    /// hold, every answer verified against the blob ids; fails unless all are valid.
    Audit(AuditArgs),
    /// Your key and account: create a key, show its address, read its SUI and WAL balances.
    #[command(subcommand)]
    Wallet(WalletCommand),
    /// Send SUI or WAL to an address (AMOUNT in whole coins, e.g. 1.5).
    Send(SendArgs),
    /// Give an object you own (a Blob, a StakedWal) to another address.
    Transfer(TransferArgs),
    /// List the Blob objects you own (from the chain): blob id, object id, size, end epoch,
    /// deletable, certified or unfinished.
    ListBlobs(OwnerArgs),
    /// Send SUI and WAL from a local network's funded account to an address (`floe localnet`
    /// keeps that key in its data directory).
    Faucet(FaucetArgs),
    /// Serve the publisher and aggregator HTTP API until Ctrl-C.
    Daemon(DaemonArgs),
    /// Run a storage node from its config file until Ctrl-C, or act as its operator (register,
    /// set-commission, collect-commission, vote, set-address).
    Node(NodeArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let output = Output::from_flag(cli.json);
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(colour).with_max_level(cli.log_level).init();
    match &cli.command {
        Command::BlobId(args) => crate::blob_id::run(args, output),
        Command::Localnet(args) => runtime()?.block_on(crate::localnet::run(args, output)),
        Command::Devnet(args) => runtime()?.block_on(crate::devnet::run(args, output)),
        Command::AdvanceClock(args) => runtime()?.block_on(crate::devnet::advance_clock(args, output)),
        Command::Deploy(args) => runtime()?.block_on(crate::deploy::run(args, output)),
        Command::Indexer(args) => runtime()?.block_on(crate::indexer::run(args, output)),
        Command::Keyserver(args) => runtime()?.block_on(crate::keyserver::run(args, output)),
        Command::Store(args) => runtime()?.block_on(crate::store::run(args, output)),
        Command::Read(args) => runtime()?.block_on(crate::read::run(args, output)),
        Command::StoreQuilt(args) => runtime()?.block_on(crate::quilt::store(args, output)),
        Command::ReadQuilt(args) => runtime()?.block_on(crate::quilt::read(args, output)),
        Command::ListPatches(args) => runtime()?.block_on(crate::quilt::list_patches(args, output)),
        Command::Allowlist(args) => runtime()?.block_on(crate::access::allowlist(args, output)),
        Command::Service(args) => runtime()?.block_on(crate::access::service(args, output)),
        Command::Subscribe(args) => runtime()?.block_on(crate::access::subscribe(args, output)),
        Command::Status(args) => runtime()?.block_on(crate::blob_commands::status(args, output)),
        Command::Delete(args) => runtime()?.block_on(crate::blob_commands::delete(args, output)),
        Command::Extend(args) => runtime()?.block_on(crate::blob_commands::extend(args, output)),
        Command::Share(args) => runtime()?.block_on(crate::blob_commands::share(args, output)),
        Command::FundSharedBlob(args) => runtime()?.block_on(crate::blob_commands::fund_shared_blob(args, output)),
        Command::Burn(args) => runtime()?.block_on(crate::blob_commands::burn(args, output)),
        Command::SetAttribute(args) => runtime()?.block_on(crate::blob_commands::set_attribute(args, output)),
        Command::RemoveAttribute(args) => runtime()?.block_on(crate::blob_commands::remove_attribute(args, output)),
        Command::Attributes(args) => runtime()?.block_on(crate::blob_commands::attributes(args, output)),
        Command::Health(args) => runtime()?.block_on(crate::health::run(args, output)),
        Command::Info(args) => runtime()?.block_on(crate::info::run(args, output)),
        Command::Stake(args) => runtime()?.block_on(crate::stake::stake(args, output)),
        Command::Stakes(args) => runtime()?.block_on(crate::stake::stakes(args, output)),
        Command::Unstake(args) => runtime()?.block_on(crate::stake::unstake(args, output)),
        Command::Withdraw(args) => runtime()?.block_on(crate::stake::withdraw(args, output)),
        Command::Challenges(args) => runtime()?.block_on(crate::challenges::challenges(args, output)),
        Command::Audit(args) => runtime()?.block_on(crate::challenges::audit(args, output)),
        Command::Wallet(command) => runtime()?.block_on(crate::wallet::wallet(command, output)),
        Command::Send(args) => runtime()?.block_on(crate::wallet::send(args, output)),
        Command::Transfer(args) => runtime()?.block_on(crate::wallet::transfer(args, output)),
        Command::ListBlobs(args) => runtime()?.block_on(crate::wallet::list_blobs(args, output)),
        Command::Faucet(args) => runtime()?.block_on(crate::wallet::faucet(args, output)),
        Command::Daemon(args) => runtime()?.block_on(crate::daemon::run(args, output)),
        Command::Node(args) => runtime()?.block_on(crate::node::run(args, output)),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn a_blob_id_starting_with_a_dash_is_an_id_not_a_flag() {
        let id = format!("-{}", "A".repeat(42));
        for command in ["read", "status"] {
            let cli = Cli::try_parse_from(["floe", command, &id, "--deployment", "d.json"]).unwrap();
            let parsed = match cli.command {
                Command::Read(args) => args.blob_id.to_string(),
                Command::Status(args) => args.blob_id.to_string(),
                other => panic!("parsed as {other:?}"),
            };
            assert_eq!(parsed, id);
        }
    }

    #[test]
    fn advance_clock_takes_a_duration_with_its_unit_and_the_devnets_deployment() {
        let cli = Cli::try_parse_from(["floe", "advance-clock", "90s", "--deployment", "d.json"]).unwrap();
        let args = match cli.command {
            Command::AdvanceClock(args) => args,
            other => panic!("parsed as {other:?}"),
        };
        assert_eq!(args.by, std::time::Duration::from_secs(90));
        assert_eq!(args.deployment, std::path::PathBuf::from("d.json"));
        let error = Cli::try_parse_from(["floe", "advance-clock", "90", "--deployment", "d.json"]).unwrap_err();
        assert!(error.to_string().contains("unknown unit"), "{error}");
    }

    #[test]
    fn deploy_takes_an_endpoint_a_key_and_floe_parameters() {
        let cli = Cli::try_parse_from([
            "floe",
            "deploy",
            "--rpc-url",
            "http://127.0.0.1:9000",
            "--key",
            "k",
            "--n-shards",
            "10",
        ])
        .unwrap();
        let args = match cli.command {
            Command::Deploy(args) => args,
            other => panic!("parsed as {other:?}"),
        };
        assert_eq!((args.rpc_url.as_str(), args.n_shards), ("http://127.0.0.1:9000", 10));
        assert_eq!(args.out, std::path::PathBuf::from("deployment.json"));
        assert!(Cli::try_parse_from(["floe", "deploy", "--key", "k"]).is_err(), "--rpc-url is required");
    }
}

//! The command line: global flags, the subcommands, and dispatch to their modules.

use clap::{Parser, Subcommand};

use crate::Output;
use crate::blob_id::{BlobIdArgs, BlobIdReport};
use crate::devnet::DevnetArgs;
use crate::indexer::IndexerArgs;

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
    /// Compute a file's blob id offline, with its size and encoded size.
    BlobId(BlobIdArgs),
    /// Run the embedded local chain as a server until Ctrl-C.
    Devnet(DevnetArgs),
    /// Index a chain into SQL and serve the explorer until Ctrl-C.
    Indexer(IndexerArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let output = Output::from_flag(cli.json);
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_max_level(cli.log_level)
        .init();
    match &cli.command {
        Command::BlobId(args) => output.emit(&BlobIdReport::of_file(&args.file, args.n_shards)?),
        Command::Devnet(args) => runtime()?.block_on(crate::devnet::run(args, output)),
        Command::Indexer(args) => runtime()?.block_on(crate::indexer::run(args, output)),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

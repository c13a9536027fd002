//! floe-cli: the `floe` command. Each subcommand lives in the module named after what it works
//! on; [`command`] parses the command line and dispatches. The library half exists so the
//! commands can be tested and reused without spawning the binary.
//!
//! ```
//! use floe_cli::blob_id::BlobIdReport;
//!
//! // What `floe blob-id hello.txt --n-shards 10` prints, computed offline.
//! let report = BlobIdReport::compute("hello.txt", b"hello, floe", 10).unwrap();
//! assert_eq!(report.size, 11);
//! assert_eq!(report.blob_id.len(), 43); // base64url without padding
//! assert!(report.encoded_size > report.size);
//! println!("{report}");
//! ```

pub mod access;
pub mod account;
pub mod blob_commands;
pub mod blob_id;
pub mod challenges;
pub mod command;
pub mod daemon;
pub mod deploy;
pub mod devnet;
pub mod epochs;
pub mod explorer;
pub mod health;
pub mod indexer;
pub mod info;
pub mod interrupt;
pub mod keyserver;
pub mod localnet;
pub mod node;
pub mod operator;
pub mod output;
pub mod private_blob;
pub mod progress_bars;
pub mod quilt;
pub mod read;
pub mod server_tls;
pub mod stake;
pub mod store;
pub mod wallet;

pub use command::{Cli, Command, run};
pub use output::Output;

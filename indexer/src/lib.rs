//! floe-indexer: follows the chain checkpoint by checkpoint, keeps a relational picture of floe
//! (blobs, events, epochs, committee, pools, stakes; with an aggregator, the files of quilts:
//! [`quilts`]) in SQLite or PostgreSQL with diesel, and
//! serves it to explorers over HTTP ([`api`]: JSON under `/v1`, its OpenAPI description at
//! `/v1/api`, and an explorer web page at `/`). Each batch of checkpoints is committed together
//! with the watermark, so a restart resumes with nothing lost and nothing doubled.
//!
//! ```
//! use floe_chain::Packages;
//! use floe_indexer::{DatabaseUrl, DbConnection, IndexedCheckpoint, Ingester};
//! use sui_sdk_types::Address;
//!
//! let dir = tempfile::tempdir().unwrap();
//! // The default backend: a SQLite file under the data dir (PostgreSQL: "postgres://...").
//! let mut conn = DbConnection::establish(&DatabaseUrl::in_data_dir(dir.path())).unwrap();
//! conn.run_migrations().unwrap();
//! let packages = Packages { wal: Address::TWO, floe: Address::THREE, seal: Address::ZERO };
//! let mut ingester = Ingester::new(conn, packages);
//!
//! let checkpoint = IndexedCheckpoint { sequence_number: 7, epoch: 1, timestamp_ms: 0, transactions: vec![] };
//! assert_eq!(ingester.apply(&[checkpoint.clone()]).unwrap().checkpoints, 1);
//! // Applying it again changes nothing: it is at the watermark.
//! assert_eq!(ingester.apply(&[checkpoint]).unwrap().skipped, 1);
//! assert_eq!(ingester.next_checkpoint(0).unwrap(), 8);
//! ```

pub mod api;
mod batch;
pub mod checkpoint;
pub mod db;
pub mod follow;
pub mod ingest;
pub mod mapping;
pub mod queries;
pub mod quilts;
pub mod rows;
pub mod schema;
pub mod service;
#[cfg(test)]
mod tests;

pub use checkpoint::{IndexedCheckpoint, IndexedTransaction, ObjectChange, ObjectState, owner_text};
pub use db::{ConnectionManager, DatabaseUrl, DbConnection, DbError, Pool};
pub use follow::{FollowError, follow};
pub use ingest::{Applied, IngestError, Ingester, MAX_BATCH_CHECKPOINTS, PIPELINE};
pub use quilts::{QuiltFetcher, QuiltSource};
pub use service::{IndexerConfig, IndexerService, ServiceError};

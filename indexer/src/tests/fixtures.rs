//! Databases for tests and a builder of synthetic checkpoints.

use std::sync::atomic::{AtomicU64, Ordering};

use floe_chain::Packages;
use floe_chain::floe::MoveType;
use serde::Serialize;
use sui_sdk_types::{Address, Digest, Event, Identifier, Owner, StructTag};

use crate::checkpoint::{IndexedCheckpoint, IndexedTransaction, ObjectChange, ObjectState};
use crate::db::{ConnectionManager, DatabaseUrl, DbConnection, Pool};
use crate::ingest::Ingester;

/// The PostgreSQL every test uses (overridable for other machines).
fn postgres_url() -> String {
    std::env::var("FLOE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database of its own for one test, removed on drop.
#[derive(Debug)]
pub struct TestDb {
    url: DatabaseUrl,
    /// For PostgreSQL: the schema, made the search path of every connection.
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = DatabaseUrl::Sqlite(dir.path().join("data").join("indexer.sqlite"));
                Self { url, schema: None, _dir: Some(dir) }
            }
            Backend::Postgres => {
                let schema =
                    format!("floe_indexer_test_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
                let url = DatabaseUrl::parse(&postgres_url()).unwrap();
                let mut admin = DbConnection::establish(&url).expect("PostgreSQL at 127.0.0.1:5432 (database test)");
                admin
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};"))
                    .unwrap();
                Self { url, schema: Some(schema), _dir: None }
            }
        }
    }

    fn setup_sql(&self) -> Option<String> {
        self.schema.as_ref().map(|s| format!("SET search_path TO {s}"))
    }

    /// A new migrated connection.
    pub fn connect(&self) -> DbConnection {
        let mut conn = DbConnection::establish(&self.url).unwrap();
        if let Some(setup) = self.setup_sql() {
            conn.batch_execute(&setup).unwrap();
        }
        conn.run_migrations().unwrap();
        conn
    }

    pub fn ingester(&self) -> Ingester {
        Ingester::new(self.connect(), packages())
    }

    pub fn pool(&self) -> Pool {
        Pool::builder().max_size(4).build(ConnectionManager::new(self.url.clone(), self.setup_sql())).unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema
            && let Ok(mut admin) = DbConnection::establish(&self.url)
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Declares `mod $name { #[test] fn sqlite(); #[test] fn postgres(); }` running `$body(backend)`.
macro_rules! on_both_backends {
    ($($name:ident => $body:ident;)+) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$body($crate::tests::fixtures::Backend::Sqlite);
                }
                #[test]
                fn postgres() {
                    super::$body($crate::tests::fixtures::Backend::Postgres);
                }
            }
        )+
    };
}
pub(crate) use on_both_backends;

pub fn packages() -> Packages {
    Packages { wal: Address::new([0xa1; 32]), floe: Address::new([0xf1; 32]), seal: Address::new([0x5e; 32]) }
}

pub fn addr(byte: u8) -> Address {
    Address::new([byte; 32])
}

/// The event a floe Move function would emit.
pub fn floe_event<T: MoveType + Serialize>(value: &T) -> Event {
    let packages = packages();
    let type_ = T::struct_tag(&packages);
    Event {
        package_id: packages.floe,
        module: Identifier::from_static("system"),
        sender: addr(0xee),
        type_,
        contents: bcs::to_bytes(value).unwrap(),
    }
}

/// An event of some other package.
pub fn foreign_event() -> Event {
    let type_ = StructTag::new(addr(0x99), Identifier::from_static("game"), Identifier::from_static("Scored"), vec![]);
    Event {
        package_id: addr(0x99),
        module: Identifier::from_static("game"),
        sender: addr(0xee),
        type_,
        contents: vec![1, 2, 3],
    }
}

pub fn written(object_id: Address, owner: Address) -> ObjectChange {
    ObjectChange { object_id, state: ObjectState::Written(Owner::Address(owner)) }
}

pub fn deleted(object_id: Address) -> ObjectChange {
    ObjectChange { object_id, state: ObjectState::Deleted }
}

/// Builds consecutive checkpoints with unique transaction digests.
#[derive(Debug)]
pub struct ChainBuilder {
    pub next_sequence: u64,
    pub epoch: u64,
    transactions: u64,
}

impl ChainBuilder {
    pub fn new() -> Self {
        Self { next_sequence: 1, epoch: 1, transactions: 0 }
    }

    /// A successful transaction by `sender` (a gas coin write is added, as on a real chain).
    pub fn tx(&mut self, sender: Address, events: Vec<Event>, mut changes: Vec<ObjectChange>) -> IndexedTransaction {
        self.transactions += 1;
        let mut digest = [0u8; 32];
        digest[..8].copy_from_slice(&self.transactions.to_le_bytes());
        let mut gas = [0x6a; 32];
        gas[..20].copy_from_slice(&sender.as_bytes()[..20]);
        changes.push(written(Address::new(gas), sender));
        IndexedTransaction {
            digest: Digest::new(digest).to_string(),
            sender,
            succeeded: true,
            events,
            object_changes: changes,
        }
    }

    pub fn checkpoint(&mut self, transactions: Vec<IndexedTransaction>) -> IndexedCheckpoint {
        let sequence_number = self.next_sequence;
        self.next_sequence += 1;
        IndexedCheckpoint {
            sequence_number,
            epoch: self.epoch,
            timestamp_ms: 1_700_000_000_000 + sequence_number * 250,
            transactions,
        }
    }
}

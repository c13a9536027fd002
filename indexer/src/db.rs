//! The two backends behind one connection type: SQLite (a file, the default) and PostgreSQL
//! (`postgres://...`). Queries are written once and compiled for both by `with_connection!`,
//! which hands the body each backend's concrete connection, so every diesel feature (batch
//! inserts, `ON CONFLICT`) is available on both without a lowest-common-denominator backend.

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The schema's migrations, compiled into the binary; the same SQL runs on both backends.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// How long a SQLite connection waits for the writer's lock before reporting "busy".
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// Opening or using the database failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names neither backend.
    #[error("database url {0:?}: expected postgres://..., postgresql://..., sqlite://<path> or a file path")]
    BadUrl(String),
    /// Connecting failed.
    #[error("connecting to {url}: {source}")]
    Connect {
        /// The URL (without secrets beyond what the user typed).
        url: String,
        /// The driver's error.
        source: diesel::ConnectionError,
    },
    /// A query failed.
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    /// Running the migrations failed.
    #[error("migrations: {0}")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The connection pool gave no connection.
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    /// The blocking task running a query died.
    #[error("database task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string.
    Postgres(String),
}

impl DatabaseUrl {
    /// Reads `postgres://`/`postgresql://` URLs as PostgreSQL, `sqlite://<path>` and plain
    /// paths as SQLite files.
    pub fn parse(url: &str) -> Result<Self, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() { Err(DbError::BadUrl(url.to_owned())) } else { Ok(Self::Sqlite(path.into())) }
        } else if url.is_empty() || url.contains("://") {
            Err(DbError::BadUrl(url.to_owned()))
        } else {
            Ok(Self::Sqlite(url.into()))
        }
    }

    /// The default database: `indexer.sqlite` under `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self::Sqlite(data_dir.join("indexer.sqlite"))
    }

    fn display(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => url.clone(),
        }
    }
}

/// A connection to either backend.
pub enum DbConnection {
    /// SQLite (bundled).
    Sqlite(SqliteConnection),
    /// PostgreSQL (libpq).
    Postgres(PgConnection),
}

impl std::fmt::Debug for DbConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_postgres() { "DbConnection::Postgres" } else { "DbConnection::Sqlite" })
    }
}

/// Runs `$body` with `$conn` bound to the concrete connection of either backend; the body is
/// type-checked once per backend, so one query text serves both.
macro_rules! with_connection {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::db::DbConnection::Sqlite($conn) => $body,
            $crate::db::DbConnection::Postgres($conn) => $body,
        }
    };
}
pub(crate) use with_connection;

impl DbConnection {
    /// Connects; a SQLite file (and its directory) is created if missing and put in WAL mode,
    /// so explorer reads proceed while the indexer writes.
    pub fn establish(url: &DatabaseUrl) -> Result<Self, DbError> {
        let connect_error = |source| DbError::Connect { url: url.display(), source };
        match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        connect_error(diesel::ConnectionError::BadConnection(format!("{}: {e}", dir.display())))
                    })?;
                }
                let path_text = path.to_str().ok_or_else(|| DbError::BadUrl(path.display().to_string()))?;
                let mut conn = SqliteConnection::establish(path_text).map_err(connect_error)?;
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};"
                ))?;
                Ok(Self::Sqlite(conn))
            }
            DatabaseUrl::Postgres(text) => Ok(Self::Postgres(PgConnection::establish(text).map_err(connect_error)?)),
        }
    }

    /// Applies every migration not yet applied.
    pub fn run_migrations(&mut self) -> Result<(), DbError> {
        with_connection!(self, conn => conn
            .run_pending_migrations(MIGRATIONS)
            .map(|_| ())
            .map_err(DbError::Migration))
    }

    /// Executes raw SQL statements (setup and tests).
    pub fn batch_execute(&mut self, sql: &str) -> Result<(), DbError> {
        with_connection!(self, conn => conn.batch_execute(sql).map_err(DbError::from))
    }

    /// Whether this is a PostgreSQL connection.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }
}

/// Hands out [`DbConnection`]s to an r2d2 pool (the explorer's readers).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// Statements run on every new connection (e.g. `SET search_path` for a test schema).
    setup: Option<String>,
}

impl ConnectionManager {
    /// A manager for `url`, running `setup` (SQL) on each new connection if given.
    pub fn new(url: DatabaseUrl, setup: Option<String>) -> Self {
        Self { url, setup }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        let mut conn = DbConnection::establish(&self.url)?;
        if let Some(setup) = &self.setup {
            conn.batch_execute(setup)?;
        }
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1")
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// A pool of connections for readers.
pub type Pool = r2d2::Pool<ConnectionManager>;

impl DbConnection {
    /// Opens a transaction (nested calls make savepoints).
    pub(crate) fn begin(&mut self) -> Result<(), DbError> {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        with_connection!(self, conn => AnsiTransactionManager::begin_transaction(conn).map_err(DbError::from))
    }

    fn finish(&mut self, commit: bool) -> Result<(), DbError> {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        with_connection!(self, conn => if commit {
            AnsiTransactionManager::commit_transaction(conn).map_err(DbError::from)
        } else {
            AnsiTransactionManager::rollback_transaction(conn).map_err(DbError::from)
        })
    }

    /// Runs `work` in one transaction: committed if it returns `Ok`, rolled back otherwise.
    pub fn transaction<T, E: From<DbError>>(
        &mut self,
        work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        self.begin()?;
        match work(self) {
            Ok(value) => {
                self.finish(true)?;
                Ok(value)
            }
            Err(error) => {
                // The work's error is the one worth reporting; a failed rollback leaves the
                // transaction uncommitted all the same.
                if let Err(rollback) = self.finish(false) {
                    tracing::warn!(%rollback, "rollback failed");
                }
                Err(error)
            }
        }
    }
}

//! The whole indexer in one process: the follower writing checkpoints and the explorer API
//! reading them, over one database. What `floe indexer` and `floe localnet` start.

use std::net::SocketAddr;

use floe_chain::{ChainClient, Packages, StreamPolicy};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::db::{ConnectionManager, DatabaseUrl, DbConnection, DbError, Pool};
use crate::follow::{FollowError, follow};
use crate::ingest::Ingester;
use crate::quilts::{QuiltFetcher, QuiltSource};

/// Connections the explorer API may hold at once.
pub const API_CONNECTIONS: u32 = 8;

/// What to index, where to keep it and where to serve it.
#[derive(Debug, Clone)]
pub struct IndexerConfig {
    /// The database (a SQLite file or `postgres://...`).
    pub database: DatabaseUrl,
    /// A Sui gRPC v2 endpoint.
    pub rpc_url: String,
    /// floe's package ids on that chain.
    pub packages: Packages,
    /// The first checkpoint to index when the database is empty.
    pub first_checkpoint: u64,
    /// Where the explorer API listens (port 0: any free port).
    pub listen: SocketAddr,
    /// Retry policy of the checkpoint stream.
    pub stream_policy: StreamPolicy,
    /// Which web origins browsers may call the explorer API from (the explorer page itself is
    /// served from the API's own origin and needs none).
    pub cors: floe_serve::Cors,
    /// The aggregator to ask for the patches of certified quilts; none: quilts are not indexed.
    pub quilts: Option<QuiltSource>,
    /// The certificate the explorer API serves TLS with; `None` serves plain HTTP.
    pub tls: Option<floe_serve::TlsIdentity>,
}

/// Starting the indexer failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The RPC URL was refused.
    #[error("rpc endpoint: {0}")]
    Chain(#[from] floe_chain::ClientError),
    /// The API could not listen.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// Why not.
        source: std::io::Error,
    },
    /// The HTTP client for the aggregator (`--aggregator`) could not be built.
    #[error("the aggregator's HTTP client: {0}")]
    Aggregator(#[source] reqwest::Error),
}

/// A running indexer.
#[derive(Debug)]
pub struct IndexerService {
    addr: SocketAddr,
    follower: JoinHandle<FollowError>,
    api: JoinHandle<std::io::Result<()>>,
    quilts: Option<JoinHandle<DbError>>,
}

impl IndexerService {
    /// Migrates the database, starts following the chain and serving the explorer API.
    pub async fn start(config: IndexerConfig) -> Result<Self, ServiceError> {
        let mut conn = DbConnection::establish(&config.database)?;
        conn.run_migrations()?;
        let ingester = Ingester::new(conn, config.packages);
        let pool = Pool::builder()
            .max_size(API_CONNECTIONS)
            .build(ConnectionManager::new(config.database.clone(), None))
            .map_err(DbError::from)?;
        let client = ChainClient::new(&config.rpc_url)?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServiceError::Listen { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| ServiceError::Listen { addr: config.listen, source })?;
        let (first, policy) = (config.first_checkpoint, config.stream_policy);
        let follower = tokio::spawn(async move { follow(&client, ingester, first, policy).await });
        // floe-serve's timeouts, connection limit, CORS and TLS; the API takes no bodies.
        let options =
            floe_serve::ServeOptions { limits: floe_serve::ServeLimits::default(), cors: config.cors, tls: config.tls };
        let quilts = match config.quilts {
            Some(source) => {
                tracing::info!(aggregator = %source.aggregator, "indexing quilt patches");
                let fetcher = QuiltFetcher::new(source).map_err(ServiceError::Aggregator)?;
                let pool = pool.clone();
                Some(tokio::spawn(async move {
                    let error = fetcher.run(pool).await;
                    tracing::error!(%error, "quilt patch indexing stopped");
                    error
                }))
            }
            None => None,
        };
        let api =
            tokio::spawn(floe_serve::serve_with(listener, crate::api::router(pool), options, std::future::pending()));
        tracing::info!(%addr, "indexer explorer API listening");
        Ok(Self { addr, follower, api, quilts })
    }

    /// Where the explorer API listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether the follower stopped (on an error it reports through [`IndexerService::stop`]).
    pub fn follower_stopped(&self) -> bool {
        self.follower.is_finished()
    }

    /// Stops both tasks; returns the follower's error if it had stopped on its own.
    pub async fn stop(self) -> Option<FollowError> {
        self.api.abort();
        if let Some(quilts) = &self.quilts {
            quilts.abort();
        }
        let stopped = self.follower.is_finished();
        self.follower.abort();
        match self.follower.await {
            Ok(error) if stopped => Some(error),
            _ => None,
        }
    }
}

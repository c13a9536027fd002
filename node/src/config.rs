//! The node's configuration file (TOML): its keys, where it listens and stores, which chain it
//! follows, and its limits. Relative paths are relative to the file's directory.
//!
//! ```
//! use floe_node::config::NodeConfig;
//!
//! let config: NodeConfig = toml::from_str(r#"
//!     data_dir = "node-0"
//!     listen = "127.0.0.1:9185"
//!     public_url = "https://127.0.0.1:9185"
//!     deployment = "devnet/deployment.json"
//!     bls_key = { seed = "0101010101010101010101010101010101010101010101010101010101010101" }
//!     network_key = { seed = "0202020202020202020202020202020202020202020202020202020202020202" }
//!
//!     [limits]
//!     parallel_recoveries = 2
//!     sliver_direct_io = false
//! "#).unwrap();
//! let key = config.bls_secret_key().unwrap();
//! assert_eq!(key.public_key(), floe_encoder::bls::BlsSecretKey::from_seed(&[1; 32]).public_key());
//! // The API serves TLS with a certificate for the network key, whose public half is on chain.
//! let network = config.network_key_pair().unwrap().unwrap();
//! assert_eq!(network.public_key(), floe_encoder::network_key::NetworkKeyPair::from_seed([2; 32]).public_key());
//! assert_eq!(config.limits.parallel_recoveries, 2);
//! // Limits left out keep their defaults; this one turns the sliver file's direct I/O off.
//! assert_eq!(config.limits.recovery_attempts, floe_node::config::NodeLimits::default().recovery_attempts);
//! assert!(!config.limits.store_settings().direct_io && floe_node::config::NodeLimits::default().sliver_direct_io);
//! assert!(config.sui_keypair().unwrap().is_none());
//! ```

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use floe_chain::{Deployment, DeploymentError, Keypair};
use floe_encoder::{bls::BlsSecretKey, network_key::NetworkKeyPair};
use serde::{Deserialize, Serialize};

use crate::{
    duties::DutySettings,
    limits,
    pending::{self, PendingLimits},
    recovery::RecoverySettings,
    scrub::{DEFAULT_SCRUB_BUSY_PERCENT, DEFAULT_SCRUB_BYTES_PER_SEC, DEFAULT_SERVING_SLOWDOWN, ScrubSettings},
    store::{DEFAULT_CACHE_BYTES, StoreSettings},
};

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("node config {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML for a node configuration.
    #[error("node config {path}: {source}")]
    Parse {
        /// The file.
        path: String,
        /// The TOML error, with line and column.
        source: Box<toml::de::Error>,
    },
    /// A key could not be loaded.
    #[error("{which} key: {reason}")]
    Key {
        /// `bls_key`, `network_key` or `sui_key`.
        which: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A key's file could not be read.
    #[error("{which} key: {}: {source}", path.display())]
    KeyFile {
        /// `bls_key`, `network_key` or `sui_key`.
        which: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A hex key is not 64 hex digits.
    #[error("{which} key: expected 64 hex digits ({what}), got {characters} characters: {source}")]
    KeyHex {
        /// `bls_key` or `network_key`.
        which: &'static str,
        /// What the 32 bytes are.
        what: &'static str,
        /// The characters given.
        characters: usize,
        /// Why they are not hex of 32 bytes.
        #[source]
        source: hex::FromHexError,
    },
    /// The network key cannot make the node's TLS certificate.
    #[error("network_key key: {0}")]
    Tls(#[source] floe_serve::TlsError),
    /// The deployment description could not be loaded.
    #[error(transparent)]
    Deployment(#[from] DeploymentError),
}

/// A secret key given in the file itself or in a file of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KeySource {
    /// BLS: 64 hex digits, the seed the key is derived from (`BlsSecretKey::from_seed`).
    /// Network (TLS): 64 hex digits, the Ed25519 private key. Sui: a `suiprivkey1…` string.
    Seed(String),
    /// A file holding the same text as `seed` (surrounding whitespace ignored). For a Sui key,
    /// a `sui.keystore` file also works: its first key is used.
    File(PathBuf),
}

impl KeySource {
    fn text(&self, base: &Path, which: &'static str) -> Result<String, ConfigError> {
        match self {
            Self::Seed(text) => Ok(text.trim().to_owned()),
            Self::File(path) => std::fs::read_to_string(base.join(path))
                .map(|text| text.trim().to_owned())
                .map_err(|source| ConfigError::KeyFile { which, path: path.clone(), source }),
        }
    }
}

/// The node's limits; every field has a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeLimits {
    /// Blobs recovered at once.
    pub parallel_recoveries: usize,
    /// Peers asked at once while recovering one blob.
    pub recovery_peer_concurrency: usize,
    /// Attempts per peer request.
    pub recovery_request_attempts: usize,
    /// Attempts at recovering one blob.
    pub recovery_attempts: usize,
    /// The first pause between recovery attempts, in milliseconds (doubling).
    pub recovery_retry_delay_ms: u64,
    /// The longest pause, in milliseconds, before a duty that failed all its attempts (a
    /// recovery while too many peers are down, say) is tried again; the pauses double up to it,
    /// and a recovery is retried for as long as its blob is certified.
    pub duty_retry_max_delay_ms: u64,
    /// The background scrub's rate in bytes of stored slivers per second; 0 turns it off.
    pub scrub_bytes_per_sec: u64,
    /// The share of the time, in percent, the scrub's work may take (it also paces itself by
    /// time, for small slivers whose bytes cost little to read but a fixed amount to check).
    pub scrub_busy_percent: u8,
    /// The pause between two scrub passes, in seconds.
    pub scrub_pass_pause_secs: u64,
    /// How many times slower the scrub goes while the node serves requests for data (uploads,
    /// reads, sync pages; see `floe_node::scrub`); 1 keeps its pace.
    pub scrub_serving_slowdown: u32,
    /// The database's page cache in MiB (redb's own default would be 1 GiB).
    pub db_cache_mib: u64,
    /// Large sliver records are written and read with direct I/O, past the kernel's page cache,
    /// where the file system allows it (see `store::sliver_file`); false keeps them in the page
    /// cache (for a file system whose direct I/O is slow).
    pub sliver_direct_io: bool,
    /// MiB of uploads held in memory for blobs not yet seen registered (`?pending=true`, see
    /// [`crate::pending`]); 0 refuses such uploads until the registration is seen.
    pub pending_upload_mib: u64,
    /// Seconds such an upload is held waiting for its registration.
    pub pending_upload_secs: u64,
}

impl Default for NodeLimits {
    fn default() -> Self {
        let duties = DutySettings::default();
        Self {
            parallel_recoveries: duties.parallel_recoveries,
            recovery_peer_concurrency: limits::RECOVERY_CONCURRENCY,
            recovery_request_attempts: limits::RECOVERY_ATTEMPTS,
            recovery_attempts: duties.recovery_attempts,
            recovery_retry_delay_ms: duties.recovery_retry_delay.as_millis() as u64,
            duty_retry_max_delay_ms: duties.retry_max_delay.as_millis() as u64,
            scrub_bytes_per_sec: DEFAULT_SCRUB_BYTES_PER_SEC,
            scrub_busy_percent: DEFAULT_SCRUB_BUSY_PERCENT,
            scrub_pass_pause_secs: ScrubSettings::default().pass_pause.as_secs(),
            scrub_serving_slowdown: DEFAULT_SERVING_SLOWDOWN,
            db_cache_mib: (DEFAULT_CACHE_BYTES / (1024 * 1024)) as u64,
            sliver_direct_io: StoreSettings::default().direct_io,
            pending_upload_mib: (pending::DEFAULT_PENDING_BYTES / (1024 * 1024)) as u64,
            pending_upload_secs: pending::DEFAULT_PENDING_AGE.as_secs(),
        }
    }
}

impl NodeLimits {
    /// The duty worker's settings these limits give.
    pub fn duty_settings(&self) -> DutySettings {
        DutySettings {
            parallel_recoveries: self.parallel_recoveries.max(1),
            recovery: RecoverySettings {
                concurrency: self.recovery_peer_concurrency.max(1),
                attempts: self.recovery_request_attempts.max(1),
                ..RecoverySettings::default()
            },
            recovery_attempts: self.recovery_attempts.max(1),
            recovery_retry_delay: std::time::Duration::from_millis(self.recovery_retry_delay_ms),
            retry_max_delay: std::time::Duration::from_millis(self.duty_retry_max_delay_ms.max(1)),
            ..DutySettings::default()
        }
    }

    /// The scrub's settings these limits give.
    pub fn scrub_settings(&self) -> ScrubSettings {
        ScrubSettings {
            bytes_per_sec: self.scrub_bytes_per_sec,
            busy_percent: self.scrub_busy_percent,
            pass_pause: std::time::Duration::from_secs(self.scrub_pass_pause_secs),
            serving_slowdown: self.scrub_serving_slowdown,
        }
    }

    /// The bound of uploads held until their registration these limits give.
    pub fn pending_limits(&self) -> PendingLimits {
        PendingLimits {
            max_bytes: usize::try_from(self.pending_upload_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX),
            max_age: std::time::Duration::from_secs(self.pending_upload_secs),
        }
    }

    /// The store's settings these limits give.
    pub fn store_settings(&self) -> StoreSettings {
        let cache_bytes = usize::try_from(self.db_cache_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX);
        StoreSettings { cache_bytes, direct_io: self.sliver_direct_io, ..StoreSettings::default() }
    }
}

/// A storage node's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Where the node keeps its database (created if missing).
    pub data_dir: PathBuf,
    /// Where the HTTP API listens (port 0: any free port).
    pub listen: SocketAddr,
    /// The base URL others reach the API at, as registered on chain (checked against the
    /// committee at start-up; a mismatch is logged). Defaults to `https://{listen}`
    /// (`http://{listen}` with `plain_http`).
    #[serde(default)]
    pub public_url: Option<String>,
    /// The deployment description (`deployment.json`, as `floe devnet` writes it).
    pub deployment: PathBuf,
    /// The gRPC endpoint to follow, if not the deployment's `rpc_url`.
    #[serde(default)]
    pub rpc_url: Option<String>,
    /// The BLS key confirmations are signed with.
    pub bls_key: KeySource,
    /// The network key (Ed25519): the API serves TLS with a self-signed certificate for it, and
    /// its public half is registered on chain, where clients and peers pin it. Required unless
    /// `plain_http` is set.
    #[serde(default)]
    pub network_key: Option<KeySource>,
    /// Serve plain HTTP instead of TLS (only for a network set up so explicitly, with `http://`
    /// addresses on chain).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub plain_http: bool,
    /// The operator account's key, for the node's own transactions (`epoch_sync_done`).
    /// Without it the node follows and serves but does not report epoch syncs.
    #[serde(default)]
    pub sui_key: Option<KeySource>,
    /// The limits.
    #[serde(default)]
    pub limits: NodeLimits,
    /// The directory relative paths are resolved against (the config file's); not in the file.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

impl NodeConfig {
    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
        let mut config: Self = toml::from_str(&text)
            .map_err(|source| ConfigError::Parse { path: path.display().to_string(), source: Box::new(source) })?;
        config.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(config)
    }

    /// The configuration as TOML text (what [`NodeConfig::load`] reads back).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a node config always serializes")
    }

    /// `path` resolved against the config file's directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        self.base_dir.join(path)
    }

    /// The BLS secret key.
    pub fn bls_secret_key(&self) -> Result<BlsSecretKey, ConfigError> {
        let text = self.bls_key.text(&self.base_dir, "bls_key")?;
        let digits = text.strip_prefix("0x").unwrap_or(&text);
        let mut seed = [0u8; 32];
        hex::decode_to_slice(digits, &mut seed).map_err(|source| ConfigError::KeyHex {
            which: "bls_key",
            what: "a 32-byte seed",
            characters: digits.len(),
            source,
        })?;
        Ok(BlsSecretKey::from_seed(&seed))
    }

    /// The network (TLS) key pair, if configured.
    pub fn network_key_pair(&self) -> Result<Option<NetworkKeyPair>, ConfigError> {
        let Some(source) = &self.network_key else { return Ok(None) };
        let text = source.text(&self.base_dir, "network_key")?;
        let digits = text.strip_prefix("0x").unwrap_or(&text);
        let mut seed = [0u8; 32];
        hex::decode_to_slice(digits, &mut seed).map_err(|source| ConfigError::KeyHex {
            which: "network_key",
            what: "an Ed25519 private key",
            characters: digits.len(),
            source,
        })?;
        Ok(Some(NetworkKeyPair::from_seed(seed)))
    }

    /// How the API serves: TLS with the network key's self-signed certificate, or plain HTTP
    /// where `plain_http` asks for it. A node without a network key must ask for plain HTTP.
    pub fn tls_identity(&self) -> Result<Option<floe_serve::TlsIdentity>, ConfigError> {
        if self.plain_http {
            return Ok(None);
        }
        let key = self.network_key_pair()?.ok_or(ConfigError::Key {
            which: "network_key",
            reason: "missing: a node serves TLS with its network key (set `plain_http = true` to serve plain HTTP)",
        })?;
        let names = vec!["localhost".to_owned(), self.listen.ip().to_string()];
        floe_serve::TlsIdentity::self_signed(&key.to_pkcs8_der(), &names).map(Some).map_err(ConfigError::Tls)
    }

    /// The operator's Sui key, if configured.
    pub fn sui_keypair(&self) -> Result<Option<Keypair>, ConfigError> {
        let Some(source) = &self.sui_key else { return Ok(None) };
        let text = source.text(&self.base_dir, "sui_key")?;
        let key = if text.starts_with('[') {
            floe_chain::Keystore::from_json(&text).ok().and_then(|store| store.keys.into_iter().next())
        } else if text.starts_with("suiprivkey") {
            Keypair::from_suiprivkey(&text).ok()
        } else {
            Keypair::from_keystore_entry(&text).ok()
        };
        key.map(Some).ok_or(ConfigError::Key {
            which: "sui_key",
            reason: "expected suiprivkey1…, a sui.keystore entry or a sui.keystore file",
        })
    }

    /// The deployment description.
    pub fn load_deployment(&self) -> Result<Deployment, ConfigError> {
        let mut deployment = Deployment::load(&self.resolve(&self.deployment))?;
        if let Some(url) = &self.rpc_url {
            deployment.rpc_url = url.clone();
        }
        Ok(deployment)
    }

    /// The data directory, resolved.
    pub fn data_dir(&self) -> PathBuf {
        self.resolve(&self.data_dir)
    }
}

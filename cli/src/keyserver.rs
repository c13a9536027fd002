//! `floe keyserver`: a Seal-style key server until Ctrl-C. Loads (or creates) its IBE master key,
//! registers a `KeyServer` object on chain when no `--object-id` is given, and serves
//! `/v1/service` and `/v1/fetch_key`.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use floe_chain::{ChainClient, Deployment, Keypair, Packages};
use floe_devnet::{FLOE_PACKAGE, SEAL_PACKAGE, WAL_PACKAGE};
use floe_keyserver::limits::{DEFAULT_MAX_STALENESS, DEFAULT_RATE_BURST, DEFAULT_RATE_PER_SECOND};
use floe_keyserver::{KeyServer, KeyServerConfig, register_key_server};
use floe_seal::MasterKey;
use serde::Serialize;
use sui_sdk_types::Address;

use crate::Output;

/// Where the key server listens when `--listen` is not given (Seal's default port).
pub const DEFAULT_KEYSERVER_LISTEN: &str = "127.0.0.1:2024";

/// Arguments of `floe keyserver`.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyserverArgs {
    /// The Sui gRPC v2 endpoint to simulate policies on, e.g. the URL `floe devnet` prints.
    #[arg(long)]
    pub rpc: String,
    /// A deployment.json naming floe's package ids; default: the ids the floe devnet uses.
    #[arg(long)]
    pub deployment: Option<PathBuf>,
    /// Where to listen (port 0: any free port).
    #[arg(long, default_value = DEFAULT_KEYSERVER_LISTEN)]
    pub listen: SocketAddr,
    /// File with the IBE master key (64 hex characters); created with a fresh key if missing.
    #[arg(long, default_value = "floe-keyserver/master.key")]
    pub master_key: PathBuf,
    /// The server's KeyServer object id, if it is registered already.
    #[arg(long)]
    pub object_id: Option<Address>,
    /// The operator key (`suiprivkey1...` or a sui.keystore entry) that pays for registering
    /// when --object-id is not given.
    #[arg(long)]
    pub operator_key: Option<String>,
    /// The name registered on chain.
    #[arg(long, default_value = "floe-keyserver")]
    pub name: String,
    /// The URL clients reach this server at; default `http://<listen address>`.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Refuse requests while the newest checkpoint seen is older than this many seconds.
    #[arg(long, default_value_t = DEFAULT_MAX_STALENESS.as_secs())]
    pub max_staleness_secs: u64,
    /// Sustained requests per second allowed per user.
    #[arg(long, default_value_t = DEFAULT_RATE_PER_SECOND)]
    pub rate_per_second: u32,
    /// Burst of requests allowed per user.
    #[arg(long, default_value_t = DEFAULT_RATE_BURST)]
    pub rate_burst: u32,
}

/// What `floe keyserver` prints once it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyserverStarted {
    /// The base URL of the HTTP API.
    pub url: String,
    /// The KeyServer object id on chain.
    pub object_id: Address,
    /// The IBE master public key (hex of the 96-byte G2 point).
    pub public_key: String,
    /// Whether this run registered the object.
    pub registered: bool,
}

impl fmt::Display for KeyserverStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.registered { "registered now" } else { "registered before" };
        writeln!(f, "floe key server at {}", self.url)?;
        writeln!(f, "object id:  {} ({how})", self.object_id)?;
        writeln!(f, "public key: {}", self.public_key)?;
        write!(f, "press Ctrl-C to stop")
    }
}

/// Reads the master key from `path`, or creates one there (readable by the owner only).
pub fn load_or_create_master_key(path: &Path) -> anyhow::Result<MasterKey> {
    if path.exists() {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let bytes: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .with_context(|| format!("{} must hold 64 hex characters", path.display()))?;
        return MasterKey::from_bytes(&bytes).with_context(|| format!("{} is not a valid master key", path.display()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let key = MasterKey::generate(&mut rand::thread_rng());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut file, hex::encode(key.to_bytes()).as_bytes())?;
    Ok(key)
}

/// Runs the key server until Ctrl-C.
pub async fn run(args: &KeyserverArgs, output: Output) -> anyhow::Result<()> {
    let master = load_or_create_master_key(&args.master_key)?;
    let packages = match &args.deployment {
        Some(path) => Deployment::load(path).context("reading --deployment")?.packages,
        None => Packages { wal: WAL_PACKAGE, floe: FLOE_PACKAGE, seal: SEAL_PACKAGE },
    };
    let chain = ChainClient::new(&args.rpc)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {} (try --listen 127.0.0.1:0)", args.listen))?;
    let url = args.public_url.clone().unwrap_or(format!("http://{}", listener.local_addr()?));
    let (object_id, registered) = match (args.object_id, &args.operator_key) {
        (Some(id), _) => (id, false),
        (None, Some(key)) => {
            let operator = Keypair::from_suiprivkey(key)
                .or_else(|_| Keypair::from_keystore_entry(key))
                .context("--operator-key is neither suiprivkey1... nor a keystore entry")?;
            let id = register_key_server(&chain, &packages, &operator, &args.name, &url, &master.public_key())
                .await
                .context("registering the key server on chain")?;
            (id, true)
        }
        (None, None) => {
            bail!("give --object-id of a registered KeyServer, or --operator-key to register one")
        }
    };
    let mut config = KeyServerConfig::new(master, object_id, chain);
    config.max_staleness = Duration::from_secs(args.max_staleness_secs);
    config.rate_per_second = args.rate_per_second;
    config.rate_burst = args.rate_burst;
    let mut interrupt = crate::interrupt::Interrupt::install()?;
    let server = KeyServer::serve(listener, config)?;
    output.emit(&KeyserverStarted {
        url,
        object_id,
        public_key: hex::encode(master.public_key().to_bytes()),
        registered,
    })?;
    let signal = interrupt.wait().await;
    server.shutdown().await;
    signal
}

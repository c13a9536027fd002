//! `floe keyserver`: a Seal key server until Ctrl-C. Loads (or creates) its IBE master key,
//! registers a `KeyServer` object on chain when no `--object-id` is given, and serves
//! `/v1/service` and `/v1/fetch_key` in Seal's protocol.
//!
//! With `--permissioned clients.json` it runs in Seal's permissioned mode: the key file holds a
//! 32-byte seed, each listed client gets the key derived from it at its `index`, registered as
//! the client's own `KeyServer` (unless the file gives its `object_id`), and released only for
//! the client's `packages`:
//!
//! ```json
//! {"clients": [{"name": "acme", "index": 0, "packages": ["0x5e..."], "object_id": "0x..."}]}
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use floe_chain::{ChainClient, Keypair};
use floe_keyserver::limits::{
    DEFAULT_IP_RATE_BURST, DEFAULT_IP_RATE_PER_SECOND, DEFAULT_MAX_STALENESS, DEFAULT_RATE_BURST,
    DEFAULT_RATE_PER_SECOND,
};
use floe_keyserver::{KeyServer, KeyServerConfig, PermissionedClient, ServerMode, register_key_server};
use floe_seal::MasterKey;
use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use crate::Output;
use crate::account::PackagesArgs;

/// Where the key server listens when `--listen` is not given (Seal's default port).
pub const DEFAULT_KEYSERVER_LISTEN: &str = "127.0.0.1:2024";

/// Arguments of `floe keyserver`.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyserverArgs {
    /// The Sui gRPC v2 endpoint to simulate policies on, e.g. the URL `floe devnet` prints.
    #[arg(long)]
    pub rpc: String,
    /// floe's packages: `--deployment FILE` or `--devnet`.
    #[command(flatten)]
    pub packages: PackagesArgs,
    /// Where to listen (port 0: any free port).
    #[arg(long, default_value = DEFAULT_KEYSERVER_LISTEN)]
    pub listen: SocketAddr,
    /// File with the IBE master key (64 hex characters); created with a fresh key if missing.
    #[arg(long, default_value = "floe-keyserver/master.key")]
    pub master_key: PathBuf,
    /// The server's KeyServer object id, if it is registered already (open mode).
    #[arg(long, conflicts_with = "permissioned")]
    pub object_id: Option<Address>,
    /// Run in permissioned mode for the clients listed in this JSON file (see the command's
    /// documentation); --master-key then holds the seed their keys are derived from.
    #[arg(long)]
    pub permissioned: Option<PathBuf>,
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
    /// Sustained requests per second allowed per client IP address (checked before any
    /// signature is verified).
    #[arg(long, default_value_t = DEFAULT_IP_RATE_PER_SECOND)]
    pub ip_rate_per_second: u32,
    /// Burst of requests allowed per client IP address.
    #[arg(long, default_value_t = DEFAULT_IP_RATE_BURST)]
    pub ip_rate_burst: u32,
    /// A web origin (`https://app.example`) whose pages may call this key server from a
    /// browser (Seal's SDK in a dapp); repeat for several, `*` for any.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// TLS, or plain HTTP.
    #[command(flatten)]
    pub tls: crate::server_tls::TlsArgs,
}

/// One client of a permissioned server, as `--permissioned` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    /// A name for people (registered on chain as the KeyServer's name).
    pub name: String,
    /// The derivation index of the client's key.
    pub index: u64,
    /// The packages (first versions) the client's key serves.
    pub packages: Vec<Address>,
    /// The client's KeyServer object, if registered already.
    #[serde(default)]
    pub object_id: Option<Address>,
}

/// The `--permissioned` file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientsFile {
    /// The clients.
    pub clients: Vec<ClientEntry>,
}

/// One key the server serves, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServedKeyInfo {
    /// The client's name (the server's, in open mode).
    pub name: String,
    /// Its KeyServer object id on chain.
    pub object_id: Address,
    /// The IBE master public key (hex of the 96-byte G2 point).
    pub public_key: String,
    /// Whether this run registered the object.
    pub registered: bool,
    /// The packages it serves (empty: every package, open mode).
    pub packages: Vec<Address>,
}

/// What `floe keyserver` prints once it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyserverStarted {
    /// The base URL of the HTTP API.
    pub url: String,
    /// `open` or `permissioned`.
    pub mode: &'static str,
    /// The (first) KeyServer object id on chain.
    pub object_id: Address,
    /// Its public key (hex).
    pub public_key: String,
    /// Whether this run registered it.
    pub registered: bool,
    /// Every key served (one in open mode).
    pub keys: Vec<ServedKeyInfo>,
}

impl fmt::Display for KeyserverStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "floe key server ({}) at {}", self.mode, self.url)?;
        for key in &self.keys {
            let how = if key.registered { "registered now" } else { "registered before" };
            writeln!(f, "{}: object id {} ({how})", key.name, key.object_id)?;
            writeln!(f, "  public key: {}", key.public_key)?;
            if !key.packages.is_empty() {
                let packages: Vec<String> = key.packages.iter().map(ToString::to_string).collect();
                writeln!(f, "  packages:   {}", packages.join(", "))?;
            }
        }
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
    floe_chain::write_private(path, hex::encode(key.to_bytes()).as_bytes())
        .with_context(|| format!("creating {}", path.display()))?;
    Ok(key)
}

/// Reads the `--permissioned` file.
pub fn load_clients(path: &Path) -> anyhow::Result<ClientsFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: ClientsFile = serde_json::from_str(&text).with_context(|| {
        format!("{} is not {{\"clients\": [{{\"name\", \"index\", \"packages\", \"object_id\"?}}]}}", path.display())
    })?;
    ensure!(!file.clients.is_empty(), "{} lists no clients", path.display());
    let mut indices: Vec<u64> = file.clients.iter().map(|c| c.index).collect();
    indices.sort_unstable();
    indices.dedup();
    ensure!(indices.len() == file.clients.len(), "{}: two clients share an index (one key each)", path.display());
    for client in &file.clients {
        ensure!(!client.packages.is_empty(), "{}: client {} lists no packages", path.display(), client.name);
    }
    Ok(file)
}

/// Runs the key server until Ctrl-C.
pub async fn run(args: &KeyserverArgs, output: Output) -> anyhow::Result<()> {
    let master = load_or_create_master_key(&args.master_key)?;
    let clients = args.permissioned.as_deref().map(load_clients).transpose()?;
    let packages = args.packages.packages()?;
    let chain = ChainClient::new(&args.rpc)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {} (try --listen 127.0.0.1:0)", args.listen))?;
    let url = args.public_url.clone().unwrap_or(format!("{}://{}", args.tls.scheme(), listener.local_addr()?));
    let operator = args
        .operator_key
        .as_deref()
        .map(|key| {
            Keypair::from_suiprivkey(key)
                .or_else(|_| Keypair::from_keystore_entry(key))
                .context("--operator-key is neither suiprivkey1... nor a keystore entry")
        })
        .transpose()?;
    // The object of one key: given, or registered now with the operator's key.
    let object_for = |given: Option<Address>, name: String, key: MasterKey| {
        let (chain, packages, operator, url) = (&chain, &packages, &operator, &url);
        async move {
            match (given, operator) {
                (Some(id), _) => Ok((id, false)),
                (None, Some(operator)) => register_key_server(chain, packages, operator, &name, url, &key.public_key())
                    .await
                    .map(|id| (id, true))
                    .with_context(|| format!("registering key server {name} on chain")),
                (None, None) => {
                    bail!("give the object id of {name}'s registered KeyServer, or --operator-key to register one")
                }
            }
        }
    };
    let (mode, keys) = match clients {
        None => {
            let (object_id, registered) = object_for(args.object_id, args.name.clone(), master).await?;
            let info = ServedKeyInfo {
                name: args.name.clone(),
                object_id,
                public_key: hex::encode(master.public_key().to_bytes()),
                registered,
                packages: vec![],
            };
            (ServerMode::Open(floe_keyserver::ServedKey { master_key: master, object_id }), vec![info])
        }
        Some(file) => {
            // The key file's 32 bytes are the seed every client key is derived from.
            let seed = master.to_bytes();
            let mut served = Vec::new();
            let mut infos = Vec::new();
            for client in file.clients {
                let key = MasterKey::derive_from_seed(&seed, client.index);
                let (object_id, registered) = object_for(client.object_id, client.name.clone(), key).await?;
                infos.push(ServedKeyInfo {
                    name: client.name.clone(),
                    object_id,
                    public_key: hex::encode(key.public_key().to_bytes()),
                    registered,
                    packages: client.packages.clone(),
                });
                served.push(PermissionedClient::derived(&seed, client.index, client.name, object_id, client.packages));
            }
            (ServerMode::Permissioned(served), infos)
        }
    };
    let mut config = KeyServerConfig::with_mode(mode, chain);
    config.max_staleness = Duration::from_secs(args.max_staleness_secs);
    config.rate_per_second = args.rate_per_second;
    config.rate_burst = args.rate_burst;
    config.ip_rate_per_second = args.ip_rate_per_second;
    config.ip_rate_burst = args.ip_rate_burst;
    config.cors = floe_serve::Cors::from_origins(&args.cors_origins).context("--cors-origin")?;
    config.tls = args.tls.identity()?;
    let mut interrupt = crate::interrupt::Interrupt::install()?;
    let server = KeyServer::serve(listener, config)?;
    let first = keys[0].clone();
    output.emit(&KeyserverStarted {
        url,
        mode: if args.permissioned.is_some() { "permissioned" } else { "open" },
        object_id: first.object_id,
        public_key: first.public_key,
        registered: first.registered,
        keys,
    })?;
    let signal = interrupt.wait().await;
    server.shutdown().await;
    signal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clients.json");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn a_clients_file_lists_names_indices_and_packages() {
        let (_dir, path) = write(
            r#"{"clients": [{"name": "acme", "index": 0, "packages": ["0x5e"]},
                            {"name": "beta", "index": 3, "packages": ["0x77", "0x78"], "object_id": "0xab"}]}"#,
        );
        let file = load_clients(&path).unwrap();
        assert_eq!(file.clients.len(), 2);
        assert_eq!(file.clients[1].object_id, Some(Address::from_static("0xab")));
        assert_eq!(file.clients[1].packages.len(), 2);
    }

    #[test]
    fn a_bad_clients_file_is_refused_with_the_reason() {
        for (text, says) in [
            (r#"{"clients": []}"#, "lists no clients"),
            (r#"{"clients": [{"name": "a", "index": 0, "packages": []}]}"#, "lists no packages"),
            (
                r#"{"clients": [{"name": "a", "index": 1, "packages": ["0x1"]}, {"name": "b", "index": 1, "packages": ["0x2"]}]}"#,
                "share an index",
            ),
            (r#"{"clients": [{"name": "a", "index": 0, "packages": ["0x1"], "seed": "x"}]}"#, "is not"),
        ] {
            let (_dir, path) = write(text);
            let error = format!("{:#}", load_clients(&path).unwrap_err());
            assert!(error.contains(says), "{text}: {error}");
        }
    }
}

//! `floe daemon`: the publisher and aggregator HTTP API until Ctrl-C.

use std::{fmt, net::SocketAddr, num::NonZeroU32, path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context as _;
use base64::Engine as _;
use floe_client::daemon::auth::{PublisherAuth, TokenKey};
use floe_client::daemon::limits::{ClientRateLimit, DailyBudget};
use floe_client::daemon::{Access, DaemonSettings};
use floe_client::settings::DEFAULT_MAX_PUBLISH_BODY;
use serde::Serialize;

use crate::{Output, account::AccountArgs, stake::WalAmount};

/// Who may store, and how much (`floe daemon`'s access flags).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AccessArgs {
    /// Require a JWT signed with HS256 and this secret on every store (`Authorization: Bearer`).
    /// Prefer `--jwt-secret-file` or the FLOE_JWT_SECRET variable: arguments are visible to
    /// other users of the machine.
    #[arg(long, env = "FLOE_JWT_SECRET", hide_env_values = true, conflicts_with_all = ["jwt_secret_file", "jwt_public_key"])]
    pub jwt_secret: Option<String>,
    /// Like `--jwt-secret`, the secret read from this file (surrounding whitespace ignored).
    #[arg(long, conflicts_with = "jwt_public_key")]
    pub jwt_secret_file: Option<PathBuf>,
    /// Require a JWT signed with EdDSA by this Ed25519 public key (32 bytes, hex or base64).
    #[arg(long)]
    pub jwt_public_key: Option<String>,
    /// Refuse tokens issued (`iat`) more than this many seconds ago.
    #[arg(long)]
    pub jwt_max_age_secs: Option<u64>,
    /// Stores each client address may make per minute (429 beyond).
    #[arg(long)]
    pub store_rate_per_minute: Option<NonZeroU32>,
    /// Reads each client address may make per minute (429 beyond).
    #[arg(long)]
    pub read_rate_per_minute: Option<NonZeroU32>,
    /// WAL the publisher may spend per UTC day (429 once spent), e.g. `50` or `2.5`.
    #[arg(long)]
    pub daily_wal_budget: Option<WalAmount>,
}

impl AccessArgs {
    /// The daemon's access rules these flags describe.
    pub fn access(&self) -> anyhow::Result<Access> {
        let key = match (&self.jwt_secret, &self.jwt_secret_file, &self.jwt_public_key) {
            (Some(secret), _, _) => Some(TokenKey::Secret(secret.trim().as_bytes().to_vec())),
            (_, Some(path), _) => {
                let secret = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the JWT secret file {}", path.display()))?;
                anyhow::ensure!(!secret.trim().is_empty(), "the JWT secret file {} is empty", path.display());
                Some(TokenKey::Secret(secret.trim().as_bytes().to_vec()))
            }
            (_, _, Some(text)) => Some(TokenKey::Ed25519PublicKey(parse_public_key(text)?)),
            _ => None,
        };
        anyhow::ensure!(
            key.is_some() || self.jwt_max_age_secs.is_none(),
            "--jwt-max-age-secs needs --jwt-secret, --jwt-secret-file or --jwt-public-key"
        );
        Ok(Access {
            publisher_auth: key
                .map(|key| Arc::new(PublisherAuth::new(key, self.jwt_max_age_secs.map(Duration::from_secs)))),
            store_rate: self.store_rate_per_minute.map(|rate| Arc::new(ClientRateLimit::per_minute(rate))),
            read_rate: self.read_rate_per_minute.map(|rate| Arc::new(ClientRateLimit::per_minute(rate))),
            daily_budget: self.daily_wal_budget.map(|WalAmount(frost)| Arc::new(DailyBudget::new(frost))),
        })
    }
}

/// An Ed25519 public key given as 64 hex digits or base64 of 32 bytes.
fn parse_public_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim();
    let bytes = hex::decode(text.trim_start_matches("0x"))
        .ok()
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
        .or_else(|| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok())
        .context("--jwt-public-key is neither hex nor base64")?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| anyhow::anyhow!("--jwt-public-key has {} bytes; an Ed25519 public key has 32", bytes.len()))
}

/// Arguments of `floe daemon`.
#[derive(Debug, Clone, clap::Args)]
pub struct DaemonArgs {
    /// The address to serve on.
    #[arg(long, default_value = "127.0.0.1:31415")]
    pub listen: SocketAddr,
    /// The largest blob `PUT /v1/blobs` accepts, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_PUBLISH_BODY)]
    pub max_body_size: usize,
    /// Serve only reads (no key needed).
    #[arg(long)]
    pub aggregator_only: bool,
    /// Who may store, and how much.
    #[command(flatten)]
    pub access: AccessArgs,
    /// A web origin (`https://app.example`) whose pages may call this daemon from a browser;
    /// repeat for several, `*` for any. Without it browsers refuse cross-origin answers.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// TLS, or plain HTTP.
    #[command(flatten)]
    pub tls: crate::server_tls::TlsArgs,
    /// The chain, and the key that pays for stores.
    #[command(flatten)]
    pub account: AccountArgs,
}

/// What `floe daemon` prints once it serves.
#[derive(Debug, Clone, Serialize)]
pub struct DaemonStarted {
    /// The base URL.
    pub url: String,
    /// Whether `PUT /v1/blobs` is served.
    pub publisher: bool,
    /// Whether stores need a token.
    pub requires_token: bool,
}

impl fmt::Display for DaemonStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "floe daemon serving at {}", self.url)?;
        writeln!(f, "aggregator: GET {}/v1/blobs/<blob id>", self.url)?;
        if self.publisher {
            let token = if self.requires_token { " (Authorization: Bearer <jwt>)" } else { "" };
            writeln!(f, "publisher:  PUT {}/v1/blobs?epochs=N{token}", self.url)?;
        }
        write!(f, "press Ctrl-C to stop")
    }
}

/// Serves until Ctrl-C.
pub async fn run(args: &DaemonArgs, output: Output) -> anyhow::Result<()> {
    let access = args.access.access()?;
    let tls = args.tls.identity()?;
    let requires_token = access.publisher_auth.is_some();
    let signer = if args.aggregator_only { None } else { Some(args.account.required_signer()?) };
    let client = Arc::new(args.account.client(signer).await?);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}; is the port taken? try --listen 127.0.0.1:0", args.listen))?;
    let mut interrupt = crate::interrupt::Interrupt::install()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let cors = floe_serve::Cors::from_origins(&args.cors_origins).context("--cors-origin")?;
    let settings = DaemonSettings {
        max_body: args.max_body_size,
        publisher: !args.aggregator_only,
        aggregator: true,
        access,
        cors,
        tls,
        ..DaemonSettings::default()
    };
    let daemon = floe_client::daemon::serve(listener, client, settings, async move {
        let _ = stopped.await;
    })?;
    output.emit(&DaemonStarted { url: daemon.url(), publisher: !args.aggregator_only, requires_token })?;
    let result = interrupt.wait().await;
    let _ = stop.send(());
    daemon.task.await.context("the daemon task failed")??;
    result
}

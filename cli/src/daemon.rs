//! `floe daemon`: the publisher and aggregator HTTP API until Ctrl-C.

use std::{fmt, net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use floe_client::{daemon::DaemonSettings, settings::DEFAULT_MAX_PUBLISH_BODY};
use serde::Serialize;

use crate::{Output, account::AccountArgs};

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
    /// A web origin (`https://app.example`) whose pages may call this daemon from a browser;
    /// repeat for several, `*` for any. Without it browsers refuse cross-origin answers.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
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
}

impl fmt::Display for DaemonStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "floe daemon serving at {}", self.url)?;
        writeln!(f, "aggregator: GET {}/v1/blobs/<blob id>", self.url)?;
        if self.publisher {
            writeln!(f, "publisher:  PUT {}/v1/blobs?epochs=N", self.url)?;
        }
        write!(f, "press Ctrl-C to stop")
    }
}

/// Serves until Ctrl-C.
pub async fn run(args: &DaemonArgs, output: Output) -> anyhow::Result<()> {
    let signer = if args.aggregator_only { None } else { Some(args.account.required_signer()?) };
    let client = Arc::new(args.account.client(signer).await?);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}; is the port taken? try --listen 127.0.0.1:0", args.listen))?;
    let mut interrupt = crate::interrupt::Interrupt::install()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let cors = floe_serve::Cors::from_origins(&args.cors_origins).context("--cors-origin")?;
    let settings =
        DaemonSettings { max_body: args.max_body_size, publisher: !args.aggregator_only, aggregator: true, cors };
    let daemon = floe_client::daemon::serve(listener, client, settings, async move {
        let _ = stopped.await;
    })?;
    output.emit(&DaemonStarted { url: daemon.url(), publisher: !args.aggregator_only })?;
    let result = interrupt.wait().await;
    let _ = stop.send(());
    daemon.task.await.context("the daemon task failed")??;
    result
}

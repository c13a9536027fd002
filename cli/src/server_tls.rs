//! `--tls-cert FILE --tls-key FILE` or `--plain-http`: how `floe daemon`, `floe indexer` and
//! `floe keyserver` serve. TLS takes a PEM certificate (chain) and its private key, CA-signed or
//! self-signed; plain HTTP must be asked for, so a server never ends up unencrypted by omission.

use std::path::PathBuf;

use anyhow::Context as _;
use floe_serve::TlsIdentity;

/// A server's TLS flags.
#[derive(Debug, Clone, clap::Args)]
pub struct TlsArgs {
    /// The server's certificate (PEM; a chain starts with the server's own).
    #[arg(long, value_name = "FILE", requires = "tls_key", conflicts_with = "plain_http")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP instead of TLS (a local network, or behind a TLS-terminating proxy).
    #[arg(long)]
    pub plain_http: bool,
}

impl TlsArgs {
    /// The identity to serve TLS with; `None` for `--plain-http`.
    pub fn identity(&self) -> anyhow::Result<Option<TlsIdentity>> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => TlsIdentity::from_pem_files(cert, key).map(Some).context("--tls-cert/--tls-key"),
            _ if self.plain_http => Ok(None),
            _ => anyhow::bail!(
                "give --tls-cert FILE --tls-key FILE to serve TLS, or --plain-http to serve unencrypted HTTP"
            ),
        }
    }

    /// `https` or `http`, as the flags choose.
    pub fn scheme(&self) -> &'static str {
        if self.tls_cert.is_some() { "https" } else { "http" }
    }
}

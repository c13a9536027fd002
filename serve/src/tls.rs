//! TLS for floe's servers: a server identity (certificate chain and private key) that
//! [`crate::serve_with`] terminates TLS with (rustls with the ring provider, TLS 1.2 and 1.3,
//! HTTP/2 or HTTP/1.1 over ALPN).
//!
//! Two ways to get one:
//! - [`TlsIdentity::self_signed`]: a self-signed certificate for a key the caller holds. Storage
//!   nodes use their network key: its public half is on chain, so clients pin it and the lack of
//!   a CA signature costs nothing.
//! - [`TlsIdentity::from_pem_files`]: a certificate and key from PEM files (`--tls-cert`,
//!   `--tls-key` of the publisher, the indexer and the key servers), CA-signed or self-signed;
//!   [`self_signed_pem`] writes a self-signed pair for a local network.
//!
//! ```
//! use floe_serve::tls::{TlsIdentity, self_signed_pem};
//!
//! let (certificate, key) = self_signed_pem(&["localhost".to_owned()]).unwrap();
//! let identity = TlsIdentity::from_pem(&certificate, &key).unwrap();
//! assert_eq!(identity.certificate_chain().len(), 1);
//! assert!(TlsIdentity::from_pem(&certificate, "not a key").is_err());
//! ```

use std::{fmt, path::Path, sync::Arc};

use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, pem::PemObject};

/// Why a TLS identity could not be made or loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A PEM text holds no certificate or no private key, or is malformed.
    #[error("{what}: {source}")]
    Pem {
        /// What was being read (`certificate`, `private key`, a file name).
        what: String,
        /// The PEM parser's error.
        #[source]
        source: rustls_pki_types::pem::Error,
    },
    /// The certificate could not be made.
    #[error("making a self-signed certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the certificate and key (a key that does not match the certificate, or of
    /// an unsupported type).
    #[error("the certificate and key cannot serve TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A server's TLS identity, ready to accept connections. Cheap to clone.
#[derive(Clone)]
pub struct TlsIdentity {
    config: Arc<ServerConfig>,
    chain: Vec<CertificateDer<'static>>,
}

impl TlsIdentity {
    /// A self-signed certificate for the PKCS#8 DER private key `pkcs8` (Ed25519, ECDSA P-256 or
    /// P-384), naming `names` (host names or IP addresses) as its subject alternative names.
    pub fn self_signed(pkcs8: &[u8], names: &[String]) -> Result<Self, TlsError> {
        let key = rcgen::KeyPair::try_from(pkcs8)?;
        let certificate = rcgen::CertificateParams::new(names.to_vec())?.self_signed(&key)?;
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8.to_vec()));
        Self::new(vec![certificate.der().clone()], private)
    }

    /// A certificate chain and private key in PEM (the chain's first certificate is the
    /// server's).
    pub fn from_pem(certificate_pem: &str, key_pem: &str) -> Result<Self, TlsError> {
        let chain = CertificateDer::pem_slice_iter(certificate_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| TlsError::Pem { what: "certificate".into(), source })?;
        if chain.is_empty() {
            return Err(TlsError::Pem {
                what: "certificate".into(),
                source: rustls_pki_types::pem::Error::NoItemsFound,
            });
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|source| TlsError::Pem { what: "private key".into(), source })?;
        Self::new(chain, key)
    }

    /// [`TlsIdentity::from_pem`] from two files.
    pub fn from_pem_files(certificate: &Path, key: &Path) -> Result<Self, TlsError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| TlsError::Read { path: path.display().to_string(), source })
        };
        let (certificate_pem, key_pem) = (read(certificate)?, read(key)?);
        Self::from_pem(&certificate_pem, &key_pem).map_err(|error| match error {
            TlsError::Pem { what, source } => {
                let file = if what == "certificate" { certificate } else { key };
                TlsError::Pem { what: format!("{what} in {}", file.display()), source }
            }
            other => other,
        })
    }

    fn new(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<Self, TlsError> {
        let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain.clone(), key)?;
        // HTTP/2 for the clients that offer it (one connection for all of a client's requests at
        // once), HTTP/1.1 for the rest.
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self { config: Arc::new(config), chain })
    }

    /// The certificate chain served, the server's own first.
    pub fn certificate_chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.config.clone())
    }
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity").field("certificates", &self.chain.len()).finish_non_exhaustive()
    }
}

impl PartialEq for TlsIdentity {
    fn eq(&self, other: &Self) -> bool {
        self.chain == other.chain
    }
}

impl Eq for TlsIdentity {}

/// A fresh ECDSA P-256 key and a self-signed certificate for `names`, both in PEM: for a local
/// network's publisher, indexer and key servers (P-256 rather than Ed25519, as browsers accept
/// only the former).
pub fn self_signed_pem(names: &[String]) -> Result<(String, String), TlsError> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let certificate = rcgen::CertificateParams::new(names.to_vec())?.self_signed(&key)?;
    Ok((certificate.pem(), key.serialize_pem()))
}

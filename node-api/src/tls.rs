//! https to storage nodes with their keys pinned from the chain. Each node publishes the Ed25519
//! key of its TLS certificate with its address (`StakingPool.network_public_key`); a client of
//! the node accepts exactly a certificate carrying that key, whoever signed it, and still checks
//! the handshake signature, so only the holder of the key can answer. A server presenting
//! another key fails the handshake with [`WrongNodeKey`], which [`crate::NodeClient`] reports as
//! [`crate::NodeApiError::WrongTlsKey`].
//!
//! One HTTP client per pinned key, shared by every [`crate::NodeClient`] of the process (its
//! connection pool serves every request to that node). It speaks HTTP/2 where the node offers it
//! (ALPN): then one connection carries all of the process's requests to the node at once, where
//! HTTP/1.1 opens one per request in flight, each with its handshake.
//!
//! ```
//! use floe_encoder::network_key::NetworkKeyPair;
//! use floe_node_api::tls::pinned_http_client;
//!
//! let key = NetworkKeyPair::from_seed([1; 32]).public_key();
//! let client = pinned_http_client(&key);
//! // The same key gets the same client (and connection pool).
//! let _again = pinned_http_client(&key);
//! # drop(client);
//! ```

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use floe_encoder::network_key::NetworkPublicKey;
use rustls::{
    CertificateError, DigitallySignedStruct, OtherError, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::{CryptoProvider, WebPkiSupportedAlgorithms},
    pki_types::{CertificateDer, ServerName, UnixTime},
};

/// The server's certificate carries another key than the one the chain lists for the node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the node's TLS certificate carries {}, the chain lists {expected}", presented.map_or_else(|| "no Ed25519 key".to_owned(), |key| format!("key {key}")))]
pub struct WrongNodeKey {
    /// The key on chain.
    pub expected: NetworkPublicKey,
    /// The key the server presented (`None`: not an Ed25519 key).
    pub presented: Option<NetworkPublicKey>,
}

/// Accepts exactly the certificate whose public key is the pinned one.
#[derive(Debug)]
struct PinnedKey {
    key: NetworkPublicKey,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedKey {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The identity is the key on chain: names, issuers and dates of a self-signed
        // certificate add nothing to it.
        let certificate = webpki::EndEntityCert::try_from(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let spki = certificate.subject_public_key_info();
        let presented = NetworkPublicKey::from_spki_der(spki.as_ref());
        if presented == Some(self.key) {
            Ok(ServerCertVerified::assertion())
        } else {
            let wrong = WrongNodeKey { expected: self.key, presented };
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(wrong)))))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // Node keys are Ed25519.
        vec![SignatureScheme::ED25519]
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS client configuration that trusts exactly the server holding `key`.
pub fn pinned_tls_config(key: &NetworkPublicKey) -> rustls::ClientConfig {
    let provider = provider();
    let verifier = PinnedKey { key: *key, algorithms: provider.signature_verification_algorithms };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // HTTP/2 first: one connection carries every request to the node at once (on HTTP/1.1 each
    // request in flight is a connection of its own, with its handshake).
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

/// How much of its answers a node may send over HTTP/2 before the client tells it to go on, per
/// request and per connection, and its largest frame. A read asks a node for up to 8 slivers at
/// once over one connection, each up to some MiB: hyper's defaults (2 MiB per request, 5 MiB per
/// connection, 16 KiB frames) would hold a node's answers to a few MiB per round trip. The
/// node's server offers the same for uploads (`floe_serve::HTTP2_WINDOWS`).
const ANSWER_STREAM_WINDOW: u32 = 4 << 20;
const ANSWER_CONNECTION_WINDOW: u32 = 16 << 20;
const ANSWER_FRAME: u32 = (1 << 20) - 1;

/// How long the client keeps an idle connection to a node: less than the node's own 10 s
/// (floe-serve's header read timeout, after which it closes an idle connection), so that a
/// request is not sent on a connection the node is closing at that moment.
pub const POOL_IDLE: std::time::Duration = std::time::Duration::from_secs(5);

/// The process's HTTP client for the node holding `key` (made on first use).
pub fn pinned_http_client(key: &NetworkPublicKey) -> reqwest::Client {
    static CLIENTS: OnceLock<Mutex<HashMap<NetworkPublicKey, reqwest::Client>>> = OnceLock::new();
    let mut clients = CLIENTS.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    clients
        .entry(*key)
        .or_insert_with(|| {
            reqwest::Client::builder()
                .use_preconfigured_tls(pinned_tls_config(key))
                .http2_initial_stream_window_size(ANSWER_STREAM_WINDOW)
                .http2_initial_connection_window_size(ANSWER_CONNECTION_WINDOW)
                .http2_max_frame_size(ANSWER_FRAME)
                .pool_idle_timeout(POOL_IDLE)
                .build()
                .expect("a client with a rustls configuration builds")
        })
        .clone()
}

/// The [`WrongNodeKey`] behind a failed request, if a pinned handshake is what failed.
pub(crate) fn wrong_key_in(error: &(dyn std::error::Error + 'static)) -> Option<WrongNodeKey> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(rustls::Error::InvalidCertificate(CertificateError::Other(other))) =
            error.downcast_ref::<rustls::Error>()
            && let Some(wrong) = other.0.downcast_ref::<WrongNodeKey>()
        {
            return Some(wrong.clone());
        }
        // io::Error hides its payload from `source`; look inside it.
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(wrong) = wrong_key_in(inner)
        {
            return Some(wrong);
        }
        current = error.source();
    }
    None
}

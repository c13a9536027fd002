//! The HTTP service: `GET /v1/service`, `POST /v1/fetch_key`, `GET /health`.
//!
//! A fetch is checked in order of cost: the SDK headers, body and PTB shape, whether this server
//! holds a key for the PTB's package (permissioned mode), the session certificate over that
//! package and the request signature (pure CPU), then the per-user rate limit, then the chain
//! (staleness of the server's view, then the policy simulation). Only when the simulation succeeds are user keys
//! derived, and they leave the server only encrypted to the request's ephemeral key.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use floe_chain::ChainClient;
use floe_seal::curve::{G1_LENGTH, G2_LENGTH};
use floe_seal::{EphemeralPublicKey, EphemeralVerificationKey, Identity, MasterKey};
use floe_serve::Cors;
use serde::Deserialize;
use sui_sdk_types::{Address, Ed25519Signature, ProgrammableTransaction};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::{
    DecryptionKey, FETCH_KEY_PATH, FetchKeyRequest, FetchKeyResponse, KEY_SERVER_VERSION, KEY_SERVER_VERSION_HEADER,
    MIN_TYPESCRIPT_SDK_VERSION, REQUEST_ID_HEADER, RUST_SDK_TYPE, SDK_TYPE_HEADER, SDK_VERSION_HEADER, SERVICE_PATH,
    ServiceResponse, TYPESCRIPT_SDK_TYPE, parse_version,
};
use crate::error::RequestError;
use crate::freshness::{ChainView, now_ms};
use crate::limits::{
    DEFAULT_IP_RATE_BURST, DEFAULT_IP_RATE_PER_SECOND, DEFAULT_MAX_STALENESS, DEFAULT_RATE_BURST,
    DEFAULT_RATE_PER_SECOND, MAX_REQUEST_BYTES,
};
use crate::mode::{ServedKey, ServerMode};
use crate::policy;
use crate::ptb::check_ptb;
use crate::rate_limit::RateLimiter;

/// How a key server runs.
#[derive(Clone)]
pub struct KeyServerConfig {
    /// Which keys it holds and which packages each serves.
    pub mode: ServerMode,
    /// The full node to simulate policies on.
    pub chain: ChainClient,
    /// Refuse requests while the newest checkpoint seen is older than this.
    pub max_staleness: Duration,
    /// Sustained requests per second per user.
    pub rate_per_second: u32,
    /// Burst per user.
    pub rate_burst: u32,
    /// Sustained requests per second per client IP address.
    pub ip_rate_per_second: u32,
    /// Burst per client IP address.
    pub ip_rate_burst: u32,
    /// Which web origins browsers may call it from (none by default).
    pub cors: Cors,
    /// The certificate it serves TLS with; `None` serves plain HTTP.
    pub tls: Option<floe_serve::TlsIdentity>,
}

impl std::fmt::Debug for KeyServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // ServerMode prints object ids only, never master keys.
        f.debug_struct("KeyServerConfig")
            .field("mode", &self.mode)
            .field("chain", &self.chain)
            .field("max_staleness", &self.max_staleness)
            .field("rate_per_second", &self.rate_per_second)
            .field("rate_burst", &self.rate_burst)
            .field("ip_rate_per_second", &self.ip_rate_per_second)
            .field("ip_rate_burst", &self.ip_rate_burst)
            .field("cors", &self.cors)
            .finish()
    }
}

impl KeyServerConfig {
    /// An open server (one key for every package) with the default staleness bound and rate
    /// limits, and no CORS.
    pub fn new(master_key: MasterKey, object_id: Address, chain: ChainClient) -> Self {
        Self::with_mode(ServerMode::Open(ServedKey { master_key, object_id }), chain)
    }

    /// A server in `mode` with the default staleness bound and rate limits, and no CORS.
    pub fn with_mode(mode: ServerMode, chain: ChainClient) -> Self {
        Self {
            mode,
            chain,
            max_staleness: DEFAULT_MAX_STALENESS,
            rate_per_second: DEFAULT_RATE_PER_SECOND,
            rate_burst: DEFAULT_RATE_BURST,
            ip_rate_per_second: DEFAULT_IP_RATE_PER_SECOND,
            ip_rate_burst: DEFAULT_IP_RATE_BURST,
            cors: Cors::default(),
            tls: None,
        }
    }
}

struct ServerState {
    mode: ServerMode,
    chain: ChainClient,
    view: Arc<ChainView>,
    max_staleness: Duration,
    limiter: RateLimiter<Address>,
    ip_limiter: RateLimiter<IpAddr>,
}

/// A running key server.
#[derive(Debug)]
pub struct KeyServer {
    addr: SocketAddr,
    tls: bool,
    closing: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    watcher: JoinHandle<()>,
}

impl KeyServer {
    /// Serves on `listener` until [`KeyServer::shutdown`]. Starts following the chain at once;
    /// requests are answered once a fresh checkpoint has been read.
    pub fn serve(listener: TcpListener, config: KeyServerConfig) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let (view, watcher) = ChainView::watch(config.chain.clone());
        let state = Arc::new(ServerState {
            mode: config.mode,
            chain: config.chain,
            view,
            max_staleness: config.max_staleness,
            limiter: RateLimiter::new(config.rate_per_second, config.rate_burst),
            ip_limiter: RateLimiter::new(config.ip_rate_per_second, config.ip_rate_burst),
        });
        let app = Router::new()
            .route(SERVICE_PATH, get(service))
            .route(FETCH_KEY_PATH, post(fetch_key))
            .route("/health", get(|| async { "ok" }))
            .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
            // Every answer names the protocol version; Seal's SDK refuses answers without it.
            .layer(axum::middleware::map_response(|mut response: Response| async move {
                response.headers_mut().insert(KEY_SERVER_VERSION_HEADER, HeaderValue::from_static(KEY_SERVER_VERSION));
                response
            }))
            .with_state(state);
        let (closing, mut closing_rx) = watch::channel(false);
        let tls = config.tls.is_some();
        let options = floe_serve::ServeOptions {
            limits: floe_serve::ServeLimits::with_max_body(MAX_REQUEST_BYTES as u64),
            cors: config.cors,
            tls: config.tls,
        };
        let server = tokio::spawn(async move {
            // floe-serve's timeouts, connection limit and CORS; rejections become JSON errors.
            floe_serve::serve_with(listener, app, options, async move {
                let _ = closing_rx.wait_for(|c| *c).await;
            })
            .await
        });
        tracing::info!(%addr, "key server serving");
        Ok(Self { addr, tls, closing, server, watcher })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `https://127.0.0.1:port` (`http://` when serving plain HTTP).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops serving and waits for the server to finish.
    pub async fn shutdown(self) {
        let _ = self.closing.send(true);
        self.watcher.abort();
        if let Ok(Err(e)) = self.server.await {
            tracing::warn!(error = %e, "key server ended with an error");
        }
    }
}

/// The query of `GET /v1/service`.
#[derive(Debug, Deserialize)]
struct ServiceQuery {
    service_id: Option<String>,
}

async fn service(
    State(state): State<Arc<ServerState>>,
    Query(query): Query<ServiceQuery>,
) -> Result<Json<ServiceResponse>, RequestError> {
    let service_id = query
        .service_id
        .map(|text| {
            text.parse::<Address>()
                .map_err(|e| RequestError::Malformed(format!("service_id {text:?} is not an object id: {e}")))
        })
        .transpose()?;
    let key = state.mode.key_for_service(service_id)?;
    let pop = key.master_key.proof_of_possession(key.object_id.as_bytes());
    Ok(Json(ServiceResponse { service_id: key.object_id, pop: BASE64.encode(pop.to_bytes()) }))
}

/// Checks the SDK headers of a key request: a version `x.y.z` is required; Seal's TypeScript SDK
/// must be at least [`MIN_TYPESCRIPT_SDK_VERSION`]; the type, when given, is one floe knows.
fn check_sdk_headers(headers: &HeaderMap) -> Result<(), RequestError> {
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or_default().to_owned());
    let version_text = text(SDK_VERSION_HEADER).ok_or_else(|| {
        RequestError::InvalidSdkVersion(format!("the {SDK_VERSION_HEADER} header (x.y.z) is required"))
    })?;
    let version = parse_version(&version_text).ok_or_else(|| {
        RequestError::InvalidSdkVersion(format!("{SDK_VERSION_HEADER} {version_text:?} is not a version x.y.z"))
    })?;
    match text(SDK_TYPE_HEADER).as_deref() {
        None | Some(TYPESCRIPT_SDK_TYPE) if version < MIN_TYPESCRIPT_SDK_VERSION => {
            let (a, b, c) = MIN_TYPESCRIPT_SDK_VERSION;
            Err(RequestError::DeprecatedSdk { found: version_text, minimum: format!("{a}.{b}.{c}") })
        }
        None | Some(TYPESCRIPT_SDK_TYPE) | Some(RUST_SDK_TYPE) => Ok(()),
        Some(other) => Err(RequestError::InvalidSdkType(other.to_owned())),
    }
}

async fn fetch_key(
    State(state): State<Arc<ServerState>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<FetchKeyResponse>, RequestError> {
    // floe-serve names the peer of every connection; without it (a router served some other
    // way) only the per-user limit applies.
    if let Some(Extension(ConnectInfo(peer))) = peer {
        let ip = peer.ip();
        if !state.ip_limiter.allow(ip, Instant::now()) {
            return Err(RequestError::IpRateLimited {
                ip,
                per_second: state.ip_limiter.per_second(),
                burst: state.ip_limiter.burst(),
            });
        }
    }
    check_sdk_headers(&headers)?;
    let (request, checked) = parse_request(&body)?;
    // The package is the one the PTB calls; a permissioned server refuses others before any
    // signature is checked or the chain asked.
    let key = state.mode.key_for_package(checked.package)?;
    let user = request.certificate.user;
    let now = now_ms();
    verify_session(&request, &checked, now)?;
    if !state.limiter.allow(user, Instant::now()) {
        return Err(RequestError::RateLimited {
            user,
            per_second: state.limiter.per_second(),
            burst: state.limiter.burst(),
        });
    }
    let observed = state.view.fresh(now, state.max_staleness)?;
    policy::evaluate(&state.chain, checked.ptb, user, observed.gas_price).await?;

    let package = checked.package;
    let mut rng = rand::thread_rng();
    let decryption_keys = checked
        .ids
        .into_iter()
        .map(|inner| {
            let full_id = Identity::new(package, inner).full_id();
            let user_key = key.master_key.derive_user_key(&full_id);
            let [ephemeral, masked] = checked.enc_key.encrypt(&mut rng, &user_key).to_bytes();
            DecryptionKey { id: full_id, encrypted_key: [BASE64.encode(ephemeral), BASE64.encode(masked)] }
        })
        .collect();
    let request_id = headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::debug!(%user, server = %key.object_id, request_id, checkpoint = observed.checkpoint, "released keys");
    Ok(Json(FetchKeyResponse { decryption_keys }))
}

/// Checks a `fetch_key` body as the server does before it asks the chain anything: the JSON
/// shape, every encoding, the PTB's shape, the session certificate (at time `now_ms`) and the
/// request signature. The first error is what the server would answer (4xx).
pub fn check_fetch_key_body(body: &[u8], now_ms: u64) -> Result<(), RequestError> {
    let (request, checked) = parse_request(body)?;
    verify_session(&request, &checked, now_ms)
}

/// The body as a request whose encodings and PTB shape are valid.
fn parse_request(body: &[u8]) -> Result<(FetchKeyRequest, CheckedRequest), RequestError> {
    let request: FetchKeyRequest = serde_json::from_slice(body)
        .map_err(|e| RequestError::Malformed(format!("body is not a fetch_key request: {e}")))?;
    let checked = CheckedRequest::parse(&request)?;
    Ok((request, checked))
}

/// The session certificate (valid at `now`, for the PTB's package) and the request's signature.
fn verify_session(request: &FetchKeyRequest, checked: &CheckedRequest, now: u64) -> Result<(), RequestError> {
    request.certificate.verify(checked.package, now).map_err(RequestError::from_certificate)?;
    request
        .certificate
        .verify_request(&checked.ptb_bytes, &checked.enc_key_bytes, &checked.enc_vk_bytes, &checked.signature)
        .map_err(RequestError::InvalidSessionSignature)
}

/// A request whose encodings and PTB shape are valid.
struct CheckedRequest {
    ptb: ProgrammableTransaction,
    ptb_bytes: Vec<u8>,
    package: Address,
    ids: Vec<Vec<u8>>,
    enc_key: EphemeralPublicKey,
    enc_key_bytes: Vec<u8>,
    enc_vk_bytes: Vec<u8>,
    signature: Ed25519Signature,
}

fn base64_field(field: &str, text: &str) -> Result<Vec<u8>, RequestError> {
    BASE64.decode(text).map_err(|e| RequestError::Malformed(format!("{field} is not base64: {e}")))
}

fn fixed<const N: usize>(field: &str, bytes: &[u8]) -> Result<[u8; N], RequestError> {
    bytes.try_into().map_err(|_| RequestError::Malformed(format!("{field} has {} bytes, expected {N}", bytes.len())))
}

impl CheckedRequest {
    fn parse(request: &FetchKeyRequest) -> Result<Self, RequestError> {
        let ptb_bytes = base64_field("ptb", &request.ptb)?;
        let ptb: ProgrammableTransaction = bcs::from_bytes(&ptb_bytes)
            .map_err(|e| RequestError::Malformed(format!("ptb is not a BCS ProgrammableTransaction: {e}")))?;
        let shape = check_ptb(&ptb)?;
        let enc_key_bytes = base64_field("enc_key", &request.enc_key)?;
        let enc_key = EphemeralPublicKey::from_bytes(&fixed::<G1_LENGTH>("enc_key", &enc_key_bytes)?)
            .map_err(|e| RequestError::Malformed(format!("enc_key: {e}")))?;
        let enc_vk_bytes = base64_field("enc_verification_key", &request.enc_verification_key)?;
        EphemeralVerificationKey::from_bytes(&fixed::<G2_LENGTH>("enc_verification_key", &enc_vk_bytes)?)
            .map_err(|e| RequestError::Malformed(format!("enc_verification_key: {e}")))?;
        let signature_bytes = base64_field("request_signature", &request.request_signature)?;
        let signature = Ed25519Signature::new(fixed::<64>("request_signature", &signature_bytes)?);
        Ok(Self {
            ptb,
            ptb_bytes,
            package: shape.package,
            ids: shape.ids,
            enc_key,
            enc_key_bytes,
            enc_vk_bytes,
            signature,
        })
    }
}

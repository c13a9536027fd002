//! The client side: ask t-of-n key servers for the user keys of the ids a PTB approves, in
//! parallel, stopping as soon as `threshold` servers answered; verify every key against its
//! server's public key (a pairing check) before using it; then decrypt.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use floe_chain::floe::seal::{KEY_SERVER_VERSION, KeyServer as KeyServerObject, KeyServerField};
use floe_chain::{ChainClient, ClientError};
use floe_seal::curve::{G1_LENGTH, G2_LENGTH};
use floe_seal::session::SessionKey;
use floe_seal::{EncryptedObject, EncryptedUserKey, EphemeralSecret, Identity, PublicKey, UserKeys, decrypt};
use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use sui_sdk_types::{Address, ProgrammableTransaction};

use crate::api::{
    ErrorResponse, FETCH_KEY_PATH, FetchKeyRequest, FetchKeyResponse, KEY_SERVER_VERSION_HEADER, RUST_SDK_TYPE,
    SDK_TYPE_HEADER, SDK_VERSION_HEADER, SERVICE_PATH, ServiceResponse, parse_version,
};
use crate::limits::CLIENT_TIMEOUT;
use crate::ptb::{PtbError, check_ptb};

/// A key server as a client knows it, from its on-chain `KeyServer` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyServerInfo {
    /// The `KeyServer` object id (the server's id in encrypted objects).
    pub object_id: Address,
    /// Where it answers.
    pub url: String,
    /// Its IBE master public key.
    pub public_key: PublicKey,
}

/// One server that did not deliver.
#[derive(Debug)]
pub struct ServerFailure {
    /// The server's URL.
    pub url: String,
    /// What went wrong (its status and error message, or the transport error).
    pub reason: ServerProblem,
}

/// What was wrong with a key server: its registration, its answer, or the way to it.
#[derive(Debug, thiserror::Error)]
pub enum ServerProblem {
    /// A check of this client failed; the text names it and the values involved.
    #[error("{0}")]
    Described(String),
    /// Its registration could not be read from the chain.
    #[error(transparent)]
    Chain(#[from] ClientError),
    /// Its registration on chain is not the Move struct expected.
    #[error("{what}: {source}")]
    Bcs {
        /// What the bytes should have been.
        what: &'static str,
        /// Why they are not.
        #[source]
        source: bcs::Error,
    },
    /// The request to it failed.
    #[error("{what}: {source}")]
    Http {
        /// Which step.
        what: &'static str,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// Its answer is not the JSON expected.
    #[error("{what}: {source}")]
    Json {
        /// Which answer.
        what: &'static str,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// A base64 field of its answer does not decode.
    #[error("{what}: {source}")]
    Base64 {
        /// Which field.
        what: &'static str,
        /// Why it does not decode.
        #[source]
        source: base64::DecodeError,
    },
    /// A key or proof it registered or sent does not decode or verify.
    #[error(transparent)]
    Seal(#[from] floe_seal::SealError),
}

impl From<String> for ServerProblem {
    fn from(text: String) -> Self {
        Self::Described(text)
    }
}

/// Why keys could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The threshold is 0 or above the number of servers.
    #[error("threshold {threshold} is invalid for {servers} key servers")]
    InvalidThreshold {
        /// The threshold asked for.
        threshold: usize,
        /// The servers given.
        servers: usize,
    },
    /// The PTB is not a key request (checked before anything is sent).
    #[error("the PTB is not a key request: {0}")]
    Ptb(#[from] PtbError),
    /// Too many servers refused or failed.
    #[error(
        "only {answered} of {servers} key servers released valid keys, {threshold} needed: {}",
        describe(.failures)
    )]
    NotEnoughServers {
        /// Servers that released valid keys.
        answered: usize,
        /// Servers asked.
        servers: usize,
        /// The threshold.
        threshold: usize,
        /// Each failure.
        failures: Vec<ServerFailure>,
    },
    /// The object names a key server the caller did not supply.
    #[error("the object is encrypted to key server {0}, which is not in the given list")]
    UnknownServer(Address),
    /// A server's registration could not be read or is malformed.
    #[error("key server {object_id}: {reason}")]
    Registration {
        /// The `KeyServer` object.
        object_id: Address,
        /// What was wrong.
        #[source]
        reason: ServerProblem,
    },
    /// Combining the keys or the data decryption failed.
    #[error(transparent)]
    Decrypt(#[from] floe_seal::SealError),
}

fn describe(failures: &[ServerFailure]) -> String {
    failures.iter().map(|f| format!("{}: {}", f.url, f.reason)).collect::<Vec<_>>().join("; ")
}

/// The user keys fetched, by full identity, each with the keys of the servers that answered.
#[derive(Debug, Clone, Default)]
pub struct FetchedKeys(BTreeMap<Vec<u8>, UserKeys>);

impl FetchedKeys {
    /// The keys for one identity, usable with [`floe_seal::decrypt`].
    pub fn for_identity(&self, identity: &Identity) -> Option<&UserKeys> {
        self.0.get(&identity.full_id())
    }

    /// How many identities have keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no identity has keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl KeyServerInfo {
    /// Reads a server's registration from the chain: the `KeyServer` object, then the details
    /// of the layout version floe writes (2), as Seal's SDK reads them.
    pub async fn from_chain(chain: &ChainClient, object_id: Address) -> Result<Self, FetchError> {
        let registration = |reason: ServerProblem| FetchError::Registration { object_id, reason };
        let read = |id: Address| async move {
            let object = chain.get_object(id).await?;
            object
                .as_struct()
                .map(|s| s.contents().to_vec())
                .ok_or_else(|| ServerProblem::Described("not a Move object".to_owned()))
        };
        let server: KeyServerObject = bcs::from_bytes(&read(object_id).await.map_err(registration)?)
            .map_err(|source| registration(ServerProblem::Bcs { what: "not a KeyServer", source }))?;
        if !(server.first_version..=server.last_version).contains(&KEY_SERVER_VERSION) {
            return Err(registration(
                format!(
                    "carries layout versions {}..={}, not {KEY_SERVER_VERSION}",
                    server.first_version, server.last_version
                )
                .into(),
            ));
        }
        let field: KeyServerField =
            bcs::from_bytes(&read(server.details_id(KEY_SERVER_VERSION)).await.map_err(registration)?)
                .map_err(|source| registration(ServerProblem::Bcs { what: "details are not a KeyServerV2", source }))?;
        let details = field.value;
        if details.key_type != 0 {
            return Err(registration(
                format!("key type {} is not Boneh-Franklin BLS12-381 (0)", details.key_type).into(),
            ));
        }
        let bytes: [u8; G2_LENGTH] = details
            .pk
            .as_slice()
            .try_into()
            .map_err(|_| registration(format!("public key has {} bytes", details.pk.len()).into()))?;
        let public_key = PublicKey::from_bytes(&bytes).map_err(|e| registration(e.into()))?;
        Ok(Self { object_id, url: details.url().to_owned(), public_key })
    }

    /// Asks the server for its proof of possession and checks it against the registered public
    /// key, so a registration pointing at someone else's URL is caught.
    pub async fn verify_service(&self, http: &reqwest::Client) -> Result<(), FetchError> {
        let registration = |reason: ServerProblem| FetchError::Registration { object_id: self.object_id, reason };
        let answer = with_sdk_headers(http.get(format!("{}{SERVICE_PATH}?service_id={}", self.url, self.object_id)))
            .send()
            .await
            .map_err(|source| registration(ServerProblem::Http { what: "GET /v1/service", source }))?;
        check_server_version(answer.headers()).map_err(|e| registration(e.into()))?;
        let body = answer
            .bytes()
            .await
            .map_err(|source| registration(ServerProblem::Http { what: "reading the /v1/service answer", source }))?;
        let service: ServiceResponse = serde_json::from_slice(&body)
            .map_err(|source| registration(ServerProblem::Json { what: "bad /v1/service answer", source }))?;
        if service.service_id != self.object_id {
            return Err(registration(format!("the server says it is {}", service.service_id).into()));
        }
        let pop = BASE64
            .decode(&service.pop)
            .map_err(|source| registration(ServerProblem::Base64 { what: "proof of possession", source }))?;
        let pop: [u8; G1_LENGTH] =
            pop.as_slice().try_into().map_err(|_| registration(format!("proof has {} bytes", pop.len()).into()))?;
        let pop = floe_seal::ProofOfPossession::from_bytes(&pop).map_err(|e| registration(e.into()))?;
        self.public_key.verify_proof_of_possession(self.object_id.as_bytes(), &pop).map_err(|e| registration(e.into()))
    }
}

/// Fetches the user keys for every id `ptb` asks for from `threshold` of `servers`, asking all
/// in parallel and dropping the slower requests once `threshold` answered with valid keys.
pub async fn fetch_keys(
    http: &reqwest::Client,
    servers: &[KeyServerInfo],
    threshold: usize,
    session: &SessionKey,
    ptb: &ProgrammableTransaction,
) -> Result<FetchedKeys, FetchError> {
    if threshold == 0 || threshold > servers.len() {
        return Err(FetchError::InvalidThreshold { threshold, servers: servers.len() });
    }
    let request = check_ptb(ptb)?;
    let package = request.package;
    let full_ids: Vec<Vec<u8>> = request.ids.iter().map(|id| Identity::new(package, id.clone()).full_id()).collect();
    let ptb_bytes = bcs::to_bytes(ptb).expect("BCS of a PTB does not fail");

    let mut pending: FuturesUnordered<_> = servers
        .iter()
        .map(|server| {
            let (secret, request) = signed_request(session, &ptb_bytes);
            let full_ids = &full_ids;
            async move {
                fetch_from(http, server, secret, &request, full_ids)
                    .await
                    .map(|keys| (server.object_id, keys))
                    .map_err(|reason| ServerFailure { url: server.url.clone(), reason })
            }
        })
        .collect();
    let mut answered: Vec<(Address, Vec<floe_seal::UserKey>)> = Vec::new();
    let mut failures = Vec::new();
    while let Some(result) = pending.next().await {
        match result {
            Ok(keys) => answered.push(keys),
            Err(failure) => failures.push(failure),
        }
        if answered.len() >= threshold {
            break;
        }
        if servers.len() - failures.len() < threshold {
            return Err(FetchError::NotEnoughServers {
                answered: answered.len(),
                servers: servers.len(),
                threshold,
                failures,
            });
        }
    }
    drop(pending);
    let mut fetched = FetchedKeys::default();
    for (server, keys) in answered {
        for (full_id, key) in full_ids.iter().zip(keys) {
            fetched.0.entry(full_id.clone()).or_default().insert(server, key);
        }
    }
    Ok(fetched)
}

/// Fetches the keys for `object` from its key servers (which must be among `servers`) and
/// decrypts it. `ptb` must approve the object's id.
pub async fn fetch_and_decrypt(
    http: &reqwest::Client,
    servers: &[KeyServerInfo],
    session: &SessionKey,
    ptb: &ProgrammableTransaction,
    object: &EncryptedObject,
) -> Result<Vec<u8>, FetchError> {
    let header = &object.header;
    let mut chosen = Vec::new();
    for (id, _) in &header.services {
        let server = servers.iter().find(|s| s.object_id == *id).ok_or(FetchError::UnknownServer(*id))?;
        if !chosen.contains(server) {
            chosen.push(server.clone());
        }
    }
    let threshold = usize::from(header.threshold).min(chosen.len());
    let keys = fetch_keys(http, &chosen, threshold, session, ptb).await?;
    let identity = Identity::new(header.package_id, header.id.clone());
    let keys = keys.for_identity(&identity).cloned().unwrap_or_default();
    Ok(decrypt(object, &keys)?)
}

/// A fresh ephemeral key and the signed request body for one server.
fn signed_request(session: &SessionKey, ptb_bytes: &[u8]) -> (EphemeralSecret, FetchKeyRequest) {
    let (secret, enc_key, enc_vk) = EphemeralSecret::generate(&mut rand::thread_rng());
    let (enc_key, enc_vk) = (enc_key.to_bytes(), enc_vk.to_bytes());
    let signature = session.sign_request(ptb_bytes, &enc_key, &enc_vk);
    let request = FetchKeyRequest {
        ptb: BASE64.encode(ptb_bytes),
        enc_key: BASE64.encode(enc_key),
        enc_verification_key: BASE64.encode(enc_vk),
        request_signature: BASE64.encode(signature.inner()),
        certificate: session.certificate(),
    };
    (secret, request)
}

/// One server's keys for `full_ids`, in that order, each decrypted and verified.
async fn fetch_from(
    http: &reqwest::Client,
    server: &KeyServerInfo,
    secret: EphemeralSecret,
    request: &FetchKeyRequest,
    full_ids: &[Vec<u8>],
) -> Result<Vec<floe_seal::UserKey>, ServerProblem> {
    let body = serde_json::to_vec(request).expect("requests serialize");
    let answer = with_sdk_headers(http.post(format!("{}{FETCH_KEY_PATH}", server.url)))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|source| ServerProblem::Http { what: "request failed", source })?;
    let status = answer.status();
    let headers = answer.headers().clone();
    let bytes =
        answer.bytes().await.map_err(|source| ServerProblem::Http { what: "reading the answer failed", source })?;
    if !status.is_success() {
        return Err(match serde_json::from_slice::<ErrorResponse>(&bytes) {
            Ok(error) => format!("{status} {}: {}", error.error, error.message),
            Err(_) => format!("{status}: {}", String::from_utf8_lossy(&bytes)),
        }
        .into());
    }
    check_server_version(&headers)?;
    let response: FetchKeyResponse =
        serde_json::from_slice(&bytes).map_err(|source| ServerProblem::Json { what: "malformed answer", source })?;
    let server_id = server.object_id;
    full_ids
        .iter()
        .map(|full_id| {
            let entry = response
                .decryption_keys
                .iter()
                .find(|k| k.id == *full_id)
                .ok_or_else(|| ServerProblem::Described("the answer lacks a key for a requested id".to_owned()))?;
            let point = |text: &str| -> Result<[u8; G1_LENGTH], ServerProblem> {
                let bytes = BASE64
                    .decode(text)
                    .map_err(|source| ServerProblem::Base64 { what: "encrypted key is not base64", source })?;
                bytes.as_slice().try_into().map_err(|_| format!("encrypted key part has {} bytes", bytes.len()).into())
            };
            let encrypted =
                EncryptedUserKey::from_bytes(&[point(&entry.encrypted_key[0])?, point(&entry.encrypted_key[1])?])?;
            Ok(secret.decrypt_and_verify(&encrypted, full_id, &server.public_key, server_id)?)
        })
        .collect()
}

/// A request with the headers every key request carries: floe's SDK type and version, and the
/// per-server timeout.
fn with_sdk_headers(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request
        .timeout(CLIENT_TIMEOUT)
        .header(SDK_TYPE_HEADER, RUST_SDK_TYPE)
        .header(SDK_VERSION_HEADER, env!("CARGO_PKG_VERSION"))
}

/// The oldest key-server protocol version this client speaks (the one with Seal's wire shape).
const MIN_SERVER_VERSION: (u64, u64, u64) = (0, 4, 1);

/// Checks that a successful answer names a protocol version this client speaks, as Seal's SDK
/// does.
fn check_server_version(headers: &reqwest::header::HeaderMap) -> Result<(), String> {
    let text = headers
        .get(KEY_SERVER_VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("the answer has no {KEY_SERVER_VERSION_HEADER} header"))?;
    match parse_version(text) {
        Some(version) if version >= MIN_SERVER_VERSION => Ok(()),
        _ => Err(format!("key server protocol version {text:?} is not supported (at least 0.4.1 is needed)")),
    }
}

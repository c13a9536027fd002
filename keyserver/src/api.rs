//! The JSON bodies of the key server's HTTP API (binary values in standard base64).
//!
//! - `GET /v1/service` → [`ServiceResponse`]: the server's object id and a proof that it holds the
//!   master key behind the public key registered on chain.
//! - `POST /v1/fetch_key` with [`FetchKeyRequest`] → [`FetchKeyResponse`]: one user key per key id,
//!   ElGamal-encrypted to the request's ephemeral key.
//! - Errors → [`ErrorResponse`].

use floe_seal::session::Certificate;
use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

/// `GET /v1/service`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceResponse {
    /// The server's `KeyServer` object id on chain.
    pub service_id: Address,
    /// Proof of possession of the master key, bound to `service_id` (48-byte G1 point).
    pub pop: String,
}

/// `POST /v1/fetch_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchKeyRequest {
    /// BCS of the `ProgrammableTransaction` of `seal_approve*` calls.
    pub ptb: String,
    /// The ephemeral ElGamal encryption key (48-byte G1).
    pub enc_key: String,
    /// Its verification key (96-byte G2).
    pub enc_verification_key: String,
    /// The session key's Ed25519 signature over BCS `(ptb, enc_key, enc_verification_key)`.
    pub request_signature: String,
    /// The session certificate the user's wallet signed.
    pub certificate: Certificate,
}

/// One released key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptionKey {
    /// The full identity: package id ‖ inner id.
    pub id: String,
    /// The user key encrypted to `enc_key`: two 48-byte G1 points.
    pub encrypted_key: [String; 2],
}

/// The answer to `POST /v1/fetch_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchKeyResponse {
    /// One entry per key id of the PTB.
    pub decryption_keys: Vec<DecryptionKey>,
}

/// Every refusal: a stable machine-readable kind and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The kind, e.g. `NoAccess`, `InvalidPtb`, `InvalidCertificate`, `StaleChain`.
    pub error: String,
    /// What was refused and why.
    pub message: String,
}

//! The key server's HTTP API, in Seal's wire shape so that Seal's own SDK (`@mysten/seal`) and
//! floe's client ([`crate::fetch_keys`]) speak the same protocol to it. Binary values are standard
//! base64 unless said otherwise. These types are the one definition both the server and the
//! client serialize.
//!
//! - `GET /v1/service[?service_id=0x…]` → [`ServiceResponse`]: the server's `KeyServer` object id
//!   and a proof of possession of the master key behind the public key registered there. A
//!   permissioned server answers for the client named by `service_id`.
//! - `POST /v1/fetch_key` with [`FetchKeyRequest`] → [`FetchKeyResponse`]: one user key per key id
//!   of the PTB, ElGamal-encrypted to the request's ephemeral key. The package is the one the PTB
//!   calls; the certificate does not name it (the user's signature covers it, in the signed text).
//! - Headers: requests carry [`SDK_VERSION_HEADER`] (required on `fetch_key`: `x.y.z`),
//!   optionally [`SDK_TYPE_HEADER`] and [`REQUEST_ID_HEADER`]; every answer of the service carries
//!   [`KEY_SERVER_VERSION_HEADER`] = [`KEY_SERVER_VERSION`], which Seal's SDK checks.
//! - Errors → [`ErrorResponse`] `{error, message}`, `error` one of Seal's names ([`ErrorKind`]).

use floe_seal::session::Certificate;
use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

/// The route of the proof of possession.
pub const SERVICE_PATH: &str = "/v1/service";
/// The route of key requests.
pub const FETCH_KEY_PATH: &str = "/v1/fetch_key";
/// The answer header naming the key-server protocol version.
pub const KEY_SERVER_VERSION_HEADER: &str = "X-KeyServer-Version";
/// The version of Seal's key-server API floe's servers implement (Seal's SDK requires at least
/// 0.4.1: the versioned `KeyServer` object, `mvr_name` certificates, byte ids in answers).
pub const KEY_SERVER_VERSION: &str = "0.5.0";
/// The request header with the client SDK's version (`x.y.z`).
pub const SDK_VERSION_HEADER: &str = "Client-Sdk-Version";
/// The request header naming the client SDK (`typescript` for Seal's, `rust` for floe's).
pub const SDK_TYPE_HEADER: &str = "Client-Sdk-Type";
/// An optional request id, echoed in the server's logs.
pub const REQUEST_ID_HEADER: &str = "Request-Id";
/// The oldest `@mysten/seal` whose requests the server takes (the first with this wire shape).
pub const MIN_TYPESCRIPT_SDK_VERSION: (u64, u64, u64) = (0, 4, 5);
/// The SDK type floe's own client sends.
pub const RUST_SDK_TYPE: &str = "rust";
/// The SDK type Seal's TypeScript SDK sends.
pub const TYPESCRIPT_SDK_TYPE: &str = "typescript";

/// `GET /v1/service`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceResponse {
    /// The `KeyServer` object id on chain this answer is for.
    pub service_id: Address,
    /// Proof of possession of the master key, bound to the public key and `service_id`
    /// (48-byte G1 point, base64).
    pub pop: String,
}

/// `POST /v1/fetch_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchKeyRequest {
    /// BCS of the `ProgrammableTransaction` of `seal_approve*` calls (a transaction kind's bytes
    /// without its leading tag).
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
    /// The full identity, package id ‖ inner id, as a JSON array of bytes (Seal's shape).
    pub id: Vec<u8>,
    /// The user key encrypted to `enc_key`: two 48-byte G1 points, base64.
    pub encrypted_key: [String; 2],
}

/// The answer to `POST /v1/fetch_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchKeyResponse {
    /// One entry per key id of the PTB.
    pub decryption_keys: Vec<DecryptionKey>,
}

/// Every refusal: a name from Seal's list (which Seal's SDK maps to its error classes) and a
/// sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The kind (see [`ErrorKind`]).
    pub error: String,
    /// What was refused and why.
    pub message: String,
}

/// The error names of Seal's key-server API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The PTB is not a list of `seal_approve*` calls into one package.
    InvalidPtb,
    /// The policy denied access.
    NoAccess,
    /// The certificate is expired, from the future, or too long-lived.
    InvalidCertificate,
    /// The user's signature over the session certificate does not verify.
    InvalidSignature,
    /// The session key's signature over the request does not verify.
    InvalidSessionSignature,
    /// A field is malformed, or the chain could not evaluate the PTB's inputs as given.
    InvalidParameter,
    /// The certificate names an MVR package name, which floe does not resolve.
    InvalidMvrName,
    /// `service_id` names no key served here.
    InvalidServiceId,
    /// A permissioned server holds no key for the package.
    UnsupportedPackageId,
    /// The SDK version header is missing or malformed.
    InvalidSdkVersion,
    /// The SDK type header names an unknown SDK.
    InvalidSdkType,
    /// The SDK is older than the server supports.
    DeprecatedSdkVersion,
    /// The user asked too often (floe's own; Seal leaves rate limits to a gateway).
    RateLimited,
    /// The server cannot judge right now (stale or unreachable chain); retry.
    Failure,
}

impl ErrorKind {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidPtb => "InvalidPTB",
            Self::NoAccess => "NoAccess",
            Self::InvalidCertificate => "InvalidCertificate",
            Self::InvalidSignature => "InvalidSignature",
            Self::InvalidSessionSignature => "InvalidSessionSignature",
            Self::InvalidParameter => "InvalidParameter",
            Self::InvalidMvrName => "InvalidMVRName",
            Self::InvalidServiceId => "InvalidServiceId",
            Self::UnsupportedPackageId => "UnsupportedPackageId",
            Self::InvalidSdkVersion => "InvalidSDKVersion",
            Self::InvalidSdkType => "InvalidSDKType",
            Self::DeprecatedSdkVersion => "DeprecatedSDKVersion",
            Self::RateLimited => "RateLimited",
            Self::Failure => "Failure",
        }
    }
}

/// A version `x.y.z` as the SDK headers carry it.
pub fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.trim().split('.').map(|p| p.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_three_numbers() {
        assert_eq!(parse_version("1.4.12"), Some((1, 4, 12)));
        assert_eq!(parse_version(KEY_SERVER_VERSION), Some((0, 5, 0)));
        assert_eq!(parse_version("1.4"), None);
        assert_eq!(parse_version("1.4.x"), None);
        assert_eq!(parse_version("1.4.1.0"), None);
    }

    #[test]
    fn answer_ids_are_byte_arrays_as_seals_sdk_reads_them() {
        let answer = FetchKeyResponse {
            decryption_keys: vec![DecryptionKey { id: vec![0, 255], encrypted_key: ["a".into(), "b".into()] }],
        };
        assert_eq!(
            serde_json::to_string(&answer).unwrap(),
            r#"{"decryption_keys":[{"id":[0,255],"encrypted_key":["a","b"]}]}"#
        );
    }
}

//! The key server's refusals, each with its HTTP status and a JSON body naming what was wrong
//! under one of Seal's error names ([`ErrorKind`]), so Seal's SDK raises its matching error class.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use floe_chain::ClientError;
use floe_seal::session::SessionError;
use sui_sdk_types::Address;

use crate::api::{ErrorKind, ErrorResponse};
use crate::ptb::PtbError;

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The body is not a well-formed request (bad base64, wrong lengths, bad BCS).
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The PTB is not a list of `seal_approve*` calls into one package.
    #[error("invalid PTB: {0}")]
    InvalidPtb(#[from] PtbError),
    /// The session certificate is expired, from the future, or too long-lived.
    #[error("invalid session certificate: {0}")]
    InvalidCertificate(#[source] SessionError),
    /// The user's signature over the certificate does not verify for the PTB's package.
    #[error("invalid user signature: {0}")]
    InvalidUserSignature(#[source] SessionError),
    /// The certificate names an MVR package name.
    #[error(transparent)]
    MvrName(SessionError),
    /// The request is not signed by the certified session key.
    #[error("invalid request signature: {0}")]
    InvalidSessionSignature(#[source] SessionError),
    /// `service_id` names no key this server holds.
    #[error("this server holds no key for service {0}")]
    UnknownService(Address),
    /// A server with several keys was asked `/v1/service` without naming one.
    #[error("this key server holds {0} keys; name one with ?service_id=<KeyServer object id>")]
    ServiceIdRequired(usize),
    /// A permissioned server was asked for a package none of its clients registered.
    #[error("this key server serves only listed packages, and {0} is not one of them")]
    UnsupportedPackage(Address),
    /// The SDK headers are missing or malformed.
    #[error("{0}")]
    InvalidSdkVersion(String),
    /// The SDK type header names an SDK this server does not know.
    #[error("unknown Client-Sdk-Type {0:?}: expected typescript or rust")]
    InvalidSdkType(String),
    /// The SDK is too old for this protocol.
    #[error(
        "Client-Sdk-Version {found} is older than {minimum}, the oldest this key server takes; upgrade @mysten/seal"
    )]
    DeprecatedSdk {
        /// The version the client sent.
        found: String,
        /// The oldest accepted.
        minimum: String,
    },
    /// The user asked too often.
    #[error("user {user} exceeded {per_second} requests per second (burst {burst}); retry later")]
    RateLimited {
        /// The certificate's user.
        user: sui_sdk_types::Address,
        /// The sustained rate allowed.
        per_second: u32,
        /// The burst allowed.
        burst: u32,
    },
    /// One IP address asked too often (checked before any signature is verified).
    #[error("{ip} exceeded {per_second} requests per second (burst {burst}); retry later")]
    IpRateLimited {
        /// The client's address.
        ip: std::net::IpAddr,
        /// The sustained rate allowed.
        per_second: u32,
        /// The burst allowed.
        burst: u32,
    },
    /// The policy denied access: the simulated `seal_approve*` call aborted.
    #[error("access denied: {0}")]
    NoAccess(String),
    /// The chain could not evaluate the PTB as given (an object missing or at another version);
    /// retrying with fresh object references may work.
    #[error("the chain rejected the PTB's inputs: {0}")]
    InvalidParameter(#[source] ClientError),
    /// The user has no SUI coin to simulate the policy call with.
    #[error(
        "the chain rejected the PTB's inputs: user {user} needs a SUI coin of at least {needed} MIST for the policy \
         simulation, the largest holds {available}"
    )]
    NoGasCoin {
        /// The certificate's user.
        user: Address,
        /// The simulation's gas budget.
        needed: u64,
        /// The user's largest coin.
        available: u64,
    },
    /// The server's view of the chain is too old to judge policies.
    #[error("chain view is stale: newest checkpoint is {age_ms} ms old, the bound is {bound_ms} ms")]
    StaleChain {
        /// Age of the newest checkpoint seen.
        age_ms: u64,
        /// The configured bound.
        bound_ms: u64,
    },
    /// The chain could not be reached or answered nonsense.
    #[error("chain unavailable: {0}")]
    ChainUnavailable(#[source] ChainProblem),
}

/// Why the key server cannot read the chain it judges policies on.
#[derive(Debug, thiserror::Error)]
pub enum ChainProblem {
    /// The chain view has not read a checkpoint since the server started.
    #[error("no checkpoint read from the chain yet")]
    NoCheckpointYet,
    /// A gRPC call failed.
    #[error("{call}: {source}")]
    Rpc {
        /// The call.
        call: &'static str,
        /// The status it failed with.
        #[source]
        source: tonic::Status,
    },
    /// A call's answer lacks a field.
    #[error("{call}: no {field}")]
    Missing {
        /// The call.
        call: &'static str,
        /// The field.
        field: &'static str,
    },
    /// The newest checkpoint's summary does not decode.
    #[error("GetCheckpoint summary: {0}")]
    Summary(#[source] bcs::Error),
    /// A read through the chain client failed.
    #[error("{call}: {source}")]
    Client {
        /// What was being read.
        call: &'static str,
        /// The failure.
        #[source]
        source: ClientError,
    },
}

impl RequestError {
    /// The refusal of a certificate or its signature, by what failed.
    pub fn from_certificate(error: SessionError) -> Self {
        match error {
            SessionError::InvalidCertificateSignature { .. } | SessionError::SignerMismatch { .. } => {
                Self::InvalidUserSignature(error)
            }
            SessionError::MvrName(_) => Self::MvrName(error),
            _ => Self::InvalidCertificate(error),
        }
    }

    /// The Seal error name reported in the JSON body.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Malformed(_) | Self::InvalidParameter(_) | Self::NoGasCoin { .. } => ErrorKind::InvalidParameter,
            Self::InvalidPtb(_) => ErrorKind::InvalidPtb,
            Self::InvalidCertificate(_) => ErrorKind::InvalidCertificate,
            Self::InvalidUserSignature(_) => ErrorKind::InvalidSignature,
            Self::MvrName(_) => ErrorKind::InvalidMvrName,
            Self::InvalidSessionSignature(_) => ErrorKind::InvalidSessionSignature,
            Self::UnknownService(_) | Self::ServiceIdRequired(_) => ErrorKind::InvalidServiceId,
            Self::UnsupportedPackage(_) => ErrorKind::UnsupportedPackageId,
            Self::InvalidSdkVersion(_) => ErrorKind::InvalidSdkVersion,
            Self::InvalidSdkType(_) => ErrorKind::InvalidSdkType,
            Self::DeprecatedSdk { .. } => ErrorKind::DeprecatedSdkVersion,
            Self::RateLimited { .. } | Self::IpRateLimited { .. } => ErrorKind::RateLimited,
            Self::NoAccess(_) => ErrorKind::NoAccess,
            Self::StaleChain { .. } | Self::ChainUnavailable(_) => ErrorKind::Failure,
        }
    }

    /// The HTTP status (Seal's): 400 malformed, unknown service or package, bad SDK headers; 403
    /// refused by a check; 426 an SDK too old; 429 rate-limited; 503 when the server cannot judge
    /// right now.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Malformed(_)
            | Self::UnknownService(_)
            | Self::ServiceIdRequired(_)
            | Self::UnsupportedPackage(_)
            | Self::InvalidSdkVersion(_)
            | Self::InvalidSdkType(_) => StatusCode::BAD_REQUEST,
            Self::InvalidPtb(_)
            | Self::InvalidCertificate(_)
            | Self::InvalidUserSignature(_)
            | Self::MvrName(_)
            | Self::InvalidSessionSignature(_)
            | Self::NoAccess(_)
            | Self::InvalidParameter(_)
            | Self::NoGasCoin { .. } => StatusCode::FORBIDDEN,
            Self::DeprecatedSdk { .. } => StatusCode::UPGRADE_REQUIRED,
            Self::RateLimited { .. } | Self::IpRateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::StaleChain { .. } | Self::ChainUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for RequestError {
    fn into_response(self) -> Response {
        let body = ErrorResponse { error: self.kind().as_str().to_owned(), message: self.to_string() };
        (self.status(), Json(body)).into_response()
    }
}

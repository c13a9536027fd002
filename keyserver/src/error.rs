//! The key server's refusals, each with its HTTP status and a JSON body naming what was wrong.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use floe_seal::session::SessionError;

use crate::api::ErrorResponse;
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
    /// The session certificate is expired, forged, for another package, or too long-lived.
    #[error("invalid session certificate: {0}")]
    InvalidCertificate(SessionError),
    /// The request is not signed by the certified session key.
    #[error("invalid request signature: {0}")]
    InvalidSignature(SessionError),
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
    /// The policy denied access: the simulated `seal_approve*` call aborted.
    #[error("access denied: {0}")]
    NoAccess(String),
    /// The chain could not evaluate the PTB as given (an object missing or at another version);
    /// retrying with fresh object references may work.
    #[error("the chain rejected the PTB's inputs: {0}")]
    InvalidParameter(String),
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
    ChainUnavailable(String),
}

impl RequestError {
    /// The stable kind reported in the JSON body.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "InvalidParameter",
            Self::InvalidPtb(_) => "InvalidPtb",
            Self::InvalidCertificate(_) => "InvalidCertificate",
            Self::InvalidSignature(_) => "InvalidSignature",
            Self::RateLimited { .. } => "RateLimited",
            Self::NoAccess(_) => "NoAccess",
            Self::InvalidParameter(_) => "InvalidParameter",
            Self::StaleChain { .. } => "StaleChain",
            Self::ChainUnavailable(_) => "Failure",
        }
    }

    /// The HTTP status: 400 malformed, 403 refused by a check, 429 rate-limited, 503 when the
    /// server cannot judge right now.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::InvalidPtb(_)
            | Self::InvalidCertificate(_)
            | Self::InvalidSignature(_)
            | Self::NoAccess(_)
            | Self::InvalidParameter(_) => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::StaleChain { .. } | Self::ChainUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for RequestError {
    fn into_response(self) -> Response {
        let body = ErrorResponse { error: self.kind().to_owned(), message: self.to_string() };
        (self.status(), Json(body)).into_response()
    }
}

//! Response shapes of the HTTP API: JSON in Walrus' `{"success": {"code", "data"}}` envelope,
//! BCS octet streams, and JSON errors `{"error": {"code", "message"}}` naming the problem.

use axum::{
    Json,
    body::{Body, Bytes},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use floe_encoder::messages::SignedMessage;
use serde::Serialize;

use crate::error::{ErrorKind, NodeError};

/// A JSON success body: `{"success": {"code": 200, "data": ...}}`.
pub(crate) fn success<T: Serialize>(status: StatusCode, data: T) -> Response {
    let body = serde_json::json!({ "success": { "code": status.as_u16(), "data": data } });
    (status, Json(body)).into_response()
}

/// A BCS body.
pub(crate) fn bcs_body(status: StatusCode, bytes: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
}

/// A signed message as JSON: both fields base64 (standard alphabet, padded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedMessageJson {
    /// The exact signed bytes.
    pub serialized_message: String,
    /// The 96-byte BLS signature.
    pub signature: String,
}

impl From<&SignedMessage> for SignedMessageJson {
    fn from(message: &SignedMessage) -> Self {
        Self {
            serialized_message: STANDARD.encode(&message.serialized),
            signature: STANDARD.encode(message.signature.to_bytes()),
        }
    }
}

/// Why a request failed at the HTTP layer or below.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// The node refused.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// A body over its limit.
    #[error("{what} body of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { what: &'static str, size: String, limit: usize },
    /// A path segment that does not parse.
    #[error("bad {what} in path: {reason}")]
    BadPath { what: &'static str, reason: String },
    /// The body could not be read (the client cut it off or stopped sending).
    #[error("reading the {what} body failed: {source}")]
    BadBody {
        what: &'static str,
        #[source]
        source: axum::Error,
    },
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::Node(error) => match error.kind() {
                ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
                ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
                ErrorKind::Forbidden => StatusCode::FORBIDDEN,
                ErrorKind::NotFound => StatusCode::NOT_FOUND,
                ErrorKind::Conflict => StatusCode::CONFLICT,
                ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadPath { .. } | Self::BadBody { .. } => StatusCode::BAD_REQUEST,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "request failed");
        }
        let body = serde_json::json!({ "error": { "code": status.as_u16(), "message": self.to_string() } });
        (status, Json(body)).into_response()
    }
}

/// Reads a request body of at most `limit` bytes; a declared or actual size beyond it is 413.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    what: &'static str,
) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if let Some(size) = declared.filter(|size| *size > limit as u64) {
        return Err(ApiError::TooLarge { what, size: size.to_string(), limit });
    }
    // Without a declared length (chunked), the limit is enforced while reading; any other failure
    // is the client's (a body cut off, a half-closed connection, a stall): 400, not 413.
    axum::body::to_bytes(body, limit).await.map_err(|source| {
        if floe_serve::is_body_too_large(&source) {
            ApiError::TooLarge { what, size: "more".into(), limit }
        } else {
            ApiError::BadBody { what, source }
        }
    })
}

//! Response shapes of the HTTP API: JSON in floe-node-api's [`Envelope`] (Walrus'
//! `{"success": {"code", "data"}}`), BCS octet streams, and JSON errors
//! `{"error": {"code", "message"}}` naming the problem.

use axum::{
    Json,
    body::{Body, Bytes},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use floe_node_api::{Envelope, ErrorEnvelope};
use serde::Serialize;

use crate::error::{ErrorKind, NodeError};

/// A JSON success body: `{"success": {"code": 200, "data": ...}}`.
pub(crate) fn success<T: Serialize>(status: StatusCode, data: T) -> Response {
    (status, Json(Envelope::Success { code: status.as_u16(), data })).into_response()
}

/// A BCS body.
pub(crate) fn bcs_body(status: StatusCode, bytes: impl Into<bytes::Bytes>) -> Response {
    let bytes: bytes::Bytes = bytes.into();
    (status, [(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
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
                ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                ErrorKind::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            },
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadPath { .. } | Self::BadBody { .. } => StatusCode::BAD_REQUEST,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "request failed");
        }
        (status, Json(ErrorEnvelope::error(status.as_u16(), self.to_string()))).into_response()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// floe-serve answers the rejections of the serving layer (413 before routing, timeouts) with
    /// its own JSON error: it must be the same envelope the node's clients parse.
    #[tokio::test]
    async fn the_serving_layers_errors_parse_as_the_apis_error_envelope() {
        for response in [
            floe_serve::error_response(StatusCode::PAYLOAD_TOO_LARGE, "body too large"),
            ApiError::BadPath { what: "blob id", reason: "\"x\": too short".into() }.into_response(),
        ] {
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            match serde_json::from_slice::<ErrorEnvelope>(&body).unwrap() {
                Envelope::Error { code, message } => assert_eq!((code, message.is_empty()), (status, false)),
                Envelope::Success { .. } => panic!("an error answered as a success"),
            }
        }
    }
}

//! Reading a node's answer as untrusted input: never more than the largest valid answer, error
//! statuses turned into [`NodeApiError::Status`] with the node's message, JSON unwrapped from
//! the API's `{"success": {"code", "data"}}` envelope.

use serde::Deserialize;

use crate::{
    bounds::MAX_JSON_ANSWER,
    envelope::{Envelope, ErrorEnvelope},
    error::NodeApiError,
};

/// Characters of a non-JSON error body kept in [`NodeApiError::Status`].
const MAX_ERROR_TEXT_CHARS: usize = 512;

pub(crate) fn transport(url: &str) -> impl Fn(reqwest::Error) -> NodeApiError + '_ {
    move |source| match crate::tls::wrong_key_in(&source) {
        Some(wrong) => NodeApiError::WrongTlsKey { url: url.to_owned(), source: wrong },
        None => NodeApiError::Transport { url: url.to_owned(), source },
    }
}

/// Reads at most `limit` bytes of `response`, turning an error status into
/// [`NodeApiError::Status`] carrying the node's `{"error": {"message"}}` (or the body's text).
pub(crate) async fn bounded(url: &str, mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, NodeApiError> {
    let status = response.status();
    if !status.is_success() {
        let mut body = Vec::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            body.extend_from_slice(&chunk);
            if body.len() >= MAX_JSON_ANSWER {
                break;
            }
        }
        let message = match serde_json::from_slice::<ErrorEnvelope>(&body) {
            Ok(Envelope::Error { message, .. }) => message,
            _ => String::from_utf8_lossy(&body).chars().take(MAX_ERROR_TEXT_CHARS).collect(),
        };
        return Err(NodeApiError::Status { url: url.to_owned(), status: status.as_u16(), message });
    }
    if response.content_length().is_some_and(|length| length > limit as u64) {
        return Err(NodeApiError::TooLarge { url: url.to_owned(), limit });
    }
    let mut body = Vec::with_capacity(response.content_length().map_or(0, |length| length as usize));
    while let Some(chunk) = response.chunk().await.map_err(transport(url))? {
        if body.len() + chunk.len() > limit {
            return Err(NodeApiError::TooLarge { url: url.to_owned(), limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The `data` of a JSON success answer.
pub(crate) fn json<T: for<'de> Deserialize<'de>>(url: &str, bytes: &[u8]) -> Result<T, NodeApiError> {
    match serde_json::from_slice::<Envelope<T>>(bytes) {
        Ok(Envelope::Success { data, .. }) => Ok(data),
        Ok(Envelope::Error { code, message }) => {
            Err(NodeApiError::invalid(url, format!("error {code} with a success status: {message}")))
        }
        Err(error) => Err(NodeApiError::invalid(url, error)),
    }
}

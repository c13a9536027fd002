//! The publisher: `PUT /v1/blobs` stores the request body.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
};

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{ConnectInfo, Query, Request, State},
    http::StatusCode,
    middleware::Next,
    response::Response,
};
use sui_sdk_types::Address;

use super::auth::UploadClaims;
use super::{Access, ApiError};
use crate::{
    chain_ops::ChainError,
    client::{FloeClient, StoreError, StoreOptions},
    progress::PhaseTimes,
};

fn flag(query: &HashMap<String, String>, name: &str) -> Result<Option<bool>, ApiError> {
    query
        .get(name)
        .map(|value| match value.as_str() {
            "" | "true" => Ok(true),
            "false" => Ok(false),
            other => Err(ApiError::new(StatusCode::BAD_REQUEST, format!("{name}={other:?}: expected true or false"))),
        })
        .transpose()
}

/// Reads the store options from the query: `epochs` (default 1), `deletable` / `permanent`
/// (deletable by default), `send_object_to`, `force`.
pub(super) fn options(query: &HashMap<String, String>) -> Result<StoreOptions, ApiError> {
    let epochs = match query.get("epochs") {
        None => 1,
        Some(text) => text.parse::<u32>().ok().filter(|epochs| *epochs > 0).ok_or_else(|| {
            ApiError::new(StatusCode::BAD_REQUEST, format!("epochs={text:?}: expected a positive number of epochs"))
        })?,
    };
    let deletable = match (flag(query, "deletable")?, flag(query, "permanent")?) {
        (Some(true), Some(true)) => {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "a blob cannot be both deletable and permanent"));
        }
        (_, Some(true)) => false,
        (Some(deletable), _) => deletable,
        (None, _) => true,
    };
    let send_object_to = query
        .get("send_object_to")
        .map(|text| {
            text.parse::<Address>().map_err(|error| {
                ApiError::new(StatusCode::BAD_REQUEST, format!("send_object_to={text:?} is not an address: {error}"))
            })
        })
        .transpose()?;
    Ok(StoreOptions { epochs, deletable, send_object_to, force: flag(query, "force")?.unwrap_or(false) })
}

pub(super) fn store_error(error: StoreError) -> ApiError {
    let status = match &error {
        StoreError::Encode { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        StoreError::ZeroEpochs | StoreError::TooManyEpochs { .. } => StatusCode::BAD_REQUEST,
        // The publisher stores request bodies from memory; a file of its own failing is its fault.
        StoreError::ReadFile { .. }
        | StoreError::EncodeFile { .. }
        | StoreError::EncodeTask(_)
        | StoreError::StoreTask(_) => StatusCode::INTERNAL_SERVER_ERROR,
        StoreError::Chain(error) if error.is_insufficient_balance() => StatusCode::SERVICE_UNAVAILABLE,
        StoreError::Chain(ChainError::NoSigner) => StatusCode::SERVICE_UNAVAILABLE,
        StoreError::Chain(ChainError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
        // Paid for but not certified: the message names the object a retry resumes.
        StoreError::Chain(_)
        | StoreError::NotCertified { .. }
        | StoreError::Unfinished { .. }
        | StoreError::OtherBlob { .. } => StatusCode::BAD_GATEWAY,
    };
    ApiError::new(status, error.to_string())
}

/// A store request as admitted by [`admit`]: its options (with the token's owner filled in) and
/// the token's claims, if the publisher requires tokens.
#[derive(Debug, Clone)]
pub(super) struct Admitted {
    pub(super) options: StoreOptions,
    pub(super) claims: Option<UploadClaims>,
}

/// The client's address, as the server saw the connection (unknown when the router is driven
/// without a listener, as in tests: all such requests count as one client).
pub(super) fn client_address(connection: Option<&ConnectInfo<SocketAddr>>) -> IpAddr {
    connection.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(peer)| peer.ip())
}

/// Everything a store request must pass before its body is read and anything is paid: the
/// client's rate, well-formed options, the publisher's token, the daily budget.
pub(super) async fn admit(
    State(access): State<Access>,
    Query(query): Query<HashMap<String, String>>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if let Some(rate) = &access.store_rate {
        rate.check(client_address(request.extensions().get()), "stores")?;
    }
    let mut options = options(&query)?;
    let claims = match &access.publisher_auth {
        Some(auth) => Some(auth.admit(request.headers(), &mut options)?),
        None => None,
    };
    if let Some(budget) = &access.daily_budget {
        budget.check()?;
    }
    request.extensions_mut().insert(Admitted { options, claims });
    Ok(next.run(request).await)
}

/// `PUT /v1/blobs`, behind [`admit`].
pub(super) async fn store(
    State(client): State<Arc<FloeClient>>,
    Extension(access): Extension<Access>,
    Extension(admitted): Extension<Admitted>,
    body: Bytes,
) -> Result<Json<crate::store_answer::StoreAnswer>, ApiError> {
    if let Some(claims) = &admitted.claims {
        claims.check_size(body.len() as u64)?;
    }
    if client.chain().and_then(|chain| chain.sender()).is_none() {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "this daemon has no key to pay for storage with"));
    }
    let started = std::time::Instant::now();
    let phases = Arc::new(PhaseTimes::default());
    let bytes = body.len();
    // The answer goes out once the blob is certified; the slower nodes' upload goes on after it.
    // The body itself is the blob (no copy), dropped once encoded.
    let outcome =
        client.store_detaching_tail(body, admitted.options.clone(), phases.clone()).await.map_err(store_error)?;
    tracing::debug!(
        bytes,
        took_ms = started.elapsed().as_millis() as u64,
        phases = %phases.summary(),
        "stored"
    );
    if let Some(budget) = &access.daily_budget {
        budget.charge(outcome.paid());
    }
    Ok(Json(outcome.answer()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect()
    }

    #[test]
    fn blobs_are_deletable_for_one_epoch_unless_asked_otherwise() {
        let default = options(&query(&[])).unwrap();
        assert_eq!((default.epochs, default.deletable, default.force), (1, true, false));
        let permanent = options(&query(&[("permanent", "true"), ("epochs", "5")])).unwrap();
        assert_eq!((permanent.epochs, permanent.deletable), (5, false));
        assert!(!options(&query(&[("deletable", "false")])).unwrap().deletable);
    }

    #[test]
    fn contradictory_or_malformed_options_are_refused_by_name() {
        let error = options(&query(&[("deletable", "true"), ("permanent", "true")])).unwrap_err();
        assert!(error.message.contains("both"), "{}", error.message);
        assert!(options(&query(&[("epochs", "0")])).unwrap_err().message.contains("epochs"));
        assert!(options(&query(&[("send_object_to", "bob")])).unwrap_err().message.contains("send_object_to"));
        assert!(options(&query(&[("force", "yes")])).unwrap_err().message.contains("force"));
    }
}

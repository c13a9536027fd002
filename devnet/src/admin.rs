//! The devnet's admin route: what a local test chain lets its user do that a real Sui network
//! never would, as plain HTTP on the devnet's own port next to the gRPC services, so that a test
//! or a person can drive a `floe devnet` / `floe localnet` running in another process (`floe
//! advance-clock` does). Today one route, [`ADVANCE_CLOCK_PATH`].

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Json, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use floe_chain::ClockTime;
use serde::{Deserialize, Serialize};

use crate::ledger::Ledger;
use crate::store::StoreError;

/// The route that moves the chain's clock forward, as Sui's simulacrum and Move test adapter
/// offer `advance-clock` and anvil `evm_increaseTime`; a Sui full node has no such route (a client
/// pointed at one gets 404).
///
/// `POST /devnet/advance-clock` with [`AdvanceClock`] (`{"duration_ms": 30000}`) moves the
/// chain's clock that far ahead and seals an empty checkpoint at the new time, then answers
/// [`ClockAdvanced`] (`{"timestamp_ms": ..., "checkpoint": ...}`, that checkpoint). From then on
/// every transaction and simulation reads the new time from the `Clock` (`0x6`): subscriptions
/// expire and time locks open as if the time had passed, and floe's epoch schedule sees it too
/// (a clock moved past half an epoch or its end runs `voting_end` or the epoch change, as
/// waiting would). The clock only moves forward, so checkpoint timestamps stay ordered, and the
/// sealed checkpoint carries the new time across a restart.
pub const ADVANCE_CLOCK_PATH: &str = "/devnet/advance-clock";

/// The body of `POST /devnet/advance-clock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvanceClock {
    /// How far to move the clock forward, in ms.
    pub duration_ms: u64,
}

/// The answer to `POST /devnet/advance-clock`: the checkpoint sealed at the new time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockAdvanced {
    /// The chain's time now (that checkpoint's timestamp).
    pub timestamp_ms: ClockTime,
    /// The checkpoint's sequence number.
    pub checkpoint: u64,
}

/// Moves `ledger`'s clock `by` ahead and seals an empty checkpoint at the new time, so that the
/// advance shows where clients read the chain's time (the newest checkpoint) and is stored.
/// Blocks on the store commit.
pub(crate) fn advance_clock(ledger: &Ledger, by: Duration) -> Result<ClockAdvanced, StoreError> {
    ledger.advance_clock(u64::try_from(by.as_millis()).unwrap_or(u64::MAX));
    // An interval of zero: seal now, whenever the last checkpoint was.
    ledger.seal_if_idle(Duration::ZERO)?;
    let tip = ledger.tip();
    let timestamp_ms = ledger.checkpoint(tip).map_or_else(|| ledger.now_ms(), |(c, _)| c.summary.timestamp_ms);
    Ok(ClockAdvanced { timestamp_ms: ClockTime(timestamp_ms), checkpoint: tip })
}

/// The admin routes over `ledger`, to be served beside the gRPC services.
pub(crate) fn router(ledger: Arc<Ledger>) -> axum::Router {
    axum::Router::new().route(ADVANCE_CLOCK_PATH, axum::routing::post(advance)).with_state(ledger)
}

async fn advance(State(ledger): State<Arc<Ledger>>, Json(request): Json<AdvanceClock>) -> Response {
    let by = Duration::from_millis(request.duration_ms);
    match tokio::task::spawn_blocking(move || advance_clock(&ledger, by)).await {
        Ok(Ok(advanced)) => Json(advanced).into_response(),
        Ok(Err(error)) => {
            (StatusCode::INTERNAL_SERVER_ERROR, format!("the clock moved but no checkpoint was sealed: {error}"))
                .into_response()
        }
        Err(join) => (StatusCode::INTERNAL_SERVER_ERROR, format!("advancing the clock failed: {join}")).into_response(),
    }
}

//! The server's view of the chain's progress: a background task reads the newest checkpoint and
//! the reference gas price; requests are refused while the newest checkpoint seen is older than
//! the staleness bound (a lagging or unreachable full node would judge policies on old state).

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use floe_chain::ChainClient;
use prost_types::FieldMask;
use sui_rpc::field::FieldMaskUtil;
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::CheckpointSummary;
use tokio::task::JoinHandle;

use crate::error::{ChainProblem, RequestError};
use crate::limits::FRESHNESS_POLL;

/// The newest checkpoint seen and the gas price to simulate with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Observed {
    pub(crate) checkpoint: u64,
    pub(crate) timestamp_ms: u64,
    pub(crate) gas_price: u64,
}

/// Shared between the polling task and the request handlers.
#[derive(Debug, Default)]
pub(crate) struct ChainView {
    latest: RwLock<Option<Observed>>,
}

/// Milliseconds since the Unix epoch on this machine's clock.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl ChainView {
    /// Starts polling `client`; the task ends when the view is dropped by everyone else.
    pub(crate) fn watch(client: ChainClient) -> (Arc<Self>, JoinHandle<()>) {
        let view = Arc::new(Self::default());
        let weak = Arc::downgrade(&view);
        let task = tokio::spawn(async move {
            loop {
                let observed = observe(&client).await;
                let Some(view) = weak.upgrade() else { return };
                match observed {
                    Ok(observed) => *view.latest.write().expect("chain view lock") = Some(observed),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read the chain's newest checkpoint")
                    }
                }
                drop(view);
                tokio::time::sleep(FRESHNESS_POLL).await;
            }
        });
        (view, task)
    }

    /// The current observation if its checkpoint is at most `bound` old at `now_ms`.
    pub(crate) fn fresh(&self, now_ms: u64, bound: Duration) -> Result<Observed, RequestError> {
        let bound_ms = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
        let latest = *self.latest.read().expect("chain view lock");
        let observed = latest.ok_or(RequestError::ChainUnavailable(ChainProblem::NoCheckpointYet))?;
        let age_ms = now_ms.saturating_sub(observed.timestamp_ms);
        if age_ms > bound_ms {
            return Err(RequestError::StaleChain { age_ms, bound_ms });
        }
        Ok(observed)
    }

    #[cfg(test)]
    pub(crate) fn set(&self, observed: Observed) {
        *self.latest.write().expect("chain view lock") = Some(observed);
    }
}

/// Reads the newest checkpoint's sequence number and timestamp, and the gas price.
async fn observe(client: &ChainClient) -> Result<Observed, RequestError> {
    let unavailable = RequestError::ChainUnavailable;
    let request = proto::GetCheckpointRequest::default()
        .with_read_mask(FieldMask::from_paths(["sequence_number", "summary.bcs"]));
    let checkpoint = client
        .rpc()
        .ledger_client()
        .get_checkpoint(request)
        .await
        .map_err(|source| unavailable(ChainProblem::Rpc { call: "GetCheckpoint", source }))?
        .into_inner()
        .checkpoint
        .ok_or_else(|| unavailable(ChainProblem::Missing { call: "GetCheckpoint", field: "checkpoint" }))?;
    let summary_bcs = checkpoint
        .summary
        .as_ref()
        .and_then(|s| s.bcs.as_ref())
        .and_then(|b| b.value.as_ref())
        .ok_or_else(|| unavailable(ChainProblem::Missing { call: "GetCheckpoint", field: "summary bcs" }))?;
    let summary: CheckpointSummary = bcs::from_bytes(summary_bcs).map_err(|e| unavailable(ChainProblem::Summary(e)))?;
    let gas_price = client
        .reference_gas_price()
        .await
        .map_err(|source| unavailable(ChainProblem::Client { call: "GetEpoch", source }))?;
    Ok(Observed { checkpoint: summary.sequence_number, timestamp_ms: summary.timestamp_ms, gas_price })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_older_than_the_bound_is_refused() {
        let view = ChainView::default();
        assert!(matches!(view.fresh(1_000, Duration::from_secs(1)), Err(RequestError::ChainUnavailable(_))));
        view.set(Observed { checkpoint: 9, timestamp_ms: 10_000, gas_price: 1_000 });
        assert_eq!(view.fresh(11_000, Duration::from_secs(1)).unwrap().checkpoint, 9);
        assert!(matches!(
            view.fresh(11_001, Duration::from_secs(1)),
            Err(RequestError::StaleChain { age_ms: 1_001, bound_ms: 1_000 })
        ));
    }
}

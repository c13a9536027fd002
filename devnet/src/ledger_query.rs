//! `ListTransactions` and `ListEvents`: a scan over the sealed checkpoints in ledger order (or
//! its reverse), bounded by a checkpoint range and by opaque cursors, filtered, answered as a
//! stream of frames the way a full node answers: one frame per matching item, each with a
//! watermark (a resume cursor and the last checkpoint fully covered), and exactly one frame with
//! the reason the scan ended. The devnet's ledger is in memory, so the scan is never cut short by
//! a scan budget (no `SCAN_LIMIT`).
//!
//! A cursor is a position in ledger order: checkpoint, transaction and event, each 8 bytes big
//! endian. Items sit at `(checkpoint, transaction index + 1, event index + 1)` (`0` for the event
//! of a transaction item), so `(c, 0, 0)` lies before and `(c, MAX, MAX)` after everything of
//! checkpoint `c`, which is what a terminal frame's cursor says.

use std::sync::Arc;

use sui_rpc::merge::Merge;
use sui_rpc::proto::sui::rpc::v2 as proto;
use tonic::Status;
use tonic::codegen::Bytes;

use crate::ledger::Ledger;
use crate::move_json::JsonRenderer;
use crate::query_filter::{self, Dnf, EventTest, TransactionTest};
use crate::render;
use crate::store::TransactionRecord;

use proto::QueryEndReason;

/// Items per response when the request names no limit.
const DEFAULT_LIMIT: u32 = 50;
/// The most items per response; larger limits are lowered to it.
const MAX_LIMIT: u32 = 1000;

/// A position in ledger order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Position {
    checkpoint: u64,
    transaction: u64,
    event: u64,
}

impl Position {
    const LEN: usize = 24;

    fn before_all_of(checkpoint: u64) -> Self {
        Self { checkpoint, transaction: 0, event: 0 }
    }

    fn after_all_of(checkpoint: u64) -> Self {
        Self { checkpoint, transaction: u64::MAX, event: u64::MAX }
    }

    fn cursor(self) -> Bytes {
        let mut bytes = Vec::with_capacity(Self::LEN);
        for part in [self.checkpoint, self.transaction, self.event] {
            bytes.extend_from_slice(&part.to_be_bytes());
        }
        bytes.into()
    }

    fn from_cursor(field: &str, bytes: &[u8]) -> Result<Self, Status> {
        if bytes.len() != Self::LEN {
            return Err(Status::invalid_argument(format!(
                "{field} is not a cursor of this devnet ({} bytes, expected {})",
                bytes.len(),
                Self::LEN
            )));
        }
        let part = |i: usize| u64::from_be_bytes(bytes[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        Ok(Self { checkpoint: part(0), transaction: part(1), event: part(2) })
    }
}

/// Where a scan may go, from the request.
#[derive(Debug)]
struct Interval {
    /// First and last checkpoint (inclusive); `None` when the range holds none.
    range: Option<(u64, u64)>,
    /// The first checkpoint asked for.
    start: u64,
    /// Whether the range ends at the request's `end_checkpoint` rather than the tip.
    end_is_requested: bool,
    after: Option<Position>,
    before: Option<Position>,
    descending: bool,
    limit: usize,
}

impl Interval {
    fn new(
        ledger: &Ledger,
        start: Option<u64>,
        end: Option<u64>,
        options: Option<&proto::QueryOptions>,
    ) -> Result<Self, Status> {
        let tip = ledger.tip();
        let start = start.unwrap_or(0);
        let (last, end_is_requested) = match end {
            Some(end) if end <= tip => (end.checked_sub(1), true),
            _ => (Some(tip), false),
        };
        let cursor = |field: &str, value: Option<&Bytes>| {
            value.filter(|b| !b.is_empty()).map(|b| Position::from_cursor(field, b)).transpose()
        };
        let after = cursor("options.after", options.and_then(|o| o.after.as_ref()))?;
        let before = cursor("options.before", options.and_then(|o| o.before.as_ref()))?;
        let descending = match options.and_then(|o| o.ordering) {
            None => false,
            Some(value) => match proto::Ordering::try_from(value) {
                Ok(proto::Ordering::Ascending) => false,
                Ok(proto::Ordering::Descending) => true,
                _ => return Err(Status::invalid_argument(format!("invalid options.ordering {value}"))),
            },
        };
        let limit = options.and_then(|o| o.limit).filter(|l| *l > 0).unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize;
        Ok(Self {
            range: last.filter(|last| *last >= start).map(|last| (start, last)),
            start,
            end_is_requested,
            after,
            before,
            descending,
            limit,
        })
    }

    fn checkpoints(&self) -> Vec<u64> {
        match self.range {
            None => Vec::new(),
            Some((first, last)) if self.descending => (first..=last).rev().collect(),
            Some((first, last)) => (first..=last).collect(),
        }
    }

    fn admits(&self, position: Position) -> bool {
        self.after.is_none_or(|a| position > a) && self.before.is_none_or(|b| position < b)
    }
}

/// One response frame.
struct Frame<T> {
    item: Option<T>,
    watermark: proto::Watermark,
    end: Option<QueryEndReason>,
}

fn watermark(cursor: Position, covered: Option<u64>) -> proto::Watermark {
    let mut watermark = proto::Watermark::default();
    watermark.cursor = Some(cursor.cursor());
    watermark.checkpoint = covered;
    watermark
}

/// Scans `interval`, `items` listing each checkpoint's matching items in ledger order.
fn scan<T>(
    ledger: &Ledger,
    interval: &Interval,
    mut items: impl FnMut(&[Arc<TransactionRecord>]) -> Vec<(Position, T)>,
) -> Vec<Frame<T>> {
    let mut frames = Vec::new();
    let mut covered = None;
    let mut cut_by_cursor = false;
    for checkpoint in interval.checkpoints() {
        let Some((_, transactions)) = ledger.checkpoint(checkpoint) else { break };
        let mut found = items(&transactions);
        if interval.descending {
            found.reverse();
        }
        for (position, item) in found {
            if !interval.admits(position) {
                let past_bound = if interval.descending {
                    interval.after.is_some_and(|a| position <= a)
                } else {
                    interval.before.is_some_and(|b| position >= b)
                };
                cut_by_cursor |= past_bound;
                continue;
            }
            let end = (frames.len() + 1 == interval.limit).then_some(QueryEndReason::ItemLimit);
            frames.push(Frame { item: Some(item), watermark: watermark(position, covered), end });
            if end.is_some() {
                return frames;
            }
        }
        // Whole checkpoints past a cursor bound need no look.
        let beyond = if interval.descending {
            interval.after.is_some_and(|a| a >= Position::before_all_of(checkpoint))
        } else {
            interval.before.is_some_and(|b| b <= Position::after_all_of(checkpoint))
        };
        covered = Some(checkpoint);
        if beyond || cut_by_cursor {
            cut_by_cursor = true;
            break;
        }
    }
    let (reason, cursor) = if cut_by_cursor {
        let bound = if interval.descending { interval.after } else { interval.before };
        (QueryEndReason::CursorBound, bound.expect("cut by a cursor bound"))
    } else {
        match (interval.range, interval.descending) {
            (Some((first, _)), true) => (QueryEndReason::CheckpointBound, Position::before_all_of(first)),
            (Some((_, last)), false) if interval.end_is_requested => {
                (QueryEndReason::CheckpointBound, Position::after_all_of(last))
            }
            (Some((_, last)), false) => (QueryEndReason::LedgerTip, Position::after_all_of(last)),
            (None, _) if interval.end_is_requested => {
                (QueryEndReason::CheckpointBound, Position::before_all_of(interval.start))
            }
            (None, _) => (QueryEndReason::LedgerTip, Position::before_all_of(interval.start)),
        }
    };
    frames.push(Frame { item: None, watermark: watermark(cursor, covered), end: Some(reason) });
    frames
}

fn end(reason: Option<QueryEndReason>) -> Option<proto::QueryEnd> {
    reason.map(|reason| {
        let mut end = proto::QueryEnd::default();
        end.reason = Some(reason as i32);
        end
    })
}

/// The frames answering `request`.
pub(crate) fn list_transactions(
    ledger: &Ledger,
    request: &proto::ListTransactionsRequest,
) -> Result<Vec<proto::ListTransactionsResponse>, Status> {
    let filter: Option<Dnf<TransactionTest>> =
        request.filter.as_ref().map(query_filter::transaction_filter).transpose()?;
    let interval = Interval::new(ledger, request.start_checkpoint, request.end_checkpoint, request.options.as_ref())?;
    let mask = render::mask_or(request.read_mask.as_ref(), "digest");
    let mut json = JsonRenderer::new(ledger);
    let frames = scan(ledger, &interval, |transactions| {
        transactions
            .iter()
            .filter(|t| filter.as_ref().is_none_or(|f| f.matches(|test| query_filter::transaction_passes(t, test))))
            .map(|t| {
                let position = Position { checkpoint: t.checkpoint, transaction: t.index + 1, event: 0 };
                (position, t.clone())
            })
            .filter(|(position, _)| interval.admits(*position))
            .map(|(position, t)| (position, render::executed(&t, &mask, &mut json)))
            .collect()
    });
    Ok(frames
        .into_iter()
        .map(|frame| {
            let mut response = proto::ListTransactionsResponse::default();
            response.transaction = frame.item;
            response.watermark = Some(frame.watermark);
            response.end = end(frame.end);
            response
        })
        .collect())
}

/// The frames answering `request`.
pub(crate) fn list_events(
    ledger: &Ledger,
    request: &proto::ListEventsRequest,
) -> Result<Vec<proto::ListEventsResponse>, Status> {
    let filter: Option<Dnf<EventTest>> = request.filter.as_ref().map(query_filter::event_filter).transpose()?;
    let interval = Interval::new(ledger, request.start_checkpoint, request.end_checkpoint, request.options.as_ref())?;
    let mask = render::mask_or(request.read_mask.as_ref(), "event_type,transaction_digest,event_index");
    let with_json = mask.contains(proto::Event::JSON_FIELD.name);
    let mut json = JsonRenderer::new(ledger);
    let frames = scan(ledger, &interval, |transactions| {
        let mut found = Vec::new();
        for t in transactions {
            for (index, event) in t.events.0.iter().enumerate() {
                let position = Position { checkpoint: t.checkpoint, transaction: t.index + 1, event: index as u64 + 1 };
                let passes =
                    filter.as_ref().is_none_or(|f| f.matches(|test| query_filter::event_passes(t, event, test)));
                if !passes || !interval.admits(position) {
                    continue;
                }
                let mut full = proto::Event::from(event.clone());
                full.json = if with_json { json.render(&event.type_, &event.contents).map(Box::new) } else { None };
                full.checkpoint = Some(t.checkpoint);
                full.transaction_digest = Some(t.transaction.digest().to_string());
                full.transaction_index = Some(t.index);
                full.event_index = Some(index as u32);
                found.push((position, proto::Event::merge_from(&full, &mask)));
            }
        }
        found
    });
    Ok(frames
        .into_iter()
        .map(|frame| {
            let mut response = proto::ListEventsResponse::default();
            response.event = frame.item;
            response.watermark = Some(frame.watermark);
            response.end = end(frame.end);
            response
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_order_as_the_ledger() {
        let p = Position { checkpoint: 7, transaction: 3, event: 0 };
        assert_eq!(Position::from_cursor("after", &p.cursor()).unwrap(), p);
        assert!(Position::before_all_of(7) < p && p < Position::after_all_of(7));
        assert!(Position::after_all_of(6) < Position::before_all_of(7));
        let err = Position::from_cursor("options.after", &[1, 2, 3]).unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert!(err.message().contains("options.after"));
    }
}

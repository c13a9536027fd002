//! What one client may ask of the daemon: a request rate per client address (stores and reads
//! counted apart, reads being cheap and public), and a daily WAL budget for everything the
//! publisher pays. Both answer 429 with a message saying which limit was hit and when to retry.
//!
//! The budget is checked before a store and charged with what the store paid once it is done,
//! so stores running concurrently when the budget runs out can overshoot it by at most their
//! own cost; no store starts once the day's spending has reached the budget.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::ApiError;

const SECONDS_PER_DAY: u64 = 24 * 60 * 60;

/// Requests per minute allowed to one client address.
#[derive(Debug)]
pub struct ClientRateLimit {
    per_minute: NonZeroU32,
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl ClientRateLimit {
    /// `per_minute` requests per client address and minute, in bursts of up to that many.
    pub fn per_minute(per_minute: NonZeroU32) -> Self {
        Self { per_minute, limiter: RateLimiter::keyed(Quota::per_minute(per_minute)) }
    }

    /// Counts a request from `client`; a 429 when it is over its rate.
    pub(crate) fn check(&self, client: IpAddr, what: &str) -> Result<(), ApiError> {
        self.limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "{client} is over this daemon's limit of {} {what} per minute; retry in {} ms",
                    self.per_minute,
                    wait.as_millis().max(1)
                ),
            )
        })?;
        // Forget clients that are back to a full allowance, so the map does not grow forever.
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        Ok(())
    }
}

/// WAL (FROST) the publisher may spend per UTC day.
#[derive(Debug)]
pub struct DailyBudget {
    frost_per_day: u64,
    /// (UTC day number, FROST spent that day).
    spent: Mutex<(u64, u64)>,
}

impl DailyBudget {
    /// A budget of `frost_per_day` FROST per UTC day.
    pub fn new(frost_per_day: u64) -> Self {
        Self { frost_per_day, spent: Mutex::new((0, 0)) }
    }

    fn today() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs()) / SECONDS_PER_DAY
    }

    /// FROST spent today.
    pub fn spent_today(&self) -> u64 {
        let spent = self.spent.lock().expect("the budget is never poisoned");
        if spent.0 == Self::today() { spent.1 } else { 0 }
    }

    /// A 429 once today's spending has reached the budget.
    pub(crate) fn check(&self) -> Result<(), ApiError> {
        let spent = self.spent_today();
        if spent >= self.frost_per_day {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "this publisher's daily budget of {} FROST is spent ({spent} FROST today); it renews at 00:00 UTC",
                    self.frost_per_day
                ),
            ));
        }
        Ok(())
    }

    /// Charges `frost` paid by a store to today.
    pub(crate) fn charge(&self, frost: u64) {
        let today = Self::today();
        let mut spent = self.spent.lock().expect("the budget is never poisoned");
        if spent.0 != today {
            *spent = (today, 0);
        }
        spent.1 = spent.1.saturating_add(frost);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_over_its_rate_gets_a_429_and_others_are_not_affected() {
        let limit = ClientRateLimit::per_minute(NonZeroU32::new(2).unwrap());
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        limit.check(a, "stores").unwrap();
        limit.check(a, "stores").unwrap();
        let error = limit.check(a, "stores").unwrap_err();
        assert_eq!(error.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(error.message.contains("limit of 2 stores per minute"), "{}", error.message);
        limit.check(b, "stores").unwrap();
    }

    #[test]
    fn the_budget_refuses_once_spent_and_counts_what_was_paid() {
        let budget = DailyBudget::new(1_000);
        budget.check().unwrap();
        budget.charge(600);
        budget.check().unwrap();
        budget.charge(600);
        assert_eq!(budget.spent_today(), 1_200);
        let error = budget.check().unwrap_err();
        assert_eq!(error.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(error.message.contains("daily budget of 1000 FROST"), "{}", error.message);
    }
}

//! Rate limiting with a token bucket per key: per client IP address, checked first (so one
//! address cannot make the server verify signatures without end), and per certified user
//! address, checked after the user's signatures verify (so no one can spend someone else's
//! quota) and before any chain call.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Instant;

use crate::limits::MAX_TRACKED_CLIENTS;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// Token buckets by `K` (a user's address, a client's IP address).
#[derive(Debug)]
pub(crate) struct RateLimiter<K> {
    per_second: u32,
    burst: u32,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Copy> RateLimiter<K> {
    pub(crate) fn new(per_second: u32, burst: u32) -> Self {
        Self { per_second, burst: burst.max(1), buckets: Mutex::new(HashMap::new()) }
    }

    pub(crate) fn per_second(&self) -> u32 {
        self.per_second
    }

    pub(crate) fn burst(&self) -> u32 {
        self.burst
    }

    /// Takes one token from `key`'s bucket at time `now`; false if it is empty.
    pub(crate) fn allow(&self, key: K, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().expect("rate limiter lock");
        if buckets.len() >= MAX_TRACKED_CLIENTS && !buckets.contains_key(&key) {
            // Forget the keys whose bucket has refilled: they lose nothing.
            let (rate, burst) = (f64::from(self.per_second), f64::from(self.burst));
            buckets.retain(|_, b| b.tokens + now.duration_since(b.refilled).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: f64::from(self.burst), refilled: now });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * f64::from(self.per_second)).min(f64::from(self.burst));
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sui_sdk_types::Address;

    use super::*;

    #[test]
    fn a_user_gets_the_burst_then_the_sustained_rate() {
        let limiter = RateLimiter::new(2, 3);
        let (alice, bob) = (Address::from_static("0xa"), Address::from_static("0xb"));
        let t0 = Instant::now();
        assert!((0..3).all(|_| limiter.allow(alice, t0)));
        assert!(!limiter.allow(alice, t0), "burst of 3 spent");
        assert!(limiter.allow(bob, t0), "buckets are per user");
        assert!(!limiter.allow(alice, t0 + Duration::from_millis(400)));
        assert!(limiter.allow(alice, t0 + Duration::from_millis(500)), "2 per second refill one in 500 ms");
    }
}

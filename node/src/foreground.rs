//! When the node last served a request for data: an upload (metadata, slivers), a read (a
//! sliver, metadata, recovery symbols), a confirmation, a shard sync page. Background work that
//! competes with them for the machine, the scrub first, slows down while such requests come
//! ([`crate::scrub`]): on a machine it shares with the client and other nodes (`floe localnet`),
//! a scrub pass took a quarter of two cores, and a store or a read that met one paid for it.
//!
//! Health polls and the challenge verdicts' exchange are not counted: they cost little, and a
//! network polls them all the time.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

/// The time of the last data request, in milliseconds since the node started.
#[derive(Debug)]
pub struct Foreground {
    started: Instant,
    /// Milliseconds since `started`, plus one; 0: no request yet.
    last: AtomicU64,
}

impl Default for Foreground {
    fn default() -> Self {
        Self { started: Instant::now(), last: AtomicU64::new(0) }
    }
}

impl Foreground {
    /// A request for data arrived just now.
    pub fn touch(&self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX - 1) + 1;
        self.last.fetch_max(now, Ordering::Relaxed);
    }

    /// How long since the last request for data; `None` if none came since the node started.
    pub fn quiet_for(&self) -> Option<Duration> {
        match self.last.load(Ordering::Relaxed) {
            0 => None,
            last => Some(self.started.elapsed().saturating_sub(Duration::from_millis(last - 1))),
        }
    }

    /// Whether a request for data came within `window`.
    pub fn serving_within(&self, window: Duration) -> bool {
        self.quiet_for().is_some_and(|quiet| quiet < window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_serving_for_the_window_after_a_request_and_not_before_any() {
        let foreground = Foreground::default();
        assert_eq!(foreground.quiet_for(), None);
        assert!(!foreground.serving_within(Duration::from_secs(3600)));
        foreground.touch();
        assert!(foreground.quiet_for().unwrap() < Duration::from_secs(1));
        assert!(foreground.serving_within(Duration::from_secs(1)));
        std::thread::sleep(Duration::from_millis(30));
        assert!(!foreground.serving_within(Duration::from_millis(10)));
        assert!(foreground.serving_within(Duration::from_secs(1)));
    }
}

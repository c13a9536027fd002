//! Every bound and pace of the client in one place: concurrency, timeouts, retries, waiting for
//! registrations to reach the nodes, and the daemon's body limit.

use std::time::Duration;

/// How the client talks to storage nodes. [`Settings::default`] suits a committee on a LAN or
/// the internet; tests shorten the waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Requests in flight at once over all nodes.
    pub max_concurrent_requests: usize,
    /// Sliver bytes an upload holds loaded at once over all nodes (at least one sliver). A
    /// request body is made of its slivers' own bytes (shared, not copied), so this bounds what
    /// the bodies in flight hold too.
    pub max_upload_bytes: usize,
    /// Requests in flight at once to one node.
    pub max_requests_per_node: usize,
    /// How long one request may take (without the registration wait below).
    pub request_timeout: Duration,
    /// How long a node may hold a store request while it waits to see the blob's registration
    /// (its chain follower trails the client's transaction); passed as `?wait_millis=`.
    pub registration_wait: Duration,
    /// How long a pause in an upload a node may sit through while a request waits for the rest
    /// of it (`?upload_wait_millis=`): the metadata and the slivers go to a node at once (a batch
    /// that comes first waits for the metadata), and its confirmation is asked for as its last
    /// slivers go out (answered once they are stored): one round trip per node for a store,
    /// not three. What does not come so is sent, or asked for, again as it would have been.
    /// Zero: metadata first, then the slivers, then the confirmation.
    pub upload_wait: Duration,
    /// Attempts of one store request to one node (the first included) before giving the node up.
    pub store_attempts: usize,
    /// The first pause between attempts; it doubles on each retry.
    pub retry_delay: Duration,
    /// Once confirmations reach a quorum, how long the slower nodes still get to receive their
    /// data (they are no longer asked to confirm), so that fewer of them need to recover slivers
    /// later ([`Grace`]). The certificate does not wait for
    /// them: it goes on chain meanwhile, and a store returns once both are done
    /// ([`FloeClient::store_detaching_tail`](crate::FloeClient::store_detaching_tail) answers
    /// once the blob is certified, and the slower nodes' upload goes on after it).
    pub quorum_grace: Grace,
    /// Stores answered before their grace period ended whose upload to the slower nodes may go
    /// on at once ([`FloeClient::store_detaching_tail`](crate::FloeClient::store_detaching_tail));
    /// each holds its encoded blob until its grace period ends. A store finding none free
    /// answers after its grace period, as a plain store does.
    pub max_detached_tails: usize,
    /// Timeout of one status request during the already-certified check.
    pub status_timeout: Duration,
    /// Whether a new blob's upload starts alongside its register transaction (nodes hold what
    /// comes before they see the registration; see `crate::upload`) or waits for it. Waiting
    /// suits nodes that hold nothing before the registration: each would refuse every early
    /// request once.
    pub upload_before_registration: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_concurrent_requests: 64,
            max_upload_bytes: 128 << 20,
            max_requests_per_node: 8,
            request_timeout: Duration::from_secs(60),
            registration_wait: Duration::from_secs(10),
            upload_wait: Duration::from_secs(10),
            store_attempts: 5,
            retry_delay: Duration::from_millis(200),
            quorum_grace: Grace::default(),
            max_detached_tails: 32,
            status_timeout: Duration::from_secs(5),
            upload_before_registration: true,
        }
    }
}

/// The slower nodes' time after the quorum: `base` plus `percent` of the time the quorum took,
/// at most `most`. Proportional, so that a small store is not held for what a large one needs:
/// the slower nodes of a store whose quorum took 100 ms rarely need seconds more, while a large
/// blob's slower nodes may need many seconds to finish rather than recover gigabytes. Walrus's
/// client waits likewise (half the quorum's time plus 0.5 s).
///
/// ```
/// use std::time::Duration;
/// use floe_client::settings::Grace;
///
/// let grace = Grace::default();
/// assert_eq!(grace.after(Duration::from_millis(200)), Duration::from_millis(600));
/// assert_eq!(grace.after(Duration::from_secs(600)), Duration::from_secs(30));
/// assert_eq!(Grace::fixed(Duration::from_secs(2)).after(Duration::from_secs(9)), Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grace {
    /// Granted whatever the quorum took.
    pub base: Duration,
    /// Granted per hundred of the quorum's time.
    pub percent: u32,
    /// The most granted.
    pub most: Duration,
}

impl Grace {
    /// The same time whatever the quorum took.
    pub const fn fixed(time: Duration) -> Self {
        Self { base: time, percent: 0, most: time }
    }

    /// The grace after a quorum reached in `quorum_took`.
    pub fn after(&self, quorum_took: Duration) -> Duration {
        (self.base + quorum_took * self.percent / 100).min(self.most)
    }
}

impl Default for Grace {
    /// 0.5 s plus half the quorum's time, at most 30 s.
    fn default() -> Self {
        Self { base: Duration::from_millis(500), percent: 50, most: Duration::from_secs(30) }
    }
}

/// The publisher's default body limit: 10 MiB, as Walrus' publisher.
pub const DEFAULT_MAX_PUBLISH_BODY: usize = 10 * 1024 * 1024;

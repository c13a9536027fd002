//! Every bound and pace of the client in one place: concurrency, timeouts, retries, waiting for
//! registrations to reach the nodes, and the daemon's body limit.

use std::time::Duration;

/// How the client talks to storage nodes. [`Settings::default`] suits a committee on a LAN or
/// the internet; tests shorten the waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Requests in flight at once over all nodes.
    pub max_concurrent_requests: usize,
    /// Sliver bytes an upload holds loaded at once over all nodes (at least one sliver): each
    /// sliver in flight is also copied once into its request body, so an upload's slivers cost
    /// about twice this at most.
    pub max_upload_bytes: usize,
    /// Requests in flight at once to one node.
    pub max_requests_per_node: usize,
    /// How long one request may take (without the registration wait below).
    pub request_timeout: Duration,
    /// How long a node may hold a store request while it waits to see the blob's registration
    /// (its chain follower trails the client's transaction); passed as `?wait_millis=`.
    pub registration_wait: Duration,
    /// Attempts of one store request to one node (the first included) before giving the node up.
    pub store_attempts: usize,
    /// The first pause between attempts; it doubles on each retry.
    pub retry_delay: Duration,
    /// Once confirmations reach a quorum, how long the slower nodes still get to finish, so that
    /// fewer of them need to recover slivers later. The certificate does not wait for them: it
    /// goes on chain meanwhile, and a store returns once both are done
    /// ([`FloeClient::store_detaching_tail`](crate::FloeClient::store_detaching_tail) answers
    /// once the blob is certified, and the slower nodes' upload goes on after it).
    pub quorum_grace: Duration,
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
            store_attempts: 5,
            retry_delay: Duration::from_millis(200),
            quorum_grace: Duration::from_secs(2),
            max_detached_tails: 32,
            status_timeout: Duration::from_secs(5),
            upload_before_registration: true,
        }
    }
}

/// The publisher's default body limit: 10 MiB, as Walrus' publisher.
pub const DEFAULT_MAX_PUBLISH_BODY: usize = 10 * 1024 * 1024;

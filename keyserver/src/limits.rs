//! Every bound the key server enforces, in one place.

use std::time::Duration;

/// Largest request body accepted (Seal's bound).
pub const MAX_REQUEST_BYTES: usize = 180 * 1024;
/// Most commands (so most key ids) in one request's PTB.
pub const MAX_COMMANDS: usize = 100;
/// Default bound on how old the newest checkpoint the server has seen may be before it
/// refuses to judge policies (a lagging full node would grant on outdated state).
pub const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(120);
/// How often the server reads the chain's newest checkpoint.
pub const FRESHNESS_POLL: Duration = Duration::from_millis(500);
/// Default sustained requests per second one user may make.
pub const DEFAULT_RATE_PER_SECOND: u32 = 20;
/// Default burst one user may make above the sustained rate.
pub const DEFAULT_RATE_BURST: u32 = 40;
/// Default sustained requests per second from one IP address (several users may share one
/// behind a NAT, so above the per-user rate).
pub const DEFAULT_IP_RATE_PER_SECOND: u32 = 50;
/// Default burst from one IP address above its sustained rate.
pub const DEFAULT_IP_RATE_BURST: u32 = 100;
/// Users (or IP addresses) whose buckets are remembered; beyond this, full buckets are forgotten.
pub const MAX_TRACKED_CLIENTS: usize = 100_000;
/// How long a client waits for one key server.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

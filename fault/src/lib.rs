//! floe-fault: the fault suite. Each test starts a floe network of separate processes of the real
//! `floe` binary on loopback — the chain (`floe localnet --external-nodes --no-daemon`, which
//! makes the genesis committee and serves the devnet), one `floe node --config
//! node-<i>/node.toml` per storage node, the publisher/aggregator (`floe daemon`) and the indexer
//! (`floe indexer`) — then kills, damages or starves some of them and checks what users see.
//!
//! The binary is `$FLOE_BIN` when set (scripts/test sets it), else the `floe` next to this test
//! executable's `deps/` folder (`target/debug/floe`), which `cargo test --workspace` builds before
//! running any test; `cargo test -p floe-fault` alone needs `cargo build -p floe-cli` first.
//!
//! Every random choice comes from [`Rng`], seeded by `FLOE_FAULT_SEED` (default: fixed per
//! scenario) and printed; how long the faults go on is `FLOE_FAULT_SECS` (default: short enough
//! for CI). Each scenario prints one [`Figures`] line.

mod figures;
mod http;
mod network;
mod process;

pub use figures::Figures;
pub use http::{Publisher, Stored, blob_bytes, node_get, random_blob};
pub use network::{Network, NetworkOptions};
pub use process::{Process, StartError, floe_bin};

use std::time::Duration;

use rand::SeedableRng;

/// The scenarios' random source.
pub type Rng = rand::rngs::StdRng;

/// The seed of scenario `name`: `FLOE_FAULT_SEED` if set, else a fixed one derived from the name
/// (so CI runs are repeatable); printed so that a failure can be replayed.
pub fn seeded(name: &str) -> Rng {
    let seed = std::env::var("FLOE_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        name.bytes().fold(0xf10e_u64, |acc, b| acc.wrapping_mul(1_099_511_628_211).wrapping_add(u64::from(b)))
    });
    println!("{name}: seed {seed} (replay with FLOE_FAULT_SEED={seed})");
    Rng::seed_from_u64(seed)
}

/// How long a scenario keeps injecting faults: `FLOE_FAULT_SECS`, else `default`.
pub fn fault_duration(default: Duration) -> Duration {
    std::env::var("FLOE_FAULT_SECS").ok().and_then(|s| s.parse().ok()).map(Duration::from_secs).unwrap_or(default)
}

/// Polls `check` every 200 ms until it gives a value or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

//! Shared staking scenarios; see `net` for the network they run on.

#[allow(dead_code)] // Shared with floe_genesis, which uses the restart helpers.
pub mod net;

mod active_set;
mod challenges;
mod committee_selection;
mod epoch_change;
mod rewards;
mod stake;

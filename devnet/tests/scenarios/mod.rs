//! Shared scenarios: each test runs real signed transactions built with floe-chain's call
//! builders against a devnet executing floe natively, and checks the events, object states and
//! aborts (module + code) that its twin Move unit test in `move/floe/tests/` (or
//! `move/wal/tests/`) checks — same name, listed in `move/README.md` under "Scenario twins".

pub mod floe_net;

mod attributes;
mod blobs;
mod certificates;
mod shared_blobs;
mod storage;
mod wal_and_init;

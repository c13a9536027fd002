//! What the floe scenario networks (`scenarios/floe_net.rs`, `staking/net.rs`) share: running a
//! transaction through floe-chain's executor, reading what it created, and naming a Move abort by
//! `(module, code)` as the twin Move unit tests name it with
//! `#[expected_failure(abort_code = ..., location = ...)]`.

use floe_chain::floe::{FloeEvent, MoveType};
use floe_chain::{ChainClient, ExecuteError, Executed, Executor, Keypair, Packages};
use serde::de::DeserializeOwned;
use sui_sdk_types::Address;
use sui_transaction_builder::TransactionBuilder;

/// The gas budget of every scenario transaction.
pub const BUDGET: u64 = 50_000_000;

/// `(module, code)` of a Move abort: in the floe or wal package, or in `0x2`.
pub type AbortAt = (String, u64);

/// Builds a transaction of `key`'s with `build` and executes it, as floe's own transactions go.
pub async fn run_as(
    client: &ChainClient,
    key: &Keypair,
    build: impl FnOnce(&mut TransactionBuilder),
) -> Result<Executed, ExecuteError> {
    Executor::new(client.clone(), key.clone()).run(BUDGET, build).await
}

/// The id of the one object of type `T` the transaction created.
pub async fn created_of<T: MoveType>(client: &ChainClient, packages: &Packages, executed: &Executed) -> Address {
    let tag = T::struct_tag(packages);
    for written in executed.created() {
        let object = client.get_object(*written.reference.object_id()).await.unwrap();
        if object.as_struct().is_some_and(|s| s.object_type() == &tag) {
            return object.object_id();
        }
    }
    panic!("no {tag} created by {}", executed.digest)
}

/// Decodes object `id` as `T`.
pub async fn read<T: DeserializeOwned>(client: &ChainClient, id: Address) -> T {
    let object = client.get_object(id).await.unwrap();
    bcs::from_bytes(object.as_struct().unwrap().contents()).unwrap()
}

/// The floe events a transaction emitted.
pub fn events(packages: &Packages, executed: &Executed) -> Vec<FloeEvent> {
    executed.events.iter().map(|e| FloeEvent::from_event(packages, e).unwrap()).collect()
}

/// The abort `result` failed with; panics if it is no Move abort.
pub fn abort_of<T: std::fmt::Debug>(result: Result<T, ExecuteError>) -> AbortAt {
    match result {
        Err(error) => {
            let abort = error.move_abort().unwrap_or_else(|| panic!("not a Move abort: {error}"));
            (abort.module, abort.code)
        }
        Ok(value) => panic!("expected a Move abort, got {value:?}"),
    }
}

/// `(module, code)` for comparisons with [`abort_of`].
pub fn at(module: &str, code: u64) -> AbortAt {
    (module.to_owned(), code)
}

//! Registering a key server on chain: `key_server::register_and_transfer` makes a `KeyServer`
//! object owned by the operator, in Seal's versioned layout (its name, URL and IBE public key in
//! the dynamic field of version 2).

use floe_chain::floe::{KeyServerRegistration, SealCalls};
use floe_chain::{ChainClient, ExecuteError, Executor, Keypair, Packages, gas_budget};
use floe_seal::PublicKey;
use sui_sdk_types::{Address, Owner};

/// Why a registration failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// The operator cannot pay gas, the chain could not be reached or the transaction failed.
    #[error(transparent)]
    Execute(#[from] ExecuteError),
    /// The transaction succeeded but created no object.
    #[error("the registration transaction {0} created no KeyServer object")]
    NothingCreated(sui_sdk_types::Digest),
}

/// Registers a key server under `packages.seal` and returns its `KeyServer` object id, which
/// the server then reports at `/v1/service` and encrypted objects name.
pub async fn register_key_server(
    chain: &ChainClient,
    packages: &Packages,
    operator: &Keypair,
    name: &str,
    url: &str,
    public_key: &PublicKey,
) -> Result<Address, RegistrationError> {
    let registration = KeyServerRegistration {
        name: name.to_owned(),
        url: url.to_owned(),
        key_type: 0,
        public_key: public_key.to_bytes().to_vec(),
    };
    let executed = Executor::new(chain.clone(), operator.clone())
        .run(gas_budget::CALL, |builder| {
            SealCalls::new(packages).register_key_server_and_transfer(builder, &registration)
        })
        .await?;
    // The KeyServer is the created object the operator owns; its details field is owned by it.
    executed
        .created()
        .into_iter()
        .find(|o| o.owner == Owner::Address(operator.address()))
        .map(|o| *o.reference.object_id())
        .ok_or_else(|| RegistrationError::NothingCreated(executed.digest))
}

//! The node's operator account: the Sui key its own transactions are signed with (opening a
//! challenge window, recording challenge outcomes), paying gas from its largest SUI coin.

use floe_chain::{
    ChainClient, ClientError, Deployment, Keypair, PaymentError,
    floe::{FloeCalls, ResolveError, state::FloeReader},
    select_gas, transaction_for,
};
use sui_transaction_builder::TransactionBuilder;

/// Why a node's transaction was not executed.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The chain could not be read, or the transaction failed or aborted.
    #[error(transparent)]
    Chain(#[from] ClientError),
    /// System, Staking or a shared object could not be resolved.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// No SUI for gas.
    #[error(transparent)]
    Gas(#[from] PaymentError),
    /// The transaction could not be built.
    #[error("building the transaction: {0}")]
    Build(String),
}

impl OperatorError {
    /// Worth another attempt: the chain did not answer or gas was short (an abort or a build
    /// failure will not change).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Chain(error) => error.move_abort().is_none(),
            Self::Resolve(_) | Self::Gas(_) => true,
            Self::Build(_) => false,
        }
    }

    /// The Move abort code, if the transaction aborted.
    pub fn abort_code(&self) -> Option<u64> {
        match self {
            Self::Chain(error) => error.move_abort().map(|abort| abort.code),
            _ => None,
        }
    }
}

/// Signs and executes the node's own transactions.
#[derive(Debug, Clone)]
pub struct Operator {
    client: ChainClient,
    deployment: Deployment,
    key: Keypair,
}

impl Operator {
    /// The operator account of `key` on `deployment`.
    pub fn new(client: ChainClient, deployment: Deployment, key: Keypair) -> Self {
        Self { client, deployment, key }
    }

    /// A reader of floe's state on the same chain.
    pub fn reader(&self) -> FloeReader {
        FloeReader::new(self.client.clone(), self.deployment.clone())
    }

    /// The account's address.
    pub fn address(&self) -> sui_sdk_types::Address {
        self.key.address()
    }

    /// The deployment the transactions are for.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// The chain client.
    pub fn client(&self) -> &ChainClient {
        &self.client
    }

    /// Builds a transaction with `build` (given floe's resolved calls), pays up to `budget` MIST
    /// of gas, signs and executes it, and waits for its effects.
    pub async fn execute(
        &self,
        budget: u64,
        build: impl FnOnce(&mut TransactionBuilder, &FloeCalls),
    ) -> Result<(), OperatorError> {
        let owner = self.key.address();
        let calls = FloeCalls::resolve(&self.client, &self.deployment).await?;
        let gas = select_gas(&self.client, owner, budget).await?;
        let price = self.client.reference_gas_price().await?;
        let mut builder = transaction_for(owner, &gas, price, budget);
        build(&mut builder, &calls);
        let transaction = builder.try_build().map_err(|error| OperatorError::Build(error.to_string()))?;
        self.client.sign_and_execute(&transaction, &self.key).await?;
        Ok(())
    }
}

//! The node's operator account: the Sui key its own transactions are signed with (opening a
//! challenge window, recording challenge outcomes), paying gas from its largest SUI coin.

use floe_chain::{
    ChainClient, Deployment, ExecuteError, Executor, Keypair,
    floe::{FloeCalls, ResolveError, state::FloeReader},
};
use sui_transaction_builder::TransactionBuilder;

/// Why a node's transaction was not executed.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// No SUI for gas, the chain could not be reached, or the transaction failed or aborted.
    #[error(transparent)]
    Execute(#[from] ExecuteError),
    /// System, Staking or a shared object could not be resolved.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
}

impl OperatorError {
    /// Worth another attempt: the chain did not answer or gas was short (an abort or a build
    /// failure will not change).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Execute(error) => error.is_transient(),
            Self::Resolve(_) => true,
        }
    }

    /// The Move abort code, if the transaction aborted.
    pub fn abort_code(&self) -> Option<u64> {
        match self {
            Self::Execute(error) => error.move_abort().map(|abort| abort.code),
            Self::Resolve(_) => None,
        }
    }
}

/// Signs and executes the node's own transactions.
#[derive(Debug, Clone)]
pub struct Operator {
    executor: Executor,
    deployment: Deployment,
}

impl Operator {
    /// The operator account of `key` on `deployment`.
    pub fn new(client: ChainClient, deployment: Deployment, key: Keypair) -> Self {
        Self { executor: Executor::new(client, key), deployment }
    }

    /// A reader of floe's state on the same chain.
    pub fn reader(&self) -> FloeReader {
        FloeReader::new(self.client().clone(), self.deployment.clone())
    }

    /// The account's address.
    pub fn address(&self) -> sui_sdk_types::Address {
        self.executor.address()
    }

    /// The deployment the transactions are for.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// The chain client.
    pub fn client(&self) -> &ChainClient {
        self.executor.client()
    }

    /// Builds a transaction with `build` (given floe's resolved calls), pays up to `budget` MIST
    /// of gas, signs and executes it, and waits for its effects.
    pub async fn execute(
        &self,
        budget: u64,
        build: impl FnOnce(&mut TransactionBuilder, &FloeCalls),
    ) -> Result<(), OperatorError> {
        let calls = FloeCalls::resolve(self.client(), &self.deployment).await?;
        self.executor.run(budget, |builder| build(builder, &calls)).await?;
        Ok(())
    }
}

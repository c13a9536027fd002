//! The one path floe's own transactions take to the chain: choose the gas coin, read the
//! reference gas price, build, sign, execute and wait for the checkpoint ([`Executor`]), with the
//! gas budget of each kind of transaction in one place ([`gas_budget`]).
//!
//! A caller that lends its own gas coins (the client's coin pool, so that concurrent stores never
//! name one coin version twice) takes the two halves separately: [`Executor::builder_paying_with`]
//! and [`Executor::execute`]; everyone else calls [`Executor::run`].

use sui_sdk_types::Address;
use sui_transaction_builder::TransactionBuilder;

use crate::client::{ChainClient, ClientError};
use crate::executed::{Executed, ExecutionFailure, MoveAbort};
use crate::keys::Keypair;
use crate::payment::{PaymentError, SelectedCoin, select_gas, transaction_for};

/// Gas budgets in MIST, by kind of transaction. A budget is what the sender risks at most: large
/// enough for the transaction's heaviest case, small enough that a gas coin for it is easy to
/// hold.
pub mod gas_budget {
    /// Publishing a floe package (floe's twenty modules are the largest) and initializing floe.
    pub const DEPLOY: u64 = 2_000_000_000;
    /// A client's blob or account operation (register with its storage purchase, certify, extend,
    /// stake, transfers).
    pub const BLOB_OPERATION: u64 = 500_000_000;
    /// One Move call on a few objects: a node's challenge and epoch-sync calls, a key server's
    /// registration, a Seal policy change.
    pub const CALL: u64 = 50_000_000;
    /// A key server's simulation of a key request's `seal_approve*` calls (nothing is charged; a
    /// full node still checks that the user's gas coin could pay it).
    pub const SIMULATION: u64 = 5_000_000;
}

/// Why a transaction was not executed, or executed and failed.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// No SUI coin can pay the gas, or the sender's coins could not be read.
    #[error(transparent)]
    Gas(#[from] PaymentError),
    /// The transaction is incomplete (nothing was sent).
    #[error("the transaction does not build: {0}")]
    Build(#[from] sui_transaction_builder::Error),
    /// The chain could not be reached or refused the transaction, or it executed and failed
    /// (a Move abort: [`ClientError::ExecutionFailed`]).
    #[error(transparent)]
    Chain(#[from] ClientError),
}

impl ExecuteError {
    /// How the transaction failed, when it executed and failed (gas was charged).
    pub fn execution_failure(&self) -> Option<&ExecutionFailure> {
        match self {
            Self::Chain(ClientError::ExecutionFailed(failure)) => Some(failure),
            _ => None,
        }
    }

    /// The Move abort behind this error, if it is one.
    pub fn move_abort(&self) -> Option<MoveAbort> {
        self.execution_failure().and_then(ExecutionFailure::move_abort)
    }

    /// Worth another attempt: the chain did not answer, or the gas was short (an abort or an
    /// incomplete transaction fails the same way again).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Chain(_) => self.move_abort().is_none(),
            Self::Gas(_) => true,
            Self::Build(_) => false,
        }
    }
}

/// Signs with one key and pays gas from its account: every transaction floe sends goes through
/// one of these. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Executor {
    client: ChainClient,
    key: Keypair,
}

impl Executor {
    /// Sends `key`'s transactions to `client`'s chain.
    pub fn new(client: ChainClient, key: Keypair) -> Self {
        Self { client, key }
    }

    /// The sender's address.
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// The signing key.
    pub fn key(&self) -> &Keypair {
        &self.key
    }

    /// The chain client.
    pub fn client(&self) -> &ChainClient {
        &self.client
    }

    /// Builds with `build`, paying up to `budget` MIST of gas from the sender's largest SUI coin,
    /// then signs, executes and waits for the checkpoint.
    pub async fn run(
        &self,
        budget: u64,
        build: impl FnOnce(&mut TransactionBuilder),
    ) -> Result<Executed, ExecuteError> {
        self.run_with_gas_spent(budget, 0, build).await
    }

    /// [`Executor::run`] for a transaction that also spends `spent` MIST out of the gas coin (a
    /// fee paid in SUI): the coin must hold it on top of the budget.
    pub async fn run_with_gas_spent(
        &self,
        budget: u64,
        spent: u64,
        build: impl FnOnce(&mut TransactionBuilder),
    ) -> Result<Executed, ExecuteError> {
        let gas = select_gas(&self.client, self.address(), budget.saturating_add(spent)).await?;
        let mut builder = self.builder_paying_with(&gas, budget).await?;
        build(&mut builder);
        self.execute(builder).await
    }

    /// A transaction from the sender paying gas with `gas`, at the chain's reference gas price,
    /// up to `budget` MIST.
    pub async fn builder_paying_with(
        &self,
        gas: &SelectedCoin,
        budget: u64,
    ) -> Result<TransactionBuilder, ExecuteError> {
        let price = self.client.reference_gas_price().await?;
        Ok(transaction_for(self.address(), gas, price, budget))
    }

    /// Builds `builder`'s transaction, signs it, executes it and waits until it is in a
    /// checkpoint. A transaction that executed and failed is [`ClientError::ExecutionFailed`].
    pub async fn execute(&self, builder: TransactionBuilder) -> Result<Executed, ExecuteError> {
        let transaction = builder.try_build()?;
        Ok(self.client.sign_and_execute(&transaction, &self.key).await?)
    }
}

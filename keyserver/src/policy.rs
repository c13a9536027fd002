//! The policy check: the key request's PTB, simulated on the chain as the certificate's user.
//! If no `seal_approve*` call aborts, the policy grants the keys.

use floe_chain::gas_budget::SIMULATION as SIMULATION_GAS_BUDGET;
use floe_chain::{ChainClient, ClientError, PaymentError, select_gas};
use sui_sdk_types::{
    Address, GasPayment, ProgrammableTransaction, Transaction, TransactionExpiration, TransactionKind,
};

use crate::error::{ChainProblem, RequestError};

/// Simulates `ptb` with `user` as the sender; `Ok` when every call returned.
pub(crate) async fn evaluate(
    client: &ChainClient,
    ptb: ProgrammableTransaction,
    user: Address,
    gas_price: u64,
) -> Result<(), RequestError> {
    // A full node checks gas even in a simulation; any SUI coin of the user's will do, and
    // nothing is charged.
    let gas = select_gas(client, user, SIMULATION_GAS_BUDGET).await.map_err(|e| match e {
        PaymentError::InsufficientBalance { available, .. } => {
            RequestError::NoGasCoin { user, needed: SIMULATION_GAS_BUDGET, available }
        }
        PaymentError::Client(source) => {
            RequestError::ChainUnavailable(ChainProblem::Client { call: "the user's SUI coins", source })
        }
    })?;
    let transaction = Transaction {
        kind: TransactionKind::ProgrammableTransaction(ptb),
        sender: user,
        gas_payment: GasPayment {
            objects: vec![gas.reference],
            owner: user,
            price: gas_price,
            budget: SIMULATION_GAS_BUDGET,
        },
        expiration: TransactionExpiration::None,
    };
    match client.simulate(&transaction).await {
        Ok(_) => Ok(()),
        Err(ClientError::ExecutionFailed(failure)) => Err(RequestError::NoAccess(match failure.move_abort() {
            Some(abort) => format!("the policy aborted with {abort}"),
            None => format!("the policy call failed: {:?}", failure.error),
        })),
        Err(e) => match e.code() {
            Some(code) if is_input_problem(code) => Err(RequestError::InvalidParameter(e)),
            _ => Err(RequestError::ChainUnavailable(ChainProblem::Client { call: "SimulateTransaction", source: e })),
        },
    }
}

/// Answers meaning "these inputs cannot be evaluated" (object missing, stale version, unknown
/// function) rather than "the chain is down".
fn is_input_problem(code: tonic::Code) -> bool {
    matches!(code, tonic::Code::InvalidArgument | tonic::Code::NotFound | tonic::Code::FailedPrecondition)
}

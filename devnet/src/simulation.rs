//! `SimulateTransaction`: a transaction, maybe incomplete, executed against the current state
//! without committing anything.
//!
//! As on a Sui full node: the transaction may leave object inputs and the gas payment to the
//! node (see [`crate::unresolved`] and [`crate::gas_selection`]); the answer carries the
//! completed transaction (which the SDKs then sign), its effects, events, balance changes and
//! each command's return values; the read mask is a mask over `SimulateTransactionResponse`
//! (`transaction.effects.status`, `command_outputs`, ...), everything when absent. A transaction
//! that fails in execution is answered with a failed status; one that cannot run at all (an
//! unknown object, no gas) with an error status.

use std::collections::HashSet;

use sui_rpc::field::FieldMaskTree;
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::{Address, GasPayment, MoveStruct, Object, ObjectData, ObjectReference, Owner, StructTag};
use tonic::Status;

use crate::gas_selection::{GasCoin, select_gas, uses_gas_coin};
use crate::ledger::Ledger;
use crate::render;
use crate::unresolved::UnresolvedTransaction;

/// How many of the gas owner's coins gas selection considers.
const GAS_CANDIDATES: usize = 1000;

/// Answers one `SimulateTransaction` request.
pub(crate) fn simulate(
    ledger: &Ledger,
    request: &proto::SimulateTransactionRequest,
) -> Result<proto::SimulateTransactionResponse, Status> {
    let mask = response_mask(request.read_mask.as_ref())?;
    let message = request.transaction.as_ref().ok_or_else(|| Status::invalid_argument("missing transaction"))?;
    let unresolved = UnresolvedTransaction::from_proto(message)
        .map_err(|e| Status::invalid_argument(format!("transaction: {e}")))?;
    let lookup = |id: &Address| ledger.object(id);
    let programmable = unresolved.resolve_inputs(&lookup).map_err(|r| crate::service::rejection_status(&r))?;
    // Without gas objects nothing can execute: they are chosen then, asked for or not (a
    // transaction-kind-only build sends none and ignores the gas in the answer).
    let checks_disabled = request.checks() == proto::simulate_transaction_request::TransactionChecks::Disabled;
    let mut mock_gas = None;
    let gas_payment = if request.do_gas_selection() || unresolved.gas.objects.is_empty() {
        let owner = unresolved.gas.owner.unwrap_or(unresolved.sender);
        let inputs: HashSet<Address> = unresolved.input_object_ids().collect();
        let selected = select_gas(
            &unresolved.gas,
            unresolved.sender,
            uses_gas_coin(&programmable.commands),
            &inputs,
            gas_coins(ledger, owner),
            ledger.gas(),
        );
        match selected {
            Ok(payment) => payment,
            // With checks disabled (a transaction-kind-only build resolving its inputs, often
            // with no sender at all) a full node runs the transaction on a made-up gas coin:
            // nobody pays for a simulation.
            Err(_) if checks_disabled && unresolved.gas.objects.is_empty() && !request.do_gas_selection() => {
                let budget = unresolved.gas.budget.unwrap_or(ledger.gas().charge);
                let coin = simulation_gas_coin(owner, budget);
                let payment = GasPayment {
                    objects: vec![ObjectReference::new(coin.object_id(), coin.version(), coin.digest())],
                    owner,
                    price: unresolved.gas.price.unwrap_or(ledger.gas().reference_gas_price),
                    budget,
                };
                mock_gas = Some(coin);
                payment
            }
            Err(rejection) => return Err(crate::service::rejection_status(&rejection)),
        }
    } else {
        let gas = &unresolved.gas;
        GasPayment {
            objects: gas.objects.clone(),
            owner: gas.owner.unwrap_or(unresolved.sender),
            price: gas.price.unwrap_or(ledger.gas().reference_gas_price),
            budget: gas.budget.unwrap_or(ledger.gas().charge),
        }
    };
    let transaction = unresolved.complete(programmable, gas_payment);
    let simulation =
        ledger.simulate_with(&transaction, mock_gas.as_ref()).map_err(|r| crate::service::rejection_status(&r))?;

    let mut response = proto::SimulateTransactionResponse::default();
    if let Some(submask) = mask.subtree(proto::SimulateTransactionResponse::TRANSACTION_FIELD.name) {
        let mut executed =
            render::executed(&simulation.record, &submask, &mut crate::move_json::JsonRenderer::new(ledger));
        // Not sequenced: no checkpoint, no time.
        executed.checkpoint = None;
        executed.timestamp = None;
        executed.transaction_index = None;
        response.transaction = Some(executed);
    }
    if mask.contains(proto::SimulateTransactionResponse::COMMAND_OUTPUTS_FIELD.name) {
        response.command_outputs =
            simulation.return_values.iter().map(|values| command_result(values.as_slice())).collect();
    }
    if mask.contains(proto::SimulateTransactionResponse::SUGGESTED_GAS_PRICE_FIELD.name) {
        response.suggested_gas_price = Some(ledger.gas().reference_gas_price);
    }
    Ok(response)
}

/// The caller's mask over the response, everything when absent; a path naming no field of the
/// response is refused, as Sui does.
fn response_mask(mask: Option<&prost_types::FieldMask>) -> Result<FieldMaskTree, Status> {
    const FIELDS: [&str; 3] = [
        proto::SimulateTransactionResponse::TRANSACTION_FIELD.name,
        proto::SimulateTransactionResponse::COMMAND_OUTPUTS_FIELD.name,
        proto::SimulateTransactionResponse::SUGGESTED_GAS_PRICE_FIELD.name,
    ];
    let Some(mask) = mask.filter(|m| !m.paths.is_empty()) else {
        return Ok(FieldMaskTree::new_wildcard());
    };
    if let Some(path) = mask.paths.iter().find(|p| *p != "*" && !FIELDS.contains(&p.split('.').next().unwrap_or(""))) {
        return Err(Status::invalid_argument(format!(
            "invalid read_mask path {path:?}: SimulateTransactionResponse has the fields {} \
             (e.g. `transaction.effects.status`)",
            FIELDS.join(", ")
        )));
    }
    Ok(FieldMaskTree::from_field_mask(mask))
}

fn command_result(values: &[Vec<u8>]) -> proto::CommandResult {
    let mut result = proto::CommandResult::default();
    result.return_values = values
        .iter()
        .map(|bytes| {
            let mut output = proto::CommandOutput::default();
            let mut bcs = proto::Bcs::default();
            bcs.value = Some(bytes.clone().into());
            output.value = Some(bcs);
            output
        })
        .collect();
    result
}

/// A SUI coin of `budget` owned by `owner` that exists only in one simulation, at an id no
/// transaction can create (derived from the zero digest).
fn simulation_gas_coin(owner: Address, budget: u64) -> Object {
    let id = Address::derive_id(sui_sdk_types::Digest::new([0; 32]), u64::MAX);
    let contents = bcs::to_bytes(&(id, budget)).expect("a coin serializes");
    let data = MoveStruct::new(StructTag::gas_coin(), true, 1, contents).expect("the contents start with the id");
    Object::new(ObjectData::Struct(data), Owner::Address(owner), sui_sdk_types::Digest::new([0; 32]), 0)
}

/// The owner's SUI coins with their balances.
fn gas_coins(ledger: &Ledger, owner: Address) -> Vec<GasCoin> {
    let (objects, _) = ledger.owned_objects(&owner, Some(&StructTag::gas_coin()), None, GAS_CANDIDATES);
    objects
        .iter()
        .filter_map(|object| {
            let coin = sui_sdk_types::framework::Coin::try_from_object(object)?;
            let reference = sui_sdk_types::ObjectReference::new(object.object_id(), object.version(), object.digest());
            Some(GasCoin { reference, balance: coin.balance() })
        })
        .collect()
}

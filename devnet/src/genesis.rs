//! Genesis: the first transaction of the chain, creating the funded accounts' SUI coins, the
//! shared Clock (`0x6`) and the shared Random (`0x8`, with its inner state).

use sui_sdk_types::{
    Address, ChangedObject, Digest, ExecutionStatus, GasCostSummary, GasPayment, GenesisObject, GenesisTransaction,
    IdOperation, MoveStruct, Object, ObjectData, ObjectIn, ObjectOut, Owner, StructTag, Transaction,
    TransactionEffects, TransactionEffectsV2, TransactionEvents, TransactionExpiration, TransactionKind,
};

use crate::config::GenesisConfig;
use crate::framework::{CLOCK, ClockValue, CoinValue, clock_type};
use crate::store::TransactionRecord;

/// The version every genesis object starts at, as on Sui.
const GENESIS_VERSION: u64 = 1;

/// Builds the genesis transaction and the objects it creates: the configured SUI coins, the
/// Clock, the Random object and its inner field, then `extra` (e.g. the objects of packages' `init`).
pub(crate) fn genesis_transaction(
    config: &GenesisConfig,
    extra: &[GenesisObject],
    timestamp_ms: u64,
) -> TransactionRecord {
    // Ids are derived from the chain name so two devnets with different names do not share ids.
    let seed = Digest::new(sui_sdk_types::hash::Hasher::digest(config.chain.as_bytes()).into_inner());
    let mut counter = 0;
    let mut genesis_objects = Vec::new();
    for account in &config.accounts {
        for value in &account.sui_coins {
            let id = Address::derive_id(seed, counter);
            counter += 1;
            let contents = bcs::to_bytes(&CoinValue { id, value: *value }).expect("coins serialize");
            let data = MoveStruct::new(StructTag::gas_coin(), true, GENESIS_VERSION, contents)
                .expect("coin contents start with the id");
            genesis_objects.push(GenesisObject::new(ObjectData::Struct(data), Owner::Address(account.address)));
        }
    }
    let clock = bcs::to_bytes(&ClockValue { id: CLOCK, timestamp_ms }).expect("clock serializes");
    let clock = MoveStruct::new(clock_type(), false, GENESIS_VERSION, clock).expect("clock starts with its id");
    genesis_objects.push(GenesisObject::new(ObjectData::Struct(clock), Owner::Shared(GENESIS_VERSION)));
    // The Versioned inside Random has a UID of its own, created by genesis like the coins.
    let versioned = Address::derive_id(seed, counter);
    genesis_objects.extend(crate::random::genesis_objects(versioned, GENESIS_VERSION));
    genesis_objects.extend_from_slice(extra);
    let transaction = Transaction {
        kind: TransactionKind::Genesis(GenesisTransaction { objects: genesis_objects.clone() }),
        sender: Address::ZERO,
        gas_payment: GasPayment { objects: Vec::new(), owner: Address::ZERO, price: 0, budget: 0 },
        expiration: TransactionExpiration::None,
    };
    let digest = transaction.digest();
    let objects: Vec<Object> =
        genesis_objects.into_iter().map(|g| Object::new(g.data().clone(), *g.owner(), digest, 0)).collect();
    let mut changed_objects: Vec<ChangedObject> = objects
        .iter()
        .map(|o| ChangedObject {
            object_id: o.object_id(),
            input_state: ObjectIn::NotExist,
            output_state: ObjectOut::ObjectWrite { digest: o.digest(), owner: *o.owner() },
            id_operation: IdOperation::Created,
        })
        .collect();
    changed_objects.sort_by_key(|c| c.object_id);
    let effects = TransactionEffectsV2 {
        status: ExecutionStatus::Success,
        epoch: 0,
        gas_used: GasCostSummary::default(),
        transaction_digest: digest,
        gas_object_index: None,
        events_digest: None,
        dependencies: Vec::new(),
        lamport_version: GENESIS_VERSION,
        changed_objects,
        unchanged_consensus_objects: Vec::new(),
        auxiliary_data_digest: None,
    };
    TransactionRecord {
        transaction,
        signatures: Vec::new(),
        effects: TransactionEffects::V2(Box::new(effects)),
        events: TransactionEvents(Vec::new()),
        checkpoint: 0,
        index: 0,
        timestamp_ms,
        input_objects: Vec::new(),
        output_objects: objects,
    }
}

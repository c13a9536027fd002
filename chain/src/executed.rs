//! What a transaction did: its digest, checkpoint, effects and events, decoded from the node's
//! answer, and how a failed execution (a Move abort) is described.

use std::fmt;

use sui_sdk_types::{
    Address, Digest, Event, ExecutionError, IdOperation, ObjectOut, ObjectReference, Owner, TransactionEffects,
    TransactionEffectsV2,
};

/// A transaction that executed successfully and is in a checkpoint.
#[derive(Debug, Clone)]
pub struct Executed {
    /// The transaction digest.
    pub digest: Digest,
    /// The checkpoint that holds it.
    pub checkpoint: u64,
    /// Its effects (version 2 effects, as current Sui produces).
    pub effects: TransactionEffectsV2,
    /// The events it emitted, in order.
    pub events: Vec<Event>,
}

/// One object that a transaction created or wrote, with its new reference and owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenObject {
    /// The object's new reference (id, version, digest).
    pub reference: ObjectReference,
    /// Its owner after the transaction.
    pub owner: Owner,
    /// Whether the transaction created it.
    pub created: bool,
}

impl Executed {
    /// Every object created or mutated, with its new reference.
    pub fn written(&self) -> Vec<WrittenObject> {
        written_objects(&self.effects)
    }

    /// Objects the transaction created.
    pub fn created(&self) -> Vec<WrittenObject> {
        self.written().into_iter().filter(|o| o.created).collect()
    }

    /// The new reference of `id`, if the transaction wrote it.
    pub fn reference_of(&self, id: &Address) -> Option<ObjectReference> {
        self.written().into_iter().find(|o| o.reference.object_id() == id).map(|o| o.reference)
    }

    /// Ids of the objects the transaction deleted (or wrapped).
    pub fn deleted(&self) -> Vec<Address> {
        self.effects
            .changed_objects
            .iter()
            .filter(|c| matches!(c.output_state, ObjectOut::NotExist))
            .map(|c| c.object_id)
            .collect()
    }
}

/// New references of every object written by a transaction.
pub fn written_objects(effects: &TransactionEffectsV2) -> Vec<WrittenObject> {
    effects
        .changed_objects
        .iter()
        .filter_map(|c| match &c.output_state {
            ObjectOut::ObjectWrite { digest, owner } => Some(WrittenObject {
                reference: ObjectReference::new(c.object_id, effects.lamport_version, *digest),
                owner: *owner,
                created: matches!(c.id_operation, IdOperation::Created),
            }),
            _ => None,
        })
        .collect()
}

/// Extracts version-2 effects; older versions are not produced by current networks.
pub(crate) fn effects_v2(effects: TransactionEffects) -> Option<TransactionEffectsV2> {
    match effects {
        TransactionEffects::V2(v2) => Some(*v2),
        _ => None,
    }
}

/// Why a transaction failed during execution (it is still in a checkpoint and paid gas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionFailure {
    /// The transaction digest.
    pub digest: Digest,
    /// The index of the command that failed, if known.
    pub command: Option<u64>,
    /// The error Sui reported.
    pub error: ExecutionError,
    /// The effects: the gas charge, and the new versions of the gas coin and mutable inputs.
    pub effects: TransactionEffectsV2,
}

impl ExecutionFailure {
    /// The new reference of `id` (e.g. the gas coin, charged even though the transaction failed).
    pub fn reference_of(&self, id: &Address) -> Option<ObjectReference> {
        written_objects(&self.effects).into_iter().find(|o| o.reference.object_id() == id).map(|o| o.reference)
    }

    /// The Move abort code and location `(package, module, function name)`, if this was an abort.
    pub fn move_abort(&self) -> Option<MoveAbort> {
        match &self.error {
            ExecutionError::MoveAbort { location, code } => Some(MoveAbort {
                code: *code,
                package: location.package,
                module: location.module.as_str().to_owned(),
                function: location.function_name.as_ref().map(|f| f.as_str().to_owned()),
            }),
            _ => None,
        }
    }
}

impl fmt::Display for ExecutionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.move_abort() {
            Some(abort) => write!(f, "transaction {} aborted: {abort}", self.digest),
            None => write!(f, "transaction {} failed in command {:?}: {:?}", self.digest, self.command, self.error),
        }
    }
}

/// A Move abort: the code and where it was raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveAbort {
    /// The abort code.
    pub code: u64,
    /// The package of the aborting module.
    pub package: Address,
    /// The aborting module.
    pub module: String,
    /// The aborting function, when the node names it.
    pub function: Option<String>,
}

impl fmt::Display for MoveAbort {
    /// floe's aborts read as the rule they enforce, with the constant and location after it:
    /// `the WAL paid is less than the price (system_state_inner::EInsufficientFunds, code 2 in
    /// 0xf1::system_state_inner::register_blob)`; others as the code and location.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = crate::floe::aborts::rule_of(self);
        if let Some(rule) = rule {
            write!(f, "{} ({}::{}, ", rule.rule, rule.module, rule.name)?;
        }
        write!(f, "code {} in {}::{}", self.code, self.package, self.module)?;
        if let Some(function) = &self.function {
            write!(f, "::{function}")?;
        }
        if rule.is_some() {
            write!(f, ")")?;
        }
        Ok(())
    }
}

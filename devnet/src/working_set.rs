//! The objects one transaction touches, as it executes: loaded inputs, created objects, owner
//! changes and deletions, and the events emitted; turned into written objects and effects at
//! the end.

use std::collections::BTreeMap;

use sui_sdk_types::{
    Address, ChangedObject, Digest, Event, IdOperation, MoveStruct, Object, ObjectData, ObjectIn, ObjectOut, Owner,
    StructTag, UnchangedConsensusKind, UnchangedConsensusObject, Version,
};

/// One object as the transaction sees it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub type_: StructTag,
    pub has_public_transfer: bool,
    pub contents: Vec<u8>,
    /// `None` while the object is a value inside the transaction (created, not yet placed).
    pub owner: Option<Owner>,
    /// The object before the transaction; `None` if the transaction created it.
    pub before: Option<Object>,
    /// Whether the transaction may change it (owned inputs and mutable shared inputs).
    pub mutable: bool,
    pub deleted: bool,
    /// For created objects: the command and result slot that produced it.
    pub origin: Option<(u16, u16)>,
    /// Deleted because it was wrapped into another object (Sui reports no id operation).
    pub wrapped: bool,
    /// Created by unwrapping an object that existed before, wrapped (keeps its id).
    pub unwrapped: bool,
}

/// The transaction-local view of the object store.
#[derive(Debug, Clone)]
pub struct WorkingSet {
    entries: BTreeMap<Address, Entry>,
    pub(crate) tx_digest: Digest,
    pub(crate) sender: Address,
    pub(crate) epoch: u64,
    pub(crate) timestamp_ms: u64,
    pub(crate) events: Vec<Event>,
    created: u64,
    /// The command currently executing, recorded as the origin of objects it creates.
    pub(crate) command: u16,
}

/// What a transaction did to the store, ready for effects and persistence.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub changed: Vec<ChangedObject>,
    pub unchanged_shared: Vec<UnchangedConsensusObject>,
    /// Objects written (created or mutated) at the lamport version.
    pub written: Vec<Object>,
    /// Objects deleted.
    pub deleted: Vec<Address>,
    /// Input objects as they were before.
    pub inputs: Vec<Object>,
}

fn split_contents(object: &Object) -> Option<(StructTag, bool, Vec<u8>)> {
    let s = object.as_struct()?;
    Some((s.object_type().clone(), s.has_public_transfer(), s.contents().to_vec()))
}

impl WorkingSet {
    pub(crate) fn new(tx_digest: Digest, sender: Address, epoch: u64, timestamp_ms: u64) -> Self {
        Self {
            entries: BTreeMap::new(),
            tx_digest,
            sender,
            epoch,
            timestamp_ms,
            events: Vec::new(),
            created: 0,
            command: 0,
        }
    }

    /// Loads an input object. Packages are not loadable (the devnet has none stored).
    pub(crate) fn load(&mut self, object: Object, mutable: bool) -> Option<()> {
        let (type_, has_public_transfer, contents) = split_contents(&object)?;
        let entry = Entry {
            type_,
            has_public_transfer,
            contents,
            owner: Some(*object.owner()),
            before: Some(object.clone()),
            mutable,
            deleted: false,
            origin: None,
            wrapped: false,
            unwrapped: false,
        };
        self.entries.insert(object.object_id(), entry);
        Some(())
    }

    /// Whether the working set has an entry (live or deleted) for `id`.
    pub(crate) fn contains(&self, id: &Address) -> bool {
        self.entries.contains_key(id)
    }

    pub(crate) fn fresh_id(&mut self) -> Address {
        let id = Address::derive_id(self.tx_digest, self.created);
        self.created += 1;
        id
    }

    pub(crate) fn create(&mut self, id: Address, type_: StructTag, has_public_transfer: bool, contents: Vec<u8>) {
        // An object wrapped earlier in this transaction and brought back keeps its prior state,
        // so the net effect is a mutation.
        let before = self.entries.remove(&id).and_then(|e| e.before);
        let entry = Entry {
            type_,
            has_public_transfer,
            contents,
            owner: None,
            before,
            mutable: true,
            deleted: false,
            origin: None,
            wrapped: false,
            unwrapped: false,
        };
        self.entries.insert(id, entry);
    }

    /// Records which result slot produced each object created by the current command that has
    /// no origin yet.
    pub(crate) fn mark_results(&mut self, results: &[crate::native::Value]) {
        for (slot, value) in results.iter().enumerate() {
            if let crate::native::Value::Object(id) = value
                && let Some(entry) = self.entries.get_mut(id)
                && entry.before.is_none()
                && entry.origin.is_none()
            {
                entry.origin = Some((self.command, slot as u16));
            }
        }
    }

    pub(crate) fn is_live(&self, id: &Address) -> bool {
        self.entries.get(id).is_some_and(|e| !e.deleted)
    }

    /// # Panics
    /// If `id` is not in the set; callers check [`Self::is_live`] first.
    pub(crate) fn entry(&self, id: &Address) -> &Entry {
        &self.entries[id]
    }

    /// # Panics
    /// If `id` is not in the set; callers check [`Self::is_live`] first.
    pub(crate) fn entry_mut(&mut self, id: &Address) -> &mut Entry {
        self.entries.get_mut(id).expect("object checked to be in the working set")
    }

    /// A created object that was never placed (transferred, shared, frozen or deleted).
    pub(crate) fn unplaced(&self) -> Option<(u16, u16)> {
        self.entries.values().find(|e| !e.deleted && e.owner.is_none()).map(|e| e.origin.unwrap_or((0, 0)))
    }

    /// Finishes the transaction at `lamport` and computes what changed.
    pub(crate) fn finish(&self, lamport: Version) -> Outcome {
        let mut outcome = Outcome {
            changed: Vec::new(),
            unchanged_shared: Vec::new(),
            written: Vec::new(),
            deleted: Vec::new(),
            inputs: Vec::new(),
        };
        for (id, entry) in &self.entries {
            if let Some(before) = &entry.before {
                outcome.inputs.push(before.clone());
            }
            let input_state = match &entry.before {
                Some(before) => {
                    ObjectIn::Exist { version: before.version(), digest: before.digest(), owner: *before.owner() }
                }
                None => ObjectIn::NotExist,
            };
            if !entry.mutable {
                if let Some(before) = &entry.before
                    && matches!(before.owner(), Owner::Shared(_))
                {
                    outcome.unchanged_shared.push(UnchangedConsensusObject {
                        object_id: *id,
                        kind: UnchangedConsensusKind::ReadOnlyRoot {
                            version: before.version(),
                            digest: before.digest(),
                        },
                    });
                }
                continue;
            }
            if entry.deleted {
                if entry.before.is_some() {
                    outcome.deleted.push(*id);
                    outcome.changed.push(ChangedObject {
                        object_id: *id,
                        input_state,
                        output_state: ObjectOut::NotExist,
                        id_operation: if entry.wrapped { IdOperation::None } else { IdOperation::Deleted },
                    });
                }
                continue;
            }
            let owner = match entry.owner {
                // A new shared object's initial shared version is the version that creates it.
                Some(Owner::Shared(_)) if entry.before.is_none() => Owner::Shared(lamport),
                Some(owner) => owner,
                None => continue,
            };
            let data = MoveStruct::new(entry.type_.clone(), entry.has_public_transfer, lamport, entry.contents.clone())
                .expect("working-set contents start with the object id");
            let object = Object::new(ObjectData::Struct(data), owner, self.tx_digest, 0);
            outcome.changed.push(ChangedObject {
                object_id: *id,
                input_state,
                output_state: ObjectOut::ObjectWrite { digest: object.digest(), owner },
                id_operation: if entry.before.is_some() || entry.unwrapped {
                    IdOperation::None
                } else {
                    IdOperation::Created
                },
            });
            outcome.written.push(object);
        }
        outcome
    }

    /// The highest version among the loaded inputs.
    pub(crate) fn max_input_version(&self) -> Version {
        self.entries.values().filter_map(|e| e.before.as_ref().map(Object::version)).max().unwrap_or(0)
    }
}

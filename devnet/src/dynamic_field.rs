//! Dynamic fields (`0x2::dynamic_field`) for native packages: child objects of type
//! `Field<K, V> { id, name, value }` owned by a parent UID, with ids derived from the parent and
//! the key as Sui derives them, loaded from the ledger when first touched, and the framework's
//! abort codes.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sui_sdk_types::{Address, Identifier, Owner, StructTag, TypeTag};

use crate::native::{CallError, MoveCallContext};

/// `dynamic_field::EFieldAlreadyExists`.
pub const E_FIELD_ALREADY_EXISTS: u64 = 0;
/// `dynamic_field::EFieldDoesNotExist`.
pub const E_FIELD_DOES_NOT_EXIST: u64 = 1;
/// `dynamic_field::EFieldTypeMismatch`.
pub const E_FIELD_TYPE_MISMATCH: u64 = 2;

/// The BCS layout of `0x2::dynamic_field::Field<K, V>`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Field<K, V> {
    /// The field object's id, derived from the parent and the key.
    pub id: Address,
    /// The key.
    pub name: K,
    /// The value.
    pub value: V,
}

/// The struct tag `0x2::dynamic_field::Field<key_type, value_type>`.
pub fn field_type(key_type: TypeTag, value_type: TypeTag) -> StructTag {
    StructTag::new(
        Address::TWO,
        Identifier::from_static("dynamic_field"),
        Identifier::from_static("Field"),
        vec![key_type, value_type],
    )
}

/// The id of the field `key` (of Move type `key_type`) under `parent`.
pub fn field_id<K: Serialize>(parent: Address, key_type: &TypeTag, key: &K) -> Address {
    let key_bytes = bcs::to_bytes(key).expect("BCS serialization of keys does not fail");
    parent.derive_dynamic_child_id(key_type, &key_bytes)
}

fn field_abort(function: &'static str, code: u64) -> CallError {
    crate::framework::framework_abort("dynamic_field", function, code)
}

impl MoveCallContext<'_> {
    /// Brings the field object `id` of `parent` into the transaction if it exists; returns
    /// whether it is (still) there.
    fn touch_child(&mut self, parent: Address, id: Address) -> bool {
        if self.working_set.contains(&id) {
            return self.working_set.is_live(&id);
        }
        match (self.objects)(&id) {
            Some(object) if *object.owner() == Owner::Object(parent) => {
                // Children are reached through their parent, which the transaction holds.
                self.working_set.load(object, true).is_some()
            }
            _ => false,
        }
    }

    fn field_entry_type(&self, id: &Address) -> StructTag {
        self.working_set.entry(id).type_.clone()
    }

    /// Whether `parent` has the field `key` (`dynamic_field::exists_`).
    pub fn has_field<K: Serialize>(&mut self, parent: Address, key_type: &TypeTag, key: &K) -> bool {
        let id = field_id(parent, key_type, key);
        self.touch_child(parent, id)
    }

    /// Adds the field `key` → `value` under `parent` (`dynamic_field::add`); aborts with
    /// `EFieldAlreadyExists` if present.
    pub fn add_field<K: Serialize, V: Serialize>(
        &mut self,
        parent: Address,
        key_type: TypeTag,
        key: &K,
        value_type: TypeTag,
        value: &V,
    ) -> Result<(), CallError> {
        let id = field_id(parent, &key_type, key);
        if self.touch_child(parent, id) {
            return Err(field_abort("add", E_FIELD_ALREADY_EXISTS));
        }
        let contents = bcs::to_bytes(&Field { id, name: key, value }).expect("BCS serialization does not fail");
        if self.working_set.contains(&id) {
            // Removed earlier in this transaction and added again: the same object lives on.
            let entry = self.working_set.entry_mut(&id);
            entry.type_ = field_type(key_type, value_type);
            entry.contents = contents;
            entry.deleted = false;
            entry.owner = Some(Owner::Object(parent));
        } else {
            self.working_set.create(id, field_type(key_type, value_type), false, contents);
            self.working_set.entry_mut(&id).owner = Some(Owner::Object(parent));
        }
        Ok(())
    }

    /// The value of the field `key` under `parent` (`dynamic_field::borrow`); aborts with
    /// `EFieldDoesNotExist` or `EFieldTypeMismatch`.
    pub fn field<K, V>(
        &mut self,
        parent: Address,
        key_type: TypeTag,
        key: &K,
        value_type: TypeTag,
    ) -> Result<V, CallError>
    where
        K: Serialize + DeserializeOwned,
        V: DeserializeOwned,
    {
        let id = field_id(parent, &key_type, key);
        if !self.touch_child(parent, id) {
            return Err(field_abort("borrow", E_FIELD_DOES_NOT_EXIST));
        }
        if self.field_entry_type(&id) != field_type(key_type, value_type) {
            return Err(field_abort("borrow", E_FIELD_TYPE_MISMATCH));
        }
        let field: Field<K, V> = bcs::from_bytes(&self.working_set.entry(&id).contents)
            .map_err(|_| field_abort("borrow", E_FIELD_TYPE_MISMATCH))?;
        Ok(field.value)
    }

    /// Replaces the value of the field `key` under `parent` (a write through
    /// `dynamic_field::borrow_mut`); aborts like [`Self::field`].
    pub fn set_field<K: Serialize, V: Serialize>(
        &mut self,
        parent: Address,
        key_type: TypeTag,
        key: &K,
        value_type: TypeTag,
        value: &V,
    ) -> Result<(), CallError> {
        let id = field_id(parent, &key_type, key);
        if !self.touch_child(parent, id) {
            return Err(field_abort("borrow_mut", E_FIELD_DOES_NOT_EXIST));
        }
        if self.field_entry_type(&id) != field_type(key_type, value_type) {
            return Err(field_abort("borrow_mut", E_FIELD_TYPE_MISMATCH));
        }
        let contents = bcs::to_bytes(&Field { id, name: key, value }).expect("BCS serialization does not fail");
        self.working_set.entry_mut(&id).contents = contents;
        Ok(())
    }

    /// Removes the field `key` under `parent` and returns its value (`dynamic_field::remove`).
    pub fn remove_field<K, V>(
        &mut self,
        parent: Address,
        key_type: TypeTag,
        key: &K,
        value_type: TypeTag,
    ) -> Result<V, CallError>
    where
        K: Serialize + DeserializeOwned,
        V: DeserializeOwned,
    {
        let value = self.field(parent, key_type.clone(), key, value_type).map_err(|e| match e {
            CallError::Abort { code, .. } => field_abort("remove", code),
            other => other,
        })?;
        let id = field_id(parent, &key_type, key);
        self.working_set.entry_mut(&id).deleted = true;
        Ok(value)
    }
}

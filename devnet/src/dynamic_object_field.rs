//! Dynamic object fields (`0x2::dynamic_object_field`, and `ObjectTable` built on them) for
//! native packages. As on Sui, the field under `parent` is a
//! `Field<Wrapper<K>, ID>` object whose id is derived from the parent and the key (with the
//! key's type wrapped in `Wrapper`), holding the child's id; the child object itself keeps its own
//! id and is owned by that field object, so it stays readable by id.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sui_sdk_types::{Address, Identifier, Owner, StructTag, TypeTag};

use crate::dynamic_field::{Field, field_id, field_type};
use crate::native::{CallError, MoveCallContext};

/// `dynamic_object_field`'s key wrapper type `0x2::dynamic_object_field::Wrapper<key_type>`.
pub(crate) fn wrapper_type(key_type: TypeTag) -> TypeTag {
    TypeTag::Struct(Box::new(StructTag::new(
        Address::TWO,
        Identifier::from_static("dynamic_object_field"),
        Identifier::from_static("Wrapper"),
        vec![key_type],
    )))
}

/// `0x2::object::ID`.
pub(crate) fn id_type() -> TypeTag {
    TypeTag::Struct(Box::new(StructTag::new(
        Address::TWO,
        Identifier::from_static("object"),
        Identifier::from_static("ID"),
        vec![],
    )))
}

/// The id of the field object of the dynamic object field `key` under `parent`.
pub(crate) fn object_field_id<K: Serialize>(parent: Address, key_type: TypeTag, key: &K) -> Address {
    field_id(parent, &wrapper_type(key_type), key)
}

impl MoveCallContext<'_> {
    /// Brings `id`, owned by object `parent`, into the transaction (mutable when `mutable`) if
    /// it is not there yet; returns whether it is live.
    pub(crate) fn load_child(&mut self, parent: Address, id: Address, mutable: bool) -> bool {
        if self.working_set.contains(&id) {
            return self.working_set.is_live(&id);
        }
        match (self.objects)(&id) {
            Some(object) if *object.owner() == Owner::Object(parent) => {
                self.working_set.load(object, mutable).is_some()
            }
            _ => false,
        }
    }

    /// Decodes the object `id`, which must be in the transaction (an argument or a loaded
    /// child).
    pub(crate) fn read_object<T: DeserializeOwned>(&self, id: Address) -> Result<T, CallError> {
        bcs::from_bytes(&self.working_set.entry(&id).contents).map_err(|e| CallError::Argument {
            index: 0,
            reason: format!("object {id} does not decode as expected: {e}"),
        })
    }

    /// Replaces the contents of object `id` (in the transaction and mutable); `value` must
    /// start with the id.
    pub(crate) fn write_object<T: Serialize>(&mut self, id: Address, value: &T) -> Result<(), CallError> {
        let contents = bcs::to_bytes(value).expect("BCS serialization of Move values does not fail");
        if contents.get(..32) != Some(id.as_bytes()) {
            return Err(CallError::Argument {
                index: 0,
                reason: format!("new contents of {id} do not start with its id"),
            });
        }
        let entry = self.working_set.entry_mut(&id);
        if !entry.mutable {
            return Err(CallError::Argument { index: 0, reason: format!("object {id} is read-only here") });
        }
        entry.contents = contents;
        Ok(())
    }

    /// The id of the object stored under `key` in `parent`'s dynamic object fields
    /// (`dynamic_object_field::exists_` / `id`), loading the field and the object into the
    /// transaction (mutable when `mutable`).
    pub(crate) fn object_field<K: Serialize + DeserializeOwned>(
        &mut self,
        parent: Address,
        key_type: TypeTag,
        key: &K,
        mutable: bool,
    ) -> Option<Address> {
        let field = object_field_id(parent, key_type, key);
        if !self.load_child(parent, field, mutable) {
            return None;
        }
        let child: Field<K, Address> = bcs::from_bytes(&self.working_set.entry(&field).contents).ok()?;
        self.load_child(field, child.value, mutable).then_some(child.value)
    }

    /// Adds the object `child` (created in this transaction, not yet placed) under `key` in
    /// `parent`'s dynamic object fields (`dynamic_object_field::add`): creates the field object
    /// and makes it the child's owner. Aborts with `dynamic_field::EFieldAlreadyExists` if the
    /// key is taken.
    pub(crate) fn add_object_field<K: Serialize>(
        &mut self,
        parent: Address,
        key_type: TypeTag,
        key: &K,
        child: Address,
    ) -> Result<(), CallError> {
        let field = object_field_id(parent, key_type.clone(), key);
        if self.load_child(parent, field, true) {
            return Err(CallError::Abort {
                module: Identifier::from_static("dynamic_field"),
                function: Identifier::from_static("add"),
                code: crate::dynamic_field::E_FIELD_ALREADY_EXISTS,
                package: Some(Address::TWO),
            });
        }
        let contents = bcs::to_bytes(&Field { id: field, name: key, value: child }).expect("fields serialize");
        self.working_set.create(field, field_type(wrapper_type(key_type), id_type()), false, contents);
        self.working_set.entry_mut(&field).owner = Some(Owner::Object(parent));
        self.working_set.entry_mut(&child).owner = Some(Owner::Object(field));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_field_ids_use_the_wrapped_key_type() {
        let parent = Address::new([1; 32]);
        let key = Address::new([2; 32]);
        let wrapped = object_field_id(parent, id_type(), &key);
        let plain = field_id(parent, &id_type(), &key);
        assert_ne!(wrapped, plain);
        assert_eq!(wrapped, parent.derive_dynamic_child_id(&wrapper_type(id_type()), key.as_bytes()));
    }
}

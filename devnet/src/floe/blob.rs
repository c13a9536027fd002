//! `floe::blob` natively: the `Blob` object's life (registered, certified, extended, deleted,
//! burned; driven by `system`), its attributes (one dynamic field named `b"attributes"` holding a
//! `VecMap<String, String>`), the blob id derivation and the reads.

use floe_chain::floe::aborts::abort_code;
use floe_chain::floe::blob::{ATTRIBUTES_FIELD_NAME, Blob, BlobAttributes, BlobIdDerivation};
use floe_chain::floe::events::{BlobCertified, BlobDeleted, BlobRegistered};
use floe_chain::floe::framework::{VecMapEntry, string_struct};
use floe_chain::floe::storage::Storage;
use floe_encoder::BlobId;
use sui_sdk_types::{Address, Identifier, StructTag, TypeTag};

use super::certificate::{CertifiedBlobMessage, Persistence};
use super::storage_resource::fuse_periods;
use super::{abort_in, encoding, tag};
use crate::native::{CallError, ModuleFunctions, MoveCallContext, Value};

const MODULE: &str = "blob";
const E_RESOURCE_BOUNDS: u64 = abort_code(MODULE, "EResourceBounds");
const E_RESOURCE_SIZE: u64 = abort_code(MODULE, "EResourceSize");
const E_INVALID_BLOB_ID: u64 = abort_code(MODULE, "EInvalidBlobId");
const E_ALREADY_CERTIFIED: u64 = abort_code(MODULE, "EAlreadyCertified");
const E_INVALID_BLOB_PERSISTENCE_TYPE: u64 = abort_code(MODULE, "EInvalidBlobPersistenceType");
const E_INVALID_BLOB_OBJECT: u64 = abort_code(MODULE, "EInvalidBlobObject");
const E_BLOB_NOT_DELETABLE: u64 = abort_code(MODULE, "EBlobNotDeletable");
const E_NOT_CERTIFIED: u64 = abort_code(MODULE, "ENotCertified");
const E_BLOB_NOT_EXPIRED: u64 = abort_code(MODULE, "EBlobNotExpired");
const E_INCOMPATIBLE_EXTENSION: u64 = abort_code(MODULE, "EIncompatibleExtension");
const E_ATTRIBUTE_NOT_FOUND: u64 = abort_code(MODULE, "EAttributeNotFound");
const E_NO_ATTRIBUTES: u64 = abort_code(MODULE, "ENoAttributes");
const E_WRONG_EPOCH: u64 = abort_code(MODULE, "EWrongEpoch");

/// `blake2b256(bcs(BlobIdDerivation))` read as a little-endian u256 (`derive_blob_id`).
pub(crate) fn derive_blob_id(root_hash: [u8; 32], encoding_type: u8, size: u64) -> BlobId {
    let derivation = BlobIdDerivation { encoding_type, size, root_hash };
    BlobId(floe_encoder::merkle::blake2b256(&bcs::to_bytes(&derivation).expect("derivations serialize")))
}

/// Reads a `Blob` argument, checking its type.
pub(crate) fn read_blob(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<Blob, CallError> {
    call.expect_type(args, index, &tag::<Blob>())?;
    call.read(args, index)
}

/// What `register_blob` asks for a new blob.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Registration {
    pub blob_id: BlobId,
    pub root_hash: [u8; 32],
    pub size: u64,
    pub encoding_type: u8,
    pub deletable: bool,
}

/// Checks a registration against `storage` in `epoch` and builds the blob with a fresh id,
/// emitting `BlobRegistered` (`blob::new`). The caller creates the object.
pub(crate) fn new(
    call: &mut MoveCallContext<'_>,
    storage: Storage,
    registration: &Registration,
    epoch: u32,
    n_shards: u16,
) -> Result<Blob, CallError> {
    let encoded_size = encoding::encoded_blob_length(registration.size, registration.encoding_type, n_shards)?;
    if derive_blob_id(registration.root_hash, registration.encoding_type, registration.size) != registration.blob_id {
        return Err(abort_in(MODULE, "new", E_INVALID_BLOB_ID));
    }
    if storage.start_epoch > epoch || epoch >= storage.end_epoch {
        return Err(abort_in(MODULE, "new", E_RESOURCE_BOUNDS));
    }
    if encoded_size > storage.storage_size {
        return Err(abort_in(MODULE, "new", E_RESOURCE_SIZE));
    }
    let id = call.new_id();
    call.emit(
        tag::<BlobRegistered>(),
        &BlobRegistered {
            epoch,
            blob_id: registration.blob_id,
            size: registration.size,
            encoding_type: registration.encoding_type,
            end_epoch: storage.end_epoch,
            deletable: registration.deletable,
            object_id: id,
        },
    );
    Ok(Blob {
        id,
        registered_epoch: epoch,
        blob_id: registration.blob_id,
        size: registration.size,
        encoding_type: registration.encoding_type,
        certified_epoch: None,
        storage,
        deletable: registration.deletable,
    })
}

/// Marks `blob` certified in `epoch` by a verified confirmation and emits `BlobCertified`
/// (`certify_with_certified_msg`).
pub(crate) fn certify(
    call: &mut MoveCallContext<'_>,
    blob: &mut Blob,
    epoch: u32,
    message: &CertifiedBlobMessage,
) -> Result<(), CallError> {
    const FUNCTION: &str = "certify_with_certified_msg";
    let fail = |code| Err(abort_in(MODULE, FUNCTION, code));
    if message.epoch != epoch {
        return fail(E_WRONG_EPOCH);
    }
    if message.blob_id != blob.blob_id {
        return fail(E_INVALID_BLOB_ID);
    }
    if blob.certified_epoch.is_some() {
        return fail(E_ALREADY_CERTIFIED);
    }
    if epoch >= blob.storage.end_epoch {
        return fail(E_RESOURCE_BOUNDS);
    }
    match (message.persistence, blob.deletable) {
        (Persistence::Permanent, false) => {}
        (Persistence::Deletable(object_id), true) if object_id == blob.id => {}
        (Persistence::Deletable(_), true) => return fail(E_INVALID_BLOB_OBJECT),
        _ => return fail(E_INVALID_BLOB_PERSISTENCE_TYPE),
    }
    blob.certified_epoch = Some(epoch);
    emit_certified(call, blob, epoch, false);
    Ok(())
}

fn emit_certified(call: &mut MoveCallContext<'_>, blob: &Blob, epoch: u32, is_extension: bool) {
    call.emit(
        tag::<BlobCertified>(),
        &BlobCertified {
            epoch,
            blob_id: blob.blob_id,
            end_epoch: blob.storage.end_epoch,
            deletable: blob.deletable,
            object_id: blob.id,
            is_extension,
        },
    );
}

/// Extends a certified, unexpired blob with `extension`, which must start at its end epoch and
/// have its size; emits `BlobCertified` as an extension (`extend_with_resource`). The caller
/// deletes the extension's object.
pub(crate) fn extend_with_resource(
    call: &mut MoveCallContext<'_>,
    blob: &mut Blob,
    extension: &Storage,
    epoch: u32,
) -> Result<(), CallError> {
    const FUNCTION: &str = "extend_with_resource";
    if blob.certified_epoch.is_none() {
        return Err(abort_in(MODULE, FUNCTION, E_NOT_CERTIFIED));
    }
    if epoch >= blob.storage.end_epoch {
        return Err(abort_in(MODULE, FUNCTION, E_RESOURCE_BOUNDS));
    }
    if extension.start_epoch != blob.storage.end_epoch || extension.storage_size != blob.storage.storage_size {
        return Err(abort_in(MODULE, FUNCTION, E_INCOMPATIBLE_EXTENSION));
    }
    fuse_periods(&mut blob.storage, extension)?;
    emit_certified(call, blob, epoch, true);
    Ok(())
}

/// Deletes the deletable, unexpired `Blob` at argument `index` and emits `BlobDeleted`
/// (`blob::delete`); returns its storage as an object again, with its old id.
pub(crate) fn delete(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
    index: u16,
    epoch: u32,
) -> Result<Value, CallError> {
    let blob = read_blob(call, args, index)?;
    if !blob.deletable {
        return Err(abort_in(MODULE, "delete", E_BLOB_NOT_DELETABLE));
    }
    if epoch >= blob.storage.end_epoch {
        return Err(abort_in(MODULE, "delete", E_RESOURCE_BOUNDS));
    }
    destroy(call, args, index, &blob)?;
    let storage = call.unwrap_object(blob.storage.id, tag::<Storage>(), true, &blob.storage)?;
    call.emit(
        tag::<BlobDeleted>(),
        &BlobDeleted {
            epoch,
            blob_id: blob.blob_id,
            end_epoch: blob.storage.end_epoch,
            object_id: blob.id,
            was_certified: blob.certified_epoch.is_some(),
        },
    );
    Ok(storage)
}

/// Drops the expired `Blob` at argument `index` with its storage; no event (`burn_expired`).
pub(crate) fn burn_expired(
    call: &mut MoveCallContext<'_>,
    args: &[Value],
    index: u16,
    epoch: u32,
) -> Result<(), CallError> {
    let blob = read_blob(call, args, index)?;
    if epoch < blob.storage.end_epoch {
        return Err(abort_in(MODULE, "burn_expired", E_BLOB_NOT_EXPIRED));
    }
    destroy(call, args, index, &blob)
}

/// Drops the `Blob` at argument `index` with its storage at any time; no refund, no event
/// (`blob::burn`).
fn burn(call: &mut MoveCallContext<'_>, args: &[Value], index: u16) -> Result<(), CallError> {
    let blob = read_blob(call, args, index)?;
    destroy(call, args, index, &blob)
}

/// Removes the attributes field if any and deletes the blob object (`blob::destroy`).
fn destroy(call: &mut MoveCallContext<'_>, args: &[Value], index: u16, blob: &Blob) -> Result<(), CallError> {
    super::require_mutable(call, args, index)?;
    if call.has_field(blob.id, &attributes_key_type(), &ATTRIBUTES_FIELD_NAME) {
        take_attributes_field(call, blob.id)?;
    }
    call.delete(args, index)
}

fn attributes_key_type() -> TypeTag {
    TypeTag::Vector(Box::new(TypeTag::U8))
}

fn attributes_value_type() -> TypeTag {
    let string = TypeTag::Struct(Box::new(string_struct()));
    TypeTag::Struct(Box::new(StructTag::new(
        Address::TWO,
        Identifier::from_static("vec_map"),
        Identifier::from_static("VecMap"),
        vec![string.clone(), string],
    )))
}

fn attributes(call: &mut MoveCallContext<'_>, blob: Address) -> Result<Option<BlobAttributes>, CallError> {
    if !call.has_field(blob, &attributes_key_type(), &ATTRIBUTES_FIELD_NAME) {
        return Ok(None);
    }
    call.field(blob, attributes_key_type(), &ATTRIBUTES_FIELD_NAME.to_vec(), attributes_value_type()).map(Some)
}

fn set_attributes(call: &mut MoveCallContext<'_>, blob: Address, value: &BlobAttributes) -> Result<(), CallError> {
    call.set_field(blob, attributes_key_type(), &ATTRIBUTES_FIELD_NAME, attributes_value_type(), value)
}

fn take_attributes_field(call: &mut MoveCallContext<'_>, blob: Address) -> Result<BlobAttributes, CallError> {
    call.remove_field(blob, attributes_key_type(), &ATTRIBUTES_FIELD_NAME.to_vec(), attributes_value_type())
}

/// Removes `key` from the attributes, if the field and the key exist.
fn remove_if_exists(call: &mut MoveCallContext<'_>, blob: Address, key: &String) -> Result<Option<String>, CallError> {
    let Some(mut map) = attributes(call, blob)? else {
        return Ok(None);
    };
    let Some(position) = map.contents.iter().position(|entry| &entry.key == key) else {
        return Ok(None);
    };
    // `vec_map::remove` keeps the other entries in order.
    let removed = map.contents.remove(position);
    set_attributes(call, blob, &map)?;
    Ok(Some(removed.value))
}

/// A `&mut Blob` argument: the blob, after checking it may be mutated.
fn blob_mut(call: &MoveCallContext<'_>, args: &[Value], index: u16) -> Result<Blob, CallError> {
    let blob = read_blob(call, args, index)?;
    super::require_mutable(call, args, index)?;
    Ok(blob)
}

/// Functions callable in a transaction. Reads returning references (`certified_epoch`,
/// `storage`) cannot be called from a programmable transaction and are left out.
pub(super) const FUNCTIONS: ModuleFunctions = &[
    ("derive_blob_id", |call, args| {
        let root_hash: [u8; 32] = call.pure(args, 0)?;
        let encoding_type: u8 = call.pure(args, 1)?;
        let size: u64 = call.pure(args, 2)?;
        Ok(vec![Value::pure(&derive_blob_id(root_hash, encoding_type, size))])
    }),
    ("insert_or_update_attribute", |call, args| {
        let blob = blob_mut(call, args, 0)?;
        let key: String = call.pure(args, 1)?;
        let value: String = call.pure(args, 2)?;
        match attributes(call, blob.id)? {
            None => {
                let map: BlobAttributes = [(key, value)].into_iter().collect();
                call.add_field(blob.id, attributes_key_type(), &ATTRIBUTES_FIELD_NAME, attributes_value_type(), &map)?;
            }
            Some(mut map) => {
                match map.contents.iter_mut().find(|entry| entry.key == key) {
                    Some(entry) => entry.value = value,
                    None => map.contents.push(VecMapEntry { key, value }),
                }
                set_attributes(call, blob.id, &map)?;
            }
        }
        Ok(vec![])
    }),
    ("remove_attribute", |call, args| {
        let blob = blob_mut(call, args, 0)?;
        let key: String = call.pure(args, 1)?;
        match remove_if_exists(call, blob.id, &key)? {
            Some(value) => Ok(vec![Value::pure(&value)]),
            None => Err(abort_in(MODULE, "remove_attribute", E_ATTRIBUTE_NOT_FOUND)),
        }
    }),
    ("remove_attribute_if_exists", |call, args| {
        let blob = blob_mut(call, args, 0)?;
        let key: String = call.pure(args, 1)?;
        Ok(vec![Value::pure(&remove_if_exists(call, blob.id, &key)?)])
    }),
    ("attribute", |call, args| {
        let blob = read_blob(call, args, 0)?;
        let key: String = call.pure(args, 1)?;
        let value = attributes(call, blob.id)?.and_then(|map| map.get(&key).cloned());
        Ok(vec![Value::pure(&value)])
    }),
    ("take_attributes", |call, args| {
        let blob = blob_mut(call, args, 0)?;
        if !call.has_field(blob.id, &attributes_key_type(), &ATTRIBUTES_FIELD_NAME) {
            return Err(abort_in(MODULE, "take_attributes", E_NO_ATTRIBUTES));
        }
        Ok(vec![Value::pure(&take_attributes_field(call, blob.id)?)])
    }),
    ("burn", |call, args| burn(call, args, 0).map(|()| vec![])),
    ("object_id", |call, args| Ok(vec![Value::pure(&read_blob(call, args, 0)?.id)])),
    ("registered_epoch", |call, args| Ok(vec![Value::pure(&read_blob(call, args, 0)?.registered_epoch)])),
    ("blob_id", |call, args| Ok(vec![Value::pure(&read_blob(call, args, 0)?.blob_id)])),
    ("size", |call, args| Ok(vec![Value::pure(&read_blob(call, args, 0)?.size)])),
    ("encoding_type", |call, args| Ok(vec![Value::pure(&read_blob(call, args, 0)?.encoding_type)])),
    ("end_epoch", |call, args| Ok(vec![Value::pure(&read_blob(call, args, 0)?.storage.end_epoch)])),
    ("is_deletable", |call, args| Ok(vec![Value::pure(&read_blob(call, args, 0)?.deletable)])),
    ("encoded_size", |call, args| {
        let blob = read_blob(call, args, 0)?;
        let n_shards: u16 = call.pure(args, 1)?;
        Ok(vec![Value::pure(&encoding::encoded_blob_length(blob.size, blob.encoding_type, n_shards)?)])
    }),
];

#[cfg(test)]
mod tests {
    use floe_encoder::EncodingType;
    use floe_encoder::merkle::Node;

    use super::*;

    #[test]
    fn blob_id_derivation_equals_the_encoders() {
        let root = [0x42; 32];
        assert_eq!(
            derive_blob_id(root, EncodingType::RS2.as_u8(), 1000),
            BlobId::derive(EncodingType::RS2, 1000, &Node::Digest(root))
        );
    }

    #[test]
    fn blob_id_of_the_shared_test_vector() {
        // move/README.md: root hash 0x0123456789ABCDEF repeated (a u256), size 1000, RS2.
        let mut root = [0u8; 32];
        for chunk in root.chunks_mut(8) {
            chunk.copy_from_slice(&0x0123_4567_89AB_CDEFu64.to_le_bytes());
        }
        let id = derive_blob_id(root, EncodingType::RS2.as_u8(), 1000);
        assert_eq!(
            id.to_u256_decimal(),
            "48279502997014083846800168105543577526307667972928613397437513834138991417764"
        );
    }
}

/// `Blob`: the object that owns a stored blob. Whoever holds it owns the blob (it has `store`, so
/// wallets can transfer it). It embeds the `Storage` paying for it and, once certified, the epoch
/// the committee took it in charge.
module floe::blob;

use floe::encoding;
use floe::events;
use floe::messages::CertifiedBlobMessage;
use floe::storage_resource::Storage;
use std::string::String;
use sui::bcs;
use sui::dynamic_field;
use sui::hash;
use sui::vec_map::{Self, VecMap};

/// Dynamic-field name under which a blob's attributes are stored.
const ATTRIBUTES_FIELD: vector<u8> = b"attributes";

/// The storage does not cover the current epoch, or the blob has expired.
const EResourceBounds: u64 = 0;
/// The storage is smaller than the blob's encoded size.
const EResourceSize: u64 = 1;
/// The blob id is not the one derived from root hash, size and encoding type, or a certificate
/// is for another blob id.
const EInvalidBlobId: u64 = 2;
/// The blob is already certified.
const EAlreadyCertified: u64 = 3;
/// The certificate's persistence type (permanent/deletable) is not the blob's.
const EInvalidBlobPersistenceType: u64 = 4;
/// The certificate of a deletable blob names another Blob object.
const EInvalidBlobObject: u64 = 5;
/// The blob is not deletable.
const EBlobNotDeletable: u64 = 6;
/// The blob is not certified.
const ENotCertified: u64 = 7;
/// The blob has not expired yet.
const EBlobNotExpired: u64 = 8;
/// The extension does not start where the blob ends or has another size.
const EIncompatibleExtension: u64 = 9;
/// The blob has no attribute with that key.
const EAttributeNotFound: u64 = 10;
/// The blob has no attributes.
const ENoAttributes: u64 = 11;
/// The certificate is for another epoch than the current one.
const EWrongEpoch: u64 = 12;

/// A registered blob.
public struct Blob has key, store {
    id: UID,
    registered_epoch: u32,
    blob_id: u256,
    size: u64,
    encoding_type: u8,
    certified_epoch: Option<u32>,
    storage: Storage,
    deletable: bool,
}

/// The BCS input of the blob id hash.
public struct BlobIdDerivation has drop {
    encoding_type: u8,
    size: u64,
    root_hash: u256,
}

/// The blob id of a blob with this encoding, unencoded size and Merkle root:
/// blake2b256(bcs(BlobIdDerivation)) read back as a little-endian u256.
public fun derive_blob_id(root_hash: u256, encoding_type: u8, size: u64): u256 {
    let derivation = BlobIdDerivation { encoding_type, size, root_hash };
    let digest = hash::blake2b256(&bcs::to_bytes(&derivation));
    bcs::new(digest).peel_u256()
}

/// Registers a blob in `epoch`; checks the id, the encoding and that `storage` covers the
/// current epoch and the encoded size. Emits `BlobRegistered`.
public(package) fun new(
    storage: Storage,
    blob_id: u256,
    root_hash: u256,
    size: u64,
    encoding_type: u8,
    deletable: bool,
    epoch: u32,
    n_shards: u16,
    ctx: &mut TxContext,
): Blob {
    let encoded_size = encoding::encoded_blob_length(size, encoding_type, n_shards);
    assert!(derive_blob_id(root_hash, encoding_type, size) == blob_id, EInvalidBlobId);
    assert!(storage.start_epoch() <= epoch && epoch < storage.end_epoch(), EResourceBounds);
    assert!(encoded_size <= storage.size(), EResourceSize);
    let id = object::new(ctx);
    events::emit_blob_registered(
        epoch,
        blob_id,
        size,
        encoding_type,
        storage.end_epoch(),
        deletable,
        id.to_inner(),
    );
    Blob {
        id,
        registered_epoch: epoch,
        blob_id,
        size,
        encoding_type,
        certified_epoch: option::none(),
        storage,
        deletable,
    }
}

/// Marks the blob certified in `epoch` from a verified storage confirmation. Emits
/// `BlobCertified`.
public(package) fun certify_with_certified_msg(
    self: &mut Blob,
    epoch: u32,
    message: CertifiedBlobMessage,
) {
    assert!(message.certified_epoch() == epoch, EWrongEpoch);
    assert!(message.certified_blob_id() == self.blob_id, EInvalidBlobId);
    assert!(self.certified_epoch.is_none(), EAlreadyCertified);
    assert!(epoch < self.storage.end_epoch(), EResourceBounds);
    let persistence = message.persistence();
    assert!(persistence.is_deletable() == self.deletable, EInvalidBlobPersistenceType);
    if (self.deletable) {
        assert!(persistence.deletable_object_id() == option::some(self.id.to_inner()), EInvalidBlobObject);
    };
    self.certified_epoch = option::some(epoch);
    events::emit_blob_certified(
        epoch,
        self.blob_id,
        self.storage.end_epoch(),
        self.deletable,
        self.id.to_inner(),
        false,
    );
}

/// Extends a certified, unexpired blob with `extension`, which must start at the blob's end
/// epoch and have its size. Emits `BlobCertified` with `is_extension`.
public(package) fun extend_with_resource(self: &mut Blob, extension: Storage, epoch: u32) {
    assert!(self.certified_epoch.is_some(), ENotCertified);
    assert!(epoch < self.storage.end_epoch(), EResourceBounds);
    assert!(
        extension.start_epoch() == self.storage.end_epoch() && extension.size() == self.storage.size(),
        EIncompatibleExtension,
    );
    self.storage.fuse_periods(extension);
    events::emit_blob_certified(
        epoch,
        self.blob_id,
        self.storage.end_epoch(),
        self.deletable,
        self.id.to_inner(),
        true,
    );
}

/// Deletes a deletable, unexpired blob and returns its storage. Emits `BlobDeleted`.
public(package) fun delete(self: Blob, epoch: u32): Storage {
    assert!(self.deletable, EBlobNotDeletable);
    assert!(epoch < self.storage.end_epoch(), EResourceBounds);
    let object_id = self.id.to_inner();
    let was_certified = self.certified_epoch.is_some();
    let end_epoch = self.storage.end_epoch();
    let blob_id = self.blob_id;
    let storage = self.destroy();
    events::emit_blob_deleted(epoch, blob_id, end_epoch, object_id, was_certified);
    storage
}

/// Drops an expired blob object (no refund, no event: the data is already out of its term).
public(package) fun burn_expired(self: Blob, epoch: u32) {
    assert!(epoch >= self.storage.end_epoch(), EBlobNotExpired);
    self.destroy().destroy();
}

/// Destroys the blob object and its storage at any time, as Walrus allows: nothing is refunded
/// and no event is emitted (a certified blob's data stays with the nodes until its end epoch; only
/// the object, and with it the right to delete or extend, is gone). Attributes go with it.
public fun burn(self: Blob) {
    self.destroy().destroy();
}

fun destroy(mut self: Blob): Storage {
    if (dynamic_field::exists_(&self.id, ATTRIBUTES_FIELD)) {
        let _: VecMap<String, String> = dynamic_field::remove(&mut self.id, ATTRIBUTES_FIELD);
    };
    let Blob { id, storage, .. } = self;
    id.delete();
    storage
}

// === Attributes: key-value metadata in a dynamic field ===

/// Sets attribute `key` to `value`, adding or replacing it.
public fun insert_or_update_attribute(self: &mut Blob, key: String, value: String) {
    if (!dynamic_field::exists_(&self.id, ATTRIBUTES_FIELD)) {
        dynamic_field::add(&mut self.id, ATTRIBUTES_FIELD, vec_map::empty<String, String>());
    };
    let attributes: &mut VecMap<String, String> = dynamic_field::borrow_mut(&mut self.id, ATTRIBUTES_FIELD);
    if (attributes.contains(&key)) {
        *attributes.get_mut(&key) = value;
    } else {
        attributes.insert(key, value);
    }
}

/// Removes attribute `key` and returns its value; aborts when absent.
public fun remove_attribute(self: &mut Blob, key: String): String {
    let value = self.remove_attribute_if_exists(key);
    assert!(value.is_some(), EAttributeNotFound);
    value.destroy_some()
}

/// Removes attribute `key` if present and returns its value.
public fun remove_attribute_if_exists(self: &mut Blob, key: String): Option<String> {
    if (!dynamic_field::exists_(&self.id, ATTRIBUTES_FIELD)) return option::none();
    let attributes: &mut VecMap<String, String> = dynamic_field::borrow_mut(&mut self.id, ATTRIBUTES_FIELD);
    if (!attributes.contains(&key)) return option::none();
    let (_, value) = attributes.remove(&key);
    option::some(value)
}

/// The value of attribute `key`, if any.
public fun attribute(self: &Blob, key: &String): Option<String> {
    if (!dynamic_field::exists_(&self.id, ATTRIBUTES_FIELD)) return option::none();
    let attributes: &VecMap<String, String> = dynamic_field::borrow(&self.id, ATTRIBUTES_FIELD);
    attributes.try_get(key)
}

/// Removes and returns all attributes; aborts when the blob has none.
public fun take_attributes(self: &mut Blob): VecMap<String, String> {
    assert!(dynamic_field::exists_(&self.id, ATTRIBUTES_FIELD), ENoAttributes);
    dynamic_field::remove(&mut self.id, ATTRIBUTES_FIELD)
}

// === Accessors ===

/// The blob object's id.
public fun object_id(self: &Blob): ID { self.id.to_inner() }

/// The epoch the blob was registered in.
public fun registered_epoch(self: &Blob): u32 { self.registered_epoch }

/// The blob id.
public fun blob_id(self: &Blob): u256 { self.blob_id }

/// The unencoded size in bytes.
public fun size(self: &Blob): u64 { self.size }

/// The encoding type.
public fun encoding_type(self: &Blob): u8 { self.encoding_type }

/// The epoch the blob was certified in, if it is.
public fun certified_epoch(self: &Blob): &Option<u32> { &self.certified_epoch }

/// The storage backing the blob.
public fun storage(self: &Blob): &Storage { &self.storage }

/// The first epoch the blob is no longer stored.
public fun end_epoch(self: &Blob): u32 { self.storage.end_epoch() }

/// Whether the owner may delete the blob before its end epoch.
public fun is_deletable(self: &Blob): bool { self.deletable }

/// The encoded size of the blob for `n_shards` shards.
public fun encoded_size(self: &Blob, n_shards: u16): u64 {
    encoding::encoded_blob_length(self.size, self.encoding_type, n_shards)
}

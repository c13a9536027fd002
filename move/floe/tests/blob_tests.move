#[test_only]
module floe::blob_tests;

use floe::blob::{Self, Blob};
use floe::bls_aggregate;
use floe::bls_vectors as v;
use floe::events;
use floe::messages;
use floe::storage_resource::{Self, Storage};
use floe::system::System;
use floe::system_state_inner;
use floe::test_committee;
use std::unit_test::destroy;
use sui::event;

/// Encoded size of the vectors' 1000-byte blob with 10 shards.
const ENCODED: u64 = 10_680;

fun storage(system: &mut System, epochs: u32, ctx: &mut TxContext): Storage {
    let mut payment = test_committee::wal(1_000_000, ctx);
    let storage = system.reserve_space(ENCODED, epochs, &mut payment, ctx);
    destroy(payment);
    storage
}

fun register(system: &mut System, deletable: bool, ctx: &mut TxContext): Blob {
    let storage = storage(system, 3, ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    let blob = system.register_blob(storage, v::blob_id(), v::root_hash(), v::size(), 1, deletable, &mut payment, ctx);
    destroy(payment);
    blob
}

fun certify(system: &System, blob: &mut Blob) {
    system.certify_blob(blob, v::certify_signature(), v::certify_bitmap(), v::certify_message());
}

/// A deletable blob whose object id is `bls_vectors::deletable_object_id()`.
fun register_deletable_with_known_id(system: &mut System, ctx: &mut TxContext): Blob {
    let storage = storage(system, 3, ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    let mut blob_ctx = tx_context::new_from_hint(@0xB0B, v::deletable_hint(), 1, 0, 0);
    let blob = system.register_blob(storage, v::blob_id(), v::root_hash(), v::size(), 1, true, &mut payment, &mut blob_ctx);
    destroy(payment);
    blob
}

fun finish(blob: Blob, system: System) {
    destroy(blob);
    destroy(system);
}

// === Blob ids ===

#[test]
fun blob_id_is_blake2b_of_the_bcs_derivation_read_little_endian() {
    assert!(blob::derive_blob_id(v::root_hash(), 1, v::size()) == v::blob_id());
    assert!(blob::derive_blob_id(v::root_hash(), 1, v::size() + 1) != v::blob_id());
}

// === Register ===

#[test]
fun register_checks_the_id_charges_the_write_fee_and_emits_blob_registered() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let storage = storage(&mut system, 3, ctx);
    let rewards_before = system.inner().future_accounting().ring_lookup(0).rewards();
    let mut payment = test_committee::wal(100, ctx);
    let blob = system.register_blob(storage, v::blob_id(), v::root_hash(), v::size(), 1, false, &mut payment, ctx);
    // 10,680 encoded bytes = 1 unit at write price 7.
    assert!(payment.value() == 93);
    assert!(system.inner().future_accounting().ring_lookup(0).rewards() == rewards_before + 7);
    assert!(blob.blob_id() == v::blob_id() && blob.size() == 1000 && blob.encoding_type() == 1);
    assert!(blob.registered_epoch() == 1 && blob.end_epoch() == 4 && !blob.is_deletable());
    assert!(blob.certified_epoch().is_none());
    assert!(blob.encoded_size(10) == ENCODED);
    let registered = event::events_by_type<events::BlobRegistered>();
    assert!(registered.length() == 1);
    assert!(registered[0] == events::blob_registered(1, v::blob_id(), 1000, 1, 4, false, blob.object_id()));
    destroy(payment);
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::EInvalidBlobId)]
fun register_with_a_wrong_blob_id_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let storage = storage(&mut system, 3, ctx);
    let mut payment = test_committee::wal(100, ctx);
    let blob = system.register_blob(storage, v::blob_id() + 1, v::root_hash(), v::size(), 1, false, &mut payment, ctx);
    destroy(payment);
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::EResourceSize)]
fun register_on_too_little_storage_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    let storage = system.reserve_space(ENCODED - 1, 3, &mut payment, ctx);
    let blob = system.register_blob(storage, v::blob_id(), v::root_hash(), v::size(), 1, false, &mut payment, ctx);
    destroy(payment);
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun register_on_storage_starting_later_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    let storage = system.reserve_space_for_epochs(ENCODED, 2, 4, &mut payment, ctx);
    let blob = system.register_blob(storage, v::blob_id(), v::root_hash(), v::size(), 1, false, &mut payment, ctx);
    destroy(payment);
    finish(blob, system);
}

#[test, expected_failure(abort_code = floe::encoding::EInvalidEncodingType)]
fun register_with_another_encoding_type_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let storage = storage(&mut system, 3, ctx);
    let mut payment = test_committee::wal(100, ctx);
    let blob = system.register_blob(storage, v::blob_id(), v::root_hash(), v::size(), 2, false, &mut payment, ctx);
    destroy(payment);
    finish(blob, system);
}

#[test, expected_failure(abort_code = system_state_inner::EInsufficientFunds)]
fun register_without_the_write_fee_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let storage = storage(&mut system, 3, ctx);
    let mut payment = test_committee::wal(6, ctx);
    let blob = system.register_blob(storage, v::blob_id(), v::root_hash(), v::size(), 1, false, &mut payment, ctx);
    destroy(payment);
    finish(blob, system);
}

// === Certify ===

#[test]
fun a_quorum_certificate_certifies_a_permanent_blob() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    certify(&system, &mut blob);
    assert!(blob.certified_epoch() == option::some(1));
    let certified = event::events_by_type<events::BlobCertified>();
    assert!(certified.length() == 1);
    assert!(certified[0] == events::blob_certified(1, v::blob_id(), 4, false, blob.object_id(), false));
    finish(blob, system);
}

#[test]
fun a_certificate_signed_by_everyone_certifies() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    system.certify_blob(&mut blob, v::certify_all_signature(), v::certify_all_bitmap(), v::certify_all_message());
    assert!(blob.certified_epoch() == option::some(1));
    finish(blob, system);
}

#[test]
fun a_deletable_blob_is_certified_for_its_own_object_id() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register_deletable_with_known_id(&mut system, ctx);
    assert!(blob.object_id() == v::deletable_object_id());
    system.certify_blob(
        &mut blob,
        v::certify_deletable_signature(),
        v::certify_deletable_bitmap(),
        v::certify_deletable_message(),
    );
    assert!(blob.certified_epoch() == option::some(1));
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::EAlreadyCertified)]
fun certifying_twice_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    certify(&system, &mut blob);
    certify(&system, &mut blob);
    finish(blob, system);
}

#[test, expected_failure(abort_code = bls_aggregate::ENotEnoughStake)]
fun certificate_with_one_shard_short_of_quorum_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    system.certify_blob(
        &mut blob,
        v::certify_short_of_quorum_signature(),
        v::certify_short_of_quorum_bitmap(),
        v::certify_short_of_quorum_message(),
    );
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::EInvalidBlobId)]
fun certificate_for_another_blob_id_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    system.certify_blob(&mut blob, v::certify_other_blob_signature(), v::certify_other_blob_bitmap(), v::certify_other_blob_message());
    finish(blob, system);
}

#[test, expected_failure(abort_code = messages::EIncorrectEpoch)]
fun certificate_of_another_epoch_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    system.certify_blob(&mut blob, v::certify_next_epoch_signature(), v::certify_next_epoch_bitmap(), v::certify_next_epoch_message());
    finish(blob, system);
}

#[test, expected_failure(abort_code = messages::EIncorrectEpoch)]
fun certificate_from_the_previous_epoch_is_rejected_after_an_epoch_change() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    test_committee::advance(&mut system);
    certify(&system, &mut blob);
    finish(blob, system);
}

#[test, expected_failure(abort_code = messages::EInvalidPersistenceType)]
fun certificate_with_an_unknown_persistence_byte_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    system.certify_blob(&mut blob, v::certify_bad_persistence_signature(), v::certify_bad_persistence_bitmap(), v::certify_bad_persistence_message());
    finish(blob, system);
}

#[test, expected_failure(abort_code = messages::ETrailingBytes)]
fun certificate_with_trailing_bytes_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    system.certify_blob(&mut blob, v::certify_trailing_bytes_signature(), v::certify_trailing_bytes_bitmap(), v::certify_trailing_bytes_message());
    finish(blob, system);
}

#[test, expected_failure(abort_code = messages::EInvalidAppId)]
fun certificate_with_another_app_id_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    system.certify_blob(&mut blob, v::certify_bad_app_id_signature(), v::certify_bad_app_id_bitmap(), v::certify_bad_app_id_message());
    finish(blob, system);
}

#[test, expected_failure(abort_code = messages::EIncorrectIntentVersion)]
fun certificate_with_another_intent_version_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    system.certify_blob(&mut blob, v::certify_bad_version_signature(), v::certify_bad_version_bitmap(), v::certify_bad_version_message());
    finish(blob, system);
}

#[test, expected_failure(abort_code = messages::EIncorrectIntentType)]
fun an_invalid_blob_id_attestation_does_not_certify() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    system.certify_blob(&mut blob, v::invalid_blob_id_quorum_signature(), v::invalid_blob_id_quorum_bitmap(), v::invalid_blob_id_quorum_message());
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::EInvalidBlobPersistenceType)]
fun a_permanent_certificate_does_not_certify_a_deletable_blob() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, true, ctx);
    certify(&system, &mut blob);
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::EInvalidBlobObject)]
fun a_deletable_certificate_for_another_object_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, true, ctx);
    assert!(blob.object_id() != v::deletable_object_id());
    system.certify_blob(&mut blob, v::certify_deletable_signature(), v::certify_deletable_bitmap(), v::certify_deletable_message());
    finish(blob, system);
}

#[test, expected_failure(abort_code = bls_aggregate::EInvalidBitmap)]
fun a_bitmap_longer_than_the_committee_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    system.certify_blob(&mut blob, v::certify_signature(), vector[7, 0], v::certify_message());
    finish(blob, system);
}

#[test, expected_failure(abort_code = bls_aggregate::EInvalidBitmap)]
fun a_bitmap_with_a_padding_bit_set_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    system.certify_blob(&mut blob, v::certify_signature(), vector[0x17], v::certify_message());
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun an_expired_blob_cannot_be_certified() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    // Past the blob's end epoch (4), a confirmation of epoch 4 would be verified by then.
    let message = messages::storage_confirmation_message(4, v::blob_id(), option::none());
    let certified = messages::certify_blob_message(messages::new_certified_message(message, 4, 10));
    blob.certify_with_certified_msg(4, certified);
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::EWrongEpoch)]
fun a_confirmation_of_another_epoch_does_not_certify_the_blob() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    let message = messages::storage_confirmation_message(2, v::blob_id(), option::none());
    let certified = messages::certify_blob_message(messages::new_certified_message(message, 2, 10));
    blob.certify_with_certified_msg(1, certified);
    finish(blob, system);
}

// === Delete, burn ===

#[test]
fun deleting_a_deletable_blob_returns_its_storage_and_emits_blob_deleted() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register_deletable_with_known_id(&mut system, ctx);
    system.certify_blob(&mut blob, v::certify_deletable_signature(), v::certify_deletable_bitmap(), v::certify_deletable_message());
    let object_id = blob.object_id();
    blob.insert_or_update_attribute(b"k".to_string(), b"v".to_string());
    let storage = system.delete_blob(blob);
    assert!(storage.size() == ENCODED && storage.start_epoch() == 1 && storage.end_epoch() == 4);
    let deleted = event::events_by_type<events::BlobDeleted>();
    assert!(deleted == vector[events::blob_deleted(1, v::blob_id(), 4, object_id, true)]);
    // The storage can carry another blob.
    let mut payment = test_committee::wal(100, ctx);
    let again = system.register_blob(storage, v::blob_id(), v::root_hash(), v::size(), 1, true, &mut payment, ctx);
    destroy(payment);
    finish(again, system);
}

#[test, expected_failure(abort_code = blob::EBlobNotDeletable)]
fun a_permanent_blob_cannot_be_deleted() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let blob = register(&mut system, false, ctx);
    let storage = system.delete_blob(blob);
    storage.destroy();
    destroy(system);
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun an_expired_blob_cannot_be_deleted() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let blob = register(&mut system, true, ctx);
    let storage = blob.delete(4);
    storage.destroy();
    destroy(system);
}

#[test]
fun an_expired_blob_can_be_burned() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let blob = register(&mut system, false, ctx);
    test_committee::advance(&mut system);
    test_committee::advance(&mut system);
    test_committee::advance(&mut system);
    assert!(system.epoch() == blob.end_epoch());
    system.burn_expired_blob(blob);
    destroy(system);
}

#[test, expected_failure(abort_code = blob::EBlobNotExpired)]
fun burn_expired_refuses_a_live_blob() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let blob = register(&mut system, false, ctx);
    system.burn_expired_blob(blob);
    destroy(system);
}

#[test]
fun a_live_blob_can_be_burned_at_any_time_with_its_attributes() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    certify(&system, &mut blob);
    blob.insert_or_update_attribute(b"k".to_string(), b"v".to_string());
    assert!(system.epoch() < blob.end_epoch());
    let deleted_before = event::events_by_type<events::BlobDeleted>().length();
    blob.burn();
    // Burning refunds nothing and tells the nodes nothing: the data stays until its end epoch.
    assert!(event::events_by_type<events::BlobDeleted>().length() == deleted_before);
    destroy(system);
}

#[test]
fun an_uncertified_deletable_blob_can_be_burned() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let blob = register(&mut system, true, ctx);
    blob.burn();
    destroy(system);
}

// === Extend ===

#[test]
fun extending_with_a_resource_moves_the_end_epoch_and_emits_an_extension() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    certify(&system, &mut blob);
    let mut payment = test_committee::wal(1_000, ctx);
    let extension = system.reserve_space_for_epochs(ENCODED, 4, 6, &mut payment, ctx);
    system.extend_blob_with_resource(&mut blob, extension);
    assert!(blob.end_epoch() == 6 && blob.storage().start_epoch() == 1);
    let certified = event::events_by_type<events::BlobCertified>();
    assert!(certified[certified.length() - 1] == events::blob_certified(1, v::blob_id(), 6, false, blob.object_id(), true));
    destroy(payment);
    finish(blob, system);
}

#[test]
fun extending_by_epochs_charges_the_storage_price() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    certify(&system, &mut blob);
    let mut payment = test_committee::wal(1_000, ctx);
    system.extend_blob(&mut blob, 5, &mut payment, ctx);
    // 1 unit x 5 FROST x 5 epochs.
    assert!(payment.value() == 975);
    assert!(blob.end_epoch() == 9);
    assert!(system.inner().future_accounting().ring_lookup(7).used_capacity() == ENCODED);
    destroy(payment);
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::ENotCertified)]
fun an_uncertified_blob_cannot_be_extended() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    let mut payment = test_committee::wal(1_000, ctx);
    system.extend_blob(&mut blob, 1, &mut payment, ctx);
    destroy(payment);
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::EIncompatibleExtension)]
fun an_extension_with_a_gap_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    certify(&system, &mut blob);
    let mut payment = test_committee::wal(1_000, ctx);
    let extension = system.reserve_space_for_epochs(ENCODED, 5, 6, &mut payment, ctx);
    system.extend_blob_with_resource(&mut blob, extension);
    destroy(payment);
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun an_expired_blob_cannot_be_extended() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    certify(&system, &mut blob);
    let extension = storage_resource::new_for_testing(4, 6, ENCODED, ctx);
    blob.extend_with_resource(extension, 4);
    finish(blob, system);
}

// === Attributes ===

#[test]
fun attributes_can_be_set_updated_read_and_removed() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    let key = b"content-type".to_string();
    assert!(blob.attribute(&key).is_none());
    assert!(blob.remove_attribute_if_exists(key).is_none());
    blob.insert_or_update_attribute(key, b"text/plain".to_string());
    blob.insert_or_update_attribute(b"name".to_string(), b"a.txt".to_string());
    assert!(blob.attribute(&key) == option::some(b"text/plain".to_string()));
    blob.insert_or_update_attribute(key, b"image/png".to_string());
    assert!(blob.attribute(&key) == option::some(b"image/png".to_string()));
    assert!(blob.remove_attribute(key) == b"image/png".to_string());
    assert!(blob.remove_attribute_if_exists(key).is_none());
    let all = blob.take_attributes();
    assert!(all.length() == 1 && all.get(&b"name".to_string()) == &b"a.txt".to_string());
    assert!(blob.attribute(&key).is_none());
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::EAttributeNotFound)]
fun removing_a_missing_attribute_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    blob.insert_or_update_attribute(b"a".to_string(), b"1".to_string());
    blob.remove_attribute(b"b".to_string());
    finish(blob, system);
}

#[test, expected_failure(abort_code = blob::ENoAttributes)]
fun taking_attributes_of_a_blob_without_any_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut system = test_committee::system(ctx);
    let mut blob = register(&mut system, false, ctx);
    let all = blob.take_attributes();
    destroy(all);
    finish(blob, system);
}

// === Invalid blob ids ===

#[test]
fun one_correct_node_can_invalidate_a_blob_id() {
    let ctx = &mut tx_context::dummy();
    let system = test_committee::system(ctx);
    let blob_id = system.invalidate_blob_id(v::invalid_blob_id_signature(), v::invalid_blob_id_bitmap(), v::invalid_blob_id_message());
    assert!(blob_id == v::blob_id());
    assert!(event::events_by_type<events::InvalidBlobID>() == vector[events::invalid_blob_id(1, v::blob_id())]);
    destroy(system);
}

#[test, expected_failure(abort_code = bls_aggregate::ENotEnoughStake)]
fun fewer_than_one_correct_node_cannot_invalidate_a_blob_id() {
    let ctx = &mut tx_context::dummy();
    let system = test_committee::system(ctx);
    system.invalidate_blob_id(v::invalid_blob_id_node_2_signature(), v::invalid_blob_id_node_2_bitmap(), v::invalid_blob_id_node_2_message());
    destroy(system);
}

#[test, expected_failure(abort_code = messages::EIncorrectIntentType)]
fun a_storage_confirmation_does_not_invalidate_a_blob_id() {
    let ctx = &mut tx_context::dummy();
    let system = test_committee::system(ctx);
    system.invalidate_blob_id(v::certify_signature(), v::certify_bitmap(), v::certify_message());
    destroy(system);
}

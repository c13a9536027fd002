//! Every tampered part of an object fails with the error that names it.

mod support;

use floe_seal::curve::{G2, Scalar};
use floe_seal::object::NonceBytes;
use floe_seal::{Ciphertext, EncryptedObject, IbeEncryptions, Payload, SealError, UserKeys, decrypt, encrypt};
use rand::thread_rng;
use sui_sdk_types::Address;
use support::{Committee, identity};

struct Fixture {
    object: EncryptedObject,
    keys: UserKeys,
}

fn fixture(payload: Payload<'_>) -> Fixture {
    let mut rng = thread_rng();
    let committee = Committee::new(&mut rng, 3);
    let (object, _) = encrypt(&mut rng, &identity(), &committee.servers(), 2, payload).unwrap();
    // Keys of servers 0 and 1: shares 0 and 1 are the ones combined.
    let keys = committee.keys(&identity(), &[0, 1]);
    Fixture { object, keys }
}

fn single_shot() -> Fixture {
    fixture(Payload::Aes256Gcm { data: b"secret blob contents", aad: Some(b"blob id") })
}

fn shares_of(object: &mut EncryptedObject) -> (&mut NonceBytes, &mut Vec<[u8; 32]>, &mut [u8; 32]) {
    let IbeEncryptions::BonehFranklinBls12381 { nonce, encrypted_shares, encrypted_randomness } =
        &mut object.header.encrypted_shares;
    (nonce, encrypted_shares, encrypted_randomness)
}

fn expect_nonce_mismatch(object: &EncryptedObject, keys: &UserKeys, what: &str) {
    match decrypt(object, keys) {
        Err(SealError::NonceMismatch) => {}
        other => panic!("{what}: expected NonceMismatch, got {other:?}"),
    }
}

#[test]
fn untampered_fixture_decrypts() {
    let f = single_shot();
    assert_eq!(decrypt(&f.object, &f.keys).unwrap(), b"secret blob contents");
}

#[test]
fn a_tampered_share_fails_the_nonce_check() {
    for share in 0..3 {
        let mut f = single_shot();
        shares_of(&mut f.object).1[share][5] ^= 0x01;
        // Share 2 is not combined, but every encrypted share is bound into the derived keys.
        expect_nonce_mismatch(&f.object, &f.keys, &format!("share {share}"));
    }
}

#[test]
fn a_tampered_nonce_fails() {
    let mut f = single_shot();
    let other = G2::generator().mul(&Scalar::random(&mut thread_rng()));
    shares_of(&mut f.object).0.0 = other.to_bytes();
    expect_nonce_mismatch(&f.object, &f.keys, "valid but different nonce");

    let mut f = single_shot();
    shares_of(&mut f.object).0.0[10] ^= 0x40;
    match decrypt(&f.object, &f.keys) {
        Err(SealError::BadEncoding { what: "nonce", .. }) => {}
        other => panic!("garbled nonce: expected BadEncoding(nonce), got {other:?}"),
    }
}

#[test]
fn tampered_randomness_fails() {
    let mut f = single_shot();
    shares_of(&mut f.object).2[31] ^= 0x01;
    expect_nonce_mismatch(&f.object, &f.keys, "encrypted randomness");
}

#[test]
fn tampered_header_fields_fail() {
    let mut f = single_shot();
    let mut package = f.object.header.package_id.into_inner();
    package[0] ^= 1;
    f.object.header.package_id = Address::new(package);
    expect_nonce_mismatch(&f.object, &f.keys, "package id");

    let mut f = single_shot();
    f.object.header.id.push(0);
    expect_nonce_mismatch(&f.object, &f.keys, "inner id");

    let mut f = single_shot();
    f.object.header.threshold = 1;
    expect_nonce_mismatch(&f.object, &f.keys, "threshold lowered");

    let mut f = single_shot();
    f.object.header.services[0].1 = 9;
    expect_nonce_mismatch(&f.object, &f.keys, "share index");

    // Replacing the unused third server's id changes the server list bound into the keys.
    let mut f = single_shot();
    f.object.header.services[2].0 = Address::new([0x77; 32]);
    expect_nonce_mismatch(&f.object, &f.keys, "server list");

    let mut f = single_shot();
    f.object.header.version = 1;
    assert!(matches!(decrypt(&f.object, &f.keys), Err(SealError::UnsupportedVersion { version: 1 })));

    let mut f = single_shot();
    f.object.header.threshold = 4;
    assert!(matches!(decrypt(&f.object, &f.keys), Err(SealError::InvalidThreshold { threshold: 4, servers: 3 })));

    let mut f = single_shot();
    shares_of(&mut f.object).1.pop();
    assert!(matches!(decrypt(&f.object, &f.keys), Err(SealError::ShareCountMismatch { services: 3, shares: 2 })));
}

#[test]
fn tampered_ciphertext_or_aad_fails_authentication() {
    let mut f = single_shot();
    if let Ciphertext::Aes256Gcm { blob, .. } = &mut f.object.ciphertext {
        blob[0] ^= 0x80;
    }
    assert!(matches!(decrypt(&f.object, &f.keys), Err(SealError::AuthenticationFailed)));

    let mut f = single_shot();
    if let Ciphertext::Aes256Gcm { aad, .. } = &mut f.object.ciphertext {
        *aad = Some(b"another blob id".to_vec());
    }
    assert!(matches!(decrypt(&f.object, &f.keys), Err(SealError::AuthenticationFailed)));
}

#[test]
fn tampered_chunked_ciphertext_names_the_chunk() {
    let data = vec![0x33u8; 100];
    let payload = Payload::Aes256GcmChunked { data: &data, aad: Some(b"aad"), chunk_size: 32 };
    let f = fixture(payload);
    assert_eq!(decrypt(&f.object, &f.keys).unwrap(), data);

    let mut flipped = f.object.clone();
    if let Ciphertext::Aes256GcmChunked { blob, .. } = &mut flipped.ciphertext {
        blob[2 * 48 + 3] ^= 1; // inside chunk 2 (sealed chunks are 48 bytes)
    }
    assert!(matches!(decrypt(&flipped, &f.keys), Err(SealError::ChunkAuthenticationFailed { chunk: 2 })));

    let mut truncated = f.object.clone();
    if let Ciphertext::Aes256GcmChunked { blob, .. } = &mut truncated.ciphertext {
        blob.truncate(3 * 48); // drop the final chunk
    }
    assert!(matches!(decrypt(&truncated, &f.keys), Err(SealError::ChunkAuthenticationFailed { chunk: 2 })));

    let mut resized = f.object.clone();
    if let Ciphertext::Aes256GcmChunked { chunk_size, .. } = &mut resized.ciphertext {
        *chunk_size = 16;
    }
    assert!(matches!(decrypt(&resized, &f.keys), Err(SealError::ChunkAuthenticationFailed { chunk: 0 })));
}

/// Seal's format binds the encrypted shares, threshold and server ids into the derived keys,
/// but not the share index of a server whose key is not used: changing it to a fresh index
/// leaves decryption with the other servers' keys intact (the data cannot change, since the
/// unused share is not part of the recombination).
#[test]
fn the_index_of_an_unused_share_is_not_bound() {
    let mut f = single_shot();
    f.object.header.services[2].1 = 200;
    assert_eq!(decrypt(&f.object, &f.keys).unwrap(), b"secret blob contents");
}

/// Flipping the low bit of any byte is detected. (For the unused third share's index 3 the flip
/// gives 2, a duplicate; see the test above for a fresh index.)
#[test]
fn a_flipped_byte_anywhere_in_the_serialized_object_is_detected() {
    let f = single_shot();
    let bytes = f.object.to_bytes();
    for position in 0..bytes.len() {
        let mut altered = bytes.clone();
        altered[position] ^= 0x01;
        let outcome = EncryptedObject::from_bytes(&altered).and_then(|object| decrypt(&object, &f.keys));
        assert!(outcome.is_err(), "flip at byte {position} of {} went unnoticed", bytes.len());
    }
}

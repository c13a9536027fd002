//! A cheating encryptor can make different server subsets recover different data; the
//! consistency check catches it.

mod support;

use floe_seal::curve::Scalar;
use floe_seal::ibe::{self, ShareSlot};
use floe_seal::key_schedule::{KeyPurpose, derive_key};
use floe_seal::object::NonceBytes;
use floe_seal::shamir;
use floe_seal::{
    Ciphertext, EncryptedObject, Header, IbeEncryptions, Payload, SealError, decrypt, decrypt_checking_consistency,
    dem, encrypt,
};
use rand::{RngCore, thread_rng};
use sui_sdk_types::Address;
use support::{Committee, identity};

/// Builds an object whose third share is off the polynomial, with every derived key computed
/// honestly from the altered shares (so the nonce check passes for servers 0 and 1).
fn cheating_object(committee: &Committee) -> EncryptedObject {
    let mut rng = thread_rng();
    let servers = committee.servers();
    let mut base_key = [0u8; 32];
    rng.fill_bytes(&mut base_key);
    let mut shares = shamir::split(&mut rng, &base_key, 2, 3).unwrap();
    shares[2].value[0] ^= 0xff;
    let slots: Vec<ShareSlot> = servers
        .iter()
        .zip(&shares)
        .map(|(server, share)| ShareSlot { server: server.object_id, index: share.index })
        .collect();
    let randomness = Scalar::random(&mut rng);
    let public_keys: Vec<_> = servers.iter().map(|server| server.public_key).collect();
    let values: Vec<[u8; 32]> = shares.iter().map(|share| share.value).collect();
    let (nonce, encrypted) =
        ibe::encrypt_shares(&randomness, &values, &public_keys, &slots, &identity().full_id()).unwrap();
    let ids: Vec<Address> = servers.iter().map(|server| server.object_id).collect();
    let randomness_key = derive_key(KeyPurpose::EncryptedRandomness, &base_key, &encrypted, 2, &ids);
    let data_key = derive_key(KeyPurpose::Dem, &base_key, &encrypted, 2, &ids);
    let masked: [u8; 32] = std::array::from_fn(|i| randomness.to_be_bytes()[i] ^ randomness_key[i]);
    EncryptedObject {
        header: Header {
            version: 0,
            package_id: identity().package,
            id: identity().inner,
            services: slots.iter().map(|slot| (slot.server, slot.index)).collect(),
            threshold: 2,
            encrypted_shares: IbeEncryptions::BonehFranklinBls12381 {
                nonce: NonceBytes(nonce.to_bytes()),
                encrypted_shares: encrypted,
                encrypted_randomness: masked,
            },
        },
        ciphertext: Ciphertext::Aes256Gcm { blob: dem::encrypt(&data_key, b"ballot", b""), aad: None },
    }
}

#[test]
fn inconsistent_shares_are_caught_by_the_check_only() {
    let committee = Committee::new(&mut thread_rng(), 3);
    let object = cheating_object(&committee);
    let first_two = committee.keys(&identity(), &[0, 1]);
    // Without the check, servers 0 and 1 decrypt fine...
    assert_eq!(decrypt(&object, &first_two).unwrap(), b"ballot");
    // ...while servers 1 and 2 recombine another key and fail the nonce check.
    assert!(matches!(decrypt(&object, &committee.keys(&identity(), &[1, 2])), Err(SealError::NonceMismatch)));
    match decrypt_checking_consistency(&object, &first_two, &committee.servers()) {
        Err(SealError::InconsistentShares { index: 3 }) => {}
        other => panic!("expected InconsistentShares(3), got {other:?}"),
    }
}

#[test]
fn honest_objects_pass_the_check() {
    let mut rng = thread_rng();
    let committee = Committee::new(&mut rng, 5);
    let (object, _) =
        encrypt(&mut rng, &identity(), &committee.servers(), 3, Payload::Aes256Gcm { data: b"fair", aad: None })
            .unwrap();
    let keys = committee.keys(&identity(), &[4, 0, 2]);
    assert_eq!(decrypt_checking_consistency(&object, &keys, &committee.servers()).unwrap(), b"fair");
    match decrypt_checking_consistency(&object, &keys, &committee.servers()[..4]) {
        Err(SealError::MissingPublicKey { server }) => assert_eq!(server, committee.masters[4].0),
        other => panic!("expected MissingPublicKey, got {other:?}"),
    }
}

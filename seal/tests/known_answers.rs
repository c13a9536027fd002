//! Known-answer tests. The Seal vectors come from Seal's own regression tests (H1, the per-share
//! KDF, seed derivation, and an object encrypted by Seal's TypeScript SDK); the floe vectors were
//! computed once by this crate and pinned, so any change of bytes in a derivation is caught.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use floe_seal::curve::{G1, G2, Gt, Scalar};
use floe_seal::ibe::{ShareSlot, hash_identity, share_key};
use floe_seal::key_schedule::{KeyPurpose, derive_key};
use floe_seal::{EncryptedObject, Identity, MasterKey, UserKeys, chunked, decrypt, dem};
use sui_sdk_types::Address;

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

#[test]
fn seal_h1_regression_vector() {
    let identity = Identity::new(Address::new([0; 32]), vec![1, 2, 3, 4]);
    assert_eq!(
        hex(&hash_identity(&identity.full_id()).to_bytes()),
        "a2f2624fda29c88ccacd286b560572d8c1261a5687e0c0cdbdcbef93bf0ec5c373563fac64a2cb5bb326cc6181ee65d7"
    );
}

#[test]
fn seal_share_kdf_regression_vector_pins_gt_serialization() {
    // e(g1, g2)^r computed as e(r·g1, g2); the expected key depends on all 576 GT bytes.
    let r = Scalar::from_u64(12345).unwrap();
    let pairing = Gt::pairing(&G1::generator().mul(&r), &G2::generator());
    let nonce = G2::generator().mul(&r);
    let slot = ShareSlot { server: Address::new([0; 32]), index: 42 };
    assert_eq!(
        hex(&share_key(&pairing, &nonce, &hash_identity(&[0]), &slot)),
        "89befdfd6aecdce1305ddbca891d1c29f0507cfd5225cd6b11e52e60f088ea87"
    );
}

#[test]
fn seal_seed_derivation_regression_vector() {
    let master = MasterKey::derive_from_seed(&[1; 32], 42);
    assert_eq!(hex(&master.to_bytes()), "17d496df95e12b5caec0c4a15b09a5ea41b4fb1cf3ba28f1c6c72556846a6db6");
}

/// An object produced by Seal's TypeScript SDK (3 servers, threshold 2, random share indices,
/// single-shot AES-256-GCM with aad) decrypts to the SDK's message with keys derived here.
#[test]
fn decrypts_an_object_encrypted_by_seals_typescript_sdk() {
    let object = BASE64.decode("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAECAwQDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEqAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAALCAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAMeAgCEy0p0JVyGZjTiAwvuhfbZgRbVf6B/7mt4YBW+QVwzyxJvwg7EWKC3fsVYdwiazbEZrmUt+DVDuTiiIvecSoBHN0eOW5WN77xC9ZX5IDVDqyLgP0/CzLPZav3kQES7HlkDUTPTRQGs51AtW3VBP7XW8eVDynrkuNBIAlmK8VpacwqhfgGc9jEeEyI8Radr3vFWawYpBc9NHdRgvD9GRmqhg0aGM4iKmAvnny2XR2i+O59QCk8K77YYsMPCSybazYjQGnUB2DGYvu/mXWg1dle5PPqH004F0vjlyHbNU+IQ+j4AJ2JiOXauUC7qc6NHcDrPkrdwyo4vMO7sxDK54lb719lK5r0M86MwXQEEAQIDBA==").unwrap();
    let masters = [
        "GpR7SBGd3si0yeCtH/Zf5SbMT8b7wwTi532/NPGNCZI=",
        "bbcjgCVjr8bl3To5S7cQdYEA/o1Tnr4jTk+uZ1ifs8A=",
        "QHBhV16RiH4JfZBofMLa4yHS4qX6Nv8Je0MlB4W2BV0=",
    ]
    .map(|key| MasterKey::from_bytes(&BASE64.decode(key).unwrap().try_into().unwrap()).unwrap());
    let object = EncryptedObject::from_bytes(&object).unwrap();
    assert_eq!(object.header.services.iter().map(|s| s.1).collect::<Vec<_>>(), [42, 194, 30]);
    let identity = object.header.identity();
    assert_eq!(identity, Identity::new(Address::new([0; 32]), vec![1, 2, 3, 4]));

    let server = |i: u8| {
        let mut id = [0u8; 32];
        id[31] = i;
        Address::new(id)
    };
    let full_id = identity.full_id();
    // Any two of the three servers suffice.
    for pair in [[0usize, 1], [1, 2], [0, 2]] {
        let keys: UserKeys =
            pair.iter().map(|&i| (server(i as u8 + 1), masters[i].derive_user_key(&full_id))).collect();
        assert_eq!(decrypt(&object, &keys).unwrap(), b"My super secret message");
    }
}

#[test]
fn floe_derive_key_vectors() {
    let servers = [Address::new([1; 32]), Address::new([2; 32]), Address::new([3; 32])];
    let shares = [[0x11; 32], [0x22; 32], [0x33; 32]];
    let randomness_key = derive_key(KeyPurpose::EncryptedRandomness, &[7; 32], &shares, 2, &servers);
    let dem_key = derive_key(KeyPurpose::Dem, &[7; 32], &shares, 2, &servers);
    assert_eq!(hex(&randomness_key), "1cc68ab25a9aaa9ed41e27a21cf8b65054e8a6fc89b52afa72196dea238ae79f");
    assert_eq!(hex(&dem_key), "0a220fe2f9d2b95654a419d296aaa236d2c0244872a667c62a670ff47b51937b");
}

#[test]
fn floe_share_kdf_vector_with_a_real_pairing() {
    let master = MasterKey::from_bytes(&[0x01; 32]).unwrap();
    let identity = Identity::new(Address::new([0xaa; 32]), b"floe".to_vec());
    let full_id = identity.full_id();
    let r = Scalar::from_u64(987_654_321).unwrap();
    let nonce = G2::generator().mul(&r);
    let user_key = master.derive_user_key(&full_id);
    let pairing = Gt::pairing(&G1::from_bytes(&user_key.to_bytes()).unwrap(), &nonce);
    let slot = ShareSlot { server: Address::new([0xbb; 32]), index: 3 };
    assert_eq!(
        hex(&share_key(&pairing, &nonce, &hash_identity(&full_id), &slot)),
        "87ef73619cdd8e299260e383f13bb2b9877bd3faf8ca1ad99470fe3d30bfd40b"
    );
}

#[test]
fn floe_dem_vectors() {
    let key = [0x42; 32];
    assert_eq!(hex(&dem::encrypt(&key, b"floe", b"aad")), "340cc5da225a87c07dae67cdda07703fc2d64e9b");
    let mut chunked_out = Vec::new();
    let data = [0x5a_u8; 40];
    chunked::encrypt_stream(&key, 16, b"aad", 40, &mut &data[..], &mut chunked_out).unwrap();
    assert_eq!(
        hex(&chunked_out),
        "aee8a5a306d6dfbdc31511556bd1ef0be45dc00171422a10b34138313374cfbc12d18e4e8501c9ff139d9ed53aae392b4a735688149310b901afbcaa2af4ce6c84bd746e87e002639d5c8111f3c7506f22628a1854ee5112"
    );
}

#[test]
fn seal_single_shot_aes_gcm_regression_vector() {
    let key: [u8; 32] =
        hex::decode("43041389faab1f789fa56722b1def4c3ec6da22675e9bd8ad7329cd931bc840a").unwrap().try_into().unwrap();
    let message: &[u8] =
        b"The difference between a Miracle and a Fact is exactly the difference between a mermaid and a seal.";
    let aad: &[u8] = b"Mark Twain";
    let expected = "a3a5c857ee27937f43ccfb42b41ca2155c9a4a77a8e54af35f78a78ff102206142d1be22dfc39a6374463255934ae640adceeffb17e56b9190d8c5f6456e9e7ff1c4eaa45114b640b407efd371f26b1f7d7e48bd86d742a01c0ad7dbe18b86df188e27cb029978b7fd243d9a63bdabd76aa478";
    assert_eq!(hex(&dem::encrypt(&key, message, aad)), expected);
    assert_eq!(dem::decrypt(&key, &hex::decode(expected).unwrap(), aad).unwrap(), message);
}

#[test]
fn seal_hmac_ctr_regression_vector() {
    let key: [u8; 32] =
        hex::decode("5bfdfd7c814903f1311bebacfffa3c001cbeb1cbb3275baa9aafe21fadd9f396").unwrap().try_into().unwrap();
    let message: &[u8] =
        b"The difference between a Miracle and a Fact is exactly the difference between a mermaid and a seal.";
    let aad: &[u8] = b"Mark Twain";
    let ciphertext = "feadb8c8f781036f86b6a9f436cac6f9f68ba8fc8b8444f0331a5820f78580f32034f698f7ce15f25defae1749f0131c0a8b8c5e751b96aacf507d0dbd4d7790440d196a339fcb8498ca7dd236014e353729b7aa2cf524284a8d2305d2378494eadd6f";
    let mac = "85d498365972c3dc7a53f94232f9cb10dcc94eff064d6835d41d7a7536b47b51";
    let (ours, our_mac) = floe_seal::hmac_ctr::encrypt(&key, message, aad);
    assert_eq!((hex(&ours), hex(&our_mac)), (ciphertext.to_string(), mac.to_string()));
    let mac: [u8; 32] = hex::decode(mac).unwrap().try_into().unwrap();
    assert_eq!(floe_seal::hmac_ctr::decrypt(&key, &hex::decode(ciphertext).unwrap(), &mac, aad).unwrap(), message);
}

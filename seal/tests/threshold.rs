//! Round trips for every t in 1..=n up to n = 10, and failure with fewer than t valid keys.

mod support;

use floe_seal::{MasterKey, Payload, SealError, decrypt, encrypt};
use rand::seq::SliceRandom;
use rand::thread_rng;
use support::{Committee, identity};

#[test]
fn any_t_of_n_servers_decrypt_for_every_t_up_to_n_10() {
    let mut rng = thread_rng();
    let identity = identity();
    for n in 1..=10usize {
        let committee = Committee::new(&mut rng, n);
        for t in 1..=n {
            let data = format!("payload for t={t} n={n}").into_bytes();
            let (object, _) = encrypt(
                &mut rng,
                &identity,
                &committee.servers(),
                t as u8,
                Payload::Aes256Gcm { data: &data, aad: Some(b"blob-aad") },
            )
            .unwrap();
            let indices: Vec<u8> = object.header.services.iter().map(|s| s.1).collect();
            assert_eq!(indices, (1..=n as u8).collect::<Vec<_>>());
            let mut positions: Vec<usize> = (0..n).collect();
            for _ in 0..3 {
                positions.shuffle(&mut rng);
                let keys = committee.keys(&identity, &positions[..t]);
                assert_eq!(decrypt(&object, &keys).unwrap(), data, "t={t} n={n} {positions:?}");
            }
            // Every server at once also works (only t shares are used).
            assert_eq!(decrypt(&object, &committee.keys(&identity, &positions)).unwrap(), data);
        }
    }
}

#[test]
fn any_t_minus_1_keys_fail() {
    let mut rng = thread_rng();
    let identity = identity();
    for n in [2usize, 3, 5, 10] {
        let committee = Committee::new(&mut rng, n);
        for t in 2..=n {
            let (object, _) = encrypt(&mut rng, &identity, &committee.servers(), t as u8, Payload::Plain).unwrap();
            let mut positions: Vec<usize> = (0..n).collect();
            positions.shuffle(&mut rng);
            let short = committee.keys(&identity, &positions[..t - 1]);
            match decrypt(&object, &short) {
                Err(SealError::NotEnoughKeys { available, threshold }) => {
                    assert_eq!((available, usize::from(threshold)), (t - 1, t));
                }
                other => panic!("t-1 keys must fail, got {other:?}"),
            }
            // t-1 real keys plus a forged t-th key (another master's key for the same server id)
            // must not open the object either: the recombined key fails the nonce check.
            let mut forged = short.clone();
            let impostor = MasterKey::generate(&mut rng).derive_user_key(&identity.full_id());
            forged.insert(committee.masters[positions[t - 1]].0, impostor);
            assert!(matches!(decrypt(&object, &forged), Err(SealError::NonceMismatch)), "t={t} n={n}");
        }
    }
}

#[test]
fn keys_for_another_identity_do_not_open_the_object() {
    let mut rng = thread_rng();
    let committee = Committee::new(&mut rng, 3);
    let (object, _) = encrypt(&mut rng, &identity(), &committee.servers(), 2, Payload::Plain).unwrap();
    let mut other = identity();
    other.inner.push(0);
    assert!(matches!(decrypt(&object, &committee.keys(&other, &[0, 1, 2])), Err(SealError::NonceMismatch)));
}

#[test]
fn a_weighted_server_opens_all_of_its_shares_with_one_key() {
    let mut rng = thread_rng();
    let identity = identity();
    let committee = Committee::new(&mut rng, 2);
    let servers = committee.servers();
    // Server 0 listed twice (weight 2), server 1 once; threshold 2.
    let weighted = [servers[0], servers[0], servers[1]];
    let (object, key) = encrypt(&mut rng, &identity, &weighted, 2, Payload::Plain).unwrap();
    assert_eq!(decrypt(&object, &committee.keys(&identity, &[0])).unwrap(), key);
    assert!(matches!(
        decrypt(&object, &committee.keys(&identity, &[1])),
        Err(SealError::NotEnoughKeys { available: 1, threshold: 2 })
    ));
}

#[test]
fn plain_objects_return_the_data_key() {
    let mut rng = thread_rng();
    let identity = identity();
    let committee = Committee::new(&mut rng, 3);
    let (object, key) = encrypt(&mut rng, &identity, &committee.servers(), 2, Payload::Plain).unwrap();
    assert_eq!(decrypt(&object, &committee.keys(&identity, &[2, 0])).unwrap(), key.to_vec());
}

#[test]
fn invalid_parameters_are_refused_before_encrypting() {
    let mut rng = thread_rng();
    let committee = Committee::new(&mut rng, 3);
    let servers = committee.servers();
    for threshold in [0u8, 4] {
        assert!(matches!(
            encrypt(&mut rng, &identity(), &servers, threshold, Payload::Plain),
            Err(SealError::InvalidThreshold { threshold: t, servers: 3 }) if t == threshold
        ));
    }
    let big_aad = vec![0u8; 64 * 1024 + 1];
    assert!(matches!(
        encrypt(&mut rng, &identity(), &servers, 2, Payload::Aes256Gcm { data: b"", aad: Some(&big_aad) }),
        Err(SealError::FieldTooLong { field: "aad", len: 65537, max: 65536 })
    ));
    let too_many = vec![servers[0]; 256];
    assert!(matches!(
        encrypt(&mut rng, &identity(), &too_many, 2, Payload::Plain),
        Err(SealError::TooManyServers { servers: 256, max: 255 })
    ));
}

//! Encrypt/decrypt throughput of floe-seal for 1 and 64 MiB next to plain AES-256-GCM on the same
//! data, and the ciphertext overhead in bytes for t = 2, n = 3.
//!
//! Run with `cargo bench -p floe-seal`. The sealed paths include everything a client does
//! locally: Shamir split, n pairings for encryption (t pairings, the nonce check and the key
//! derivations for decryption), and the AES-256-GCM pass over the data.

use std::hint::black_box;

use aes_gcm::{AeadInPlace, Aes256Gcm, KeyInit};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use floe_seal::chunked::DEFAULT_CHUNK_SIZE;
use floe_seal::{
    EncryptedObject, Identity, KeyServer, MasterKey, Payload, UserKeys, decrypt, decrypt_from_reader, encrypt,
    encrypt_to_writer, user_keys_from_master_keys,
};
use rand::thread_rng;
use sui_sdk_types::Address;

const MIB: usize = 1024 * 1024;

struct Setup {
    identity: Identity,
    servers: Vec<KeyServer>,
    keys: UserKeys,
}

fn setup() -> Setup {
    let mut rng = thread_rng();
    let masters: Vec<(Address, MasterKey)> =
        (1..=3u8).map(|i| (Address::new([i; 32]), MasterKey::generate(&mut rng))).collect();
    let servers =
        masters.iter().map(|(id, master)| KeyServer { object_id: *id, public_key: master.public_key() }).collect();
    // An allowlist-style inner id: 32-byte object id followed by a 5-byte nonce.
    let identity = Identity::new(Address::new([0xee; 32]), vec![0xaa; 37]);
    let keys = user_keys_from_master_keys(&identity, &masters[..2]);
    Setup { identity, servers, keys }
}

fn aes_gcm_alone(key: &[u8; 32], data: &[u8]) -> Vec<u8> {
    let mut buffer = Vec::with_capacity(data.len() + 16);
    buffer.extend_from_slice(data);
    let tag = Aes256Gcm::new(key.into()).encrypt_in_place_detached(&[0u8; 12].into(), b"", &mut buffer).unwrap();
    buffer.extend_from_slice(&tag);
    buffer
}

fn aes_gcm_alone_open(key: &[u8; 32], sealed: &[u8]) -> Vec<u8> {
    let (body, tag) = sealed.split_at(sealed.len() - 16);
    let mut buffer = body.to_vec();
    Aes256Gcm::new(key.into()).decrypt_in_place_detached(&[0u8; 12].into(), b"", &mut buffer, tag.into()).unwrap();
    buffer
}

/// Plain AES-256-GCM pushed through the same 64 KiB read -> seal -> write loop as the chunked
/// format, to separate the cost of streaming I/O (one extra copy) from the cost of sealing.
fn aes_gcm_alone_streamed(key: &[u8; 32], data: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(key.into());
    let mut out = Vec::with_capacity(data.len() + data.len() / 2048 + 16);
    let mut buffer = Vec::with_capacity(DEFAULT_CHUNK_SIZE as usize + 16);
    for (index, chunk) in data.chunks(DEFAULT_CHUNK_SIZE as usize).enumerate() {
        buffer.clear();
        buffer.extend_from_slice(chunk);
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&(index as u64).to_be_bytes());
        let tag = cipher.encrypt_in_place_detached(&nonce.into(), b"", &mut buffer).unwrap();
        out.extend_from_slice(&buffer);
        out.extend_from_slice(&tag);
    }
    out
}

fn stream_seal(s: &Setup, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 2048 + 1024);
    encrypt_to_writer(
        &mut thread_rng(),
        &s.identity,
        &s.servers,
        2,
        None,
        DEFAULT_CHUNK_SIZE,
        data.len() as u64,
        &mut &data[..],
        &mut out,
    )
    .unwrap();
    out
}

/// The fixed, size-independent cost: sealing and opening a key-only (Plain) object.
fn key_encapsulation(c: &mut Criterion) {
    let s = setup();
    let mut group = c.benchmark_group("key encapsulation t=2 n=3");
    group.bench_function("encrypt (3 pairings)", |b| {
        b.iter(|| encrypt(&mut thread_rng(), &s.identity, &s.servers, 2, Payload::Plain).unwrap())
    });
    let (plain, _) = encrypt(&mut thread_rng(), &s.identity, &s.servers, 2, Payload::Plain).unwrap();
    group.bench_function("decrypt (2 pairings + nonce check)", |b| {
        b.iter(|| decrypt(black_box(&plain), &s.keys).unwrap())
    });
    group.finish();
}

fn throughput(c: &mut Criterion) {
    let s = setup();
    for size in [MIB, 64 * MIB] {
        let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let key = [7u8; 32];
        let mut group = c.benchmark_group(format!("{} MiB", size / MIB));
        group.throughput(Throughput::Bytes(size as u64));
        group.sample_size(if size > MIB { 10 } else { 50 });

        group.bench_function(BenchmarkId::new("encrypt", "aes-256-gcm alone"), |b| {
            b.iter(|| aes_gcm_alone(&key, black_box(&data)))
        });
        group.bench_function(BenchmarkId::new("encrypt", "aes-256-gcm alone, 64 KiB streamed"), |b| {
            b.iter(|| aes_gcm_alone_streamed(&key, black_box(&data)))
        });
        group.bench_function(BenchmarkId::new("encrypt", "seal single-shot"), |b| {
            b.iter(|| {
                encrypt(
                    &mut thread_rng(),
                    &s.identity,
                    &s.servers,
                    2,
                    Payload::Aes256Gcm { data: black_box(&data), aad: None },
                )
                .unwrap()
            })
        });
        group.bench_function(BenchmarkId::new("encrypt", "seal chunked stream"), |b| {
            b.iter(|| stream_seal(&s, black_box(&data)))
        });

        let plain_sealed = aes_gcm_alone(&key, &data);
        let (single, _) =
            encrypt(&mut thread_rng(), &s.identity, &s.servers, 2, Payload::Aes256Gcm { data: &data, aad: None })
                .unwrap();
        let streamed = stream_seal(&s, &data);
        group.bench_function(BenchmarkId::new("decrypt", "aes-256-gcm alone"), |b| {
            b.iter(|| aes_gcm_alone_open(&key, black_box(&plain_sealed)))
        });
        group.bench_function(BenchmarkId::new("decrypt", "seal single-shot"), |b| {
            b.iter(|| decrypt(black_box(&single), &s.keys).unwrap())
        });
        group.bench_function(BenchmarkId::new("decrypt", "seal chunked stream"), |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(data.len());
                decrypt_from_reader(&mut black_box(&streamed[..]), &s.keys, &mut out).unwrap();
                out
            })
        });
        group.finish();
    }
}

fn overhead(c: &mut Criterion) {
    let s = setup();
    let data = vec![0u8; MIB];
    let (single, _) =
        encrypt(&mut thread_rng(), &s.identity, &s.servers, 2, Payload::Aes256Gcm { data: &data, aad: None }).unwrap();
    let single_len = single.to_bytes().len();
    let streamed_len = stream_seal(&s, &data).len();
    let (plain, _) = encrypt(&mut thread_rng(), &s.identity, &s.servers, 2, Payload::Plain).unwrap();
    println!(
        "ciphertext overhead, t=2 n=3, {}-byte inner id, no aad: single-shot {} B, chunked (64 KiB chunks) {} B for 1 MiB, key-only (Plain) object {} B",
        s.identity.inner.len(),
        single_len - data.len(),
        streamed_len - data.len(),
        plain.to_bytes().len(),
    );
    assert_eq!(EncryptedObject::from_bytes(&plain.to_bytes()).unwrap(), plain);
    // The header alone is what a client parses before fetching keys: time the parse.
    let bytes = single.to_bytes();
    c.bench_function("parse 1 MiB single-shot object", |b| {
        b.iter(|| EncryptedObject::from_bytes(black_box(&bytes)).unwrap())
    });
}

criterion_group!(benches, overhead, key_encapsulation, throughput);
criterion_main!(benches);

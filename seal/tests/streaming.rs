//! Streamed sealing and opening: the same bytes as the in-memory format, chunk-sized writes,
//! and clear errors for truncated or extended streams.

mod support;

use std::io::{self, Read, Write};

use floe_seal::chunked::ciphertext_len;
use floe_seal::{
    Ciphertext, EncryptedObject, Payload, SealError, decrypt, decrypt_from_reader, encrypt, encrypt_to_writer,
    read_header,
};
use proptest::prelude::*;
use rand::thread_rng;
use support::{Committee, identity};

fn seal_stream(committee: &Committee, data: &[u8], chunk_size: u32, aad: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    encrypt_to_writer(
        &mut thread_rng(),
        &identity(),
        &committee.servers(),
        2,
        aad,
        chunk_size,
        data.len() as u64,
        &mut &data[..],
        &mut out,
    )
    .unwrap();
    out
}

fn open_stream(committee: &Committee, bytes: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut out = Vec::new();
    decrypt_from_reader(&mut &bytes[..], &committee.keys(&identity(), &[1, 2]), &mut out)?;
    Ok(out)
}

#[test]
fn streamed_objects_are_ordinary_encrypted_objects() {
    let committee = Committee::new(&mut thread_rng(), 3);
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
    let bytes = seal_stream(&committee, &data, 4096, Some(b"blob"));
    let object = EncryptedObject::from_bytes(&bytes).unwrap();
    match &object.ciphertext {
        Ciphertext::Aes256GcmChunked { chunk_size: 4096, aad: Some(aad), blob } => {
            assert_eq!(aad, b"blob");
            assert_eq!(blob.len() as u64, ciphertext_len(10_000, 4096));
        }
        other => panic!("unexpected ciphertext {}", other.kind()),
    }
    assert_eq!(decrypt(&object, &committee.keys(&identity(), &[0, 2])).unwrap(), data);
    assert_eq!(open_stream(&committee, &bytes).unwrap(), data);
}

#[test]
fn the_stream_reader_also_opens_single_shot_objects() {
    let mut rng = thread_rng();
    let committee = Committee::new(&mut rng, 3);
    let (object, _) =
        encrypt(&mut rng, &identity(), &committee.servers(), 2, Payload::Aes256Gcm { data: b"small", aad: None })
            .unwrap();
    assert_eq!(open_stream(&committee, &object.to_bytes()).unwrap(), b"small");
    let (plain, _) = encrypt(&mut rng, &identity(), &committee.servers(), 2, Payload::Plain).unwrap();
    assert!(matches!(
        open_stream(&committee, &plain.to_bytes()),
        Err(SealError::UnsupportedCiphertext { kind: "Plain" })
    ));
}

#[test]
fn the_header_can_be_read_alone() {
    let committee = Committee::new(&mut thread_rng(), 3);
    let bytes = seal_stream(&committee, &[1u8; 3000], 1024, None);
    let mut reader = &bytes[..];
    let header = read_header(&mut reader).unwrap();
    assert_eq!(header.identity(), identity());
    assert_eq!(header.threshold, 2);
    assert_eq!(header.server_ids(), committee.masters.iter().map(|m| m.0).collect::<Vec<_>>());
    // The reader now sits on the ciphertext kind tag (3 = chunked).
    assert_eq!(reader[0], 3);
    assert!(matches!(read_header(&mut &b"not a sealed object"[..]), Err(SealError::UnsupportedVersion { .. })));
}

#[test]
fn truncated_and_extended_streams_fail() {
    let committee = Committee::new(&mut thread_rng(), 3);
    let data = vec![0xabu8; 5000];
    let bytes = seal_stream(&committee, &data, 1024, None);
    let header_and_half = &bytes[..bytes.len() / 2];
    assert!(matches!(open_stream(&committee, header_and_half), Err(SealError::TruncatedStream { .. })));
    assert!(matches!(open_stream(&committee, &bytes[..40]), Err(SealError::Malformed(_))));
    let extended = [bytes.as_slice(), b"x"].concat();
    assert!(matches!(open_stream(&committee, &extended), Err(SealError::TrailingData)));
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert!(matches!(open_stream(&committee, &flipped), Err(SealError::ChunkAuthenticationFailed { chunk: 4 })));
}

#[test]
fn a_short_source_is_reported_not_padded() {
    let committee = Committee::new(&mut thread_rng(), 3);
    let result = encrypt_to_writer(
        &mut thread_rng(),
        &identity(),
        &committee.servers(),
        2,
        None,
        1024,
        5000,
        &mut &[0u8; 4000][..],
        &mut io::sink(),
    );
    assert!(matches!(result, Err(SealError::PlaintextLengthMismatch { declared: 5000, actual: 4000 })));
}

/// A writer that records the largest single write it receives.
struct LargestWrite(usize, u64);

impl Write for LargestWrite {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 = self.0.max(buf.len());
        self.1 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn large_inputs_are_processed_one_chunk_at_a_time() {
    let committee = Committee::new(&mut thread_rng(), 3);
    let len = 8 * 1024 * 1024u64;
    let mut sink = LargestWrite(0, 0);
    encrypt_to_writer(
        &mut thread_rng(),
        &identity(),
        &committee.servers(),
        2,
        None,
        64 * 1024,
        len,
        &mut io::repeat(7).take(len),
        &mut sink,
    )
    .unwrap();
    assert!(sink.0 <= 64 * 1024 + 16, "largest write {} exceeds one sealed chunk", sink.0);
    assert!(sink.1 > len);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_size_and_chunk_size_round_trips(len in 0usize..150_000, chunk_size in 1u32..70_000, seed in any::<u8>()) {
        let committee = Committee::new(&mut thread_rng(), 3);
        let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
        let bytes = seal_stream(&committee, &data, chunk_size, Some(&[seed]));
        prop_assert_eq!(open_stream(&committee, &bytes).unwrap(), data.clone());
        let object = EncryptedObject::from_bytes(&bytes).unwrap();
        prop_assert_eq!(decrypt(&object, &committee.keys(&identity(), &[0, 1])).unwrap(), data.clone());
        let mut rng = thread_rng();
        let (single, _) = encrypt(&mut rng, &identity(), &committee.servers(), 2, Payload::Aes256Gcm { data: &data, aad: None }).unwrap();
        prop_assert_eq!(decrypt(&single, &committee.keys(&identity(), &[2, 1])).unwrap(), data);
    }
}

/// One committee and one streamed object shared by the robustness properties below.
fn fixture() -> &'static (Committee, Vec<u8>) {
    static FIXTURE: std::sync::OnceLock<(Committee, Vec<u8>)> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        let committee = Committee::new(&mut thread_rng(), 3);
        let bytes = seal_stream(&committee, &[0x5a; 700], 256, Some(b"aad"));
        (committee, bytes)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn arbitrary_bytes_are_refused_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
        let (committee, _) = fixture();
        prop_assert!(open_stream(committee, &bytes).is_err());
        prop_assert!(EncryptedObject::from_bytes(&bytes).is_err());
    }

    #[test]
    fn a_flipped_bit_never_yields_other_data_and_truncation_is_refused(position in any::<prop::sample::Index>(), bit in 0u8..8, cut in any::<prop::sample::Index>()) {
        let (committee, bytes) = fixture();
        prop_assert_eq!(open_stream(committee, bytes).unwrap(), vec![0x5a; 700]);
        let mut flipped = bytes.clone();
        flipped[position.index(bytes.len())] ^= 1 << bit;
        // Refused, or (only when the flip hit the share index of a server whose key is not
        // used, which Seal's format does not bind) the very same plaintext: never other data.
        match open_stream(committee, &flipped) {
            Err(_) => {}
            Ok(plaintext) => prop_assert_eq!(plaintext, vec![0x5a; 700]),
        }
        prop_assert!(open_stream(committee, &bytes[..cut.index(bytes.len())]).is_err());
    }
}

//! Streamed data encryption: AES-256-GCM over fixed-size chunks (floe's `Aes256GcmChunked`).
//!
//! Seal's single-shot DEM needs the whole payload in memory; this floe extension does not.
//! The plaintext is cut into chunks of `chunk_size` bytes (the last one may be shorter; an empty
//! plaintext is one empty chunk), and chunk `i` is sealed independently:
//!
//! - nonce (12 bytes): four zero bytes ‖ `i` as big-endian u64;
//! - associated data: `chunk_size` (u32 BE) ‖ `i` (u64 BE) ‖ last-chunk flag (u8, 1 on the final
//!   chunk, else 0) ‖ the object's aad;
//! - output: the chunk's ciphertext ‖ its 16-byte tag.
//!
//! The ciphertext is the concatenation of the sealed chunks, so its length is
//! `plaintext + 16 × chunks`. Reordered chunks fail (the index is in the nonce and aad), a
//! truncated or extended stream fails (the chunk that ends it was not sealed as the last one), and
//! so does a changed chunk size. Keys are single-use (derived per object), so a counter nonce
//! never repeats under one key.
//!
//! Decryption writes each chunk's plaintext only after that chunk's tag verified, but a stream
//! that fails at chunk k has already written chunks 0..k: on error the caller must discard the
//! output.

use std::io::{ErrorKind, Read, Write};

use aes_gcm::{AeadInPlace, Aes256Gcm, KeyInit};

use crate::dem::TAG_LENGTH;
use crate::error::{Result, SealError};
use crate::ibe::KEY_LENGTH;

/// Default chunk size: 64 KiB keeps the tag overhead at 0.02 % and the buffer small.
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// Largest accepted chunk size, which bounds the buffer a decryptor allocates.
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;

const AAD_PREFIX_LENGTH: usize = 4 + 8 + 1;

/// Checks that a chunk size is in 1..=[`MAX_CHUNK_SIZE`].
pub fn check_chunk_size(chunk_size: u32) -> Result<()> {
    if chunk_size == 0 || chunk_size > MAX_CHUNK_SIZE {
        return Err(SealError::InvalidChunkSize { chunk_size, max: MAX_CHUNK_SIZE });
    }
    Ok(())
}

/// Number of chunks a plaintext of this length is cut into (at least one).
pub fn chunk_count(plaintext_len: u64, chunk_size: u32) -> u64 {
    plaintext_len.div_ceil(u64::from(chunk_size)).max(1)
}

/// Length of the chunked ciphertext for a plaintext of `plaintext_len` bytes.
pub fn ciphertext_len(plaintext_len: u64, chunk_size: u32) -> u64 {
    plaintext_len + TAG_LENGTH as u64 * chunk_count(plaintext_len, chunk_size)
}

struct ChunkCipher {
    cipher: Aes256Gcm,
    chunk_size: u32,
    aad: Vec<u8>,
}

impl ChunkCipher {
    fn new(key: &[u8; KEY_LENGTH], chunk_size: u32, aad: &[u8]) -> Result<Self> {
        check_chunk_size(chunk_size)?;
        let mut full_aad = vec![0u8; AAD_PREFIX_LENGTH];
        full_aad.extend_from_slice(aad);
        Ok(Self { cipher: Aes256Gcm::new(key.into()), chunk_size, aad: full_aad })
    }

    fn nonce(index: u64) -> [u8; 12] {
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&index.to_be_bytes());
        nonce
    }

    fn bind(&mut self, index: u64, last: bool) {
        self.aad[..4].copy_from_slice(&self.chunk_size.to_be_bytes());
        self.aad[4..12].copy_from_slice(&index.to_be_bytes());
        self.aad[12] = u8::from(last);
    }

    fn seal(&mut self, index: u64, last: bool, chunk: &mut Vec<u8>) {
        self.bind(index, last);
        let tag = self
            .cipher
            .encrypt_in_place_detached(&Self::nonce(index).into(), &self.aad, chunk)
            // A chunk is at most MAX_CHUNK_SIZE, far below GCM's 64 GiB limit.
            .expect("chunk is below the AES-GCM length limit");
        chunk.extend_from_slice(&tag);
    }

    fn open(&mut self, index: u64, last: bool, chunk: &mut Vec<u8>) -> Result<()> {
        let failed = SealError::ChunkAuthenticationFailed { chunk: index };
        let body_len = chunk.len().checked_sub(TAG_LENGTH).ok_or(failed)?;
        let tag: [u8; TAG_LENGTH] = chunk[body_len..].try_into().expect("tag slice has tag length");
        chunk.truncate(body_len);
        self.bind(index, last);
        self.cipher
            .decrypt_in_place_detached(&Self::nonce(index).into(), &self.aad, chunk, &tag.into())
            .map_err(|_| SealError::ChunkAuthenticationFailed { chunk: index })
    }
}

/// Reads until `buffer` is full or the source ends; returns the number of bytes read.
fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Encrypts exactly `plaintext_len` bytes from `reader` into `writer`, one chunk at a time.
///
/// Fails with [`SealError::PlaintextLengthMismatch`] if the source is shorter or longer than
/// announced (the length must be known up front because the object format prefixes the
/// ciphertext with its length).
pub fn encrypt_stream(
    key: &[u8; KEY_LENGTH],
    chunk_size: u32,
    aad: &[u8],
    plaintext_len: u64,
    reader: &mut impl Read,
    writer: &mut impl Write,
) -> Result<()> {
    let mut cipher = ChunkCipher::new(key, chunk_size, aad)?;
    let chunks = chunk_count(plaintext_len, chunk_size);
    let mut buffer = Vec::with_capacity(chunk_size as usize + TAG_LENGTH);
    let mut consumed = 0u64;
    for index in 0..chunks {
        let want = (plaintext_len - consumed).min(u64::from(chunk_size)) as usize;
        buffer.resize(want, 0);
        let got = read_up_to(reader, &mut buffer)?;
        consumed += got as u64;
        if got < want {
            return Err(SealError::PlaintextLengthMismatch { declared: plaintext_len, actual: consumed });
        }
        cipher.seal(index, index + 1 == chunks, &mut buffer);
        writer.write_all(&buffer)?;
    }
    let mut probe = [0u8; 1];
    if read_up_to(reader, &mut probe)? != 0 {
        return Err(SealError::PlaintextLengthMismatch { declared: plaintext_len, actual: consumed + 1 });
    }
    Ok(())
}

/// Decrypts a chunked ciphertext of `ciphertext_len` bytes from `reader` into `writer`; returns
/// the number of plaintext bytes written. See the module doc for what a failure leaves behind.
pub fn decrypt_stream(
    key: &[u8; KEY_LENGTH],
    chunk_size: u32,
    aad: &[u8],
    ciphertext_len: u64,
    reader: &mut impl Read,
    writer: &mut impl Write,
) -> Result<u64> {
    let mut cipher = ChunkCipher::new(key, chunk_size, aad)?;
    let sealed_chunk = u64::from(chunk_size) + TAG_LENGTH as u64;
    let chunks = ciphertext_len.div_ceil(sealed_chunk).max(1);
    let mut buffer = Vec::with_capacity(sealed_chunk as usize);
    let (mut consumed, mut written) = (0u64, 0u64);
    for index in 0..chunks {
        let want = (ciphertext_len - consumed).min(sealed_chunk) as usize;
        buffer.resize(want, 0);
        let got = read_up_to(reader, &mut buffer)?;
        consumed += got as u64;
        if got < want {
            return Err(SealError::TruncatedStream { expected: ciphertext_len, got: consumed });
        }
        cipher.open(index, index + 1 == chunks, &mut buffer)?;
        writer.write_all(&buffer)?;
        written += buffer.len() as u64;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(data: &[u8], chunk_size: u32) -> Vec<u8> {
        let mut out = Vec::new();
        encrypt_stream(&[5; 32], chunk_size, b"aad", data.len() as u64, &mut &data[..], &mut out).unwrap();
        out
    }

    fn open(sealed: &[u8], chunk_size: u32) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        decrypt_stream(&[5; 32], chunk_size, b"aad", sealed.len() as u64, &mut &sealed[..], &mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trips_at_chunk_boundaries() {
        for len in [0usize, 1, 15, 16, 17, 32, 33, 100] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let sealed = seal(&data, 16);
            assert_eq!(sealed.len() as u64, ciphertext_len(len as u64, 16), "len {len}");
            assert_eq!(open(&sealed, 16).unwrap(), data, "len {len}");
        }
    }

    #[test]
    fn truncation_reordering_and_chunk_size_changes_fail() {
        let data = vec![1u8; 48];
        let sealed = seal(&data, 16); // three sealed chunks of 32 bytes
        // dropping the last chunk: the new last chunk was not sealed as last
        assert!(matches!(open(&sealed[..64], 16), Err(SealError::ChunkAuthenticationFailed { chunk: 1 })));
        // swapping chunks 0 and 1
        let swapped = [&sealed[32..64], &sealed[..32], &sealed[64..]].concat();
        assert!(matches!(open(&swapped, 16), Err(SealError::ChunkAuthenticationFailed { chunk: 0 })));
        assert!(matches!(open(&sealed, 32), Err(SealError::ChunkAuthenticationFailed { chunk: 0 })));
        let mut flipped = sealed.clone();
        flipped[70] ^= 0x80;
        assert!(matches!(open(&flipped, 16), Err(SealError::ChunkAuthenticationFailed { chunk: 2 })));
    }

    #[test]
    fn short_streams_and_wrong_lengths_are_reported() {
        let sealed = seal(&[2u8; 40], 16);
        let mut out = Vec::new();
        let error = decrypt_stream(&[5; 32], 16, b"aad", sealed.len() as u64 + 5, &mut &sealed[..], &mut out);
        assert!(
            matches!(error, Err(SealError::TruncatedStream { expected, got }) if expected == sealed.len() as u64 + 5 && got == sealed.len() as u64)
        );
        let mut out = Vec::new();
        let short = encrypt_stream(&[5; 32], 16, b"", 10, &mut &[0u8; 4][..], &mut out);
        assert!(matches!(short, Err(SealError::PlaintextLengthMismatch { declared: 10, actual: 4 })));
        let long = encrypt_stream(&[5; 32], 16, b"", 2, &mut &[0u8; 4][..], &mut Vec::new());
        assert!(matches!(long, Err(SealError::PlaintextLengthMismatch { declared: 2, .. })));
        assert!(matches!(check_chunk_size(0), Err(SealError::InvalidChunkSize { chunk_size: 0, .. })));
    }
}

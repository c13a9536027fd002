//! The one error type of floe-seal: every refusal names what was wrong and the values involved.

use sui_sdk_types::Address;

use crate::curve::EncodingFault;

/// Everything that can go wrong while sealing or opening an object.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The threshold must satisfy 1 <= t <= n.
    #[error("threshold {threshold} is invalid for {servers} key servers (need 1 <= t <= n)")]
    InvalidThreshold {
        /// The requested threshold.
        threshold: u8,
        /// The number of key servers (shares).
        servers: usize,
    },
    /// Share indices are a `u8`, so at most 255 shares exist.
    #[error("{servers} key servers requested, at most {max} are supported")]
    TooManyServers {
        /// The number of key servers requested.
        servers: usize,
        /// The maximum.
        max: usize,
    },
    /// Two shares claim the same index.
    #[error("share index {index} appears more than once")]
    DuplicateShareIndex {
        /// The repeated index.
        index: u8,
    },
    /// Index 0 would be the secret itself and is never a share.
    #[error("share index 0 is not allowed (the secret sits at 0)")]
    ZeroShareIndex,
    /// Fewer usable user keys than the threshold.
    #[error("have user keys for {available} of the object's shares, threshold is {threshold}")]
    NotEnoughKeys {
        /// Shares for which a user key was supplied.
        available: usize,
        /// Shares needed.
        threshold: u8,
    },
    /// The object lists a different number of encrypted shares than key servers.
    #[error("object lists {services} key servers but carries {shares} encrypted shares")]
    ShareCountMismatch {
        /// Entries in `services`.
        services: usize,
        /// Entries in `encrypted_shares`.
        shares: usize,
    },
    /// A key-server list and its public keys differ in length.
    #[error("{servers} key servers but {public_keys} public keys")]
    PublicKeyCountMismatch {
        /// Key servers.
        servers: usize,
        /// Public keys.
        public_keys: usize,
    },
    /// Bytes that should encode a point or scalar do not.
    #[error("bad {what} encoding: {fault}")]
    BadEncoding {
        /// Which value (e.g. "nonce", "user key", "public key").
        what: &'static str,
        /// What is wrong with it.
        fault: EncodingFault,
    },
    /// The recombined base key does not reproduce the nonce: an encrypted share, the nonce or
    /// the header was altered, or a user key belongs to another identity or server.
    #[error("recombined shares do not match the nonce (tampered share, nonce or header, or a wrong user key)")]
    NonceMismatch,
    /// Share consistency check: a share does not lie on the polynomial through the others, so
    /// different sets of t servers would recover different keys (a malicious encryptor).
    #[error("share {index} is inconsistent with the other shares (the encryptor cheated)")]
    InconsistentShares {
        /// The index of the first share off the polynomial.
        index: u8,
    },
    /// Share consistency check: no public key given for a server the object lists.
    #[error("no public key given for key server {server}")]
    MissingPublicKey {
        /// The server without a public key.
        server: Address,
    },
    /// A user key failed the pairing check against its key server's public key.
    #[error("user key from key server {server} is not valid for this identity and public key")]
    InvalidUserKey {
        /// The key server whose key failed.
        server: Address,
    },
    /// A proof of possession failed verification.
    #[error("proof of possession does not verify for this public key and message")]
    InvalidProofOfPossession,
    /// Only format version 0 exists.
    #[error("encrypted object version {version} is not supported (expected 0)")]
    UnsupportedVersion {
        /// The version found.
        version: u8,
    },
    /// A ciphertext kind this crate parses but cannot decrypt.
    #[error("ciphertext kind {kind} is not supported for decryption")]
    UnsupportedCiphertext {
        /// The kind's name.
        kind: &'static str,
    },
    /// Single-shot AES-256-GCM tag check failed.
    #[error("AES-256-GCM authentication failed (ciphertext, aad or key altered)")]
    AuthenticationFailed,
    /// The `Hmac256Ctr` MAC did not verify.
    #[error("HMAC-SHA3-256 MAC verification failed (ciphertext, aad or key altered)")]
    MacVerificationFailed,
    /// A chunk of a streamed ciphertext failed its tag check.
    #[error("AES-256-GCM authentication failed on chunk {chunk} (altered, reordered or truncated)")]
    ChunkAuthenticationFailed {
        /// Zero-based index of the failing chunk.
        chunk: u64,
    },
    /// The ciphertext stream ended early.
    #[error("ciphertext stream ended after {got} of {expected} bytes")]
    TruncatedStream {
        /// Bytes announced by the object.
        expected: u64,
        /// Bytes actually read.
        got: u64,
    },
    /// Bytes follow the end of the object.
    #[error("unexpected data after the end of the encrypted object")]
    TrailingData,
    /// The plaintext source delivered a different number of bytes than announced.
    #[error("plaintext source gave {actual} bytes, {declared} were announced")]
    PlaintextLengthMismatch {
        /// Announced length.
        declared: u64,
        /// Bytes read.
        actual: u64,
    },
    /// A chunk size outside the supported range.
    #[error("chunk size {chunk_size} is outside 1..={max}")]
    InvalidChunkSize {
        /// The chunk size found or requested.
        chunk_size: u32,
        /// The largest supported chunk size.
        max: u32,
    },
    /// A length-prefixed field is longer than this crate accepts.
    #[error("{field} is {len} bytes long, at most {max} are accepted")]
    FieldTooLong {
        /// Which field.
        field: &'static str,
        /// Its announced length.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// The object breaks this format where the stream reader checks it (unknown tag, truncated
    /// header, non-canonical length).
    #[error("malformed encrypted object: {0}")]
    Malformed(String),
    /// The object is not valid BCS for this format (unknown enum tag, short input, ...).
    #[error("malformed encrypted object: {0}")]
    Bcs(#[from] bcs::Error),
    /// Reading or writing a stream failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, SealError>;

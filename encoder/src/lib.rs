//! RedStuff (RS2) erasure coding for floe, byte-compatible with Walrus: the blob is laid out in a
//! `(n - 2f) x (n - f)` matrix of symbols and extended in two dimensions with a systematic
//! Reed-Solomon code over GF(2^16), so any third of the shards can fail or lie and the blob still
//! comes back, and a single lost sliver can be rebuilt with about one sliver of traffic.
//!
//! The crate is pure computation: it knows nothing of the network or the chain.
//!
//! ```
//! use floe_encoder::{EncodingConfig, encode, decode::BlobDecoder};
//!
//! let config = EncodingConfig::new(10).unwrap(); // 10 shards, tolerating f = 3 faulty ones
//! let blob = b"a file too large for a blockchain".repeat(100);
//! let encoded = encode(&config, &blob).unwrap();
//! println!("blob id: {}", encoded.metadata.blob_id());
//!
//! // Shards 0..3 are gone: the primary slivers of any n - 2f = 4 others are enough.
//! let survivors = encoded.pairs[3..7].iter().map(|pair| pair.primary.clone());
//! let decoded = BlobDecoder::new(&config, &encoded.metadata).decode(survivors).unwrap();
//! assert_eq!(decoded, blob);
//! ```
//!
//! Modules by concept: [`config`] (parameters), [`encode`](mod@encode), [`decode`], [`sliver`], [`metadata`],
//! [`blob_id`], [`merkle`], [`mapping`] (pair to shard), [`shard_assignment`] (shard to
//! committee member), [`recovery`], [`inconsistency`],
//! [`messages`] (signed protocol messages), [`bls`] (keys), [`certificate`], [`bft`] (thresholds),
//! [`challenge`] (storage challenges: samples and answers anyone can check), [`quilt`] (many small
//! files in one blob, Walrus's QuiltV1), [`spill`] (encoding a blob larger than memory to a file),
//! [`wire`] (BCS of large values in one buffer).

pub mod bft;
#[cfg(target_arch = "x86_64")]
mod blake2b_lanes;
pub mod blob_id;
pub mod bls;
pub mod certificate;
pub mod challenge;
mod code;
pub mod config;
pub mod decode;
pub mod encode;
pub mod error;
pub mod inconsistency;
pub mod index;
pub mod mapping;
pub mod merkle;
pub mod messages;
pub mod metadata;
pub mod network_key;
pub mod quilt;
pub mod recovery;
mod scratch;
pub mod shard_assignment;
pub mod sliver;
pub mod sliver_memory;
pub mod spill;
pub mod wire;

pub use blob_id::{BlobId, EncodingType};
pub use config::EncodingConfig;
pub use encode::{EncodedBlob, encode};
pub use index::{Epoch, ShardIndex, SliverIndex, SliverPairIndex, SliverType};
pub use sliver::{Sliver, SliverPair, WireSliver, WireSliverIn};

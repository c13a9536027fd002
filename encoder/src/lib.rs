//! floe-encoder (work in progress).
pub mod bft;
pub mod blob_id;
pub mod bls;
pub mod certificate;
mod code;
pub mod config;
pub mod encode;
pub mod error;
pub mod index;
pub mod mapping;
pub mod merkle;
pub mod messages;
pub mod metadata;
pub mod sliver;
pub mod inconsistency;
pub mod recovery;
pub mod decode;

pub use blob_id::{BlobId, EncodingType};
pub use config::EncodingConfig;
pub use encode::{EncodedBlob, encode};
pub use index::{Epoch, ShardIndex, SliverIndex, SliverPairIndex, SliverType};
pub use sliver::{Sliver, SliverPair};

//! The routes of the storage-node API, one function per route. A client passes typed values
//! (`paths::metadata(&blob_id)`); the server's router passes a [`Capture`] for each parameter
//! (`paths::metadata(Capture("blob_id"))` is `/v1/blobs/{blob_id}/metadata`), so both sides
//! build their paths from the same definition.

use std::fmt;

use floe_encoder::{BlobId, Epoch, SliverPairIndex, SliverType, messages::BlobPersistence};
use sui_sdk_types::Address;

/// Query parameter of PUT metadata, PUT sliver and GET confirmation: how many milliseconds the
/// node may wait for the blob's registration before judging the request.
pub const WAIT_MILLIS: &str = "wait_millis";
/// Query parameter of GET confirmation and PUT slivers (the batch): how long a pause in the
/// blob's upload, in milliseconds, the node may sit through while the request waits for the rest
/// of it. A confirmation waits, once the registration is seen, for the node's share of the blob
/// (metadata, slivers of its shards); a sliver batch that came before its metadata waits for the
/// metadata. A client sends metadata and slivers at once and asks for its confirmation as its
/// last slivers go out: one round trip per node for a store instead of three.
pub const UPLOAD_WAIT_MILLIS: &str = "upload_wait_millis";
/// Query parameter of PUT metadata and PUT sliver(s): `true` when the client sends before its
/// registration has landed; a node that has not seen the blob registered checks the data and
/// holds it until it does (202) instead of refusing it (Walrus's optimistic uploads).
pub const PENDING: &str = "pending";
/// Query parameter of GET sliver: the most bytes of symbols the client takes. A longer sliver
/// is refused (406) without being read: a reader asks for slivers together with the metadata,
/// before it knows how long they are, and bounds what it holds.
pub const MAX_SLIVER_BYTES: &str = "max_sliver_bytes";
/// Query parameter of GET challenge outcomes: the node ids (`0x`-hex, comma-separated) whose
/// verdicts are wanted; every verdict if absent.
pub const ABOUT: &str = "about";
/// Query parameter of GET recovery symbols: the axis of the target slivers.
pub const TARGET_TYPE: &str = "target_type";
/// Query parameter of GET recovery symbols: the target sliver indices, comma-separated.
pub const TARGET_SLIVER: &str = "target_sliver";

/// A path parameter as the router captures it: displays as `{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capture(pub &'static str);

impl fmt::Display for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.0)
    }
}

/// What may stand for a path parameter of type `T`: a `T` (or a reference to one), or the
/// router's [`Capture`].
pub trait Param<T>: fmt::Display {}

impl<T> Param<T> for Capture {}
impl<T, P: Param<T> + ?Sized> Param<T> for &P {}
impl Param<BlobId> for BlobId {}
impl Param<SliverPairIndex> for SliverPairIndex {}
impl Param<SliverType> for SliverType {}
impl Param<Address> for Address {}
impl Param<Epoch> for Epoch {}

/// `GET /v1/health`.
pub fn health() -> String {
    "/v1/health".to_owned()
}

/// `GET, PUT /v1/blobs/{blob_id}/metadata`.
pub fn metadata(blob_id: impl Param<BlobId>) -> String {
    format!("/v1/blobs/{blob_id}/metadata")
}

/// `GET /v1/blobs/{blob_id}/metadata/status`.
pub fn metadata_status(blob_id: impl Param<BlobId>) -> String {
    format!("/v1/blobs/{blob_id}/metadata/status")
}

/// `GET, PUT /v1/blobs/{blob_id}/slivers/{pair_index}/{sliver_type}`.
pub fn sliver(blob_id: impl Param<BlobId>, pair: impl Param<SliverPairIndex>, axis: impl Param<SliverType>) -> String {
    format!("/v1/blobs/{blob_id}/slivers/{pair}/{axis}")
}

/// `PUT /v1/blobs/{blob_id}/slivers`: several slivers of the blob in one body
/// ([`crate::slivers::SliverBatch`]).
pub fn slivers(blob_id: impl Param<BlobId>) -> String {
    format!("/v1/blobs/{blob_id}/slivers")
}

/// `GET /v1/blobs/{blob_id}/slivers/{pair_index}/{sliver_type}/status`.
pub fn sliver_status(
    blob_id: impl Param<BlobId>,
    pair: impl Param<SliverPairIndex>,
    axis: impl Param<SliverType>,
) -> String {
    format!("/v1/blobs/{blob_id}/slivers/{pair}/{axis}/status")
}

/// `GET /v1/blobs/{blob_id}/confirmation/permanent`.
pub fn confirmation_permanent(blob_id: impl Param<BlobId>) -> String {
    format!("/v1/blobs/{blob_id}/confirmation/permanent")
}

/// `GET /v1/blobs/{blob_id}/confirmation/deletable/{object_id}`, the object id as Sui writes
/// it (`0x` and 64 lowercase hex digits).
pub fn confirmation_deletable(blob_id: impl Param<BlobId>, object_id: impl Param<Address>) -> String {
    format!("/v1/blobs/{blob_id}/confirmation/deletable/{object_id}")
}

/// The confirmation route for a blob stored with `persistence`.
pub fn confirmation(blob_id: &BlobId, persistence: &BlobPersistence) -> String {
    match persistence {
        BlobPersistence::Permanent => confirmation_permanent(blob_id),
        BlobPersistence::Deletable { object_id } => confirmation_deletable(blob_id, Address::new(*object_id)),
    }
}

/// `GET /v1/blobs/{blob_id}/recoverySymbols` (with [`TARGET_TYPE`] and [`TARGET_SLIVER`]).
pub fn recovery_symbols(blob_id: impl Param<BlobId>) -> String {
    format!("/v1/blobs/{blob_id}/recoverySymbols")
}

/// `POST /v1/blobs/{blob_id}/inconsistencyProof/{sliver_type}`.
pub fn inconsistency_proof(blob_id: impl Param<BlobId>, axis: impl Param<SliverType>) -> String {
    format!("/v1/blobs/{blob_id}/inconsistencyProof/{axis}")
}

/// `POST /v1/migrate/sync_shard`: a BCS `SignedMessage` of a `SyncShardRequest` in, a BCS
/// [`crate::SyncShardPage`] out.
pub fn sync_shard() -> String {
    "/v1/migrate/sync_shard".to_owned()
}

/// `POST /v1/challenge`: a BCS [`crate::ChallengeRequest`] in, a BCS
/// [`crate::ChallengeResponse`] out. Open to anyone.
pub fn challenge() -> String {
    "/v1/challenge".to_owned()
}

/// `GET /v1/challenges/{epoch}/outcomes[?about=0x..,0x..]`: the node's signed verdicts on the
/// epoch's challenges (only those on the nodes named by [`ABOUT`], if given), BCS
/// `Vec<SignedMessage>`.
pub fn challenge_outcomes(epoch: impl Param<Epoch>) -> String {
    format!("/v1/challenges/{epoch}/outcomes")
}

/// `GET /v1/blobs/{blob_id}/status`.
pub fn status(blob_id: impl Param<BlobId>) -> String {
    format!("/v1/blobs/{blob_id}/status")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_built_from_values_matches_its_router_template() {
        let blob_id = BlobId([7; 32]);
        let template = sliver(Capture("blob_id"), Capture("pair_index"), Capture("sliver_type"));
        assert_eq!(template, "/v1/blobs/{blob_id}/slivers/{pair_index}/{sliver_type}");
        let concrete = sliver(blob_id, SliverPairIndex(3), SliverType::Secondary);
        assert_eq!(concrete, format!("/v1/blobs/{blob_id}/slivers/3/secondary"));
    }

    #[test]
    fn deletable_confirmations_name_the_object_in_lowercase_hex() {
        let blob_id = BlobId([1; 32]);
        let path = confirmation(&blob_id, &BlobPersistence::Deletable { object_id: [0xab; 32] });
        assert_eq!(path, format!("/v1/blobs/{blob_id}/confirmation/deletable/0x{}", "ab".repeat(32)));
        assert_eq!(confirmation(&blob_id, &BlobPersistence::Permanent), confirmation_permanent(blob_id));
    }
}

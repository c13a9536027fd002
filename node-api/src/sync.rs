//! Shard sync, the node-to-node route an epoch change uses: the new owner of a shard asks the
//! previous owner for the shard's slivers, page by page in blob id order, with a request signed
//! by its BLS key ([`SyncShardRequest`]). The answer is a [`SyncShardPage`]; the client checks
//! its shape here (order, count, sliver indices) and the caller checks each sliver against the
//! blob's metadata.

use std::borrow::Cow;

use bytes::Bytes;
use floe_encoder::{BlobId, EncodingConfig, Sliver, mapping, messages::SyncShardRequest};
use serde::{Deserialize, Serialize};

use crate::error::InvalidAnswer;

/// The answer to `POST /v1/migrate/sync_shard` (BCS).
///
/// A page carries up to 32 MiB, so its slivers' bytes are borrowed from the answer's bytes when
/// decoded, and each [`Sliver`] [`check`](Self::check) makes shares them (not copied); the
/// server serializes a page into a buffer of its exact size ([`to_bcs`](Self::to_bcs)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncShardPage<'a> {
    /// The slivers, in ascending blob id order, all at or after the request's start.
    #[serde(borrow)]
    pub slivers: Vec<PageSliver<'a>>,
    /// Where the next page starts; `None` once the shard is exhausted.
    pub next: Option<BlobId>,
}

/// One sliver of a page: its blob and its BCS bytes (serialized as one byte string, not byte by
/// byte).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSliver<'a> {
    /// The blob.
    pub blob_id: BlobId,
    /// The sliver's BCS.
    #[serde(borrow, with = "serde_bytes")]
    pub sliver: Cow<'a, [u8]>,
}

/// A page whose shape was checked against the request that asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedSlivers {
    /// The slivers, ascending by blob id; each has the index its blob maps to the shard.
    pub slivers: Vec<(BlobId, Sliver)>,
    /// Where the next page starts; `None` once the shard is exhausted.
    pub next: Option<BlobId>,
}

impl SyncShardPage<'_> {
    /// The page's BCS, written into a buffer allocated once at its final size.
    pub fn to_bcs(&self) -> Vec<u8> {
        floe_encoder::wire::to_bcs(self).expect("BCS of plain data cannot fail")
    }

    /// Checks the page against `request`: at most `count` slivers, strictly ascending ids from
    /// `start` on, each a sliver of the request's axis with the index the blob's pair on that
    /// shard holds, and `next` (if any) after the last sliver. `answer` is the bytes the page
    /// was decoded from: the slivers' symbols are slices of it.
    ///
    /// # Panics
    /// If a sliver borrowed from the decoded bytes does not lie inside `answer` (a page decoded
    /// from other bytes than those passed).
    pub fn check(
        self,
        config: &EncodingConfig,
        request: &SyncShardRequest,
        answer: &Bytes,
    ) -> Result<SyncedSlivers, InvalidAnswer> {
        if self.slivers.len() > usize::from(request.count) {
            return Err(format!("{} slivers sent, {} asked for", self.slivers.len(), request.count).into());
        }
        let n_shards = config.n_shards();
        let mut previous: Option<BlobId> = None;
        let mut slivers = Vec::with_capacity(self.slivers.len());
        for PageSliver { blob_id, sliver: bytes } in self.slivers {
            if blob_id < request.start || previous.is_some_and(|previous| blob_id <= previous) {
                return Err(format!("blob {blob_id} is out of order").into());
            }
            previous = Some(blob_id);
            let bytes = match bytes {
                Cow::Borrowed(bytes) => answer.slice_ref(bytes),
                Cow::Owned(bytes) => Bytes::from(bytes),
            };
            let sliver = Sliver::from_shared_bcs(request.axis, &bytes).map_err(|source| InvalidAnswer::PageSliver {
                axis: request.axis,
                blob_id,
                source,
            })?;
            let expected =
                mapping::pair_for_shard(request.shard, &blob_id, n_shards).sliver_index(request.axis, n_shards);
            if sliver.index() != expected {
                return Err(format!(
                    "{} sliver of blob {blob_id} has index {}, shard {} holds {expected}",
                    request.axis,
                    sliver.index(),
                    request.shard
                )
                .into());
            }
            slivers.push((blob_id, sliver));
        }
        if let (Some(next), Some(last)) = (self.next, previous)
            && next <= last
        {
            return Err(format!("next page starts at {next}, not after the last blob sent").into());
        }
        Ok(SyncedSlivers { slivers, next: self.next })
    }
}

#[cfg(test)]
mod tests {
    use floe_encoder::{ShardIndex, SliverType, bls::BlsSecretKey, encode};

    use super::*;

    /// A request for the first three slivers of `shard`'s `axis`, by `key`'s holder.
    fn request_for(shard: ShardIndex, axis: SliverType, key: &BlsSecretKey) -> SyncShardRequest {
        SyncShardRequest { epoch: 2, shard, axis, start: BlobId([0; 32]), count: 3, requester: key.public_key() }
    }

    #[test]
    fn a_page_out_of_order_or_with_a_foreign_sliver_is_refused() {
        let config = EncodingConfig::new(4).unwrap();
        let key = BlsSecretKey::from_seed(&[1; 32]);
        let blobs: Vec<_> = (0..3u8).map(|i| encode(&config, &[i; 100]).unwrap()).collect();
        let mut ids: Vec<BlobId> = blobs.iter().map(|blob| *blob.metadata.blob_id()).collect();
        ids.sort();
        let shard = ShardIndex(1);
        let sliver_of = |id: &BlobId| {
            let blob = blobs.iter().find(|blob| blob.metadata.blob_id() == id).unwrap();
            let pair = mapping::pair_for_shard(shard, id, 4);
            blob.pairs[pair.as_usize()].primary.to_bcs()
        };
        let request = request_for(shard, SliverType::Primary, &key);
        let page = |order: &[usize], next| SyncShardPage {
            slivers: order
                .iter()
                .map(|i| PageSliver { blob_id: ids[*i], sliver: sliver_of(&ids[*i]).into() })
                .collect(),
            next,
        };
        let checked = page(&[0, 1, 2], None).check(&config, &request, &Bytes::new()).unwrap();
        assert_eq!(checked.slivers.len(), 3);
        assert!(
            page(&[1, 0], None)
                .check(&config, &request, &Bytes::new())
                .unwrap_err()
                .to_string()
                .contains("out of order")
        );
        assert!(
            page(&[0, 1], Some(ids[0]))
                .check(&config, &request, &Bytes::new())
                .unwrap_err()
                .to_string()
                .contains("next page")
        );
        let mut wrong_shard = page(&[0], None);
        let pair = mapping::pair_for_shard(ShardIndex(2), &ids[0], 4);
        let blob = blobs.iter().find(|blob| blob.metadata.blob_id() == &ids[0]).unwrap();
        wrong_shard.slivers[0].sliver = blob.pairs[pair.as_usize()].primary.to_bcs().into();
        if pair != mapping::pair_for_shard(shard, &ids[0], 4) {
            assert!(wrong_shard.check(&config, &request, &Bytes::new()).unwrap_err().to_string().contains("has index"));
        }
        let too_many = SyncShardRequest { count: 2, ..request };
        assert!(
            page(&[0, 1, 2], None)
                .check(&config, &too_many, &Bytes::new())
                .unwrap_err()
                .to_string()
                .contains("asked for")
        );
    }

    #[test]
    fn a_decoded_pages_slivers_share_the_answers_bytes() {
        let config = EncodingConfig::new(4).unwrap();
        let shard = ShardIndex(3);
        let mut blobs: Vec<_> = (0..3u8).map(|i| encode(&config, &[i; 5000]).unwrap()).collect();
        blobs.sort_by_key(|blob| *blob.metadata.blob_id());
        let slivers: Vec<_> = blobs
            .iter()
            .map(|blob| {
                let pair = mapping::pair_for_shard(shard, blob.metadata.blob_id(), 4);
                (*blob.metadata.blob_id(), blob.pairs[pair.as_usize()].secondary.clone())
            })
            .collect();
        let sent = SyncShardPage {
            slivers: slivers
                .iter()
                .map(|(blob_id, sliver)| PageSliver { blob_id: *blob_id, sliver: sliver.to_bcs().into() })
                .collect(),
            next: None,
        };
        let answer = Bytes::from(sent.to_bcs());
        let request = request_for(shard, SliverType::Secondary, &BlsSecretKey::from_seed(&[2; 32]));
        let page: SyncShardPage<'_> = bcs::from_bytes(&answer).unwrap();
        let checked = page.check(&config, &request, &answer).unwrap();
        assert_eq!(checked.slivers, slivers);
        let within = answer.as_ptr_range();
        for (_, sliver) in &checked.slivers {
            assert!(within.contains(&sliver.data().as_ptr()), "the symbols are the answer's bytes, not a copy");
        }
    }
}

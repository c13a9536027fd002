//! Shard sync between in-process nodes on loopback: after an epoch change moves a shard, its new
//! owner pulls the shard's slivers from the previous owner, which serves only the new owner, and
//! refuses whatever does not verify.

mod common;

use std::time::Duration;

use common::{EPOCH, cluster};
use floe_encoder::{
    BlobId, EncodedBlob, ShardIndex, SliverType, mapping,
    messages::{SignedMessage, SyncShardRequest},
};
use floe_node::{
    ChainView,
    chain_state::ChainChange,
    chain_view::{Committee, CommitteeMember},
    shard_sync::{SyncError, SyncSettings, sync_shard},
    store::SyncProgress,
};
use floe_node_api::{NodeApiError, NodeClient};

const MOVED: ShardIndex = ShardIndex(0);

fn fast() -> SyncSettings {
    SyncSettings { page_slivers: 2, attempts: 2, retry_delay: Duration::from_millis(5), ..SyncSettings::default() }
}

/// Three nodes of 4 shards each, `count` certified blobs fully uploaded, then epoch 2 in which
/// shard 0 moves from node 0 to node 2. Returns the cluster and the blobs in id order.
async fn moved_shard(count: u8) -> (common::Cluster, Vec<EncodedBlob>) {
    let cluster = cluster(&[4, 4, 4]).await;
    let mut blobs = Vec::new();
    for seed in 0..count {
        blobs.push(certified(&cluster, 3000 + usize::from(seed) * 100, seed, &[0, 1, 2]).await);
    }
    blobs.sort_by_key(|blob| *blob.metadata.blob_id());
    move_to_node_2(&cluster);
    (cluster, blobs)
}

/// A blob of `len` bytes (from `seed`), registered, uploaded to `to_nodes` and certified.
async fn certified(cluster: &common::Cluster, len: usize, seed: u8, to_nodes: &[usize]) -> EncodedBlob {
    let encoded = cluster.encode(len, seed);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, seed + 1);
    cluster.upload(&encoded, to_nodes).await;
    cluster.certify(blob_id, seed + 1);
    encoded
}

/// Epoch 2, in which [`MOVED`] goes from node 0 to node 2.
fn move_to_node_2(cluster: &common::Cluster) {
    let before = cluster.chain.committee();
    let members = before
        .members()
        .iter()
        .enumerate()
        .map(|(i, member)| {
            let mut shards: Vec<ShardIndex> = member.shards.iter().copied().filter(|shard| *shard != MOVED).collect();
            if i == 2 {
                shards.push(MOVED);
            }
            CommitteeMember { shards, ..member.clone() }
        })
        .collect();
    cluster.chain.apply([ChainChange::CommitteeChanged(Committee::new(EPOCH + 1, 12, members).unwrap())]);
}

fn sliver_on(blob: &EncodedBlob, shard: ShardIndex, axis: SliverType) -> floe_encoder::Sliver {
    let pair = mapping::pair_for_shard(shard, blob.metadata.blob_id(), 12);
    blob.pairs[pair.as_usize()].sliver(axis).clone()
}

#[tokio::test]
async fn the_new_owner_pulls_every_sliver_of_a_moved_shard_page_by_page() {
    let (cluster, blobs) = moved_shard(5).await;
    let (new_owner, previous) = (&cluster.nodes[2], &cluster.nodes[0]);
    let http = reqwest::Client::new();
    let outcome =
        sync_shard(&new_owner.node, &NodeClient::new(http.clone(), &previous.url()), EPOCH + 1, MOVED, &fast())
            .await
            .unwrap();
    assert_eq!(outcome.slivers, 10, "5 blobs x 2 axes");
    // 2 slivers a page: 3 pages per axis (the last one says there is no next).
    assert_eq!(outcome.pages, 6);
    for blob in &blobs {
        let blob_id = blob.metadata.blob_id();
        assert!(new_owner.node.missing_slivers(blob_id).unwrap().is_empty(), "blob {blob_id}");
        for axis in [SliverType::Primary, SliverType::Secondary] {
            assert_eq!(
                new_owner.node.store().sliver(MOVED, axis, blob_id).unwrap(),
                Some(sliver_on(blob, MOVED, axis))
            );
        }
    }
    for axis in [SliverType::Primary, SliverType::Secondary] {
        assert_eq!(new_owner.node.store().sync_progress(EPOCH + 1, MOVED, axis).unwrap(), SyncProgress::Done);
    }
    // Done is done: a second run asks for nothing.
    let again = sync_shard(&new_owner.node, &NodeClient::new(http.clone(), &previous.url()), EPOCH + 1, MOVED, &fast())
        .await
        .unwrap();
    assert_eq!((again.pages, again.slivers), (0, 0));
}

#[tokio::test]
async fn a_new_owner_without_the_metadata_fetches_and_verifies_it() {
    let cluster = cluster(&[4, 4, 4]).await;
    let encoded = cluster.encode(5000, 9);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    // Node 2 never saw the upload.
    cluster.upload(&encoded, &[0, 1]).await;
    cluster.certify(blob_id, 1);
    let mut members = cluster.chain.committee().members().to_vec();
    members[0].shards.retain(|shard| *shard != MOVED);
    members[2].shards.push(MOVED);
    cluster.chain.apply([ChainChange::CommitteeChanged(Committee::new(EPOCH + 1, 12, members).unwrap())]);
    let new_owner = &cluster.nodes[2].node;
    assert!(!new_owner.has_metadata(&blob_id).unwrap());
    let http = reqwest::Client::new();
    let outcome =
        sync_shard(new_owner, &NodeClient::new(http.clone(), &cluster.nodes[0].url()), EPOCH + 1, MOVED, &fast())
            .await
            .unwrap();
    assert_eq!(outcome.slivers, 2);
    assert!(new_owner.has_metadata(&blob_id).unwrap());
    // Its other shards still lack the blob (recovery's job), the moved one has it.
    let missing = new_owner.missing_slivers(&blob_id).unwrap();
    assert_eq!(missing.len(), 8);
    assert!(missing.iter().all(|missing| missing.shard != MOVED));
}

#[tokio::test]
async fn a_new_owner_lacking_some_blobs_metadata_fetches_each_for_its_own_slivers() {
    let cluster = cluster(&[4, 4, 4]).await;
    let mut blobs = Vec::new();
    for seed in 0..6u8 {
        // Lengths that give two symbol sizes, so a page's slivers are checked in two groups; node
        // 2 saw every other upload only.
        let to: &[usize] = if seed % 2 == 0 { &[0, 1, 2] } else { &[0, 1] };
        blobs.push(certified(&cluster, 1000 + usize::from(seed) * 700, seed, to).await);
    }
    let sizes: std::collections::BTreeSet<u16> =
        blobs.iter().map(|blob| blob.metadata.symbol_size(&cluster.config)).collect();
    assert!(sizes.len() >= 2, "symbol sizes {sizes:?}");
    move_to_node_2(&cluster);
    let new_owner = &cluster.nodes[2].node;
    let lacking = blobs.iter().filter(|blob| !new_owner.has_metadata(blob.metadata.blob_id()).unwrap()).count();
    assert_eq!(lacking, 3);
    let http = reqwest::Client::new();
    // Pages of 4: each mixes blobs whose metadata is stored with blobs whose metadata is fetched.
    let settings = SyncSettings { page_slivers: 4, ..fast() };
    let outcome =
        sync_shard(new_owner, &NodeClient::new(http.clone(), &cluster.nodes[0].url()), EPOCH + 1, MOVED, &settings)
            .await
            .unwrap();
    assert_eq!((outcome.slivers, outcome.pages), (12, 4), "6 blobs x 2 axes, 2 pages per axis");
    for blob in &blobs {
        let blob_id = blob.metadata.blob_id();
        assert!(new_owner.has_metadata(blob_id).unwrap(), "metadata of {blob_id}");
        for axis in [SliverType::Primary, SliverType::Secondary] {
            assert!(new_owner.store().has_sliver(MOVED, axis, blob_id).unwrap(), "{axis} sliver of {blob_id}");
        }
    }
}

#[tokio::test]
async fn a_sync_resumes_after_the_last_page_stored() {
    let (cluster, blobs) = moved_shard(4).await;
    let new_owner = &cluster.nodes[2];
    let third = *blobs[2].metadata.blob_id();
    // As if a first run stored the primary slivers of the first two blobs, then the node stopped.
    new_owner
        .node
        .store()
        .put_synced_page(EPOCH + 1, MOVED, SliverType::Primary, &[], &[], SyncProgress::Next(third))
        .unwrap();
    assert_eq!(
        new_owner.node.store().sync_progress(EPOCH + 1, MOVED, SliverType::Primary).unwrap(),
        SyncProgress::Next(third)
    );
    let http = reqwest::Client::new();
    let outcome =
        sync_shard(&new_owner.node, &NodeClient::new(http.clone(), &cluster.nodes[0].url()), EPOCH + 1, MOVED, &fast())
            .await
            .unwrap();
    assert_eq!(outcome.slivers, 2 + 4, "primary from the third blob on, every secondary");
    let store = new_owner.node.store();
    for (i, blob) in blobs.iter().enumerate() {
        let has = store.has_sliver(MOVED, SliverType::Primary, blob.metadata.blob_id()).unwrap();
        assert_eq!(has, i >= 2, "primary sliver of blob {i}");
    }
}

#[tokio::test]
async fn slivers_that_do_not_verify_stop_the_sync_and_nothing_of_them_is_stored() {
    let (cluster, blobs) = moved_shard(3).await;
    // The previous owner's copy of the second blob's primary sliver on the moved shard decays:
    // it now holds another blob's sliver of the same index.
    let (victim, other) = (blobs[1].metadata.blob_id(), &blobs[0]);
    let previous = &cluster.nodes[0].node;
    let wrong = {
        let wanted = sliver_on(&blobs[1], MOVED, SliverType::Primary).index();
        other.pairs.iter().map(|pair| pair.primary.clone()).find(|sliver| sliver.index() == wanted).unwrap()
    };
    previous.store().drop_shard(MOVED).unwrap();
    for (i, blob) in blobs.iter().enumerate() {
        let sliver = if i == 1 { wrong.clone() } else { sliver_on(blob, MOVED, SliverType::Primary) };
        previous.store().put_sliver(MOVED, blob.metadata.blob_id(), &sliver).unwrap();
    }
    let new_owner = &cluster.nodes[2].node;
    let http = reqwest::Client::new();
    let error =
        sync_shard(new_owner, &NodeClient::new(http.clone(), &cluster.nodes[0].url()), EPOCH + 1, MOVED, &fast())
            .await
            .unwrap_err();
    assert!(matches!(&error, SyncError::Lied { blob_id, .. } if blob_id == victim), "{error}");
    // The page holding the bad sliver (blobs 0 and 1) was not stored.
    for blob in &blobs[..2] {
        assert!(!new_owner.store().has_sliver(MOVED, SliverType::Primary, blob.metadata.blob_id()).unwrap());
    }
}

#[tokio::test]
async fn a_previous_owner_that_is_down_fails_the_sync_with_its_address() {
    let (mut cluster, _) = moved_shard(1).await;
    let url = cluster.nodes[0].url();
    cluster.stop(0).await;
    let http = reqwest::Client::new();
    let error = sync_shard(&cluster.nodes[2].node, &NodeClient::new(http.clone(), &url), EPOCH + 1, MOVED, &fast())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SyncError::Source { source_url, error: NodeApiError::Transport { .. }, .. } if *source_url == url),
        "{error}"
    );
}

/// Sends a hand-made sync request to node 0 and returns the HTTP status.
async fn ask(cluster: &common::Cluster, request: &SyncShardRequest, signed: &SignedMessage) -> Result<usize, u16> {
    let client = NodeClient::new(reqwest::Client::new(), &cluster.nodes[0].url());
    client
        .sync_shard(&cluster.config, request, signed, Duration::from_secs(10))
        .await
        .map(|page| page.slivers.len())
        .map_err(|error| error.status().unwrap_or(0))
}

#[tokio::test]
async fn the_previous_owner_serves_only_the_shards_new_owner_in_the_current_epoch() {
    let (cluster, _) = moved_shard(2).await;
    let request = |requester: usize, epoch| SyncShardRequest {
        epoch,
        shard: MOVED,
        axis: SliverType::Secondary,
        start: BlobId([0; 32]),
        count: 10,
        requester: cluster.nodes[requester].key.public_key(),
    };
    let owner = request(2, EPOCH + 1);
    assert_eq!(ask(&cluster, &owner, &owner.sign(&cluster.nodes[2].key)).await, Ok(2));
    // Node 1 holds other shards: refused.
    let intruder = request(1, EPOCH + 1);
    assert_eq!(ask(&cluster, &intruder, &intruder.sign(&cluster.nodes[1].key)).await, Err(403));
    // Node 1 claiming to be node 2: the signature does not verify.
    assert_eq!(ask(&cluster, &owner, &owner.sign(&cluster.nodes[1].key)).await, Err(401));
    // A peer that is no committee member, with a key of its own: signed, but refused.
    let stranger = floe_encoder::bls::BlsSecretKey::from_seed(&[0xee; 32]);
    let outsider = SyncShardRequest { requester: stranger.public_key(), ..request(2, EPOCH + 1) };
    assert_eq!(ask(&cluster, &outsider, &outsider.sign(&stranger)).await, Err(403));
    // An epoch the previous owner has not reached: retry later.
    let early = request(2, EPOCH + 2);
    assert_eq!(ask(&cluster, &early, &early.sign(&cluster.nodes[2].key)).await, Err(409));
    // The epoch that is over.
    let late = request(2, EPOCH);
    assert_eq!(ask(&cluster, &late, &late.sign(&cluster.nodes[2].key)).await, Err(400));
}

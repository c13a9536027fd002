//! Durability and deletion: a restarted node serves what it acknowledged; deleted, expired and
//! invalidated blobs lose their data.

mod common;

use common::{EPOCH, cluster, restart};
use floe_encoder::{SliverType, messages::BlobPersistence};
use floe_node::{ChainView, chain_state::ChainChange, chain_view::Committee, store::Commit};
use sui_sdk_types::Address;

#[tokio::test]
async fn a_node_restarted_on_the_same_directory_serves_everything_it_acknowledged() {
    let mut cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(6000, 21);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0, 1, 2]).await;
    let before = cluster.nodes[1].node.confirmation(&blob_id, BlobPersistence::Permanent).unwrap();

    let node = cluster.nodes.remove(1);
    let node = restart(node, cluster.chain.clone()).await;
    cluster.nodes.insert(1, node);

    let (status, bytes) = cluster.get_bytes(&cluster.blob_url(1, &blob_id, "metadata")).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, encoded.metadata.to_bcs_with_id());
    for pair in &encoded.pairs {
        if cluster.holder_of_pair(&blob_id, pair.index().0) != 1 {
            continue;
        }
        for axis in [SliverType::Primary, SliverType::Secondary] {
            let (status, bytes) =
                cluster.get_bytes(&cluster.blob_url(1, &blob_id, &format!("slivers/{}/{axis}", pair.index()))).await;
            assert_eq!(status, 200);
            assert_eq!(bytes, pair.sliver(axis).to_bcs());
        }
    }
    let (status, body) = cluster.get_json(&cluster.blob_url(1, &blob_id, "confirmation/permanent")).await;
    assert_eq!(status, 200, "{body}");
    let after = cluster.nodes[1].node.confirmation(&blob_id, BlobPersistence::Permanent).unwrap();
    assert_eq!(after, before, "BLS signatures are deterministic: the same confirmation");
}

#[tokio::test]
async fn deleting_the_last_deletable_object_deletes_the_blobs_data() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(900, 22);
    let blob_id = *encoded.metadata.blob_id();
    let object = Address::new([3; 32]);
    cluster.chain.apply([ChainChange::Registered { blob_id, object_id: object, end_epoch: 10, deletable: true }]);
    cluster.upload(&encoded, &[0, 1, 2]).await;
    let node = &cluster.nodes[0].node;
    assert!(!node.sync_blob(&blob_id).unwrap(), "a live blob keeps its data");
    assert_eq!(cluster.get_bytes(&cluster.blob_url(0, &blob_id, "metadata")).await.0, 200);

    cluster.chain.apply([ChainChange::Deleted { blob_id, object_id: object }]);
    assert!(node.sync_blob(&blob_id).unwrap());
    assert_eq!(cluster.get_bytes(&cluster.blob_url(0, &blob_id, "metadata")).await.0, 404);
    assert!(node.missing_slivers(&blob_id).unwrap().len() == 2 * cluster.nodes[0].shards.len());
    for pair in 0..10u16 {
        if cluster.holder_of_pair(&blob_id, pair) == 0 {
            let url = cluster.blob_url(0, &blob_id, &format!("slivers/{pair}/primary"));
            assert_eq!(cluster.get_bytes(&url).await.0, 404);
        }
    }
    // The node remembers why: the recorded chain state has no live object.
    let info = node.store().blob_info(&blob_id).unwrap().unwrap();
    assert!(info.objects.is_empty());
    // Other nodes keep theirs until they sync.
    assert_eq!(cluster.get_bytes(&cluster.blob_url(1, &blob_id, "metadata")).await.0, 200);
}

#[tokio::test]
async fn expired_blobs_are_collected_at_the_epoch_change_and_live_ones_stay() {
    let cluster = cluster(&[4, 3, 3]).await;
    let short = cluster.encode(300, 23);
    let long = cluster.encode(300, 24);
    let (short_id, long_id) = (*short.metadata.blob_id(), *long.metadata.blob_id());
    cluster.chain.apply([ChainChange::Registered {
        blob_id: short_id,
        object_id: Address::new([1; 32]),
        end_epoch: EPOCH + 1,
        deletable: false,
    }]);
    cluster.chain.apply([ChainChange::Registered {
        blob_id: long_id,
        object_id: Address::new([2; 32]),
        end_epoch: EPOCH + 5,
        deletable: false,
    }]);
    cluster.upload(&short, &[0]).await;
    cluster.upload(&long, &[0]).await;
    let node = &cluster.nodes[0].node;
    assert!(node.collect_garbage().unwrap().is_empty());

    let committee = cluster.chain.committee();
    let next = Committee::new(EPOCH + 1, committee.n_shards(), committee.members().to_vec()).unwrap();
    cluster.chain.apply([ChainChange::CommitteeChanged(next)]);
    assert_eq!(node.collect_garbage().unwrap(), vec![short_id]);
    assert!(node.store().metadata(&short_id).unwrap().is_none());
    assert!(node.store().metadata(&long_id).unwrap().is_some());
    let (status, body) = cluster.get_json(&cluster.blob_url(0, &short_id, "status")).await;
    assert_eq!((status, body["success"]["data"].clone()), (200, serde_json::json!("nonexistent")));
}

#[tokio::test]
async fn an_invalidated_blob_loses_its_data_and_gets_no_confirmation() {
    let cluster = cluster(&[4, 3, 3]).await;
    let encoded = cluster.encode(1200, 25);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, 1);
    cluster.upload(&encoded, &[0, 1, 2]).await;
    cluster.chain.apply([ChainChange::Invalidated { blob_id }]);
    let (status, body) = cluster.get_json(&cluster.blob_url(2, &blob_id, "confirmation/permanent")).await;
    assert_eq!(status, 403, "{body}");
    assert!(cluster.nodes[2].node.sync_blob(&blob_id).unwrap());
    assert!(cluster.nodes[2].node.store().metadata(&blob_id).unwrap().is_none());
}

fn crash_test_blob() -> floe_encoder::EncodedBlob {
    let config = floe_encoder::EncodingConfig::new(7).unwrap();
    floe_encoder::encode(&config, &common::blob(5000, 41)).unwrap()
}

#[test]
fn writes_acknowledged_before_a_crash_survive_it() {
    let encoded = crash_test_blob();
    let blob_id = *encoded.metadata.blob_id();
    if let Some(dir) = common::crash_dir() {
        // The child: write, then die without any cleanup.
        let store = floe_node::Store::open(&dir).unwrap();
        store.put_metadata(&blob_id, encoded.metadata.metadata()).unwrap();
        for (i, pair) in encoded.pairs.iter().enumerate() {
            store.put_sliver(floe_encoder::ShardIndex(i as u16), &blob_id, &pair.primary).unwrap();
        }
        common::crash();
    }
    let dir = common::crashed_child("writes_acknowledged_before_a_crash_survive_it");
    let store = floe_node::Store::open(dir.path()).unwrap();
    assert_eq!(store.metadata(&blob_id).unwrap().as_ref(), Some(encoded.metadata.metadata()));
    for (i, pair) in encoded.pairs.iter().enumerate() {
        let stored = store.sliver(floe_encoder::ShardIndex(i as u16), SliverType::Primary, &blob_id).unwrap();
        assert_eq!(stored.as_ref(), Some(&pair.primary));
    }
}

/// The chain state the deferred-commit crash test records for its blob.
fn crash_test_info() -> floe_node::blob_info::BlobInfo {
    let mut info = floe_node::blob_info::BlobInfo::default();
    info.register(Address::new([7; 32]), EPOCH + 2, false);
    info
}

#[test]
fn deferred_writes_survive_a_crash_once_persisted() {
    let encoded = crash_test_blob();
    let blob_id = *encoded.metadata.blob_id();
    if let Some(dir) = common::crash_dir() {
        // The child: an upload's writes without a sync (the blob's chain state with its
        // metadata, then its slivers), one persist (what a node does before it signs a
        // confirmation), then death without any cleanup.
        let store = floe_node::Store::open(&dir).unwrap();
        let stored = store
            .put_blob_info_and_metadata(&blob_id, &crash_test_info(), encoded.metadata.metadata(), Commit::Deferred)
            .unwrap();
        assert!(stored, "the metadata was new");
        for (i, pair) in encoded.pairs.iter().enumerate() {
            store
                .put_sliver_with(floe_encoder::ShardIndex(i as u16), &blob_id, &pair.primary, Commit::Deferred)
                .unwrap();
        }
        store.persist().unwrap();
        common::crash();
    }
    let dir = common::crashed_child("deferred_writes_survive_a_crash_once_persisted");
    let store = floe_node::Store::open(dir.path()).unwrap();
    assert_eq!(store.blob_info(&blob_id).unwrap(), Some(crash_test_info()));
    assert_eq!(store.metadata(&blob_id).unwrap().as_ref(), Some(encoded.metadata.metadata()));
    for (i, pair) in encoded.pairs.iter().enumerate() {
        let stored = store.sliver(floe_encoder::ShardIndex(i as u16), SliverType::Primary, &blob_id).unwrap();
        assert_eq!(stored.as_ref(), Some(&pair.primary));
    }
}

/// `Store::persist_blob` (what a recovery duty calls for a blob the node was not asked to
/// confirm) syncs when that blob has deferred writes, and then everything written before; asked
/// about a blob with none, it syncs nothing.
#[test]
fn a_blob_persisted_alone_survives_a_crash_and_a_blob_with_nothing_unsynced_syncs_nothing() {
    let config = floe_encoder::EncodingConfig::new(7).unwrap();
    let encoded: Vec<_> =
        (0..3).map(|seed| floe_encoder::encode(&config, &common::blob(3000, 50 + seed)).unwrap()).collect();
    let ids: Vec<_> = encoded.iter().map(|blob| *blob.metadata.blob_id()).collect();
    if let Some(dir) = common::crash_dir() {
        let store = floe_node::Store::open(&dir).unwrap();
        let write = |i: usize| {
            store.put_metadata_with(&ids[i], encoded[i].metadata.metadata(), Commit::Deferred).unwrap();
            let slivers: Vec<_> = encoded[i]
                .pairs
                .iter()
                .enumerate()
                .map(|(shard, pair)| (floe_encoder::ShardIndex(shard as u16), pair.primary.clone()))
                .collect();
            store.put_slivers_with(&ids[i], &slivers, Commit::Deferred).unwrap();
            assert!(!store.is_synced(&ids[i]));
        };
        write(0);
        write(1);
        assert!(store.persist_blob(&ids[1]).unwrap(), "blob 1 had unsynced writes");
        assert!(store.is_synced(&ids[0]) && store.is_synced(&ids[1]), "one sync covers both");
        assert!(!store.persist_blob(&ids[0]).unwrap(), "nothing left to sync for blob 0");
        write(2);
        assert!(!store.persist_blob(&ids[0]).unwrap(), "blob 0 has nothing unsynced: blob 2 stays unsynced");
        common::crash();
    }
    let dir =
        common::crashed_child("a_blob_persisted_alone_survives_a_crash_and_a_blob_with_nothing_unsynced_syncs_nothing");
    let store = floe_node::Store::open(dir.path()).unwrap();
    for i in 0..2 {
        assert_eq!(store.metadata(&ids[i]).unwrap().as_ref(), Some(encoded[i].metadata.metadata()), "blob {i}");
        let sliver = store.sliver(floe_encoder::ShardIndex(3), SliverType::Primary, &ids[i]).unwrap();
        assert_eq!(sliver.as_ref(), Some(&encoded[i].pairs[3].primary), "blob {i}");
    }
    assert_eq!(store.metadata(&ids[2]).unwrap(), None, "blob 2 was never synced");
    assert_eq!(store.sliver(floe_encoder::ShardIndex(3), SliverType::Primary, &ids[2]).unwrap(), None);
}

#[tokio::test]
async fn a_server_shut_down_gracefully_releases_its_store() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = cluster(&[4]).await;
    let node = std::sync::Arc::new(floe_node::StorageNode::new(
        cluster.chain.state(),
        floe_node::Store::open(dir.path()).unwrap(),
        floe_node::local_cluster::node_key(0),
    ));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = floe_node::api::serve_until(listener, node.clone(), async move {
        let _ = stopped.await;
    })
    .unwrap();
    let health = format!("{}/v1/health", server.url());
    assert_eq!(cluster.http.get(&health).send().await.unwrap().status(), 200);
    stop.send(()).unwrap();
    server.task.await.unwrap().unwrap();
    assert!(cluster.http.get(&health).send().await.is_err(), "nobody listens any more");
    assert_eq!(std::sync::Arc::strong_count(&node), 1);
    drop(node);
    floe_node::Store::open(dir.path()).expect("the database is closed and can be reopened");
}

#[test]
fn recently_verified_metadata_keeps_the_newest_and_forgets_the_oldest() {
    use std::sync::Arc;

    use floe_encoder::{EncodingConfig, encode};
    use floe_node::recent_metadata::{RECENT_METADATA, RecentMetadata};

    let config = EncodingConfig::new(4).unwrap();
    let recent = RecentMetadata::default();
    let metadata: Vec<_> =
        (0..=RECENT_METADATA as u32).map(|i| Arc::new(encode(&config, &i.to_le_bytes()).unwrap().metadata)).collect();
    for each in &metadata {
        recent.insert(each.clone());
    }
    assert!(recent.get(metadata[0].blob_id()).is_none(), "the oldest is forgotten");
    for each in &metadata[1..] {
        assert_eq!(recent.get(each.blob_id()).as_deref(), Some(each.as_ref()));
    }
    // Remembering one again forgets no other.
    recent.insert(metadata[5].clone());
    assert!(recent.get(metadata[1].blob_id()).is_some());
}

mod checkpoints_without_a_sync {
    //! A checkpoint that only changes blobs is applied without a sync: a crash loses it, and what
    //! came after it, back to the last sync, the follower's cursor with them, so that the follower
    //! applies them again. Each test's child process applies checkpoints and aborts; the last sync
    //! before the abort is what each test is about.
    use floe_encoder::{BlobId, ShardIndex, bls::BlsSecretKey};
    use floe_node::{
        ChainView, Store,
        chain_state::{CHECKPOINT_SYNC_INTERVAL, ChainChange, ChainState, Duty},
        chain_view::{Committee, CommitteeMember},
    };
    use sui_sdk_types::Address;

    use super::common;

    fn committee(epoch: u32) -> Committee {
        let member = CommitteeMember {
            public_key: BlsSecretKey::from_seed(&[1; 32]).public_key(),
            shards: (0..4).map(ShardIndex).collect(),
            http_address: "http://127.0.0.1:1".into(),
            network_key: None,
        };
        Committee::new(epoch, 4, vec![member]).unwrap()
    }

    fn registered(i: u8) -> ChainChange {
        ChainChange::Registered {
            blob_id: BlobId([i; 32]),
            object_id: Address::new([i; 32]),
            end_epoch: 9,
            deletable: false,
        }
    }

    fn known(state: &ChainState, i: u8) -> bool {
        state.blob_info(&BlobId([i; 32])).is_some()
    }

    /// Runs `apply` on a fresh store in a child process that then aborts; returns the state as the
    /// crash left it.
    fn crash_after(test: &str, apply: impl FnOnce(&Store, &ChainState)) -> (tempfile::TempDir, Store, ChainState) {
        if let Some(dir) = common::crash_dir() {
            let store = Store::open(&dir).unwrap();
            let state = ChainState::open(&store, committee(1)).unwrap();
            apply(&store, &state);
            common::crash();
        }
        let dir = common::crashed_child(&format!("checkpoints_without_a_sync::{test}"));
        let store = Store::open(dir.path()).unwrap();
        let state = ChainState::open(&store, committee(1)).unwrap();
        (dir, store, state)
    }

    #[test]
    fn a_stores_sync_makes_them_durable_and_those_after_it_are_lost() {
        let (_dir, _store, state) =
            crash_after("a_stores_sync_makes_them_durable_and_those_after_it_are_lost", |store, state| {
                state.apply_checkpoint(0, &[registered(1)], &[]).unwrap();
                state.apply_checkpoint(1, &[registered(2)], &[Duty::Recover(BlobId([2; 32]))]).unwrap();
                store.persist().unwrap();
                state.apply_checkpoint(2, &[registered(3)], &[Duty::Recover(BlobId([3; 32]))]).unwrap();
            });
        assert_eq!(state.next_checkpoint(), 2);
        assert!(known(&state, 1) && known(&state, 2));
        assert!(!known(&state, 3), "lost with its checkpoint");
        assert_eq!(state.duties().unwrap(), vec![Duty::Recover(BlobId([2; 32]))], "blob 3's recovery was lost too");
        // The follower goes on from there.
        state.apply_checkpoint(2, &[registered(3)], &[]).unwrap();
        assert!(known(&state, 3));
    }

    #[test]
    fn a_committee_change_is_synced_at_once() {
        let (_dir, _store, state) = crash_after("a_committee_change_is_synced_at_once", |_, state| {
            state.apply_checkpoint(0, &[registered(1)], &[]).unwrap();
            state.apply_checkpoint(1, &[ChainChange::CommitteeChanged(committee(2))], &[]).unwrap();
            state.apply_checkpoint(2, &[registered(2)], &[]).unwrap();
        });
        assert_eq!((state.next_checkpoint(), state.current_epoch()), (2, 2));
        assert!(known(&state, 1) && !known(&state, 2));
    }

    #[test]
    fn a_checkpoint_is_synced_once_the_interval_has_passed() {
        let (_dir, _store, state) = crash_after("a_checkpoint_is_synced_once_the_interval_has_passed", |_, state| {
            state.apply_checkpoint(0, &[registered(1)], &[]).unwrap();
            std::thread::sleep(CHECKPOINT_SYNC_INTERVAL);
            state.apply_checkpoint(1, &[registered(2)], &[]).unwrap();
            state.apply_checkpoint(2, &[registered(3)], &[]).unwrap();
        });
        assert_eq!(state.next_checkpoint(), 2);
        assert!(known(&state, 1) && known(&state, 2) && !known(&state, 3));
    }
}

//! Nodes check what they hold: a sliver whose bytes changed on disk is never served, never
//! confirmed and never used for recovery symbols; the scrub finds damage nobody read; both are
//! repaired by recovery from peers; a challenge sample of a damaged sliver is answered as missing
//! (the others still answered); a damaged database file is a clear error, not a panic.

mod common;

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{Cluster, cluster, message};
use floe_encoder::{
    BlobId, EncodedBlob, SliverPairIndex, SliverType, challenge::ChallengeSample, messages::BlobPersistence,
};
use floe_node::{
    ChainView, Store,
    recovery::{RecoverySettings, recover_blob},
    scrub::{self, ScrubSettings, ScrubStep, scrub_next},
    store::{DATABASE_FILE, SLIVER_FILE},
};
use floe_node_api::{NodeClient, SampleAnswer};

/// How long background work may take in a test before it counts as failed.
const SETTLE: Duration = Duration::from_secs(60);

fn fast() -> RecoverySettings {
    RecoverySettings { retry_delay: Duration::from_millis(5), ..RecoverySettings::default() }
}

/// Flips one byte in the middle of every copy of `bytes` in the file at `path` (redb writes
/// copy-on-write, so stale copies may sit beside the live one); returns how many it found.
fn flip_on_disk(path: &Path, bytes: &[u8]) -> usize {
    let window = &bytes[bytes.len() / 2 - 16..bytes.len() / 2 + 16];
    let mut file = std::fs::read(path).unwrap();
    let mut found = 0;
    let mut at = 0;
    while let Some(offset) = file[at..].windows(window.len()).position(|candidate| candidate == window) {
        file[at + offset + 16] ^= 0x5a;
        found += 1;
        at += offset + window.len();
    }
    std::fs::write(path, file).unwrap();
    found
}

/// A certified blob stored on every node of a 3-node cluster.
async fn stored_everywhere(cluster: &Cluster, seed: u8) -> EncodedBlob {
    let encoded = cluster.encode(20_000, seed);
    let blob_id = *encoded.metadata.blob_id();
    cluster.register(blob_id, seed);
    cluster.upload(&encoded, &[0, 1, 2]).await;
    cluster.certify(blob_id, seed);
    encoded
}

/// The first pair node `node` holds.
fn pair_of(cluster: &Cluster, blob_id: &BlobId, node: usize) -> SliverPairIndex {
    let pair = (0..cluster.config.n_shards()).find(|pair| cluster.holder_of_pair(blob_id, *pair) == node).unwrap();
    SliverPairIndex(pair)
}

/// Restarts node `node` after flipping bytes of its sliver of `axis` of `pair` in its file.
async fn damage(cluster: &mut Cluster, node: usize, encoded: &EncodedBlob, pair: SliverPairIndex, axis: SliverType) {
    let sliver = encoded.pairs[pair.as_usize()].sliver(axis).data().to_vec();
    let stopped = cluster.local.nodes.remove(node);
    let restarted = stopped
        .restart_after(cluster.chain.clone(), |dir| {
            // Kept in the database or, as the cluster's odd nodes keep every sliver, in the file
            // beside it.
            let copies =
                flip_on_disk(&dir.join(DATABASE_FILE), &sliver) + flip_on_disk(&dir.join(SLIVER_FILE), &sliver);
            assert!(copies >= 1, "the sliver is in the node's files");
        })
        .await
        .unwrap();
    cluster.local.nodes.insert(node, restarted);
}

fn peers_of(cluster: &Cluster, node: usize) -> Vec<NodeClient> {
    let own = cluster.nodes[node].key.public_key();
    let http = reqwest::Client::new();
    cluster.chain.committee().peer_addresses(&own).iter().map(|url| NodeClient::new(http.clone(), url)).collect()
}

#[tokio::test]
async fn a_sliver_damaged_on_disk_is_neither_served_nor_confirmed_until_recovery_restores_it() {
    let mut cluster = cluster(&[4, 3, 3]).await;
    let encoded = stored_everywhere(&cluster, 51).await;
    let blob_id = *encoded.metadata.blob_id();
    let pair = pair_of(&cluster, &blob_id, 1);
    let good = encoded.pairs[pair.as_usize()].primary.to_bcs();
    damage(&mut cluster, 1, &encoded, pair, SliverType::Primary).await;

    // Served like a sliver the node never had: 404, never the damaged bytes.
    let url = cluster.blob_url(1, &blob_id, &format!("slivers/{pair}/primary"));
    let (status, body) = cluster.get_bytes(&url).await;
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    let (status, body) = cluster.get_json(&cluster.blob_url(1, &blob_id, "confirmation/permanent")).await;
    assert_eq!(status, 409, "no confirmation for a blob the node cannot vouch for: {body}");
    assert!(message(&body).contains("missing 1"), "{body}");
    let node = cluster.nodes[1].node.clone();
    let integrity = node.health().integrity;
    assert_eq!((integrity.corrupt_found, integrity.awaiting_repair, integrity.repaired), (1, 1, 0));
    assert_eq!(node.missing_slivers(&blob_id).unwrap().len(), 1, "the damaged sliver was set aside");

    // Recovery rebuilds it from the peers; the node then serves the right bytes and confirms.
    let outcome = recover_blob(&node, &peers_of(&cluster, 1), blob_id, &fast()).await.unwrap();
    assert_eq!(outcome.recovered.len(), 1);
    assert_eq!(cluster.get_bytes(&url).await, (200, good));
    let signed = node.confirmation(&blob_id, BlobPersistence::Permanent).unwrap();
    signed.verify(&cluster.nodes[1].key.public_key()).unwrap();
    let integrity = node.health().integrity;
    assert_eq!((integrity.repaired, integrity.awaiting_repair), (1, 0));
}

#[tokio::test]
async fn a_sliver_uploaded_again_over_a_damaged_copy_is_read_back_before_the_node_confirms() {
    let mut cluster = cluster(&[4, 3, 3]).await;
    let encoded = stored_everywhere(&cluster, 55).await;
    let blob_id = *encoded.metadata.blob_id();
    let pair = pair_of(&cluster, &blob_id, 1);
    let good = encoded.pairs[pair.as_usize()].primary.to_bcs();
    damage(&mut cluster, 1, &encoded, pair, SliverType::Primary).await;
    let url = cluster.blob_url(1, &blob_id, &format!("slivers/{pair}/primary"));
    let confirmation = cluster.blob_url(1, &blob_id, "confirmation/permanent");

    // The upload checks the good bytes but writes nothing over the copy already stored, so the
    // node cannot vouch for what is on disk without reading it.
    let (status, body) = cluster.put(&url, good.clone()).await;
    assert_eq!(status, 200, "already stored: {body}");
    let (status, body) = cluster.get_json(&confirmation).await;
    assert_eq!(status, 409, "the damaged copy was read back: {body}");
    assert!(message(&body).contains("missing 1"), "{body}");
    // Set aside by that read, the sliver is stored anew by the next upload, then confirmed.
    let (status, body) = cluster.put(&url, good).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = cluster.get_json(&confirmation).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_damaged_sliver_is_not_a_source_of_recovery_symbols() {
    let mut cluster = cluster(&[4, 3, 3]).await;
    let encoded = stored_everywhere(&cluster, 52).await;
    let blob_id = *encoded.metadata.blob_id();
    // Node 1's secondary slivers are the sources of the symbols it gives for primary targets.
    let pair = pair_of(&cluster, &blob_id, 1);
    damage(&mut cluster, 1, &encoded, pair, SliverType::Secondary).await;
    let node = cluster.nodes[1].node.clone();
    let target = SliverPairIndex(pair_of(&cluster, &blob_id, 0).0).sliver_index(SliverType::Primary, 10);
    let symbols = node.recovery_symbols(&blob_id, SliverType::Primary, &[target]).unwrap();
    assert_eq!(symbols.len(), 2, "one symbol from each of the 2 intact secondary slivers of its 3 shards");
    let metadata = node.metadata(&blob_id).unwrap();
    for symbol in &symbols {
        symbol.verify(&cluster.config, &metadata).unwrap();
    }
    assert_eq!(node.health().integrity.corrupt_found, 1);
}

#[tokio::test]
async fn the_scrub_finds_damage_nobody_read_and_hands_it_to_recovery() {
    let mut cluster = cluster(&[4, 3, 3]).await;
    let first = stored_everywhere(&cluster, 53).await;
    let second = stored_everywhere(&cluster, 54).await;
    let blob_id = *second.metadata.blob_id();
    let pair = pair_of(&cluster, &blob_id, 2);
    damage(&mut cluster, 2, &second, pair, SliverType::Secondary).await;
    let node = cluster.nodes[2].node.clone();

    // One pass by hand: 2 blobs x 3 shards x 2 axes, one of them damaged.
    let mut cursor = None;
    let mut damaged = Vec::new();
    let mut checked = 0;
    let mut steps = 0;
    while let ScrubStep::Checked { position, slivers, damaged: found, .. } = scrub_next(&node, cursor.as_ref()).unwrap()
    {
        steps += 1;
        checked += slivers;
        damaged.extend(found);
        cursor = Some(position);
    }
    assert_eq!((steps, checked), (2, 12), "a step per blob, each checking its 6 slivers");
    assert_eq!(damaged.len(), 1, "{damaged:?}");
    assert_eq!((damaged[0].0.blob_id, damaged[0].0.axis), (blob_id, SliverType::Secondary));
    assert!(damaged[0].1.to_string().contains("digest"), "{}", damaged[0].1);
    let integrity = node.health().integrity;
    assert_eq!((integrity.scrub_checked, integrity.scrub_passes, integrity.corrupt_found), (12, 1, 1));
    let _ = first;

    // Damage a sliver again and let the scrub run in the background at full speed: its repair
    // hook receives the blob, and recovery (the runner's duty, here the test) restores it.
    let pair_index = pair.as_usize();
    recover_blob(&node, &peers_of(&cluster, 2), blob_id, &fast()).await.unwrap();
    drop(node);
    damage(&mut cluster, 2, &second, pair, SliverType::Primary).await;
    let node = cluster.nodes[2].node.clone();
    let asked = Arc::new(Mutex::new(Vec::new()));
    {
        let asked = asked.clone();
        node.integrity().set_repair_hook(Box::new(move |blob_id| asked.lock().unwrap().push(blob_id)));
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let settings = ScrubSettings {
        bytes_per_sec: 1 << 30,
        busy_percent: 100,
        pass_pause: Duration::from_millis(50),
        ..ScrubSettings::default()
    };
    let scrubbing = tokio::spawn(scrub::run(node.clone(), settings, stopped));
    let deadline = tokio::time::Instant::now() + SETTLE;
    while !asked.lock().unwrap().contains(&blob_id) {
        assert!(tokio::time::Instant::now() < deadline, "the scrub never asked for the repair");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let outcome = recover_blob(&node, &peers_of(&cluster, 2), blob_id, &fast()).await.unwrap();
    assert_eq!(outcome.recovered.len(), 1);
    let (status, bytes) = cluster.get_bytes(&cluster.blob_url(2, &blob_id, &format!("slivers/{pair}/primary"))).await;
    assert_eq!((status, bytes), (200, second.pairs[pair_index].primary.to_bcs()));
    stop.send_replace(true);
    scrubbing.await.unwrap();
    assert_eq!(node.health().integrity.repaired, 1);
}

#[test]
fn the_scrub_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let config = floe_encoder::EncodingConfig::new(4).unwrap();
    let encoded = floe_encoder::encode(&config, b"scrubbed across restarts").unwrap();
    let blob_id = *encoded.metadata.blob_id();
    let position = {
        let store = Store::open(dir.path()).unwrap();
        for (shard, pair) in encoded.pairs.iter().enumerate() {
            store.put_sliver(floe_encoder::ShardIndex(shard as u16), &blob_id, &pair.primary).unwrap();
        }
        // A budget of one byte: a record per step.
        let first = store.next_scrub_records(None, 1).unwrap();
        let second = store.next_scrub_records(Some(&first[0].0), 1).unwrap();
        assert_eq!((first.len(), second.len()), (1, 1));
        assert_eq!((first[0].0.shard.0, second[0].0.shard.0), (0, 1));
        store.put_scrub_cursor(Some(&second[0].0)).unwrap();
        second[0].0
    };
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.scrub_cursor().unwrap(), Some(position));
    let next = store.next_scrub_records(Some(&position), 1).unwrap();
    assert_eq!(next.iter().map(|(at, _)| at.shard.0).collect::<Vec<_>>(), [2]);
    let rest = store.next_scrub_records(Some(&position), u64::MAX).unwrap();
    assert_eq!(rest.iter().map(|(at, _)| at.shard.0).collect::<Vec<_>>(), [2, 3], "the rest of the blob");
    assert!(store.next_scrub_records(Some(&rest[1].0), u64::MAX).unwrap().is_empty(), "the pass is over");
}

#[test]
fn a_truncated_database_is_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let config = floe_encoder::EncodingConfig::new(4).unwrap();
    let encoded = floe_encoder::encode(&config, &vec![7; 50_000]).unwrap();
    let blob_id = *encoded.metadata.blob_id();
    {
        let store = Store::open(dir.path()).unwrap();
        store.put_metadata(&blob_id, encoded.metadata.metadata()).unwrap();
        store.put_sliver(floe_encoder::ShardIndex(0), &blob_id, &encoded.pairs[0].primary).unwrap();
    }
    let path = dir.path().join(DATABASE_FILE);
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let len = file.metadata().unwrap().len();
    file.set_len(len / 2).unwrap();
    drop(file);

    let error = Store::open(dir.path()).expect_err("a truncated file does not open").to_string();
    assert!(error.contains(&path.display().to_string()), "names the file: {error}");
    assert!(error.contains("move it aside"), "says what to do: {error}");
}

#[test]
fn slivers_stored_before_records_had_a_digest_are_converted_when_the_store_opens() {
    let dir = tempfile::tempdir().unwrap();
    let config = floe_encoder::EncodingConfig::new(4).unwrap();
    let encoded = floe_encoder::encode(&config, b"written by an older node").unwrap();
    let blob_id = *encoded.metadata.blob_id();
    {
        // The old layout: the sliver's BCS alone.
        let db = redb::Database::create(dir.path().join(DATABASE_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        let name = "shard-3/primary-slivers";
        txn.open_table(redb::TableDefinition::<&[u8], &[u8]>::new(name))
            .unwrap()
            .insert(blob_id.0.as_slice(), encoded.pairs[1].primary.to_bcs().as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let stored = store.sliver(floe_encoder::ShardIndex(3), SliverType::Primary, &blob_id).unwrap();
    assert_eq!(stored.as_ref(), Some(&encoded.pairs[1].primary));
    drop(store);
    // Converted once: a second open finds the records as they are.
    let store = Store::open(dir.path()).unwrap();
    assert!(store.sliver(floe_encoder::ShardIndex(3), SliverType::Primary, &blob_id).unwrap().is_some());
}

/// A store of format 1 (each record behind a BLAKE2b-256 digest) is converted to XXH3 digests
/// when opened: an intact record reads as before, a record damaged before the conversion still
/// reads as damaged, and a format newer than the node's is refused.
#[test]
fn records_with_a_blake2b_digest_are_converted_and_damage_survives_the_conversion() {
    let dir = tempfile::tempdir().unwrap();
    let config = floe_encoder::EncodingConfig::new(4).unwrap();
    let encoded = floe_encoder::encode(&config, b"written by a node of store format 1").unwrap();
    let blob_id = *encoded.metadata.blob_id();
    let format_1_record = |bcs: Vec<u8>| {
        let mut record = blake2b_simd::Params::new().hash_length(32).hash(&bcs).as_bytes().to_vec();
        record.extend_from_slice(&bcs);
        record
    };
    let intact = format_1_record(encoded.pairs[1].primary.to_bcs());
    let mut damaged = format_1_record(encoded.pairs[2].secondary.to_bcs());
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    let write = |format: u32| {
        let db = redb::Database::create(dir.path().join(DATABASE_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(redb::TableDefinition::<&[u8], &[u8]>::new("shard-3/primary-slivers"))
            .unwrap()
            .insert(blob_id.0.as_slice(), intact.as_slice())
            .unwrap();
        txn.open_table(redb::TableDefinition::<&[u8], &[u8]>::new("shard-2/secondary-slivers"))
            .unwrap()
            .insert(blob_id.0.as_slice(), damaged.as_slice())
            .unwrap();
        txn.open_table(redb::TableDefinition::<&str, u32>::new("store-format"))
            .unwrap()
            .insert("sliver-records", format)
            .unwrap();
        txn.commit().unwrap();
    };

    write(99);
    let error = Store::open(dir.path()).expect_err("a newer format is refused").to_string();
    assert!(error.contains("format 99"), "{error}");

    write(1);
    let store = Store::open(dir.path()).unwrap();
    let stored = store.sliver(floe_encoder::ShardIndex(3), SliverType::Primary, &blob_id).unwrap();
    assert_eq!(stored.as_ref(), Some(&encoded.pairs[1].primary));
    let damage = store.sliver(floe_encoder::ShardIndex(2), SliverType::Secondary, &blob_id);
    assert!(
        matches!(damage, Err(floe_node::store::StoreError::DamagedSliver { .. })),
        "damage found before the conversion is still found: {damage:?}"
    );
    drop(store);
    // Converted once: a second open reads the new records as they are.
    let store = Store::open(dir.path()).unwrap();
    assert!(store.sliver(floe_encoder::ShardIndex(3), SliverType::Primary, &blob_id).unwrap().is_some());
}

/// A store of format 3 kept metadata as bare BCS. Opened, its records are sealed with a digest
/// (which later reads check instead of the root hash) once each is found to derive its blob id:
/// one that does not (damaged before the conversion) is not vouched for and still reads as
/// damage, and the store records format 4, which a node of format 3 refuses.
#[test]
fn bare_metadata_records_are_sealed_when_they_verify_and_damage_survives_the_conversion() {
    use floe_encoder::{EncodingConfig, bls::BlsSecretKey, encode};
    use floe_node::{StorageNode, error::NodeError, test_chain::TestChain};

    let dir = tempfile::tempdir().unwrap();
    let config = EncodingConfig::new(10).unwrap();
    let intact = encode(&config, b"metadata written by a node of store format 3").unwrap();
    let damaged = encode(&config, b"metadata damaged on that node's disk").unwrap();
    let (intact_id, damaged_id) = (*intact.metadata.blob_id(), *damaged.metadata.blob_id());
    let mut damaged_bcs = damaged.metadata.metadata().to_bcs();
    let at = damaged_bcs.len() - 7;
    damaged_bcs[at] ^= 0x40;
    drop(Store::open(dir.path()).unwrap());
    {
        let db = redb::Database::create(dir.path().join(DATABASE_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        let mut metadata = txn.open_table(redb::TableDefinition::<&[u8], &[u8]>::new("metadata")).unwrap();
        metadata.insert(intact_id.0.as_slice(), intact.metadata.metadata().to_bcs().as_slice()).unwrap();
        metadata.insert(damaged_id.0.as_slice(), damaged_bcs.as_slice()).unwrap();
        drop(metadata);
        txn.open_table(redb::TableDefinition::<&str, u32>::new("store-format"))
            .unwrap()
            .insert("sliver-records", 3)
            .unwrap();
        txn.commit().unwrap();
    }

    let key = BlsSecretKey::from_seed(&[6; 32]);
    let chain = TestChain::holding_first(1, 10, 4, &key);
    let node = StorageNode::new(chain.state(), Store::open(dir.path()).unwrap(), key);
    assert_eq!(node.metadata(&intact_id).unwrap(), intact.metadata);
    assert!(
        matches!(node.metadata(&damaged_id), Err(NodeError::NotStored { .. })),
        "damage found before the conversion is still found"
    );
    assert!(!node.store().has_metadata(&damaged_id).unwrap(), "set aside, for recovery to repair");
    assert_eq!(node.health().integrity.corrupt_found, 1);
    drop(node);

    let db = redb::Database::create(dir.path().join(DATABASE_FILE)).unwrap();
    let txn = redb::ReadableDatabase::begin_read(&db).unwrap();
    let format = txn
        .open_table(redb::TableDefinition::<&str, u32>::new("store-format"))
        .unwrap()
        .get("sliver-records")
        .unwrap()
        .map(|value| value.value());
    assert_eq!(format, Some(4));
    let record = txn
        .open_table(redb::TableDefinition::<&[u8], &[u8]>::new("metadata"))
        .unwrap()
        .get(intact_id.0.as_slice())
        .unwrap()
        .unwrap()
        .value()
        .to_vec();
    assert_eq!(record, floe_node::stored_metadata::seal(&intact_id, intact.metadata.metadata()));
}

#[tokio::test]
async fn a_damaged_sliver_answers_its_challenge_sample_as_missing_and_is_set_aside() {
    let mut cluster = cluster(&[4, 3, 3]).await;
    let encoded = stored_everywhere(&cluster, 56).await;
    let blob_id = *encoded.metadata.blob_id();
    let pair = pair_of(&cluster, &blob_id, 1);
    damage(&mut cluster, 1, &encoded, pair, SliverType::Primary).await;
    let n_shards = cluster.config.n_shards();
    let shard = floe_encoder::mapping::shard_for_pair(pair, &blob_id, n_shards);
    let sample = |axis, symbol| ChallengeSample { blob_id, shard, axis, symbol };
    // The damaged primary sliver, then the intact secondary sliver of the same pair.
    let samples = [sample(SliverType::Primary, 1), sample(SliverType::Secondary, 2)];
    let node = cluster.nodes[1].node.clone();

    let answers = node.answer_challenge(&samples).expect("a damaged sliver does not fail the whole answer");
    assert_eq!(answers[0], SampleAnswer::Missing, "the damaged sliver is not answered from");
    let SampleAnswer::Answered(answer) = &answers[1] else { panic!("the intact sliver answers: {answers:?}") };
    answer.verify(&cluster.config, &samples[1]).expect("the intact sliver's answer verifies");
    let integrity = node.health().integrity;
    assert_eq!((integrity.corrupt_found, integrity.awaiting_repair), (1, 1), "set aside for repair");
    assert_eq!(node.missing_slivers(&blob_id).unwrap().len(), 1);
}

/// A sliver whose record is intact (its digest holds, its index is its shard's) but whose bytes
/// are another blob's fails the Merkle check, and the scrub, which checks a blob's slivers in one
/// batch, sets aside that one and none of its neighbours.
#[test]
fn a_sliver_failing_its_merkle_check_is_told_apart_from_the_intact_ones_checked_with_it() {
    use floe_encoder::{EncodingConfig, ShardIndex, bls::BlsSecretKey, encode, mapping};
    use floe_node::{StorageNode, scrub::ScrubDamage, store::ScrubPosition, test_chain::TestChain};

    let config = EncodingConfig::new(10).unwrap();
    let key = BlsSecretKey::from_seed(&[5; 32]);
    let chain = TestChain::holding_first(1, 10, 4, &key);
    let dir = tempfile::tempdir().unwrap();
    let node = StorageNode::new(chain.state(), Store::open(dir.path()).unwrap(), key);
    let stored = encode(&config, &[1u8; 5_000]).unwrap();
    let other = encode(&config, &[2u8; 5_000]).unwrap();
    let blob_id = *stored.metadata.blob_id();
    node.store().put_metadata(&blob_id, stored.metadata.metadata()).unwrap();
    let wrong = ShardIndex(2);
    for shard in (0..4).map(ShardIndex) {
        let pair = mapping::pair_for_shard(shard, &blob_id, 10).as_usize();
        let primary = if shard == wrong { &other.pairs[pair].primary } else { &stored.pairs[pair].primary };
        node.store().put_sliver(shard, &blob_id, primary).unwrap();
        node.store().put_sliver(shard, &blob_id, &stored.pairs[pair].secondary).unwrap();
    }

    let step = scrub_next(&node, None).unwrap();
    let ScrubStep::Checked { slivers, damaged, .. } = step else { panic!("a step with slivers, got {step:?}") };
    assert_eq!(slivers, 8, "the blob's 8 slivers in one step");
    assert_eq!(damaged.len(), 1, "{damaged:?}");
    assert_eq!(damaged[0].0, ScrubPosition { shard: wrong, axis: SliverType::Primary, blob_id });
    assert!(matches!(damaged[0].1, ScrubDamage::Unverified(_)), "{:?}", damaged[0].1);
    assert!(node.store().sliver(wrong, SliverType::Primary, &blob_id).unwrap().is_none(), "set aside");
    // The next pass finds the other seven still intact.
    let step = scrub_next(&node, None).unwrap();
    let ScrubStep::Checked { slivers, damaged, .. } = step else { panic!("a step with slivers, got {step:?}") };
    assert_eq!((slivers, damaged.len()), (7, 0));
}

//! Ingestion: rows follow a blob's and a stake's life; exactly-once across crashes and replays;
//! unknown and malformed events are recorded, not fatal.

use diesel::prelude::*;
use floe_chain::floe::events::{
    BlobCertified, BlobDeleted, BlobRegistered, BlobShared, CommissionCollected, EpochChangeStart,
    EpochParametersSelected, InvalidBlobID, RewardsDistributed, ShardsReceived, Staked, StakingPoolRegistered,
    WithdrawalRequested, Withdrawn,
};
use floe_encoder::BlobId;
use sui_sdk_types::{Address, Owner};

use super::fixtures::{
    Backend, ChainBuilder, TestDb, addr, deleted, floe_event, foreign_event, on_both_backends, written,
};
use crate::checkpoint::{IndexedCheckpoint, ObjectChange, ObjectState};
use crate::db::{DbConnection, with_connection};
use crate::ingest::{Applied, IngestError, write_checkpoints};
use crate::rows::{BlobRow, CommitteeShardRow, EpochRow, EventRow, PoolRow, StakeRow};
use crate::schema::{blobs, committee_shards, epochs, events, pools, stakes};

on_both_backends! {
    blob_rows_follow_register_certify_transfer_extend_delete => blob_lifecycle;
    staking_epochs_and_committee_rows => staking_and_epochs;
    unknown_and_malformed_events_are_recorded_not_fatal => unknown_events;
    crash_mid_batch_resumes_from_watermark_exactly_once => crash_resume;
    replaying_applied_checkpoints_changes_nothing => replay;
    a_gap_is_refused_and_writes_nothing => gap;
    withdrawals_rewards_and_invalid_blob_ids_update_their_rows => withdrawals_and_invalid_ids;
    a_shared_blob_stays_live_wrapped_and_its_extensions_move_its_end => shared_blob;
}

#[test]
fn database_urls_name_their_backend() {
    use crate::db::DatabaseUrl;
    assert!(matches!(DatabaseUrl::parse("postgres://u@h/db").unwrap(), DatabaseUrl::Postgres(_)));
    assert!(matches!(DatabaseUrl::parse("postgresql://h/db").unwrap(), DatabaseUrl::Postgres(_)));
    assert_eq!(DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(), DatabaseUrl::Sqlite("/tmp/x.db".into()));
    assert_eq!(DatabaseUrl::parse("data/indexer.sqlite").unwrap(), DatabaseUrl::Sqlite("data/indexer.sqlite".into()));
    for bad in ["", "mysql://h/db", "sqlite://"] {
        let err = DatabaseUrl::parse(bad).unwrap_err();
        assert!(err.to_string().contains("postgres://"), "{bad}: {err}");
    }
}

fn blob_id(byte: u8) -> BlobId {
    BlobId([byte; 32])
}

fn registered(object: Address, id: u8, deletable: bool) -> BlobRegistered {
    BlobRegistered {
        epoch: 1,
        blob_id: blob_id(id),
        size: 1_000 * u64::from(id),
        encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
        end_epoch: 5,
        deletable,
        object_id: object,
    }
}

fn blob(conn: &mut DbConnection, object: Address) -> BlobRow {
    let id = object.to_string();
    with_connection!(conn, c => blobs::table.find(&id).select(BlobRow::as_select()).first(c)).unwrap()
}

fn all_events(conn: &mut DbConnection) -> Vec<EventRow> {
    with_connection!(conn, c => events::table.order(events::id).select(EventRow::as_select()).load(c)).unwrap()
}

fn all_blobs(conn: &mut DbConnection) -> Vec<BlobRow> {
    with_connection!(conn, c => blobs::table.order(blobs::registered_event).select(BlobRow::as_select()).load(c))
        .unwrap()
}

fn blob_lifecycle(backend: Backend) {
    let db = TestDb::new(backend);
    let mut ingester = db.ingester();
    let mut chain = ChainBuilder::new();
    let (alice, bob) = (addr(0xa0), addr(0xb0));
    let (a, b) = (addr(0x0a), addr(0x0b));

    let register = chain.tx(alice, vec![floe_event(&registered(a, 1, false))], vec![written(a, alice)]);
    let cp1 = chain.checkpoint(vec![register]);
    let certify = BlobCertified {
        epoch: 2,
        blob_id: blob_id(1),
        end_epoch: 5,
        deletable: false,
        object_id: a,
        is_extension: false,
    };
    let tx = chain.tx(alice, vec![floe_event(&certify)], vec![written(a, alice)]);
    let cp2 = chain.checkpoint(vec![tx]);
    // A wallet transfer: no floe event, only the object's new owner in the effects.
    let tx = chain.tx(alice, vec![], vec![written(a, bob)]);
    let cp3 = chain.checkpoint(vec![tx]);
    let extend = BlobCertified { epoch: 3, end_epoch: 9, is_extension: true, ..certify.clone() };
    let tx = chain.tx(bob, vec![floe_event(&extend)], vec![written(a, bob)]);
    let cp4 = chain.checkpoint(vec![tx]);

    assert_eq!(ingester.apply(&[cp1]).unwrap(), Applied { checkpoints: 1, skipped: 0, events: 1 });
    let mut conn = db.connect();
    let row = blob(&mut conn, a);
    assert_eq!(row.owner.as_deref(), Some(alice.to_string().as_str()));
    assert_eq!((row.size, row.registered_epoch, row.end_epoch, row.certified_epoch), (1000, 1, 5, None));
    assert_eq!(row.blob_id, blob_id(1).to_string());

    ingester.apply(&[cp2, cp3, cp4]).unwrap();
    let row = blob(&mut conn, a);
    assert_eq!(row.owner.as_deref(), Some(bob.to_string().as_str()), "transfer moved the blob");
    assert_eq!(row.certified_epoch, Some(2), "an extension keeps the certification epoch");
    assert_eq!(row.end_epoch, 9);
    assert_eq!(row.updated_checkpoint, 4);
    assert!(!row.deleted);
    let totals = crate::queries::totals(&mut conn).unwrap();
    assert_eq!((totals.stored_bytes, totals.blob_count, totals.certified_count), (1000, 1, 1));

    // Register a deletable blob and delete it in the same checkpoint.
    let reg_b = chain.tx(bob, vec![floe_event(&registered(b, 2, true))], vec![written(b, bob)]);
    let del = BlobDeleted { epoch: 3, blob_id: blob_id(2), end_epoch: 5, object_id: b, was_certified: false };
    let del_b = chain.tx(bob, vec![floe_event(&del)], vec![deleted(b)]);
    ingester.apply(&[chain.checkpoint(vec![reg_b, del_b])]).unwrap();
    let row = blob(&mut conn, b);
    assert!(row.deleted);
    assert_eq!(row.owner, None);

    // Burning an expired blob emits nothing: the object's deletion is the signal.
    let burn = chain.tx(bob, vec![], vec![deleted(a)]);
    ingester.apply(&[chain.checkpoint(vec![burn])]).unwrap();
    assert!(blob(&mut conn, a).deleted);
    let totals = crate::queries::totals(&mut conn).unwrap();
    assert_eq!((totals.stored_bytes, totals.blob_count, totals.certified_count), (0, 0, 0), "{totals:?}");

    let kinds: Vec<String> = all_events(&mut conn).into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["BlobRegistered", "BlobCertified", "BlobCertified", "BlobRegistered", "BlobDeleted"]);
    let events = all_events(&mut conn);
    assert_eq!(events.iter().map(|e| e.id).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert_eq!(events[0].blob_id.as_deref(), Some(blob_id(1).to_string().as_str()));
    assert_eq!(events[0].object_id.as_deref(), Some(a.to_string().as_str()));
    let fields: serde_json::Value = serde_json::from_str(&events[0].fields).unwrap();
    assert_eq!(fields["blob_id"], blob_id(1).to_string());
    assert_eq!(fields["size"], 1000);
    assert_eq!(ingester.watermark().unwrap().unwrap().checkpoint, 6);
}

fn staking_and_epochs(backend: Backend) {
    let db = TestDb::new(backend);
    let mut ingester = db.ingester();
    let mut chain = ChainBuilder::new();
    let (node, carol, dave, stake) = (addr(0x40), addr(0xc0), addr(0xd0), addr(0x55));
    let pool = StakingPoolRegistered { epoch: 0, node_id: node, commission_rate: 500 };
    let staked = Staked { epoch: 1, node_id: node, staked_wal_id: stake, amount: 7_000, activation_epoch: 2 };
    let start = EpochChangeStart { epoch: 2 };
    let shards = ShardsReceived { epoch: 2, node_id: node, shards: vec![0, 1, 2] };
    let params = EpochParametersSelected {
        epoch: 2,
        next_epoch: 3,
        total_capacity_size: 1 << 40,
        storage_price_per_unit_size: 11,
        write_price_per_unit_size: 22,
    };
    let txs = vec![
        chain.tx(node, vec![floe_event(&pool)], vec![]),
        chain.tx(carol, vec![floe_event(&staked)], vec![written(stake, carol)]),
        chain.tx(node, vec![floe_event(&start), floe_event(&shards), floe_event(&params)], vec![]),
    ];
    let cp1 = chain.checkpoint(txs);
    // Carol gives the stake to Dave, who asks to withdraw it.
    let request =
        WithdrawalRequested { epoch: 2, node_id: node, staked_wal_id: stake, principal: 7_000, withdraw_epoch: 3 };
    let txs = vec![
        chain.tx(carol, vec![], vec![written(stake, dave)]),
        chain.tx(dave, vec![floe_event(&request)], vec![written(stake, dave)]),
    ];
    let cp2 = chain.checkpoint(txs);
    ingester.apply(&[cp1, cp2]).unwrap();

    let mut conn = db.connect();
    let pool_row: PoolRow =
        with_connection!(&mut conn, c => pools::table.select(PoolRow::as_select()).first(c)).unwrap();
    assert_eq!((pool_row.commission_rate, pool_row.staked), (500, 7_000));
    let stake_row: StakeRow =
        with_connection!(&mut conn, c => stakes::table.select(StakeRow::as_select()).first(c)).unwrap();
    assert_eq!(stake_row.owner.as_deref(), Some(dave.to_string().as_str()));
    assert_eq!(
        (stake_row.state.as_str(), stake_row.withdraw_epoch, stake_row.principal),
        ("withdrawing", Some(3), 7_000)
    );
    let epoch_rows: Vec<EpochRow> =
        with_connection!(&mut conn, c => epochs::table.order(epochs::epoch).select(EpochRow::as_select()).load(c))
            .unwrap();
    assert_eq!(epoch_rows.len(), 2);
    assert_eq!((epoch_rows[0].epoch, epoch_rows[0].start_checkpoint), (2, Some(1)));
    assert_eq!((epoch_rows[1].epoch, epoch_rows[1].storage_price_per_unit_size), (3, Some(11)));
    assert_eq!(epoch_rows[1].start_checkpoint, None);
    let shard_rows: Vec<CommitteeShardRow> = with_connection!(&mut conn, c => committee_shards::table
        .order(committee_shards::shard)
        .select(CommitteeShardRow::as_select())
        .load(c))
    .unwrap();
    assert_eq!(shard_rows.iter().map(|s| s.shard).collect::<Vec<_>>(), [0, 1, 2]);
    assert!(shard_rows.iter().all(|s| s.node_id == node.to_string() && s.epoch == 2));
}

fn unknown_events(backend: Backend) {
    let db = TestDb::new(backend);
    let mut ingester = db.ingester();
    let mut chain = ChainBuilder::new();
    let mut malformed = floe_event(&InvalidBlobID { epoch: 1, blob_id: blob_id(3) });
    malformed.contents.pop();
    let tx = chain.tx(addr(1), vec![foreign_event(), malformed], vec![]);
    let cp = chain.checkpoint(vec![tx]);
    // A later floe event still lands: nothing was fatal.
    let tx = chain.tx(addr(1), vec![floe_event(&registered(addr(2), 4, false))], vec![]);
    let cp2 = chain.checkpoint(vec![tx]);
    ingester.apply(&[cp, cp2]).unwrap();
    let mut conn = db.connect();
    let rows = all_events(&mut conn);
    assert_eq!(rows.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["unknown", "malformed", "BlobRegistered"]);
    assert!(rows[0].type_tag.contains("::game::Scored"), "{}", rows[0].type_tag);
    let fields: serde_json::Value = serde_json::from_str(&rows[0].fields).unwrap();
    assert_eq!(fields["contents"], "010203");
    let fields: serde_json::Value = serde_json::from_str(&rows[1].fields).unwrap();
    assert!(fields["error"].as_str().unwrap().contains("InvalidBlobID"), "{fields}");
    assert_eq!(all_blobs(&mut conn).len(), 1);
}

/// `n` checkpoints with three blob registrations each.
fn blob_history(chain: &mut ChainBuilder, n: usize) -> Vec<IndexedCheckpoint> {
    (0..n)
        .map(|i| {
            let txs = (0..3)
                .map(|j| {
                    let byte = u8::try_from(i * 3 + j + 1).unwrap();
                    let (object, owner) = (addr(byte), addr(0xa0));
                    chain.tx(owner, vec![floe_event(&registered(object, byte, true))], vec![written(object, owner)])
                })
                .collect();
            chain.checkpoint(txs)
        })
        .collect()
}

fn crash_resume(backend: Backend) {
    let db = TestDb::new(backend);
    let history = blob_history(&mut ChainBuilder::new(), 10);
    let mut ingester = db.ingester();
    ingester.apply(&history[..4]).unwrap();

    // Write checkpoints 5..=8 inside a transaction and "crash": the connection goes away
    // before the commit.
    let packages = super::fixtures::packages();
    let conn = ingester.connection();
    conn.begin().unwrap();
    let applied = write_checkpoints(conn, &packages, &history[4..8]).unwrap();
    assert_eq!(applied.checkpoints, 4);
    drop(ingester);

    let mut ingester = db.ingester();
    assert_eq!(ingester.watermark().unwrap().unwrap().checkpoint, 4, "the crashed batch never committed");
    assert_eq!(ingester.next_checkpoint(1).unwrap(), 5);
    let mut conn = db.connect();
    assert_eq!(all_events(&mut conn).len(), 12);
    // The stream restarts from the watermark; an overlap with committed checkpoints is harmless.
    let applied = ingester.apply(&history[2..]).unwrap();
    assert_eq!(applied, Applied { checkpoints: 6, skipped: 2, events: 18 });

    let rows = all_events(&mut conn);
    assert_eq!(rows.len(), 30);
    assert_eq!(rows.iter().map(|e| e.id).collect::<Vec<_>>(), (0..30).collect::<Vec<i64>>(), "ids gapless");
    let mut keys: Vec<(String, i32)> = rows.iter().map(|e| (e.tx_digest.clone(), e.event_index)).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 30, "every event exactly once");
    let blob_rows = all_blobs(&mut conn);
    assert_eq!(blob_rows.len(), 30);
    assert_eq!(blob_rows.last().unwrap().registered_checkpoint, 10);
}

fn replay(backend: Backend) {
    let db = TestDb::new(backend);
    let history = blob_history(&mut ChainBuilder::new(), 5);
    let mut ingester = db.ingester();
    ingester.apply(&history).unwrap();
    let mut conn = db.connect();
    let (events_before, blobs_before) = (all_events(&mut conn), all_blobs(&mut conn));
    for replayed in [&history[4..], &history[..], &history[1..3]] {
        let applied = ingester.apply(replayed).unwrap();
        assert_eq!(applied, Applied { checkpoints: 0, skipped: replayed.len(), events: 0 });
    }
    assert_eq!(all_events(&mut conn), events_before);
    assert_eq!(all_blobs(&mut conn), blobs_before);
    assert_eq!(ingester.watermark().unwrap().unwrap().checkpoint, 5);
}

fn gap(backend: Backend) {
    let db = TestDb::new(backend);
    let history = blob_history(&mut ChainBuilder::new(), 6);
    let mut ingester = db.ingester();
    ingester.apply(&history[..2]).unwrap();
    let err = ingester.apply(&history[3..]).unwrap_err();
    assert!(matches!(err, IngestError::Gap { expected_after: 2, got: 4 }), "{err}");
    // Within a batch too: 3 then 5.
    let err = ingester.apply(&[history[2].clone(), history[4].clone()]).unwrap_err();
    assert!(matches!(err, IngestError::Gap { expected_after: 3, got: 5 }), "{err}");
    let mut conn = db.connect();
    assert_eq!(all_events(&mut conn).len(), 6, "nothing of a refused batch was written");
    assert_eq!(ingester.watermark().unwrap().unwrap().checkpoint, 2);
    // Owner text of non-address owners.
    assert_eq!(crate::checkpoint::owner_text(&Owner::Shared(3)), "shared");
    let _ = ObjectState::Wrapped;
}

fn withdrawals_and_invalid_ids(backend: Backend) {
    let db = TestDb::new(backend);
    let mut ingester = db.ingester();
    let mut chain = ChainBuilder::new();
    let (node, carol, stake) = (addr(0x40), addr(0xc0), addr(0x55));
    let (x, y, z) = (addr(0x0c), addr(0x0d), addr(0x0e));
    let staked = Staked { epoch: 1, node_id: node, staked_wal_id: stake, amount: 9_000, activation_epoch: 2 };
    let txs = vec![
        chain.tx(carol, vec![floe_event(&staked)], vec![written(stake, carol)]),
        // Two objects share blob id 7; another has blob id 8.
        chain.tx(carol, vec![floe_event(&registered(x, 7, false))], vec![written(x, carol)]),
        chain.tx(carol, vec![floe_event(&registered(y, 7, false))], vec![written(y, carol)]),
        chain.tx(carol, vec![floe_event(&registered(z, 8, false))], vec![written(z, carol)]),
    ];
    let cp1 = chain.checkpoint(txs);
    ingester.apply(&[cp1]).unwrap();

    let rewards = RewardsDistributed { epoch: 2, node_id: node, amount: 300, commission: 30 };
    let collected = CommissionCollected { epoch: 3, node_id: node, amount: 20 };
    let withdrawn = Withdrawn { epoch: 3, node_id: node, staked_wal_id: stake, principal: 9_000, amount: 9_270 };
    let invalid = InvalidBlobID { epoch: 3, blob_id: blob_id(7) };
    let txs = vec![
        chain.tx(node, vec![floe_event(&rewards), floe_event(&collected)], vec![]),
        chain.tx(carol, vec![floe_event(&withdrawn)], vec![deleted(stake)]),
        chain.tx(node, vec![floe_event(&invalid)], vec![]),
    ];
    let cp2 = chain.checkpoint(txs);
    ingester.apply(&[cp2]).unwrap();

    let mut conn = db.connect();
    let pool_row: PoolRow =
        with_connection!(&mut conn, c => pools::table.select(PoolRow::as_select()).first(c)).unwrap();
    assert_eq!(
        (pool_row.staked, pool_row.rewards, pool_row.commission_earned, pool_row.commission_collected),
        (0, 300, 30, 20)
    );
    let stake_row: StakeRow =
        with_connection!(&mut conn, c => stakes::table.select(StakeRow::as_select()).first(c)).unwrap();
    assert_eq!(
        (stake_row.state.as_str(), stake_row.withdrawn_amount, stake_row.owner),
        ("withdrawn", Some(9_270), None)
    );
    assert!(blob(&mut conn, x).invalid && blob(&mut conn, y).invalid);
    assert!(!blob(&mut conn, z).invalid);
}

fn shared_blob(backend: Backend) {
    let db = TestDb::new(backend);
    let mut ingester = db.ingester();
    let mut chain = ChainBuilder::new();
    let (alice, carol) = (addr(0xa0), addr(0xc0));
    let (a, shared) = (addr(0x0a), addr(0x5b));
    let certify = BlobCertified {
        epoch: 1,
        blob_id: blob_id(1),
        end_epoch: 5,
        deletable: false,
        object_id: a,
        is_extension: false,
    };
    let register =
        chain.tx(alice, vec![floe_event(&registered(a, 1, false)), floe_event(&certify)], vec![written(a, alice)]);
    // Sharing wraps the Blob into the new shared SharedBlob.
    let event = BlobShared { object_id: shared, blob_object_id: a, blob_id: blob_id(1), end_epoch: 5, funds: 700 };
    let wrapped = ObjectChange { object_id: a, state: ObjectState::Wrapped };
    let share = chain.tx(alice, vec![floe_event(&event)], vec![wrapped, written_shared(shared)]);
    // Anyone extends it: the wrapped Blob's extension event, under its own object id.
    let extend = BlobCertified { epoch: 2, end_epoch: 8, is_extension: true, ..certify };
    let extend = chain.tx(carol, vec![floe_event(&extend)], vec![written_shared(shared)]);
    ingester.apply(&[chain.checkpoint(vec![register, share]), chain.checkpoint(vec![extend])]).unwrap();

    let mut conn = db.connect();
    let row = blob(&mut conn, a);
    assert_eq!(row.owner, None, "wrapped: no owner");
    assert!(!row.deleted, "a shared blob is alive");
    assert_eq!((row.certified_epoch, row.end_epoch), (Some(1), 8));
    let totals = crate::queries::totals(&mut conn).unwrap();
    assert_eq!((totals.blob_count, totals.certified_count), (1, 1));
    let shared_rows: Vec<EventRow> = all_events(&mut conn).into_iter().filter(|e| e.kind == "BlobShared").collect();
    assert_eq!(shared_rows.len(), 1);
    assert_eq!(shared_rows[0].object_id.as_deref(), Some(shared.to_string().as_str()));
    assert_eq!(shared_rows[0].blob_id.as_deref(), Some(blob_id(1).to_string().as_str()));
    assert_eq!(shared_rows[0].epoch, None);
    let fields: serde_json::Value = serde_json::from_str(&shared_rows[0].fields).unwrap();
    assert_eq!(
        (fields["funds"].as_u64(), fields["blob_object_id"].as_str()),
        (Some(700), Some(a.to_string().as_str()))
    );
}

fn written_shared(object_id: Address) -> ObjectChange {
    ObjectChange { object_id, state: ObjectState::Written(Owner::Shared(1)) }
}

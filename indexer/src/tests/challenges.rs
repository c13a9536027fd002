//! Storage challenges from their events to the explorer: windows, outcomes and withheld
//! rewards written once and joined when read, filtered by node and epoch, paged, and the
//! refusals of malformed filters.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use floe_chain::floe::events::{ChallengeOutcome, ChallengeWindowOpened, RewardsWithheld};
use serde_json::Value;
use tower::ServiceExt;

use super::fixtures::{Backend, ChainBuilder, TestDb, addr, floe_event, on_both_backends};
use crate::api::router;
use crate::queries::{self, ChallengeFilter, PageRequest};

on_both_backends! {
    outcomes_carry_their_seed_and_the_rewards_withheld_later => outcomes_and_withholdings;
    challenge_api_filters_pages_and_refuses_bad_filters => challenge_api;
}

fn window(epoch: u32, byte: u8) -> ChallengeWindowOpened {
    ChallengeWindowOpened { epoch, seed: vec![byte; 32], opened_at_ms: 1_000 * u64::from(epoch) }
}

fn outcome(epoch: u32, node: u8, passed: bool) -> ChallengeOutcome {
    ChallengeOutcome { epoch, node_id: addr(node), passed, stake_support: 9 }
}

/// Epoch 2: nodes 0x41 passes, 0x42 fails; epoch 3: both pass. The withholding of epoch 2
/// comes at the epoch change, in a later batch than the outcome.
fn fill(db: &TestDb) {
    let mut ingester = db.ingester();
    let mut chain = ChainBuilder::new();
    let opener = addr(0xee);
    let first = vec![
        chain.tx(opener, vec![floe_event(&window(2, 0x22))], vec![]),
        chain.tx(opener, vec![floe_event(&outcome(2, 0x41, true)), floe_event(&outcome(2, 0x42, false))], vec![]),
    ];
    let first = chain.checkpoint(first);
    ingester.apply(&[first]).unwrap();
    let withheld = RewardsWithheld { epoch: 2, node_id: addr(0x42), amount: 777 };
    let second = vec![
        chain.tx(opener, vec![floe_event(&withheld)], vec![]),
        chain.tx(opener, vec![floe_event(&window(3, 0x33))], vec![]),
        chain.tx(opener, vec![floe_event(&outcome(3, 0x41, true)), floe_event(&outcome(3, 0x42, true))], vec![]),
    ];
    let second = chain.checkpoint(second);
    ingester.apply(&[second]).unwrap();
}

fn outcomes_and_withholdings(backend: Backend) {
    let db = TestDb::new(backend);
    fill(&db);
    let mut conn = db.connect();
    let page = queries::challenge_outcomes(&mut conn, &ChallengeFilter::default(), PageRequest::default()).unwrap();
    // (epoch, node, passed, rewards withheld, seed)
    type Row = (i64, String, bool, Option<i64>, Option<String>);
    let rows: Vec<Row> = page
        .items
        .iter()
        .map(|r| (r.outcome.epoch, r.outcome.node_id.clone(), r.outcome.passed, r.rewards_withheld, r.seed.clone()))
        .collect();
    let (seed2, seed3) = (Some("22".repeat(32)), Some("33".repeat(32)));
    assert_eq!(
        rows,
        [
            (3, addr(0x42).to_string(), true, None, seed3.clone()),
            (3, addr(0x41).to_string(), true, None, seed3),
            (2, addr(0x42).to_string(), false, Some(777), seed2.clone()),
            (2, addr(0x41).to_string(), true, None, seed2),
        ],
        "newest first"
    );
    assert_eq!(page.next_cursor, None);
    let failed = &page.items[2].outcome;
    assert_eq!(failed.stake_support, 9);
    assert_eq!(failed.checkpoint, 1);
    assert_eq!(page.items[0].outcome.checkpoint, 2);
    // Each row names its own transaction.
    assert_ne!(page.items[0].outcome.tx_digest, failed.tx_digest);
    assert_eq!(failed.tx_digest, page.items[3].outcome.tx_digest);

    let windows = queries::challenge_windows(&mut conn, PageRequest::default()).unwrap();
    let epochs: Vec<i64> = windows.items.iter().map(|w| w.epoch).collect();
    assert_eq!(epochs, [3, 2]);
    assert_eq!(windows.items[1].opened_at_ms, 2_000);

    let node = ChallengeFilter { node_id: Some(addr(0x42).to_string()), epoch: None };
    let of_node = queries::challenge_outcomes(&mut conn, &node, PageRequest::default()).unwrap();
    assert_eq!(of_node.items.iter().map(|r| r.outcome.epoch).collect::<Vec<_>>(), [3, 2]);
    let both = ChallengeFilter { node_id: Some(addr(0x42).to_string()), epoch: Some(2) };
    let one = queries::challenge_outcomes(&mut conn, &both, PageRequest::default()).unwrap();
    assert_eq!(one.items.len(), 1);
    assert!(!one.items[0].outcome.passed);
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn challenge_api(backend: Backend) {
    let db = TestDb::new(backend);
    fill(&db);
    let app = router(db.pool());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let (status, body) = get(&app, &format!("/v1/challenges?node={}&epoch=2", addr(0x42))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["items"].as_array().unwrap().len(), 1);
        let row = &body["items"][0];
        assert_eq!(row["epoch"], 2);
        assert_eq!(row["node_id"], addr(0x42).to_string());
        assert_eq!(row["passed"], false);
        assert_eq!(row["stake_support"], 9);
        assert_eq!(row["rewards_withheld"], 777);
        assert_eq!(row["seed"], "22".repeat(32));

        // Two at a time: both of epoch 3, then both of epoch 2, then nothing more.
        let mut epochs = Vec::new();
        let mut uri = "/v1/challenges?limit=2".to_owned();
        loop {
            let (status, body) = get(&app, &uri).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            epochs.extend(body["items"].as_array().unwrap().iter().map(|r| r["epoch"].as_i64().unwrap()));
            match body["next_cursor"].as_str() {
                Some(cursor) => uri = format!("/v1/challenges?limit=2&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(epochs, [3, 3, 2, 2]);

        let (_, body) = get(&app, "/v1/challenges?epoch=3").await;
        assert_eq!(body["items"].as_array().unwrap().len(), 2);
        let (_, body) = get(&app, "/v1/challenges?epoch=9").await;
        assert_eq!(body["items"], serde_json::json!([]));
        let (_, body) = get(&app, "/v1/challenges/windows").await;
        assert_eq!(body["items"][0]["epoch"], 3);
        assert_eq!(body["items"][0]["seed"], "33".repeat(32));

        // Refusals are JSON and name the parameter.
        for (uri, names) in [
            ("/v1/challenges?node=0xzz", "node"),
            ("/v1/challenges?node=0x1234567890123456789012345678901234567890123456789012345678901234f", "node"),
            ("/v1/challenges?epoch=two", "epoch"),
            ("/v1/challenges?epoch=-1", "epoch"),
            ("/v1/challenges?cursor=x", "cursor"),
            ("/v1/challenges?limit=0", "limit"),
            ("/v1/challenges/windows?limit=501", "limit"),
        ] {
            let (status, body) = get(&app, uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            assert!(body["error"]["message"].as_str().unwrap().contains(names), "{uri}: {body}");
        }
    });
}

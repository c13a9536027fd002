//! The explorer API over real rows: lookups, filters, cursor pages, and refusals.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use floe_chain::floe::events::{BlobRegistered, ShardsReceived, Staked, StakingPoolRegistered};
use floe_encoder::BlobId;
use serde_json::Value;
use tower::ServiceExt;

use super::fixtures::{Backend, ChainBuilder, TestDb, addr, floe_event, foreign_event, on_both_backends, written};
use crate::api::router;

on_both_backends! {
    explorer_answers_lookups_lists_and_pages => explorer;
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn explorer(backend: Backend) {
    let db = TestDb::new(backend);
    let mut ingester = db.ingester();
    let mut chain = ChainBuilder::new();
    let (alice, bob, node) = (addr(0xa0), addr(0xb0), addr(0x40));
    // Seven blobs: alice owns 1..=4, bob 5..=7; blob ids 1 and 7 are the same blob.
    let mut txs = Vec::new();
    for i in 1..=7u8 {
        let owner = if i <= 4 { alice } else { bob };
        let event = BlobRegistered {
            epoch: 1,
            blob_id: BlobId([if i == 7 { 1 } else { i }; 32]),
            size: 100,
            encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
            end_epoch: 4,
            deletable: false,
            object_id: addr(i),
        };
        txs.push(chain.tx(owner, vec![floe_event(&event)], vec![written(addr(i), owner)]));
    }
    let pool = StakingPoolRegistered { epoch: 1, node_id: node, commission_rate: 100 };
    let staked = Staked { epoch: 1, node_id: node, staked_wal_id: addr(0x77), amount: 5_000, activation_epoch: 2 };
    let shards = ShardsReceived { epoch: 2, node_id: node, shards: vec![3, 1] };
    txs.push(chain.tx(
        node,
        vec![floe_event(&pool), floe_event(&staked), floe_event(&shards), foreign_event()],
        vec![],
    ));
    let checkpoint = chain.checkpoint(txs);
    ingester.apply(&[checkpoint]).unwrap();

    // As served: floe-serve maps extractor rejections to JSON errors.
    let app = floe_serve::json_errors(router(db.pool()));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let (status, body) = get(&app, &format!("/v1/objects/{}", addr(5))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["owner"], bob.to_string());
        assert_eq!(body["blob_id"], BlobId([5; 32]).to_string());

        let (status, body) = get(&app, &format!("/v1/blobs/{}", BlobId([1; 32]))).await;
        assert_eq!(status, StatusCode::OK);
        let objects: Vec<&str> = body.as_array().unwrap().iter().map(|b| b["object_id"].as_str().unwrap()).collect();
        assert_eq!(objects, [addr(7).to_string(), addr(1).to_string()], "newest first");

        // Alice's blobs two at a time: 4,3 then 2,1, then nothing more.
        let mut seen = Vec::new();
        let mut uri = format!("/v1/blobs?owner={alice}&limit=2");
        loop {
            let (status, body) = get(&app, &uri).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            seen.extend(body["items"].as_array().unwrap().iter().map(|b| b["object_id"].as_str().unwrap().to_owned()));
            match body["next_cursor"].as_str() {
                Some(cursor) => uri = format!("/v1/blobs?owner={alice}&limit=2&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen, [4u8, 3, 2, 1].map(|i| addr(i).to_string()));

        let (_, body) = get(&app, "/v1/blobs?limit=3").await;
        assert_eq!(body["items"].as_array().unwrap().len(), 3);
        assert_eq!(body["items"][0]["object_id"], addr(7).to_string());

        let (_, body) = get(&app, "/v1/events?kind=unknown").await;
        assert_eq!(body["items"].as_array().unwrap().len(), 1);
        let (_, body) = get(&app, &format!("/v1/events?blob_id={}", BlobId([1; 32]))).await;
        assert_eq!(body["items"].as_array().unwrap().len(), 2);
        let tx = body["items"][0]["tx_digest"].as_str().unwrap().to_owned();
        let (_, body) = get(&app, &format!("/v1/events?tx={tx}")).await;
        assert_eq!(body["items"].as_array().unwrap().len(), 1);
        let (_, body) = get(&app, &format!("/v1/events?node_id={node}")).await;
        let kinds: Vec<&str> = body["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["ShardsReceived", "Staked", "StakingPoolRegistered"]);

        let (_, body) = get(&app, "/v1/committee").await;
        assert_eq!(body["epoch"], 2);
        assert_eq!(body["members"][0]["node_id"], node.to_string());
        assert_eq!(body["members"][0]["shards"], serde_json::json!([1, 3]));
        assert_eq!(body["members"][0]["pool"]["staked"], 5_000);

        let (_, body) = get(&app, &format!("/v1/stakes?node_id={node}")).await;
        assert_eq!(body["items"][0]["principal"], 5_000);

        let (_, body) = get(&app, "/v1/totals").await;
        assert_eq!(body["blob_count"], 7);
        assert_eq!(body["stored_bytes"], 700);
        assert_eq!(body["wal_staked"], 5_000);
        assert_eq!(body["event_count"], 11);
        assert_eq!(body["checkpoint"], 1);

        // Refusals name what was wrong.
        let (status, body) = get(&app, "/v1/blobs?cursor=abc").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"]["message"].as_str().unwrap().contains("cursor"), "{body}");
        assert_eq!(body["error"]["code"], 400, "{body}");
        // Each parameter is checked before SQL, in floe's JSON error shape.
        for uri in [
            "/v1/events?kind=bogus",
            "/v1/stakes?owner=bad",
            "/v1/blobs?owner=0xnothex",
            "/v1/committee?epoch=-1",
            "/v1/events?cursor=-5",
            // Extractor rejections (not numbers) go through the same JSON layer.
            "/v1/blobs?limit=many",
            "/v1/committee?epoch=soon",
        ] {
            let (status, body) = get(&app, uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            assert_eq!(body["error"]["code"], 400, "{uri}: {body}");
            assert!(body["error"]["message"].is_string(), "{uri}: {body}");
        }
        let (status, body) = get(&app, "/v1/events?kind=Staked").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _) = get(&app, "/v1/blobs?limit=0").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, body) = get(&app, "/v1/blobs/not-a-blob-id").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, body) = get(&app, "/v1/events?tx=nope").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, _) = get(&app, "/v1/objects/0xzz").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = get(&app, &format!("/v1/objects/{}", addr(0x99))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    });
}

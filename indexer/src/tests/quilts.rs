//! Quilt patches: pending blob ids, recording an aggregator's answers, search by quilt,
//! identifier and tag through the API, and the fetcher against a stand-in aggregator (a quilt,
//! a plain blob, a blob the nodes learn late, an aggregator that keeps failing).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use floe_chain::floe::events::{BlobCertified, BlobRegistered};
use floe_encoder::BlobId;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::fixtures::{Backend, ChainBuilder, TestDb, addr, floe_event, on_both_backends, written};
use crate::api::router;
use crate::db::DbConnection;
use crate::queries::PageRequest;
use crate::quilts::{self, ListedPatch, Outcome, PatchFilter, QuiltFetcher, QuiltSource};
use crate::rows::QuiltCheckRow;

on_both_backends! {
    recorded_patches_are_found_by_quilt_identifier_and_tag => search;
    the_fetcher_records_quilts_plain_blobs_late_blobs_and_failures => fetcher;
}

fn id(byte: u8) -> String {
    BlobId([byte; 32]).to_string()
}

fn patch(identifier: &str, tags: Value) -> ListedPatch {
    let tags = tags.as_object().cloned().unwrap_or_default();
    ListedPatch { identifier: identifier.to_owned(), patch_id: format!("patch-{identifier}"), tags }
}

/// Registers (and certifies, if asked) blob id `byte` as object `byte`.
fn index_blob(db: &TestDb, chain: &mut ChainBuilder, byte: u8, certified: bool) {
    let object = addr(byte);
    let registered = BlobRegistered {
        epoch: 1,
        blob_id: BlobId([byte; 32]),
        size: 10,
        encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
        end_epoch: 9,
        deletable: false,
        object_id: object,
    };
    let mut events = vec![floe_event(&registered)];
    if certified {
        events.push(floe_event(&BlobCertified {
            epoch: 1,
            blob_id: BlobId([byte; 32]),
            end_epoch: 9,
            deletable: false,
            object_id: object,
            is_extension: false,
        }));
    }
    let tx = chain.tx(addr(0xa0), events, vec![written(object, addr(0xa0))]);
    db.ingester().apply(&[chain.checkpoint(vec![tx])]).unwrap();
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

fn identifiers(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|p| p["identifier"].as_str().unwrap().to_owned()).collect()
}

fn search(backend: Backend) {
    let db = TestDb::new(backend);
    let mut chain = ChainBuilder::new();
    for (byte, certified) in [(1, true), (2, true), (3, false), (4, true)] {
        index_blob(&db, &mut chain, byte, certified);
    }
    let mut conn = db.connect();
    // Certified blob ids only, in registration order.
    assert_eq!(quilts::pending(&mut conn, 10).unwrap(), [id(1), id(2), id(4)]);
    let html = json!({"content-type": "text/html", "lang": "en"});
    let first = vec![patch("index.html", html), patch("logo.png", json!({"content-type": "image/png", "n": 1}))];
    quilts::record(&mut conn, &id(1), &Outcome::Quilt(first), 1, 5).unwrap();
    let second = vec![patch("index.html", json!({"content-type": "text/html", "lang": "fr"}))];
    quilts::record(&mut conn, &id(2), &Outcome::Quilt(second), 2, 6).unwrap();
    quilts::record(&mut conn, &id(4), &Outcome::NotQuilt, 1, 7).unwrap();
    // Recorded once: a second answer changes nothing.
    quilts::record(&mut conn, &id(4), &Outcome::Quilt(vec![patch("late", json!({}))]), 1, 8).unwrap();
    assert!(quilts::pending(&mut conn, 10).unwrap().is_empty());
    let check = quilts::check(&mut conn, &id(4)).unwrap().unwrap();
    assert_eq!((check.state.as_str(), check.patch_count, check.checked_at_ms), ("not_quilt", 0, 7));
    assert_eq!(quilts::check(&mut conn, &id(1)).unwrap().unwrap().patch_count, 2);

    let all = quilts::patches(&mut conn, &PatchFilter::default(), PageRequest::default()).unwrap();
    let names: Vec<&str> = all.items.iter().map(|p| p.identifier.as_str()).collect();
    assert_eq!(names, ["index.html", "logo.png", "index.html"], "newest first");
    let logo = &all.items[1];
    assert_eq!((logo.quilt_id.as_str(), logo.patch_id.as_str()), (id(1).as_str(), "patch-logo.png"));
    let expected: BTreeMap<String, String> =
        [("content-type".into(), "image/png".into()), ("n".into(), "1".into())].into_iter().collect();
    assert_eq!(logo.tags, expected, "non-string tag values are kept as JSON text");

    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let app = router(db.pool());
        let (status, page) = get(&app, "/v1/quilt-patches?identifier=index.html").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let quilt_ids: Vec<&str> =
            page["items"].as_array().unwrap().iter().map(|p| p["quilt_id"].as_str().unwrap()).collect();
        assert_eq!(quilt_ids, [id(2).as_str(), id(1).as_str()]);
        let (_, page) = get(&app, "/v1/quilt-patches?tag_key=content-type&tag_value=image/png").await;
        assert_eq!(identifiers(&page), ["logo.png"]);
        let (_, page) = get(&app, "/v1/quilt-patches?tag_key=lang").await;
        assert_eq!(identifiers(&page), ["index.html", "index.html"]);
        let (_, page) = get(&app, "/v1/quilt-patches?tag_key=lang&tag_value=fr").await;
        assert_eq!(page["items"][0]["quilt_id"], id(2).as_str());
        let (_, page) = get(&app, &format!("/v1/quilt-patches?quilt_id={}&identifier=index.html", id(1))).await;
        assert_eq!(
            (identifiers(&page), page["items"][0]["tags"]["lang"].clone()),
            (vec!["index.html".into()], json!("en"))
        );
        let (_, page) = get(&app, "/v1/quilt-patches?identifier=missing.txt").await;
        assert_eq!(page["items"], json!([]));
        // Paged: two, then the last one.
        let (_, first) = get(&app, "/v1/quilt-patches?limit=2").await;
        let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
        let (_, rest) = get(&app, &format!("/v1/quilt-patches?limit=2&cursor={cursor}")).await;
        assert_eq!((identifiers(&first).len(), identifiers(&rest)), (2, vec!["index.html".to_owned()]));
        assert!(rest["next_cursor"].is_null());
        // Refusals name the parameter.
        for (uri, names) in [
            ("/v1/quilt-patches?tag_value=fr", "tag_value needs tag_key"),
            ("/v1/quilt-patches?identifier=", "identifier is empty"),
            ("/v1/quilt-patches?quilt_id=nope", "blob id \"nope\""),
        ] {
            let (status, body) = get(&app, uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            assert!(body["error"]["message"].as_str().unwrap().contains(names), "{uri}: {body}");
        }
    });
}

/// A stand-in aggregator: blob 1 is a quilt, blob 2 is not, blob 3 is unknown to the nodes for
/// two requests, blob 4 always fails. Counts the requests per blob.
#[derive(Debug, Default)]
struct Aggregator {
    requests: [AtomicU32; 5],
}

async fn patches(State(aggregator): State<Arc<Aggregator>>, Path(blob): Path<String>) -> axum::response::Response {
    let byte = (1..=4u8).find(|&b| id(b) == blob).expect("a known blob id");
    let seen = aggregator.requests[usize::from(byte)].fetch_add(1, Ordering::SeqCst) + 1;
    let listed = json!([{"identifier": "a.txt", "patch_id": "p-a", "tags": {"k": "v"}},
                        {"identifier": "b.txt", "patch_id": "p-b", "tags": {}}]);
    match byte {
        1 => axum::Json(listed).into_response(),
        2 => (StatusCode::UNPROCESSABLE_ENTITY, "not a quilt").into_response(),
        3 if seen <= 2 => (StatusCode::NOT_FOUND, "no metadata yet").into_response(),
        3 => axum::Json(json!([{"identifier": "late.txt", "patch_id": "p-late", "tags": {}}])).into_response(),
        _ => (StatusCode::BAD_GATEWAY, "nodes unreachable").into_response(),
    }
}

fn fetcher(backend: Backend) {
    let db = TestDb::new(backend);
    let mut chain = ChainBuilder::new();
    for byte in 1..=4 {
        index_blob(&db, &mut chain, byte, true);
    }
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(async {
        let aggregator = Arc::new(Aggregator::default());
        let app = axum::Router::new()
            .route("/v1/quilts/{blob}/patches", axum::routing::get(patches))
            .with_state(aggregator.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut source = QuiltSource::new(&url);
        source.first_backoff = Duration::from_millis(10);
        source.attempts = 4;
        source.concurrency = 2;
        let pool = db.pool();
        let done = QuiltFetcher::new(source).unwrap().run_once(&pool, 100).await.unwrap();
        assert_eq!(done, 4);
        let requests: Vec<u32> = aggregator.requests.iter().map(|r| r.load(Ordering::SeqCst)).collect();
        assert_eq!(requests[1..], [1, 1, 3, 4], "a plain blob is asked once; retries stop at 4");
        let mut conn = db.connect();
        assert_eq!((state(&mut conn, 1).state, state(&mut conn, 1).patch_count), ("quilt".to_owned(), 2));
        assert_eq!(state(&mut conn, 2).state, "not_quilt");
        assert_eq!((state(&mut conn, 3).state, state(&mut conn, 3).attempts), ("quilt".to_owned(), 3));
        let failed = state(&mut conn, 4);
        assert_eq!((failed.state.as_str(), failed.attempts), ("failed", 4));
        assert!(failed.error.as_deref().unwrap().contains("502"), "{failed:?}");
        let late = PatchFilter { identifier: Some("late.txt".into()), ..PatchFilter::default() };
        let found = quilts::patches(&mut conn, &late, PageRequest::default()).unwrap();
        assert_eq!((found.items.len(), found.items[0].quilt_id.as_str()), (1, id(3).as_str()));
        // Everything was asked about: nothing left, nothing asked again.
        assert!(quilts::pending(&mut conn, 100).unwrap().is_empty());
        assert_eq!(QuiltFetcher::new(QuiltSource::new(&url)).unwrap().run_once(&pool, 100).await.unwrap(), 0);
    });
}

fn state(conn: &mut DbConnection, byte: u8) -> QuiltCheckRow {
    quilts::check(conn, &id(byte)).unwrap().expect("the blob id was recorded")
}

//! The OpenAPI description and the explorer page against the router: the description names
//! exactly the served routes, live answers fit its schemas, and the page calls documented
//! paths and never writes data as markup.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use floe_chain::floe::events::{
    BlobRegistered, ChallengeOutcome, ChallengeWindowOpened, EpochChangeStart, RewardsWithheld, ShardsReceived, Staked,
    StakingPoolRegistered,
};
use floe_encoder::BlobId;
use serde_json::Value;
use tower::ServiceExt;

use super::fixtures::{Backend, ChainBuilder, TestDb, addr, floe_event, on_both_backends, written};
use crate::api::{EXPLORER_HTML, OPENAPI_JSON, paths, router};

on_both_backends! {
    live_answers_fit_the_openapi_schemas => live_answers;
}

fn spec() -> Value {
    serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON")
}

/// Follows a local `#/a/b/c` reference.
fn resolve<'a>(spec: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("non-local $ref {reference}"));
    spec.pointer(pointer).unwrap_or_else(|| panic!("$ref {reference} points at nothing"))
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("schema type {other} unknown to this checker"),
    }
}

/// Checks `value` against the subset of JSON Schema the description uses ($ref, type,
/// required, properties, additionalProperties: false, items, anyOf, enum), noting every
/// component schema that was exercised. Returns what did not fit, with where.
fn check(spec: &Value, schema: &Value, value: &Value, at: &str, used: &mut BTreeSet<String>) -> Vec<String> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if let Some(name) = reference.strip_prefix("#/components/schemas/") {
            used.insert(name.to_owned());
        }
        return check(spec, resolve(spec, reference), value, at, used);
    }
    if let Some(choices) = schema.get("anyOf").and_then(Value::as_array) {
        for choice in choices {
            let mut branch_used = BTreeSet::new();
            if check(spec, choice, value, at, &mut branch_used).is_empty() {
                used.extend(branch_used);
                return Vec::new();
            }
        }
        return vec![format!("{at}: fits none of anyOf: {value}")];
    }
    let mut problems = Vec::new();
    if let Some(types) = schema.get("type") {
        let names: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            other => panic!("{at}: bad type {other}"),
        };
        if !names.iter().any(|name| type_matches(name, value)) {
            return vec![format!("{at}: {value} is not {names:?}")];
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        problems.push(format!("{at}: {value} not in {allowed:?}"));
    }
    if let Value::Object(object) = value {
        let properties = schema.get("properties").and_then(Value::as_object);
        for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let key = required.as_str().unwrap_or_default();
            if !object.contains_key(key) {
                problems.push(format!("{at}: missing required {key}"));
            }
        }
        for (key, field) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(field_schema) => {
                    problems.extend(check(spec, field_schema, field, &format!("{at}.{key}"), used));
                }
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    problems.push(format!("{at}: {key} is not described"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            problems.extend(check(spec, item_schema, item, &format!("{at}[{i}]"), used));
        }
    }
    problems
}

/// Every `$ref` anywhere in the document, so a broken one fails even if no answer uses it.
fn collect_refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                out.push(reference);
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn openapi_paths_are_exactly_the_routes_served() {
    let spec = spec();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let documented: BTreeSet<&str> = spec["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    let served: BTreeSet<&str> = paths().into_iter().collect();
    assert_eq!(served.difference(&documented).collect::<Vec<_>>(), Vec::<&&str>::new(), "served but not documented");
    assert_eq!(documented.difference(&served).collect::<Vec<_>>(), Vec::<&&str>::new(), "documented but not served");
    for (path, item) in spec["paths"].as_object().unwrap() {
        let methods: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert_eq!(methods, ["get"], "{path}: the router serves GET only");
        // Path templates and declared path parameters name the same things.
        let in_template: BTreeSet<&str> =
            path.split('/').filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}')).collect();
        let declared: BTreeSet<&str> = item["get"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| match p.get("$ref").and_then(Value::as_str) {
                Some(reference) => resolve(&spec, reference),
                None => p,
            })
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(in_template, declared, "{path}: path parameters");
        assert!(item["get"]["responses"]["200"].is_object(), "{path}: no 200 answer");
    }
    let mut refs = Vec::new();
    collect_refs(&spec, &mut refs);
    assert!(refs.len() > 20);
    for reference in refs {
        resolve(&spec, reference);
    }
}

#[test]
fn ids_and_cursors_have_patterns_and_kinds_are_the_ones_written() {
    let spec = spec();
    let mut checked = 0;
    for item in spec["paths"].as_object().unwrap().values() {
        for parameter in item["get"]["parameters"].as_array().into_iter().flatten() {
            let parameter = match parameter.get("$ref").and_then(Value::as_str) {
                Some(reference) => resolve(&spec, reference),
                None => parameter,
            };
            let name = parameter["name"].as_str().unwrap();
            let schema = &parameter["schema"];
            match name {
                "blob_id" | "object_id" | "owner" | "node_id" | "tx" | "cursor" => {
                    let pattern = schema["pattern"].as_str();
                    assert!(pattern.is_some_and(|p| p.starts_with('^') && p.ends_with('$')), "{name}: {schema}");
                    checked += 1;
                }
                "kind" => {
                    let listed: Vec<&str> = schema["enum"]
                        .as_array()
                        .expect("kind lists its values")
                        .iter()
                        .map(|kind| kind.as_str().unwrap())
                        .collect();
                    assert_eq!(listed, crate::mapping::EVENT_KINDS);
                }
                "epoch" => assert_eq!(schema["minimum"], 0, "{schema}"),
                _ => {}
            }
        }
    }
    assert!(checked >= 10, "only {checked} id and cursor parameters");
}

async fn fetch(app: &axum::Router, uri: &str) -> (StatusCode, String, String) {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap();
    (status, content_type, String::from_utf8(bytes.to_vec()).unwrap())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Fills a database with one of each row kind, then asks every documented path (with ids that
/// exist) and checks each answer against the 200 schema; every component schema must have
/// been exercised, so none can go stale unnoticed.
fn live_answers(backend: Backend) {
    let db = TestDb::new(backend);
    let mut chain = ChainBuilder::new();
    let (alice, node) = (addr(0xa0), addr(0x40));
    let registered = BlobRegistered {
        epoch: 1,
        blob_id: BlobId([1; 32]),
        size: 100,
        encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
        end_epoch: 4,
        deletable: true,
        object_id: addr(1),
    };
    let blob_tx = chain.tx(alice, vec![floe_event(&registered)], vec![written(addr(1), alice)]);
    let node_events = vec![
        floe_event(&StakingPoolRegistered { epoch: 1, node_id: node, commission_rate: 250 }),
        floe_event(&Staked { epoch: 1, node_id: node, staked_wal_id: addr(0x77), amount: 9, activation_epoch: 2 }),
        floe_event(&EpochChangeStart { epoch: 2 }),
        floe_event(&ShardsReceived { epoch: 2, node_id: node, shards: vec![0, 2] }),
        floe_event(&ChallengeWindowOpened { epoch: 2, seed: vec![7; 32], opened_at_ms: 5 }),
        floe_event(&ChallengeOutcome { epoch: 2, node_id: node, passed: false, stake_support: 2 }),
        floe_event(&RewardsWithheld { epoch: 2, node_id: node, amount: 3 }),
    ];
    let node_tx = chain.tx(alice, node_events, vec![written(addr(0x77), alice)]);
    let checkpoint = chain.checkpoint(vec![blob_tx, node_tx]);
    db.ingester().apply(&[checkpoint]).unwrap();
    let listed = crate::quilts::ListedPatch {
        identifier: "index.html".into(),
        patch_id: "patch".into(),
        tags: serde_json::Map::from_iter([("content-type".to_owned(), Value::from("text/html"))]),
    };
    let outcome = crate::quilts::Outcome::Quilt(vec![listed]);
    crate::quilts::record(&mut db.connect(), &BlobId([1; 32]).to_string(), &outcome, 1, 0).unwrap();

    let spec = spec();
    let app = router(db.pool());
    let mut used = BTreeSet::new();
    runtime().block_on(async {
        for path in paths() {
            let uri =
                path.replace("{blob_id}", &BlobId([1; 32]).to_string()).replace("{object_id}", &addr(1).to_string());
            let (status, content_type, body) = fetch(&app, &uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {body}");
            let answer = &spec["paths"][path]["get"]["responses"]["200"]["content"];
            let (media, described) = answer.as_object().unwrap().iter().next().unwrap();
            assert!(content_type.starts_with(media.as_str()), "{uri}: {content_type} is not {media}");
            if media != "application/json" {
                continue;
            }
            let value: Value = serde_json::from_str(&body).unwrap();
            let problems = check(&spec, &described["schema"], &value, &uri, &mut used);
            assert!(problems.is_empty(), "{problems:#?}");
        }
        // The refusals have the documented shape too.
        let (status, _, body) = fetch(&app, "/v1/blobs?limit=0").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let bad_request = &spec["paths"]["/v1/blobs"]["get"]["responses"]["400"]["$ref"];
        let schema = &resolve(&spec, bad_request.as_str().unwrap())["content"]["application/json"]["schema"];
        let value: Value = serde_json::from_str(&body).unwrap();
        assert!(check(&spec, schema, &value, "400", &mut used).is_empty(), "{value}");
        let (status, _, body) = fetch(&app, &format!("/v1/objects/{}", addr(0x99))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(check(&spec, schema, &serde_json::from_str(&body).unwrap(), "404", &mut used).is_empty());
    });
    let components: BTreeSet<String> = spec["components"]["schemas"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        components.difference(&used).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "component schemas no live answer exercised"
    );
}

#[test]
fn the_checker_rejects_answers_that_drifted() {
    let spec = spec();
    let totals = resolve(&spec, "#/components/schemas/Totals");
    let good = serde_json::json!({"stored_bytes": 1, "blob_count": 1, "certified_count": 0,
        "wal_staked": 0, "event_count": 1, "checkpoint": null});
    let mut used = BTreeSet::new();
    assert!(check(&spec, totals, &good, "t", &mut used).is_empty());
    let mut extra = good.clone();
    extra["new_column"] = Value::from(3);
    assert_eq!(check(&spec, totals, &extra, "t", &mut used), ["t: new_column is not described"]);
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("wal_staked");
    assert_eq!(check(&spec, totals, &missing, "t", &mut used), ["t: missing required wal_staked"]);
    let mut wrong = good;
    wrong["checkpoint"] = Value::from("7");
    assert_eq!(check(&spec, totals, &wrong, "t", &mut used).len(), 1);
}

/// The API paths the page names as string literals ("/v1/...").
fn page_api_paths(html: &str) -> BTreeSet<&str> {
    html.match_indices("\"/v1/")
        .filter_map(|(at, _)| {
            let rest = &html[at + 1..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

#[test]
fn explorer_page_is_served_and_calls_documented_paths_only() {
    let db = TestDb::new(Backend::Sqlite);
    let app = router(db.pool());
    let spec = spec();
    runtime().block_on(async {
        let (status, content_type, body) = fetch(&app, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/html"), "{content_type}");
        assert_eq!(body, EXPLORER_HTML);
        let (status, content_type, body) = fetch(&app, "/v1/api").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "application/json");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), spec);
    });
    let html = EXPLORER_HTML;
    let used = page_api_paths(html);
    let documented: Vec<&str> = spec["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    for path in &used {
        // "/v1/blobs/" is the prefix the page appends an encoded id to.
        let known = documented
            .iter()
            .any(|d| d == path || (path.ends_with('/') && d.starts_with(path) && d[path.len()..].starts_with('{')));
        assert!(known, "the page calls {path}, which the API does not document");
    }
    for needed in [
        "/v1/blobs",
        "/v1/blobs/",
        "/v1/objects/",
        "/v1/events",
        "/v1/epochs",
        "/v1/committee",
        "/v1/pools",
        "/v1/stakes",
        "/v1/totals",
        "/v1/challenges",
        "/v1/api",
    ] {
        assert!(used.contains(needed), "the page does not use {needed}");
    }
    // Data only ever enters the DOM as text.
    for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("] {
        assert!(!html.contains(sink), "the page uses {sink}");
    }
    assert!(html.contains("textContent") || html.contains("createTextNode"));
    // No build step and nothing fetched from elsewhere: no external scripts or styles.
    assert!(!html.contains("<script src") && !html.contains("<link"), "external resources");
}

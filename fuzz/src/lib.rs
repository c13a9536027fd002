//! floe's fuzz targets: every decoder of bytes that come from someone else, fed arbitrary input.
//! Each target is a plain function of `&[u8]`, so the same code runs under libFuzzer
//! (`fuzz_targets/`, `scripts/fuzz`) and as an ordinary test over the corpus and seeds
//! (`tests/corpus.rs`). A target fails by panicking: a decoder must answer malformed input with an
//! error, and whatever it accepts must survive the checks its callers run next (verification
//! against metadata, a committee or keys) and re-encode to the same bytes where the format is
//! canonical.
//!
//! | target | decoder | who sends the bytes |
//! |---|---|---|
//! | `metadata` | `BlobMetadata::from_bcs` + `verify` | a writer uploading metadata, a node answering a read |
//! | `sliver` | `Sliver::from_bcs` + `verify_sliver` | a writer's upload, a node's answer |
//! | `recovery_symbols` | BCS `Vec<RecoverySymbol>` + `verify` | a peer helping recovery |
//! | `certificate` | BCS `Certificate` + `verify`, signer bitmaps | a client, the chain |
//! | `signed_messages` | every message `from_bytes`, BCS `SignedMessage` + `verify` | nodes and peers |
//! | `seal_object` | `EncryptedObject::from_bytes`, `decrypt`, the streaming reader | whoever stored the blob |
//! | `node_api` | sync pages, challenge requests and answers, status JSON, uploaded sliver batches | peers, clients |
//! | `publisher_query` | `PUT /v1/blobs?...` through the daemon's router | HTTP clients |
//! | `indexer_query` | every explorer route and query string through the indexer's router | HTTP clients |
//! | `keyserver_request` | the `fetch_key` body as the key server checks it | HTTP clients |

#[cfg(feature = "http")]
use std::sync::Arc;
use std::sync::OnceLock;

use floe_encoder::bls::{BlsPublicKey, BlsSecretKey, BlsSignature};
use floe_encoder::certificate::{Certificate, Committee, CommitteeMember, Threshold};
use floe_encoder::messages::{
    ChallengeOutcomeMessage, InvalidBlobIdMessage, ProofOfPossessionMessage, SignedMessage, StorageConfirmation,
    SyncShardRequest,
};
use floe_encoder::metadata::{BlobMetadata, VerifiedBlobMetadata};
use floe_encoder::recovery::RecoverySymbol;
use floe_encoder::{EncodedBlob, EncodingConfig, ShardIndex, Sliver, SliverType};

/// Shards of the fixtures' committee and encoding.
pub const N_SHARDS: u16 = 10;

/// What the targets check input against: one encoded blob, its verified metadata, a committee of
/// 4 members with known keys, Seal keys and a sealed object.
pub struct Fixture {
    /// The encoding configuration.
    pub config: EncodingConfig,
    /// A blob encoded under it.
    pub encoded: EncodedBlob,
    /// Its metadata, verified.
    pub metadata: VerifiedBlobMetadata,
    /// The committee's secret keys.
    pub keys: Vec<BlsSecretKey>,
    /// The committee.
    pub committee: Committee,
    /// Seal: the user keys that open [`Fixture::sealed`].
    pub user_keys: floe_seal::sealing::UserKeys,
    /// A sealed object (single-shot AES-GCM), BCS.
    pub sealed: Vec<u8>,
    /// A sealed object (chunked AES-GCM), BCS.
    pub sealed_chunked: Vec<u8>,
}

/// The fixture, built once per process.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let config = EncodingConfig::new(N_SHARDS).expect("a valid shard count");
        let blob: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
        let encoded = floe_encoder::encode(&config, &blob).expect("encodes");
        let metadata = encoded.metadata.clone();
        let keys: Vec<BlsSecretKey> = (0..4u8).map(|i| BlsSecretKey::from_seed(&[i + 1; 32])).collect();
        let weights = [3u16, 3, 2, 2];
        let members = keys
            .iter()
            .zip(weights)
            .enumerate()
            .map(|(i, (key, weight))| CommitteeMember {
                public_key: key.public_key(),
                weight,
                node_id: [u8::try_from(i).expect("few"); 32],
            })
            .collect();
        let committee = Committee::new(1, members).expect("a valid committee");
        let (user_keys, sealed, sealed_chunked) = seal_fixture();
        Fixture { config, encoded, metadata, keys, committee, user_keys, sealed, sealed_chunked }
    })
}

fn seal_fixture() -> (floe_seal::sealing::UserKeys, Vec<u8>, Vec<u8>) {
    use floe_seal::sealing::{KeyServer, Payload, encrypt, user_keys_from_master_keys};
    use floe_seal::{Identity, MasterKey};
    use rand::SeedableRng;
    // Key-server ids are `sui_sdk_types::Address`es, made here from their 32 bytes.
    let masters: Vec<(_, MasterKey)> = (0..3u8)
        .map(|i| ([i + 1; 32].into(), MasterKey::derive_from_seed(b"floe fuzz", u64::from(i))))
        .collect();
    let servers: Vec<KeyServer> = masters
        .iter()
        .map(|(object_id, master)| KeyServer { object_id: *object_id, public_key: master.public_key() })
        .collect();
    let identity = Identity::new([9; 32].into(), b"fuzz".to_vec());
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let data = b"a sealed secret for the fuzzers".repeat(5);
    let (single, _) = encrypt(&mut rng, &identity, &servers, 2, Payload::Aes256Gcm { data: &data, aad: Some(b"aad") })
        .expect("seals");
    let (chunked, _) =
        encrypt(&mut rng, &identity, &servers, 2, Payload::Aes256GcmChunked { data: &data, aad: None, chunk_size: 64 })
            .expect("seals");
    (user_keys_from_master_keys(&identity, &masters), single.to_bytes(), chunked.to_bytes())
}

/// The first byte picks a variant, the rest is the input.
fn split(data: &[u8]) -> (u8, &[u8]) {
    data.split_first().map_or((0, &[][..]), |(first, rest)| (*first, rest))
}

/// Blob metadata from a writer or a node: decode, verify against the blob id it claims and the
/// fixture's, re-encode.
pub fn metadata(data: &[u8]) {
    let fx = fixture();
    let Ok(metadata) = BlobMetadata::from_bcs(data) else { return };
    assert_eq!(metadata.to_bcs(), data, "BCS metadata re-encodes to the bytes it came from");
    let claimed = metadata.compute_blob_id();
    if let Ok(verified) = metadata.clone().verify(&fx.config, &claimed) {
        let _ = verified.symbol_size(&fx.config);
        for pair in 0..N_SHARDS {
            let _ = verified.pair(floe_encoder::SliverPairIndex(pair));
        }
        for sliver in fx.encoded.pairs.iter().map(|pair| &pair.primary) {
            let _ = verified.verify_sliver(&fx.config, sliver);
        }
    }
    let _ = metadata.verify(&fx.config, fx.metadata.blob_id());
}

/// A sliver from a writer or a node: decode along the axis the first byte picks, check it
/// against the fixture's metadata.
pub fn sliver(data: &[u8]) {
    let fx = fixture();
    let (selector, bytes) = split(data);
    let axis = if selector & 1 == 0 { SliverType::Primary } else { SliverType::Secondary };
    let Ok(sliver) = Sliver::from_bcs(axis, bytes) else { return };
    assert_eq!(sliver.to_bcs(), bytes, "BCS slivers re-encode to the bytes they came from");
    let _ = sliver.pair_index(N_SHARDS);
    for i in 0..sliver.n_symbols().min(64) + 1 {
        let _ = sliver.symbol(i);
    }
    let _ = fx.metadata.check_sliver_shape(&fx.config, &sliver);
    if fx.metadata.verify_sliver(&fx.config, &sliver).is_ok() {
        let _ = floe_encoder::recovery::recovery_symbols(&fx.config, &sliver, &[floe_encoder::SliverIndex(0)]);
    }
}

/// Recovery symbols from a peer: decode, verify each against the fixture's metadata.
pub fn recovery_symbols(data: &[u8]) {
    let fx = fixture();
    let Ok(symbols) = bcs::from_bytes::<Vec<RecoverySymbol>>(data) else { return };
    for symbol in &symbols {
        let _ = symbol.verify(&fx.config, &fx.metadata);
        let _ = (symbol.source_index(), symbol.target_index(), symbol.data().len());
    }
    let _ = floe_encoder::recovery::recover_sliver(
        &fx.config,
        &fx.metadata,
        SliverType::Primary,
        floe_encoder::SliverIndex(0),
        symbols,
    );
}

/// A certificate: decode, verify against the fixture committee at both thresholds; signer
/// bitmaps as the chain reads them.
pub fn certificate(data: &[u8]) {
    let fx = fixture();
    let _ = Certificate::signers_from_bitmap(&fx.committee, data);
    let Ok(certificate) = bcs::from_bytes::<Certificate>(data) else { return };
    let _ = certificate.message_epoch();
    let _ = certificate.signers_bitmap();
    for threshold in [Threshold::Quorum, Threshold::OneCorrectNode] {
        // `weight_of` takes signers already checked to be in range, as `verify` does first.
        if certificate.verify(&fx.committee, threshold).is_ok() {
            let _ = fx.committee.weight_of(&certificate.signers);
        }
    }
}

/// Signed messages: every message type's parser, keys and signatures, and a BCS
/// `SignedMessage` verified against each fixture key.
pub fn signed_messages(data: &[u8]) {
    let fx = fixture();
    let (selector, bytes) = split(data);
    match selector % 8 {
        0 => drop(StorageConfirmation::from_bytes(bytes)),
        1 => drop(ProofOfPossessionMessage::from_bytes(bytes)),
        2 => drop(InvalidBlobIdMessage::from_bytes(bytes)),
        3 => drop(SyncShardRequest::from_bytes(bytes)),
        4 => drop(ChallengeOutcomeMessage::from_bytes(bytes)),
        5 => drop(BlsPublicKey::from_bytes(bytes)),
        6 => drop(BlsSignature::from_bytes(bytes)),
        _ => {
            let Ok(signed) = bcs::from_bytes::<SignedMessage>(bytes) else { return };
            for key in &fx.keys {
                let _ = signed.verify(&key.public_key());
            }
            let _ = SyncShardRequest::verify(&signed);
            let _ = Certificate::aggregate(&fx.committee, vec![(0, signed.clone()), (1, signed)]);
        }
    }
}

/// A Seal encrypted object from whoever stored the blob: parse, re-encode, decrypt with the
/// fixture's keys (which fails for anything but the fixture's objects), and the streaming reader.
pub fn seal_object(data: &[u8]) {
    use floe_seal::EncryptedObject;
    let fx = fixture();
    if let Ok(object) = EncryptedObject::from_bytes(data) {
        assert_eq!(object.to_bytes(), data, "BCS objects re-encode to the bytes they came from");
        let _ = floe_seal::sealing::decrypt(&object, &fx.user_keys);
    }
    let _ = floe_seal::read_header(&mut &data[..]);
    let mut sink = Vec::new();
    let _ = floe_seal::decrypt_from_reader(&mut &data[..], &fx.user_keys, &mut sink);
}

/// The node API's wire types: a shard sync page (checked against a request), a challenge request
/// and answer (each answer verified), a blob status (JSON), a batch of uploaded slivers (each
/// made a sliver and checked against the metadata, as the node does).
pub fn node_api(data: &[u8]) {
    use floe_node_api::{ChallengeRequest, ChallengeResponse, BlobStatus, SampleAnswer, SliverBatch, SyncShardPage};
    let fx = fixture();
    let (selector, bytes) = split(data);
    match selector % 5 {
        0 => {
            // As the node client holds an answer: shared bytes the page's slivers are slices of.
            let answer = bytes::Bytes::copy_from_slice(bytes);
            let Ok(page) = bcs::from_bytes::<SyncShardPage<'_>>(&answer) else { return };
            let request = SyncShardRequest {
                epoch: 1,
                shard: ShardIndex(0),
                axis: SliverType::Primary,
                start: floe_encoder::BlobId([0; 32]),
                count: 10,
                requester: fx.keys[0].public_key(),
            };
            let _ = page.check(&fx.config, &request, &answer);
        }
        1 => {
            let Ok(request) = bcs::from_bytes::<ChallengeRequest>(bytes) else { return };
            let _ = request.samples.len();
        }
        2 => {
            let Ok(response) = bcs::from_bytes::<ChallengeResponse>(bytes) else { return };
            let request = bcs::from_bytes::<ChallengeRequest>(bytes).ok();
            for (i, answer) in response.answers.iter().enumerate() {
                if let (SampleAnswer::Answered(answer), Some(sample)) =
                    (answer, request.as_ref().and_then(|r| r.samples.get(i)))
                {
                    let _ = answer.verify(&fx.config, sample);
                }
            }
        }
        3 => {
            let Ok(batch) = SliverBatch::from_bcs(bytes) else { return };
            for batched in batch.slivers {
                if let Ok(sliver) = batched.into_sliver() {
                    let _ = fx.metadata.verify_sliver(&fx.config, &sliver);
                }
            }
        }
        _ => drop(serde_json::from_slice::<BlobStatus>(bytes)),
    }
}

#[cfg(feature = "http")]
/// A tokio runtime for the HTTP targets.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime"))
}

#[cfg(feature = "http")]
/// Sends `request` to `router`; its status. A server error (5xx) for input that only a client
/// could have got wrong fails the target unless `allowed_5xx` says the route may legitimately
/// fail that way without a chain.
fn answer(router: axum::Router, request: axum::http::Request<axum::body::Body>) -> u16 {
    use tower::ServiceExt;
    runtime().block_on(async move { router.oneshot(request).await.expect("routers are infallible").status().as_u16() })
}

#[cfg(feature = "http")]
/// A URI from fuzz bytes: path and query as sent, or none if it is not one hyper would accept.
fn uri(prefix: &str, data: &[u8]) -> Option<axum::http::Uri> {
    let text = std::str::from_utf8(data).ok()?;
    format!("{prefix}{text}").parse().ok()
}

#[cfg(feature = "http")]
/// The publisher's `PUT /v1/blobs?<query>` through the daemon's router, over a client with a
/// committee but no chain: a bad query is a 400 naming the parameter; a good one reaches the
/// store, which fails for want of a chain (503), never a panic or a 500.
pub fn publisher_query(data: &[u8]) {
    static ROUTER: OnceLock<axum::Router> = OnceLock::new();
    let router = ROUTER.get_or_init(|| {
        let fx = fixture();
        let members = fx
            .keys
            .iter()
            .enumerate()
            .map(|(i, key)| floe_client::StorageMember {
                node_id: floe_client::NodeId::from([u8::try_from(i).expect("few"); 32]),
                name: format!("node-{i}"),
                public_key: key.public_key(),
                shards: (0..N_SHARDS).filter(|s| usize::from(*s) % 4 == i).map(ShardIndex).collect(),
                url: "http://127.0.0.1:9".into(),
                network_key: None,
            })
            .collect();
        let committee = floe_client::StorageCommittee::new(1, N_SHARDS, members).expect("a valid committee");
        let client = floe_client::FloeClient::with_committees(committee, None, floe_client::Settings::default());
        floe_client::daemon::router(Arc::new(client), &floe_client::daemon::DaemonSettings::default())
    });
    let Some(uri) = uri("/v1/blobs?", data) else { return };
    let request = axum::http::Request::put(uri).body(axum::body::Body::from(&b"fuzz"[..])).expect("a request");
    let status = answer(router.clone(), request);
    assert!(status == 400 || status == 503 || status == 413 || status == 502, "PUT /v1/blobs?{data:?}: {status}");
}

#[cfg(feature = "http")]
/// Every explorer route with a fuzzed tail and query string, against an empty SQLite database:
/// malformed input is a 4xx, never a 5xx.
pub fn indexer_query(data: &[u8]) {
    static ROUTER: OnceLock<(axum::Router, tempfile::TempDir)> = OnceLock::new();
    let (router, _dir) = ROUTER.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = floe_indexer::DatabaseUrl::Sqlite(dir.path().join("fuzz.db"));
        floe_indexer::DbConnection::establish(&url).expect("SQLite opens").run_migrations().expect("migrations run");
        let pool = floe_indexer::Pool::builder()
            .max_size(2)
            .build(floe_indexer::ConnectionManager::new(url, None))
            .expect("a pool of SQLite connections");
        (floe_indexer::api::router(pool), dir)
    });
    let paths = floe_indexer::api::paths();
    let (selector, rest) = split(data);
    let route = paths[usize::from(selector) % paths.len()];
    // A route's parameters ({blob_id}, ...) take the fuzz bytes up to the first '?'.
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let (segment, query) = text.split_once('?').unwrap_or((text, ""));
    let mut path = String::new();
    let mut in_param = false;
    for c in route.chars() {
        match c {
            '{' => {
                in_param = true;
                path.push_str(segment);
            }
            '}' => in_param = false,
            c if !in_param => path.push(c),
            _ => {}
        }
    }
    let Ok(uri) = format!("{path}?{query}").parse::<axum::http::Uri>() else { return };
    let request = axum::http::Request::get(uri.clone()).body(axum::body::Body::empty()).expect("a request");
    let status = answer(router.clone(), request);
    assert!(status < 500, "GET {uri}: {status}");
}

#[cfg(feature = "http")]
/// The key server's `fetch_key` body, checked as the server does before it asks the chain.
pub fn keyserver_request(data: &[u8]) {
    let _ = floe_keyserver::check_fetch_key_body(data, 1_700_000_000_000);
}

/// Every target by name, for the corpus runner and `scripts/fuzz`.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("metadata", metadata),
    ("sliver", sliver),
    ("recovery_symbols", recovery_symbols),
    ("certificate", certificate),
    ("signed_messages", signed_messages),
    ("seal_object", seal_object),
    ("node_api", node_api),
    #[cfg(feature = "http")]
    ("publisher_query", publisher_query),
    #[cfg(feature = "http")]
    ("indexer_query", indexer_query),
    #[cfg(feature = "http")]
    ("keyserver_request", keyserver_request),
];

/// Writes `target`'s seeds into `fuzz/corpus/<target>/seed-<i>` (each fuzz target does so when
/// it starts, so libFuzzer begins from valid encodings rather than from nothing).
pub fn write_seeds(target: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    for (i, seed) in seeds(target).iter().enumerate() {
        let _ = std::fs::write(dir.join(format!("seed-{i}")), seed);
    }
}

/// Valid inputs for each target, so fuzzing starts from the formats rather than from nothing.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let fx = fixture();
    let signed = fx.keys[0].sign(b"fuzz");
    match target {
        "metadata" => vec![fx.metadata.metadata().to_bcs()],
        "sliver" => {
            let pair = &fx.encoded.pairs[1];
            vec![[&[0u8][..], &pair.primary.to_bcs()].concat(), [&[1u8][..], &pair.secondary.to_bcs()].concat()]
        }
        "recovery_symbols" => {
            let targets = [floe_encoder::SliverIndex(0), floe_encoder::SliverIndex(3)];
            let symbols =
                floe_encoder::recovery::recovery_symbols(&fx.config, &fx.encoded.pairs[2].secondary, &targets)
                    .expect("symbols");
            vec![bcs::to_bytes(&symbols).expect("serializes")]
        }
        "certificate" => {
            let confirmation = StorageConfirmation {
                epoch: 1,
                blob_id: *fx.metadata.blob_id(),
                persistence: floe_encoder::messages::BlobPersistence::Permanent,
            };
            let signed: Vec<(u16, SignedMessage)> =
                (0..3u16).map(|i| (i, confirmation.sign(&fx.keys[usize::from(i)]))).collect();
            let certificate = Certificate::aggregate(&fx.committee, signed).expect("aggregates");
            vec![bcs::to_bytes(&certificate).expect("serializes"), certificate.signers_bitmap()]
        }
        "signed_messages" => {
            let confirmation = StorageConfirmation {
                epoch: 1,
                blob_id: *fx.metadata.blob_id(),
                persistence: floe_encoder::messages::BlobPersistence::Permanent,
            };
            let signed_confirmation = confirmation.sign(&fx.keys[0]);
            vec![
                [&[0u8][..], &signed_confirmation.serialized].concat(),
                [&[5u8][..], &fx.keys[0].public_key().to_bytes()].concat(),
                [&[6u8][..], &signed.to_bytes()].concat(),
                [&[7u8][..], &bcs::to_bytes(&signed_confirmation).expect("serializes")].concat(),
            ]
        }
        "seal_object" => vec![fx.sealed.clone(), fx.sealed_chunked.clone()],
        "node_api" => {
            let pair = &fx.encoded.pairs[0];
            let batch = floe_node_api::SliverBatch::encode([(pair.index(), &pair.primary), (pair.index(), &pair.secondary)]);
            vec![
                b"\x04\"nonexistent\"".to_vec(),
                b"\x04{\"permanent\":{\"endEpoch\":3}}".to_vec(),
                [&[3u8][..], &batch.to_vec()].concat(),
            ]
        }
        "publisher_query" => vec![
            b"epochs=2".to_vec(),
            b"epochs=0".to_vec(),
            b"deletable=true&permanent=true".to_vec(),
            b"send_object_to=0x1&force=true".to_vec(),
        ],
        "indexer_query" => vec![b"\x00?limit=5&cursor=3".to_vec(), b"\x01abc?owner=0x2".to_vec()],
        "keyserver_request" => vec![
            br#"{"ptb":"AA==","enc_key":"AA==","enc_verification_key":"AA==","request_signature":"AA==","certificate":{}}"#
                .to_vec(),
        ],
        _ => Vec::new(),
    }
}

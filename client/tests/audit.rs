//! `floe_client::audit` against a node that forges: a loopback server answering
//! `POST /v1/challenge` honestly for one blob, with a flipped symbol for another, with the
//! proof of a third blob for a fourth, and "missing" for a fifth. The audit must call exactly
//! the honest answers valid, whatever samples its random seed draws.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::routing::post;
use floe_client::audit::{SampleResult, audit};
use floe_client::committee::{StorageCommittee, StorageMember};
use floe_encoder::bls::BlsSecretKey;
use floe_encoder::challenge::{ChallengeAnswer, ChallengeSample, EligibleBlobs};
use floe_encoder::mapping::pair_for_shard;
use floe_encoder::{BlobId, EncodedBlob, EncodingConfig, ShardIndex, encode};
use floe_node_api::{ChallengeRequest, ChallengeResponse, SampleAnswer, paths};

const N_SHARDS: u16 = 10;

/// How the forging node treats the samples of one blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Honest,
    FlipsASymbol,
    AnswersForAnotherBlob,
    Missing,
}

struct Forger {
    config: EncodingConfig,
    blobs: HashMap<BlobId, (EncodedBlob, Behaviour)>,
    /// The blob whose proofs the `AnswersForAnotherBlob` blobs get.
    other: BlobId,
}

impl Forger {
    fn honest_answer(&self, blob_id: &BlobId, sample: &ChallengeSample) -> ChallengeAnswer {
        let (encoded, _) = &self.blobs[blob_id];
        let sample = ChallengeSample { blob_id: *blob_id, ..*sample };
        let pair = pair_for_shard(sample.shard, blob_id, N_SHARDS);
        let sliver = encoded.pairs[pair.as_usize()].sliver(sample.axis);
        ChallengeAnswer::new(&self.config, &encoded.metadata, sliver, &sample).unwrap()
    }

    fn answer(&self, sample: &ChallengeSample) -> SampleAnswer {
        let Some((_, behaviour)) = self.blobs.get(&sample.blob_id) else {
            return SampleAnswer::Missing;
        };
        match behaviour {
            Behaviour::Honest => SampleAnswer::Answered(self.honest_answer(&sample.blob_id, sample)),
            Behaviour::FlipsASymbol => {
                let mut answer = self.honest_answer(&sample.blob_id, sample);
                answer.symbol[0] ^= 1;
                SampleAnswer::Answered(answer)
            }
            Behaviour::AnswersForAnotherBlob => SampleAnswer::Answered(self.honest_answer(&self.other, sample)),
            Behaviour::Missing => SampleAnswer::Missing,
        }
    }
}

async fn serve(forger: Arc<Forger>) -> String {
    let app = axum::Router::new().route(
        &paths::challenge(),
        post(move |body: Bytes| {
            let forger = forger.clone();
            async move {
                let request: ChallengeRequest = bcs::from_bytes(&body).unwrap();
                let answers = request.samples.iter().map(|s| forger.answer(s)).collect();
                bcs::to_bytes(&ChallengeResponse { answers }).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn committee(url: &str) -> StorageCommittee {
    let member = |i: u8, shards: std::ops::Range<u16>, url: String| StorageMember {
        node_id: [i; 32],
        name: format!("node-{i}"),
        public_key: BlsSecretKey::from_seed(&[i; 32]).public_key(),
        shards: shards.map(ShardIndex).collect(),
        url,
        network_key: None,
    };
    StorageCommittee::new(
        4,
        N_SHARDS,
        vec![member(1, 0..6, url.to_owned()), member(2, 6..10, "http://127.0.0.1:9".to_owned())],
    )
    .unwrap()
}

#[tokio::test]
async fn forged_answers_are_reported_invalid_and_only_honest_ones_valid() {
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let behaviours = [
        Behaviour::Honest,
        Behaviour::FlipsASymbol,
        Behaviour::AnswersForAnotherBlob,
        Behaviour::Missing,
        Behaviour::Honest,
    ];
    let mut blobs = HashMap::new();
    for (i, behaviour) in behaviours.iter().enumerate() {
        let encoded = encode(&config, format!("blob {i} kept for the audit").as_bytes()).unwrap();
        blobs.insert(*encoded.metadata.blob_id(), (encoded, *behaviour));
    }
    let other = *blobs.iter().find(|(_, (_, b))| *b == Behaviour::Honest).unwrap().0;
    let ids: Vec<BlobId> = blobs.keys().copied().collect();
    let behaviour_of: HashMap<String, Behaviour> = blobs.iter().map(|(id, (_, b))| (id.to_string(), *b)).collect();
    let url = serve(Arc::new(Forger { config, blobs, other })).await;
    let committee = committee(&url);

    // More samples than one request may carry, so batching is exercised too.
    let count = floe_node_api::challenge::MAX_CHALLENGE_SAMPLES + 44;
    let report =
        audit(&reqwest::Client::new(), &committee, &[1; 32], &EligibleBlobs::new(ids), count, Duration::from_secs(30))
            .await
            .unwrap();

    assert_eq!(report.samples, count);
    assert_eq!(report.valid + report.missing + report.invalid + report.unreachable, count);
    assert_eq!(report.unreachable, 0);
    assert!(!report.passed());
    for sample in &report.results {
        assert!(sample.shard < 6, "sample of shard {}, which node 1 does not hold", sample.shard);
        let expected = match behaviour_of[&sample.blob_id] {
            Behaviour::Honest => SampleResult::Valid,
            Behaviour::FlipsASymbol | Behaviour::AnswersForAnotherBlob => SampleResult::Invalid,
            Behaviour::Missing => SampleResult::Missing,
        };
        assert_eq!(sample.result, expected, "{sample:?}");
        assert_eq!(sample.reason.is_some(), expected == SampleResult::Invalid, "{sample:?}");
    }
    // With 300 uniform samples over five blobs, every behaviour is met (each is missed with
    // probability (4/5)^300).
    assert!(report.valid > 0 && report.invalid > 0 && report.missing > 0, "{report:?}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["results"].as_array().unwrap().len(), count);
    assert!(["valid", "invalid", "missing"].contains(&json["results"][0]["result"].as_str().unwrap()));
}

#[tokio::test]
async fn a_node_outside_the_committee_is_refused_with_the_members_named() {
    let committee = committee("http://127.0.0.1:9");
    let blobs = EligibleBlobs::new(vec![BlobId([5; 32])]);
    let error =
        audit(&reqwest::Client::new(), &committee, &[9; 32], &blobs, 3, Duration::from_secs(1)).await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("not a member") && text.contains("node-1") && text.contains("node-2"), "{text}");
}

#[tokio::test]
async fn an_unreachable_node_fails_every_sample_as_unreachable() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let committee = committee("http://127.0.0.1:9");
    let blobs = EligibleBlobs::new(vec![BlobId([5; 32])]);
    let report = audit(&reqwest::Client::new(), &committee, &[2; 32], &blobs, 5, Duration::from_secs(5)).await.unwrap();
    assert_eq!((report.samples, report.unreachable), (5, 5));
    assert!(!report.passed());
}

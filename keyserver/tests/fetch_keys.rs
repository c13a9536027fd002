//! Three key servers over an in-process devnet, threshold 2: each policy grants and denies
//! end to end (encrypt, fetch keys, decrypt), servers going down, and the server's refusals
//! under Seal's error names (PTB shape, forged and expired certificates, SDK headers, rate limits,
//! a stale chain view), and the answers in Seal's wire shape.

mod common;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{Net, now_ms, ptb, start, start_with};
use floe_chain::Keypair;
use floe_chain::floe::SharedObject;
use floe_devnet::SEAL_PACKAGE;
use floe_keyserver::access::PolicyAccount;
use floe_keyserver::api::{
    ErrorResponse, FetchKeyRequest, FetchKeyResponse, KEY_SERVER_VERSION, KEY_SERVER_VERSION_HEADER, SDK_TYPE_HEADER,
    SDK_VERSION_HEADER, ServiceResponse,
};
use floe_keyserver::{FetchError, fetch_and_decrypt, fetch_keys};
use floe_seal::session::SessionKey;
use floe_seal::{
    EncryptedObject, EncryptedUserKey, EphemeralSecret, Identity, KeyServer as SealServer, Payload, encrypt,
};
use sui_sdk_types::{Address, Owner, ProgrammableTransaction, StructTag, TypeTag};
use sui_transaction_builder::ObjectInput;

const THRESHOLD: u8 = 2;

fn encrypt_for(net: &Net, inner_id: &[u8], data: &[u8]) -> EncryptedObject {
    let servers: Vec<SealServer> =
        net.infos.iter().map(|s| SealServer { object_id: s.object_id, public_key: s.public_key }).collect();
    let identity = Identity::new(SEAL_PACKAGE, inner_id.to_vec());
    let (object, _) =
        encrypt(&mut rand::thread_rng(), &identity, &servers, THRESHOLD, Payload::Aes256Gcm { data, aad: None })
            .unwrap();
    object
}

async fn open(
    net: &Net,
    key: &Keypair,
    ptb: &ProgrammableTransaction,
    object: &EncryptedObject,
) -> Result<Vec<u8>, FetchError> {
    fetch_and_decrypt(&net.http, &net.infos, &net.session(key), ptb, object).await
}

fn assert_denied(result: Result<Vec<u8>, FetchError>, reason: &str) {
    match result {
        Err(FetchError::NotEnoughServers { answered: 0, failures, .. }) => {
            assert!(
                failures.iter().all(|f| f.reason.to_string().contains(reason)),
                "{failures:?} should all say {reason}"
            );
        }
        other => panic!("expected every server to refuse with {reason}, got {other:?}"),
    }
}

fn with_nonce(prefix: &Address, nonce: &[u8]) -> Vec<u8> {
    [prefix.as_bytes(), nonce].concat()
}

#[tokio::test]
async fn key_servers_prove_possession_of_their_registered_keys() {
    let net = start().await;
    for info in &net.infos {
        info.verify_service(&net.http).await.unwrap();
    }
    // A registration naming another server's URL is caught by the proof of possession.
    let mut impostor = net.infos[0].clone();
    impostor.url = net.infos[1].url.clone();
    assert!(impostor.verify_service(&net.http).await.is_err());
    net.shutdown().await;
}

#[tokio::test]
async fn owner_only_data_opens_for_the_owner_and_not_for_another_address() {
    let net = start().await;
    let id = with_nonce(&net.alice.address(), b"photo");
    let object = encrypt_for(&net, &id, b"alice's photo");
    let approve = ptb(|tx| net.seal().owner_seal_approve(tx, &id));
    assert_eq!(open(&net, &net.alice, &approve, &object).await.unwrap(), b"alice's photo");
    assert_denied(open(&net, &net.bob, &approve, &object).await, "NoAccess");
    net.shutdown().await;
}

#[tokio::test]
async fn allowlist_members_open_until_removed() {
    let net = start().await;
    let seal = net.seal();
    let bob = [net.bob.address()];
    let packages = net.devnet.deployment().packages;
    let alice = PolicyAccount::new(&net.client, &packages, &net.alice);
    let list = alice.create_allowlist("team").await.unwrap().object;
    let id = with_nonce(&list.id, b"doc");
    let object = encrypt_for(&net, &id, b"team doc");
    let approve = ptb(|tx| seal.allowlist_seal_approve(tx, &id, &list));

    assert_denied(open(&net, &net.bob, &approve, &object).await, "NoAccess");
    alice.update_allowlist(list.id, &bob, &[]).await.unwrap();
    assert_eq!(open(&net, &net.bob, &approve, &object).await.unwrap(), b"team doc");
    alice.update_allowlist(list.id, &[], &bob).await.unwrap();
    assert_denied(open(&net, &net.bob, &approve, &object).await, "NoAccess");
    net.shutdown().await;
}

#[tokio::test]
async fn subscribers_open_after_purchase_until_expiry() {
    let net = start().await;
    let seal = net.seal();
    let sui = TypeTag::Struct(Box::new(StructTag::sui()));
    // Long enough that the first open never races the expiry; the test moves the chain's clock.
    const TTL_MS: u64 = 3_600_000;
    let packages = net.devnet.deployment().packages;
    let alice = PolicyAccount::new(&net.client, &packages, &net.alice);
    let service = alice.create_service(&sui, 500, TTL_MS, "news").await.unwrap().object;
    let id = with_nonce(&service.id, b"issue-7");
    let object = encrypt_for(&net, &id, b"issue 7");
    let subscribe = |key: &Keypair| {
        let (net, sui, owner) = (&net, sui.clone(), key.address());
        let key = key.clone();
        async move {
            let bought = net
                .run(&key, |tx| {
                    let gas = tx.gas();
                    let fee = tx.pure(&500u64);
                    let payment = tx.split_coins(gas, vec![fee]).remove(0);
                    let subscription = seal.subscribe(tx, &sui, &service, payment);
                    seal.transfer_subscription(tx, subscription, owner);
                })
                .await;
            let id = *bought.created().iter().find(|o| o.owner == Owner::Address(owner)).unwrap().reference.object_id();
            net.client.get_object(id).await.unwrap()
        }
    };
    let approve_with = |subscription: &sui_sdk_types::Object| {
        let (sid, version, digest) = (subscription.object_id(), subscription.version(), subscription.digest());
        ptb(|tx| {
            let sub = tx.object(ObjectInput::owned(sid, version, digest));
            seal.subscription_seal_approve(tx, &sui, &id, sub, &service);
        })
    };

    // Before buying, bob can only present someone else's subscription, which the chain refuses.
    let alices = subscribe(&net.alice).await;
    assert_denied(open(&net, &net.bob, &approve_with(&alices), &object).await, "InvalidParameter");
    let bobs = subscribe(&net.bob).await;
    let approve = approve_with(&bobs);
    assert_eq!(open(&net, &net.bob, &approve, &object).await.unwrap(), b"issue 7");
    let created_at: floe_chain::floe::seal::Subscription =
        bcs::from_bytes(bobs.as_struct().unwrap().contents()).unwrap();
    // The policy reads the chain's Clock: past the expiry on the chain, the same approval fails.
    let advanced = net.devnet.advance_clock(Duration::from_millis(TTL_MS + 1_000)).await.unwrap();
    assert!(advanced.timestamp_ms.as_ms() > created_at.created_at_ms + TTL_MS);
    assert_denied(open(&net, &net.bob, &approve, &object).await, "NoAccess");
    net.shutdown().await;
}

#[tokio::test]
async fn time_locked_data_opens_at_its_unlock_time() {
    let net = start().await;
    let unlock = net.client.chain_time().await.unwrap().as_ms() + 3_600_000;
    let id = bcs::to_bytes(&unlock).unwrap();
    let object = encrypt_for(&net, &id, b"sealed bid");
    let approve = ptb(|tx| net.seal().time_lock_seal_approve(tx, &id));
    assert_denied(open(&net, &net.bob, &approve, &object).await, "NoAccess");
    // The policy reads the chain's Clock: once it passed the unlock time, the data opens.
    let advanced = net.devnet.advance_clock(Duration::from_millis(3_601_000)).await.unwrap();
    assert!(advanced.timestamp_ms.as_ms() > unlock);
    assert_eq!(open(&net, &net.bob, &approve, &object).await.unwrap(), b"sealed bid");
    net.shutdown().await;
}

#[tokio::test]
async fn one_server_down_still_opens_two_down_fails_clearly() {
    let mut net = start().await;
    let id = with_nonce(&net.alice.address(), b"x");
    let object = encrypt_for(&net, &id, b"resilient");
    let approve = ptb(|tx| net.seal().owner_seal_approve(tx, &id));
    net.stop_server(0).await;
    assert_eq!(open(&net, &net.alice, &approve, &object).await.unwrap(), b"resilient");
    net.stop_server(1).await;
    let err = open(&net, &net.alice, &approve, &object).await.unwrap_err();
    // Refused connections usually fail before the live server answers: 0 or 1 answered.
    assert!(
        matches!(err, FetchError::NotEnoughServers { servers: 3, threshold: 2, ref failures, .. } if failures.len() == 2)
    );
    let text = err.to_string();
    assert!(text.contains("of 3 key servers released valid keys, 2 needed"), "{text}");
    assert!(text.contains(&net.infos[0].url) && text.contains("request failed"), "{text}");
    net.shutdown().await;
}

#[tokio::test]
async fn fetched_keys_verify_and_cover_every_id_of_the_ptb() {
    let net = start().await;
    let ids: Vec<Vec<u8>> = (0..3u8).map(|i| with_nonce(&net.alice.address(), &[i])).collect();
    let approve = ptb(|tx| ids.iter().for_each(|id| net.seal().owner_seal_approve(tx, id)));
    let keys = fetch_keys(&net.http, &net.infos, 2, &net.session(&net.alice), &approve).await.unwrap();
    assert_eq!(keys.len(), 3);
    for id in &ids {
        let identity = Identity::new(SEAL_PACKAGE, id.clone());
        assert_eq!(keys.for_identity(&identity).unwrap().len(), 2, "stops at the threshold");
    }
    net.shutdown().await;
}

/// Posts a hand-made request to server 0 with Seal's SDK headers (as `@mysten/seal` 1.4.12 sends
/// them) and returns the answer.
async fn post_raw(net: &Net, request: &FetchKeyRequest, sdk: Option<(&str, &str)>) -> reqwest::Response {
    let mut post = net
        .http
        .post(format!("{}/v1/fetch_key", net.infos[0].url))
        .header("content-type", "application/json")
        .header("request-id", "test-request");
    if let Some((kind, version)) = sdk {
        post = post.header(SDK_TYPE_HEADER, kind).header(SDK_VERSION_HEADER, version);
    }
    post.body(serde_json::to_vec(request).unwrap()).send().await.unwrap()
}

/// [`post_raw`] as Seal's SDK, returning the status and error body.
async fn post(net: &Net, request: &FetchKeyRequest) -> (u16, ErrorResponse) {
    let answer = post_raw(net, request, Some(("typescript", "1.4.12"))).await;
    let status = answer.status().as_u16();
    (status, serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap())
}

fn request(session: &SessionKey, signer: &SessionKey, ptb: &ProgrammableTransaction) -> FetchKeyRequest {
    request_with_key(session, signer, ptb).1
}

fn request_with_key(
    session: &SessionKey,
    signer: &SessionKey,
    ptb: &ProgrammableTransaction,
) -> (EphemeralSecret, FetchKeyRequest) {
    let (secret, enc_key, enc_vk) = EphemeralSecret::generate(&mut rand::thread_rng());
    let ptb = bcs::to_bytes(ptb).unwrap();
    let (enc_key, enc_vk) = (enc_key.to_bytes(), enc_vk.to_bytes());
    let request = FetchKeyRequest {
        ptb: BASE64.encode(&ptb),
        enc_key: BASE64.encode(enc_key),
        enc_verification_key: BASE64.encode(enc_vk),
        request_signature: BASE64.encode(signer.sign_request(&ptb, &enc_key, &enc_vk).inner()),
        certificate: session.certificate(),
    };
    (secret, request)
}

#[tokio::test]
async fn requests_calling_other_functions_are_refused() {
    let net = start().await;
    let session = net.session(&net.alice);
    let list = SharedObject::new(Address::from_static("0x99"), 1);
    let sneaky = ptb(|tx| {
        net.seal().owner_seal_approve(tx, net.alice.address().as_bytes());
        let cap = tx.pure(&0u8);
        net.seal().allowlist_add(tx, &list, cap, Address::ZERO);
    });
    let (status, body) = post(&net, &request(&session, &session, &sneaky)).await;
    assert_eq!((status, body.error.as_str()), (403, "InvalidPTB"));
    assert!(body.message.contains("allowlist::add"), "{}", body.message);
    net.shutdown().await;
}

#[tokio::test]
async fn forged_and_expired_certificates_are_refused_with_seals_error_names() {
    let net = start().await;
    let approve = ptb(|tx| net.seal().owner_seal_approve(tx, net.bob.address().as_bytes()));
    // Alice's session claiming to be bob's: the user's signature is not bob's.
    let alices = net.session(&net.alice);
    let mut forged = request(&alices, &alices, &approve);
    forged.certificate.user = net.bob.address();
    let (status, body) = post(&net, &forged).await;
    assert_eq!((status, body.error.as_str()), (403, "InvalidSignature"));
    assert!(body.message.contains("signed by"), "{}", body.message);
    // A session that ended a minute ago.
    let expired = common::session(&net.bob, 1, now_ms() - 120_000);
    let (status, body) = post(&net, &request(&expired, &expired, &approve)).await;
    assert_eq!((status, body.error.as_str()), (403, "InvalidCertificate"));
    assert!(body.message.contains("expired"), "{}", body.message);
    // Bob's session signed for another package: the package is the PTB's, and bob never signed
    // the text for it.
    let elsewhere = SessionKey::create(
        &common::wallet(&net.bob),
        net.bob.address(),
        Address::from_static("0x77"),
        10,
        now_ms(),
        &mut rand::thread_rng(),
    )
    .unwrap();
    let (status, body) = post(&net, &request(&elsewhere, &elsewhere, &approve)).await;
    assert_eq!((status, body.error.as_str()), (403, "InvalidSignature"));
    assert!(body.message.contains(&SEAL_PACKAGE.to_string()), "{}", body.message);
    // Bob's certificate with a request signed by someone else's session key.
    let bobs = net.session(&net.bob);
    let (status, body) = post(&net, &request(&bobs, &alices, &approve)).await;
    assert_eq!((status, body.error.as_str()), (403, "InvalidSessionSignature"));
    // An MVR name is not resolved.
    let mut named = request(&bobs, &bobs, &approve);
    named.certificate.mvr_name = Some("@floe/seal".into());
    let (status, body) = post(&net, &named).await;
    assert_eq!((status, body.error.as_str()), (403, "InvalidMVRName"));
    net.shutdown().await;
}

#[tokio::test]
async fn a_granted_answer_is_in_seals_shape_with_the_version_header() {
    let net = start().await;
    let bobs = net.session(&net.bob);
    let approve = ptb(|tx| net.seal().owner_seal_approve(tx, net.bob.address().as_bytes()));
    let (secret, request) = request_with_key(&bobs, &bobs, &approve);
    let answer = post_raw(&net, &request, Some(("typescript", "1.4.12"))).await;
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(answer.headers().get(KEY_SERVER_VERSION_HEADER).unwrap(), KEY_SERVER_VERSION);
    let json: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    // The id is a JSON array of bytes: package id ‖ inner id.
    let full_id = Identity::new(SEAL_PACKAGE, net.bob.address().as_bytes().to_vec()).full_id();
    let id: Vec<u8> = serde_json::from_value(json["decryption_keys"][0]["id"].clone()).unwrap();
    assert_eq!(id, full_id);
    let response: FetchKeyResponse = serde_json::from_value(json).unwrap();
    let part = |i: usize| -> [u8; 48] {
        BASE64.decode(&response.decryption_keys[0].encrypted_key[i]).unwrap().try_into().unwrap()
    };
    let encrypted = EncryptedUserKey::from_bytes(&[part(0), part(1)]).unwrap();
    let server = &net.infos[0];
    secret.decrypt_and_verify(&encrypted, &full_id, &server.public_key, server.object_id).unwrap();
    net.shutdown().await;
}

#[tokio::test]
async fn sdk_headers_are_required_and_old_sdks_are_told_to_upgrade() {
    let net = start().await;
    let bobs = net.session(&net.bob);
    let approve = ptb(|tx| net.seal().owner_seal_approve(tx, net.bob.address().as_bytes()));
    let cases = [
        (None, 400, "InvalidSDKVersion"),
        (Some(("typescript", "1.4")), 400, "InvalidSDKVersion"),
        (Some(("typescript", "0.4.4")), 426, "DeprecatedSDKVersion"),
        (Some(("cobol", "1.0.0")), 400, "InvalidSDKType"),
    ];
    for (sdk, status, error) in cases {
        let answer = post_raw(&net, &request(&bobs, &bobs, &approve), sdk).await;
        // Refusals name the protocol version too.
        assert_eq!(answer.headers().get(KEY_SERVER_VERSION_HEADER).unwrap(), KEY_SERVER_VERSION);
        assert_eq!(answer.status().as_u16(), status, "{sdk:?}");
        let body: ErrorResponse = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
        assert_eq!(body.error, error, "{sdk:?}: {}", body.message);
    }
    // floe's own client type is accepted.
    let answer = post_raw(&net, &request(&bobs, &bobs, &approve), Some(("rust", "0.1.0"))).await;
    assert_eq!(answer.status().as_u16(), 200);
    net.shutdown().await;
}

#[tokio::test]
async fn service_answers_for_its_object_and_refuses_others() {
    let net = start().await;
    let server = &net.infos[1];
    server.verify_service(&net.http).await.unwrap();
    let answer =
        net.http.get(format!("{}/v1/service?service_id={}", server.url, net.infos[0].object_id)).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let body: ErrorResponse = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body.error, "InvalidServiceId");
    let answer = net.http.get(format!("{}/v1/service", server.url)).send().await.unwrap();
    assert_eq!(answer.headers().get(KEY_SERVER_VERSION_HEADER).unwrap(), KEY_SERVER_VERSION);
    let service: ServiceResponse = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(service.service_id, server.object_id);
    net.shutdown().await;
}

#[tokio::test]
async fn a_user_over_the_rate_limit_is_told_to_retry() {
    let net = start_with(|config| {
        config.rate_per_second = 1;
        config.rate_burst = 2;
    })
    .await;
    let session = net.session(&net.alice);
    let approve = ptb(|tx| net.seal().owner_seal_approve(tx, net.alice.address().as_bytes()));
    let statuses: Vec<u16> = {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let answer = post_raw(&net, &request(&session, &session, &approve), Some(("rust", "0.1.0"))).await;
            statuses.push(answer.status().as_u16());
        }
        statuses
    };
    assert_eq!(statuses, vec![200, 200, 429]);
    net.shutdown().await;
}

#[tokio::test]
async fn one_ip_address_over_its_rate_is_refused_before_any_signature_is_checked() {
    let net = start_with(|config| {
        config.ip_rate_per_second = 1;
        config.ip_rate_burst = 2;
    })
    .await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        // Not even JSON: the first two get the parse error, the third the IP limit.
        let answer = net
            .http
            .post(format!("{}/v1/fetch_key", net.infos[0].url))
            .header("content-type", "application/json")
            .body("not a request")
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let body: ErrorResponse = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
        answers.push((status, body));
    }
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses, vec![400, 400, 429], "{answers:?}");
    let (_, limited) = &answers[2];
    assert_eq!(limited.error, "RateLimited");
    assert!(
        limited.message.contains("127.0.0.1") && limited.message.contains("1 requests per second"),
        "{}",
        limited.message
    );
    net.shutdown().await;
}

#[tokio::test]
async fn a_stale_chain_view_is_refused() {
    // No checkpoint is ever younger than 1 ms by the time a request arrives.
    let net = start_with(|config| config.max_staleness = Duration::from_millis(1)).await;
    let session = net.session(&net.alice);
    let approve = ptb(|tx| net.seal().owner_seal_approve(tx, net.alice.address().as_bytes()));
    let (status, body) = post(&net, &request(&session, &session, &approve)).await;
    assert_eq!((status, body.error.as_str()), (503, "Failure"));
    assert!(body.message.contains("bound is 1 ms"), "{}", body.message);
    net.shutdown().await;
}

//! Private blobs end to end on a local network with 3 key servers, threshold 2: data sealed for
//! an owner, an allowlist, a subscription service or a time lock is stored as an ordinary blob
//! (nodes see only ciphertext), read back, and opened by whoever the policy admits, even with one
//! key server down.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use floe_chain::floe::SealCalls;
use floe_chain::{ChainClient, Executed, Executor, Keypair, gas_budget};
use floe_client::{NoProgress, StoreOptions};
use floe_keyserver::access::PolicyAccount;
use floe_keyserver::private_blob::{Approval, Policy, PrivateBlobError, open_blob, seal_blob};
use floe_keyserver::{FetchError, KeyServerInfo};
use floe_seal::session::SessionKey;
use floe_tests::{SMALL, TestNet, random_bytes};
use sui_transaction_builder::TransactionBuilder;

const THRESHOLD: u8 = 2;

struct Private {
    net: TestNet,
    chain: ChainClient,
    seal: SealCalls,
    servers: Vec<KeyServerInfo>,
    http: reqwest::Client,
    user: Keypair,
    bob: Keypair,
}

impl Private {
    async fn start() -> Self {
        let net = TestNet::start_with_key_servers(SMALL, 3).await;
        let chain = net.localnet.chain();
        let seal = SealCalls::new(&net.localnet.deployment().packages);
        let mut servers = Vec::new();
        for entry in net.localnet.key_servers() {
            servers.push(KeyServerInfo::from_chain(&chain, entry.object_id).await.unwrap());
        }
        let user = net.localnet.user_key();
        let bob = Keypair::from_secret_bytes([0xb0; 32]);
        let this = Self { net, chain, seal, servers, http: reqwest::Client::new(), user, bob };
        // Key servers simulate the approval as the reader, which needs a SUI coin for gas.
        let bob = this.bob.address();
        this.run(|tx| {
            let amount = tx.pure(&1_000_000_000u64);
            let gas = tx.gas();
            let coin = tx.split_coins(gas, vec![amount]).remove(0);
            let to = tx.pure(&bob);
            tx.transfer_objects(vec![coin], to);
        })
        .await;
        this
    }

    /// Signs and executes what `build` adds, as the funded user.
    async fn run(&self, build: impl FnOnce(&mut TransactionBuilder)) -> Executed {
        Executor::new(self.chain.clone(), self.user.clone()).run(gas_budget::CALL, build).await.unwrap()
    }

    /// Seals `data` for `policy` and stores the sealed bytes; returns what the nodes hold.
    async fn store_sealed(&self, policy: &Policy, data: &[u8]) -> floe_encoder::BlobId {
        let sealed =
            seal_blob(&mut rand::thread_rng(), self.seal.package, policy, &self.servers, THRESHOLD, data).unwrap();
        let client = self.net.localnet.client().await.unwrap();
        client.store(sealed, &StoreOptions::default(), &NoProgress).await.unwrap().blob_id()
    }

    /// Reads the blob back and tries to open it as `reader`, presenting what `policy` asks of
    /// the reader.
    async fn open(
        &self,
        reader: &Keypair,
        policy: &Policy,
        blob_id: &floe_encoder::BlobId,
    ) -> Result<Vec<u8>, PrivateBlobError> {
        let packages = &self.net.localnet.deployment().packages;
        let approval = Approval::for_reader(&self.chain, packages, policy.clone(), reader.address()).await?;
        self.open_with(reader, &approval, blob_id).await
    }

    async fn open_with(
        &self,
        reader: &Keypair,
        approval: &Approval,
        blob_id: &floe_encoder::BlobId,
    ) -> Result<Vec<u8>, PrivateBlobError> {
        let client = self.net.localnet.client().await.unwrap();
        let bytes = client.read(blob_id, &NoProgress).await.unwrap();
        let session =
            SessionKey::create(reader, reader.address(), self.seal.package, 10, now_ms(), &mut rand::thread_rng())
                .unwrap();
        open_blob(&self.http, &self.servers, &session, &self.seal, approval, &bytes).await
    }

    fn account<'a>(&'a self, key: &'a Keypair) -> PolicyAccount<'a> {
        PolicyAccount::new(&self.chain, &self.net.localnet.deployment().packages, key)
    }
}

fn assert_refused(result: Result<Vec<u8>, PrivateBlobError>) {
    match result {
        Err(PrivateBlobError::Fetch(FetchError::NotEnoughServers { answered: 0, failures, .. })) => {
            assert!(
                failures.iter().all(|f| f.reason.to_string().contains("NoAccess")),
                "{failures:?} should all say NoAccess"
            );
        }
        other => panic!("expected every key server to refuse with NoAccess, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_only_blob_is_stored_as_ciphertext_and_opens_only_for_its_owner() {
    let net = Private::start().await;
    let data = random_bytes(200_000, 11);
    let owner = Policy::Owner(net.user.address());
    let blob_id = net.store_sealed(&owner, &data).await;

    // What the nodes and the aggregator serve is the sealed object, not the plaintext.
    let stored = net.net.localnet.client().await.unwrap().read(&blob_id, &NoProgress).await.unwrap();
    assert_ne!(stored, data);
    assert!(!stored.windows(64).any(|w| w == &data[..64]), "a plaintext run appears in the stored blob");
    let served = net
        .http
        .get(format!("{}/v1/blobs/{blob_id}", net.net.localnet.daemon_url().expect("the daemon runs")))
        .send()
        .await
        .unwrap();
    assert_eq!(served.bytes().await.unwrap().as_ref(), stored.as_slice(), "the aggregator serves the ciphertext");

    assert_eq!(net.open(&net.user, &owner, &blob_id).await.unwrap(), data);
    assert_refused(net.open(&net.bob, &owner, &blob_id).await);
    // Claiming the blob is under bob's own owner policy does not match its identity.
    let err = net.open(&net.bob, &Policy::Owner(net.bob.address()), &blob_id).await.unwrap_err();
    assert!(matches!(err, PrivateBlobError::WrongPolicy { .. }), "{err}");
    net.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowlist_blob_opens_for_a_member_until_removed() {
    let net = Private::start().await;
    let list = net.account(&net.user).create_allowlist("team").await.unwrap().object;
    let policy = Policy::Allowlist(list);
    let data = b"the team's plans".to_vec();
    let blob_id = net.store_sealed(&policy, &data).await;
    // The reader finds the policy from the sealed identity.
    let packages = &net.net.localnet.deployment().packages;
    assert_eq!(Policy::resolve(&net.chain, packages, list.id.as_bytes(), net.bob.address()).await.unwrap(), policy);

    assert_refused(net.open(&net.bob, &policy, &blob_id).await);
    let bob = [net.bob.address()];
    let members = net.account(&net.user).update_allowlist(list.id, &bob, &[]).await.unwrap().list;
    assert_eq!(members, bob);
    assert_eq!(net.open(&net.bob, &policy, &blob_id).await.unwrap(), data);
    net.account(&net.user).update_allowlist(list.id, &[], &bob).await.unwrap();
    assert_refused(net.open(&net.bob, &policy, &blob_id).await);
    net.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_key_server_down_still_opens_and_two_down_fail_clearly() {
    let mut net = Private::start().await;
    let owner = Policy::Owner(net.user.address());
    let data = random_bytes(10_000, 12);
    let blob_id = net.store_sealed(&owner, &data).await;
    net.net.localnet.stop_key_server(0).await.unwrap();
    assert_eq!(net.open(&net.user, &owner, &blob_id).await.unwrap(), data);
    net.net.localnet.stop_key_server(1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = net.open(&net.user, &owner, &blob_id).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, PrivateBlobError::Fetch(FetchError::NotEnoughServers { threshold: 2, servers: 3, .. })),
        "{text}"
    );
    assert!(text.contains("of 3 key servers released valid keys, 2 needed"), "{text}");
    net.net.shutdown().await;
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_blob_opens_after_purchase_until_the_subscription_expires() {
    let net = Private::start().await;
    let packages = net.net.localnet.deployment().packages;
    // Long enough that the first open never races the expiry (the test moves the chain's clock),
    // short enough that moving past it ends no epoch (an hour).
    const TTL_MS: u64 = 300_000;
    // A service paid in SUI, run by the user; bob buys access.
    let sui = sui_sdk_types::TypeTag::Struct(Box::new(sui_sdk_types::StructTag::sui()));
    let created = net.account(&net.user).create_service(&sui, 1_000, TTL_MS, "news").await.unwrap();
    let policy = Policy::Subscription { service: created.object, coin_type: sui };
    let data = random_bytes(50_000, 13);
    let blob_id = net.store_sealed(&policy, &data).await;
    let sealed_id = {
        let bytes = net.net.localnet.client().await.unwrap().read(&blob_id, &NoProgress).await.unwrap();
        floe_keyserver::private_blob::parse_sealed(&bytes).unwrap().header.id
    };
    // The reader finds the service from the sealed identity alone.
    assert_eq!(Policy::resolve(&net.chain, &packages, &sealed_id, net.bob.address()).await.unwrap(), policy);

    // Before buying: bob has nothing to present, and presenting the owner's subscription fails.
    let err = net.open(&net.bob, &policy, &blob_id).await.unwrap_err();
    assert!(matches!(err, PrivateBlobError::NoSubscription { .. }), "{err}");
    net.account(&net.user).subscribe(created.object.id).await.unwrap();
    let users = Approval::for_reader(&net.chain, &packages, policy.clone(), net.user.address()).await.unwrap();
    let err = net.open_with(&net.bob, &users, &blob_id).await.unwrap_err();
    assert!(matches!(err, PrivateBlobError::Fetch(FetchError::NotEnoughServers { answered: 0, .. })), "{err}");

    let balance_before = net.chain.balance(net.user.address(), &sui_sdk_types::StructTag::sui()).await.unwrap();
    let subscription = net.account(&net.bob).subscribe(created.object.id).await.unwrap();
    assert_eq!(subscription.service_id, created.object.id);
    let balance_after = net.chain.balance(net.user.address(), &sui_sdk_types::StructTag::sui()).await.unwrap();
    assert_eq!(balance_after, balance_before + 1_000, "the fee goes to the service owner");
    assert_eq!(net.open(&net.bob, &policy, &blob_id).await.unwrap(), data);

    // After expiry (chain clock), the same subscription is refused.
    let advanced = net.net.localnet.devnet().advance_clock(Duration::from_millis(TTL_MS + 1_000)).await.unwrap();
    assert!(advanced.timestamp_ms.as_ms() > subscription.created_at_ms + TTL_MS);
    assert_refused(net.open(&net.bob, &policy, &blob_id).await);
    net.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_locked_blob_opens_for_anyone_once_its_time_has_come() {
    let net = Private::start().await;
    // Far enough ahead that storing and a first read finish before it, even on a loaded machine
    // (the test moves the chain's clock past it), and short of the epoch's end (an hour).
    let unlock_ms = net.chain.chain_time().await.unwrap().as_ms() + 300_000;
    let policy = Policy::TimeLock { unlock_ms };
    let data = b"sealed bids: 42 WAL".to_vec();
    let blob_id = net.store_sealed(&policy, &data).await;
    assert_refused(net.open(&net.bob, &policy, &blob_id).await);
    // A reader claiming another unlock time does not match the sealed identity.
    let err = net.open(&net.bob, &Policy::TimeLock { unlock_ms: 1 }, &blob_id).await.unwrap_err();
    assert!(matches!(err, PrivateBlobError::WrongPolicy { .. }), "{err}");
    let advanced = net.net.localnet.devnet().advance_clock(Duration::from_millis(301_000)).await.unwrap();
    assert!(advanced.timestamp_ms.as_ms() > unlock_ms);
    assert_eq!(net.open(&net.bob, &policy, &blob_id).await.unwrap(), data);
    assert_eq!(net.open(&net.user, &policy, &blob_id).await.unwrap(), data);
    net.net.shutdown().await;
}

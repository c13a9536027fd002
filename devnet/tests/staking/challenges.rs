//! Storage challenges on chain (`floe::challenges`): the once-per-epoch window with its seed
//! from the devnet's `Random` (0x8), outcomes recorded from quorum certificates checked with real
//! BLS, and the rewards withheld from a node attested to have failed. Twins of
//! `move/floe/tests/challenge_tests.move`, which cannot check signatures.

use floe_chain::ExecuteError;
use floe_chain::Executed;
use floe_chain::floe::FloeEvent;
use floe_chain::floe::calls::CertificateBytes;
use floe_chain::floe::events::{ChallengeOutcome, ChallengeWindowOpened, RewardsDistributed, RewardsWithheld};
use floe_devnet::{Field, RANDOM, RandomInner, RandomValue, field_id, generate_32_bytes, random_type};
use floe_encoder::bls::BlsSignature;
use floe_encoder::messages::ChallengeOutcomeMessage;
use sui_sdk_types::{Address, Owner, TypeTag};

use super::net::{StakedNet, abort_of, at};

/// Anyone (alice) opens the current epoch's window.
async fn open(net: &StakedNet) -> Result<Executed, ExecuteError> {
    net.run_as(&net.alice, |tx| net.calls.open_challenge_window(tx)).await
}

/// Anyone (alice) submits a challenge outcome certificate.
async fn record(net: &StakedNet, certificate: &CertificateBytes) -> Result<Executed, ExecuteError> {
    net.run_as(&net.alice, |tx| net.calls.record_challenge_outcome(tx, certificate)).await
}

/// A certificate over `message` signed by nodes `signers` (registration order), the bitmap in
/// the order of the System's current committee.
async fn certificate(net: &StakedNet, signers: &[usize], message: &[u8]) -> CertificateBytes {
    let committee = net.system().await.committee;
    let pool_ids = net.staking().await.pool_ids;
    let mut bitmap = vec![0u8; committee.members.len().div_ceil(8)];
    let mut signatures = Vec::new();
    for (position, member) in committee.members.iter().enumerate() {
        let i = pool_ids.iter().position(|id| *id == member.node_id).unwrap();
        if signers.contains(&i) {
            bitmap[position / 8] |= 1 << (position % 8);
            signatures.push(net.keys[i].sign(message));
        }
    }
    CertificateBytes {
        signature: BlsSignature::aggregate(&signatures).unwrap().to_bytes().to_vec(),
        signers_bitmap: bitmap,
        message: message.to_vec(),
    }
}

/// The outcome message for node `i` in the current epoch.
async fn outcome(net: &StakedNet, i: usize, passed: bool) -> Vec<u8> {
    let epoch = net.staking().await.epoch;
    let node_id = net.node_id(i).await.into_inner();
    ChallengeOutcomeMessage { epoch, node_id, passed }.to_bytes()
}

fn opened(net: &StakedNet, executed: &Executed) -> ChallengeWindowOpened {
    match net.events(executed).as_slice() {
        [FloeEvent::ChallengeWindowOpened(opened)] => opened.clone(),
        other => panic!("expected one ChallengeWindowOpened, got {other:?}"),
    }
}

/// The inner state of the devnet's `Random`, as a full node serves it.
async fn random_inner(net: &StakedNet) -> RandomInner {
    let random: RandomValue = net.read(RANDOM).await;
    let field = field_id(random.inner.id, &TypeTag::U64, &1u64);
    net.read::<Field<u64, RandomInner>>(field).await.value
}

#[tokio::test]
async fn the_window_opens_once_per_epoch_after_sync_with_a_fresh_32_byte_seed() {
    let net = StakedNet::start(10).await;
    // Epoch 1 started at genesis; nobody reported its shards yet.
    assert_eq!(abort_of(open(&net).await), at("staking_inner", 0));
    net.sync_all().await;
    let executed = open(&net).await.unwrap();
    let first = opened(&net, &executed);
    assert_eq!(first.epoch, 1);
    assert_eq!(first.seed.len(), 32);
    let state = net.staking().await.challenges;
    assert_eq!((state.epoch, state.seed.as_ref(), state.opened_at_ms), (1, Some(&first.seed), first.opened_at_ms));
    assert!(first.opened_at_ms > 0);
    // Once per epoch.
    assert_eq!(abort_of(open(&net).await), at("staking_inner", 13));

    net.change_epoch().await;
    let state = net.staking().await.challenges;
    assert_eq!((state.epoch, state.seed, state.opened_at_ms), (2, None, 0));
    let second = opened(&net, &open(&net).await.unwrap());
    assert_eq!(second.epoch, 2);
    assert_eq!(second.seed.len(), 32);
    assert_ne!(second.seed, first.seed);
}

#[tokio::test]
async fn the_seed_is_what_suis_generator_draws_from_the_refreshed_round() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    let before = random_inner(&net).await;
    let executed = open(&net).await.unwrap();
    let seed = opened(&net, &executed).seed;
    let after = random_inner(&net).await;
    // The round was refreshed for the opening transaction: new bytes, the next round.
    assert_eq!(after.random_bytes.len(), 32);
    assert_ne!(after.random_bytes, before.random_bytes);
    assert!(after.randomness_round >= before.randomness_round);
    // `new_generator` keys the seed with the transaction's first fresh object address.
    let fresh = Address::derive_id(executed.digest, 0);
    assert_eq!(seed, generate_32_bytes(&after.random_bytes, fresh).to_vec());
    // Every later use draws another round.
    net.change_epoch().await;
    open(&net).await.unwrap();
    let next = random_inner(&net).await;
    assert_eq!(next.randomness_round, after.randomness_round + 1);
    assert_ne!(next.random_bytes, after.random_bytes);
}

#[tokio::test]
async fn quorum_pass_and_fail_certificates_are_recorded_with_events() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    let pass = certificate(&net, &[0, 1, 2], &outcome(&net, 0, true).await).await;
    // No window yet.
    assert_eq!(abort_of(record(&net, &pass).await), at("staking_inner", 14));
    open(&net).await.unwrap();

    let executed = record(&net, &pass).await.unwrap();
    let (node0, node2) = (net.node_id(0).await, net.node_id(2).await);
    // Nodes 0, 1, 2 hold 3 + 3 + 2 shards.
    assert_eq!(
        net.events(&executed),
        vec![FloeEvent::ChallengeOutcome(ChallengeOutcome {
            epoch: 1,
            node_id: node0,
            passed: true,
            stake_support: 8
        })]
    );
    let fail = certificate(&net, &[0, 1, 2, 3], &outcome(&net, 2, false).await).await;
    let executed = record(&net, &fail).await.unwrap();
    assert_eq!(
        net.events(&executed),
        vec![FloeEvent::ChallengeOutcome(ChallengeOutcome {
            epoch: 1,
            node_id: node2,
            passed: false,
            stake_support: 10
        })]
    );
    let state = net.staking().await.challenges;
    assert_eq!((state.passed, state.failed), (vec![node0], vec![node2]));

    // One outcome per node and epoch, whichever way.
    let again = certificate(&net, &[0, 1, 2], &outcome(&net, 0, false).await).await;
    assert_eq!(abort_of(record(&net, &again).await), at("staking_inner", 15));
    // Only for a node of the current committee.
    let stranger = ChallengeOutcomeMessage { epoch: 1, node_id: [0x77; 32], passed: false }.to_bytes();
    let stranger = certificate(&net, &[0, 1, 2], &stranger).await;
    assert_eq!(abort_of(record(&net, &stranger).await), at("staking_inner", 8));
    // The message's own checks: another epoch, a trailing byte, an outcome byte of 2.
    let other_epoch = ChallengeOutcomeMessage { epoch: 2, node_id: node0.into_inner(), passed: true }.to_bytes();
    let other_epoch = certificate(&net, &[0, 1, 2], &other_epoch).await;
    assert_eq!(abort_of(record(&net, &other_epoch).await), at("messages", 2));
    let mut trailing = outcome(&net, 1, true).await;
    trailing.push(0);
    let trailing = certificate(&net, &[0, 1, 2], &trailing).await;
    assert_eq!(abort_of(record(&net, &trailing).await), at("messages", 5));
    let mut two = outcome(&net, 1, true).await;
    *two.last_mut().unwrap() = 2;
    let two = certificate(&net, &[0, 1, 2], &two).await;
    assert_eq!(abort_of(record(&net, &two).await), at("messages", 7));
}

#[tokio::test]
async fn a_certificate_one_shard_short_of_quorum_is_refused() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    open(&net).await.unwrap();
    // Nodes 0 and 1: 6 of 10 shards, 3 * 6 = 18 < 21 (7 would make it).
    let short = certificate(&net, &[0, 1], &outcome(&net, 3, false).await).await;
    assert_eq!(abort_of(record(&net, &short).await), at("bls_aggregate", 2));
    assert!(net.staking().await.challenges.failed.is_empty());
}

#[tokio::test]
async fn a_forged_signature_is_refused() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    open(&net).await.unwrap();
    // The quorum signed that node 3 passed; the submitter swaps in "failed".
    let signed = certificate(&net, &[0, 1, 2], &outcome(&net, 3, true).await).await;
    let forged = CertificateBytes { message: outcome(&net, 3, false).await, ..signed };
    assert_eq!(abort_of(record(&net, &forged).await), at("bls_aggregate", 1));
    // A bitmap naming a signer who did not sign breaks the aggregate too.
    let mut claimed = certificate(&net, &[0, 1, 2], &outcome(&net, 3, false).await).await;
    claimed.signers_bitmap[0] = 0x0F;
    assert_eq!(abort_of(record(&net, &claimed).await), at("bls_aggregate", 1));
    assert!(net.staking().await.challenges.failed.is_empty());
}

/// Alice buys `size` bytes for the current epoch only.
async fn buy_storage(net: &StakedNet, size: u64) {
    let coin = net.owned(net.wal_coin(1)).await;
    net.run_as(&net.alice, |tx| {
        let payment = tx.object(coin);
        let storage = net.calls.reserve_space(tx, size, 1, payment);
        StakedNet::keep(tx, vec![storage], net.alice.address());
    })
    .await
    .unwrap();
}

/// The rewards events of the transaction that started `epoch`.
fn reward_events(net: &StakedNet, epoch: u32) -> (Vec<RewardsDistributed>, Vec<RewardsWithheld>) {
    let ledger = net.devnet.ledger();
    for sequence in (0..=ledger.tip()).rev() {
        let (_, transactions) = ledger.checkpoint(sequence).unwrap();
        for record in transactions {
            let events: Vec<FloeEvent> =
                record.events.0.iter().map(|e| FloeEvent::from_event(&net.packages, e).unwrap()).collect();
            if events.iter().any(|e| matches!(e, FloeEvent::EpochChangeStart(s) if s.epoch == epoch)) {
                let mut distributed = Vec::new();
                let mut withheld = Vec::new();
                for event in events {
                    match event {
                        FloeEvent::RewardsDistributed(r) => distributed.push(r),
                        FloeEvent::RewardsWithheld(w) => withheld.push(w),
                        _ => {}
                    }
                }
                return (distributed, withheld);
            }
        }
    }
    panic!("no change to epoch {epoch}")
}

#[tokio::test]
async fn a_failed_nodes_share_is_withheld_and_rolls_over_into_the_next_epoch() {
    let net = StakedNet::start(10).await;
    net.sync_all().await;
    // 100 units at price 30 for epoch 1: 3000 FROST, 900/900/600/600 by shards.
    buy_storage(&net, 100 * 1_048_576).await;
    open(&net).await.unwrap();
    record(&net, &certificate(&net, &[0, 1, 2, 3], &outcome(&net, 0, true).await).await).await.unwrap();
    record(&net, &certificate(&net, &[0, 1, 2, 3], &outcome(&net, 2, false).await).await).await.unwrap();
    let pool2_before = net.pool(2).await;
    net.change_epoch().await;

    let ids = net.staking().await.pool_ids;
    let (distributed, withheld) = reward_events(&net, 2);
    // The others are paid as without challenges (node 0's 10% commission; a pass changes nothing).
    assert_eq!(distributed.len(), 3);
    for (i, amount, commission) in [(0, 900, 90), (1, 900, 0), (3, 600, 0)] {
        let expected = RewardsDistributed { epoch: 1, node_id: ids[i], amount, commission };
        assert!(distributed.contains(&expected), "{expected:?} in {distributed:?}");
    }
    assert_eq!(withheld, vec![RewardsWithheld { epoch: 1, node_id: ids[2], amount: 600 }]);
    // Node 2's pool advanced with nothing added: no rewards, the same WAL per share.
    let pool2 = net.pool(2).await;
    assert_eq!((pool2.wal_balance, pool2.rewards_pool), (pool2_before.wal_balance, 0));
    assert_eq!(pool2.wal_balance, 200);
    assert_eq!(net.pool(0).await.wal_balance, 1_110);
    // The challenge state starts over.
    let state = net.staking().await.challenges;
    assert!(state.epoch == 2 && state.passed.is_empty() && state.failed.is_empty());

    // The withheld 600 are epoch 2's rewards: 180/180/120/120, node 2 included.
    net.change_epoch().await;
    let (distributed, withheld) = reward_events(&net, 3);
    assert!(withheld.is_empty());
    for (i, amount, commission) in [(0, 180, 18), (1, 180, 0), (2, 120, 0), (3, 120, 0)] {
        let expected = RewardsDistributed { epoch: 2, node_id: ids[i], amount, commission };
        assert!(distributed.contains(&expected), "{expected:?} in {distributed:?}");
    }
}

#[tokio::test]
async fn random_is_served_at_0x8_with_suis_type() {
    let net = StakedNet::start(10).await;
    let object = net.client.get_object(RANDOM).await.unwrap();
    assert_eq!(object.owner(), &Owner::Shared(1));
    let contents = object.as_struct().unwrap();
    assert_eq!(contents.object_type(), &random_type());
    assert_eq!(
        contents.object_type().to_string(),
        "0x0000000000000000000000000000000000000000000000000000000000000002::random::Random"
    );
    let random: RandomValue = bcs::from_bytes(contents.contents()).unwrap();
    assert_eq!((random.id, random.inner.version), (RANDOM, 1));
    // The inner state hangs under the Versioned's id as the dynamic field named 1u64.
    let field = net.client.get_object(field_id(random.inner.id, &TypeTag::U64, &1u64)).await.unwrap();
    assert_eq!(field.owner(), &Owner::Object(random.inner.id));
    let inner: Field<u64, RandomInner> = bcs::from_bytes(field.as_struct().unwrap().contents()).unwrap();
    assert_eq!((inner.name, inner.value.version), (1, 1));
}

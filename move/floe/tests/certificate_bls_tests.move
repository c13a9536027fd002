#[test_only]
/// Checks that need real BLS12-381 natives: a wrong signature or a wrong signer set must abort.
/// scripts/move-test does not run this module under the WebAssembly VM, whose BLS natives are
/// inert; the sui CLI runs it.
module floe::certificate_bls_tests;

use floe::bls_aggregate;
use floe::bls_vectors as v;
use floe::messages;
use floe::staking;
use floe::staking_inner;
use floe::test_committee;
use std::unit_test::destroy;

#[test]
fun the_vectors_verify_with_the_committee_key() {
    let committee = test_committee::committee(1);
    let weight = committee.verify_certificate_and_weight(&v::certify_signature(), &v::certify_bitmap(), &v::certify_message());
    assert!(weight == 8);
}

#[test, expected_failure(abort_code = bls_aggregate::ESigVerification)]
fun a_signature_over_another_message_is_rejected() {
    let committee = test_committee::committee(1);
    committee.verify_quorum_in_epoch(v::certify_other_blob_signature(), v::certify_bitmap(), v::certify_message());
}

#[test, expected_failure(abort_code = bls_aggregate::ESigVerification)]
fun a_bitmap_naming_other_signers_is_rejected() {
    let committee = test_committee::committee(1);
    // Nodes 0, 1, 2 signed; the bitmap claims 0, 1, 3.
    committee.verify_quorum_in_epoch(v::certify_signature(), vector[0x0B], v::certify_message());
}

#[test, expected_failure(abort_code = bls_aggregate::ESigVerification)]
fun a_certificate_claiming_extra_signers_is_rejected() {
    let committee = test_committee::committee(1);
    committee.verify_quorum_in_epoch(v::certify_short_of_quorum_signature(), vector[0x0F], v::certify_short_of_quorum_message());
}

#[test, expected_failure(abort_code = bls_aggregate::ESigVerification)]
fun a_certificate_with_an_empty_bitmap_is_rejected() {
    // Nobody signed: the aggregate key is the identity, which verifies no signature.
    let committee = test_committee::committee(1);
    committee.verify_quorum_in_epoch(v::certify_signature(), vector[], v::certify_message());
}

#[test]
fun proofs_of_possession_bind_key_and_address() {
    let keys = v::public_keys();
    let pops = v::proofs_of_possession();
    let addresses = v::node_addresses();
    assert!(messages::verify_proof_of_possession(0, addresses[0], keys[0], pops[0]));
    assert!(!messages::verify_proof_of_possession(0, addresses[1], keys[0], pops[0]));
    assert!(!messages::verify_proof_of_possession(1, addresses[0], keys[0], pops[0]));
    assert!(!messages::verify_proof_of_possession(0, addresses[0], keys[0], pops[1]));
}

#[test, expected_failure(abort_code = staking_inner::EInvalidProofOfPossession)]
fun registration_with_another_nodes_proof_of_possession_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut staking = staking::new_for_testing(10, 1, 10, ctx);
    let mut node_ctx = floe::test_nodes::node_ctx(0);
    let cap = staking.register_candidate(
        b"n".to_string(),
        b"a".to_string(),
        v::public_keys()[0],
        x"1111111111111111111111111111111111111111111111111111111111111111",
        v::proofs_of_possession()[1],
        0,
        1,
        1,
        1,
        &mut node_ctx,
    );
    destroy(cap);
    destroy(staking);
}

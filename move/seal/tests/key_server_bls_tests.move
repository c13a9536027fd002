/// Key-server registration checks that need real BLS12-381 natives (the WebAssembly test VM's
/// are inert, so `scripts/move-test` compiles these but runs them only with the sui CLI).
#[test_only]
module floe_seal::key_server_bls_tests;

use floe_seal::key_server;
use std::unit_test::destroy;

#[test, expected_failure(abort_code = 1, location = sui::group_ops)]
fun a_public_key_that_is_not_a_g2_point_is_rejected() {
    let ctx = &mut tx_context::dummy();
    let mut bytes = vector[];
    96u64.do!(|_| bytes.push_back(0xab));
    let server = key_server::register(b"ks".to_string(), b"u".to_string(), 0, bytes, ctx);
    destroy(server);
}

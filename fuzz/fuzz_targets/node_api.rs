#![no_main]
//! See floe_fuzz::node_api.

libfuzzer_sys::fuzz_target!(init: floe_fuzz::write_seeds("node_api"), |data: &[u8]| floe_fuzz::node_api(data));

#![no_main]
//! See floe_fuzz::node_api.

libfuzzer_sys::fuzz_target!(|data: &[u8]| floe_fuzz::node_api(data));

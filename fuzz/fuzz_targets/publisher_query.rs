#![no_main]
//! See floe_fuzz::publisher_query.

libfuzzer_sys::fuzz_target!(|data: &[u8]| floe_fuzz::publisher_query(data));

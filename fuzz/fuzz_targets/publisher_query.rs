#![no_main]
//! See floe_fuzz::publisher_query.

libfuzzer_sys::fuzz_target!(init: floe_fuzz::write_seeds("publisher_query"), |data: &[u8]| floe_fuzz::publisher_query(data));

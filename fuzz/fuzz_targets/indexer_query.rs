#![no_main]
//! See floe_fuzz::indexer_query.

libfuzzer_sys::fuzz_target!(|data: &[u8]| floe_fuzz::indexer_query(data));

#![no_main]
//! See floe_fuzz::indexer_query.

libfuzzer_sys::fuzz_target!(init: floe_fuzz::write_seeds("indexer_query"), |data: &[u8]| floe_fuzz::indexer_query(data));

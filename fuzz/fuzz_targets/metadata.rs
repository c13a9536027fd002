#![no_main]
//! See floe_fuzz::metadata.

libfuzzer_sys::fuzz_target!(init: floe_fuzz::write_seeds("metadata"), |data: &[u8]| floe_fuzz::metadata(data));

#![no_main]
//! See floe_fuzz::metadata.

libfuzzer_sys::fuzz_target!(|data: &[u8]| floe_fuzz::metadata(data));

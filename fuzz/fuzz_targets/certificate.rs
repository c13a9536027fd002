#![no_main]
//! See floe_fuzz::certificate.

libfuzzer_sys::fuzz_target!(|data: &[u8]| floe_fuzz::certificate(data));

#![no_main]
//! See floe_fuzz::certificate.

libfuzzer_sys::fuzz_target!(init: floe_fuzz::write_seeds("certificate"), |data: &[u8]| floe_fuzz::certificate(data));

#![no_main]
//! See floe_fuzz::seal_object.

libfuzzer_sys::fuzz_target!(|data: &[u8]| floe_fuzz::seal_object(data));

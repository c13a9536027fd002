#![no_main]
//! See floe_fuzz::sliver.

libfuzzer_sys::fuzz_target!(|data: &[u8]| floe_fuzz::sliver(data));

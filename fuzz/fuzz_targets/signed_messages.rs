#![no_main]
//! See floe_fuzz::signed_messages.

libfuzzer_sys::fuzz_target!(|data: &[u8]| floe_fuzz::signed_messages(data));

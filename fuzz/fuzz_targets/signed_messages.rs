#![no_main]
//! See floe_fuzz::signed_messages.

libfuzzer_sys::fuzz_target!(init: floe_fuzz::write_seeds("signed_messages"), |data: &[u8]| floe_fuzz::signed_messages(data));

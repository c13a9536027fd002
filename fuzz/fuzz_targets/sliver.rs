#![no_main]
//! See floe_fuzz::sliver.

libfuzzer_sys::fuzz_target!(init: floe_fuzz::write_seeds("sliver"), |data: &[u8]| floe_fuzz::sliver(data));

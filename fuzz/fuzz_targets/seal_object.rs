#![no_main]
//! See floe_fuzz::seal_object.

libfuzzer_sys::fuzz_target!(init: floe_fuzz::write_seeds("seal_object"), |data: &[u8]| floe_fuzz::seal_object(data));

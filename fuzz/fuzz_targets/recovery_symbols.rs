#![no_main]
//! See floe_fuzz::recovery_symbols.

libfuzzer_sys::fuzz_target!(init: floe_fuzz::write_seeds("recovery_symbols"), |data: &[u8]| floe_fuzz::recovery_symbols(data));

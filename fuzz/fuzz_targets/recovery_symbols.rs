#![no_main]
//! See floe_fuzz::recovery_symbols.

libfuzzer_sys::fuzz_target!(|data: &[u8]| floe_fuzz::recovery_symbols(data));

#![no_main]
//! See floe_fuzz::keyserver_request.

libfuzzer_sys::fuzz_target!(|data: &[u8]| floe_fuzz::keyserver_request(data));

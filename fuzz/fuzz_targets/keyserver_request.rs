#![no_main]
//! See floe_fuzz::keyserver_request.

libfuzzer_sys::fuzz_target!(init: floe_fuzz::write_seeds("keyserver_request"), |data: &[u8]| floe_fuzz::keyserver_request(data));

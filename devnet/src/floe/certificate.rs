//! `floe::bls_aggregate` and `floe::messages` natively: certificate checks with real BLS.
//! (Being written.)

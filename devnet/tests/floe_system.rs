//! floe's System natives on a running devnet: storage, blobs, certificates with real BLS,
//! attributes, WAL and initialization, as the scenarios in `scenarios/` describe them.

mod scenarios;

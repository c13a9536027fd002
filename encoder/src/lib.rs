//! floe-encoder (work in progress).

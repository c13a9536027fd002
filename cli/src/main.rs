//! The `floe` binary; see the floe-cli library for the commands.

use std::process::ExitCode;

use clap::Parser;

/// jemalloc instead of glibc's allocator: a `floe localnet` or a node moves hundreds of MiB of
/// slivers through many threads, and glibc kept most of it (per-thread arenas, fragmented
/// heaps) long after the blobs were stored; jemalloc returns freed pages to the system within
/// seconds. docs/performance.md, "Reads", has the figures for both. `floe_alloc` also keeps freed
/// large blocks for reuse and writes large zeroed blocks as it allocates them, which spares the
/// nodes fresh-page and copy-on-write faults on every sliver they check and store; its crate doc
/// says why.
#[global_allocator]
static ALLOCATOR: floe_alloc::Allocator = floe_alloc::Allocator;

fn main() -> ExitCode {
    match floe_cli::run(floe_cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The whole context chain on one line, each cause once.
            eprintln!("error: {}", floe_cli::output::error_line(&error));
            ExitCode::FAILURE
        }
    }
}

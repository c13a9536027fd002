//! The `floe` binary; see the floe-cli library for the commands.

use std::process::ExitCode;

use clap::Parser;

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

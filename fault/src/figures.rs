//! The line each scenario prints: what it tried, what succeeded, what was lost, and whether any
//! answer carried wrong bytes (the "Reliability" table of docs/performance.md is made of these
//! lines).

use std::fmt;

/// A scenario's figures.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// The scenario.
    pub scenario: &'static str,
    /// Operations tried (stores, reads, requests; see `notes`).
    pub tried: u64,
    /// Operations that succeeded.
    pub succeeded: u64,
    /// Acknowledged blobs that could not be read back at the end.
    pub lost: u64,
    /// Answers whose bytes differ from what was stored.
    pub wrong_bytes: u64,
    /// Faults injected and anything else worth a figure, `name=value`.
    pub notes: Vec<(String, String)>,
}

impl Figures {
    /// Empty figures of `scenario`.
    pub fn new(scenario: &'static str) -> Self {
        Self { scenario, ..Self::default() }
    }

    /// Adds a note.
    pub fn note(&mut self, name: &str, value: impl fmt::Display) {
        self.notes.push((name.to_owned(), value.to_string()));
    }
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "fault figures {}: tried {} / succeeded {} / lost {} / wrong bytes {}",
            self.scenario, self.tried, self.succeeded, self.lost, self.wrong_bytes
        )?;
        for (name, value) in &self.notes {
            write!(f, "; {name} {value}")?;
        }
        Ok(())
    }
}

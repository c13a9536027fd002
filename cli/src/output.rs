//! How a command's result is shown: aligned text for people, one JSON object for scripts.

use std::fmt::Display;

use serde::Serialize;

/// The output mode chosen by the global `--json` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Human-readable lines.
    Text,
    /// One JSON object per result, on one line.
    Json,
}

impl Output {
    /// `Json` when `json` is set.
    pub fn from_flag(json: bool) -> Self {
        if json { Self::Json } else { Self::Text }
    }

    /// Renders `report` in this mode, ending with a newline.
    pub fn render(self, report: &(impl Serialize + Display)) -> anyhow::Result<String> {
        Ok(match self {
            Self::Text => format!("{report}\n"),
            Self::Json => format!("{}\n", serde_json::to_string(report)?),
        })
    }

    /// Prints `report` to stdout in this mode.
    pub fn emit(self, report: &(impl Serialize + Display)) -> anyhow::Result<()> {
        use std::io::Write;
        let text = self.render(report)?;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        // Long-running commands print before blocking; whoever reads the pipe needs it now.
        stdout.flush()?;
        Ok(())
    }
}

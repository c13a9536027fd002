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

/// `error` and its causes on one line, outermost first, as `{:#}` prints them, but without a
/// cause whose text an outer message already includes (errors that format their source into
/// their own message would otherwise show it twice).
pub fn error_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        /// Formats its source into its message and also returns it as `source()`.
        #[error("reading the keystore: {0}")]
        Read(#[from] std::io::Error),
    }

    #[test]
    fn a_cause_already_in_the_message_is_printed_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = anyhow::Error::new(Outer::from(io)).context("cannot load the keystore k.json");
        assert_eq!(
            format!("{error:#}"),
            "cannot load the keystore k.json: reading the keystore: no such file: no such file"
        );
        assert_eq!(error_line(&error), "cannot load the keystore k.json: reading the keystore: no such file");
    }

    #[test]
    fn distinct_causes_are_all_kept() {
        let error = anyhow::anyhow!("the chain refused").context("storing a.txt");
        assert_eq!(error_line(&error), "storing a.txt: the chain refused");
    }
}

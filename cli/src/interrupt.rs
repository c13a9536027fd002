//! Ctrl-C for the servers, installed before they announce themselves: a script that reads the
//! ready line and interrupts at once must stop the server cleanly, not kill it by the default
//! signal action.

use anyhow::Context as _;

/// An installed Ctrl-C (SIGINT) handler.
#[derive(Debug)]
pub struct Interrupt {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Interrupt {
    /// Installs the handler now (not on first await).
    pub fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .context("installing the Ctrl-C handler")?;
            Ok(Self { signal })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Waits for Ctrl-C.
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        #[cfg(unix)]
        {
            self.signal.recv().await.context("the Ctrl-C handler closed")?;
            Ok(())
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
        }
    }
}

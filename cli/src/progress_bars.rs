//! Progress bars on stderr for stores and reads, drawn from the client's progress events.

use floe_client::{Progress, ProgressEvent};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar per long phase (uploading slivers, fetching slivers), with the other steps as messages.
#[derive(Debug)]
pub struct Bars {
    bar: ProgressBar,
}

impl Bars {
    /// Bars for `label` when stderr is a terminal and output is for people; hidden otherwise.
    pub fn new(label: &str, visible: bool) -> Self {
        let target = if visible && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template("{prefix} {spinner} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_owned());
        Self { bar }
    }

    /// Bytes written of a streamed read.
    pub fn bytes(&self, done: u64, total: u64) {
        if self.bar.length() != Some(total) {
            self.bar.set_style(
                ProgressStyle::with_template("{prefix} {spinner} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            self.bar.set_length(total);
        }
        self.bar.set_position(done);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bars {
    fn event(&self, event: ProgressEvent) {
        match event {
            ProgressEvent::Encoded { blob_id, slivers } => {
                self.bar.set_length(slivers);
                self.bar.set_message(format!("encoded {blob_id}"));
            }
            ProgressEvent::AlreadyCertified { .. } => self.bar.set_message("already certified"),
            ProgressEvent::Registered { object_id } => {
                self.bar.set_message(format!("registered {object_id}; uploading"))
            }
            ProgressEvent::SliverStored { done, total } => {
                self.bar.set_length(total);
                self.bar.set_position(done);
            }
            ProgressEvent::Confirmed { weight, needed } => {
                self.bar.set_message(format!("{weight}/{needed} shards confirmed"));
            }
            ProgressEvent::Certified => self.bar.set_message("certified"),
            ProgressEvent::SliverFetched { done, needed } => {
                self.bar.set_length(needed);
                self.bar.set_position(done);
            }
            ProgressEvent::Decoding => self.bar.set_message("decoding"),
            // Phase timings are for benchmarks (tests/examples/store_phases.rs); the bar shows steps.
            ProgressEvent::PhaseDone { .. } => {}
        }
    }
}

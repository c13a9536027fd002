//! The sequencer: one thread that takes submitted transactions in arrival order, executes
//! whatever has queued up as one batch sealed into one checkpoint (group commit: one durable
//! write for many transactions), and seals empty checkpoints when the chain is idle.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use sui_sdk_types::{Transaction, UserSignature};
use tokio::sync::oneshot;

use crate::ledger::{ExecuteError, Ledger};
use crate::store::TransactionRecord;

/// Most transactions sealed into one checkpoint.
const MAX_BATCH: usize = 512;

/// The reply to one submission.
pub(crate) type Reply = Result<Arc<TransactionRecord>, ExecuteError>;

struct Job {
    transaction: Transaction,
    signatures: Vec<UserSignature>,
    reply: oneshot::Sender<Reply>,
}

/// Submits transactions to the sequencer thread.
#[derive(Debug, Clone)]
pub(crate) struct Submitter {
    sender: Sender<Job>,
    /// How long each transaction waits before it is queued (see `DevnetConfig::finality_delay`).
    delay: Duration,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("digest", &self.transaction.digest()).finish()
    }
}

impl Submitter {
    /// Queues a transaction and waits for its result; `None` if the sequencer has stopped.
    pub(crate) async fn submit(&self, transaction: Transaction, signatures: Vec<UserSignature>) -> Option<Reply> {
        if !self.delay.is_zero() {
            // Each waits on its own: the delay is latency, not a narrower pipe.
            tokio::time::sleep(self.delay).await;
        }
        let (reply, answer) = oneshot::channel();
        self.sender.send(Job { transaction, signatures, reply }).ok()?;
        answer.await.ok()
    }
}

/// The running sequencer thread; it stops once every [`Submitter`] is dropped.
#[derive(Debug)]
pub(crate) struct Sequencer {
    thread: JoinHandle<()>,
}

impl Sequencer {
    /// Starts the thread; empty checkpoints are sealed when none was sealed for `interval`;
    /// each transaction waits `delay` before it is queued.
    pub(crate) fn start(ledger: Arc<Ledger>, interval: Duration, delay: Duration) -> (Self, Submitter) {
        let (sender, jobs) = channel();
        let thread = std::thread::Builder::new()
            .name("devnet-sequencer".into())
            .spawn(move || run(&ledger, &jobs, interval))
            .expect("spawning the sequencer thread");
        (Self { thread }, Submitter { sender, delay })
    }

    /// Waits for the thread to finish (after every submitter is gone).
    pub(crate) fn join(self) {
        if self.thread.join().is_err() {
            tracing::error!("devnet sequencer thread panicked");
        }
    }
}

fn run(ledger: &Ledger, jobs: &Receiver<Job>, interval: Duration) {
    let tick = (interval / 2).max(Duration::from_millis(1));
    loop {
        match jobs.recv_timeout(tick) {
            Ok(first) => {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match jobs.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                let (inputs, replies): (Vec<_>, Vec<_>) =
                    batch.into_iter().map(|j| ((j.transaction, j.signatures), j.reply)).unzip();
                for (result, reply) in ledger.execute_batch(inputs).into_iter().zip(replies) {
                    // The submitter may have gone away (client cancelled); the result stands.
                    let _ = reply.send(result);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if let Err(e) = ledger.seal_if_idle(interval) {
            tracing::error!(error = %e, "sealing an empty checkpoint failed");
        }
    }
}

//! Ctrl-C during a sync. The first press asks the engine to stop at its next checkpoint (the
//! current step finishes first); a second stops at once, and the in-progress file keeps the last
//! checkpoint. Either way the command ends with [`Interrupted`] and exit status 130, as a shell
//! reports an interrupted command.

use std::future::Future;

use crate::sync::StopRequest;

/// The exit status of a command stopped by Ctrl-C (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// A command stopped by Ctrl-C; the message says how to continue.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Interrupted(pub String);

/// Runs `work` to its end, setting `stop` on the first Ctrl-C; `None` if a second one came first.
pub async fn until_ctrl_c<T>(stop: &StopRequest, work: impl Future<Output = T>) -> Option<T> {
    tokio::pin!(work);
    loop {
        // Biased: the listener is installed at the first poll, before `work` starts.
        tokio::select! {
            biased;
            pressed = tokio::signal::ctrl_c() => {
                if pressed.is_err() {
                    // No way to listen: run as if Ctrl-C were never pressed.
                    return Some(work.await);
                }
                if stop.is_requested() {
                    return None;
                }
                stop.request();
                tracing::warn!(
                    "Ctrl-C: stopping at the next checkpoint; press Ctrl-C again to stop at once"
                );
            }
            out = &mut work => return Some(out),
        }
    }
}

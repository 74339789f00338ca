//! A plugin call's wall-clock deadline that time spent waiting for the request budget pushes
//! back: a call that waits an hour for the rolling window is not a call that hangs.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Shared by the call's guard and the HTTP requests it makes.
#[derive(Clone, Debug)]
pub struct CallDeadline(Arc<Mutex<Instant>>);

/// The call ran past its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedOut;

impl CallDeadline {
    /// A deadline `after` from now.
    pub fn after(after: Duration) -> CallDeadline {
        CallDeadline(Arc::new(Mutex::new(Instant::now() + after)))
    }

    /// When the call must end, as things stand.
    pub fn at(&self) -> Instant {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Gives the call `by` more (time it spent waiting for the budget).
    pub fn postpone(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }

    /// Runs `work` until it ends or the deadline, as postponed meanwhile, passes.
    pub async fn run<F: Future>(&self, work: F) -> Result<F::Output, TimedOut> {
        tokio::pin!(work);
        loop {
            let at = self.at();
            tokio::select! {
                out = &mut work => return Ok(out),
                _ = tokio::time::sleep_until(at) => {
                    if self.at() <= Instant::now() {
                        return Err(TimedOut);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_postponed_deadline_lets_the_work_finish() {
        let deadline = CallDeadline::after(Duration::from_millis(50));
        let d = deadline.clone();
        let out = deadline
            .run(async move {
                d.postpone(Duration::from_millis(100));
                tokio::time::sleep(Duration::from_millis(100)).await;
                7
            })
            .await;
        assert_eq!(out, Ok(7));
        let deadline = CallDeadline::after(Duration::from_millis(30));
        let out = deadline
            .run(tokio::time::sleep(Duration::from_secs(5)))
            .await;
        assert_eq!(out, Err(TimedOut));
    }
}

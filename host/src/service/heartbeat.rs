//! Heartbeats while a task runs, at the interval ConductorOne asks for (30 s by default, held
//! within 1 s and 5 min). The task stops when an answer says it was cancelled, after ten failed
//! heartbeats in a row, or when the credentials are refused.

use std::time::Duration;

use super::client::{C1Client, RpcError};

/// The interval when ConductorOne names none.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
/// The shortest interval.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The longest interval.
pub const MAX_INTERVAL: Duration = Duration::from_secs(300);
/// Failed heartbeats in a row that stop a task.
pub const MAX_FAILURES: u32 = 10;

/// Why a task must stop.
#[derive(Debug)]
pub enum Stop {
    /// ConductorOne cancelled it.
    Cancelled,
    /// Heartbeats failed [`MAX_FAILURES`] times in a row; the last failure.
    LostContact(RpcError),
    /// The credentials were refused: the process must stop.
    Refused(RpcError),
}

/// `next_heartbeat` as an interval: the default when unset or zero, else within the bounds.
pub fn interval(next: Option<&prost_types::Duration>) -> Duration {
    match next.and_then(|d| Duration::try_from(*d).ok()) {
        Some(d) if !d.is_zero() => d.clamp(MIN_INTERVAL, MAX_INTERVAL),
        _ => DEFAULT_INTERVAL,
    }
}

/// Heartbeats for `task_id`, the first at once, then every `first_interval` or what the answers
/// say; returns only when the task must stop.
pub async fn beat(client: &C1Client, task_id: &str, first_interval: Duration) -> Stop {
    let mut every = first_interval;
    let mut failures = 0;
    loop {
        match client.heartbeat(task_id).await {
            Ok(answer) => {
                failures = 0;
                if answer.cancelled {
                    return Stop::Cancelled;
                }
                every = interval(answer.next_heartbeat.as_ref());
            }
            Err(e) if e.is_auth_failure() => return Stop::Refused(e),
            Err(e) => {
                failures += 1;
                tracing::warn!(task_id, failures, "heartbeat failed: {e}");
                if failures >= MAX_FAILURES {
                    return Stop::LostContact(e);
                }
            }
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_held_within_bounds() {
        let d = |secs: i64, nanos: i32| prost_types::Duration {
            seconds: secs,
            nanos,
        };
        assert_eq!(interval(None), DEFAULT_INTERVAL);
        assert_eq!(interval(Some(&d(0, 0))), DEFAULT_INTERVAL);
        assert_eq!(interval(Some(&d(0, 1_000))), MIN_INTERVAL);
        assert_eq!(interval(Some(&d(7, 0))), Duration::from_secs(7));
        assert_eq!(interval(Some(&d(3600, 0))), MAX_INTERVAL);
        assert_eq!(interval(Some(&d(-5, 0))), DEFAULT_INTERVAL);
    }
}

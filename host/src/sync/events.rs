//! What a running sync tells whoever watches it: a terminal's progress line, the logs, metrics,
//! ConductorOne heartbeats. The engine reports to a sink and knows nothing of any of them.

use crate::http::BudgetStatus;

/// Counters of a running sync.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Resources stored.
    pub resources: u64,
    /// Entitlements stored.
    pub entitlements: u64,
    /// Grants stored.
    pub grants: u64,
    /// HTTP requests sent for the plugin.
    pub requests: u64,
    /// Where the request budget stands, when there is one.
    pub budget: Option<BudgetStatus>,
}

/// What the engine reads of the requests its calls make, for progress.
pub trait RequestMeter {
    /// Requests sent so far.
    fn requests(&self) -> u64;
    /// The request budget, if any.
    fn budget(&self) -> Option<BudgetStatus> {
        None
    }
}

/// A counter alone.
impl<F: Fn() -> u64 + ?Sized> RequestMeter for F {
    fn requests(&self) -> u64 {
        self()
    }
}

/// Receives a sync's events; every method has a default that ignores it.
pub trait SyncEvents: Send + Sync {
    /// A step finished in `phase` (`resources`, `grants`, ...), with the counts so far.
    fn progress(&self, _phase: &str, _counts: &Counts) {}
    /// The state was committed to the in-progress file.
    fn checkpointed(&self) {}
    /// The sync ended, finished or not; the last event.
    fn ended(&self) {}
}

/// A sink that ignores every event (tests, a caller that only wants the report).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoEvents;

impl SyncEvents for NoEvents {}

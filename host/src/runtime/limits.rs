//! The sandbox's limits on an instance and its calls.

use std::time::Duration;

/// How often the epoch ticker advances; the granularity of CPU deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits applied to every instance of a plugin.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Linear memory an instance may grow to, in bytes.
    pub memory_bytes: usize,
    /// Guest CPU time one call may use (time parked in host calls not counted).
    pub cpu_per_call: Duration,
    /// Wall-clock time one call may take, host calls included.
    pub wall_per_call: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 128 << 20,
            cpu_per_call: Duration::from_secs(30),
            wall_per_call: Duration::from_secs(600),
        }
    }
}

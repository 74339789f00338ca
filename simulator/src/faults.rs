//! Injected latency, 5xx faults and 429 rate limiting, all deterministic.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A deterministic rate-limit pattern, counted over all requests the server receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RateLimit {
    /// Answer 429 to `limited` of every `every` requests, spread evenly over the window.
    Spread {
        /// Requests refused per window.
        limited: u32,
        /// Window length in requests.
        every: u32,
    },
    /// Answer 429 to a burst of `count` consecutive requests at the end of every `every` requests.
    Burst {
        /// Length of the burst.
        count: u32,
        /// Window length in requests.
        every: u32,
    },
}

impl RateLimit {
    /// Whether request number `i` (0-based) is refused.
    pub fn refuses(&self, i: u64) -> bool {
        match *self {
            RateLimit::Spread { limited, every } => {
                let (n, m) = (limited as u64, every.max(1) as u64);
                (i + 1) * n / m != i * n / m
            }
            RateLimit::Burst { count, every } => {
                let m = every.max(1) as u64;
                i % m >= m.saturating_sub(count as u64)
            }
        }
    }
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Serve it.
    Pass,
    /// Answer 429.
    RateLimited,
    /// Answer this 5xx status.
    Fault(u16),
}

/// Mutable fault-injection state.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Fraction of requests answered 500/502/503.
    pub fault_rate: f64,
    /// Optional 429 pattern.
    pub rate_limit: Option<RateLimit>,
    /// Added latency per request.
    pub latency: Duration,
    counter: u64,
    acc: f64,
    faults: u64,
}

impl Faults {
    /// New state with these settings.
    pub fn new(fault_rate: f64, rate_limit: Option<RateLimit>, latency: Duration) -> Self {
        Faults {
            fault_rate: fault_rate.clamp(0.0, 1.0),
            rate_limit,
            latency,
            ..Default::default()
        }
    }

    /// Replaces the settings and restarts the deterministic sequences.
    pub fn set(&mut self, fault_rate: f64, rate_limit: Option<RateLimit>, latency: Duration) {
        *self = Faults::new(fault_rate, rate_limit, latency);
    }

    /// Decides the fate of the next request.
    pub fn decide(&mut self) -> Decision {
        let i = self.counter;
        self.counter += 1;
        if let Some(rl) = self.rate_limit
            && rl.refuses(i)
        {
            return Decision::RateLimited;
        }
        if self.fault_rate > 0.0 {
            self.acc += self.fault_rate;
            if self.acc >= 1.0 - 1e-9 {
                self.acc -= 1.0;
                let status = [500, 502, 503][(self.faults % 3) as usize];
                self.faults += 1;
                return Decision::Fault(status);
            }
        }
        Decision::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_and_burst_counts() {
        let s = RateLimit::Spread {
            limited: 1,
            every: 4,
        };
        assert_eq!((0..40).filter(|&i| s.refuses(i)).count(), 10);
        let b = RateLimit::Burst {
            count: 3,
            every: 10,
        };
        let hits: Vec<u64> = (0..20).filter(|&i| b.refuses(i)).collect();
        assert_eq!(hits, vec![7, 8, 9, 17, 18, 19]);
    }

    #[test]
    fn fault_rate_is_exact() {
        let mut f = Faults::new(0.25, None, Duration::ZERO);
        let n = (0..100).filter(|_| f.decide() != Decision::Pass).count();
        assert_eq!(n, 25);
    }
}

//! Paces requests to an hourly budget, so a large tenant spreads its sync over the hour instead
//! of running into a service's rolling hourly limit and a storm of 429s.
//!
//! A token bucket: it holds at most a minute's worth of requests (so a fresh run can start
//! briskly) and refills at `per_hour / 3600` requests a second.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// The bucket; shared by every request of one HTTP capability.
#[derive(Debug)]
pub struct Pacer {
    per_second: f64,
    capacity: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

impl Pacer {
    /// A pacer allowing `per_hour` requests an hour (at least one).
    pub fn new(per_hour: u32) -> Pacer {
        let per_hour = f64::from(per_hour.max(1));
        let capacity = (per_hour / 60.0).max(1.0);
        Pacer {
            per_second: per_hour / 3600.0,
            capacity,
            state: Mutex::new(Bucket {
                tokens: capacity,
                refilled_at: Instant::now(),
            }),
        }
    }

    /// Takes one request's token, waiting for it if needed. Returns how long it waited, or
    /// `None` if the token would only come after `deadline` (nothing is taken then).
    pub async fn acquire(&self, deadline: Option<Instant>) -> Option<Duration> {
        // Holding the lock while sleeping queues callers fairly, first come first served.
        let mut bucket = self.state.lock().await;
        let now = Instant::now();
        let elapsed = now.duration_since(bucket.refilled_at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.capacity);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Some(Duration::ZERO);
        }
        let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_second);
        if deadline.is_some_and(|d| now + wait > d) {
            return None;
        }
        tokio::time::sleep(wait).await;
        bucket.tokens = 0.0;
        bucket.refilled_at = Instant::now();
        Some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_minute_of_burst_then_the_hourly_rate() {
        // 36,000 an hour: 10 a second, a burst of 600.
        let pacer = Pacer::new(36_000);
        let started = Instant::now();
        for _ in 0..600 {
            assert_eq!(pacer.acquire(None).await, Some(Duration::ZERO));
        }
        assert!(started.elapsed() < Duration::from_millis(200));
        let paced = Instant::now();
        for _ in 0..3 {
            pacer.acquire(None).await.expect("no deadline");
        }
        let took = paced.elapsed();
        assert!(
            took >= Duration::from_millis(250),
            "three more at 10/s took {took:?}"
        );
        assert!(took < Duration::from_secs(2), "took {took:?}");
    }

    #[tokio::test]
    async fn a_token_beyond_the_deadline_is_not_waited_for() {
        let pacer = Pacer::new(60); // one a minute, a burst of one
        assert_eq!(pacer.acquire(None).await, Some(Duration::ZERO));
        let deadline = Instant::now() + Duration::from_millis(50);
        let started = Instant::now();
        assert_eq!(pacer.acquire(Some(deadline)).await, None);
        assert!(started.elapsed() < Duration::from_millis(40));
    }
}

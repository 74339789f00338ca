//! How many requests the simulator is answering at once, and the most it has: what a client's
//! concurrency limit is checked against.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Requests being answered now, and the most at any moment.
#[derive(Debug, Default)]
pub struct InFlight {
    now: AtomicUsize,
    most: AtomicUsize,
}

/// One request being answered; it stops counting when dropped.
pub struct Answering<'a>(&'a InFlight);

impl InFlight {
    /// Counts a request from its arrival until the returned guard is dropped.
    pub fn enter(&self) -> Answering<'_> {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        Answering(self)
    }

    /// The most requests answered at once so far.
    pub fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }
}

impl Drop for Answering<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_most_at_once() {
        let counter = InFlight::default();
        let a = counter.enter();
        let b = counter.enter();
        drop(a);
        let c = counter.enter();
        assert_eq!(counter.most(), 2);
        drop((b, c));
        let _d = counter.enter();
        assert_eq!(counter.most(), 2);
    }
}

//! The arithmetic of a rolling request window, on wall-clock milliseconds: at most `limit`
//! requests in any `window`. Pure (the caller passes the time), so it is tested exactly; the
//! waiting around it is `budget.rs`.
//!
//! A request counts from the moment its slot is reserved (before it is sent) until `window` after
//! its answer came back: the server saw it somewhere in between, so counting to the answer is the
//! only bound that holds whatever the latency. A request still in flight has no end yet.

use std::collections::VecDeque;

/// Safety margin added to every expiry: clock granularity between us and the server.
pub const MARGIN_MS: u64 = 10;

/// One request in the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    id: u64,
    /// When its answer came back; `None` while in flight.
    done: Option<u64>,
}

/// Whether a request may go now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Room {
    /// Reserved: the slot's id, and how many requests the window held with it.
    Now {
        /// The slot, for [`Window::answered`].
        id: u64,
        /// Requests in the window including this one.
        position: u32,
    },
    /// Full until this time (ms).
    At(u64),
    /// Full until some request in flight is answered (then its expiry is known).
    AfterAnswer,
}

/// The requests a window still counts, and the limit they are held to.
#[derive(Clone, Debug)]
pub struct Window {
    window_ms: u64,
    /// The limit given (or reported by the API).
    configured: u32,
    /// The limit in force: the configured one, or lower after a 429 showed the server counts more.
    estimate: u32,
    slots: VecDeque<Slot>,
    next_id: u64,
}

impl Window {
    /// An empty window of `window_ms` holding at most `limit` (at least one) requests.
    pub fn new(limit: u32, window_ms: u64) -> Window {
        let limit = limit.max(1);
        Window {
            window_ms: window_ms.max(1),
            configured: limit,
            estimate: limit,
            slots: VecDeque::new(),
            next_id: 0,
        }
    }

    /// The limit in force.
    pub fn limit(&self) -> u32 {
        self.estimate
    }

    /// The limit given or reported, before any lowering.
    pub fn configured(&self) -> u32 {
        self.configured
    }

    /// Adds requests answered at `done` (ms) by an earlier run, so they are still counted.
    pub fn seed(&mut self, done: impl IntoIterator<Item = u64>, now: u64) {
        for at in done {
            let id = self.take_id();
            self.slots.push_back(Slot { id, done: Some(at) });
        }
        self.prune(now);
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn expiry(&self, done: u64) -> u64 {
        done + self.window_ms + MARGIN_MS
    }

    /// Drops what no longer counts: answered requests whose window has passed, and beyond the
    /// newest `configured` answered ones (only those can ever decide a wait).
    fn prune(&mut self, now: u64) {
        let window = self.window_ms + MARGIN_MS;
        self.slots
            .retain(|s| s.done.is_none_or(|d| d + window > now));
        let excess = self.slots.len().saturating_sub(self.configured as usize);
        if excess == 0 {
            return;
        }
        let mut done: Vec<u64> = self.slots.iter().filter_map(|s| s.done).collect();
        done.sort_unstable();
        let drop = excess.min(done.len());
        let Some(&cut) = drop.checked_sub(1).and_then(|i| done.get(i)) else {
            return;
        };
        // All answered before `cut`, then as many answered at `cut` as are still to go.
        let mut at_cut = drop - done.iter().filter(|&&d| d < cut).count();
        self.slots.retain(|s| match s.done {
            Some(d) if d < cut => false,
            Some(d) if d == cut && at_cut > 0 => {
                at_cut -= 1;
                false
            }
            _ => true,
        });
    }

    /// Requests the window counts at `now`.
    pub fn count(&mut self, now: u64) -> usize {
        self.prune(now);
        self.slots.len()
    }

    /// Reserves a slot at `now` if the window has room, else says when it will.
    pub fn try_reserve(&mut self, now: u64) -> Room {
        self.prune(now);
        let count = self.slots.len();
        let limit = self.estimate as usize;
        if count < limit {
            let id = self.take_id();
            self.slots.push_back(Slot { id, done: None });
            return Room::Now {
                id,
                position: u32::try_from(count + 1).unwrap_or(u32::MAX),
            };
        }
        // Room comes when `need` of them have expired; answered ones expire first, in the order
        // of their answers (every request in flight ends after now).
        let need = count - limit + 1;
        match self.nth_expiry(need - 1) {
            Some(at) => Room::At(at),
            None => Room::AfterAnswer,
        }
    }

    /// The `n`-th (0-based) earliest expiry among answered requests.
    fn nth_expiry(&self, n: usize) -> Option<u64> {
        let mut expiries: Vec<u64> = self
            .slots
            .iter()
            .filter_map(|s| s.done.map(|d| self.expiry(d)))
            .collect();
        if n >= expiries.len() {
            return None;
        }
        let (_, at, _) = expiries.select_nth_unstable(n);
        Some(*at)
    }

    /// Slot `id` was answered (or given up) at `now`. Whether the server refused it for the rate
    /// limit adjusts the estimate: a 429 at `position` says the server counts at least that many,
    /// and a success above the estimate says the limit is at least that high (a 429 that was not
    /// the window's, or another client's requests that have since expired).
    pub fn answered(&mut self, id: u64, position: u32, rate_limited: Option<bool>, now: u64) {
        if let Some(slot) = self.slots.iter_mut().rev().find(|s| s.id == id)
            && slot.done.is_none()
        {
            slot.done = Some(now);
        }
        match rate_limited {
            Some(true) => self.estimate = self.estimate.min(position.saturating_sub(1).max(1)),
            Some(false) if position > self.estimate => {
                self.estimate = position.min(self.configured);
            }
            _ => {}
        }
    }

    /// Takes a limit the server reported in place of the configured one.
    pub fn adopt(&mut self, limit: u32) {
        let limit = limit.max(1);
        if limit == self.configured {
            return;
        }
        let lowered = self.estimate < self.configured;
        self.configured = limit;
        self.estimate = if lowered {
            self.estimate.min(limit)
        } else {
            limit
        };
    }

    /// When each counted request was answered, ascending (those in flight as `now`, their
    /// earliest possible answer), at most `configured` of them: what a later run must still count.
    pub fn answers(&mut self, now: u64) -> Vec<u64> {
        self.prune(now);
        let mut done: Vec<u64> = self.slots.iter().map(|s| s.done.unwrap_or(now)).collect();
        done.sort_unstable();
        done
    }

    /// Requests that may still go at `now` without waiting.
    pub fn left(&mut self, now: u64) -> u32 {
        let count = self.count(now);
        u32::try_from((self.estimate as usize).saturating_sub(count)).unwrap_or(0)
    }

    /// When the `n`-th (1-based) request from now could go at the earliest, sending as fast as the
    /// window allows: request `i` (0-based) goes when the one `limit` places before it expires, so
    /// `t(i) = t(i mod limit) + (i div limit) * window`, where the first `limit` places are the
    /// free slots (now) and the expiries of the requests counted now. Requests in flight are
    /// taken to be answered now.
    pub fn earliest_for(&mut self, n: u64, now: u64) -> u64 {
        if n == 0 {
            return now;
        }
        self.prune(now);
        let limit = u64::from(self.estimate);
        let i = n - 1;
        let (q, r) = (i / limit, i % limit);
        let mut expiries: Vec<u64> = self
            .slots
            .iter()
            .map(|s| self.expiry(s.done.unwrap_or(now)))
            .collect();
        expiries.sort_unstable();
        let k = expiries.len() as u64;
        // Place r is free now when r < limit - k, else it is the expiry of counted request r - (limit - k).
        let base = match (r + k).checked_sub(limit) {
            None => now,
            Some(idx) => expiries
                .get(usize::try_from(idx).unwrap_or(usize::MAX))
                .copied()
                .unwrap_or(now)
                .max(now),
        };
        base + q * (self.window_ms + MARGIN_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u64 = 1_000;

    fn reserve(w: &mut Window, now: u64) -> (u64, u32) {
        match w.try_reserve(now) {
            Room::Now { id, position } => (id, position),
            other => panic!("no room at {now}: {other:?}"),
        }
    }

    #[test]
    fn a_window_within_budget_never_waits() {
        let mut w = Window::new(3, W);
        for (i, now) in [0, 1, 2].into_iter().enumerate() {
            let (id, position) = reserve(&mut w, now);
            assert_eq!(position, i as u32 + 1);
            w.answered(id, position, Some(false), now + 5);
        }
        assert_eq!(w.left(10), 0);
    }

    #[test]
    fn a_full_window_frees_a_slot_a_window_after_the_oldest_answer() {
        let mut w = Window::new(2, W);
        let (a, pa) = reserve(&mut w, 0);
        let (b, pb) = reserve(&mut w, 0);
        // Both in flight: no expiry known yet.
        assert_eq!(w.try_reserve(1), Room::AfterAnswer);
        w.answered(b, pb, Some(false), 30);
        assert_eq!(w.try_reserve(31), Room::At(30 + W + MARGIN_MS));
        w.answered(a, pa, Some(false), 50);
        assert_eq!(w.try_reserve(51), Room::At(30 + W + MARGIN_MS));
        // Not a millisecond early.
        assert_eq!(
            w.try_reserve(30 + W + MARGIN_MS - 1),
            Room::At(30 + W + MARGIN_MS)
        );
        let (_, position) = reserve(&mut w, 30 + W + MARGIN_MS);
        assert_eq!(position, 2);
        assert_eq!(
            w.try_reserve(30 + W + MARGIN_MS),
            Room::At(50 + W + MARGIN_MS)
        );
    }

    #[test]
    fn any_window_of_the_length_holds_at_most_the_limit() {
        // Greedy sending against the window, with varying latencies: count sends per sliding
        // window of send times, with each request occupying [sent, answered].
        let mut w = Window::new(5, W);
        let mut now = 0u64;
        let mut sent: Vec<(u64, u64)> = Vec::new();
        let mut pending: Vec<(u64, u32, u64)> = Vec::new();
        while sent.len() < 40 {
            // Answer what is due.
            pending.retain(|&(id, position, due)| {
                if due <= now {
                    w.answered(id, position, Some(false), due);
                    false
                } else {
                    true
                }
            });
            match w.try_reserve(now) {
                Room::Now { id, position } => {
                    let latency = 3 + (sent.len() as u64 * 7) % 40;
                    sent.push((now, now + latency));
                    pending.push((id, position, now + latency));
                }
                Room::At(t) => now = t.max(now + 1),
                Room::AfterAnswer => now = pending.iter().map(|p| p.2).min().unwrap(),
            }
        }
        // Whenever request j goes, the ones answered less than a window before are at most limit - 1.
        for (j, &(s, _)) in sent.iter().enumerate() {
            let counted = sent[..j].iter().filter(|&&(_, d)| d + W > s).count();
            assert!(counted < 5, "request {j} at {s} found {counted} counted");
        }
        // And greedy: 40 requests at 5 a window take 7 windows and a little.
        let last = sent.last().unwrap().0;
        assert!((7 * W..8 * W).contains(&last), "last sent at {last}");
    }

    #[test]
    fn a_429_lowers_the_estimate_and_a_success_above_it_raises_it() {
        let mut w = Window::new(10, W);
        let slots: Vec<(u64, u32)> = (0..6).map(|_| reserve(&mut w, 0)).collect();
        let (id, position) = slots[5];
        w.answered(id, position, Some(true), 5);
        assert_eq!(w.limit(), 5);
        assert_eq!(w.left(6), 0);
        // A request reserved before the 429 at a higher place succeeds: not the window's 429.
        let mut w2 = w.clone();
        w2.estimate = 4;
        w2.answered(slots[4].0, slots[4].1, Some(false), 7);
        assert_eq!(w2.limit(), 5);
        // Never above the configured limit, never below one.
        w.answered(slots[0].0, 11, Some(false), 8);
        assert_eq!(w.limit(), 10);
        w.answered(slots[1].0, 1, Some(true), 8);
        assert_eq!(w.limit(), 1);
    }

    #[test]
    fn a_reported_limit_replaces_the_configured_one() {
        let mut w = Window::new(1000, W);
        w.adopt(2500);
        assert_eq!((w.configured(), w.limit()), (2500, 2500));
        w.estimate = 2000;
        w.adopt(1500);
        assert_eq!((w.configured(), w.limit()), (1500, 1500));
        w.estimate = 1200;
        w.adopt(3000);
        assert_eq!((w.configured(), w.limit()), (3000, 1200));
    }

    #[test]
    fn seeded_answers_count_until_their_window_passes_and_only_the_newest_are_kept() {
        let mut w = Window::new(3, W);
        w.seed([100, 200, 300, 400, 500], 600);
        // Only the newest three matter: room when the first of them (300) expires.
        assert_eq!(w.answers(600), vec![300, 400, 500]);
        assert_eq!(w.try_reserve(600), Room::At(300 + W + MARGIN_MS));
        w.seed([], 300 + W + MARGIN_MS);
        assert_eq!(w.left(300 + W + MARGIN_MS), 1);
        // In flight counts as answered now in what is carried.
        let mut w = Window::new(3, W);
        reserve(&mut w, 10);
        assert_eq!(w.answers(20), vec![20]);
    }

    #[test]
    fn the_earliest_time_for_more_requests_steps_by_windows() {
        let mut w = Window::new(4, W);
        w.seed([0, 10], 20);
        // Two free now, then the two counted expire, then every window one block of four.
        assert_eq!(w.earliest_for(1, 20), 20);
        assert_eq!(w.earliest_for(2, 20), 20);
        assert_eq!(w.earliest_for(3, 20), W + MARGIN_MS);
        assert_eq!(w.earliest_for(4, 20), 10 + W + MARGIN_MS);
        assert_eq!(w.earliest_for(5, 20), 20 + W + MARGIN_MS);
        assert_eq!(w.earliest_for(7, 20), 2 * (W + MARGIN_MS));
        assert_eq!(w.earliest_for(12, 20), 10 + 3 * (W + MARGIN_MS));
    }
}

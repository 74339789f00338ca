//! The request budget of one HTTP capability (shared by a sync's instances): a rolling window
//! of at most `limit` requests, as services such as Bitbucket count them. A request waits only
//! when the window is full, and then exactly until the oldest counted request leaves it; the
//! window is seeded with what earlier runs sent and written to a journal as requests go.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

use super::send_log::{Journal, SendLog};
use super::window::{Room, Window};

/// How often, at most, a waiting budget is logged.
const TELL_EVERY: Duration = Duration::from_secs(30);

/// The budget's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetSettings {
    /// Requests allowed in any window.
    pub limit: u32,
    /// The window's length.
    pub window: Duration,
    /// Whether a limit the API reports (`X-RateLimit-Limit`) replaces `limit`: when it was not
    /// given explicitly.
    pub adopt_reported: bool,
}

/// Where the budget stands, for the progress line and the logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetStatus {
    /// The limit in force.
    pub limit: u32,
    /// The window's length.
    pub window: Duration,
    /// Requests that may go now without waiting.
    pub left: u32,
    /// When the next request may go, when none may now.
    pub next_at: Option<SystemTime>,
    /// When the sync's remaining requests (estimated from the previous sync's total) can all have
    /// gone, when the budget binds before then.
    pub finish_at: Option<SystemTime>,
}

impl fmt::Display for BudgetStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "budget {} of {} per {} left",
            self.left,
            self.limit,
            span(self.window)
        )?;
        if let Some(next) = self.next_at {
            write!(f, ", next request at {}", clock(next))?;
        }
        if let Some(finish) = self.finish_at {
            write!(f, ", expected finish {}", clock(finish))?;
        }
        Ok(())
    }
}

/// `1h`, `90s`, `2m30s`.
fn span(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// The UTC time of day, `HH:MM:SS UTC`, and how far off it is.
fn clock(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let day = secs % 86_400;
    let away = at
        .duration_since(SystemTime::now())
        .map(|d| format!(" (in {})", span(d)))
        .unwrap_or_default();
    format!(
        "{:02}:{:02}:{:02} UTC{away}",
        day / 3600,
        day % 3600 / 60,
        day % 60
    )
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The least wall time `requests` requests can take under `limit` per `window`, all available
/// at once and answered at once: request `i` (0-based) goes no earlier than `floor(i / limit)`
/// windows after the first, so the last goes `floor((requests - 1) / limit) * window` after it
/// (for 3x the budget, two windows). A sync's own work on the last block comes on top.
pub fn minimum_wall(requests: u64, limit: u32, window: Duration) -> Duration {
    let blocks = requests.saturating_sub(1) / u64::from(limit.max(1));
    window.saturating_mul(u32::try_from(blocks).unwrap_or(u32::MAX))
}

fn at_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

struct State {
    window: Window,
    journal: Option<Journal>,
    /// Requests the sync has sent over all its runs.
    sent: u64,
    /// Requests the previous sync sent.
    expected: Option<u64>,
    /// When a wait was last logged.
    told: Option<std::time::Instant>,
}

/// The budget; see the module docs.
pub struct RequestBudget {
    settings: BudgetSettings,
    state: Mutex<State>,
    /// Woken whenever a request is answered (an expiry becomes known, or the estimate rose).
    answered: Notify,
}

impl fmt::Debug for RequestBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBudget")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A reserved slot: the request may go. Dropped without an answer (the call was cancelled), it
/// counts as answered then.
pub struct Ticket {
    budget: Arc<RequestBudget>,
    id: u64,
    position: u32,
    settled: bool,
}

impl Ticket {
    /// The request got a response: `status` and its headers (for a reported limit).
    pub fn answered(mut self, status: u16, headers: &[(String, String)]) {
        if self.budget.settings.adopt_reported
            && let Some(limit) = reported_limit(headers)
        {
            self.budget.adopt(limit);
        }
        self.settle(Some(status == 429));
    }

    /// The request failed without a response (it may still have reached the server).
    pub fn failed(mut self) {
        self.settle(None);
    }

    fn settle(&mut self, rate_limited: Option<bool>) {
        if self.settled {
            return;
        }
        self.settled = true;
        let now = now_ms();
        {
            let mut state = self.budget.lock();
            let before = state.window.limit();
            state
                .window
                .answered(self.id, self.position, rate_limited, now);
            let after = state.window.limit();
            if after < before {
                tracing::warn!(
                    limit = after,
                    was = before,
                    "HTTP 429 although the request budget had room: the service counts more requests than this run sent (another client with the same credential, or a lower limit); lowering the budget"
                );
            }
            if let Some(journal) = &mut state.journal
                && let Err(e) = journal.answered(self.id, now)
            {
                drop_journal(&mut state, &e);
            }
        }
        self.budget.answered.notify_waiters();
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.settle(None);
    }
}

/// The `X-RateLimit-Limit` a response reports, if any.
fn reported_limit(headers: &[(String, String)]) -> Option<u32> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-ratelimit-limit"))
        .and_then(|(_, v)| v.trim().parse::<u32>().ok())
        .filter(|&n| n > 0)
}

fn drop_journal(state: &mut State, err: &std::io::Error) {
    if let Some(journal) = state.journal.take() {
        tracing::warn!(file = %journal.path().display(), error = %err,
            "cannot write the request journal; a sync killed from now on may overspend the budget when resumed");
    }
}

impl RequestBudget {
    /// An empty budget.
    pub fn new(settings: BudgetSettings) -> RequestBudget {
        let window_ms = u64::try_from(settings.window.as_millis()).unwrap_or(u64::MAX);
        RequestBudget {
            state: Mutex::new(State {
                window: Window::new(settings.limit, window_ms),
                journal: None,
                sent: 0,
                expected: None,
                told: None,
            }),
            settings,
            answered: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The settings.
    pub fn settings(&self) -> &BudgetSettings {
        &self.settings
    }

    /// Counts what earlier runs sent (their answers still in the window) and the sync's counts.
    pub fn restore(&self, log: &SendLog) {
        let mut state = self.lock();
        state.window.seed(log.times(), now_ms());
        state.sent = log.sent;
        state.expected = log.expected;
    }

    /// From now on, records every request in a journal at `path`, starting with what the window
    /// counts now. Fails only if the file cannot be written; the budget works on without one.
    pub fn keep_journal(&self, path: &Path) -> std::io::Result<()> {
        let mut state = self.lock();
        let log = state.log();
        state.journal = Some(Journal::create(path, &log)?);
        Ok(())
    }

    /// Stops journaling (the sync finished and its log went into the file).
    pub fn close_journal(&self) {
        self.lock().journal = None;
    }

    /// What the window counts now and the sync's counts, to carry to a later run.
    pub fn log(&self) -> SendLog {
        self.lock().log()
    }

    /// Where the budget stands now.
    pub fn status(&self) -> BudgetStatus {
        self.lock().status(&self.settings)
    }

    fn adopt(&self, limit: u32) {
        let mut state = self.lock();
        if state.window.configured() != limit {
            tracing::info!(
                limit,
                was = state.window.configured(),
                "the API reports its rate limit (X-RateLimit-Limit); budgeting to it"
            );
            state.window.adopt(limit);
        }
    }

    /// Reserves a slot, waiting until the window has room; returns it and how long it waited.
    pub async fn acquire(self: &Arc<Self>) -> (Ticket, Duration) {
        let started = std::time::Instant::now();
        loop {
            // Listen before looking, so an answer between the look and the wait is not missed.
            let answered = self.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            let room = {
                let mut state = self.lock();
                let now = now_ms();
                let room = state.window.try_reserve(now);
                match room {
                    Room::Now { id, position } => {
                        state.sent += 1;
                        if let Some(journal) = &mut state.journal
                            && let Err(e) = journal.reserved(id)
                        {
                            drop_journal(&mut state, &e);
                        }
                        let ticket = Ticket {
                            budget: self.clone(),
                            id,
                            position,
                            settled: false,
                        };
                        return (ticket, started.elapsed());
                    }
                    _ if state
                        .told
                        .is_none_or(|t| t.elapsed() >= TELL_EVERY.min(self.settings.window)) =>
                    {
                        state.told = Some(std::time::Instant::now());
                        let status = state.status(&self.settings);
                        tracing::info!(budget = %status, "request budget spent: waiting for the window");
                    }
                    _ => {}
                }
                room
            };
            match room {
                Room::At(at) => {
                    let wait = Duration::from_millis(at.saturating_sub(now_ms()));
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = answered => {}
                    }
                }
                Room::AfterAnswer => answered.await,
                Room::Now { .. } => unreachable!("returned above"),
            }
        }
    }
}

impl State {
    fn log(&mut self) -> SendLog {
        let times = self.window.answers(now_ms());
        SendLog::new(&times, self.sent, self.expected)
    }

    fn status(&mut self, settings: &BudgetSettings) -> BudgetStatus {
        let now = now_ms();
        let left = self.window.left(now);
        let next_at = (left == 0).then(|| at_ms(self.window.earliest_for(1, now)));
        let remaining = self.expected.map(|e| e.saturating_sub(self.sent));
        let finish_at = remaining
            .filter(|&r| r > u64::from(left))
            .map(|r| at_ms(self.window.earliest_for(r, now)));
        BudgetStatus {
            limit: self.window.limit(),
            window: settings.window,
            left,
            next_at,
            finish_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(limit: u32, window_ms: u64) -> Arc<RequestBudget> {
        Arc::new(RequestBudget::new(BudgetSettings {
            limit,
            window: Duration::from_millis(window_ms),
            adopt_reported: true,
        }))
    }

    #[tokio::test]
    async fn within_budget_nothing_waits_and_a_full_window_waits_for_its_oldest_answer() {
        let b = budget(3, 400);
        let started = std::time::Instant::now();
        let mut tickets = Vec::new();
        for _ in 0..3 {
            let (t, waited) = b.acquire().await;
            assert!(waited < Duration::from_millis(20), "{waited:?}");
            tickets.push(t);
        }
        assert_eq!(b.status().left, 0);
        // The fourth waits for the first answer, then a window after it.
        let b2 = b.clone();
        let fourth = tokio::spawn(async move { b2.acquire().await.1 });
        tokio::time::sleep(Duration::from_millis(100)).await;
        tickets.remove(0).answered(200, &[]);
        let waited = fourth.await.unwrap();
        let since = started.elapsed();
        assert!(
            since >= Duration::from_millis(500) && since < Duration::from_millis(700),
            "the fourth went {since:?} after the first ({waited:?} waiting)"
        );
    }

    #[tokio::test]
    async fn concurrent_senders_never_overshoot() {
        let b = budget(5, 300);
        let sent = Arc::new(Mutex::new(Vec::<(u64, u64)>::new()));
        let mut tasks = Vec::new();
        for i in 0..8u64 {
            let (b, sent) = (b.clone(), sent.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..3 {
                    let (t, _) = b.acquire().await;
                    let at = now_ms();
                    tokio::time::sleep(Duration::from_millis(5 + i * 3)).await;
                    let done = now_ms();
                    t.answered(200, &[]);
                    sent.lock().unwrap().push((at, done));
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let sent = sent.lock().unwrap().clone();
        assert_eq!(sent.len(), 24);
        for &(at, _) in &sent {
            let counted = sent
                .iter()
                .filter(|&&(s, d)| s <= at && d + 300 > at)
                .count();
            assert!(counted <= 5, "{counted} in the window at {at}");
        }
    }

    #[tokio::test]
    async fn a_cancelled_request_frees_its_place_in_line_and_a_reported_limit_is_taken() {
        let b = budget(1, 60_000);
        let (t, _) = b.acquire().await;
        t.answered(200, &[("X-RateLimit-Limit".to_string(), "3".to_string())]);
        assert_eq!(b.status().limit, 3);
        let (t, _) = b.acquire().await;
        drop(t);
        assert_eq!(b.status().left, 1);
        assert_eq!(b.log().sent, 2);
    }

    #[test]
    fn the_minimum_wall_time_counts_whole_windows_after_the_first_block() {
        let w = Duration::from_secs(10);
        assert_eq!(minimum_wall(0, 100, w), Duration::ZERO);
        assert_eq!(minimum_wall(100, 100, w), Duration::ZERO);
        assert_eq!(minimum_wall(101, 100, w), w);
        assert_eq!(minimum_wall(300, 100, w), 2 * w);
        assert_eq!(minimum_wall(301, 100, w), 3 * w);
    }

    #[test]
    fn the_status_reads_as_a_sentence() {
        let at = UNIX_EPOCH + Duration::from_secs(13 * 3600 + 5 * 60 + 9);
        let s = BudgetStatus {
            limit: 1000,
            window: Duration::from_secs(3600),
            left: 0,
            next_at: Some(at),
            finish_at: Some(at + Duration::from_secs(3600)),
        };
        assert_eq!(
            s.to_string(),
            "budget 0 of 1000 per 1h left, next request at 13:05:09 UTC, expected finish 14:05:09 UTC"
        );
    }
}

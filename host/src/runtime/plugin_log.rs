//! The plugin's log lines on their way into the host's log, from the `log` import and from its
//! stdout and stderr alike: each line cut to a length, identical warnings said once, and the
//! whole rate-capped by a token bucket (lines a second after a burst), so a plugin cannot flood
//! the host's log. Lines over the cap are dropped and counted; the count is logged when lines
//! are let through again (at most every `NOTE_INTERVAL`, so a sustained flood does not double
//! its trickle with notes) and when the run ends.
//!
//! One [`PluginLog`] serves every instance of a run (a sync's instances belong to one tenant and
//! derive the same workspace-level warnings each), so the cap and the dedupe are per run.

use std::borrow::Cow;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tracing::Level;

/// The bounds on a run's plugin log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLimits {
    /// Longest line kept, in bytes; the rest is cut and replaced by a marker.
    pub max_line_bytes: usize,
    /// Lines a second let through once the burst is spent; 0 for no cap.
    pub lines_per_second: u32,
    /// Lines let through at once before the rate applies.
    pub burst_lines: u32,
}

/// Lines longer than this are cut by default: a stack trace's line, not a response body.
pub const DEFAULT_MAX_LOG_LINE_BYTES: usize = 4096;
/// Lines a second by default: far more than a connector's progress and warnings.
pub const DEFAULT_LOG_LINES_PER_SECOND: u32 = 50;
/// The burst by default: a validate's or a failure's worth of lines at once.
pub const DEFAULT_LOG_BURST_LINES: u32 = 500;

impl Default for LogLimits {
    fn default() -> Self {
        LogLimits {
            max_line_bytes: DEFAULT_MAX_LOG_LINE_BYTES,
            lines_per_second: DEFAULT_LOG_LINES_PER_SECOND,
            burst_lines: DEFAULT_LOG_BURST_LINES,
        }
    }
}

/// Where a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogSource {
    /// The contract's `log` import.
    Log,
    /// The guest's stdout.
    Stdout,
    /// The guest's stderr.
    Stderr,
}

impl LogSource {
    fn as_str(self) -> &'static str {
        match self {
            LogSource::Log => "log",
            LogSource::Stdout => "stdout",
            LogSource::Stderr => "stderr",
        }
    }
}

/// Distinct warnings remembered for the dedupe; beyond this, new ones are no longer deduped
/// (the rate cap still holds).
const REMEMBERED_WARNINGS: usize = 10_000;

/// The least time between two notes of dropped lines during a run.
const NOTE_INTERVAL: Duration = Duration::from_secs(10);

/// A run's plugin log; clones share it. The dropped-lines note comes at the latest when the
/// last clone goes, at the end of the run.
#[derive(Clone)]
pub struct PluginLog {
    shared: Arc<Shared>,
}

struct Shared {
    plugin: String,
    limits: LogLimits,
    gate: Mutex<Gate>,
}

impl PluginLog {
    /// The log of one run of `plugin`.
    pub fn new(plugin: &str, limits: LogLimits) -> PluginLog {
        PluginLog {
            shared: Arc::new(Shared {
                plugin: plugin.to_string(),
                gate: Mutex::new(Gate::new(&limits, Instant::now())),
                limits,
            }),
        }
    }

    /// The bounds this log applies.
    pub fn limits(&self) -> &LogLimits {
        &self.shared.limits
    }

    /// Lines dropped by the rate cap so far in this run.
    pub fn dropped_lines(&self) -> u64 {
        self.gate().dropped_total
    }

    /// Writes one line of the plugin's to the host's log, if the filter wants its level, the
    /// cap lets it through and (for a warning) it was not said before in this run. `omitted`
    /// counts bytes of the line already cut off by the caller.
    pub fn line(&self, level: Level, source: LogSource, text: &str, omitted: usize) {
        if !enabled(level) {
            return;
        }
        let warning_key = (level == Level::WARN).then(|| {
            let mut h = DefaultHasher::new();
            (source, text).hash(&mut h);
            h.finish()
        });
        let admitted = self.gate().admit(Instant::now(), warning_key);
        let note = match admitted {
            Admit::Write { note } => note,
            Admit::Drop | Admit::Repeat => return,
        };
        let plugin = self.shared.plugin.as_str();
        if let Some(dropped) = note {
            dropped_note(plugin, &self.shared.limits, dropped);
        }
        let text = cut(text, self.shared.limits.max_line_bytes, omitted);
        let stream = source.as_str();
        match level {
            Level::ERROR => tracing::error!(plugin, stream, "{text}"),
            Level::WARN => tracing::warn!(plugin, stream, "{text}"),
            Level::INFO => tracing::info!(plugin, stream, "{text}"),
            Level::DEBUG => tracing::debug!(plugin, stream, "{text}"),
            _ => tracing::trace!(plugin, stream, "{text}"),
        }
    }

    fn gate(&self) -> std::sync::MutexGuard<'_, Gate> {
        self.shared
            .gate
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let gate = self.gate.get_mut().unwrap_or_else(PoisonError::into_inner);
        let (dropped, repeated) = (gate.dropped, gate.repeated);
        if dropped > 0 {
            dropped_note(&self.plugin, &self.limits, dropped);
        }
        if repeated > 0 {
            tracing::debug!(plugin = %self.plugin, repeated, "plugin {} repeated {repeated} warnings already logged in this run; each was logged once", self.plugin);
        }
    }
}

/// Says how many lines the cap dropped: when lines come through again, and at the end.
fn dropped_note(plugin: &str, limits: &LogLimits, dropped: u64) {
    tracing::warn!(
        plugin,
        dropped,
        "plugin {plugin} wrote more log lines than the {} a second (after a burst of {}) allowed: \
         dropped {dropped} lines; raise --log-lines-per-second to keep more",
        limits.lines_per_second,
        limits.burst_lines
    );
}

/// Whether the subscriber wants lines of `level` from here: lines it would discard spend
/// nothing of the cap.
fn enabled(level: Level) -> bool {
    match level {
        Level::ERROR => tracing::enabled!(Level::ERROR),
        Level::WARN => tracing::enabled!(Level::WARN),
        Level::INFO => tracing::enabled!(Level::INFO),
        Level::DEBUG => tracing::enabled!(Level::DEBUG),
        _ => tracing::enabled!(Level::TRACE),
    }
}

/// `text` cut to at most `max` bytes (on a character boundary), with a marker saying how much
/// was cut, counting `omitted` bytes cut before.
pub(super) fn cut(text: &str, max: usize, omitted: usize) -> Cow<'_, str> {
    if text.len() <= max && omitted == 0 {
        return Cow::Borrowed(text);
    }
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = text.len() - end + omitted;
    Cow::Owned(format!("{}… [line cut: {cut} more bytes]", &text[..end]))
}

/// The token bucket and the warnings said so far.
struct Gate {
    /// Tokens a second; `None` for no cap.
    rate: Option<f64>,
    capacity: f64,
    tokens: f64,
    refilled_at: Instant,
    /// Dropped since the last note.
    dropped: u64,
    last_note: Option<Instant>,
    dropped_total: u64,
    warned: HashSet<u64>,
    repeated: u64,
}

/// What becomes of a line.
#[derive(Debug, PartialEq, Eq)]
enum Admit {
    /// Write it, after a note of this many lines dropped before it, if one is due.
    Write { note: Option<u64> },
    /// Over the cap.
    Drop,
    /// A warning already said in this run.
    Repeat,
}

impl Gate {
    fn new(limits: &LogLimits, now: Instant) -> Gate {
        let capacity = f64::from(limits.burst_lines.max(1));
        Gate {
            rate: (limits.lines_per_second > 0).then_some(f64::from(limits.lines_per_second)),
            capacity,
            tokens: capacity,
            refilled_at: now,
            dropped: 0,
            last_note: None,
            dropped_total: 0,
            warned: HashSet::new(),
            repeated: 0,
        }
    }

    fn admit(&mut self, now: Instant, warning: Option<u64>) -> Admit {
        if let Some(key) = warning
            && self.warned.contains(&key)
        {
            self.repeated += 1;
            return Admit::Repeat;
        }
        if let Some(rate) = self.rate {
            let elapsed = now
                .saturating_duration_since(self.refilled_at)
                .as_secs_f64();
            self.tokens = (self.tokens + elapsed * rate).min(self.capacity);
            self.refilled_at = now;
            if self.tokens < 1.0 {
                self.dropped += 1;
                self.dropped_total += 1;
                return Admit::Drop;
            }
            self.tokens -= 1.0;
        }
        if let Some(key) = warning
            && self.warned.len() < REMEMBERED_WARNINGS
        {
            self.warned.insert(key);
        }
        let due = self
            .last_note
            .is_none_or(|at| now.saturating_duration_since(at) >= NOTE_INTERVAL);
        let note = (self.dropped > 0 && due).then(|| {
            self.last_note = Some(now);
            std::mem::take(&mut self.dropped)
        });
        Admit::Write { note }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits(per_second: u32, burst: u32) -> LogLimits {
        LogLimits {
            max_line_bytes: 16,
            lines_per_second: per_second,
            burst_lines: burst,
        }
    }

    const WRITE: Admit = Admit::Write { note: None };

    #[test]
    fn a_burst_then_the_rate_and_the_dropped_count_comes_with_the_next_line() {
        let t0 = Instant::now();
        let mut gate = Gate::new(&limits(10, 3), t0);
        for _ in 0..3 {
            assert_eq!(gate.admit(t0, None), WRITE);
        }
        for _ in 0..5 {
            assert_eq!(gate.admit(t0, None), Admit::Drop);
        }
        // A tenth of a second later one token is back, and the line carries the five dropped.
        let later = t0 + Duration::from_millis(100);
        assert_eq!(gate.admit(later, None), Admit::Write { note: Some(5) });
        assert_eq!(gate.admit(later, None), Admit::Drop);
        assert_eq!(gate.dropped_total, 6);
        // The next note waits for its interval; the drops add up meanwhile.
        let soon = later + Duration::from_millis(100);
        assert_eq!(gate.admit(soon, None), WRITE);
        assert_eq!(gate.admit(soon, None), Admit::Drop);
        let due = later + NOTE_INTERVAL;
        assert_eq!(gate.admit(due, None), Admit::Write { note: Some(2) });
        // The bucket refills to the burst, not beyond.
        let much_later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(matches!(gate.admit(much_later, None), Admit::Write { .. }));
        }
        assert_eq!(gate.admit(much_later, None), Admit::Drop);
    }

    #[test]
    fn no_rate_lets_everything_through() {
        let t0 = Instant::now();
        let mut gate = Gate::new(&limits(0, 1), t0);
        for _ in 0..10_000 {
            assert_eq!(gate.admit(t0, None), WRITE);
        }
    }

    #[test]
    fn an_identical_warning_is_written_once_and_costs_nothing_again() {
        let t0 = Instant::now();
        let mut gate = Gate::new(&limits(1, 2), t0);
        assert!(matches!(gate.admit(t0, Some(7)), Admit::Write { .. }));
        for _ in 0..100 {
            assert_eq!(gate.admit(t0, Some(7)), Admit::Repeat);
        }
        assert!(matches!(gate.admit(t0, Some(8)), Admit::Write { .. }));
        assert_eq!(gate.repeated, 100);
        // A warning dropped by the cap is not remembered: it may come through later.
        assert_eq!(gate.admit(t0, Some(9)), Admit::Drop);
        let later = t0 + Duration::from_secs(1);
        assert!(matches!(gate.admit(later, Some(9)), Admit::Write { .. }));
    }

    #[test]
    fn a_long_line_is_cut_on_a_character_boundary_with_a_marker() {
        assert_eq!(cut("short", 16, 0), "short");
        assert_eq!(
            cut("0123456789abcdefXYZ", 16, 0),
            "0123456789abcdef… [line cut: 3 more bytes]"
        );
        // "é" is two bytes: the cut moves back to the boundary before it.
        assert_eq!(
            cut("aaaaaaaaaaaaaaaé", 16, 0),
            "aaaaaaaaaaaaaaa… [line cut: 2 more bytes]"
        );
        assert_eq!(cut("kept", 16, 10), "kept… [line cut: 10 more bytes]");
    }
}

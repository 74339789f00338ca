//! Live progress of a one-shot sync on a terminal (a `SyncEvents` sink): phase, counts,
//! requests, the request budget (left, and when it binds the next request's and the expected
//! finish's time) and elapsed time. When stderr is not a terminal nothing is drawn; logs carry the story.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::sync::{Counts, SyncEvents};

/// The bar being drawn, if any: log lines are written around it, not through it.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Where log lines go: stderr, with the live progress bar (if any) lifted while a line is written.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = ACTIVE_BAR.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match bar {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// A progress display, or nothing when not on a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    /// Draws on stderr when it is a terminal and `enabled` is set.
    pub fn new(enabled: bool) -> Progress {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            *ACTIVE_BAR.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
        }
    }

    /// A display that never draws (tests, service mode).
    pub fn hidden() -> Progress {
        Progress::new(false)
    }

    /// Shows the current phase and counters.
    pub fn update(&self, phase: &str, counts: &Counts) {
        if let Some(bar) = &self.bar {
            let budget = counts
                .budget
                .as_ref()
                .map(|b| format!("; {b}"))
                .unwrap_or_default();
            bar.set_message(format!(
                "{phase}: {} resources, {} entitlements, {} grants, {} requests{budget}",
                counts.resources, counts.entitlements, counts.grants, counts.requests
            ));
        }
    }

    /// Time since the sync started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Removes the display.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            ACTIVE_BAR.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
    }
}

impl SyncEvents for Progress {
    fn progress(&self, phase: &str, counts: &Counts) {
        self.update(phase, counts);
    }

    fn ended(&self) {
        self.finish();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // A failed sync never reaches `finish`: clear the bar so the error is printed cleanly.
        self.finish();
    }
}

//! Live progress of a one-shot sync on a terminal: phase, counts, requests and elapsed time.
//! When stderr is not a terminal nothing is drawn; logs carry the story.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Counters shown while a sync runs.
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
            bar.set_message(format!(
                "{phase}: {} resources, {} entitlements, {} grants, {} requests",
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
        }
    }
}

//! When a tenant syncs: every `interval` (humantime, `6h`) or on a cron `schedule` (five fields,
//! minute first, in UTC; six or seven with seconds first, as the `cron` crate reads them). A
//! tenant with no finished sync, or whose last one is older than its interval, syncs at once.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

/// Why a schedule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not a duration.
    #[error("{text:?} is not a duration ({why}); write it like \"6h\", \"90m\" or \"1day\"")]
    Interval {
        /// What was given.
        text: String,
        /// humantime's reason.
        why: String,
    },
    /// Too short to be meant.
    #[error("{text:?} is shorter than a second")]
    TooShort {
        /// What was given.
        text: String,
    },
    /// Not a cron expression.
    #[error(
        "{text:?} is not a cron expression ({why}); write five fields, for example \"0 */6 * * *\" for every six hours"
    )]
    Cron {
        /// What was given.
        text: String,
        /// The cron crate's reason.
        why: String,
    },
}

/// A tenant's schedule.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Every so long after the last finished sync.
    Every(Duration),
    /// At the times a cron expression names (UTC).
    Cron(Box<cron::Schedule>),
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Schedule::Every(a), Schedule::Every(b)) => a == b,
            (Schedule::Cron(a), Schedule::Cron(b)) => a.source() == b.source(),
            _ => false,
        }
    }
}

/// The shortest interval taken.
const SHORTEST: Duration = Duration::from_secs(1);

impl Schedule {
    /// An interval schedule from humantime text (`6h`, `30m`, `1day 2h`).
    pub fn every(text: &str) -> Result<Schedule, ScheduleError> {
        let d = humantime::parse_duration(text).map_err(|e| ScheduleError::Interval {
            text: text.to_string(),
            why: e.to_string(),
        })?;
        if d < SHORTEST {
            return Err(ScheduleError::TooShort {
                text: text.to_string(),
            });
        }
        Ok(Schedule::Every(d))
    }

    /// A cron schedule: five fields (minute hour day month weekday) or the cron crate's six or
    /// seven (seconds first, year last).
    pub fn cron(text: &str) -> Result<Schedule, ScheduleError> {
        let fields = text.split_whitespace().count();
        let full = if fields == 5 {
            format!("0 {text}")
        } else {
            text.to_string()
        };
        cron::Schedule::from_str(&full)
            .map(|s| Schedule::Cron(Box::new(s)))
            .map_err(|e| ScheduleError::Cron {
                text: text.to_string(),
                why: e.to_string(),
            })
    }

    /// When the next sync is due, given when the last one finished: at once (`now`) if there is
    /// none or it is overdue.
    pub fn next_run(&self, last_finished: Option<SystemTime>, now: SystemTime) -> SystemTime {
        let Some(last) = last_finished else {
            return now;
        };
        let due = match self {
            Schedule::Every(d) => last + *d,
            Schedule::Cron(s) => {
                let after: DateTime<Utc> = last.into();
                match s.after(&after).next() {
                    Some(t) => t.into(),
                    // An expression with no future time (a past year): never again.
                    None => return now + Duration::from_secs(100 * 365 * 24 * 3600),
                }
            }
        };
        due.max(now)
    }

    /// About how long between two syncs: the cap of a failing tenant's backoff, so it retries at
    /// least as often as it would sync.
    pub fn period(&self, now: SystemTime) -> Duration {
        match self {
            Schedule::Every(d) => *d,
            Schedule::Cron(s) => {
                let now: DateTime<Utc> = now.into();
                let mut times = s.after(&now);
                match (times.next(), times.next()) {
                    (Some(a), Some(b)) => (b - a).to_std().unwrap_or(Duration::from_secs(3600)),
                    _ => Duration::from_secs(3600),
                }
            }
        }
    }

    /// The schedule as written: `every 6h` or the cron expression.
    pub fn describe(&self) -> String {
        match self {
            Schedule::Every(d) => format!("every {}", humantime::format_duration(*d)),
            Schedule::Cron(s) => format!("cron {}", s.source()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn an_interval_runs_at_once_without_a_sync_and_after_it_otherwise() {
        let s = Schedule::every("6h").unwrap();
        let now = at(1_000_000);
        assert_eq!(s.next_run(None, now), now);
        assert_eq!(s.next_run(Some(at(999_000)), now), at(999_000 + 6 * 3600));
        // Overdue: at once.
        assert_eq!(s.next_run(Some(at(1_000_000 - 7 * 3600)), now), now);
        assert_eq!(s.period(now), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn cron_takes_five_fields_in_utc() {
        let s = Schedule::cron("0 */6 * * *").unwrap();
        // 1970-01-12 13:46:40 UTC; the next multiple of six hours is 18:00.
        let now = at(1_000_000);
        let last = at(1_000_000 - 60);
        let next = s.next_run(Some(last), now);
        assert_eq!(next, at(1_000_000 - 1_000_000 % (6 * 3600) + 6 * 3600));
        assert_eq!(s.period(now), Duration::from_secs(6 * 3600));
        assert_eq!(s.next_run(None, now), now);
    }

    #[test]
    fn bad_schedules_are_explained() {
        assert!(matches!(
            Schedule::every("soon"),
            Err(ScheduleError::Interval { .. })
        ));
        assert!(matches!(
            Schedule::every("5ms"),
            Err(ScheduleError::TooShort { .. })
        ));
        let e = Schedule::cron("every day").unwrap_err().to_string();
        assert!(e.contains("0 */6 * * *"), "{e}");
    }
}

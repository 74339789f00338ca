//! Bounds on a sync as a whole, so that a plugin whose listings never end (each page naming a
//! next one) cannot run for ever or fill the disk: a deadline, a cap on the rows written and a
//! cap on what the sync adds to its in-progress file. The engine checks them as it goes; one
//! that is reached fails the sync and removes its in-progress file, since resuming it would only
//! run into the same bound again.

use std::time::Duration;

/// The bounds of one sync; `None` is no bound.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncLimits {
    /// Wall time the sync may take, from the engine's start (the plugin's validate before it
    /// has its own call timeout).
    pub timeout: Option<Duration>,
    /// Resources, entitlements and grants the sync may write (grant expansion's included).
    pub max_rows: Option<u64>,
    /// Bytes the sync may add to its in-progress file.
    pub max_bytes: Option<u64>,
}

/// Which bound stopped a sync, with its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncLimit {
    /// The deadline.
    Timeout(Duration),
    /// The row cap.
    Rows(u64),
    /// The cap on the in-progress file's growth, in bytes.
    Bytes(u64),
}

impl SyncLimit {
    /// What happened, for the error.
    pub fn what(&self) -> String {
        match self {
            SyncLimit::Timeout(d) => format!(
                "did not finish within its deadline of {} (--sync-timeout-seconds {})",
                human_duration(*d),
                d.as_secs()
            ),
            SyncLimit::Rows(n) => format!(
                "wrote more than {n} rows (resources, entitlements and grants; --max-sync-rows {n})"
            ),
            SyncLimit::Bytes(b) => format!(
                "grew its in-progress file by more than {} MiB (--max-sync-mib {})",
                b >> 20,
                b >> 20
            ),
        }
    }

    /// What to do about it, for the error.
    pub fn hint(&self) -> &'static str {
        match self {
            SyncLimit::Timeout(_) => {
                "if the service is merely slow or the tenant very large, raise \
                 --sync-timeout-seconds (BATON_SYNC_TIMEOUT_SECONDS); otherwise check the plugin: \
                 a listing whose pages never end keeps a sync running"
            }
            SyncLimit::Rows(_) => {
                "if the tenant really is this large, raise --max-sync-rows (BATON_MAX_SYNC_ROWS); \
                 otherwise check the plugin: a listing whose pages never end keeps writing rows"
            }
            SyncLimit::Bytes(_) => {
                "if the tenant really is this large, raise --max-sync-mib (BATON_MAX_SYNC_MIB); \
                 otherwise check the plugin: a listing whose pages never end, or very large \
                 objects, keep growing the file"
            }
        }
    }
}

impl SyncLimits {
    /// The bound that `rows` written and `added` bytes break, if one does.
    pub(super) fn exceeded(&self, rows: u64, added: u64) -> Option<SyncLimit> {
        if let Some(max) = self.max_rows.filter(|&max| rows > max) {
            return Some(SyncLimit::Rows(max));
        }
        self.max_bytes
            .filter(|&max| added > max)
            .map(SyncLimit::Bytes)
    }
}

fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{} ms", d.as_millis()),
        _ if s.is_multiple_of(3600) => format!("{} h", s / 3600),
        _ if s.is_multiple_of(60) => format!("{} min", s / 60),
        _ => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked_before_bytes_and_equal_is_allowed() {
        let limits = SyncLimits {
            timeout: None,
            max_rows: Some(10),
            max_bytes: Some(1 << 20),
        };
        assert_eq!(limits.exceeded(10, 1 << 20), None);
        assert_eq!(limits.exceeded(11, 2 << 20), Some(SyncLimit::Rows(10)));
        assert_eq!(
            limits.exceeded(3, (1 << 20) + 1),
            Some(SyncLimit::Bytes(1 << 20))
        );
        assert_eq!(SyncLimits::default().exceeded(u64::MAX, u64::MAX), None);
    }

    #[test]
    fn the_messages_name_the_flag_and_its_value() {
        let t = SyncLimit::Timeout(Duration::from_secs(86_400));
        assert!(
            t.what().contains("24 h") && t.what().contains("86400"),
            "{}",
            t.what()
        );
        assert!(SyncLimit::Rows(5).what().contains("--max-sync-rows 5"));
        assert!(
            SyncLimit::Bytes(3 << 20)
                .what()
                .contains("--max-sync-mib 3")
        );
        assert_eq!(human_duration(Duration::from_millis(1500)), "1 s");
        assert_eq!(human_duration(Duration::from_millis(300)), "300 ms");
    }
}

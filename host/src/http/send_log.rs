//! What the request budget remembers between runs: when the requests the window still counts
//! were answered, in two forms. [`SendLog`] is the compact value kept in a sync's checkpoints and
//! in a finished sync's metadata; [`Journal`] is a file appended at every request while a sync
//! runs, so a run killed between two checkpoints still tells the next what it sent.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The window's requests and the sync's request counts, as carried in a sync token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendLog {
    /// When each counted request was answered, ascending: the first in ms since the Unix epoch,
    /// each next as the gap after the one before (bounded by the budget's size).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<u64>,
    /// Requests the sync has sent so far, over all its runs.
    #[serde(default)]
    pub sent: u64,
    /// Requests the previous finished sync sent: what this one will likely need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
}

impl SendLog {
    /// A log of answers at these times (ms, ascending).
    pub fn new(times: &[u64], sent: u64, expected: Option<u64>) -> SendLog {
        let mut answers = Vec::with_capacity(times.len());
        let mut last = 0;
        for (i, &t) in times.iter().enumerate() {
            answers.push(if i == 0 { t } else { t.saturating_sub(last) });
            last = t;
        }
        SendLog {
            answers,
            sent,
            expected,
        }
    }

    /// The answers' times (ms).
    pub fn times(&self) -> Vec<u64> {
        let mut at = 0u64;
        self.answers
            .iter()
            .map(|&gap| {
                at = at.saturating_add(gap);
                at
            })
            .collect()
    }

    /// The log of a finished sync as the next sync starts it: its requests still count, and its
    /// total is what the next will likely need.
    pub fn after_finish(self) -> SendLog {
        SendLog {
            expected: Some(self.sent),
            sent: 0,
            ..self
        }
    }
}

/// The append-only record of a running sync's requests: `h SENT EXPECTED` first, then `d MS` for
/// each request carried from before, `s ID` when a request is about to go and `a ID MS` when it
/// was answered. A request sent and never answered (the process died) is taken as answered when
/// the journal is read back.
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Reads a journal left by an earlier run, taking requests in flight as answered at `now`;
    /// `None` when there is none.
    pub fn load(path: &Path, now: u64) -> io::Result<Option<SendLog>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut log = SendLog::default();
        let mut times = Vec::new();
        let mut in_flight = std::collections::BTreeSet::new();
        // A line cut short by a kill has no newline yet: only whole lines count.
        let whole = text.rfind('\n').map_or("", |end| &text[..end]);
        for line in whole.lines() {
            let mut parts = line.split(' ');
            let (kind, a, b) = (parts.next(), parts.next(), parts.next());
            let num = |s: Option<&str>| s.and_then(|s| s.parse::<u64>().ok());
            match (kind, num(a), b) {
                (Some("h"), Some(sent), expected) => {
                    log.sent = sent;
                    log.expected = num(expected);
                }
                (Some("d"), Some(at), None) => times.push(at),
                (Some("s"), Some(id), None) => {
                    log.sent += 1;
                    in_flight.insert(id);
                }
                (Some("a"), Some(id), Some(_)) => {
                    if let (true, Some(at)) = (in_flight.remove(&id), num(b)) {
                        times.push(at);
                    }
                }
                _ => {}
            }
        }
        times.extend(in_flight.iter().map(|_| now));
        times.sort_unstable();
        log.answers = SendLog::new(&times, 0, None).answers;
        Ok(Some(log))
    }

    /// Starts a journal at `path` holding `log` (written beside and renamed, so a kill leaves
    /// either the old journal or the new one).
    pub fn create(path: &Path, log: &SendLog) -> io::Result<Journal> {
        let mut text = format!(
            "h {} {}\n",
            log.sent,
            log.expected.map_or("-".to_string(), |e| e.to_string())
        );
        for at in log.times() {
            text.push_str(&format!("d {at}\n"));
        }
        let mut part = path.as_os_str().to_owned();
        part.push(".part");
        let part = PathBuf::from(part);
        std::fs::write(&part, text)?;
        std::fs::rename(&part, path)?;
        let file = std::fs::OpenOptions::new().append(true).open(path)?;
        Ok(Journal {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Request `id` is about to go.
    pub fn reserved(&mut self, id: u64) -> io::Result<()> {
        // One write per line: a kill cuts at most the line being written.
        self.file.write_all(format!("s {id}\n").as_bytes())
    }

    /// Request `id` was answered at `at` (ms).
    pub fn answered(&mut self, id: u64, at: u64) -> io::Result<()> {
        self.file.write_all(format!("a {id} {at}\n").as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_gaps_and_round_trips_as_json() {
        let log = SendLog::new(
            &[1_764_600_000_000, 1_764_600_000_012, 1_764_600_000_012],
            7,
            Some(9),
        );
        assert_eq!(log.answers, vec![1_764_600_000_000, 12, 0]);
        let json = serde_json::to_string(&log).unwrap();
        assert_eq!(
            json,
            r#"{"answers":[1764600000000,12,0],"sent":7,"expected":9}"#
        );
        let back: SendLog = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.times(),
            vec![1_764_600_000_000, 1_764_600_000_012, 1_764_600_000_012]
        );
        assert_eq!(back.clone().after_finish().expected, Some(7));
        assert_eq!(back.after_finish().sent, 0);
        let empty: SendLog = serde_json::from_str("{}").unwrap();
        assert!(empty.times().is_empty());
    }

    #[test]
    fn a_journal_read_back_counts_requests_in_flight_as_answered_then() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.c1z.in-progress.sends");
        assert_eq!(Journal::load(&path, 0).unwrap(), None);
        let mut journal = Journal::create(&path, &SendLog::new(&[100, 150], 4, Some(20))).unwrap();
        journal.reserved(0).unwrap();
        journal.reserved(1).unwrap();
        journal.answered(1, 300).unwrap();
        journal.reserved(2).unwrap();
        drop(journal);
        // A line cut short by a kill.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"a 0 3")
            .unwrap();
        let log = Journal::load(&path, 900).unwrap().unwrap();
        assert_eq!(log.times(), vec![100, 150, 300, 900, 900]);
        assert_eq!((log.sent, log.expected), (7, Some(20)));
        // A new run starts from what was read.
        Journal::create(&path, &log).unwrap();
        assert_eq!(Journal::load(&path, 1000).unwrap().unwrap(), log);
    }
}

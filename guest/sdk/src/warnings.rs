//! Warnings said once per instance: a sync that meets the same refusal on every page says so
//! once, not a thousand times.

use std::collections::HashSet;

use crate::transport::{LogLevel, Transport};

/// The keys already warned about in this instance.
#[derive(Debug, Default)]
pub struct Warnings {
    said: HashSet<String>,
}

impl Warnings {
    /// Logs `message` as a warning unless one was logged for `key` before.
    pub fn once(&mut self, log: &dyn Transport, key: &str, message: &str) {
        if self.said.insert(key.to_string()) {
            log.log(LogLevel::Warn, message);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::transport::{HttpError, HttpRequest, HttpResponse};

    #[derive(Default)]
    struct Lines(RefCell<Vec<String>>);
    impl Transport for Lines {
        fn send(&self, _: &HttpRequest) -> Result<HttpResponse, HttpError> {
            Err(HttpError::Denied("no".into()))
        }
        fn log(&self, level: LogLevel, message: &str) {
            self.0.borrow_mut().push(format!("{level:?} {message}"));
        }
    }

    #[test]
    fn a_key_is_warned_about_once() {
        let log = Lines::default();
        let mut w = Warnings::default();
        w.once(&log, "a", "first");
        w.once(&log, "a", "again");
        w.once(&log, "b", "other");
        assert_eq!(*log.0.borrow(), vec!["Warn first", "Warn other"]);
    }
}

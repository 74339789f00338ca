//! Bitbucket's rate limit (reference §3): at most so many requests per credential in any rolling
//! window (an hour on Bitbucket; seconds in tests). Counted per user for user credentials, per
//! consumer for OAuth, per access token; a request over the limit gets the text/plain 429 without
//! `Retry-After`, and is not counted itself. Access-token requests to `/2.0/repositories/*` carry
//! `X-RateLimit-Limit`, `X-RateLimit-Resource` and `X-RateLimit-NearLimit`.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::auth::Caller;

/// The limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollingLimit {
    /// Requests a user credential or an OAuth consumer may make in any window.
    pub requests: u32,
    /// The window.
    pub window: Duration,
    /// The access token's (scaled) limit; `requests` when not set.
    pub access_token_requests: Option<u32>,
}

impl RollingLimit {
    /// `requests` per `window` for every credential.
    pub fn new(requests: u32, window: Duration) -> RollingLimit {
        RollingLimit {
            requests,
            window,
            access_token_requests: None,
        }
    }
}

/// What the limit says of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether it is over the limit (answer 429).
    pub refused: bool,
    /// The rate-limit headers to add, for access tokens on scaled endpoints.
    pub headers: Vec<(&'static str, String)>,
}

/// Requests counted per credential.
#[derive(Debug, Default)]
pub struct RollingCounts {
    limit: Option<RollingLimit>,
    arrivals: HashMap<String, VecDeque<Instant>>,
}

impl RollingCounts {
    /// Counts under `limit` (none: nothing is limited).
    pub fn new(limit: Option<RollingLimit>) -> RollingCounts {
        RollingCounts {
            limit,
            arrivals: HashMap::new(),
        }
    }

    /// Judges a request of `caller` to `path` arriving `now`, counting it when it is served.
    pub fn judge(&mut self, caller: &Caller, path: &str, now: Instant) -> Verdict {
        let pass = Verdict {
            refused: false,
            headers: Vec::new(),
        };
        let Some(limit) = self.limit else {
            return pass;
        };
        let (key, allowed) = match caller {
            Caller::User { oauth: true, .. } => ("oauth-consumer".to_string(), limit.requests),
            Caller::User { uuid, .. } => (format!("user {uuid}"), limit.requests),
            Caller::AccessToken => (
                "access-token".to_string(),
                limit.access_token_requests.unwrap_or(limit.requests),
            ),
        };
        let seen = self.arrivals.entry(key).or_default();
        while seen
            .front()
            .is_some_and(|&t| now.duration_since(t) >= limit.window)
        {
            seen.pop_front();
        }
        let refused = seen.len() >= allowed as usize;
        if !refused {
            seen.push_back(now);
        }
        let mut headers = Vec::new();
        if *caller == Caller::AccessToken && path.starts_with("/2.0/repositories") {
            let left = (allowed as usize).saturating_sub(seen.len());
            headers.push(("X-RateLimit-Limit", allowed.to_string()));
            headers.push(("X-RateLimit-Resource", "api".to_string()));
            headers.push((
                "X-RateLimit-NearLimit",
                (left * 10 < allowed as usize).to_string(),
            ));
        }
        Verdict { refused, headers }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_the_limit_in_a_window_is_refused_per_credential() {
        let mut counts = RollingCounts::new(Some(RollingLimit::new(2, Duration::from_secs(10))));
        let t0 = Instant::now();
        let admin = Caller::User {
            uuid: "{a}".into(),
            oauth: false,
        };
        let other = Caller::User {
            uuid: "{b}".into(),
            oauth: false,
        };
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert!(!counts.judge(&admin, "/2.0/user", at(0)).refused);
        assert!(!counts.judge(&admin, "/2.0/user", at(1)).refused);
        assert!(counts.judge(&admin, "/2.0/user", at(2)).refused);
        assert!(!counts.judge(&other, "/2.0/user", at(2)).refused);
        // The refused one did not count: room again when the first leaves the window.
        assert!(counts.judge(&admin, "/2.0/user", at(9)).refused);
        assert!(!counts.judge(&admin, "/2.0/user", at(10)).refused);
        assert!(counts.judge(&admin, "/2.0/user", at(10)).refused);
    }

    #[test]
    fn access_tokens_have_their_own_limit_and_are_told_it_on_scaled_endpoints() {
        let mut counts = RollingCounts::new(Some(RollingLimit {
            access_token_requests: Some(20),
            ..RollingLimit::new(2, Duration::from_secs(10))
        }));
        let now = Instant::now();
        let v = counts.judge(&Caller::AccessToken, "/2.0/repositories/ws", now);
        assert!(!v.refused);
        assert_eq!(
            v.headers,
            vec![
                ("X-RateLimit-Limit", "20".to_string()),
                ("X-RateLimit-Resource", "api".to_string()),
                ("X-RateLimit-NearLimit", "false".to_string()),
            ]
        );
        assert!(
            counts
                .judge(&Caller::AccessToken, "/2.0/workspaces/ws", now)
                .headers
                .is_empty()
        );
        let user = Caller::User {
            uuid: "{a}".into(),
            oauth: false,
        };
        assert!(
            counts
                .judge(&user, "/2.0/repositories/ws", now)
                .headers
                .is_empty()
        );
    }
}

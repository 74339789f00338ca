//! Retry policy: which outcomes are retried, and how long to wait before the next attempt.

use std::time::{Duration, SystemTime};

use rand::Rng;

use super::method::Method;

/// Whether a response status is worth another attempt for `method`.
///
/// 429 and 503 mean the server refused the request without acting on it, so any method may be
/// repeated; 500 (some services' transient "Something went wrong"), 502 and 504 may come after the
/// request was acted on, so only idempotent ones.
pub fn retryable_status(status: u16, method: Method) -> bool {
    match status {
        429 | 503 => true,
        500 | 502 | 504 => method.is_idempotent(),
        _ => false,
    }
}

/// The wait before retry number `retry` (0-based): exponential from `base`, capped at `max`,
/// with "equal jitter" (half fixed, half random) so that parallel clients spread out but the wait
/// never drops below `base`.
pub fn backoff(retry: u32, base: Duration, max: Duration) -> Duration {
    let ceiling = base
        .saturating_mul(2u32.saturating_pow(retry.min(31)))
        .min(max);
    let half = ceiling / 2;
    let jitter = if half.is_zero() {
        Duration::ZERO
    } else {
        Duration::from_nanos(
            rand::rng().random_range(0..=u64::try_from(half.as_nanos()).unwrap_or(u64::MAX)),
        )
    };
    (half + jitter).clamp(base.min(max), max)
}

/// A `Retry-After` header value as a wait: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    // A date in the past means "now".
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_within_bounds() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        for retry in 0..40 {
            for _ in 0..50 {
                let wait = backoff(retry, base, max);
                assert!(wait >= base && wait <= max, "retry {retry}: {wait:?}");
                let ceiling = base.saturating_mul(1 << retry.min(20)).min(max);
                assert!(
                    wait >= ceiling / 2 && wait <= ceiling,
                    "retry {retry}: {wait:?} vs {ceiling:?}"
                );
            }
        }
        assert_eq!(backoff(0, Duration::ZERO, max), Duration::ZERO);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn non_idempotent_methods_only_retry_when_the_server_did_not_act() {
        assert!(retryable_status(429, Method::Post));
        assert!(retryable_status(503, Method::Patch));
        assert!(!retryable_status(502, Method::Post));
        assert!(!retryable_status(504, Method::Patch));
        assert!(retryable_status(502, Method::Get));
        assert!(retryable_status(504, Method::Delete));
        assert!(retryable_status(500, Method::Get));
        assert!(!retryable_status(500, Method::Post));
        assert!(!retryable_status(501, Method::Get));
        assert!(!retryable_status(401, Method::Get));
    }
}

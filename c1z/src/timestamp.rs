//! Baton's timestamp text: Go layout `2006-01-02 15:04:05.999999999` in local wall-clock time, no zone.
//!
//! Readers compare these columns as strings (latest sync = `ORDER BY ended_at DESC`), so the layout must be exact.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Broken-down wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month 1-12.
    pub month: u32,
    /// Day 1-31.
    pub day: u32,
    /// Hour 0-23.
    pub hour: u32,
    /// Minute 0-59.
    pub minute: u32,
    /// Second 0-60.
    pub second: u32,
    /// Nanoseconds 0-999,999,999.
    pub nanos: u32,
}

/// Formats `t` as Baton's local-time text.
pub fn format_local(t: SystemTime) -> String {
    format_civil(&to_local(t))
}

/// The current time as Baton's local-time text.
pub fn now_local() -> String {
    format_local(SystemTime::now())
}

/// Formats a civil time with the fraction's trailing zeros trimmed (and no dot when it is zero), as Go does.
pub fn format_civil(c: &Civil) -> String {
    let mut s = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    if c.nanos > 0 {
        let frac = format!("{:09}", c.nanos);
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s
}

/// Parses Baton's text layout (also accepts a `T` separator and a trailing `Z`/zone, which it ignores).
pub fn parse_civil(s: &str) -> Option<Civil> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> { s.get(r)?.parse().ok() };
    let mut c = Civil {
        year: num(0..4)? as i64,
        month: num(5..7)?,
        day: num(8..10)?,
        hour: num(11..13)?,
        minute: num(14..16)?,
        second: num(17..19)?,
        nanos: 0,
    };
    if b.get(19) == Some(&b'.') {
        let digits: String = s[20..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .take(9)
            .collect();
        if !digits.is_empty() {
            c.nanos = format!("{digits:0<9}").parse().ok()?;
        }
    }
    Some(c)
}

/// Converts a system time to local wall-clock time.
pub fn to_local(t: SystemTime) -> Civil {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => (-(e.duration().as_secs() as i64) - 1, 0),
    };
    let offset = local_offset_secs(secs);
    let mut c = civil_from_unix(secs + offset);
    c.nanos = nanos;
    c
}

/// Interprets a local wall-clock time as a system time (using the zone offset in force at that time).
pub fn from_local(c: &Civil) -> SystemTime {
    let naive = unix_from_civil(c);
    // The offset at the naive instant is right except within an hour of a DST switch, which is good enough for display.
    let offset = local_offset_secs(naive);
    let secs = naive - offset;
    let base = if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    };
    base + Duration::from_nanos(c.nanos as u64)
}

/// RFC 3339 UTC text (protojson's Timestamp form) of a system time.
pub fn rfc3339_utc(t: SystemTime) -> String {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(_) => (0, 0),
    };
    rfc3339_from_parts(secs, nanos)
}

/// RFC 3339 UTC text from unix seconds and nanos, with 0, 3, 6 or 9 fraction digits as protojson writes.
pub fn rfc3339_from_parts(secs: i64, nanos: u32) -> String {
    let c = civil_from_unix(secs);
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    if nanos > 0 {
        if nanos.is_multiple_of(1_000_000) {
            s.push_str(&format!(".{:03}", nanos / 1_000_000));
        } else if nanos.is_multiple_of(1_000) {
            s.push_str(&format!(".{:06}", nanos / 1_000));
        } else {
            s.push_str(&format!(".{nanos:09}"));
        }
    }
    s.push('Z');
    s
}

#[cfg(unix)]
fn local_offset_secs(unix: i64) -> i64 {
    // SAFETY: localtime_r writes only into the tm we own; a zeroed tm is a valid value of the plain C struct.
    unsafe {
        let t: libc::time_t = unix as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return 0;
        }
        tm.tm_gmtoff as i64
    }
}

#[cfg(not(unix))]
fn local_offset_secs(_unix: i64) -> i64 {
    0
}

fn civil_from_unix(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        minute: (rem % 3600 / 60) as u32,
        second: (rem % 60) as u32,
        nanos: 0,
    }
}

fn unix_from_civil(c: &Civil) -> i64 {
    let y = c.year - i64::from(c.month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = c.month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + c.day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + c.hour as i64 * 3600 + c.minute as i64 * 60 + c.second as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_fraction_like_go() {
        let mut c = Civil {
            year: 2026,
            month: 3,
            day: 3,
            hour: 9,
            minute: 45,
            second: 13,
            nanos: 56_791_000,
        };
        assert_eq!(format_civil(&c), "2026-03-03 09:45:13.056791");
        c.nanos = 60_060_000;
        assert_eq!(format_civil(&c), "2026-03-03 09:45:13.06006");
        c.nanos = 0;
        assert_eq!(format_civil(&c), "2026-03-03 09:45:13");
    }

    #[test]
    fn parse_round_trips() {
        let c = parse_civil("2026-03-03 09:45:13.06006").unwrap();
        assert_eq!(c.nanos, 60_060_000);
        assert_eq!(format_civil(&c), "2026-03-03 09:45:13.06006");
        assert_eq!(
            unix_from_civil(&civil_from_unix(1_772_531_113)),
            1_772_531_113
        );
        assert_eq!(rfc3339_from_parts(0, 0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn local_round_trip() {
        let t = UNIX_EPOCH + Duration::from_secs(1_772_531_113);
        assert_eq!(from_local(&to_local(t)), t);
    }
}

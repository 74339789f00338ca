//! Percent-encoding of URL parts (RFC 3986), so ids with braces, slashes or spaces can be path
//! segments and `fields` values keep their `+`.

/// Percent-encodes one path segment: everything but unreserved characters
/// (so `{` → `%7B`, `}` → `%7D`, `/` → `%2F`, space → `%20`).
pub fn encode_segment(s: &str) -> String {
    encode(s, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
    })
}

/// Percent-encodes a query value; `,` and `*` stay readable, `+` becomes `%2B`.
pub fn encode_query(s: &str) -> String {
    encode(s, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b',' | b'*')
    })
}

fn encode(s: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The host part of a URL, for error messages.
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// The path and query of an absolute or root-relative URL; `None` for anything else.
pub fn path_and_query(url: &str) -> Option<&str> {
    if url.starts_with('/') {
        return Some(url);
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    Some(rest.find('/').map(|i| &rest[i..]).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_queries_are_encoded() {
        assert_eq!(encode_segment("{abc-1}"), "%7Babc-1%7D");
        assert_eq!(encode_segment("my group/x"), "my%20group%2Fx");
        assert_eq!(encode_segment("KEY_1"), "KEY_1");
        assert_eq!(encode_segment("2.0"), "2.0");
        assert_eq!(
            encode_query("-values.links,+values.user.account_status"),
            "-values.links,%2Bvalues.user.account_status"
        );
    }

    #[test]
    fn hosts_and_paths_are_split_off() {
        assert_eq!(
            url_host("https://api.bitbucket.org/2.0/x"),
            "api.bitbucket.org"
        );
        assert_eq!(url_host("http://127.0.0.1:8080?x"), "127.0.0.1:8080");
        assert_eq!(
            path_and_query("https://h:1/2.0/x?page=2"),
            Some("/2.0/x?page=2")
        );
        assert_eq!(path_and_query("/1.0/groups"), Some("/1.0/groups"));
        assert_eq!(path_and_query("https://h"), Some(""));
        assert_eq!(path_and_query("page=2"), None);
    }
}

//! Which origins (scheme, host, port) the guest may reach: those its component declares, with
//! the URLs the operator configured for them.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// One allowed origin; hosts are stored normalised (lower case, no trailing dot).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: Host<String>,
    port: u16,
}

impl Origin {
    /// The origin of a configured URL, if it may be one.
    fn of(url: &Url) -> Result<Origin, AllowListError> {
        if !url.username().is_empty() || url.password().is_some() {
            return Err(AllowListError::UserInfo);
        }
        let scheme = url.scheme();
        if scheme != "http" && scheme != "https" {
            return Err(AllowListError::Scheme(scheme.to_string()));
        }
        let host = normalise(url.host().ok_or(AllowListError::NoHost)?);
        if scheme == "http" && !is_loopback(&host) {
            return Err(AllowListError::Insecure(host.to_string()));
        }
        let port = url.port_or_known_default().ok_or(AllowListError::NoHost)?;
        Ok(Origin {
            scheme: scheme.to_string(),
            host,
            port,
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Ipv6(ip) => write!(f, "{}://[{ip}]:{}", self.scheme, self.port),
            host => write!(f, "{}://{host}:{}", self.scheme, self.port),
        }
    }
}

/// Why a base URL cannot define an allow-list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowListError {
    /// Neither http nor https.
    #[error(
        "the base URL's scheme `{0}` is not supported; use https:// (or http:// for a loopback simulator)"
    )]
    Scheme(String),
    /// Plain http to a non-loopback host would send credentials in clear text.
    #[error(
        "the base URL uses plain http for the non-loopback host `{0}`; use https:// (http is only allowed for 127.0.0.1, localhost and [::1])"
    )]
    Insecure(String),
    /// No host in the URL.
    #[error("the base URL has no host; pass an absolute URL such as https://api.example.com")]
    NoHost,
    /// User info in the URL (would be sent as credentials by the HTTP client).
    #[error(
        "the base URL contains a user name or password; remove it and pass credentials with the credential flags"
    )]
    UserInfo,
}

/// Why a request URL was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The URL does not parse or is not absolute.
    Invalid(String),
    /// The URL parses but its origin is not allowed; `host` names it for the log.
    Denied {
        /// The refused host (as parsed).
        host: String,
        /// Human-readable reason, for the guest.
        message: String,
    },
}

/// The origins the guest may reach.
#[derive(Clone, Debug)]
pub struct AllowList {
    origins: Vec<Origin>,
}

impl AllowList {
    /// The allow-list of one URL's origin (a service's base URL).
    pub fn for_base_url(base_url: &Url) -> Result<Self, AllowListError> {
        Self::for_origins(std::slice::from_ref(base_url))
    }

    /// The allow-list of the origins of `urls`: https, or plain http to loopback only, and no
    /// user info (which the HTTP client would send as credentials).
    pub fn for_origins(urls: &[Url]) -> Result<Self, AllowListError> {
        let mut origins = Vec::new();
        for url in urls {
            let origin = Origin::of(url)?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        Ok(Self { origins })
    }

    /// Checks a URL the guest wants to reach and returns it parsed (normalised by the WHATWG
    /// rules: lower-case host, IPv4 forms such as `0x7f.1` resolved) when allowed.
    pub fn check(&self, raw: &str) -> Result<Url, Refusal> {
        let url = Url::parse(raw).map_err(|e| {
            Refusal::Invalid(format!("bad URL: {e}; pass an absolute https:// URL"))
        })?;
        let Some(host) = url.host() else {
            return Err(Refusal::Denied {
                host: String::new(),
                message: format!(
                    "URL scheme `{}` has no host; only {} may be reached",
                    url.scheme(),
                    self
                ),
            });
        };
        let host = normalise(host);
        // User info would make the HTTP client send its own Authorization header, bypassing the
        // host's credential handling, and is a classic allow-list confusion (`http://allowed@evil/`).
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::Denied {
                host: host.to_string(),
                message: "URLs with a user name or password are refused; the host adds credentials itself".into(),
            });
        }
        let wanted = Origin {
            scheme: url.scheme().to_string(),
            host,
            port: url.port_or_known_default().unwrap_or(0),
        };
        if self.origins.contains(&wanted) {
            Ok(url)
        } else {
            Err(Refusal::Denied {
                host: wanted.host.to_string(),
                message: format!(
                    "{wanted} is not an allowed destination; only {self} may be reached"
                ),
            })
        }
    }

    /// Whether `url` (host-side, e.g. the OAuth token URL) is inside the allow-list.
    pub fn allows(&self, url: &Url) -> bool {
        self.check(url.as_str()).is_ok()
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.origins.is_empty() {
            return f.write_str("no origin at all");
        }
        for (i, origin) in self.origins.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{origin}")?;
        }
        Ok(())
    }
}

/// Lower-cases a domain and drops its trailing dot (`API.Example.com.` is `api.example.com`).
fn normalise(host: Host<&str>) -> Host<String> {
    match host {
        Host::Domain(d) => Host::Domain(d.trim_end_matches('.').to_ascii_lowercase()),
        Host::Ipv4(ip) => Host::Ipv4(ip),
        Host::Ipv6(ip) => Host::Ipv6(ip),
    }
}

/// Whether plain http is acceptable for the host: it never leaves the machine.
fn is_loopback(host: &Host<String>) -> bool {
    match host {
        Host::Domain(d) => d == "localhost",
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => {
            *ip == Ipv6Addr::LOCALHOST
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4: Ipv4Addr| v4.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(base: &str) -> AllowList {
        AllowList::for_base_url(&Url::parse(base).unwrap()).unwrap()
    }

    fn denied(list: &AllowList, url: &str) -> bool {
        matches!(list.check(url), Err(Refusal::Denied { .. }))
    }

    #[test]
    fn an_https_origin_allows_only_itself() {
        let l = list("https://api.example.com");
        assert!(l.check("https://api.example.com/2.0/user").is_ok());
        assert!(
            l.check("https://API.Example.COM./2.0/user").is_ok(),
            "case and trailing dot normalised"
        );
        assert!(l.check("https://api.example.com:443/2.0/user").is_ok());
        assert!(denied(&l, "http://api.example.com/2.0/user"), "plain http");
        assert!(
            denied(&l, "https://api.example.com:8443/2.0/user"),
            "other port"
        );
        assert!(denied(&l, "https://example.com/site/oauth2/access_token"));
        assert!(denied(&l, "https://evil.example/2.0/user"));
        assert!(denied(&l, "https://api.example.com.evil.example/"));
        assert!(denied(&l, "https://evilapi.example.com/"));
        assert!(
            denied(&l, "https://api.example.com@evil.example/"),
            "userinfo trick"
        );
        assert!(
            denied(&l, "https://user:pw@api.example.com/"),
            "userinfo on an allowed host"
        );
        assert!(denied(&l, "file:///etc/passwd"));
        assert!(matches!(l.check("/2.0/user"), Err(Refusal::Invalid(_))));
    }

    #[test]
    fn several_declared_origins_are_each_allowed_and_nothing_else() {
        let urls = [
            Url::parse("https://api.example.com/v1").unwrap(),
            Url::parse("https://auth.example.com/token").unwrap(),
            Url::parse("https://api.example.com/other").unwrap(),
        ];
        let l = AllowList::for_origins(&urls).unwrap();
        assert_eq!(
            l.to_string(),
            "https://api.example.com:443, https://auth.example.com:443"
        );
        assert!(l.check("https://auth.example.com/anything").is_ok());
        assert!(denied(&l, "https://example.com/"));
        assert!(
            AllowList::for_origins(&[])
                .unwrap()
                .check("https://api.example.com/")
                .is_err()
        );
    }

    #[test]
    fn loopback_ip_forms_are_normalised_before_comparing() {
        let l = list("http://127.0.0.1:8080/");
        assert!(l.check("http://127.1:8080/x").is_ok());
        assert!(l.check("http://0x7f.0.0.1:8080/x").is_ok());
        assert!(l.check("http://2130706433:8080/x").is_ok());
        assert!(denied(&l, "http://127.0.0.2:8080/x"));
        assert!(
            denied(&l, "http://localhost:8080/x"),
            "a different host name, even if it resolves the same"
        );
        assert!(denied(&l, "http://[::1]:8080/x"));
        assert!(denied(&l, "http://127.0.0.1:8081/x"));
        assert!(
            denied(&l, "https://127.0.0.1:8080/x"),
            "scheme is part of the origin"
        );
    }

    #[test]
    fn plain_http_only_for_loopback_base_urls() {
        for ok in [
            "http://127.0.0.1:1",
            "http://127.9.9.9:1",
            "http://localhost:1",
            "http://[::1]:1",
            "https://example.com",
        ] {
            assert!(
                AllowList::for_base_url(&Url::parse(ok).unwrap()).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "http://localhost.evil.example",
        ] {
            assert!(
                matches!(
                    AllowList::for_base_url(&Url::parse(bad).unwrap()),
                    Err(AllowListError::Insecure(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(
            AllowList::for_base_url(&Url::parse("https://u:p@example.com").unwrap()).unwrap_err(),
            AllowListError::UserInfo
        );
        assert!(matches!(
            AllowList::for_base_url(&Url::parse("ftp://example.com").unwrap()),
            Err(AllowListError::Scheme(_))
        ));
    }
}

//! Which origins (scheme, host, port) the guest may reach, derived from the configured base URL.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::credentials::is_real_bitbucket;

/// The web host serving Bitbucket's OAuth endpoints next to `api.bitbucket.org`.
const BITBUCKET_WEB_HOST: &str = "bitbucket.org";

/// One allowed origin; hosts are stored normalised (lower case, no trailing dot).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: Host<String>,
    port: u16,
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
    #[error("the base URL has no host; pass an absolute URL such as https://api.bitbucket.org")]
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
    /// The allow-list for `base_url`: its own origin, plus `https://bitbucket.org` (OAuth) when
    /// it is the real `https://api.bitbucket.org`.
    pub fn for_base_url(base_url: &Url) -> Result<Self, AllowListError> {
        if !base_url.username().is_empty() || base_url.password().is_some() {
            return Err(AllowListError::UserInfo);
        }
        let scheme = base_url.scheme();
        if scheme != "http" && scheme != "https" {
            return Err(AllowListError::Scheme(scheme.to_string()));
        }
        let host = normalise(base_url.host().ok_or(AllowListError::NoHost)?);
        if scheme == "http" && !is_loopback(&host) {
            return Err(AllowListError::Insecure(host.to_string()));
        }
        let port = base_url
            .port_or_known_default()
            .ok_or(AllowListError::NoHost)?;
        let mut origins = vec![Origin {
            scheme: scheme.to_string(),
            host,
            port,
        }];
        if is_real_bitbucket(base_url) {
            origins.push(Origin {
                scheme: "https".into(),
                host: Host::Domain(BITBUCKET_WEB_HOST.into()),
                port: 443,
            });
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
        for (i, origin) in self.origins.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{origin}")?;
        }
        Ok(())
    }
}

/// Lower-cases a domain and drops its trailing dot (`API.Bitbucket.org.` is `api.bitbucket.org`).
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
    fn real_bitbucket_allows_api_and_oauth_host_over_https_only() {
        let l = list("https://api.bitbucket.org");
        assert!(l.check("https://api.bitbucket.org/2.0/user").is_ok());
        assert!(
            l.check("https://API.BitBucket.ORG./2.0/user").is_ok(),
            "case and trailing dot normalised"
        );
        assert!(l.check("https://api.bitbucket.org:443/2.0/user").is_ok());
        assert!(
            l.check("https://bitbucket.org/site/oauth2/access_token")
                .is_ok()
        );
        assert!(
            denied(&l, "http://api.bitbucket.org/2.0/user"),
            "plain http"
        );
        assert!(denied(&l, "http://bitbucket.org/site/oauth2/access_token"));
        assert!(
            denied(&l, "https://api.bitbucket.org:8443/2.0/user"),
            "other port"
        );
        assert!(denied(&l, "https://evil.example/2.0/user"));
        assert!(denied(&l, "https://api.bitbucket.org.evil.example/"));
        assert!(denied(&l, "https://evilbitbucket.org/"));
        assert!(
            denied(&l, "https://api.bitbucket.org@evil.example/"),
            "userinfo trick"
        );
        assert!(
            denied(&l, "https://user:pw@api.bitbucket.org/"),
            "userinfo on an allowed host"
        );
        assert!(denied(&l, "file:///etc/passwd"));
        assert!(matches!(l.check("/2.0/user"), Err(Refusal::Invalid(_))));
    }

    #[test]
    fn other_hosts_do_not_get_the_oauth_host() {
        let l = list("https://bitbucket.example.com");
        assert!(denied(&l, "https://bitbucket.org/site/oauth2/access_token"));
        assert!(l.check("https://Bitbucket.Example.com/x").is_ok());
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

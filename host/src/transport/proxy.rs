//! Egress proxies, chosen as Go connectors choose them (`golang.org/x/net/http/httpproxy`, what
//! Go's `ProxyFromEnvironment` uses): `HTTPS_PROXY` for https destinations, `HTTP_PROXY` for
//! http ones, `ALL_PROXY` for either when the specific variable is unset (curl's extra), each also
//! in lower case; `NO_PROXY` lists the destinations that go direct; loopback always goes direct.
//!
//! The proxy is the host's setting: the plugin cannot choose or see it, and the allow-list is
//! checked against the destination the plugin asked for, never the proxy.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use url::{Host, Url};

use crate::secrets::REDACTED;

/// Variables for https destinations, in order of precedence.
const HTTPS_VARS: &[&str] = &["HTTPS_PROXY", "https_proxy"];
/// Variables for http destinations.
const HTTP_VARS: &[&str] = &["HTTP_PROXY", "http_proxy"];
/// Variables for any destination whose own variable is unset.
const ALL_VARS: &[&str] = &["ALL_PROXY", "all_proxy"];
/// The exceptions.
const NO_PROXY_VARS: &[&str] = &["NO_PROXY", "no_proxy"];

/// One proxy server. `Debug` and `Display` never show its user name or password.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyServer {
    url: Url,
    variable: &'static str,
}

impl ProxyServer {
    /// The proxy URL as given, credentials included: for the HTTP client only.
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// The variable it came from, to name in messages (`HTTPS_PROXY`, ...).
    pub fn variable(&self) -> &'static str {
        self.variable
    }

    /// `host:port` of the proxy.
    pub fn address(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    }
}

impl fmt::Display for ProxyServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = if self.url.username().is_empty() && self.url.password().is_none() {
            String::new()
        } else {
            format!("{REDACTED}@")
        };
        write!(f, "{}://{credentials}{}", self.url.scheme(), self.address())
    }
}

impl fmt::Debug for ProxyServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyServer({self} from {})", self.variable)
    }
}

/// A proxy variable that cannot be used. The message never quotes the value (it may hold a password).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{variable} is not a usable proxy URL ({reason}); set it to http://HOST:PORT or http://USER:PASSWORD@HOST:PORT, or unset it"
)]
pub struct ProxyError {
    /// The variable.
    pub variable: &'static str,
    /// What is wrong with its value.
    pub reason: String,
}

/// Where requests go: direct, or through a proxy. The default sends everything direct.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxySettings {
    https: Option<ProxyServer>,
    http: Option<ProxyServer>,
    no_proxy: NoProxy,
}

impl ProxySettings {
    /// The proxies the process environment names.
    pub fn from_env() -> Result<Self, ProxyError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The proxies named by the variables `lookup` returns (unset or empty values count as unset).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ProxyError> {
        let first = |names: &[&'static str]| {
            names.iter().find_map(|&name| {
                lookup(name)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (name, v))
            })
        };
        let server = |names: &[&'static str]| -> Result<Option<ProxyServer>, ProxyError> {
            first(names)
                .or_else(|| first(ALL_VARS))
                .map(|(variable, value)| parse_proxy(variable, value.trim()))
                .transpose()
        };
        // Under CGI, HTTP_PROXY can be set by a client's `Proxy:` header (httpoxy); Go ignores it too.
        let http = if lookup("REQUEST_METHOD").is_some_and(|v| !v.is_empty()) {
            None
        } else {
            server(HTTP_VARS)?
        };
        Ok(Self {
            https: server(HTTPS_VARS)?,
            http,
            no_proxy: NoProxy::parse(&first(NO_PROXY_VARS).map(|(_, v)| v).unwrap_or_default()),
        })
    }

    /// The same proxy for http and https destinations, with `no_proxy` exceptions.
    pub fn all(proxy: &str, no_proxy: &str) -> Result<Self, ProxyError> {
        let server = parse_proxy("ALL_PROXY", proxy)?;
        Ok(Self {
            https: Some(server.clone()),
            http: Some(server),
            no_proxy: NoProxy::parse(no_proxy),
        })
    }

    /// Whether every destination goes direct (no proxy variable is set).
    pub fn is_direct(&self) -> bool {
        self.https.is_none() && self.http.is_none()
    }

    /// The proxy for a request to `url`, or `None` to connect directly.
    pub fn proxy_for(&self, url: &Url) -> Option<&ProxyServer> {
        let server = match url.scheme() {
            "https" => self.https.as_ref()?,
            "http" => self.http.as_ref()?,
            _ => return None,
        };
        let host = url.host()?;
        let port = url.port_or_known_default()?;
        if is_loopback(&host) || self.no_proxy.matches(&host, port) {
            return None;
        }
        Some(server)
    }
}

impl fmt::Display for ProxySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show =
            |p: &Option<ProxyServer>| p.as_ref().map_or("direct".to_string(), |p| p.to_string());
        write!(
            f,
            "https via {}, http via {}, NO_PROXY {:?} (loopback always direct)",
            show(&self.https),
            show(&self.http),
            self.no_proxy.raw
        )
    }
}

/// A proxy URL; `host:port` alone means http, as in Go.
fn parse_proxy(variable: &'static str, value: &str) -> Result<ProxyServer, ProxyError> {
    let invalid = |reason: String| ProxyError { variable, reason };
    // Without a scheme, `proxy:3128` would parse as scheme `proxy`, and `10.0.0.1:3128` not at all.
    let with_scheme = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| invalid(e.to_string()))?;
    match url.scheme() {
        "http" | "https" => {}
        scheme => {
            return Err(invalid(format!(
                "the {scheme}:// scheme is not supported: only http:// and https:// proxies"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host".into()));
    }
    Ok(ProxyServer { url, variable })
}

/// Loopback never goes through a proxy (Go: `localhost` and loopback addresses).
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// `NO_PROXY`, parsed as Go's httpproxy parses it: `*`; IP addresses and CIDR ranges; host names
/// that match themselves and their subdomains (`example.com`), or only subdomains (`.example.com`,
/// `*.example.com`); each IP or name optionally with `:port`. Entries that parse as none of these
/// are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct NoProxy {
    raw: String,
    everything: bool,
    networks: Vec<IpNet>,
    addresses: Vec<(IpAddr, Option<u16>)>,
    domains: Vec<DomainRule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct DomainRule {
    /// Lower case, without leading dot.
    name: String,
    /// Whether `name` itself matches (not only its subdomains).
    exact_too: bool,
    port: Option<u16>,
}

impl NoProxy {
    fn parse(raw: &str) -> Self {
        let mut rules = NoProxy {
            raw: raw.to_string(),
            ..NoProxy::default()
        };
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                rules.everything = true;
                continue;
            }
            if let Ok(net) = entry.parse::<IpNet>() {
                rules.networks.push(net);
                continue;
            }
            let Some((host, port)) = split_port(entry) else {
                continue;
            };
            if let Ok(ip) = host.parse::<IpAddr>() {
                rules.addresses.push((ip, port));
                continue;
            }
            let (name, exact_too) = match host.strip_prefix("*.").or_else(|| host.strip_prefix('.'))
            {
                Some(rest) => (rest, false),
                None => (host, true),
            };
            // Host::parse lower-cases and converts international names as URLs do.
            if let Ok(Host::Domain(name)) = Host::parse(name.trim_end_matches('.')) {
                rules.domains.push(DomainRule {
                    name,
                    exact_too,
                    port,
                });
            }
        }
        rules
    }

    fn matches(&self, host: &Host<&str>, port: u16) -> bool {
        if self.everything {
            return true;
        }
        let port_ok = |p: &Option<u16>| p.is_none_or(|p| p == port);
        let ip = match host {
            Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
            Host::Ipv6(ip) => Some(IpAddr::V6(*ip)),
            Host::Domain(_) => None,
        };
        if let Some(ip) = ip {
            return self.networks.iter().any(|n| n.contains(&ip))
                || self.addresses.iter().any(|(a, p)| *a == ip && port_ok(p));
        }
        let Host::Domain(domain) = host else {
            return false;
        };
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        self.domains.iter().any(|rule| {
            let name_ok = (rule.exact_too && domain == rule.name)
                || domain
                    .strip_suffix(&rule.name)
                    .is_some_and(|prefix| prefix.ends_with('.'));
            name_ok && port_ok(&rule.port)
        })
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; `None` for a bad port.
fn split_port(entry: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match entry.split_once(':') {
        // More than one colon: a bare IPv6 address.
        Some((_, rest)) if rest.contains(':') => Some((entry, None)),
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((entry, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> ProxySettings {
        ProxySettings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
        .unwrap()
    }

    fn via(s: &ProxySettings, url: &str) -> Option<String> {
        s.proxy_for(&Url::parse(url).unwrap()).map(|p| p.address())
    }

    #[test]
    fn each_scheme_has_its_variable_and_all_proxy_fills_in() {
        let s = settings(&[
            ("HTTPS_PROXY", "http://secure:3128"),
            ("http_proxy", "plain:8080"),
        ]);
        assert_eq!(
            via(&s, "https://api.example.com/2.0"),
            Some("secure:3128".into())
        );
        assert_eq!(via(&s, "http://example.com/"), Some("plain:8080".into()));
        let s = settings(&[("all_proxy", "http://any:1")]);
        assert_eq!(via(&s, "https://api.example.com/"), Some("any:1".into()));
        assert_eq!(via(&s, "http://example.com/"), Some("any:1".into()));
        let s = settings(&[("HTTPS_PROXY", ""), ("https_proxy", "http://lower:2")]);
        assert_eq!(
            via(&s, "https://api.example.com/"),
            Some("lower:2".into()),
            "an empty upper-case variable counts as unset"
        );
        let s = settings(&[
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2"),
        ]);
        assert_eq!(via(&s, "https://x.example/"), Some("upper:1".into()));
        assert!(settings(&[]).is_direct());
        assert_eq!(via(&settings(&[]), "https://api.example.com/"), None);
    }

    #[test]
    fn loopback_is_never_proxied() {
        let s = ProxySettings::all("http://proxy:3128", "").unwrap();
        for url in [
            "http://localhost:8080/",
            "http://LOCALHOST./",
            "http://127.0.0.1:1/",
            "http://127.9.9.9/",
            "http://[::1]:80/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert_eq!(via(&s, url), None, "{url}");
        }
        assert_eq!(via(&s, "http://[::2]/"), Some("proxy:3128".into()));
        assert_eq!(
            via(&s, "https://localhost.example/"),
            Some("proxy:3128".into())
        );
    }

    #[test]
    fn no_proxy_follows_go_rules() {
        let s = ProxySettings::all(
            "http://proxy:3128",
            " foobar.com, .barbaz.net , *.wild.org, ported.io:8443, 10.0.0.0/8, 192.168.1.1, [2001:db8::1]:443, 2001:db8::2, bad:port:x, Bücher.example",
        )
        .unwrap();
        let direct = [
            "https://foobar.com/",
            "https://www.foobar.com/",
            "https://FooBar.com./",
            "https://x.barbaz.net/",
            "https://a.b.wild.org/",
            "https://ported.io:8443/",
            "https://10.1.2.3/",
            "https://192.168.1.1/",
            "https://[2001:db8::1]/",
            "https://[2001:db8::2]:9/",
            "https://xn--bcher-kva.example/",
        ];
        for url in direct {
            assert_eq!(via(&s, url), None, "{url} should go direct");
        }
        let proxied = [
            "https://foofoobar.com/",
            "https://barbaz.net/",
            "https://wild.org/",
            "https://ported.io/",
            "https://11.0.0.1/",
            "https://192.168.1.2/",
            "https://[2001:db8::1]:8443/",
            "https://bad/",
        ];
        for url in proxied {
            assert_eq!(
                via(&s, url),
                Some("proxy:3128".into()),
                "{url} should be proxied"
            );
        }
        let everything = ProxySettings::all("http://proxy:3128", "example.com,*").unwrap();
        assert_eq!(via(&everything, "https://api.elsewhere.test/"), None);
    }

    #[test]
    fn credentials_never_show_and_bad_values_are_not_quoted() {
        let s = settings(&[("HTTPS_PROXY", "http://alice:s3cr3t-proxy@proxy.corp:3128")]);
        let server = s
            .proxy_for(&Url::parse("https://api.example.com/").unwrap())
            .unwrap();
        for shown in [
            server.to_string(),
            format!("{server:?}"),
            s.to_string(),
            format!("{s:?}"),
        ] {
            assert!(
                !shown.contains("s3cr3t-proxy") && !shown.contains("alice"),
                "{shown}"
            );
            assert!(shown.contains("proxy.corp:3128"), "{shown}");
        }
        assert_eq!(server.variable(), "HTTPS_PROXY");
        assert!(
            server.url().password().is_some(),
            "the client still gets them"
        );

        for bad in [
            "socks5://bob:s3cr3t-proxy@proxy:1080",
            "http://bob:s3cr3t-proxy@proxy:99999",
        ] {
            let err = ProxySettings::from_lookup(|n| (n == "HTTPS_PROXY").then(|| bad.to_string()))
                .unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("HTTPS_PROXY") && !text.contains("s3cr3t-proxy"),
                "{text}"
            );
        }
    }

    #[test]
    fn cgi_ignores_http_proxy() {
        let s = settings(&[
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://evil:1"),
            ("HTTPS_PROXY", "http://p:2"),
        ]);
        assert_eq!(via(&s, "http://example.com/"), None);
        assert_eq!(via(&s, "https://example.com/"), Some("p:2".into()));
    }
}

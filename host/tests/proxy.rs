//! Egress proxies: a real sync through a loopback CONNECT proxy that terminates TLS for
//! `api.bitbucket.test` and forwards to the simulator, NO_PROXY, wrong proxy credentials, and the
//! allow-list applied to the destination rather than the proxy. Proxy credentials never show.
//!
//! `api.bitbucket.test` does not resolve here: a request that reaches the simulator under that
//! name can only have gone through the proxy, and one sent direct fails at name resolution.

mod support;

use base64::Engine as _;
use bitbucket_simulator::{Scale, Simulator, SimulatorConfig};
use connector_host::http::{HttpCapability, HttpError, HttpSettings, Method, OutboundRequest};
use connector_host::transport::{NetworkSettings, ProxySettings};
use support::proxy::ConnectProxy;
use support::tls::TestCa;
use url::Url;

const API: &str = "https://api.bitbucket.test";
const PROXY_USER: &str = "alice";
const PROXY_PASSWORD: &str = "s3cr3t-proxy-password";

fn sim() -> Simulator {
    Simulator::start(SimulatorConfig::new(Scale::Small)).expect("simulator")
}

fn port_of(base_url: &str) -> u16 {
    Url::parse(base_url).unwrap().port().unwrap()
}

fn proxy_authorization(user: &str, password: &str) -> String {
    let pair = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// A sync of `api.bitbucket.test` with the simulator's admin credential and `env`.
fn sync(sim: &Simulator, dir: &std::path::Path, env: &[(&str, &str)]) -> support::Run {
    let c = sim.credentials();
    let hidden = proxy_authorization(PROXY_USER, PROXY_PASSWORD);
    let hidden = hidden.trim_start_matches("Basic ");
    support::run(
        dir,
        &[
            "--base-url",
            API,
            "--username",
            &c.admin_email,
            "--app-password",
            &c.api_token,
            "-f",
            "out.c1z",
            "--log-level",
            "debug",
        ],
        env,
        &[PROXY_PASSWORD, hidden, &c.api_token],
    )
}

/// The simulator behind a TLS-terminating proxy, and SSL_CERT_FILE trusting the proxy's CA.
struct Setup {
    sim: Simulator,
    proxy: ConnectProxy,
    dir: tempfile::TempDir,
    ca_file: String,
}

fn setup() -> Setup {
    let sim = sim();
    let ca = TestCa::new();
    let proxy = ConnectProxy::start(
        port_of(&sim.base_url()),
        Some(ca.server_config(&["api.bitbucket.test"])),
        Some(proxy_authorization(PROXY_USER, PROXY_PASSWORD)),
    );
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("proxy-ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    Setup {
        sim,
        proxy,
        dir,
        ca_file: ca_file.to_str().unwrap().to_string(),
    }
}

impl Setup {
    fn proxy_url(&self, password: &str) -> String {
        format!(
            "http://{PROXY_USER}:{password}@127.0.0.1:{}",
            self.proxy.port
        )
    }
}

#[test]
fn a_sync_goes_through_the_proxy_with_its_credentials_hidden() {
    let s = setup();
    let proxy_url = s.proxy_url(PROXY_PASSWORD);
    let r = sync(
        &s.sim,
        s.dir.path(),
        &[("HTTPS_PROXY", &proxy_url), ("SSL_CERT_FILE", &s.ca_file)],
    );
    assert!(r.ok, "the sync through the proxy failed:\n{}", r.all());
    assert!(s.dir.path().join("out.c1z").exists());

    let seen = s.proxy.seen();
    assert!(!seen.is_empty(), "nothing went through the proxy");
    for head in &seen {
        assert_eq!(head.request_line, "CONNECT api.bitbucket.test:443 HTTP/1.1");
        assert_eq!(
            head.proxy_authorization.as_deref(),
            Some(proxy_authorization(PROXY_USER, PROXY_PASSWORD).as_str()),
            "the proxy credentials from HTTPS_PROXY are sent to the proxy"
        );
    }
    let served = s.sim.request_log().total;
    assert!(served > 10, "the simulator served {served} requests");
    // The log says which proxy is used, without its credentials.
    assert!(
        r.stderr
            .contains(&format!("http://[redacted]@127.0.0.1:{}", s.proxy.port)),
        "{}",
        r.stderr
    );
}

#[test]
fn the_oauth_token_is_fetched_through_the_proxy_too() {
    let s = setup();
    let c = s.sim.credentials();
    let proxy_url = s.proxy_url(PROXY_PASSWORD);
    let r = support::run(
        s.dir.path(),
        &[
            "--base-url",
            API,
            "--consumer-key",
            &c.oauth_key,
            "--consumer-secret",
            &c.oauth_secret,
            "--oauth-token-url",
            &format!("{API}/site/oauth2/access_token"),
            "-f",
            "out.c1z",
        ],
        &[("HTTPS_PROXY", &proxy_url), ("SSL_CERT_FILE", &s.ca_file)],
        &[PROXY_PASSWORD, &c.oauth_secret],
    );
    assert!(
        r.ok,
        "the OAuth sync through the proxy failed:\n{}",
        r.all()
    );
    let log = s.sim.request_log();
    let token_requests: u64 = log
        .by_endpoint
        .iter()
        .filter(|(endpoint, _)| endpoint.contains("oauth2/access_token"))
        .map(|(_, n)| n)
        .sum();
    assert!(
        token_requests >= 1,
        "no token request: {:?}",
        log.by_endpoint
    );
    assert!(
        s.proxy
            .seen()
            .iter()
            .all(|head| head.request_line == "CONNECT api.bitbucket.test:443 HTTP/1.1")
    );
}

#[test]
fn no_proxy_sends_matching_hosts_direct() {
    let s = setup();
    let proxy_url = s.proxy_url(PROXY_PASSWORD);
    for no_proxy in [".bitbucket.test", "api.bitbucket.test:443", "*"] {
        let r = sync(
            &s.sim,
            s.dir.path(),
            &[
                ("https_proxy", &proxy_url),
                ("no_proxy", no_proxy),
                ("SSL_CERT_FILE", &s.ca_file),
            ],
        );
        assert!(
            !r.ok,
            "NO_PROXY={no_proxy}: sent direct, the name does not resolve"
        );
        assert!(
            r.stderr
                .contains("cannot resolve the host name api.bitbucket.test"),
            "NO_PROXY={no_proxy}: {}",
            r.stderr
        );
    }
    assert!(
        s.proxy.seen().is_empty(),
        "NO_PROXY hosts went through the proxy: {:?}",
        s.proxy.seen()
    );
}

#[test]
fn wrong_proxy_credentials_fail_fast_naming_the_variable_not_the_password() {
    let s = setup();
    let proxy_url = s.proxy_url("wrong-s3cr3t");
    let started = std::time::Instant::now();
    let r = sync(
        &s.sim,
        s.dir.path(),
        &[("HTTPS_PROXY", &proxy_url), ("SSL_CERT_FILE", &s.ca_file)],
    );
    assert!(!r.ok);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(!r.all().contains("wrong-s3cr3t"), "{}", r.all());
    let error = r
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_default();
    assert!(
        error.contains("did not open a tunnel") && error.contains("check HTTPS_PROXY"),
        "{}",
        r.stderr
    );
    assert!(!s.proxy.seen().is_empty(), "the proxy was asked");
    assert_eq!(s.sim.request_log().total, 0);
}

fn get(url: &str) -> OutboundRequest {
    OutboundRequest {
        method: Method::Get,
        url: url.to_string(),
        headers: vec![],
        body: None,
        endpoint: String::new(),
    }
}

fn through(proxy: &ConnectProxy, base: &str) -> HttpSettings {
    HttpSettings {
        network: NetworkSettings {
            proxy: ProxySettings::all(&format!("http://127.0.0.1:{}", proxy.port), "").unwrap(),
            extra_roots: None,
        },
        ..HttpSettings::for_base_url(Url::parse(base).unwrap())
    }
}

#[tokio::test]
async fn the_allow_list_applies_to_the_destination_and_loopback_goes_direct() {
    let sim = sim();
    let proxy = ConnectProxy::start(port_of(&sim.base_url()), None, None);

    let http = HttpCapability::new(through(&proxy, API), None).unwrap();
    for url in [
        "https://evil.example/2.0/user",
        "https://api.bitbucket.test.evil.example/2.0/user",
        "https://api.bitbucket.test:8443/2.0/user",
        &format!("http://127.0.0.1:{}/2.0/user", proxy.port),
    ] {
        let err = http.send(get(url), None).await.unwrap_err();
        assert!(matches!(err, HttpError::Denied(_)), "{url}: {err:?}");
    }
    assert!(
        proxy.seen().is_empty(),
        "a refused destination reached the proxy: {:?}",
        proxy.seen()
    );

    // The simulator on 127.0.0.1 is reached directly even though a proxy is set.
    let http = HttpCapability::new(through(&proxy, &sim.base_url()), None).unwrap();
    let answer = http
        .send(get(&format!("{}/2.0/user", sim.base_url())), None)
        .await
        .unwrap();
    assert_eq!(
        answer.status, 401,
        "no credential: the simulator's own answer"
    );
    assert!(proxy.seen().is_empty(), "loopback went through the proxy");
    assert_eq!(sim.request_log().total, 1);
}

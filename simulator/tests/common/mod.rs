//! A tiny blocking HTTP/1.1 client for the tests (std only, one connection per request).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;

use base64::Engine;
use bitbucket_simulator::{Credentials, Simulator};
use serde_json::Value;

/// A response.
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How to authenticate.
#[derive(Clone)]
pub enum Auth {
    None,
    Basic(String, String),
    Bearer(String),
}

impl Auth {
    pub fn admin(c: &Credentials) -> Auth {
        Auth::Basic(c.admin_email.clone(), c.api_token.clone())
    }
    pub fn user(c: &Credentials) -> Auth {
        Auth::Basic(c.user_email.clone(), c.user_api_token.clone())
    }
    pub fn access_token(c: &Credentials) -> Auth {
        Auth::Bearer(c.access_token.clone())
    }
}

/// Sends a request to `url` (absolute `http://host:port/...` or a path on `sim`).
pub fn request(sim: &Simulator, method: &str, url: &str, auth: &Auth, body: Option<&str>) -> Resp {
    let url = if url.starts_with("http://") {
        url.to_string()
    } else {
        format!("{}{}", sim.base_url(), url)
    };
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    match auth {
        Auth::None => {}
        Auth::Basic(u, p) => {
            let b = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            req.push_str(&format!("Authorization: Basic {b}\r\n"));
        }
        Auth::Bearer(t) => req.push_str(&format!("Authorization: Bearer {t}\r\n")),
    }
    let body = body.unwrap_or("");
    if method != "GET" {
        let ct = if body.starts_with('{') {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        req.push_str(&format!(
            "Content-Type: {ct}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    let mut s = TcpStream::connect(host).expect("connect");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = vec![];
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        let mut out = vec![];
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap().trim(), 16)
                .unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = out;
    }
    Resp {
        status,
        headers,
        body,
    }
}

pub fn get(sim: &Simulator, url: &str, auth: &Auth) -> Resp {
    request(sim, "GET", url, auth, None)
}

/// Follows `next` links and collects every value; asserts 200s.
pub fn get_all(sim: &Simulator, url: &str, auth: &Auth) -> Vec<Value> {
    let mut out = vec![];
    let mut next = Some(url.to_string());
    while let Some(u) = next {
        let r = get(sim, &u, auth);
        assert_eq!(r.status, 200, "{u}: {}", r.text());
        let v = r.json();
        out.extend(v["values"].as_array().unwrap().iter().cloned());
        next = v
            .get("next")
            .and_then(|n| n.as_str())
            .map(|s| s.to_string());
    }
    out
}

/// Like `get_all`, but `None` when the first page is refused with 403 (what the credential
/// may not read).
pub fn get_all_readable(sim: &Simulator, url: &str, auth: &Auth) -> Option<Vec<Value>> {
    let first = get(sim, url, auth);
    if first.status == 403 {
        return None;
    }
    assert_eq!(first.status, 200, "{url}: {}", first.text());
    Some(get_all(sim, url, auth))
}

/// Percent-encodes braces.
pub fn enc(s: &str) -> String {
    s.replace('{', "%7B").replace('}', "%7D")
}

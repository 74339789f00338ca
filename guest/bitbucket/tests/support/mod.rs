//! What the native tests and the native benchmark share: the connector logic over a small
//! blocking HTTP/1.1 transport to the Bitbucket simulator.

#![allow(dead_code)] // each includer uses a part

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;
use std::time::{Duration, Instant};

use bitbucket_connector::Bitbucket;
use bitbucket_connector::settings::{AuthKind, Settings, parse_workspace_list};
use bitbucket_simulator::Simulator;
use connector_sdk::*;

pub struct Http {
    pub authorization: String,
    pub logs: RefCell<Vec<(LogLevel, String)>>,
    pub endpoints_seen: RefCell<Vec<String>>,
    /// Endpoint labels answered locally with this status (the simulator never sees them).
    pub refuse: HashMap<String, u16>,
    /// Wall time spent sending requests and reading their answers: not the connector's own work.
    pub http_time: Cell<Duration>,
}

fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Http {
    pub fn basic(user: &str, pass: &str) -> Http {
        Http::with(format!(
            "Basic {}",
            b64(format!("{user}:{pass}").as_bytes())
        ))
    }
    pub fn bearer(token: &str) -> Http {
        Http::with(format!("Bearer {token}"))
    }
    pub fn with(authorization: String) -> Http {
        Http {
            authorization,
            logs: RefCell::new(vec![]),
            endpoints_seen: RefCell::new(vec![]),
            refuse: HashMap::new(),
            http_time: Cell::new(Duration::ZERO),
        }
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(pos) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..pos]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[pos + 2..pos + 2 + size]);
        body = &body[pos + 2 + size + 2..];
    }
}

impl Transport for Http {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        let started = Instant::now();
        let result = self.exchange(req);
        self.http_time.set(self.http_time.get() + started.elapsed());
        result
    }

    fn log(&self, level: LogLevel, message: &str) {
        self.logs.borrow_mut().push((level, message.to_string()));
    }
}

impl Http {
    /// One request over a new connection, answered locally for refused endpoints.
    fn exchange(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        if let Some(status) = self.refuse.get(&req.endpoint) {
            return Ok(HttpResponse {
                status: *status,
                headers: vec![],
                body: br#"{"type":"error","error":{"message":"refused by the test"}}"#.to_vec(),
            });
        }
        self.endpoints_seen.borrow_mut().push(req.endpoint.clone());
        assert!(req.url.starts_with("http://"), "absolute URL: {}", req.url);
        assert!(
            !req.endpoint.is_empty(),
            "endpoint label set for {}",
            req.url
        );
        assert!(
            !req.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("authorization")),
            "guest must not set Authorization"
        );
        let rest = &req.url["http://".len()..];
        let (hostport, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut s =
            TcpStream::connect(hostport).map_err(|e| HttpError::Connection(e.to_string()))?;
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let body = req.body.clone().unwrap_or_default();
        let method = req.method.as_str();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nAuthorization: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.authorization,
            body.len()
        );
        for (n, v) in &req.headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&body).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)
            .map_err(|e| HttpError::Timeout(e.to_string()))?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("headers end");
        let headers = String::from_utf8_lossy(&raw[..split]).to_string();
        let status: u16 = headers.split_whitespace().nth(1).unwrap().parse().unwrap();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            body = dechunk(&body);
        }
        Ok(HttpResponse {
            status,
            headers: vec![],
            body,
        })
    }
}

/// The component under test, and the transport it sends through.
pub struct Under {
    pub component: Dispatcher<Bitbucket>,
    pub http: Rc<Http>,
}

impl Deref for Under {
    type Target = Dispatcher<Bitbucket>;
    fn deref(&self) -> &Self::Target {
        &self.component
    }
}

impl DerefMut for Under {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.component
    }
}

pub fn connector(
    sim: &Simulator,
    http: Http,
    auth: AuthKind,
    workspaces: &str,
    skip: bool,
) -> Under {
    let settings = Settings {
        base_url: sim.base_url(),
        workspaces: parse_workspace_list(workspaces),
        skip_user_status: skip,
        auth,
    };
    let http = Rc::new(http);
    let bitbucket = Bitbucket::with_settings(http.clone(), settings).unwrap();
    Under {
        component: Dispatcher::with_connector(bitbucket),
        http,
    }
}

pub fn admin(sim: &Simulator) -> Http {
    let c = sim.credentials();
    Http::basic(&c.admin_email, &c.api_token)
}

//! A hostile connector. `validate` runs the attack named by config `attack` and reports what
//! happened as an `internal` error whose text the sandbox tests check, except for the attacks
//! on a whole sync (below), whose `validate` succeeds so that the sync runs.
//!
//! Attacks on a sync, through its one resource type `endless`:
//! - `endless-pages`: every page of `endless` holds `page-size` new resources and names a next
//!   page, for ever;
//! - `log-flood` / `stderr-flood`: `validate` writes `lines` distinct lines of `line-bytes` bytes
//!   to the log import (at info) or to stderr, then the sync lists nothing;
//! - `same-warning`: one page of `lines` resources, and listing the entitlements of each logs
//!   the same workspace-level warning, as every instance of a connector re-derives it.
//!
//! Configuration (all non-secret): `attack`, the attack; `target-url`, where a request attack
//! goes; `header`, the header name `auth-header` sets; `socket-addr`, what `socket` dials;
//! `base-url`, the one origin it declares it may reach (the attacks aim elsewhere); `page-size`,
//! `lines`, `line-bytes` for the attacks on a sync.

use std::hint::black_box;
use std::rc::Rc;

use connector_sdk::{
    Config, ConfigField, Connector, ConnectorError, Entitlement, FieldGroup, FieldType, HttpError,
    HttpRequest, HttpResponse, LogLevel, Metadata, Method, Origin, Page, ResourceId, ResourceInfo,
    ResourceSyncer, ResourceType, Transport,
};

const ATTACK: &str = "attack";
const TARGET_URL: &str = "target-url";
const HEADER: &str = "header";
const SOCKET_ADDR: &str = "socket-addr";
const BASE_URL: &str = "base-url";
const PAGE_SIZE: &str = "page-size";
const LINES: &str = "lines";
const LINE_BYTES: &str = "line-bytes";

/// The attacks on a whole sync: `validate` lets them through.
const SYNC_ATTACKS: [&str; 4] = ["endless-pages", "log-flood", "stderr-flood", "same-warning"];

/// The attack to run and its parameters.
struct Hostile {
    transport: Rc<dyn Transport>,
    attack: String,
    target_url: String,
    header: String,
    socket_addr: String,
    page_size: usize,
    lines: usize,
    line_bytes: usize,
}

impl Hostile {
    fn request(&self, headers: Vec<(String, String)>) -> Result<HttpResponse, HttpError> {
        self.transport.send(&HttpRequest {
            method: Method::Get,
            url: self.target_url.clone(),
            headers,
            body: None,
            endpoint: "GET /attack".into(),
        })
    }

    fn run(&self) -> String {
        match self.attack.as_str() {
            "spin" => {
                let mut x: u64 = 0;
                loop {
                    x = black_box(x.wrapping_add(1));
                }
            }
            "memory-bomb" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    let mut chunk = vec![0u8; 4 << 20];
                    chunk[0] = 1;
                    hoard.push(black_box(chunk));
                }
            }
            "panic" => panic!("the hostile plugin panics on purpose"),
            "sleep" => {
                // Parks in a WASI host call (a clock poll) that, for the host, never ends.
                std::thread::sleep(std::time::Duration::from_secs(24 * 3600));
                "woke up".into()
            }
            "forbidden-host" | "allowed-request" => describe(self.request(Vec::new())),
            "auth-header" => describe(self.request(vec![(
                self.header.clone(),
                "Basic c3RvbGVuOnNlY3JldA==".into(),
            )])),
            "env" => {
                let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
                let args: Vec<String> = std::env::args().collect();
                format!("env={vars:?} args={args:?}")
            }
            "files" => {
                let read = std::fs::read("/etc/hostname").map(|b| b.len());
                let list = std::fs::read_dir(".").map(|d| d.count());
                let list_root = std::fs::read_dir("/").map(|d| d.count());
                let create = std::fs::write("escape.txt", b"x");
                format!(
                    "read={} list={} list_root={} create={}",
                    read.is_ok(),
                    list.is_ok(),
                    list_root.is_ok(),
                    create.is_ok()
                )
            }
            "socket" => {
                use std::net::ToSocketAddrs;
                let tcp = std::net::TcpStream::connect(self.socket_addr.as_str()).map(|_| ());
                let udp = std::net::UdpSocket::bind("127.0.0.1:0").map(|_| ());
                let dns = "localhost:80".to_socket_addrs().map(|a| a.count());
                format!(
                    "tcp={} udp={} dns={}",
                    tcp.is_ok(),
                    udp.is_ok(),
                    dns.is_ok()
                )
            }
            other => format!("unknown attack {other:?}"),
        }
    }

    /// Writes `lines` distinct lines of `line-bytes` bytes, through the log import or stderr.
    fn flood(&self, to_stderr: bool) {
        let filler = "x".repeat(self.line_bytes);
        for i in 0..self.lines {
            let line = format!("flood line {i:>7} {filler}");
            let line = &line[..self.line_bytes.min(line.len())];
            if to_stderr {
                eprintln!("{line}");
            } else {
                self.transport.log(LogLevel::Info, line);
            }
        }
    }
}

/// The one resource type, `endless`, whose listing the sync attacks abuse.
struct Endless;

const ENDLESS: &str = "endless";

impl ResourceSyncer<Hostile> for Endless {
    fn resource_type(&self) -> ResourceType {
        ResourceType::new(ENDLESS, "Endless", "Resources without end.", &[])
    }

    fn list(
        &self,
        cx: &mut Hostile,
        _parent: Option<&ResourceId>,
        page_token: &str,
    ) -> Result<Page<ResourceInfo>, ConnectorError> {
        let (count, next_token) = match cx.attack.as_str() {
            "endless-pages" => {
                let page: u64 = page_token.parse().unwrap_or(0);
                let items = (0..cx.page_size)
                    .map(|i| resource(&format!("p{page}-r{i}")))
                    .collect();
                return Ok(Page {
                    items,
                    next_token: (page + 1).to_string(),
                });
            }
            "same-warning" => (cx.lines, String::new()),
            _ => (0, String::new()),
        };
        let items = (0..count).map(|i| resource(&format!("r{i}"))).collect();
        Ok(Page { items, next_token })
    }

    fn entitlements(
        &self,
        cx: &mut Hostile,
        _resource: &ResourceInfo,
        _page_token: &str,
    ) -> Result<Page<Entitlement>, ConnectorError> {
        if cx.attack == "same-warning" {
            cx.transport.log(
                LogLevel::Warn,
                "the workspace hides its members from this account; grants will be incomplete",
            );
        }
        Ok(Page::last(Vec::new()))
    }
}

fn resource(id: &str) -> ResourceInfo {
    ResourceInfo {
        id: ResourceId::new(ENDLESS, id),
        parent: None,
        display_name: format!("Endless {id}"),
        description: "One more of them.".into(),
        user: None,
        group: None,
        child_resource_types: Vec::new(),
        profile: Vec::new(),
    }
}

/// What came back, in the words the sandbox tests look for (`HttpError::…` as the generated
/// bindings print it).
fn describe(r: Result<HttpResponse, HttpError>) -> String {
    match r {
        Ok(resp) => format!("response {}", resp.status),
        Err(HttpError::Denied(m)) => format!("denied: {m}"),
        Err(e) => format!("error: HttpError::{e:?}"),
    }
}

fn field(name: &str, description: &str) -> ConfigField {
    ConfigField::new(name, FieldType::Text, FieldGroup::Connection, description)
}

impl Connector for Hostile {
    fn metadata() -> Metadata {
        Metadata {
            config_fields: vec![
                field(ATTACK, "The attack validate runs."),
                field(TARGET_URL, "Where the request attacks go."),
                field(HEADER, "The header name the auth-header attack sets."),
                field(SOCKET_ADDR, "The address the socket attack dials."),
                field(BASE_URL, "The one origin the component may reach."),
                field(PAGE_SIZE, "Resources on each page of endless-pages (100)."),
                field(
                    LINES,
                    "Lines the floods write, resources of same-warning (100000).",
                ),
                field(LINE_BYTES, "Bytes of each flood line (1024)."),
            ],
            origins: vec![Origin::FromField(BASE_URL.into())],
            ..Metadata::new("Hostile", "Attacks the sandbox, for tests.", "0.1.0")
        }
    }

    fn syncers() -> &'static [&'static dyn ResourceSyncer<Self>] {
        &[&Endless]
    }

    fn new(transport: Rc<dyn Transport>, config: &Config) -> Result<Self, ConnectorError> {
        let setting = |key| config.get(key).unwrap_or_default();
        let number = |key: &'static str, default: usize| setting(key).parse().unwrap_or(default);
        Ok(Hostile {
            transport,
            attack: setting(ATTACK),
            target_url: setting(TARGET_URL),
            header: setting(HEADER),
            socket_addr: setting(SOCKET_ADDR),
            page_size: number(PAGE_SIZE, 100),
            lines: number(LINES, 100_000),
            line_bytes: number(LINE_BYTES, 1024),
        })
    }

    fn validate(&mut self) -> Result<(), ConnectorError> {
        match self.attack.as_str() {
            "log-flood" => self.flood(false),
            "stderr-flood" => self.flood(true),
            a if SYNC_ATTACKS.contains(&a) => {}
            _ => return Err(ConnectorError::Internal(self.run())),
        }
        Ok(())
    }
}

connector_sdk::export_connector!(Hostile);

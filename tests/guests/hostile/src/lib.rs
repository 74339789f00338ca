//! A hostile connector. `validate` runs the attack named by config `attack` and reports what
//! happened as an `internal` error whose text the sandbox tests check. It syncs no resource
//! types, so every other export refuses politely.
//!
//! Configuration (all non-secret): `attack`, the attack; `target-url`, where a request attack
//! goes; `header`, the header name `auth-header` sets; `socket-addr`, what `socket` dials;
//! `base-url`, the one origin it declares it may reach (the attacks aim elsewhere).

use std::hint::black_box;
use std::rc::Rc;

use connector_sdk::{
    Config, ConfigField, Connector, ConnectorError, FieldGroup, FieldType, HttpError, HttpRequest,
    HttpResponse, Metadata, Method, Origin, ResourceSyncer, Transport,
};

const ATTACK: &str = "attack";
const TARGET_URL: &str = "target-url";
const HEADER: &str = "header";
const SOCKET_ADDR: &str = "socket-addr";
const BASE_URL: &str = "base-url";

/// The attack to run and its parameters.
struct Hostile {
    transport: Rc<dyn Transport>,
    attack: String,
    target_url: String,
    header: String,
    socket_addr: String,
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
            ],
            origins: vec![Origin::FromField(BASE_URL.into())],
            ..Metadata::new("Hostile", "Attacks the sandbox, for tests.", "0.1.0")
        }
    }

    fn syncers() -> &'static [&'static dyn ResourceSyncer<Self>] {
        &[]
    }

    fn new(transport: Rc<dyn Transport>, config: &Config) -> Result<Self, ConnectorError> {
        let setting = |key| config.get(key).unwrap_or_default();
        Ok(Hostile {
            transport,
            attack: setting(ATTACK),
            target_url: setting(TARGET_URL),
            header: setting(HEADER),
            socket_addr: setting(SOCKET_ADDR),
        })
    }

    fn validate(&mut self) -> Result<(), ConnectorError> {
        Err(ConnectorError::Internal(self.run()))
    }
}

connector_sdk::export_connector!(Hostile);

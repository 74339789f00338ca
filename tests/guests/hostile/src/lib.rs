//! A hostile connector. `validate` runs the attack named by config `attack` and reports what
//! happened as an `internal` error whose text the sandbox tests check; the other exports are inert.

// The generated export glue takes one argument per record field.
#![allow(clippy::too_many_arguments)]

use std::hint::black_box;

wit_bindgen::generate!({ world: "connector", path: "../../../wit/since_v0.1.0" });

use baton::connector::{config, http};

struct Hostile;

fn setting(key: &str) -> String {
    config::get(key).unwrap_or_default()
}

fn request(url: String, headers: Vec<http::Header>) -> Result<http::Response, http::HttpError> {
    http::send(&http::Request {
        method: http::Method::Get,
        url,
        headers,
        body: None,
        endpoint: "GET /attack".into(),
    })
}

fn describe(r: Result<http::Response, http::HttpError>) -> String {
    match r {
        Ok(resp) => format!("response {}", resp.status),
        Err(http::HttpError::Denied(m)) => format!("denied: {m}"),
        Err(e) => format!("error: {e:?}"),
    }
}

fn attack(name: &str) -> String {
    match name {
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
        "forbidden-host" => describe(request(setting("target-url"), Vec::new())),
        "auth-header" => {
            let headers = vec![http::Header {
                name: setting("header"),
                value: "Basic c3RvbGVuOnNlY3JldA==".into(),
            }];
            describe(request(setting("target-url"), headers))
        }
        "allowed-request" => describe(request(setting("target-url"), Vec::new())),
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
            let target = setting("socket-addr");
            let tcp = std::net::TcpStream::connect(target.as_str()).map(|_| ());
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

impl Guest for Hostile {
    fn metadata() -> Metadata {
        Metadata {
            display_name: "Hostile".into(),
            description: "Attacks the sandbox, for tests.".into(),
            version: "0.1.0".into(),
            config_keys: vec![
                "attack".into(),
                "target-url".into(),
                "header".into(),
                "socket-addr".into(),
            ],
        }
    }

    fn validate() -> Result<(), ConnectorError> {
        Err(ConnectorError::Internal(attack(&setting("attack"))))
    }

    fn resource_types() -> Result<Vec<ResourceType>, ConnectorError> {
        Ok(Vec::new())
    }

    fn list_resources(
        _: String,
        _: Option<ResourceId>,
        _: String,
    ) -> Result<ResourcePage, ConnectorError> {
        Ok(ResourcePage {
            items: Vec::new(),
            next_token: String::new(),
        })
    }

    fn list_entitlements(_: ResourceInfo, _: String) -> Result<EntitlementPage, ConnectorError> {
        Ok(EntitlementPage {
            items: Vec::new(),
            next_token: String::new(),
        })
    }

    fn list_grants(_: ResourceInfo, _: String) -> Result<GrantPage, ConnectorError> {
        Ok(GrantPage {
            items: Vec::new(),
            next_token: String::new(),
        })
    }

    fn grant(_: ResourceInfo, _: Entitlement) -> Result<GrantOutcome, ConnectorError> {
        Err(ConnectorError::InvalidArgument("not supported".into()))
    }

    fn revoke(_: Grant) -> Result<RevokeOutcome, ConnectorError> {
        Err(ConnectorError::InvalidArgument("not supported".into()))
    }
}

export!(Hostile);

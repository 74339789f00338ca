//! The command line comes from the component in use: a connector with a schema of its own and a
//! Bearer credential runs through the same CLI with its own flags, and a 0.1.0 component still
//! runs (through the adapter) and gives the same file as its 0.2.0 twin.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use connector_host::cli;
use connector_tests::{contents, guests, settings_from_argv, shared_runtime, sync_argv};
use serde_json::{Value, json};

/// A ticket tracker on loopback that answers only `Authorization: Bearer <key>` and records the
/// authorization headers it saw.
struct Tracker {
    base: String,
    seen: Arc<Mutex<Vec<String>>>,
}

const KEY: &str = "tk-secret-key-0001";

async fn tracker() -> Tracker {
    type Seen = Arc<Mutex<Vec<String>>>;
    async fn check(seen: &Seen, headers: &HeaderMap) -> Result<(), StatusCode> {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        seen.lock().unwrap().push(auth.clone());
        if auth == format!("Bearer {KEY}") {
            Ok(())
        } else {
            Err(StatusCode::UNAUTHORIZED)
        }
    }
    async fn users(
        State(seen): State<Seen>,
        headers: HeaderMap,
    ) -> Result<Json<Value>, StatusCode> {
        check(&seen, &headers).await?;
        Ok(Json(json!({"values": [
            {"id": "u1", "name": "Ada Lovelace", "email": "ada@example.com", "active": true},
            {"id": "u2", "name": "Grace Hopper", "active": false}
        ]})))
    }
    fn all_projects() -> Vec<Value> {
        vec![
            json!({"key": "OPS", "name": "Operations", "members": [
                {"user": "u1", "role": "admin"}, {"user": "u2", "role": "member"}]}),
            json!({"key": "WEB", "name": "Website", "members": [{"user": "u2", "role": "member"}]}),
        ]
    }
    async fn projects(
        State(seen): State<Seen>,
        headers: HeaderMap,
    ) -> Result<Json<Value>, StatusCode> {
        check(&seen, &headers).await?;
        Ok(Json(json!({ "values": all_projects() })))
    }
    async fn project(
        State(seen): State<Seen>,
        headers: HeaderMap,
        Path(key): Path<String>,
    ) -> Result<Json<Value>, StatusCode> {
        check(&seen, &headers).await?;
        all_projects()
            .into_iter()
            .find(|p| p["key"] == key.as_str())
            .map(Json)
            .ok_or(StatusCode::NOT_FOUND)
    }
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/users", get(users))
        .route("/projects", get(projects))
        .route("/projects/{key}", get(project))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Tracker { base, seen }
}

fn argv(args: &[&str]) -> Vec<OsString> {
    std::iter::once("connector-host")
        .chain(args.iter().copied())
        .map(OsString::from)
        .collect()
}

#[tokio::test]
async fn a_connector_with_its_own_schema_and_a_bearer_credential_runs_through_the_cli() {
    let t = tracker().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tickets.c1z");
    let out_s = out.to_str().unwrap();
    let outcome = sync_argv(&[
        "connector-host",
        "--plugin",
        guests::TICKETS,
        "--api-url",
        &t.base,
        "--api-key",
        KEY,
        "--projects",
        "ops",
        "-f",
        out_s,
    ])
    .await
    .expect("the tickets sync");
    assert!(outcome.requests_total >= 2, "{}", outcome.requests_table);
    let seen = t.seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|a| a == &format!("Bearer {KEY}")),
        "every request carried the host's Bearer header: {seen:?}"
    );
    let c = contents(&out);
    let ids: Vec<&String> = c.grants.keys().collect();
    assert_eq!(
        ids,
        ["project:OPS:admin:user:u1", "project:OPS:member:user:u2"],
        "only project OPS (--projects ops), with its members' roles"
    );
    assert!(c.resources.contains_key("user:u1") && c.resources.contains_key("project:OPS"));
}

#[tokio::test]
async fn its_help_lists_its_own_fields_and_none_of_another_components() {
    let failure = match cli::parse_from(
        shared_runtime(),
        argv(&["--plugin", guests::TICKETS, "--help"]),
    )
    .await
    {
        Ok(_) => panic!("--help ends the parse"),
        Err(f) => f,
    };
    assert_eq!(failure.error.kind(), clap::error::ErrorKind::DisplayHelp);
    let help = failure.error.render().to_string();
    for wanted in [
        "--api-url",
        "BATON_API_URL",
        "--api-key ",
        "BATON_API_KEY",
        "--api-key-file",
        "BATON_API_KEY_FILE",
        "--projects",
        "Connection and credentials",
        "What to sync",
        "Sandbox limits",
    ] {
        assert!(help.contains(wanted), "{wanted:?} missing from:\n{help}");
    }
    for unwanted in [
        "--workspaces",
        "--username",
        "--app-password",
        "--consumer-key",
    ] {
        assert!(!help.contains(unwanted), "{unwanted:?} in:\n{help}");
    }
}

#[tokio::test]
async fn its_required_field_and_its_credential_are_asked_for_by_their_flags() {
    let t = tracker().await;
    let no_url = settings_from_argv(&[
        "connector-host",
        "--plugin",
        guests::TICKETS,
        "--api-key",
        KEY,
    ])
    .await
    .err()
    .expect("api-url is required")
    .to_string();
    assert!(
        no_url.contains("needs --api-url (BATON_API_URL)"),
        "{no_url}"
    );
    let no_key = settings_from_argv(&[
        "connector-host",
        "--plugin",
        guests::TICKETS,
        "--api-url",
        &t.base,
    ])
    .await
    .err()
    .expect("a credential is required")
    .to_string();
    assert_eq!(
        no_key,
        "no Tickets credentials: give --api-key (an API key of the ticket tracker)"
    );
    // Its secret never reaches the guest's configuration, which its other fields do.
    let (settings, _) = settings_from_argv(&[
        "connector-host",
        "--plugin",
        guests::TICKETS,
        "--api-url",
        &t.base,
        "--api-key",
        KEY,
    ])
    .await
    .unwrap();
    let guest = settings.guest_config();
    assert_eq!(guest.get("api-url"), Some(&t.base));
    assert_eq!(guest.get("auth-kind").map(String::as_str), Some("api-key"));
    assert!(!guest.values().any(|v| v.contains(KEY)), "{guest:?}");
}

fn fixture_graph() -> Value {
    json!({
        "resource_types": [{"id": "team", "traits": ["group"]}, {"id": "person", "traits": ["user"]}],
        "resources": [
            {"type": "team", "id": "t1", "children": ["person"]},
            {"type": "person", "id": "p1", "parent": ["team", "t1"]},
            {"type": "person", "id": "p2", "parent": ["team", "t1"]}
        ],
        "entitlements": [{"on": ["team", "t1", "member"], "grantable_to": ["person"]}],
        "grants": [
            {"entitlement": ["team", "t1", "member"], "principal": ["person", "p1"]},
            {"entitlement": ["team", "t1", "member"], "principal": ["person", "p2"]}
        ]
    })
}

#[tokio::test]
async fn a_0_1_0_component_runs_through_the_adapter_and_equals_its_0_2_0_twin() {
    let dir = tempfile::tempdir().unwrap();
    let graph = fixture_graph().to_string();
    let mut files = BTreeMap::new();
    for (name, plugin) in [
        ("legacy", guests::LEGACY_V0_1_0),
        ("current", guests::FIXTURE),
    ] {
        let out = dir.path().join(format!("{name}.c1z"));
        sync_argv(&[
            "connector-host",
            "--plugin",
            plugin,
            "--fixture",
            &graph,
            "-f",
            out.to_str().unwrap(),
        ])
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        files.insert(name, contents(&out));
    }
    assert_eq!(files["legacy"].grants.len(), 2);
    assert!(
        files["legacy"] == files["current"],
        "the same rows through both contracts"
    );
}

#[tokio::test]
async fn an_unknown_major_is_refused_by_name_when_the_command_line_names_it() {
    let err = settings_from_argv(&["connector-host", "--plugin", guests::WRONG_VERSION])
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("baton:connector@9.0.0") && err.contains("wrong_version"),
        "{err}"
    );
}

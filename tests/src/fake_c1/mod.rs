//! A fake ConductorOne for the service-mode tests: the token endpoint and the
//! `c1.connectorapi.baton.v1.BatonService`, on one HTTPS listener on 127.0.0.1, written from the
//! protocol reference (`c1z-format.md` §6.4 and §3) and baton-sdk v0.25.0's own sources, not
//! from our client, so that it does not share the client's assumptions.
//!
//! # Using it
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use std::time::Duration;
//! use connector_tests::fake_c1::{FakeC1, FullSync, TaskSpec};
//!
//! let fake = FakeC1::start().await?;
//! let client = fake.new_client("bitbucket");           // key, client id, client secret
//! let sync = fake.push_task(TaskSpec::full_sync(FullSync::default()));
//! // run `connector-host --client-id <client.client_id()> --client-secret <...>` with
//! // SSL_CERT_FILE=<fake.ca_file()> ...
//! let finish = fake.wait_finished(&sync, Duration::from_secs(60)).await?;
//! assert!(finish.is_success());
//! let c1z: std::sync::Arc<[u8]> = fake.uploaded(&sync).expect("an upload");
//! # Ok(()) }
//! ```
//!
//! - [`FakeC1::start`] / [`FakeC1::start_with`] ([`FakeC1Config`]: `next_poll`,
//!   `next_heartbeat`, `token_lifetime`, [`IdleAnswer`]); [`FakeC1::set_config`] changes it
//!   while it runs. [`FakeC1::host`] is `127.0.0.1:PORT`; [`FakeC1::ca_file`] is the PEM file to
//!   name in `SSL_CERT_FILE` ([`TestPki`]: a CA made for this fake, a server certificate for
//!   `127.0.0.1` and `localhost`).
//! - Clients ([`ClientIdentity`]): [`FakeC1::new_client`] names the fake itself as tenant host,
//!   so the client derives both the token URL and the gRPC address from the client id;
//!   [`FakeC1::new_client_for_tenant`] names another tenant (say `tenant.invalid`) for a client
//!   run with `--c1-api-host`/`BATON_C1_API_HOST` set to [`FakeC1::host`].
//!   [`FakeC1::revoke_client`] is the auth-failure mode: the token endpoint answers 401 and
//!   every RPC with one of its tokens Unauthenticated.
//! - Tasks ([`TaskSpec`]): `full_sync(FullSync { skip_expand_grants,
//!   skip_entitlements_and_grants, skip_grants, sync_resource_type_ids, .. })`,
//!   `grant(entitlement, principal)`, `revoke(grant)`, `hello()`, `create_account(..)` (an
//!   unsupported kind), `raw(..)` for any other; per task `cancelled_after_heartbeats(n)`,
//!   `drop_upload_once_after_chunks(n)`, `debug()`. [`FakeC1::push_task`] queues one (at any
//!   time) and returns its id; [`FakeC1::cancel_task`] cancels one through its next heartbeat.
//!   GetTask hands the queue out in order, then answers "no task" with `next_poll`.
//! - Inspection: [`FakeC1::wait_finished`], [`FakeC1::wait_hello_task`], and for anything else
//!   [`FakeC1::wait_for`] with a closure over [`Records`]; [`FakeC1::records`] is a snapshot of
//!   every call, hello, task handed out, heartbeat, upload attempt, finish, token request, auth
//!   failure and protocol [`Violation`]. A test should end with
//!   `assert!(fake.violations().is_empty())`.
//! - [`transcode`] turns one protobuf type into another of the same wire form (e.g. a
//!   `c1z::pb::Entitlement` read from a sync into the fake's, to script a grant).
//!
//! # The protocol as the fake enforces it
//!
//! Sources read: the reference §6.4; baton-sdk `pkg/ugrpc/c1_credential_provider.go` (token
//! source, credentials), `pkg/crypto/client_secret.go` (secret parsing),
//! `pkg/tasks/c1api/{manager,service_client,task_helpers,full_sync,hello,grant,revoke}.go`
//! (client behaviour), `proto/c1/connectorapi/baton/v1/baton.proto` and
//! `proto/c1/connector/v2/*.proto` (fields and validation rules), and the go-jose, xjwt and
//! oauth2 code vendored there. Where both are silent the fake takes the stricter answer, and says
//! so below. A refusal for a protocol breach is recorded as a [`Violation`], and its status
//! message starts with `fake ConductorOne:`.
//!
//! Credentials:
//! - Client id `<name>@<tenant host>/<suffix>`; split at the first `@` and the next `/`.
//! - Client secret `secret-token:conductorone.com:v1:<base64url, no padding, of the JWK>`; the
//!   JWK is `{"kty":"OKP","crv":"Ed25519","x":…,"d":…}` (`d` the 32-byte seed; go-jose's
//!   parser wants a private OKP key, and baton-sdk then insists on Ed25519). No `kid`.
//!
//! Token endpoint, `POST https://<host>/auth/v1/token`:
//! - `Content-Type: application/x-www-form-urlencoded` (else 400); the fields `grant_type` =
//!   `client_credentials` (else 400 `unsupported_grant_type`), `client_assertion_type` =
//!   `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, `client_id`,
//!   `client_assertion`, none repeated (else 400 `invalid_request`).
//! - The assertion (else 401 `invalid_client`): a compact JWS; protected header `alg` =
//!   `EdDSA`, a non-empty `nonce` **in the header** (go-jose's `NonceSource` puts it there;
//!   baton-sdk's is 16 random bytes in hex), `typ` absent or `JWT`, no `crit`; an Ed25519
//!   signature by the client's key (strict verification); claims `iss` = `sub` = the client
//!   id, `aud` = the tenant host of the client id without its port (a string, or an array
//!   holding it), `exp` in (now, now + 5 min], `iat` within 5 min before now, `nbf` ≤ now and
//!   at most 10 min back (5 s of skew allowed); all three whole seconds. A nonce seen before is
//!   refused (stricter: the reference is silent on replay).
//! - The answer: `{"access_token", "token_type": "bearer", "expires_in"}` (seconds, the
//!   configured lifetime rounded up).
//!
//! gRPC, `https://<host>` (HTTP/2 over TLS; the same port):
//! - Every RPC needs `authorization: Bearer <access_token>`, the scheme spelled `Bearer`
//!   (stricter, see the disagreements); a missing, unknown, expired or revoked client's token
//!   is Unauthenticated and recorded in [`Records::auth_failures`].
//! - `host_id` 1–256 characters; task ids 27 ASCII letters and digits; at most 16
//!   annotations (upstream validation rules).
//! - Hello: `connector_metadata` required, its `display_name` 1–1024 bytes, a `help_url` if
//!   any `https://`. A Hello with a `task_id` answers that hello task (baton-sdk answers a hello
//!   task so, and never finishes it; a FinishTask for it is accepted too).
//! - GetTask/GetTasks: refused (FailedPrecondition) for a host that has not said Hello
//!   (stricter: baton-sdk always says Hello first). A task handed out belongs to that host:
//!   another host's Heartbeat, UploadAsset or FinishTask for it is PermissionDenied.
//! - Heartbeat: the task (`task_id`, or the batch `task_ids`) must be handed out and known;
//!   answers `next_heartbeat` and `cancelled`; a heartbeat after the task finished is
//!   FailedPrecondition, recorded as `late`, not a violation (it can race the finish).
//! - UploadAsset, only for a `sync_full` task that has had a heartbeat (stricter; baton-sdk
//!   heartbeats before it syncs) and has not finished: `metadata`{host_id, task_id}, then
//!   `data` chunks of 1 to 512 KiB each (stricter than upstream's 1 MiB: what baton-sdk sends),
//!   then `eof`{32-byte SHA-256 of all the data}, then the end of the stream; the checksum must
//!   match. Anything else is InvalidArgument. A retry after a failed attempt is welcome (baton-
//!   sdk tries 3 times); the last complete upload is the task's.
//! - FinishTask: exactly once per task; `final_state` required. A success carries no non-OK
//!   status; a `sync_full` success needs a complete upload first; a grant or revoke success
//!   carries the connector's response as an `Any` of type
//!   `type.googleapis.com/c1.connector.v2.GrantManagerService{Grant,Revoke}Response`. An error
//!   carries a `google.rpc.Status` with a non-OK code (baton-sdk always sets it; an unsupported
//!   task type it finishes as an error, code Unknown, retryable).
//! - StartDebugging is Unimplemented.
//!
//! # Where the reference and baton-sdk disagree, or the reference is silent
//!
//! - Authorization scheme: the reference says `authorization: <token_type> <token>`; baton-sdk
//!   sends Go oauth2's `Token.Type()`, which turns `bearer` into `Bearer`. The fake answers
//!   `token_type: "bearer"` and accepts only `Bearer`, so a client must normalise as Go does.
//! - Audience with an API-host override: the reference says `aud` = "host (port stripped)" and
//!   that `BATON_C1_API_HOST` overrides "the host"; baton-sdk overrides only where it connects
//!   (token URL and gRPC address) and keeps `aud` = the client id's tenant host. The fake
//!   follows baton-sdk.
//! - The nonce: the reference lists it beside the claims; baton-sdk (go-jose) sends it in the
//!   protected header. The fake wants it in the header.
//! - Hello tasks: the reference does not say how one ends; baton-sdk sends a Hello with the
//!   task's id and no FinishTask.
//! - Token refresh: baton-sdk's oauth2 `ReuseTokenSource` fetches a new token 10 s before
//!   `expires_in` runs out; the fake refuses a token the moment it expires, so a client must
//!   refresh ahead (a token lifetime under 10 s makes baton-sdk fetch one per RPC).
//! - gRPC port: the reference says `<host>:443`; baton-sdk uses the client id's port when there
//!   is one, which is how a client reaches the fake.

mod assertion;
mod identity;
pub mod pb;
mod records;
mod server;
mod service;
mod state;
mod tasks;
mod tls;
mod token;
mod upload;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

pub use identity::{ClientIdentity, audience_of, parse_client_id};
pub use records::{
    AuthFailure, Call, FinishRecord, HandedOut, HeartbeatRecord, HelloRecord, Records,
    TokenRequest, UploadAttempt, UploadOutcome, Violation,
};
pub use state::{FakeC1Config, IdleAnswer};
pub use tasks::{FullSync, TaskSpec, is_task_id, kind_of, new_task_id};
pub use tls::TestPki;
pub use token::TOKEN_PATH;
pub use upload::MAX_CHUNK;

use pb::c1::connectorapi::baton::v1::baton_service_server::BatonServiceServer;
use state::{Client, Shared, TaskState};

/// A running fake ConductorOne; it stops when dropped.
pub struct FakeC1 {
    shared: Arc<Shared>,
    host: String,
    pki: TestPki,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeC1 {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeC1 {
    /// Starts a fake with the default configuration on a free loopback port.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(FakeC1Config::default()).await
    }

    /// Starts a fake with `config` on a free loopback port.
    pub async fn start_with(config: FakeC1Config) -> anyhow::Result<Self> {
        let pki = TestPki::new().context("the fake's certificates")?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let host = listener.local_addr()?.to_string();
        let shared = Arc::new(Shared::new(config));
        let grpc = tonic::service::Routes::new(BatonServiceServer::new(service::Service {
            shared: shared.clone(),
        }))
        .into_axum_router();
        let router = grpc.merge(token::router(shared.clone()));
        let server = server::spawn(listener, pki.server_config(), router);
        Ok(Self {
            shared,
            host,
            pki,
            server,
        })
    }

    /// `127.0.0.1:PORT`: the tenant host of [`Self::new_client`]'s ids, and the value for
    /// `--c1-api-host`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The token endpoint's URL.
    pub fn token_url(&self) -> String {
        format!("https://{}{TOKEN_PATH}", self.host)
    }

    /// The gRPC endpoint's URL.
    pub fn grpc_url(&self) -> String {
        format!("https://{}", self.host)
    }

    /// The PEM file of the fake's CA, for `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> &Path {
        self.pki.ca_file()
    }

    /// The fake's CA certificate, PEM-encoded.
    pub fn ca_pem(&self) -> &str {
        self.pki.ca_pem()
    }

    /// The configuration in force.
    pub fn config(&self) -> FakeC1Config {
        self.shared.read(|s| s.config.clone())
    }

    /// Changes the configuration; it applies to the next answers and tokens.
    pub fn set_config(&self, config: FakeC1Config) {
        self.shared.update(|s| s.config = config);
    }

    /// A new client of the tenant at [`Self::host`], registered with the fake.
    pub fn new_client(&self, name: &str) -> ClientIdentity {
        self.new_client_for_tenant(name, &self.host.clone())
    }

    /// A new client whose id names `tenant_host` (reach the fake with `--c1-api-host`).
    pub fn new_client_for_tenant(&self, name: &str, tenant_host: &str) -> ClientIdentity {
        let identity = ClientIdentity::generate(name, tenant_host);
        self.shared.update(|s| {
            s.clients.insert(
                identity.client_id().to_string(),
                Client {
                    key: identity.verifying_key(),
                    audience: identity.audience(),
                    revoked: false,
                },
            )
        });
        identity
    }

    /// Revokes a client: no more tokens for it, and its tokens are refused.
    pub fn revoke_client(&self, client_id: &str) {
        self.shared.update(|s| {
            s.clients
                .get_mut(client_id)
                .unwrap_or_else(|| panic!("no client {client_id}"))
                .revoked = true;
        });
    }

    /// Queues a task; returns its id.
    pub fn push_task(&self, spec: TaskSpec) -> String {
        let id = new_task_id();
        self.shared.update(|s| {
            s.tasks.insert(
                id.clone(),
                TaskState {
                    spec,
                    host: None,
                    heartbeats: 0,
                    cancelled: false,
                    finished: false,
                    uploaded: false,
                    hello_answered: false,
                },
            );
            s.queue.push_back(id.clone());
        });
        id
    }

    /// Cancels a task: its next heartbeat answers `cancelled: true`.
    pub fn cancel_task(&self, task_id: &str) {
        self.shared.update(|s| {
            s.tasks
                .get_mut(task_id)
                .unwrap_or_else(|| panic!("no task {task_id}"))
                .cancelled = true;
        });
    }

    /// A snapshot of everything recorded.
    pub fn records(&self) -> Records {
        self.shared.read(|s| s.records.clone())
    }

    /// Waits until `check` finds what it looks for in the records, at most `timeout`; the error
    /// names `what` and sums up what the fake saw.
    pub async fn wait_for<T>(
        &self,
        timeout: Duration,
        what: &str,
        mut check: impl FnMut(&Records) -> Option<T>,
    ) -> anyhow::Result<T> {
        let mut changes = self.shared.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(found) = self.shared.read(|s| check(&s.records)) {
                return Ok(found);
            }
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                anyhow::bail!(
                    "the fake ConductorOne saw no {what} in {timeout:?}; it saw: {}",
                    self.summary()
                );
            }
        }
    }

    /// Waits for a task's FinishTask.
    pub async fn wait_finished(
        &self,
        task_id: &str,
        timeout: Duration,
    ) -> anyhow::Result<FinishRecord> {
        self.wait_for(timeout, &format!("FinishTask for {task_id}"), |r| {
            r.finish(task_id).cloned()
        })
        .await
    }

    /// Waits for the Hello that answers a hello task.
    pub async fn wait_hello_task(
        &self,
        task_id: &str,
        timeout: Duration,
    ) -> anyhow::Result<HelloRecord> {
        self.wait_for(timeout, &format!("Hello for task {task_id}"), |r| {
            r.hellos
                .iter()
                .find(|h| h.request.task_id == task_id)
                .cloned()
        })
        .await
    }

    /// A task's accepted finish.
    pub fn finish_record(&self, task_id: &str) -> Option<FinishRecord> {
        self.shared.read(|s| s.records.finish(task_id).cloned())
    }

    /// The content of a task's last complete upload (a `.c1z` for a sync).
    pub fn uploaded(&self, task_id: &str) -> Option<Arc<[u8]>> {
        self.shared.read(|s| s.records.uploaded(task_id))
    }

    /// Writes a task's last complete upload to `path` (for `c1z::C1zReader::open`).
    pub fn save_upload(&self, task_id: &str, path: &Path) -> anyhow::Result<()> {
        let bytes = self
            .uploaded(task_id)
            .with_context(|| format!("task {task_id} has no complete upload"))?;
        std::fs::write(path, &bytes[..]).with_context(|| format!("writing {}", path.display()))
    }

    /// Every upload attempt for a task.
    pub fn upload_attempts(&self, task_id: &str) -> Vec<UploadAttempt> {
        self.shared.read(|s| {
            s.records
                .uploads_for(task_id)
                .into_iter()
                .cloned()
                .collect()
        })
    }

    /// Every heartbeat for a task.
    pub fn heartbeats(&self, task_id: &str) -> Vec<HeartbeatRecord> {
        self.shared.read(|s| {
            s.records
                .heartbeats_for(task_id)
                .into_iter()
                .cloned()
                .collect()
        })
    }

    /// Every Hello accepted.
    pub fn hellos(&self) -> Vec<HelloRecord> {
        self.shared.read(|s| s.records.hellos.clone())
    }

    /// How many tokens the endpoint issued.
    pub fn tokens_issued(&self) -> usize {
        self.shared.read(|s| s.records.tokens_issued())
    }

    /// Every request to the token endpoint.
    pub fn token_requests(&self) -> Vec<TokenRequest> {
        self.shared.read(|s| s.records.token_requests.clone())
    }

    /// Every RPC refused as Unauthenticated.
    pub fn auth_failures(&self) -> Vec<AuthFailure> {
        self.shared.read(|s| s.records.auth_failures.clone())
    }

    /// Every protocol violation the fake refused.
    pub fn violations(&self) -> Vec<Violation> {
        self.shared.read(|s| s.records.violations.clone())
    }

    /// What the fake saw, in a line (for failure messages).
    pub fn summary(&self) -> String {
        self.shared.read(|s| {
            let r = &s.records;
            let calls: Vec<&str> = r.calls.iter().map(|c| c.rpc).collect();
            format!(
                "{} token requests ({} issued), calls {calls:?}, {} hellos, {} tasks handed out, \
                 {} heartbeats, {} upload attempts, {} finishes, auth failures {:?}, \
                 violations {:?}",
                r.token_requests.len(),
                r.tokens_issued(),
                r.hellos.len(),
                r.handed_out.len(),
                r.heartbeats.len(),
                r.uploads.len(),
                r.finishes.len(),
                r.auth_failures
                    .iter()
                    .map(|f| &f.reason)
                    .collect::<Vec<_>>(),
                r.violations.iter().map(|v| &v.message).collect::<Vec<_>>(),
            )
        })
    }
}

/// Re-encodes a protobuf message as another type with the same wire form (e.g. a
/// `c1z::pb::Grant` as the fake's `pb::c1::connector::v2::Grant`).
pub fn transcode<A: prost::Message, B: prost::Message + Default>(
    message: &A,
) -> Result<B, prost::DecodeError> {
    B::decode(message.encode_to_vec().as_slice())
}

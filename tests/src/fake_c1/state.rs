//! The fake's state, shared by the token endpoint and the BatonService: registered clients,
//! issued tokens, the task queue and each task's progress, and the records.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ed25519_dalek::VerifyingKey;
use tokio::sync::watch;
use tonic::metadata::MetadataMap;

use super::records::{AuthFailure, Call, Records, Violation};
use super::tasks::TaskSpec;

/// What GetTask answers when the queue is empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IdleAnswer {
    /// A response without a task.
    #[default]
    NoTask,
    /// A task of kind `none` (with no id); baton-sdk treats both as "nothing to do".
    NoneTask,
}

/// How the fake answers; every field can be changed while it runs.
#[derive(Clone, Debug)]
pub struct FakeC1Config {
    /// The `next_poll` of every GetTask answer.
    pub next_poll: Duration,
    /// The `next_heartbeat` of every GetTask and Heartbeat answer.
    pub next_heartbeat: Duration,
    /// How long an issued token is accepted (its `expires_in` is this, rounded up to seconds).
    pub token_lifetime: Duration,
    /// What GetTask answers when the queue is empty.
    pub idle: IdleAnswer,
}

impl Default for FakeC1Config {
    fn default() -> Self {
        Self {
            next_poll: Duration::from_millis(200),
            // baton-sdk clamps heartbeat intervals to at least 1 s.
            next_heartbeat: Duration::from_secs(1),
            token_lifetime: Duration::from_secs(3600),
            idle: IdleAnswer::NoTask,
        }
    }
}

/// A registered client.
pub(crate) struct Client {
    pub key: VerifyingKey,
    pub audience: String,
    pub revoked: bool,
}

/// An issued token.
pub(crate) struct Token {
    pub client_id: String,
    pub expires_at: Instant,
}

/// A task and what has happened to it.
pub(crate) struct TaskState {
    pub spec: TaskSpec,
    /// The host it was handed to.
    pub host: Option<String>,
    pub heartbeats: usize,
    pub cancelled: bool,
    pub finished: bool,
    pub uploaded: bool,
    pub hello_answered: bool,
}

/// Everything behind the lock.
#[derive(Default)]
pub(crate) struct State {
    pub config: FakeC1Config,
    pub clients: HashMap<String, Client>,
    pub tokens: HashMap<String, Token>,
    pub nonces: HashSet<String>,
    pub hosts_said_hello: HashSet<String>,
    pub queue: VecDeque<String>,
    pub tasks: BTreeMap<String, TaskState>,
    pub records: Records,
}

impl State {
    /// Records a protocol violation and returns the status to answer it with.
    pub fn violation(
        &mut self,
        rpc: &'static str,
        task_id: Option<&str>,
        code: tonic::Code,
        message: String,
    ) -> tonic::Status {
        self.records.violations.push(Violation {
            rpc,
            task_id: task_id.map(String::from),
            code,
            message: message.clone(),
        });
        tonic::Status::new(code, format!("fake ConductorOne: {message}"))
    }
}

/// The state and a version counter that moves on every change (what waiters watch).
pub(crate) struct Shared {
    state: Mutex<State>,
    version: watch::Sender<u64>,
}

impl Shared {
    /// A fake with `config`, nothing registered.
    pub fn new(config: FakeC1Config) -> Self {
        Self {
            state: Mutex::new(State {
                config,
                ..State::default()
            }),
            version: watch::channel(0).0,
        }
    }

    /// Reads the state.
    pub fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.lock())
    }

    /// Changes the state and wakes the waiters.
    pub fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.lock());
        self.version.send_modify(|v| *v += 1);
        out
    }

    /// A receiver that sees every later change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the records from the others.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks the `authorization: Bearer <token>` metadata of an RPC and records the call;
    /// returns the token's client id.
    pub fn authorize(
        &self,
        rpc: &'static str,
        metadata: &MetadataMap,
    ) -> Result<String, tonic::Status> {
        let user_agent = metadata
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        self.update(|state| {
            let now = Instant::now();
            let verdict = check_authorization(state, metadata, now);
            match verdict {
                Ok(client_id) => {
                    state.records.calls.push(Call {
                        rpc,
                        client_id: client_id.clone(),
                        user_agent,
                        at: now,
                    });
                    Ok(client_id)
                }
                Err(reason) => {
                    state.records.auth_failures.push(AuthFailure {
                        rpc,
                        reason: reason.clone(),
                        at: now,
                    });
                    Err(tonic::Status::unauthenticated(format!(
                        "fake ConductorOne: {reason}"
                    )))
                }
            }
        })
    }
}

/// The client id behind an RPC's authorization metadata, or why it is refused.
fn check_authorization(
    state: &State,
    metadata: &MetadataMap,
    now: Instant,
) -> Result<String, String> {
    let mut values = metadata.get_all("authorization").iter();
    let value = values
        .next()
        .ok_or("no authorization metadata (expected `Bearer <access_token>`)")?;
    if values.next().is_some() {
        return Err("more than one authorization value".into());
    }
    let value = value.to_str().map_err(|_| "authorization is not ASCII")?;
    // Go's oauth2 Token.Type() turns the token_type "bearer" into "Bearer", so that is what
    // baton-sdk sends; the fake takes that exact spelling.
    let token = value.strip_prefix("Bearer ").ok_or_else(|| {
        format!(
            "authorization must be `Bearer <access_token>` (scheme spelled `Bearer`, as Go's oauth2 \
             sends it), got {:?}",
            value.split(' ').next().unwrap_or_default()
        )
    })?;
    let issued = state.tokens.get(token).ok_or("unknown access token")?;
    if state
        .clients
        .get(&issued.client_id)
        .is_none_or(|c| c.revoked)
    {
        return Err(format!("client {} is revoked", issued.client_id));
    }
    if now >= issued.expires_at {
        return Err(format!(
            "access token expired {:.1}s ago; fetch a new one",
            (now - issued.expires_at).as_secs_f64()
        ));
    }
    Ok(issued.client_id.clone())
}

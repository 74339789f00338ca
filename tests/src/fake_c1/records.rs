//! What the fake saw: one record type per kind of event, kept in arrival order, for tests to
//! inspect (through [`super::FakeC1`]) and to wait on.

use std::sync::Arc;
use std::time::Instant;

use super::pb::c1::connectorapi::baton::v1 as api;
use super::pb::google::rpc;

/// Everything recorded so far.
#[derive(Clone, Debug, Default)]
pub struct Records {
    /// Every RPC that passed authentication, in arrival order.
    pub calls: Vec<Call>,
    /// Every Hello accepted.
    pub hellos: Vec<HelloRecord>,
    /// Every task handed out (by GetTask or GetTasks).
    pub handed_out: Vec<HandedOut>,
    /// Every heartbeat for a task, accepted or late.
    pub heartbeats: Vec<HeartbeatRecord>,
    /// Every upload attempt, whatever became of it.
    pub uploads: Vec<UploadAttempt>,
    /// Every FinishTask accepted.
    pub finishes: Vec<FinishRecord>,
    /// Every request to the token endpoint.
    pub token_requests: Vec<TokenRequest>,
    /// Every RPC refused as Unauthenticated.
    pub auth_failures: Vec<AuthFailure>,
    /// Every request refused because the client broke the protocol as the fake reads it.
    pub violations: Vec<Violation>,
}

impl Records {
    /// Tokens the endpoint issued.
    pub fn tokens_issued(&self) -> usize {
        self.token_requests
            .iter()
            .filter(|r| r.outcome.is_ok())
            .count()
    }

    /// The accepted finish of a task.
    pub fn finish(&self, task_id: &str) -> Option<&FinishRecord> {
        self.finishes.iter().find(|f| f.task_id == task_id)
    }

    /// The heartbeats for a task.
    pub fn heartbeats_for(&self, task_id: &str) -> Vec<&HeartbeatRecord> {
        self.heartbeats
            .iter()
            .filter(|h| h.task_id == task_id)
            .collect()
    }

    /// The upload attempts for a task (an attempt whose metadata named no task id is absent).
    pub fn uploads_for(&self, task_id: &str) -> Vec<&UploadAttempt> {
        self.uploads
            .iter()
            .filter(|u| u.task_id.as_deref() == Some(task_id))
            .collect()
    }

    /// The bytes of a task's last complete upload.
    pub fn uploaded(&self, task_id: &str) -> Option<Arc<[u8]>> {
        self.uploads_for(task_id)
            .into_iter()
            .rev()
            .find_map(|u| match &u.outcome {
                UploadOutcome::Complete(bytes) => Some(bytes.clone()),
                _ => None,
            })
    }
}

/// One authenticated RPC.
#[derive(Clone, Debug)]
pub struct Call {
    /// The RPC's name (`Hello`, `GetTask`, ...).
    pub rpc: &'static str,
    /// The client the token was issued to.
    pub client_id: String,
    /// The `user-agent` metadata.
    pub user_agent: Option<String>,
    /// When it arrived.
    pub at: Instant,
}

/// An accepted Hello.
#[derive(Clone, Debug)]
pub struct HelloRecord {
    /// The request as sent (host id, task id, build info, OS info, connector metadata).
    pub request: api::BatonServiceHelloRequest,
    /// When it arrived.
    pub at: Instant,
}

/// A task handed to a host.
#[derive(Clone, Debug)]
pub struct HandedOut {
    /// The task's id.
    pub task_id: String,
    /// Its kind, the name of its `task_type` field (`sync_full`, `grant`, ...).
    pub kind: &'static str,
    /// The host that asked.
    pub host_id: String,
    /// When.
    pub at: Instant,
}

/// A heartbeat for one task.
#[derive(Clone, Debug)]
pub struct HeartbeatRecord {
    /// The task.
    pub task_id: String,
    /// The host.
    pub host_id: String,
    /// The annotations it carried (status updates).
    pub annotations: Vec<prost_types::Any>,
    /// Whether the fake answered `cancelled: true`.
    pub answered_cancelled: bool,
    /// Whether the task had already finished (the fake answered FailedPrecondition).
    pub late: bool,
    /// When it arrived.
    pub at: Instant,
}

/// One UploadAsset stream.
#[derive(Clone, Debug)]
pub struct UploadAttempt {
    /// The task the metadata named (refused or not), if it named one.
    pub task_id: Option<String>,
    /// The sizes of the data chunks received, in order.
    pub chunk_sizes: Vec<usize>,
    /// How it ended.
    pub outcome: UploadOutcome,
    /// When the stream opened.
    pub started: Instant,
}

/// How an upload attempt ended.
#[derive(Clone, Debug)]
pub enum UploadOutcome {
    /// Still streaming.
    InProgress,
    /// Complete: metadata, chunks and a matching SHA-256; the whole content.
    Complete(Arc<[u8]>),
    /// Refused; the status the client got.
    Rejected(tonic::Code, String),
    /// The fake dropped the connection after this many chunks, as scripted.
    Dropped { after_chunks: usize },
    /// The stream broke or ended before its EOF message.
    Incomplete(String),
}

/// An accepted FinishTask.
#[derive(Clone, Debug)]
pub struct FinishRecord {
    /// The task.
    pub task_id: String,
    /// Its kind (`sync_full`, `grant`, ...).
    pub kind: &'static str,
    /// The request as sent.
    pub request: api::BatonServiceFinishTaskRequest,
    /// When it arrived.
    pub at: Instant,
}

impl FinishRecord {
    /// Whether the task succeeded.
    pub fn is_success(&self) -> bool {
        matches!(
            self.request.final_state,
            Some(api::baton_service_finish_task_request::FinalState::Success(
                _
            ))
        )
    }

    /// Whether the client marked its error non-retryable (false for a success).
    pub fn non_retryable(&self) -> bool {
        matches!(
            &self.request.final_state,
            Some(api::baton_service_finish_task_request::FinalState::Error(e)) if e.non_retryable
        )
    }

    /// The `google.rpc.Status` of a failure.
    pub fn status(&self) -> Option<&rpc::Status> {
        self.request.status.as_ref()
    }

    /// The gRPC code of a failure (`Ok` for a success).
    pub fn code(&self) -> tonic::Code {
        self.status()
            .map_or(tonic::Code::Ok, |s| tonic::Code::from_i32(s.code))
    }

    /// The connector's response `Any`, from the success or the error.
    pub fn response(&self) -> Option<&prost_types::Any> {
        use api::baton_service_finish_task_request::FinalState;
        match self.request.final_state.as_ref()? {
            FinalState::Success(s) => s.response.as_ref(),
            FinalState::Error(e) => e.response.as_ref(),
        }
    }
}

/// A request to the token endpoint.
#[derive(Clone, Debug)]
pub struct TokenRequest {
    /// The form's `client_id`, if it had one.
    pub client_id: Option<String>,
    /// The `user-agent` header.
    pub user_agent: Option<String>,
    /// The token issued, or the HTTP status and the reason of the refusal.
    pub outcome: Result<String, (u16, String)>,
    /// When it arrived.
    pub at: Instant,
}

/// An RPC refused as Unauthenticated.
#[derive(Clone, Debug)]
pub struct AuthFailure {
    /// The RPC.
    pub rpc: &'static str,
    /// Why (missing metadata, wrong scheme, unknown or expired token, revoked client).
    pub reason: String,
    /// When.
    pub at: Instant,
}

/// A request the fake refused because the client broke the protocol.
#[derive(Clone, Debug)]
pub struct Violation {
    /// The RPC.
    pub rpc: &'static str,
    /// The task it concerned, if known.
    pub task_id: Option<String>,
    /// The status code the client got.
    pub code: tonic::Code,
    /// What was wrong.
    pub message: String,
}

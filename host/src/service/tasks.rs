//! The work ConductorOne hands out, task by task: a full sync (uploaded), a grant, a revoke, a
//! Hello again, or nothing. Any other kind is finished at once as not supported, so that it is
//! never left to time out.

use std::future::Future;
use std::time::Duration;

use prost::Message;
use tonic::Code;

use super::client::{C1Client, RpcError};
use super::heartbeat::{self, Stop};
use super::pb::baton_service_finish_task_request::{Error as FinishError, FinalState, Success};
use super::pb::{self, TaskType};
use super::upload::{UploadError, upload_file};
use super::{ServiceError, ServiceSettings, Shutdown, SyncEnd, SyncObserver, hello};
use crate::operations::{self, ProvisionError, SyncRequest, SyncRunError};
use crate::runtime::CallError;
use crate::runtime::ErrorKind;
use crate::sync::{NoEvents, SyncError, SyncSelection};

/// How long a grant or revoke under way may still take after a stop was asked for.
const PROVISION_GRACE: Duration = Duration::from_secs(5);
/// How long the FinishTask of an abandoned task may take: the process is stopping.
const ABANDON_FINISH_TIMEOUT: Duration = Duration::from_secs(2);

/// How a task ended, to tell ConductorOne.
#[derive(Debug)]
pub enum Outcome {
    /// Done; with the connector's response for a grant or revoke.
    Success(Option<prost_types::Any>),
    /// Failed.
    Failure {
        /// The gRPC code of the failure.
        code: Code,
        /// What went wrong and what to do.
        message: String,
        /// Whether ConductorOne should not try it again.
        non_retryable: bool,
    },
    /// ConductorOne refused the credentials mid-task: stop the process.
    Fatal(RpcError),
}

impl Outcome {
    fn failure(code: Code, message: impl Into<String>, non_retryable: bool) -> Outcome {
        Outcome::Failure {
            code,
            message: message.into(),
            non_retryable,
        }
    }
}

/// The name of a task's kind, for logs and messages.
pub fn kind(task: &pb::Task) -> &'static str {
    match &task.task_type {
        None => "unknown",
        Some(t) => match t {
            TaskType::None(_) => "none",
            TaskType::Hello(_) => "hello",
            TaskType::SyncFull(_) => "full sync",
            TaskType::Grant(_) => "grant",
            TaskType::Revoke(_) => "revoke",
            TaskType::CreateAccount(_) => "create account",
            TaskType::CreateResource(_) => "create resource",
            TaskType::DeleteResource(_) => "delete resource",
            TaskType::RotateCredentials(_) => "rotate credentials",
            TaskType::EventFeed(_) => "event feed",
            TaskType::CreateTicketTask(_) => "create ticket",
            TaskType::ListTicketSchemas(_) => "list ticket schemas",
            TaskType::GetTicket(_) => "get ticket",
            TaskType::BulkCreateTickets(_) => "bulk create tickets",
            TaskType::BulkGetTickets(_) => "bulk get tickets",
            TaskType::ActionListSchemas(_) => "list action schemas",
            TaskType::ActionGetSchema(_) => "get action schema",
            TaskType::ActionInvoke(_) => "invoke action",
            TaskType::ActionStatus(_) => "action status",
            TaskType::CreateSyncDiff(_) => "create sync diff",
            TaskType::CompactSyncs(_) => "compact syncs",
            TaskType::ListEventFeeds(_) => "list event feeds",
            TaskType::ListEvents(_) => "list events",
            TaskType::IssueCredential(_) => "issue credential",
        },
    }
}

/// Works on one task and tells ConductorOne how it ended; `Err` only when the process must
/// stop (the credentials were refused).
pub async fn run(
    client: &C1Client,
    settings: &ServiceSettings,
    metadata: &c1z::pb::ConnectorMetadata,
    task: pb::Task,
    first_heartbeat: Duration,
    shutdown: &Shutdown,
) -> Result<(), ServiceError> {
    let id = task.id.clone();
    let what = kind(&task);
    let Some(task_type) = task.task_type else {
        if !id.is_empty() {
            // A kind newer than our protocol files: say so rather than let it time out.
            tracing::warn!(task_id = %id, "task of a kind this connector does not know");
            let outcome = Outcome::failure(
                Code::Unimplemented,
                "this task type is not supported by this connector",
                true,
            );
            finish(client, &id, outcome, shutdown).await?;
        }
        return Ok(());
    };
    match task_type {
        TaskType::None(_) => Ok(()),
        _ if id.is_empty() => {
            tracing::warn!(kind = what, "ignoring a task without an id");
            Ok(())
        }
        TaskType::Hello(_) => {
            // As baton-sdk: a Hello naming the task answers it; there is no FinishTask.
            tracing::info!(task_id = %id, "hello task");
            let request = hello::request(client.host_id(), &id, metadata);
            match client.hello(request).await {
                Ok(()) => Ok(()),
                Err(e) if e.is_auth_failure() => Err(ServiceError::Refused(e)),
                Err(e) => {
                    tracing::warn!(task_id = %id, "could not answer the hello task: {e}");
                    Ok(())
                }
            }
        }
        TaskType::SyncFull(sync) => {
            tracing::info!(task_id = %id, "full sync task");
            let work = full_sync(client, settings, &id, sync);
            worked(client, &id, what, first_heartbeat, work, shutdown, None).await
        }
        TaskType::Grant(grant) => {
            tracing::info!(task_id = %id, "grant task");
            let work = grant_task(settings, grant);
            let grace = Some(PROVISION_GRACE);
            worked(client, &id, what, first_heartbeat, work, shutdown, grace).await
        }
        TaskType::Revoke(revoke) => {
            tracing::info!(task_id = %id, "revoke task");
            let work = revoke_task(settings, revoke);
            let grace = Some(PROVISION_GRACE);
            worked(client, &id, what, first_heartbeat, work, shutdown, grace).await
        }
        _ => {
            tracing::warn!(task_id = %id, kind = what, "task not supported by this connector");
            let outcome = Outcome::failure(
                Code::Unimplemented,
                format!("{what} tasks are not supported by this connector"),
                true,
            );
            finish(client, &id, outcome, shutdown).await
        }
    }
}

/// Runs a task's `work` while heartbeating (see [`with_heartbeat`] for `grace`), then tells
/// ConductorOne how it ended.
async fn worked(
    client: &C1Client,
    id: &str,
    what: &str,
    first_heartbeat: Duration,
    work: impl Future<Output = Outcome>,
    shutdown: &Shutdown,
    grace: Option<Duration>,
) -> Result<(), ServiceError> {
    let outcome = with_heartbeat(client, id, first_heartbeat, work, shutdown, grace).await;
    conclude(client, id, what, outcome, shutdown).await
}

/// Finishes a task after its work; `None` means it was abandoned because the process stops.
async fn conclude(
    client: &C1Client,
    id: &str,
    what: &str,
    outcome: Option<Outcome>,
    shutdown: &Shutdown,
) -> Result<(), ServiceError> {
    match outcome {
        Some(outcome) => finish(client, id, outcome, shutdown).await,
        None => {
            tracing::warn!(task_id = id, kind = what, "stopping: the task is abandoned");
            let outcome = Outcome::failure(
                Code::Aborted,
                "the connector was stopped before the task finished; nothing was uploaded",
                false,
            );
            let finished =
                tokio::time::timeout(ABANDON_FINISH_TIMEOUT, send_finish(client, id, &outcome))
                    .await;
            if !matches!(finished, Ok(Ok(()))) {
                tracing::debug!(task_id = id, "the abandoned task's FinishTask was not sent");
            }
            Ok(())
        }
    }
}

/// Runs `work` while heartbeating. A cancellation or lost contact ends the work with a failure;
/// a stop of the process abandons it (`None`), at once or after `grace`.
async fn with_heartbeat(
    client: &C1Client,
    task_id: &str,
    first_heartbeat: Duration,
    work: impl Future<Output = Outcome>,
    shutdown: &Shutdown,
    grace: Option<Duration>,
) -> Option<Outcome> {
    let beat = heartbeat::beat(client, task_id, first_heartbeat);
    tokio::pin!(work, beat);
    let stopped = |stop: Stop| match stop {
        Stop::Cancelled => {
            tracing::info!(task_id, "ConductorOne cancelled the task");
            Outcome::failure(
                Code::Cancelled,
                "the task was cancelled by ConductorOne",
                false,
            )
        }
        Stop::LostContact(e) => Outcome::failure(
            Code::Unavailable,
            format!(
                "the task was stopped after {} failed heartbeats in a row: {e}",
                heartbeat::MAX_FAILURES
            ),
            false,
        ),
        Stop::Refused(e) => Outcome::Fatal(e),
    };
    tokio::select! {
        out = &mut work => return Some(out),
        stop = &mut beat => return Some(stopped(stop)),
        () = shutdown.wait() => {}
    }
    let grace = grace?;
    tokio::select! {
        out = &mut work => Some(out),
        stop = &mut beat => Some(stopped(stop)),
        () = tokio::time::sleep(grace) => None,
    }
}

/// Tells ConductorOne how the task ended, retrying a transient failure a few times.
async fn finish(
    client: &C1Client,
    id: &str,
    outcome: Outcome,
    shutdown: &Shutdown,
) -> Result<(), ServiceError> {
    if let Outcome::Fatal(e) = outcome {
        return Err(ServiceError::Refused(e));
    }
    if let Outcome::Failure {
        code,
        message,
        non_retryable,
    } = &outcome
    {
        tracing::warn!(task_id = id, code = ?code, non_retryable, "task failed: {message}");
    } else {
        tracing::info!(task_id = id, "task succeeded");
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        match send_finish(client, id, &outcome).await {
            Ok(()) => return Ok(()),
            Err(e) if e.is_auth_failure() => return Err(ServiceError::Refused(e)),
            Err(e) if e.is_transient() && attempt < 5 && !shutdown.is_requested() => {
                tracing::warn!(
                    task_id = id,
                    attempt,
                    "FinishTask failed, trying again: {e}"
                );
                tokio::time::sleep(Duration::from_secs(attempt)).await;
            }
            Err(e) => {
                tracing::error!(task_id = id, "could not finish the task: {e}");
                return Ok(());
            }
        }
    }
}

async fn send_finish(client: &C1Client, id: &str, outcome: &Outcome) -> Result<(), RpcError> {
    let (status, state) = match outcome {
        Outcome::Success(response) => (
            None,
            FinalState::Success(Success {
                annotations: vec![],
                response: response.clone(),
            }),
        ),
        Outcome::Failure {
            code,
            message,
            non_retryable,
        } => (
            Some(pb::RpcStatus {
                code: *code as i32,
                message: message.clone(),
                details: vec![],
            }),
            FinalState::Error(FinishError {
                non_retryable: *non_retryable,
                annotations: vec![],
                response: None,
            }),
        ),
        Outcome::Fatal(_) => unreachable!("a fatal outcome is never sent"),
    };
    client.finish_task(id, status, state).await
}

/// A full sync into a temporary file, uploaded.
async fn full_sync(
    client: &C1Client,
    settings: &ServiceSettings,
    task_id: &str,
    task: pb::task::SyncFullTask,
) -> Outcome {
    if !task.targeted_sync_resources.is_empty() {
        return Outcome::failure(
            Code::Unimplemented,
            "targeted syncs (of named resources) are not supported by this connector; \
             ask for a full sync",
            true,
        );
    }
    let selection = SyncSelection {
        resource_types: task.sync_resource_type_ids,
        skip_entitlements_and_grants: task.skip_entitlements_and_grants,
        skip_grants: task.skip_grants,
        skip_expand_grants: task.skip_expand_grants,
    };
    let dir = match tempfile::Builder::new()
        .prefix("baton-sync-")
        .tempdir_in(std::env::temp_dir())
    {
        Ok(dir) => dir,
        Err(e) => {
            return Outcome::failure(
                Code::Internal,
                format!(
                    "cannot create a temporary directory in {} for the sync file: {e}; make \
                     TMPDIR a writable directory (an emptyDir volume in Kubernetes)",
                    std::env::temp_dir().display()
                ),
                false,
            );
        }
    };
    let path = dir.path().join("sync.c1z");
    let mut request = SyncRequest::into_file(&path);
    request.selection = selection;
    let _permit = match &settings.sync_permits {
        Some(permits) => permits.clone().acquire_owned().await.ok(),
        None => None,
    };
    let mut watched = Watched::start(settings.observer.as_deref());
    let outcome = match operations::sync(&settings.run, request, &NoEvents).await {
        Ok(outcome) => outcome,
        Err(e) => {
            watched.end(SyncEnd::Failed);
            return sync_failure(e);
        }
    };
    let c = &outcome.report.counts;
    tracing::info!(
        task_id,
        resources = c.resources,
        entitlements = c.entitlements,
        grants = c.grants,
        requests = outcome.requests_total,
        seconds = outcome.report.elapsed.as_secs_f64(),
        "sync finished; uploading"
    );
    match upload_file(client, task_id, &path).await {
        Ok(uploaded) => {
            tracing::info!(
                task_id,
                bytes = uploaded.bytes,
                attempts = uploaded.attempts,
                "uploaded"
            );
            watched.end(SyncEnd::Uploaded {
                outcome: &outcome,
                bytes: uploaded.bytes,
            });
            Outcome::Success(None)
        }
        Err(UploadError::Failed { last, .. }) if last.is_auth_failure() => {
            watched.end(SyncEnd::Failed);
            Outcome::Fatal(last)
        }
        Err(e) => {
            watched.end(SyncEnd::Failed);
            let code = e.rpc().map_or(Code::Internal, RpcError::code);
            Outcome::failure(code, e.to_string(), false)
        }
    }
}

/// A sync task as its observer sees it: started once, ended once (abandoned when dropped
/// before it ended, as a stopped task's work is).
struct Watched<'a> {
    observer: Option<&'a dyn SyncObserver>,
    started: std::time::Instant,
}

impl<'a> Watched<'a> {
    fn start(observer: Option<&'a dyn SyncObserver>) -> Watched<'a> {
        if let Some(o) = observer {
            o.started();
        }
        Watched {
            observer,
            started: std::time::Instant::now(),
        }
    }

    fn end(&mut self, end: SyncEnd<'_>) {
        if let Some(o) = self.observer.take() {
            o.ended(end, self.started.elapsed());
        }
    }
}

impl Drop for Watched<'_> {
    fn drop(&mut self) {
        self.end(SyncEnd::Abandoned);
    }
}

/// The gRPC code of a component's error, and whether trying again cannot help.
fn call_code(e: &CallError) -> (Code, bool) {
    match e {
        CallError::Connector(err) => match err.kind {
            ErrorKind::Unauthenticated => (Code::Unauthenticated, true),
            ErrorKind::PermissionDenied => (Code::PermissionDenied, true),
            ErrorKind::NotFound => (Code::NotFound, true),
            ErrorKind::InvalidArgument => (Code::InvalidArgument, true),
            ErrorKind::RateLimited => (Code::ResourceExhausted, false),
            ErrorKind::Unavailable => (Code::Unavailable, false),
            ErrorKind::Internal => (Code::Internal, false),
        },
        _ => (Code::Internal, false),
    }
}

fn sync_failure(e: SyncRunError) -> Outcome {
    let (code, non_retryable) = match &e {
        SyncRunError::Validate { cause, .. } => call_code(cause),
        SyncRunError::Sync(SyncError::Plugin(cause)) => call_code(cause),
        SyncRunError::Sync(SyncError::Selection(_)) => (Code::InvalidArgument, true),
        SyncRunError::Settings(_) => (Code::FailedPrecondition, true),
        _ => (Code::Internal, false),
    };
    Outcome::failure(code, format!("the sync failed: {e}"), non_retryable)
}

fn provision_failure(e: ProvisionError) -> Outcome {
    let (code, non_retryable) = match &e {
        ProvisionError::Disabled { .. } => (Code::FailedPrecondition, true),
        ProvisionError::Refused(_) => (Code::InvalidArgument, true),
        ProvisionError::Call { retryable, .. } => (
            if *retryable {
                Code::Unavailable
            } else {
                Code::Unknown
            },
            !retryable,
        ),
        ProvisionError::Settings(_) => (Code::FailedPrecondition, true),
        _ => (Code::Internal, false),
    };
    Outcome::failure(code, e.to_string(), non_retryable)
}

/// `message` as an `Any` of its `c1.connector.v2` type.
fn any<M: Message>(type_name: &str, message: &M) -> prost_types::Any {
    prost_types::Any {
        type_url: format!("type.googleapis.com/c1.connector.v2.{type_name}"),
        value: message.encode_to_vec(),
    }
}

fn disabled(settings: &ServiceSettings) -> Option<Outcome> {
    (!settings.provisioning).then(|| {
        provision_failure(ProvisionError::Disabled {
            component: settings.run.component.metadata.display_name.clone(),
        })
    })
}

async fn grant_task(settings: &ServiceSettings, task: pb::task::GrantTask) -> Outcome {
    if let Some(refused) = disabled(settings) {
        return refused;
    }
    let (Some(entitlement), Some(principal)) = (task.entitlement, task.principal) else {
        return Outcome::failure(
            Code::InvalidArgument,
            "the grant task names no entitlement or no principal",
            true,
        );
    };
    match operations::grant_entitlement(&settings.run, &principal, &entitlement).await {
        Ok(outcome) => {
            tracing::info!(applied = outcome.applied, "{}", outcome.message);
            let annotations = if outcome.applied {
                vec![]
            } else {
                vec![any("GrantAlreadyExists", &c1z::pb::GrantAlreadyExists {})]
            };
            let response = c1z::pb::GrantManagerServiceGrantResponse {
                annotations,
                grants: outcome.grants,
            };
            Outcome::Success(Some(any("GrantManagerServiceGrantResponse", &response)))
        }
        Err(e) => provision_failure(e),
    }
}

async fn revoke_task(settings: &ServiceSettings, task: pb::task::RevokeTask) -> Outcome {
    if let Some(refused) = disabled(settings) {
        return refused;
    }
    let Some(grant) = task.grant else {
        return Outcome::failure(
            Code::InvalidArgument,
            "the revoke task names no grant",
            true,
        );
    };
    match operations::revoke_grant(&settings.run, &grant).await {
        Ok(outcome) => {
            tracing::info!(applied = outcome.applied, "{}", outcome.message);
            let annotations = if outcome.applied {
                vec![]
            } else {
                vec![any("GrantAlreadyRevoked", &c1z::pb::GrantAlreadyRevoked {})]
            };
            let response = c1z::pb::GrantManagerServiceRevokeResponse { annotations };
            Outcome::Success(Some(any("GrantManagerServiceRevokeResponse", &response)))
        }
        Err(e) => provision_failure(e),
    }
}

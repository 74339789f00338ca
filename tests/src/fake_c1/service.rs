//! The `c1.connectorapi.baton.v1.BatonService` of the fake: every RPC authenticated, its fields
//! checked against upstream's validation rules, its effect recorded. UploadAsset lives in
//! [`super::upload`].

use std::sync::Arc;
use std::time::Instant;

use tonic::{Code, Request, Response, Status, Streaming};

use super::pb::c1::connectorapi::baton::v1 as api;
use super::records::{FinishRecord, HandedOut, HeartbeatRecord, HelloRecord};
use super::state::{IdleAnswer, Shared, State, TaskState};
use super::tasks::is_task_id;
use api::baton_service_finish_task_request::FinalState;
use api::baton_service_server::BatonService;
use api::task::TaskType;

/// Upstream's limit on the annotations of a request.
const MAX_ANNOTATIONS: usize = 16;
/// The type URLs of the responses a finished grant or revoke task must carry.
const GRANT_RESPONSE: &str = "type.googleapis.com/c1.connector.v2.GrantManagerServiceGrantResponse";
const REVOKE_RESPONSE: &str =
    "type.googleapis.com/c1.connector.v2.GrantManagerServiceRevokeResponse";

/// The service, over the fake's shared state.
pub(crate) struct Service {
    pub shared: Arc<Shared>,
}

/// A refusal before it is recorded: code and message.
pub(crate) type Refusal = (Code, String);

pub(crate) fn invalid(message: String) -> Refusal {
    (Code::InvalidArgument, message)
}

/// Upstream: `host_id` has 1 to 256 characters.
pub(crate) fn check_host_id(host_id: &str) -> Result<(), Refusal> {
    let n = host_id.chars().count();
    if (1..=256).contains(&n) {
        Ok(())
    } else {
        Err(invalid(format!(
            "host_id must have 1 to 256 characters, has {n}"
        )))
    }
}

/// Upstream: a task id matches `^[a-zA-Z0-9]{27}$`.
pub(crate) fn check_task_id(task_id: &str) -> Result<(), Refusal> {
    if is_task_id(task_id) {
        Ok(())
    } else {
        Err(invalid(format!(
            "task_id must be 27 ASCII letters and digits, is {task_id:?}"
        )))
    }
}

pub(crate) fn check_annotations(what: &str, n: usize) -> Result<(), Refusal> {
    if n <= MAX_ANNOTATIONS {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} carries {n} annotations, at most {MAX_ANNOTATIONS}"
        )))
    }
}

/// The task `task_id`, handed out to `host_id`; finished tasks included.
pub(crate) fn task_of_host<'s>(
    state: &'s mut State,
    task_id: &str,
    host_id: &str,
) -> Result<&'s mut TaskState, Refusal> {
    let task = state
        .tasks
        .get_mut(task_id)
        .ok_or_else(|| (Code::NotFound, format!("no task {task_id}")))?;
    match &task.host {
        None => Err((
            Code::FailedPrecondition,
            format!("task {task_id} was not handed out yet"),
        )),
        Some(h) if h != host_id => Err((
            Code::PermissionDenied,
            format!("task {task_id} was handed to host {h:?}, not {host_id:?}"),
        )),
        Some(_) => Ok(task),
    }
}

/// The wire form of a queued task, and its record as handed out to `host_id`.
fn hand_out(state: &mut State, task_id: String, host_id: &str) -> api::Task {
    let task = state.tasks.get_mut(&task_id).expect("queued tasks exist");
    task.host = Some(host_id.to_string());
    let kind = task.spec.kind();
    let wire = api::Task {
        id: task_id.clone(),
        status: api::task::Status::Scheduled as i32,
        debug: task.spec.debug,
        task_type: Some(task.spec.task_type.clone()),
    };
    state.records.handed_out.push(HandedOut {
        task_id,
        kind,
        host_id: host_id.to_string(),
        at: Instant::now(),
    });
    wire
}

fn duration(d: std::time::Duration) -> Option<prost_types::Duration> {
    Some(prost_types::Duration::try_from(d).expect("a short duration"))
}

impl Service {
    /// Runs `f` on the state; a refusal is recorded as a violation of `rpc` about `task_id`.
    fn handle<T>(
        &self,
        rpc: &'static str,
        task_id: Option<&str>,
        f: impl FnOnce(&mut State) -> Result<T, Refusal>,
    ) -> Result<Response<T>, Status> {
        self.shared.update(|state| match f(state) {
            Ok(answer) => Ok(Response::new(answer)),
            Err((code, message)) => {
                let task_id = task_id.filter(|t| !t.is_empty());
                Err(state.violation(rpc, task_id, code, message))
            }
        })
    }
}

#[tonic::async_trait]
impl BatonService for Service {
    async fn hello(
        &self,
        request: Request<api::BatonServiceHelloRequest>,
    ) -> Result<Response<api::BatonServiceHelloResponse>, Status> {
        self.shared.authorize("Hello", request.metadata())?;
        let hello = request.into_inner();
        let task_id = hello.task_id.clone();
        self.handle("Hello", Some(&task_id), |state| {
            check_host_id(&hello.host_id)?;
            if !hello.task_id.is_empty() {
                check_task_id(&hello.task_id)?;
            }
            check_annotations("Hello", hello.annotations.len())?;
            let metadata = hello
                .connector_metadata
                .as_ref()
                .ok_or_else(|| invalid("connector_metadata is required".to_string()))?;
            let name_len = metadata.display_name.len();
            if !(1..=1024).contains(&name_len) {
                return Err(invalid(format!(
                    "connector_metadata.display_name must have 1 to 1024 bytes, has {name_len}"
                )));
            }
            if !metadata.help_url.is_empty() && !metadata.help_url.starts_with("https://") {
                return Err(invalid(format!(
                    "connector_metadata.help_url must be an https:// URL, is {:?}",
                    metadata.help_url
                )));
            }
            if !hello.task_id.is_empty() {
                let task = task_of_host(state, &hello.task_id, &hello.host_id)?;
                if task.spec.kind() != "hello" {
                    return Err(invalid(format!(
                        "Hello names task {}, a {} task, not a hello task",
                        hello.task_id,
                        task.spec.kind()
                    )));
                }
                task.hello_answered = true;
            }
            state.hosts_said_hello.insert(hello.host_id.clone());
            state.records.hellos.push(HelloRecord {
                request: hello,
                at: Instant::now(),
            });
            Ok(api::BatonServiceHelloResponse::default())
        })
    }

    async fn get_task(
        &self,
        request: Request<api::BatonServiceGetTaskRequest>,
    ) -> Result<Response<api::BatonServiceGetTaskResponse>, Status> {
        self.shared.authorize("GetTask", request.metadata())?;
        let host_id = request.into_inner().host_id;
        self.handle("GetTask", None, |state| {
            check_host_id(&host_id)?;
            if !state.hosts_said_hello.contains(&host_id) {
                return Err((
                    Code::FailedPrecondition,
                    format!("host {host_id:?} asks for tasks before its Hello"),
                ));
            }
            let task = match state.queue.pop_front() {
                Some(id) => Some(hand_out(state, id, &host_id)),
                None => match state.config.idle {
                    IdleAnswer::NoTask => None,
                    IdleAnswer::NoneTask => Some(api::Task {
                        task_type: Some(TaskType::None(api::task::NoneTask::default())),
                        ..api::Task::default()
                    }),
                },
            };
            Ok(api::BatonServiceGetTaskResponse {
                task,
                next_poll: duration(state.config.next_poll),
                next_heartbeat: duration(state.config.next_heartbeat),
                annotations: vec![],
            })
        })
    }

    async fn get_tasks(
        &self,
        request: Request<api::BatonServiceGetTasksRequest>,
    ) -> Result<Response<api::BatonServiceGetTasksResponse>, Status> {
        self.shared.authorize("GetTasks", request.metadata())?;
        let ask = request.into_inner();
        self.handle("GetTasks", None, |state| {
            check_host_id(&ask.host_id)?;
            if !(1..=100).contains(&ask.page_size) {
                return Err(invalid(format!(
                    "page_size must be 1 to 100, is {}",
                    ask.page_size
                )));
            }
            for id in &ask.known_task_ids {
                check_task_id(id)?;
            }
            check_annotations("GetTasks", ask.annotations.len())?;
            if !state.hosts_said_hello.contains(&ask.host_id) {
                return Err((
                    Code::FailedPrecondition,
                    format!("host {:?} asks for tasks before its Hello", ask.host_id),
                ));
            }
            let mut tasks = vec![];
            while tasks.len() < ask.page_size as usize
                && let Some(id) = state.queue.pop_front()
            {
                tasks.push(hand_out(state, id, &ask.host_id));
            }
            Ok(api::BatonServiceGetTasksResponse {
                tasks,
                next_poll: duration(state.config.next_poll),
                next_heartbeat: duration(state.config.next_heartbeat),
                annotations: vec![],
            })
        })
    }

    async fn heartbeat(
        &self,
        request: Request<api::BatonServiceHeartbeatRequest>,
    ) -> Result<Response<api::BatonServiceHeartbeatResponse>, Status> {
        self.shared.authorize("Heartbeat", request.metadata())?;
        let beat = request.into_inner();
        let outcome = self.shared.update(|state| {
            let refuse = |state: &mut State, (code, message): Refusal| {
                let id = Some(beat.task_id.as_str()).filter(|t| !t.is_empty());
                Err(state.violation("Heartbeat", id, code, message))
            };
            if let Err(r) = check_host_id(&beat.host_id)
                .and_then(|()| check_annotations("Heartbeat", beat.annotations.len()))
            {
                return refuse(state, r);
            }
            // The single-task field and the batch field (upstream's newer path) together.
            let mut ids: Vec<&str> = beat.task_ids.iter().map(String::as_str).collect();
            if !beat.task_id.is_empty() {
                ids.insert(0, &beat.task_id);
            }
            if ids.is_empty() {
                return refuse(state, invalid("a heartbeat names no task".into()));
            }
            let mut cancelled_ids = vec![];
            let mut late = None;
            for id in ids {
                if let Err(r) = check_task_id(id) {
                    return refuse(state, r);
                }
                let task = match task_of_host(state, id, &beat.host_id) {
                    Ok(task) => task,
                    Err(r) => return refuse(state, r),
                };
                let finished = task.finished;
                let cancelled = if finished {
                    false
                } else {
                    task.heartbeats += 1;
                    if task
                        .spec
                        .cancel_after_heartbeats
                        .is_some_and(|n| task.heartbeats >= n)
                    {
                        task.cancelled = true;
                    }
                    task.cancelled
                };
                state.records.heartbeats.push(HeartbeatRecord {
                    task_id: id.to_string(),
                    host_id: beat.host_id.clone(),
                    annotations: beat.annotations.clone(),
                    answered_cancelled: cancelled,
                    late: finished,
                    at: Instant::now(),
                });
                if finished {
                    late.get_or_insert(id.to_string());
                }
                if cancelled {
                    cancelled_ids.push(id.to_string());
                }
            }
            // A heartbeat racing its task's FinishTask is no protocol breach, so not a
            // violation; but the task is over, and the answer says so.
            if let Some(id) = late {
                return Err(Status::failed_precondition(format!(
                    "fake ConductorOne: task {id} has finished"
                )));
            }
            Ok(api::BatonServiceHeartbeatResponse {
                next_heartbeat: duration(state.config.next_heartbeat),
                cancelled: !beat.task_id.is_empty() && cancelled_ids.contains(&beat.task_id),
                annotations: vec![],
                cancelled_task_ids: cancelled_ids,
            })
        });
        outcome.map(Response::new)
    }

    async fn finish_task(
        &self,
        request: Request<api::BatonServiceFinishTaskRequest>,
    ) -> Result<Response<api::BatonServiceFinishTaskResponse>, Status> {
        self.shared.authorize("FinishTask", request.metadata())?;
        let finish = request.into_inner();
        let task_id = finish.task_id.clone();
        self.handle("FinishTask", Some(&task_id), |state| {
            check_host_id(&finish.host_id)?;
            check_task_id(&finish.task_id)?;
            let final_state = finish
                .final_state
                .as_ref()
                .ok_or_else(|| invalid("final_state (error or success) is required".into()))?;
            let task = task_of_host(state, &finish.task_id, &finish.host_id)?;
            let kind = task.spec.kind();
            if task.finished {
                return Err((
                    Code::FailedPrecondition,
                    format!("task {} is already finished", finish.task_id),
                ));
            }
            match final_state {
                FinalState::Success(success) => {
                    check_annotations("FinishTask.success", success.annotations.len())?;
                    if let Some(status) = finish.status.as_ref().filter(|s| s.code != 0) {
                        return Err(invalid(format!(
                            "a success carries the error status {} {:?}",
                            status.code, status.message
                        )));
                    }
                    let expected_response = match kind {
                        "grant" => Some(GRANT_RESPONSE),
                        "revoke" => Some(REVOKE_RESPONSE),
                        _ => None,
                    };
                    if let Some(expected) = expected_response {
                        let got = success.response.as_ref().map(|a| a.type_url.as_str());
                        if got != Some(expected) {
                            return Err(invalid(format!(
                                "a finished {kind} task carries the connector's response, an Any \
                                 of type {expected}; got {got:?}"
                            )));
                        }
                    }
                    if kind == "sync_full" && !task.uploaded {
                        return Err((
                            Code::FailedPrecondition,
                            format!(
                                "sync task {} finished successfully without a complete upload",
                                finish.task_id
                            ),
                        ));
                    }
                }
                FinalState::Error(error) => {
                    check_annotations("FinishTask.error", error.annotations.len())?;
                    match &finish.status {
                        Some(status) if status.code != 0 => {}
                        other => {
                            return Err(invalid(format!(
                                "a failed task carries its google.rpc.Status with a non-OK code, \
                                 got {other:?}"
                            )));
                        }
                    }
                }
            }
            task.finished = true;
            state.records.finishes.push(FinishRecord {
                task_id: finish.task_id.clone(),
                kind,
                request: finish,
                at: Instant::now(),
            });
            Ok(api::BatonServiceFinishTaskResponse::default())
        })
    }

    async fn upload_asset(
        &self,
        request: Request<Streaming<api::BatonServiceUploadAssetRequest>>,
    ) -> Result<Response<api::BatonServiceUploadAssetResponse>, Status> {
        super::upload::receive(&self.shared, request).await
    }

    async fn start_debugging(
        &self,
        request: Request<api::StartDebuggingRequest>,
    ) -> Result<Response<api::StartDebuggingResponse>, Status> {
        self.shared
            .authorize("StartDebugging", request.metadata())?;
        Err(Status::unimplemented(
            "fake ConductorOne: StartDebugging is not simulated",
        ))
    }
}

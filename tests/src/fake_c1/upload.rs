//! UploadAsset: a client stream of one `metadata`, then `data` chunks, then an `eof` with the
//! SHA-256 of the whole content, then the end of the stream. The fake checks that order, the
//! chunk sizes and the checksum, keeps the content per task, and can drop the connection of a
//! task's first upload as scripted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tonic::{Code, Request, Response, Status, Streaming};

use super::pb::c1::connectorapi::baton::v1 as api;
use super::records::{UploadAttempt, UploadOutcome};
use super::server::ConnectionHandle;
use super::service::{
    Refusal, check_annotations, check_host_id, check_task_id, invalid, task_of_host,
};
use super::state::Shared;
use super::tasks::is_task_id;
use api::baton_service_upload_asset_request::Msg;

/// The largest data chunk: baton-sdk sends 512 KiB chunks (upstream's field allows 1 MiB; the
/// fake holds clients to what the SDK does).
pub const MAX_CHUNK: usize = 512 * 1024;

/// The attempt being received; an attempt abandoned in flight (its stream or connection gone)
/// is recorded as incomplete when this is dropped.
struct Attempt<'a> {
    shared: &'a Shared,
    index: usize,
    task_id: Option<String>,
    chunk_sizes: Vec<usize>,
    ended: bool,
}

impl Attempt<'_> {
    /// Records how the attempt ended.
    fn end(&mut self, outcome: UploadOutcome) {
        self.ended = true;
        let (task_id, chunk_sizes) = (self.task_id.clone(), self.chunk_sizes.clone());
        self.shared.update(|state| {
            let attempt = &mut state.records.uploads[self.index];
            attempt.task_id = task_id;
            attempt.chunk_sizes = chunk_sizes;
            attempt.outcome = outcome;
        });
    }

    /// Refuses the attempt as a protocol violation.
    fn refuse(&mut self, (code, message): Refusal) -> Status {
        self.end(UploadOutcome::Rejected(code, message.clone()));
        self.shared
            .update(|state| state.violation("UploadAsset", self.task_id.as_deref(), code, message))
    }

    /// The stream broke (the client went away or its transport failed).
    fn broken(&mut self, status: Status) -> Status {
        self.end(UploadOutcome::Incomplete(status.message().to_string()));
        status
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.end(UploadOutcome::Incomplete(
                "the stream was abandoned in flight".into(),
            ));
        }
    }
}

/// Receives one upload.
pub(crate) async fn receive(
    shared: &Arc<Shared>,
    request: Request<Streaming<api::BatonServiceUploadAssetRequest>>,
) -> Result<Response<api::BatonServiceUploadAssetResponse>, Status> {
    shared.authorize("UploadAsset", request.metadata())?;
    let connection = request.extensions().get::<ConnectionHandle>().cloned();
    let mut stream = request.into_inner();
    let index = shared.update(|state| {
        state.records.uploads.push(UploadAttempt {
            task_id: None,
            chunk_sizes: vec![],
            outcome: UploadOutcome::InProgress,
            started: Instant::now(),
        });
        state.records.uploads.len() - 1
    });
    let mut attempt = Attempt {
        shared,
        index,
        task_id: None,
        chunk_sizes: vec![],
        ended: false,
    };

    let metadata = match stream.message().await {
        Err(status) => return Err(attempt.broken(status)),
        Ok(None) => return Err(attempt.refuse(invalid("the upload stream is empty".into()))),
        Ok(Some(api::BatonServiceUploadAssetRequest {
            msg: Some(Msg::Metadata(m)),
        })) => m,
        Ok(Some(other)) => {
            return Err(attempt.refuse(invalid(format!(
                "an upload starts with its metadata, not {}",
                describe(&other.msg)
            ))));
        }
    };
    // The attempt belongs to the task it names, refused or not.
    if is_task_id(&metadata.task_id) {
        attempt.task_id = Some(metadata.task_id.clone());
    }
    let accepted = shared.update(|state| {
        check_host_id(&metadata.host_id)?;
        check_task_id(&metadata.task_id)?;
        check_annotations("UploadAsset.metadata", metadata.annotations.len())?;
        let task = task_of_host(state, &metadata.task_id, &metadata.host_id)?;
        if task.spec.kind() != "sync_full" {
            return Err(invalid(format!(
                "task {} is a {} task: only a sync uploads an asset",
                metadata.task_id,
                task.spec.kind()
            )));
        }
        if task.finished {
            return Err((
                Code::FailedPrecondition,
                format!("task {} has finished", metadata.task_id),
            ));
        }
        if task.heartbeats == 0 {
            return Err((
                Code::FailedPrecondition,
                format!(
                    "task {} uploads before its first heartbeat (baton-sdk heartbeats a sync \
                     before it starts)",
                    metadata.task_id
                ),
            ));
        }
        // Once: a retry after the drop goes through.
        Ok(task.spec.drop_upload_after_chunks.take())
    });
    let drop_after = match accepted {
        Ok(drop_after) => drop_after,
        Err(refusal) => return Err(attempt.refuse(refusal)),
    };

    let mut hasher = Sha256::new();
    let mut content = Vec::new();
    let checksum = loop {
        if drop_after == Some(attempt.chunk_sizes.len()) {
            return drop_connection(&mut attempt, connection).await;
        }
        match stream.message().await {
            Err(status) => return Err(attempt.broken(status)),
            Ok(None) => {
                return Err(attempt.refuse(invalid(format!(
                    "the upload ended after {} chunks without its eof message",
                    attempt.chunk_sizes.len()
                ))));
            }
            Ok(Some(message)) => match message.msg {
                Some(Msg::Data(data)) => {
                    let n = data.data.len();
                    if n == 0 || n > MAX_CHUNK {
                        return Err(attempt.refuse(invalid(format!(
                            "data chunk {} has {n} bytes; a chunk has 1 to {MAX_CHUNK}",
                            attempt.chunk_sizes.len()
                        ))));
                    }
                    hasher.update(&data.data);
                    content.extend_from_slice(&data.data);
                    attempt.chunk_sizes.push(n);
                }
                Some(Msg::Eof(eof)) => {
                    if let Err(r) = check_annotations("UploadAsset.eof", eof.annotations.len()) {
                        return Err(attempt.refuse(r));
                    }
                    break eof.sha256_checksum;
                }
                other => {
                    return Err(attempt.refuse(invalid(format!(
                        "after the metadata come data chunks and an eof, not {}",
                        describe(&other)
                    ))));
                }
            },
        }
    };
    let digest = hasher.finalize();
    if checksum.len() != 32 {
        return Err(attempt.refuse(invalid(format!(
            "eof.sha256_checksum has {} bytes, a SHA-256 has 32",
            checksum.len()
        ))));
    }
    if checksum[..] != digest[..] {
        return Err(attempt.refuse(invalid(format!(
            "eof.sha256_checksum {} is not the SHA-256 of the {} bytes received ({})",
            hex(&checksum),
            content.len(),
            hex(&digest)
        ))));
    }
    match stream.message().await {
        Err(status) => return Err(attempt.broken(status)),
        Ok(Some(message)) => {
            return Err(attempt.refuse(invalid(format!(
                "nothing follows the eof, but {} did",
                describe(&message.msg)
            ))));
        }
        Ok(None) => {}
    }
    attempt.end(UploadOutcome::Complete(content.into()));
    shared.update(|state| {
        if let Some(task) = state.tasks.get_mut(&metadata.task_id) {
            task.uploaded = true;
        }
    });
    Ok(Response::new(
        api::BatonServiceUploadAssetResponse::default(),
    ))
}

/// Breaks the upload's connection as scripted, without a gRPC status: the client sees its
/// transport fail mid-stream.
async fn drop_connection(
    attempt: &mut Attempt<'_>,
    connection: Option<ConnectionHandle>,
) -> Result<Response<api::BatonServiceUploadAssetResponse>, Status> {
    attempt.end(UploadOutcome::Dropped {
        after_chunks: attempt.chunk_sizes.len(),
    });
    let Some(connection) = connection else {
        return Err(Status::internal(
            "fake ConductorOne: the connection cannot be dropped (no handle)",
        ));
    };
    connection.kill();
    // The connection's end drops this handler; answering is only a fallback.
    tokio::time::sleep(Duration::from_secs(30)).await;
    Err(Status::unavailable("fake ConductorOne: connection dropped"))
}

fn describe(msg: &Option<Msg>) -> &'static str {
    match msg {
        Some(Msg::Metadata(_)) => "a metadata message",
        Some(Msg::Data(_)) => "a data message",
        Some(Msg::Eof(_)) => "an eof message",
        None => "a message with no msg set",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

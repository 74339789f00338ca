//! A sync's `.c1z`, uploaded with `UploadAsset`: the task's metadata, the file in 512 KiB chunks,
//! then the SHA-256 of the whole file; up to three tries, as baton-sdk does.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use tokio_stream::wrappers::ReceiverStream;

use super::client::{C1Client, RpcError};
use super::pb;
use super::pb::baton_service_upload_asset_request as upload;

/// The size of one data message.
pub const CHUNK_SIZE: usize = 512 * 1024;
/// How many times an upload is tried.
pub const ATTEMPTS: u32 = 3;
/// How long one upload may take.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Why the file did not reach ConductorOne.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The file could not be read.
    #[error("cannot read the sync file {path} to upload it: {cause}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        cause: std::io::Error,
    },
    /// Every attempt failed; the last failure.
    #[error("the upload of the sync failed {attempts} times; the last time: {last}")]
    Failed {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: RpcError,
    },
}

impl UploadError {
    /// The RPC failure behind it, if any.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            UploadError::Failed { last, .. } => Some(last),
            UploadError::Read { .. } => None,
        }
    }
}

/// What was uploaded.
#[derive(Clone, Copy, Debug)]
pub struct Uploaded {
    /// Bytes sent.
    pub bytes: u64,
    /// Attempts it took.
    pub attempts: u32,
}

/// Uploads `path` for `task_id`.
pub async fn upload_file(
    client: &C1Client,
    task_id: &str,
    path: &Path,
) -> Result<Uploaded, UploadError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let read_error = Arc::new(Mutex::new(None));
        let sent = Arc::new(Mutex::new(0u64));
        let result = client
            .call(
                "UploadAsset",
                UPLOAD_TIMEOUT,
                || stream_file(client.host_id(), task_id, path, &read_error, &sent),
                |mut c, r| async move { c.upload_asset(r).await },
            )
            .await;
        if let Some(cause) = read_error.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Err(UploadError::Read {
                path: path.display().to_string(),
                cause,
            });
        }
        match result {
            Ok(_) => {
                let bytes = *sent.lock().unwrap_or_else(|e| e.into_inner());
                return Ok(Uploaded {
                    bytes,
                    attempts: attempt,
                });
            }
            Err(last) if attempt >= ATTEMPTS || last.is_auth_failure() => {
                return Err(UploadError::Failed {
                    attempts: attempt,
                    last,
                });
            }
            Err(e) => {
                tracing::warn!(task_id, attempt, "upload failed, trying again: {e}");
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
            }
        }
    }
}

/// The request stream of one attempt: metadata, data chunks read from `path` as they are sent,
/// and the checksum. A read failure ends the stream early and is left in `read_error`.
fn stream_file(
    host_id: &str,
    task_id: &str,
    path: &Path,
    read_error: &Arc<Mutex<Option<std::io::Error>>>,
    sent: &Arc<Mutex<u64>>,
) -> ReceiverStream<pb::BatonServiceUploadAssetRequest> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let metadata = pb::BatonServiceUploadAssetRequest {
        msg: Some(upload::Msg::Metadata(upload::UploadMetadata {
            host_id: host_id.to_string(),
            task_id: task_id.to_string(),
            annotations: vec![],
        })),
    };
    let path = path.to_path_buf();
    let read_error = read_error.clone();
    let sent = sent.clone();
    tokio::spawn(async move {
        if tx.send(metadata).await.is_err() {
            return;
        }
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) => {
                *read_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                return;
            }
        };
        let mut hash = Sha256::new();
        let mut total = 0u64;
        loop {
            let mut chunk = vec![0u8; CHUNK_SIZE];
            let mut filled = 0;
            while filled < CHUNK_SIZE {
                match file.read(&mut chunk[filled..]).await {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) => {
                        *read_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                        return;
                    }
                }
            }
            if filled == 0 {
                break;
            }
            chunk.truncate(filled);
            hash.update(&chunk);
            total += filled as u64;
            let data = pb::BatonServiceUploadAssetRequest {
                msg: Some(upload::Msg::Data(upload::UploadData { data: chunk })),
            };
            if tx.send(data).await.is_err() {
                return;
            }
            if filled < CHUNK_SIZE {
                break;
            }
        }
        *sent.lock().unwrap_or_else(|e| e.into_inner()) = total;
        let eof = pb::BatonServiceUploadAssetRequest {
            msg: Some(upload::Msg::Eof(upload::UploadEof {
                sha256_checksum: hash.finalize().to_vec(),
                annotations: vec![],
            })),
        };
        let _ = tx.send(eof).await;
    });
    ReceiverStream::new(rx)
}

//! The `BatonService` client: every RPC carries `authorization: Bearer <token>` from the token
//! source, and a refused token is fetched again once before the refusal counts.

use std::future::Future;
use std::time::Duration;

use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};

use super::pb;
use super::token::{TokenError, TokenSource};

/// How long one unary RPC may take (baton-sdk gives FinishTask 30 s).
pub const RPC_TIMEOUT: Duration = Duration::from_secs(30);

/// Why an RPC failed.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// No token could be had.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// ConductorOne refused a freshly fetched token.
    #[error(
        "ConductorOne refused this client's access token for {rpc} ({message}): the client was \
         deleted or lost its access; create or rotate the connector's client in ConductorOne \
         and set BATON_CLIENT_ID and BATON_CLIENT_SECRET to the new values"
    )]
    Unauthenticated {
        /// The RPC.
        rpc: &'static str,
        /// The server's message.
        message: String,
    },
    /// ConductorOne answered with another error, or could not be reached.
    #[error("{rpc} failed: {} ({})", status_text(.status), .status.code())]
    Status {
        /// The RPC.
        rpc: &'static str,
        /// The status.
        status: Status,
    },
}

fn status_text(status: &Status) -> String {
    let message = status.message();
    if message.is_empty() {
        status.code().description().to_string()
    } else {
        message.to_string()
    }
}

impl RpcError {
    /// Whether trying again later may succeed: the network, an unavailable or overloaded server,
    /// a token endpoint that failed for a while.
    pub fn is_transient(&self) -> bool {
        match self {
            RpcError::Token(e) => e.is_transient(),
            RpcError::Unauthenticated { .. } => false,
            RpcError::Status { status, .. } => matches!(
                status.code(),
                Code::Unavailable
                    | Code::DeadlineExceeded
                    | Code::ResourceExhausted
                    | Code::Aborted
                    | Code::Internal
                    | Code::Unknown
                    | Code::Cancelled
            ),
        }
    }

    /// Whether the process must stop: the credentials are refused.
    pub fn is_auth_failure(&self) -> bool {
        match self {
            RpcError::Token(e) => !e.is_transient(),
            RpcError::Unauthenticated { .. } => true,
            RpcError::Status { status, .. } => status.code() == Code::PermissionDenied,
        }
    }

    /// The gRPC code of the failure.
    pub fn code(&self) -> Code {
        match self {
            RpcError::Token(_) | RpcError::Unauthenticated { .. } => Code::Unauthenticated,
            RpcError::Status { status, .. } => status.code(),
        }
    }
}

/// A connected (lazily) client of ConductorOne's `BatonService` for one host id.
#[derive(Clone)]
pub struct C1Client {
    grpc: pb::BatonServiceClient<Channel>,
    tokens: TokenSource,
    host_id: String,
}

impl C1Client {
    /// A client over `channel`, authorised by `tokens`, speaking for `host_id`.
    pub fn new(channel: Channel, tokens: TokenSource, host_id: String) -> C1Client {
        let grpc = pb::BatonServiceClient::new(channel)
            .max_decoding_message_size(64 << 20)
            .max_encoding_message_size(64 << 20);
        C1Client {
            grpc,
            tokens,
            host_id,
        }
    }

    /// The host id sent in every request.
    pub fn host_id(&self) -> &str {
        &self.host_id
    }

    /// The token source (to fetch the first token at start).
    pub fn tokens(&self) -> &TokenSource {
        &self.tokens
    }

    /// Sends one RPC built by `make` with a token; when the token is refused, once more with a
    /// fresh one.
    pub(crate) async fn call<Req, Resp, Fut>(
        &self,
        rpc: &'static str,
        timeout: Duration,
        mut make: impl FnMut() -> Req,
        send: impl Fn(pb::BatonServiceClient<Channel>, Request<Req>) -> Fut,
    ) -> Result<Resp, RpcError>
    where
        Fut: Future<Output = Result<Response<Resp>, Status>>,
    {
        let mut refreshed = false;
        loop {
            let header = self.tokens.header().await?;
            let mut value = MetadataValue::try_from(header.expose()).map_err(|_| {
                RpcError::Token(TokenError::Unusable {
                    url: self.tokens.url().to_string(),
                    what: "an access token that cannot be sent in a header".into(),
                })
            })?;
            value.set_sensitive(true);
            let mut request = Request::new(make());
            request.set_timeout(timeout);
            request.metadata_mut().insert("authorization", value);
            match send(self.grpc.clone(), request).await {
                Ok(response) => return Ok(response.into_inner()),
                Err(status) if status.code() == Code::Unauthenticated && !refreshed => {
                    tracing::debug!(rpc, "access token refused; fetching a new one");
                    self.tokens.invalidate().await;
                    refreshed = true;
                }
                Err(status) if status.code() == Code::Unauthenticated => {
                    return Err(RpcError::Unauthenticated {
                        rpc,
                        message: status_text(&status),
                    });
                }
                Err(status) => return Err(RpcError::Status { rpc, status }),
            }
        }
    }

    /// Hello: who and what the connector is (`task_id` empty at start, else the hello task).
    pub async fn hello(&self, request: pb::BatonServiceHelloRequest) -> Result<(), RpcError> {
        self.call(
            "Hello",
            RPC_TIMEOUT,
            || request.clone(),
            |mut c, r| async move { c.hello(r).await },
        )
        .await
        .map(drop)
    }

    /// GetTask: the next task, if any, and when to ask again.
    pub async fn get_task(&self) -> Result<pb::BatonServiceGetTaskResponse, RpcError> {
        let request = pb::BatonServiceGetTaskRequest {
            host_id: self.host_id.clone(),
        };
        self.call(
            "GetTask",
            RPC_TIMEOUT,
            || request.clone(),
            |mut c, r| async move { c.get_task(r).await },
        )
        .await
    }

    /// Heartbeat for `task_id`.
    pub async fn heartbeat(
        &self,
        task_id: &str,
    ) -> Result<pb::BatonServiceHeartbeatResponse, RpcError> {
        let request = pb::BatonServiceHeartbeatRequest {
            host_id: self.host_id.clone(),
            task_id: task_id.to_string(),
            ..Default::default()
        };
        self.call(
            "Heartbeat",
            RPC_TIMEOUT,
            || request.clone(),
            |mut c, r| async move { c.heartbeat(r).await },
        )
        .await
    }

    /// FinishTask with `final_state` (and `status` for an error).
    pub async fn finish_task(
        &self,
        task_id: &str,
        status: Option<pb::RpcStatus>,
        final_state: pb::baton_service_finish_task_request::FinalState,
    ) -> Result<(), RpcError> {
        let request = pb::BatonServiceFinishTaskRequest {
            host_id: self.host_id.clone(),
            task_id: task_id.to_string(),
            status,
            final_state: Some(final_state),
        };
        self.call(
            "FinishTask",
            RPC_TIMEOUT,
            || request.clone(),
            |mut c, r| async move { c.finish_task(r).await },
        )
        .await
        .map(drop)
    }
}

//! The ConductorOne service protocol's messages and its `BatonService` client, generated at build
//! time from our `.proto` files (`c1z/proto/c1/connectorapi/baton/v1/baton.proto`,
//! `google/rpc/status.proto`); the `c1.connector.v2` messages they embed are `c1z::pb`'s.

#[allow(clippy::all, clippy::pedantic, missing_docs)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/protos.rs"));
}

pub use generated::c1::connectorapi::baton::v1::*;
pub use generated::google::rpc::Status as RpcStatus;

/// The client of the `BatonService`.
pub use baton_service_client::BatonServiceClient;
/// `Task.task_type`: what a task asks for.
pub use task::TaskType;

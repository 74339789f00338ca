//! The tasks a test scripts: what each one asks of the connector, and how the fake should treat
//! it (cancel it through a heartbeat, drop its upload once).

use super::pb::c1::connector::v2 as c1v2;
use super::pb::c1::connectorapi::baton::v1 as api;
use api::task::TaskType;

/// The length of a task id: upstream's validation pattern is `^[a-zA-Z0-9]{27}$` (a KSUID).
const TASK_ID_LEN: usize = 27;

/// The flags of a full-sync task (`Task.SyncFullTask`).
#[derive(Clone, Debug, Default)]
pub struct FullSync {
    /// Leave grant expansion to ConductorOne.
    pub skip_expand_grants: bool,
    /// Sync resources only.
    pub skip_entitlements_and_grants: bool,
    /// Sync resources and entitlements, no grants.
    pub skip_grants: bool,
    /// Sync only these resource types (all when empty).
    pub sync_resource_type_ids: Vec<String>,
    /// Sync only these resources (all when empty).
    pub targeted_sync_resources: Vec<c1v2::Resource>,
}

/// A task to hand out, and the fake's script for it.
#[derive(Clone, Debug)]
pub struct TaskSpec {
    pub(crate) task_type: TaskType,
    pub(crate) debug: bool,
    pub(crate) cancel_after_heartbeats: Option<usize>,
    pub(crate) drop_upload_after_chunks: Option<usize>,
}

impl TaskSpec {
    /// A full sync, to be uploaded.
    pub fn full_sync(flags: FullSync) -> Self {
        Self::raw(TaskType::SyncFull(api::task::SyncFullTask {
            annotations: vec![],
            skip_expand_grants: flags.skip_expand_grants,
            skip_entitlements_and_grants: flags.skip_entitlements_and_grants,
            targeted_sync_resources: flags.targeted_sync_resources,
            sync_resource_type_ids: flags.sync_resource_type_ids,
            skip_grants: flags.skip_grants,
            storage_engine: String::new(),
        }))
    }

    /// Grant `entitlement` to `principal`.
    pub fn grant(entitlement: c1v2::Entitlement, principal: c1v2::Resource) -> Self {
        Self::raw(TaskType::Grant(api::task::GrantTask {
            entitlement: Some(entitlement),
            principal: Some(principal),
            annotations: vec![],
            duration: None,
        }))
    }

    /// Revoke `grant`.
    pub fn revoke(grant: c1v2::Grant) -> Self {
        Self::raw(TaskType::Revoke(api::task::RevokeTask {
            grant: Some(grant),
            annotations: vec![],
        }))
    }

    /// Say Hello again (baton-sdk answers with a Hello carrying the task's id, no FinishTask).
    pub fn hello() -> Self {
        Self::raw(TaskType::Hello(api::task::HelloTask {
            annotations: vec![],
        }))
    }

    /// Create an account: a kind a connector without account provisioning does not support.
    pub fn create_account(resource_type_id: &str) -> Self {
        Self::raw(TaskType::CreateAccount(api::task::CreateAccountTask {
            resource_type_id: resource_type_id.to_string(),
        }))
    }

    /// Any task, as the protocol spells it.
    pub fn raw(task_type: TaskType) -> Self {
        Self {
            task_type,
            debug: false,
            cancel_after_heartbeats: None,
            drop_upload_after_chunks: None,
        }
    }

    /// Sets the task's `debug` flag.
    pub fn debug(mut self) -> Self {
        self.debug = true;
        self
    }

    /// Answers `cancelled: true` from the `n`th heartbeat for this task on (1 = the first).
    pub fn cancelled_after_heartbeats(mut self, n: usize) -> Self {
        assert!(n >= 1, "heartbeats count from 1");
        self.cancel_after_heartbeats = Some(n);
        self
    }

    /// Drops the connection of the first upload of this task once it has sent `n` data
    /// chunks (0: right after its metadata); later uploads go through.
    pub fn drop_upload_once_after_chunks(mut self, n: usize) -> Self {
        self.drop_upload_after_chunks = Some(n);
        self
    }

    /// The name of the task's `task_type` field (`sync_full`, `grant`, ...).
    pub fn kind(&self) -> &'static str {
        kind_of(&self.task_type)
    }
}

/// The proto field name of a task type.
pub fn kind_of(task_type: &TaskType) -> &'static str {
    match task_type {
        TaskType::None(_) => "none",
        TaskType::Hello(_) => "hello",
        TaskType::SyncFull(_) => "sync_full",
        TaskType::Grant(_) => "grant",
        TaskType::Revoke(_) => "revoke",
        TaskType::CreateAccount(_) => "create_account",
        TaskType::CreateResource(_) => "create_resource",
        TaskType::DeleteResource(_) => "delete_resource",
        TaskType::RotateCredentials(_) => "rotate_credentials",
        TaskType::EventFeed(_) => "event_feed",
        TaskType::CreateTicketTask(_) => "create_ticket_task",
        TaskType::ListTicketSchemas(_) => "list_ticket_schemas",
        TaskType::GetTicket(_) => "get_ticket",
        TaskType::BulkCreateTickets(_) => "bulk_create_tickets",
        TaskType::BulkGetTickets(_) => "bulk_get_tickets",
        TaskType::ActionListSchemas(_) => "action_list_schemas",
        TaskType::ActionGetSchema(_) => "action_get_schema",
        TaskType::ActionInvoke(_) => "action_invoke",
        TaskType::ActionStatus(_) => "action_status",
        TaskType::CreateSyncDiff(_) => "create_sync_diff",
        TaskType::CompactSyncs(_) => "compact_syncs",
        TaskType::ListEventFeeds(_) => "list_event_feeds",
        TaskType::ListEvents(_) => "list_events",
        TaskType::IssueCredential(_) => "issue_credential",
    }
}

/// A fresh task id: 27 random base62 characters, the shape of a KSUID.
pub fn new_task_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..TASK_ID_LEN)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Whether `id` has the shape upstream validates task ids against.
pub fn is_task_id(id: &str) -> bool {
    id.len() == TASK_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

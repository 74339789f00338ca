//! State that the sync's surroundings keep in its checkpoints beside the engine's own, each
//! under a key of its own (for example the HTTP request budget's record of what was sent): saved
//! at every checkpoint and into the finished sync, and read back by the next run, which carries
//! on from its own checkpoint or else from the sync before it. The engine stores the values and
//! knows nothing of what they mean.

use c1z::{C1zError, SyncStore};
use serde_json::Value;

use super::state::SyncState;

/// A provider of carried state.
pub trait CarriedState: Send + Sync + std::fmt::Debug {
    /// The key its value is kept under in the sync token.
    fn key(&self) -> &'static str;
    /// Its value now, to checkpoint.
    fn save(&self) -> Value;
}

/// A value found in a file, and where.
#[derive(Clone, Debug, PartialEq)]
pub enum Carried {
    /// From the checkpoint of the unfinished sync, which this run will likely resume.
    InProgress(Value),
    /// From the newest finished sync.
    Finished(Value),
}

/// The value kept under `key` by the newest unfinished sync in `store`, else by the newest
/// finished one; `None` when neither has one (a new file, another tool's tokens).
pub fn find_carried(store: &SyncStore, key: &str) -> Result<Option<Carried>, C1zError> {
    let (unfinished, finished) = store.latest_tokens()?;
    let value = |token: Option<String>| {
        let state: SyncState = serde_json::from_str(token.as_deref()?).ok()?;
        state.carried.get(key).cloned()
    };
    Ok(value(unfinished)
        .map(Carried::InProgress)
        .or_else(|| value(finished).map(Carried::Finished)))
}

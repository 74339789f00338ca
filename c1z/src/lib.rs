//! Baton .c1z files (format v1): the protobuf messages (`pb`, generated from `proto/`), the sync
//! store (writer), the reader, the editor, the row lookups they share (`rows`, `sync_runs`), the
//! Baton CLI's listings (`listing`), the diff of two syncs (`diff`) and typed access-review queries
//! (`query`). Rendering (tables, JSON, spreadsheets, HTML) belongs to the callers.

pub mod diff;
pub mod edit;
pub mod envelope;
pub mod error;
pub mod ksuid;
pub mod listing;
pub mod pb;
pub mod query;
pub mod reader;
pub mod rows;
pub mod schema;
pub mod store;
pub mod sync_runs;
pub mod timestamp;

pub use error::C1zError;

pub use edit::{C1zEditor, Removal};
pub use reader::C1zReader;
pub use rows::{ObjectTable, SyncCounts};
pub use store::{SyncRun, SyncStore};
pub use sync_runs::SyncInfo;

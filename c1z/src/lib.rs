//! Baton .c1z files (format v1): protobuf messages, the sync store (writer), the reader, inspection and diff, and
//! typed access-review queries (`query`).

pub mod diff;
pub mod edit;
pub mod envelope;
pub mod error;
pub mod inspect;
pub mod json;
pub mod ksuid;
pub mod pb;
pub mod query;
pub mod reader;
pub mod schema;
pub mod store;
pub mod timestamp;

pub use error::C1zError;

pub use edit::{C1zEditor, Removal};
pub use inspect::{InspectCommand, InspectFilter, OutputFormat, inspect};
pub use reader::{C1zReader, SyncInfo};
pub use store::{SyncCounts, SyncRun, SyncStore};

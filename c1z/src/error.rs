//! The crate's error type. A variant that quotes an underlying error in its message keeps it
//! as a plain field, not as `source()`, so that a cause chain (`{:#}`) shows it once.

use std::path::PathBuf;

/// Everything that can go wrong reading or writing a .c1z file.
#[derive(Debug, thiserror::Error)]
pub enum C1zError {
    /// A filesystem operation failed.
    #[error("{what} {path}: {cause}")]
    Io {
        /// What was being done ("reading", "renaming ... to", ...).
        what: String,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error (in the message, so not also a `source()`).
        cause: std::io::Error,
    },
    /// The file is empty (0 bytes).
    #[error("{path} is empty (0 bytes): it is not a .c1z file; run a sync to produce one")]
    EmptyFile {
        /// The file concerned.
        path: PathBuf,
    },
    /// The file does not start with a c1z magic number.
    #[error(
        "{path} is not a .c1z file (expected the magic bytes \"C1ZF\\0\", found {found:?}); check the path"
    )]
    NotC1z {
        /// The file concerned.
        path: PathBuf,
        /// The first bytes found.
        found: String,
    },
    /// The file is a v3 (pebble) c1z.
    #[error(
        "{path} is a v3 .c1z (magic \"C1Z3\") written by baton-sdk's pebble engine, which is not supported; \
         re-sync with `--storage-engine sqlite` to get a v1 file"
    )]
    UnsupportedV3 {
        /// The file concerned.
        path: PathBuf,
    },
    /// The zstd payload could not be decompressed.
    #[error(
        "{path} is truncated or corrupt (zstd payload: {cause}); the file cannot be read, re-sync to regenerate it"
    )]
    CorruptPayload {
        /// The file concerned.
        path: PathBuf,
        /// The decoder error.
        cause: std::io::Error,
    },
    /// The decompressed payload is not a SQLite database.
    #[error(
        "{path} decompressed, but its payload is not a SQLite database ({detail}); the file is corrupt, re-sync to regenerate it"
    )]
    NotSqlite {
        /// The file concerned.
        path: PathBuf,
        /// SQLite's message.
        detail: String,
    },
    /// Tables that every c1z holds are missing.
    #[error(
        "{path} is a SQLite database but lacks the c1z tables {missing:?}; it was not written by a Baton connector"
    )]
    MissingTables {
        /// The file concerned.
        path: PathBuf,
        /// The missing table names.
        missing: Vec<String>,
    },
    /// A SQLite operation failed.
    #[error("sqlite error while {context}: {cause}")]
    Sqlite {
        /// What was being done.
        context: String,
        /// The underlying error.
        cause: rusqlite::Error,
    },
    /// A stored protobuf blob could not be decoded.
    #[error(
        "cannot decode the stored {kind} {id:?}: {cause}; the file is corrupt or from an incompatible version"
    )]
    Decode {
        /// Message type.
        kind: &'static str,
        /// The row's external id.
        id: String,
        /// The decoder error.
        cause: prost::DecodeError,
    },
    /// An object handed to the writer lacks a field the file needs.
    #[error("invalid {kind} {id:?}: {reason}")]
    InvalidObject {
        /// Message type.
        kind: &'static str,
        /// Its id, as far as known.
        id: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// A write was attempted without a sync in progress.
    #[error(
        "no sync in progress: call start_or_resume() before writing or reading the current sync"
    )]
    NoSync,
    /// The requested sync does not exist.
    #[error("{path} has no sync with id {sync_id:?}; list them with `inspect syncs`")]
    SyncNotFound {
        /// The file concerned.
        path: PathBuf,
        /// The requested id.
        sync_id: String,
    },
    /// The file holds no finished full sync.
    #[error("{path} holds no finished full sync; run a sync to completion first")]
    NoFinishedSync {
        /// The file concerned.
        path: PathBuf,
    },
    /// Diff needs two finished full syncs.
    #[error(
        "{path} holds {found} finished full sync(s); a diff needs two: run another full sync into the same file"
    )]
    NotEnoughSyncs {
        /// The file concerned.
        path: PathBuf,
        /// How many there are.
        found: usize,
    },
    /// An object referenced by another is missing from the sync.
    #[error(
        "{referrer} references the {kind} {id:?}, which is not in sync {sync_id}; the file is incomplete"
    )]
    MissingReference {
        /// The referencing object.
        referrer: String,
        /// The missing object's kind.
        kind: &'static str,
        /// The missing object's id.
        id: String,
        /// The sync searched.
        sync_id: String,
    },
    /// A command needs a filter that was not given.
    #[error("{0}")]
    BadFilter(String),
    /// An object asked for by a query is not in the sync.
    #[error("there is no {what} in sync {sync_id}; {hint}")]
    NotFound {
        /// What was looked for.
        what: String,
        /// The sync searched.
        sync_id: String,
        /// What to do instead.
        hint: String,
    },
    /// A name given to a query matches several objects.
    #[error("{what} matches several resources ({}); give the id with -t TYPE -r ID", candidates.join("; "))]
    Ambiguous {
        /// The name given.
        what: String,
        /// Some of the matches, as `type id (name)`.
        candidates: Vec<String>,
    },
}

impl C1zError {
    /// `referrer` references the `kind` `id`, which sync `sync_id` lacks.
    pub(crate) fn missing_reference(
        sync_id: &str,
        referrer: String,
        kind: &'static str,
        id: String,
    ) -> Self {
        C1zError::MissingReference {
            referrer,
            kind,
            id,
            sync_id: sync_id.to_string(),
        }
    }

    pub(crate) fn io(
        what: impl Into<String>,
        path: impl Into<PathBuf>,
        cause: std::io::Error,
    ) -> Self {
        C1zError::Io {
            what: what.into(),
            path: path.into(),
            cause,
        }
    }
}

/// Attaches a context to rusqlite errors.
pub(crate) trait SqlContext<T> {
    fn ctx(self, context: &str) -> Result<T, C1zError>;
}

impl<T> SqlContext<T> for Result<T, rusqlite::Error> {
    fn ctx(self, context: &str) -> Result<T, C1zError> {
        self.map_err(|cause| C1zError::Sqlite {
            context: context.to_string(),
            cause,
        })
    }
}

//! Secret values (passwords, tokens, client secrets): loaded from a flag or a file, redacted in
//! every `Debug`/`Display`, and wiped from memory when dropped.

use std::fmt;
use std::path::PathBuf;

use zeroize::Zeroize;

/// What `Debug` and `Display` print instead of a secret.
pub const REDACTED: &str = "[redacted]";

/// A secret string. Deliberately not `Serialize`: it can only be read through [`Secret::expose`].
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where the value must leave the host (an HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret's SHA-256, for telling secrets apart without keeping them (a sync's scope).
    pub fn sha256(&self) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(self.0.as_bytes()).into()
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Loads a secret given either inline (`--x`) or as a file path (`--x-file`, for mounted
    /// Kubernetes secrets); `None` when neither is given.
    ///
    /// `flag` is the flag's name with or without the leading dashes (`token` or `--token`).
    pub fn from_value_or_file(
        value: Option<String>,
        file: Option<PathBuf>,
        flag: &str,
    ) -> Result<Option<Secret>, SecretError> {
        let flag = flag.trim_start_matches('-').to_string();
        match (value, file) {
            (None, None) => Ok(None),
            (Some(_), Some(_)) => Err(SecretError::Both { flag }),
            (Some(value), None) => {
                let secret = Secret(value);
                if secret.0.is_empty() {
                    return Err(SecretError::EmptyValue { flag });
                }
                Ok(Some(secret))
            }
            (None, Some(path)) => {
                // Read into a `Secret` straight away so the buffer is wiped on every path.
                let mut secret = match std::fs::read_to_string(&path) {
                    Ok(text) => Secret(text),
                    Err(cause) => return Err(SecretError::Unreadable { flag, path, cause }),
                };
                // Files written by `echo` or editors end in a newline that is not part of the secret.
                let kept = secret.0.trim_end_matches(['\n', '\r']).len();
                secret.0.truncate(kept);
                if secret.0.is_empty() {
                    return Err(SecretError::EmptyFile { flag, path });
                }
                Ok(Some(secret))
            }
        }
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Why a secret could not be loaded. Messages name flags and paths, never the contents.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Both the inline flag and the file flag were given.
    #[error("both --{flag} and --{flag}-file are set; pass only one of them")]
    Both {
        /// The flag's name without dashes.
        flag: String,
    },
    /// The inline value is empty.
    #[error("--{flag} is empty; pass the secret's value or use --{flag}-file")]
    EmptyValue {
        /// The flag's name without dashes.
        flag: String,
    },
    /// The file could not be read.
    #[error("cannot read --{flag}-file {}: {cause}; check that the path exists, is readable and holds UTF-8 text", path.display())]
    Unreadable {
        /// The flag's name without dashes.
        flag: String,
        /// The file's path.
        path: PathBuf,
        /// The I/O error (carries no file contents); in the message, so not also a `source()`.
        cause: std::io::Error,
    },
    /// The file is empty (or holds only a newline).
    #[error("--{flag}-file {} is empty; write the secret into it", path.display())]
    EmptyFile {
        /// The flag's name without dashes.
        flag: String,
        /// The file's path.
        path: PathBuf,
    },
}

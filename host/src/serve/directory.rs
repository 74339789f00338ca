//! The tenants directory, read whole every few seconds: each `<tenant>.toml` and its bytes.
//! Polling rather than file events, because a Kubernetes ConfigMap changes by swapping a
//! symlink to a new directory, which event watchers see as anything from nothing to a storm.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One tenant file as last read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantEntry {
    /// The file.
    pub path: PathBuf,
    /// Its contents.
    pub bytes: Vec<u8>,
}

/// Why the directory could not be read.
#[derive(Debug, thiserror::Error)]
#[error("could not read the tenants directory {}: {cause}; check --tenants (BATON_TENANTS_DIR)", path.display())]
pub struct DirectoryError {
    /// The directory.
    pub path: PathBuf,
    /// The I/O error.
    pub cause: std::io::Error,
}

/// The tenant files in `dir`, by tenant name (the file name less `.toml`). Hidden entries
/// (`.x.toml`, a ConfigMap's `..data`) are skipped; symlinks are followed. A file that
/// vanishes while being read is left out until the next read.
pub fn read_tenants(dir: &Path) -> Result<BTreeMap<String, TenantEntry>, DirectoryError> {
    let err = |cause| DirectoryError {
        path: dir.to_path_buf(),
        cause,
    };
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let Ok(entry) = entry else { continue };
        let path = entry.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if file_name.starts_with('.') {
            continue;
        }
        let Some(name) = file_name.strip_suffix(".toml") else {
            continue;
        };
        // `metadata` follows symlinks: a ConfigMap's keys are symlinks into `..data/`.
        if !std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        out.insert(name.to_string(), TenantEntry { path, bytes });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_toml_files_and_follows_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("..data");
        std::fs::create_dir(&data).unwrap();
        std::fs::write(data.join("acme.toml"), "a").unwrap();
        std::os::unix::fs::symlink(data.join("acme.toml"), dir.path().join("acme.toml")).unwrap();
        std::fs::write(dir.path().join("globex.toml"), "g").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "n").unwrap();
        std::fs::write(dir.path().join(".hidden.toml"), "h").unwrap();
        let found = read_tenants(dir.path()).unwrap();
        assert_eq!(found.keys().collect::<Vec<_>>(), ["acme", "globex"]);
        assert_eq!(found["acme"].bytes, b"a");
        assert!(read_tenants(&dir.path().join("missing")).is_err());
    }
}

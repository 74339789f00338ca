//! The .c1z envelope: `C1ZF\0` followed by one zstd frame holding a SQLite database file.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use crate::error::C1zError;

/// Magic of format v1 (SQLite payload).
pub const MAGIC_V1: &[u8; 5] = b"C1ZF\0";
/// Magic of format v3 (pebble payload, unsupported).
pub const MAGIC_V3: &[u8; 5] = b"C1Z3\0";

/// zstd level; baton-sdk's default encoder is about level 3.
const LEVEL: i32 = 3;
/// The decoder's window cap (baton's readers refuse windows above 128 MiB).
const MAX_WINDOW_LOG: u32 = 27;

/// Checks the magic of `path` and returns an open reader positioned after it.
pub fn open_v1(path: &Path) -> Result<BufReader<File>, C1zError> {
    let file = File::open(path).map_err(|e| C1zError::io("opening", path, e))?;
    let len = file
        .metadata()
        .map_err(|e| C1zError::io("reading metadata of", path, e))?
        .len();
    if len == 0 {
        return Err(C1zError::EmptyFile { path: path.into() });
    }
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut magic = [0u8; 5];
    let mut got = 0;
    while got < magic.len() {
        match reader.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Err(C1zError::io("reading", path, e)),
        }
    }
    let magic = &magic[..got];
    if magic == MAGIC_V1 {
        Ok(reader)
    } else if magic == MAGIC_V3 {
        Err(C1zError::UnsupportedV3 { path: path.into() })
    } else {
        Err(C1zError::NotC1z {
            path: path.into(),
            found: String::from_utf8_lossy(magic).into_owned(),
        })
    }
}

/// Decompresses the c1z at `src` into the plain SQLite file `dest` (created or truncated) and fsyncs it.
pub fn decompress_to(src: &Path, dest: &Path) -> Result<u64, C1zError> {
    let reader = open_v1(src)?;
    let corrupt = |e: std::io::Error| C1zError::CorruptPayload {
        path: src.into(),
        cause: e,
    };
    let mut decoder = zstd::stream::read::Decoder::with_buffer(reader).map_err(corrupt)?;
    decoder.window_log_max(MAX_WINDOW_LOG).map_err(corrupt)?;
    // A c1z holds exactly one frame: anything after it would be silently ignored otherwise.
    let mut decoder = decoder.single_frame();
    let out = File::create(dest).map_err(|e| C1zError::io("creating", dest, e))?;
    let mut writer = BufWriter::with_capacity(1 << 20, out);
    let n = copy(&mut decoder, &mut writer, src, dest)?;
    let out = writer
        .into_inner()
        .map_err(|e| C1zError::io("writing", dest, e.into_error()))?;
    out.sync_all()
        .map_err(|e| C1zError::io("syncing", dest, e))?;
    if n == 0 {
        return Err(C1zError::CorruptPayload {
            path: src.into(),
            cause: std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "empty payload after the magic",
            ),
        });
    }
    Ok(n)
}

fn copy(r: &mut impl Read, w: &mut impl Write, src: &Path, dest: &Path) -> Result<u64, C1zError> {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(C1zError::CorruptPayload {
                    path: src.into(),
                    cause: e,
                });
            }
        };
        w.write_all(&buf[..n])
            .map_err(|e| C1zError::io("writing", dest, e))?;
        total += n as u64;
    }
}

/// Writes `db` as a c1z to `tmp` (magic + one zstd frame with content size and checksum), fsyncs it, renames it
/// over `dest` and fsyncs the directory, so `dest` is either the old file or the complete new one.
pub fn write_c1z(db: &Path, tmp: &Path, dest: &Path) -> Result<(), C1zError> {
    let input = File::open(db).map_err(|e| C1zError::io("opening", db, e))?;
    let size = input
        .metadata()
        .map_err(|e| C1zError::io("reading metadata of", db, e))?
        .len();
    let out = File::create(tmp).map_err(|e| C1zError::io("creating", tmp, e))?;
    let mut writer = BufWriter::with_capacity(1 << 20, out);
    let werr = |e| C1zError::io("writing", tmp, e);
    writer.write_all(MAGIC_V1).map_err(werr)?;
    let mut enc = zstd::stream::write::Encoder::new(writer, LEVEL).map_err(werr)?;
    enc.include_checksum(true).map_err(werr)?;
    enc.include_contentsize(true).map_err(werr)?;
    enc.set_pledged_src_size(Some(size)).map_err(werr)?;
    let mut reader = BufReader::with_capacity(1 << 20, input);
    std::io::copy(&mut reader, &mut enc).map_err(werr)?;
    let writer = enc.finish().map_err(werr)?;
    let out = writer.into_inner().map_err(|e| werr(e.into_error()))?;
    out.sync_all()
        .map_err(|e| C1zError::io("syncing", tmp, e))?;
    drop(out);
    std::fs::rename(tmp, dest)
        .map_err(|e| C1zError::io(format!("renaming {} to", tmp.display()), dest, e))?;
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = File::open(dir)
    {
        // Best effort: persists the rename itself; not all filesystems allow fsync on a directory.
        let _ = d.sync_all();
    }
    Ok(())
}

/// A private, decompressed copy of a v1 .c1z: its SQLite connection, the database path, and the
/// temp dir that holds it (removed when dropped, after the connection).
pub struct Decompressed {
    /// The connection to the copy.
    pub conn: rusqlite::Connection,
    /// The copy's database file.
    pub db: std::path::PathBuf,
    /// Keeps the copy alive; declared last so the connection closes first.
    pub tmp: tempfile::TempDir,
}

/// Checks the envelope, decompresses `path` into a temp dir (named with `prefix`) and opens it,
/// refusing databases that lack the c1z tables; the schema is brought up to date on the copy.
pub fn open_copy(path: &Path, prefix: &str) -> Result<Decompressed, C1zError> {
    use crate::error::SqlContext;
    // Check the envelope before creating anything.
    drop(open_v1(path)?);
    let tmp = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| C1zError::io("creating a temp dir for", path, e))?;
    let db = tmp.path().join("sync.db");
    decompress_to(path, &db)?;
    let conn = rusqlite::Connection::open(&db).ctx("opening the decompressed database")?;
    let missing = crate::schema::missing_tables(&conn).map_err(|e| C1zError::NotSqlite {
        path: path.into(),
        detail: e.to_string(),
    })?;
    if !missing.is_empty() {
        return Err(C1zError::MissingTables {
            path: path.into(),
            missing,
        });
    }
    crate::schema::ensure(&conn)?;
    Ok(Decompressed { conn, db, tmp })
}

//! A sheet as CSV (RFC 4180 quoting, as Go's encoding/csv writes baton's export).

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::Context;

use super::sheet::Sheet;

/// Writes the header and rows to `path`; returns the number of data rows.
pub fn write(sheet: &Sheet<'_>, path: &Path) -> anyhow::Result<u64> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = csv::Writer::from_writer(BufWriter::new(file));
    let failed = || format!("writing {}", path.display());
    w.write_record(sheet.header).with_context(failed)?;
    let mut rows = 0u64;
    sheet.for_each_row(&mut |row| {
        w.write_record(row).with_context(failed)?;
        rows += 1;
        Ok(())
    })?;
    let inner = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("{}: {}", failed(), e.error()))?;
    let file = inner
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(failed)?;
    file.sync_all().with_context(failed)?;
    Ok(rows)
}

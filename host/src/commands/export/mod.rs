//! `export csv|xlsx`: a sync as a spreadsheet, in baton's export layout or as a review sheet. The file is written
//! next to its destination and renamed into place, so a failed export never leaves half a sheet.

mod baton_rows;
mod csv_file;
mod review_rows;
mod sheet;
mod xlsx_file;

use std::path::{Path, PathBuf};

use anyhow::Context;
use c1z::query::AccessIndex;

use crate::cli::{ExportArgs, ExportFormat, ExportLayout};

pub use baton_rows::BATON_HEADER;
pub use review_rows::REVIEW_HEADER;
pub use sheet::Sheet;

/// What an export wrote.
#[derive(Debug)]
pub struct ExportReport {
    /// The file written.
    pub path: PathBuf,
    /// Data rows (without the header).
    pub rows: u64,
}

/// Writes the export of `file` and returns what was written.
pub fn run(file: &Path, args: &ExportArgs) -> anyhow::Result<ExportReport> {
    let reader = super::access::open_reader(file)?;
    let index = AccessIndex::load(&reader, args.sync_id.as_deref())?;
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(match args.format {
            ExportFormat::Csv => "sync.csv",
            ExportFormat::Xlsx => "sync.xlsx",
        })
    });
    let sheet = match args.layout {
        // baton's excelize workbook keeps its default sheet name.
        ExportLayout::Baton => Sheet {
            name: "Sheet1",
            header: &BATON_HEADER,
            index: &index,
            layout: args.layout,
        },
        ExportLayout::Review => Sheet {
            name: "Access review",
            header: &REVIEW_HEADER,
            index: &index,
            layout: args.layout,
        },
    };
    let tmp = tmp_path(&out);
    let written = match args.format {
        ExportFormat::Csv => csv_file::write(&sheet, &tmp),
        ExportFormat::Xlsx => xlsx_file::write(&sheet, &tmp),
    };
    let rows = match written {
        Ok(rows) => rows,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, &out).with_context(|| {
        format!(
            "moving the finished export {} to {}",
            tmp.display(),
            out.display()
        )
    })?;
    Ok(ExportReport { path: out, rows })
}

fn tmp_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    out.with_file_name(name)
}

/// The one-line summary printed after an export.
pub fn summary(report: &ExportReport) -> String {
    format!(
        "Wrote {} rows (and a header) to {}\n",
        report.rows,
        report.path.display()
    )
}

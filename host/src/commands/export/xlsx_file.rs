//! A sheet as an Excel workbook: a bold header row, frozen below the header, filters on every column, and column
//! widths that fit the longest value (capped). Rows stream to disk (constant-memory mode), so the widths are
//! measured in a first pass over the rows.

use std::path::Path;

use anyhow::Context;
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};

use super::sheet::Sheet;

/// Excel's last row index (1,048,576 rows, the header included).
const MAX_ROW: u32 = 1_048_575;
/// Widest column, in characters; ids can be 200 characters long and would push everything else off screen.
const MAX_WIDTH: usize = 60;

/// Writes the header and rows to `path`; returns the number of data rows.
pub fn write(sheet: &Sheet<'_>, path: &Path) -> anyhow::Result<u64> {
    let columns = sheet.header.len();
    // The filter button takes about three characters of the header cell.
    let mut widths: Vec<usize> = sheet.header.iter().map(|h| h.chars().count() + 3).collect();
    let mut rows = 0u64;
    sheet.for_each_row(&mut |row| {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
        rows += 1;
        Ok(())
    })?;
    if rows > u64::from(MAX_ROW) {
        anyhow::bail!(
            "the sheet has {rows} rows, more than an Excel worksheet holds ({MAX_ROW} below the header); \
             export CSV instead (`export csv`)"
        );
    }

    let xlsx = |e: XlsxError| anyhow::anyhow!("writing the workbook {}: {e}", path.display());
    let mut workbook = Workbook::new();
    let ws = workbook
        .add_worksheet_with_constant_memory()
        .map_err(xlsx)?;
    ws.set_name(sheet.name).map_err(xlsx)?;
    // Column widths and panes go before the rows: constant-memory mode writes the sheet in order.
    for (col, w) in widths.iter().enumerate() {
        ws.set_column_width(col as u16, (*w).min(MAX_WIDTH) as f64 + 1.0)
            .map_err(xlsx)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xlsx)?;
    ws.autofilter(0, 0, rows as u32, (columns - 1) as u16)
        .map_err(xlsx)?;
    let bold = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDE6F0))
        .set_border_bottom(FormatBorder::Thin);
    for (col, h) in sheet.header.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, *h, &bold)
            .map_err(xlsx)?;
    }
    let mut next = 1u32;
    sheet.for_each_row(&mut |row| {
        for (col, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                ws.write_string(next, col as u16, cell).map_err(xlsx)?;
            }
        }
        next += 1;
        Ok(())
    })?;
    workbook
        .save(path)
        .map_err(xlsx)
        .with_context(|| format!("saving {}", path.display()))?;
    Ok(rows)
}

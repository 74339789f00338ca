//! One layout of an export's rows.

use c1z::query::AccessIndex;

use super::{baton_rows, review_rows};
use crate::cli::ExportLayout;

/// One layout of rows: its header and a way to produce its rows (twice for XLSX, which sizes columns first).
pub struct Sheet<'a> {
    /// The worksheet name in XLSX.
    pub name: &'static str,
    /// Column names.
    pub header: &'static [&'static str],
    pub(super) index: &'a AccessIndex,
    pub(super) layout: ExportLayout,
}

impl Sheet<'_> {
    /// Calls `emit` with each row, in order.
    pub fn for_each_row(
        &self,
        emit: &mut dyn FnMut(&[String]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match self.layout {
            ExportLayout::Baton => baton_rows::each(self.index, emit),
            ExportLayout::Review => review_rows::each(self.index, emit),
        }
    }
}

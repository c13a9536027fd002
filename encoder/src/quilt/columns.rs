//! Where a quilt's columns come from: the whole quilt blob, or some of its secondary slivers.

use std::{borrow::Cow, collections::BTreeMap};

use super::QuiltError;
use crate::{EncodingConfig, Sliver, SliverType};

/// Columns of a quilt's message matrix, all of the same length.
pub trait ColumnSource {
    /// Bytes in one column (`rows * symbol_size`).
    fn column_len(&self) -> usize;

    /// Columns in the matrix.
    fn n_columns(&self) -> u16;

    /// Column `index`, or [`QuiltError::MissingColumns`] if this source lacks it.
    fn column(&self, index: u16) -> Result<Cow<'_, [u8]>, QuiltError>;

    /// `len` bytes read column after column from `skip` bytes into column `start`.
    fn read(&self, start: u16, skip: usize, len: usize) -> Result<Vec<u8>, QuiltError> {
        let column_len = self.column_len();
        if column_len == 0 {
            return Err(QuiltError::MissingColumns(vec![start]));
        }
        let first = usize::from(start) + skip / column_len;
        let last = (usize::from(start) * column_len + skip + len).div_ceil(column_len);
        if last > usize::from(self.n_columns()) {
            return Err(QuiltError::MalformedPatch {
                column: start,
                reason: format!("{} bytes from offset {skip} run past the last column", len),
            });
        }
        self.check_present(first..last)?;
        let mut out = Vec::with_capacity(len);
        let mut offset = skip % column_len;
        for index in first..last {
            let column = self.column(u16::try_from(index).expect("below n_columns"))?;
            let take = (column_len - offset).min(len - out.len());
            out.extend_from_slice(&column[offset..offset + take]);
            offset = 0;
        }
        Ok(out)
    }

    /// Fails with every missing column of `range` named, so a reader fetches them at once.
    fn check_present(&self, range: std::ops::Range<usize>) -> Result<(), QuiltError> {
        let missing: Vec<u16> = range
            .map(|index| u16::try_from(index).expect("below n_columns"))
            .filter(|index| matches!(self.column(*index), Err(QuiltError::MissingColumns(_))))
            .collect();
        if missing.is_empty() { Ok(()) } else { Err(QuiltError::MissingColumns(missing)) }
    }
}

/// Columns from systematic secondary slivers (secondary sliver `j` is column `j`), as a reader
/// fetches them from storage nodes.
#[derive(Debug, Clone)]
pub struct SliverColumns {
    n_columns: u16,
    column_len: usize,
    columns: BTreeMap<u16, Vec<u8>>,
}

impl SliverColumns {
    /// An empty set for `config`'s matrix.
    pub fn new(config: &EncodingConfig) -> Self {
        Self { n_columns: config.n_columns(), column_len: 0, columns: BTreeMap::new() }
    }

    /// Adds secondary slivers; they must be systematic (index below the column count) and of
    /// one length. Slivers should be verified against the quilt's metadata first.
    pub fn add(&mut self, slivers: impl IntoIterator<Item = Sliver>) -> Result<(), QuiltError> {
        for sliver in slivers {
            if sliver.axis() != SliverType::Secondary {
                return Err(QuiltError::InconsistentColumns(format!(
                    "sliver {} is a primary sliver; quilt columns are secondary slivers",
                    sliver.index()
                )));
            }
            let index = sliver.index().0;
            if index >= self.n_columns {
                return Err(QuiltError::InconsistentColumns(format!(
                    "secondary sliver {index} is parity, not one of the {} columns",
                    self.n_columns
                )));
            }
            let data = sliver.data().to_vec();
            if self.columns.is_empty() {
                self.column_len = data.len();
            } else if data.len() != self.column_len {
                return Err(QuiltError::InconsistentColumns(format!(
                    "secondary sliver {index} has {} bytes, others {}",
                    data.len(),
                    self.column_len
                )));
            }
            self.columns.insert(index, data);
        }
        Ok(())
    }

    /// Whether column `index` is present.
    pub fn contains(&self, index: u16) -> bool {
        self.columns.contains_key(&index)
    }
}

impl ColumnSource for SliverColumns {
    fn column_len(&self) -> usize {
        self.column_len
    }

    fn n_columns(&self) -> u16 {
        self.n_columns
    }

    fn column(&self, index: u16) -> Result<Cow<'_, [u8]>, QuiltError> {
        self.columns
            .get(&index)
            .map(|data| Cow::Borrowed(data.as_slice()))
            .ok_or(QuiltError::MissingColumns(vec![index]))
    }
}

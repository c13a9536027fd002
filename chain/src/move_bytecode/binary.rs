//! The binary format's framing: the header (magic, flavored version, table headers), table
//! ranges, and a cursor reading bytes, ULEB128 values and indexes.

use super::BytecodeError;

pub(super) const MAGIC: [u8; 4] = [0xA1, 0x1C, 0xEB, 0x0B];
pub(super) const SUI_FLAVOR: u32 = 0x05;
const MIN_VERSION: u32 = 5;
const MAX_VERSION: u32 = 7;

/// A table's kind byte in the header.
pub(super) mod table {
    pub const MODULE_HANDLES: u8 = 0x1;
    pub const DATATYPE_HANDLES: u8 = 0x2;
    pub const FUNCTION_HANDLES: u8 = 0x3;
    pub const SIGNATURES: u8 = 0x5;
    pub const IDENTIFIERS: u8 = 0x7;
    pub const ADDRESS_IDENTIFIERS: u8 = 0x8;
    pub const STRUCT_DEFS: u8 = 0xA;
    pub const FUNCTION_DEFS: u8 = 0xC;
    pub const ENUM_DEFS: u8 = 0x11;
}

/// A position-tracking reader over a byte slice.
pub(super) struct Cursor<'a> {
    bytes: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(bytes: &'a [u8], pos: usize) -> Self {
        Self { bytes, pos }
    }

    pub(super) fn byte(&mut self) -> Result<u8, BytecodeError> {
        let b = *self.bytes.get(self.pos).ok_or(BytecodeError::Truncated(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], BytecodeError> {
        let end =
            self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or(BytecodeError::Truncated(self.pos))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub(super) fn uleb(&mut self) -> Result<u64, BytecodeError> {
        let start = self.pos;
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(BytecodeError::Overflow(start));
            }
            value |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(BytecodeError::Overflow(start))
    }

    pub(super) fn index(&mut self) -> Result<usize, BytecodeError> {
        let at = self.pos;
        usize::try_from(self.uleb()?).map_err(|_| BytecodeError::Overflow(at))
    }
}

/// Where a table's entries are, as absolute positions in the module.
#[derive(Debug, Clone, Copy)]
pub(super) struct TableRange {
    pub(super) start: usize,
    pub(super) end: usize,
}

/// The parsed header: the version and each table's range.
pub(super) struct Header {
    pub(super) version: u32,
    tables: Vec<(u8, TableRange)>,
    pub(super) self_handle: usize,
}

pub(super) fn read_header(bytes: &[u8]) -> Result<Header, BytecodeError> {
    if bytes.len() < 8 || bytes[..4] != MAGIC {
        return Err(BytecodeError::BadMagic);
    }
    let flavored = u32::from_le_bytes(bytes[4..8].try_into().expect("four bytes"));
    // Versions up to 6 carry no flavor byte; from 7 on the high byte must be Sui's.
    let (version, flavor) = if flavored & 0x00FF_FFFF <= 6 && flavored >> 24 == 0 {
        (flavored, 0)
    } else {
        (flavored & 0x00FF_FFFF, flavored >> 24)
    };
    if !(MIN_VERSION..=MAX_VERSION).contains(&version) || (version >= 7 && flavor != SUI_FLAVOR) {
        return Err(BytecodeError::UnsupportedVersion { version, flavor });
    }
    let mut c = Cursor::new(bytes, 8);
    let count = c.uleb()?;
    let mut raw = Vec::new();
    for _ in 0..count {
        let kind = c.byte()?;
        let offset = c.index()?;
        let len = c.index()?;
        raw.push((kind, offset, len));
    }
    let data = c.pos;
    let mut tables = Vec::new();
    let mut size = 0usize;
    for (kind, offset, len) in raw {
        let start = data.checked_add(offset).ok_or(BytecodeError::BadTables)?;
        let end = start.checked_add(len).filter(|&e| e <= bytes.len()).ok_or(BytecodeError::BadTables)?;
        size = size.max(offset + len);
        tables.push((kind, TableRange { start, end }));
    }
    let mut c = Cursor::new(bytes, data + size);
    let self_handle = c.index()?;
    Ok(Header { version, tables, self_handle })
}

impl Header {
    pub(super) fn range(&self, kind: u8) -> Option<TableRange> {
        self.tables.iter().find(|(k, _)| *k == kind).map(|(_, r)| *r)
    }
}

/// Reads every entry of table `kind` with `entry`.
pub(super) fn read_table<T>(
    bytes: &[u8],
    header: &Header,
    kind: u8,
    mut entry: impl FnMut(&mut Cursor<'_>) -> Result<T, BytecodeError>,
) -> Result<Vec<T>, BytecodeError> {
    let Some(range) = header.range(kind) else { return Ok(Vec::new()) };
    let mut c = Cursor::new(&bytes[..range.end], range.start);
    let mut out = Vec::new();
    while c.pos < range.end {
        out.push(entry(&mut c)?);
    }
    Ok(out)
}

pub(super) fn get<'t, T>(items: &'t [T], index: usize, table: &'static str) -> Result<&'t T, BytecodeError> {
    items.get(index).ok_or(BytecodeError::BadIndex { table, index, len: items.len() })
}

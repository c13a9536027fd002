//! Walking a function's code: each instruction is an opcode byte followed by operands whose size
//! the opcode fixes, so skipping a function body means decoding every instruction.

use super::BytecodeError;
use super::binary::Cursor;

/// Skips one function body: locals, instructions (each opcode with its operands), jump tables.
pub(super) fn skip_code(c: &mut Cursor<'_>, version: u32) -> Result<(), BytecodeError> {
    c.uleb()?; // locals signature
    let count = c.index()?;
    for _ in 0..count {
        let at = c.pos;
        match c.byte()? {
            // No operand: stack, arithmetic, comparison, reference and cast instructions.
            0x01 | 0x02 | 0x08 | 0x09 | 0x14..=0x28 | 0x2E..=0x30 | 0x33..=0x35 | 0x4B..=0x4D => {}
            // One ULEB128 operand: a branch offset, local, constant, handle or signature index.
            0x03..=0x05 | 0x07 | 0x0A..=0x13 | 0x29..=0x2D | 0x36..=0x3F | 0x41..=0x45 | 0x47 | 0x4E..=0x56 => {
                c.uleb()?;
            }
            // Signature index and a u64 element count.
            0x40 | 0x46 => {
                c.uleb()?;
                c.take(8)?;
            }
            0x31 => {
                c.take(1)?;
            }
            0x48 => {
                c.take(2)?;
            }
            0x49 => {
                c.take(4)?;
            }
            0x06 => {
                c.take(8)?;
            }
            0x32 => {
                c.take(16)?;
            }
            0x4A => {
                c.take(32)?;
            }
            value => return Err(BytecodeError::Unexpected { what: "opcode", value, at }),
        }
    }
    if version >= 7 {
        let tables = c.index()?;
        for _ in 0..tables {
            c.uleb()?; // enum definition
            let branches = c.index()?;
            let at = c.pos;
            match c.byte()? {
                0x1 => {
                    for _ in 0..branches {
                        c.uleb()?;
                    }
                }
                value => return Err(BytecodeError::Unexpected { what: "jump table kind", value, at }),
            }
        }
    }
    Ok(())
}

//! The devnet's native twins of floe's Move packages abort with the codes the Move source
//! declares because they take every one from floe-chain's table
//! (`floe_chain::floe::aborts::abort_code`), which a test there holds to `move/floe` and
//! `move/seal`; the Sui framework's codes live in `devnet/src/framework.rs`. This test keeps it
//! so: no file under `devnet/src/floe` or `devnet/src/seal` writes an abort code as a number,
//! which no test would hold to the Move source.

use std::path::Path;

/// How a `const E_...: u64 = ...;` line defines its code: `Some(true)` from floe-chain's
/// table, `Some(false)` as anything else, `None` if the line is no such constant.
fn takes_code_from_chain(line: &str) -> Option<bool> {
    let rest = line.trim_start();
    let rest = rest.strip_prefix("pub(crate) ").or_else(|| rest.strip_prefix("pub ")).unwrap_or(rest);
    let (_, value) = rest.strip_prefix("const E_")?.split_once(": u64 =")?;
    Some(value.trim().starts_with("abort_code("))
}

/// `(file:line, true if from the table)` of every abort constant in the Rust files of `dir`.
fn abort_constants(dir: &str) -> Vec<(String, bool)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut constants = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        for (i, line) in source.lines().enumerate() {
            if let Some(from_chain) = takes_code_from_chain(line) {
                constants.push((format!("{}:{}", path.display(), i + 1), from_chain));
            }
        }
    }
    constants
}

#[test]
fn native_twins_take_every_abort_code_from_floe_chain() {
    let mut constants = abort_constants("floe");
    constants.extend(abort_constants("seal"));
    let copies: Vec<&str> = constants.iter().filter(|(_, from_chain)| !from_chain).map(|(at, _)| at.as_str()).collect();
    assert!(copies.is_empty(), "abort codes written here instead of taken from floe-chain: {copies:?}");
    assert!(constants.len() >= 80, "only {} abort constants found: did devnet/src change layout?", constants.len());
}

#[test]
fn a_code_written_as_a_number_is_seen() {
    assert_eq!(takes_code_from_chain("const E_X: u64 = 3;"), Some(false));
    assert_eq!(takes_code_from_chain("    pub(crate) const E_X: u64 = 1_000;"), Some(false));
    assert_eq!(takes_code_from_chain(r#"const E_X: u64 = abort_code(MODULE, "EX");"#), Some(true));
    assert_eq!(takes_code_from_chain("const X: u64 = 3;"), None);
}

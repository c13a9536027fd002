//! The devnet's native twins of floe's Move packages abort with the codes the Move source
//! declares. Each abort constant under `devnet/src/floe` and `devnet/src/seal` names the Move
//! constant it copies in its doc comment (`` `module::EName` ``, or `` `EName` `` for the module
//! of the same name as the file; `0x2::...` for the Sui framework's, which are not in this
//! repository). This test reads both sources and holds every copy to its original, as
//! floe-chain's layout contract does for object layouts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the devnet crate lives in the repository").to_owned()
}

/// `const NAME: u64 = VALUE;` at the start of `line` (after any visibility), if it is one.
fn u64_constant(line: &str) -> Option<(&str, u64)> {
    let rest = line.trim_start();
    let rest = rest.strip_prefix("pub(crate) ").or_else(|| rest.strip_prefix("pub ")).unwrap_or(rest);
    let rest = rest.strip_prefix("const ")?;
    let (name, rest) = rest.split_once(':')?;
    let value = rest.trim().strip_prefix("u64")?.trim().strip_prefix('=')?.trim().strip_suffix(';')?;
    Some((name.trim(), value.replace('_', "").parse().ok()?))
}

/// The abort constants (`E...`) each Move module of `package` declares.
fn move_aborts(package: &str) -> BTreeMap<String, BTreeMap<String, u64>> {
    let dir = repo().join("move").join(package).join("sources");
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let module = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        let constants = source
            .lines()
            .filter_map(u64_constant)
            .filter(|(name, _)| name.starts_with('E') && name.chars().nth(1).is_some_and(char::is_uppercase))
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        modules.insert(module, constants);
    }
    modules
}

/// An abort constant of a native twin and the Move constant its doc comment names.
#[derive(Debug)]
struct Copy {
    at: String,
    value: u64,
    /// `None` for the Sui framework's constants.
    module: Option<String>,
    name: String,
}

/// Every `E_...` constant in the Rust files of `dir`, with the Move constant its doc names.
fn native_aborts(dir: &str) -> Vec<Copy> {
    let dir = repo().join("devnet").join("src").join(dir);
    let mut copies = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file_module = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = source.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some((name, value)) = u64_constant(line) else { continue };
            if !name.starts_with("E_") {
                continue;
            }
            let at = format!("{}:{} ({name})", path.display(), i + 1);
            // The doc comment just above, joined, up to the constant.
            let doc: String = lines[..i]
                .iter()
                .rev()
                .take_while(|line| line.trim_start().starts_with("///"))
                .map(|line| line.trim_start().trim_start_matches('/'))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join(" ");
            let named = doc
                .split('`')
                .skip(1)
                .step_by(2)
                .find(|quoted| quoted.rsplit("::").next().is_some_and(|last| last.starts_with('E')))
                .unwrap_or_else(|| panic!("{at}: its doc comment names no Move constant (`module::EName`): {doc:?}"));
            let mut parts: Vec<&str> = named.split("::").collect();
            let name = parts.pop().unwrap().to_owned();
            let module = match parts.as_slice() {
                [] => Some(file_module.clone()),
                ["0x2", _] => None,
                [module] => Some((*module).to_owned()),
                _ => panic!("{at}: cannot read the Move constant {named:?}"),
            };
            copies.push(Copy { at, value, module, name });
        }
    }
    copies
}

fn check(package: &str, dir: &str) -> usize {
    let modules = move_aborts(package);
    let copies = native_aborts(dir);
    let mut wrong = Vec::new();
    for copy in &copies {
        let Some(module) = &copy.module else { continue };
        match modules.get(module).map(|constants| constants.get(&copy.name)) {
            None => wrong.push(format!("{}: names module {module}, which move/{package} does not have", copy.at)),
            Some(None) => wrong.push(format!("{}: move/{package}/{module}.move declares no {}", copy.at, copy.name)),
            Some(Some(&value)) if value != copy.value => wrong.push(format!(
                "{}: is {}, but {module}::{} is {value} in move/{package}",
                copy.at, copy.value, copy.name
            )),
            Some(Some(_)) => {}
        }
    }
    assert!(wrong.is_empty(), "abort codes drifted from the Move source:\n{}", wrong.join("\n"));
    copies.len()
}

#[test]
fn floe_twins_abort_with_the_codes_of_move_floe() {
    assert!(
        check("floe", "floe") >= 60,
        "fewer abort constants than expected: did the layout of devnet/src/floe change?"
    );
}

#[test]
fn seal_twins_abort_with_the_codes_of_move_seal() {
    assert!(check("seal", "seal") >= 10);
}

#[test]
fn a_constant_is_read_with_any_visibility() {
    assert_eq!(u64_constant("const E_X: u64 = 3;"), Some(("E_X", 3)));
    assert_eq!(u64_constant("    pub(crate) const E_X: u64 = 1_000;"), Some(("E_X", 1000)));
    assert_eq!(u64_constant("const EMoveName: u64 = 12;"), Some(("EMoveName", 12)));
    assert_eq!(u64_constant("const X: u8 = 3;"), None);
}

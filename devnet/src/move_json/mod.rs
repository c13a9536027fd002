//! Move values as JSON, as a Sui full node fills the `json` field of objects and events when a
//! read mask asks for it: the type's layout is built from the defining package's bytecode (floe's
//! packages are package objects on the ledger) or, for Move's standard library and the Sui
//! framework, from the table of their datatypes; the value's BCS bytes are read through it
//! ([`value`] states the rendering rules). A type without a layout or bytes that do not match it
//! leave `json` empty, as on a full node; both are logged, since on the devnet they are a defect.

mod layout;
mod value;

use std::collections::HashMap;

use floe_chain::move_bytecode::{CompiledModule, DatatypeDef, read_module};
use sui_sdk_types::{Address, Object, ObjectData, StructTag, TypeTag};

use crate::ledger::Ledger;
use crate::packages::framework_datatypes::{self, STD};
use layout::{Datatypes, LayoutError, layout_of};
use value::to_json;

/// Renders values of the ledger's types; remembers the modules it has read, so one renderer
/// serves a whole response (a checkpoint's events name the same few types over and over).
#[derive(Debug)]
pub(crate) struct JsonRenderer<'l> {
    datatypes: LedgerDatatypes<'l>,
}

impl<'l> JsonRenderer<'l> {
    /// A renderer over `ledger`'s packages.
    pub(crate) fn new(ledger: &'l Ledger) -> Self {
        Self { datatypes: LedgerDatatypes { ledger: Some(ledger), modules: HashMap::new() } }
    }

    /// A renderer that knows only the standard library's and the framework's types (for tests
    /// of code that renders without a chain).
    #[cfg(test)]
    pub(crate) fn framework_only() -> JsonRenderer<'static> {
        JsonRenderer { datatypes: LedgerDatatypes { ledger: None, modules: HashMap::new() } }
    }

    /// A value of type `tag` held in `contents` (an object's or event's BCS bytes), or `None`
    /// when it cannot be rendered.
    pub(crate) fn render(&mut self, tag: &StructTag, contents: &[u8]) -> Option<prost_types::Value> {
        let layout = match layout_of(&mut self.datatypes, &TypeTag::Struct(Box::new(tag.clone()))) {
            Ok(layout) => layout,
            Err(error) => {
                tracing::warn!(%tag, %error, "no layout for a JSON rendering");
                return None;
            }
        };
        to_json(&layout, contents)
            .inspect_err(|error| tracing::warn!(%tag, %error, "bytes do not match their type's layout"))
            .ok()
    }

    /// A Move object's contents; `None` for packages.
    pub(crate) fn object(&mut self, object: &Object) -> Option<prost_types::Value> {
        match object.data() {
            ObjectData::Struct(s) => self.render(s.object_type(), s.contents()),
            ObjectData::Package(_) => None,
        }
    }
}

/// Datatypes from the ledger's package objects, and from the framework table for `0x1`/`0x2`.
#[derive(Debug)]
struct LedgerDatatypes<'l> {
    ledger: Option<&'l Ledger>,
    /// Modules read so far (`None`: the package or module does not exist).
    modules: HashMap<(Address, String), Option<CompiledModule>>,
}

impl Datatypes for LedgerDatatypes<'_> {
    fn datatype(&mut self, package: &Address, module: &str, name: &str) -> Result<DatatypeDef, LayoutError> {
        let unknown = || LayoutError::UnknownDatatype(format!("{package}::{module}::{name}"));
        if *package == STD || *package == Address::TWO {
            return framework_datatypes::datatype_of(package, module, name).ok_or_else(unknown);
        }
        let key = (*package, module.to_owned());
        if !self.modules.contains_key(&key) {
            let compiled = match self.ledger.and_then(|l| l.object(package)).map(|o| o.data().clone()) {
                Some(ObjectData::Package(p)) => match p.modules.iter().find(|(n, _)| n.as_str() == module) {
                    Some((_, bytes)) => Some(read_module(bytes).map_err(|source| LayoutError::Bytecode {
                        package: *package,
                        module: module.to_owned(),
                        source,
                    })?),
                    None => None,
                },
                _ => None,
            };
            self.modules.insert(key.clone(), compiled);
        }
        self.modules[&key].as_ref().and_then(|m| m.datatype(name)).cloned().ok_or_else(unknown)
    }
}

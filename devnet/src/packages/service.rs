//! `MovePackageService`: GetPackage, GetFunction, GetDatatype and ListPackageVersions over the
//! ledger's package objects, and over the table of the Sui framework's natively implemented
//! functions for `0x2`. Errors are precise where a full node's are vague: a missing request field
//! is INVALID_ARGUMENT naming the field; an unknown package, module, function or datatype is
//! NOT_FOUND naming it.

use std::str::FromStr;
use std::sync::Arc;

use floe_chain::move_bytecode::{CompiledModule, read_module};
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::{Address, MovePackage, ObjectData};
use tonic::{Request, Response, Status};

use super::descriptors::{self, UndescribableType};
use super::framework_datatypes::{self as framework_types, STD};
use super::framework_signatures as framework;
use crate::ledger::Ledger;

/// The version the devnet reports for the Sui framework, which it implements natively.
const FRAMEWORK_VERSION: u64 = 1;

/// Serves `MovePackageService` from one ledger.
#[derive(Debug, Clone)]
pub(crate) struct PackageService {
    /// The chain whose package objects are described.
    pub ledger: Arc<Ledger>,
}

fn required<'a>(field: &str, value: &'a Option<String>) -> Result<&'a str, Status> {
    value.as_deref().filter(|v| !v.is_empty()).ok_or_else(|| Status::invalid_argument(format!("missing {field}")))
}

fn package_id(value: &Option<String>) -> Result<Address, Status> {
    let text = required("package_id", value)?;
    Address::from_str(text).map_err(|e| Status::invalid_argument(format!("invalid package_id {text:?}: {e}")))
}

fn undescribable(e: UndescribableType) -> Status {
    Status::internal(e.to_string())
}

/// A package as stored, or Move's standard library or the Sui framework (`0x1`, `0x2`).
enum Source {
    Framework(Address),
    Object(MovePackage),
}

impl PackageService {
    fn source(&self, id: Address) -> Result<Source, Status> {
        if id == STD || id == Address::TWO {
            return Ok(Source::Framework(id));
        }
        match self.ledger.object(&id).map(|o| o.data().clone()) {
            Some(ObjectData::Package(package)) => Ok(Source::Object(package)),
            Some(ObjectData::Struct(_)) => Err(Status::invalid_argument(format!("object {id} is not a package"))),
            None => Err(Status::not_found(format!("package {id} not found"))),
        }
    }

    fn module(package: &MovePackage, name: &str) -> Result<(CompiledModule, Vec<u8>), Status> {
        let bytes = package
            .modules
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| Status::not_found(format!("package {} has no module {name:?}", package.id)))?;
        let module = read_module(&bytes)
            .map_err(|e| Status::internal(format!("module {}::{name} does not read: {e}", package.id)))?;
        Ok((module, bytes))
    }
}

/// `0x1` or `0x2` as the tables describe them: their datatypes, and for `0x2` the natively
/// implemented functions.
fn framework_package(id: Address) -> Result<proto::Package, Status> {
    let mut package = proto::Package::default();
    package.storage_id = Some(id.to_string());
    package.original_id = Some(id.to_string());
    package.version = Some(FRAMEWORK_VERSION);
    let functions: Vec<(&str, &str)> =
        if id == Address::TWO { crate::framework::SuiFramework::FUNCTIONS.functions().collect() } else { vec![] };
    let mut modules = framework_types::modules_of(&id);
    modules.extend(functions.iter().map(|(m, _)| *m));
    modules.sort_unstable();
    modules.dedup();
    for module in modules {
        let mut message = proto::Module::default();
        message.name = Some(module.to_owned());
        for (_, m, name) in framework_types::DATATYPES.iter().filter(|(p, m, _)| *p == id && *m == module) {
            let d = framework_types::datatype_of(&id, m, name).expect("the table lists what it describes");
            message.datatypes.push(descriptors::datatype(&id, m, &d).map_err(undescribable)?);
        }
        for (m, name) in functions.iter().filter(|(m, _)| *m == module) {
            let f = framework::function_of(m, name).expect("the table lists what it describes");
            message.functions.push(descriptors::function(&f).map_err(undescribable)?);
        }
        package.modules.push(message);
    }
    Ok(package)
}

fn object_package(package: &MovePackage) -> Result<proto::Package, Status> {
    let mut message = proto::Package::default();
    message.storage_id = Some(package.id.to_string());
    // The devnet's packages are never upgraded: each is its own original.
    message.original_id = Some(package.id.to_string());
    message.version = Some(package.version);
    for (name, bytes) in &package.modules {
        let module = read_module(bytes)
            .map_err(|e| Status::internal(format!("module {}::{name} does not read: {e}", package.id)))?;
        message.modules.push(descriptors::module(&package.id, &module, bytes).map_err(undescribable)?);
    }
    message.type_origins = package
        .type_origin_table
        .iter()
        .map(|t| {
            let mut m = proto::TypeOrigin::default();
            m.module_name = Some(t.module_name.to_string());
            m.datatype_name = Some(t.struct_name.to_string());
            m.package_id = Some(t.package.to_string());
            m
        })
        .collect();
    message.linkage = package
        .linkage_table
        .iter()
        .map(|(original, info)| {
            let mut m = proto::Linkage::default();
            m.original_id = Some(original.to_string());
            m.upgraded_id = Some(info.upgraded_id.to_string());
            m.upgraded_version = Some(info.upgraded_version);
            m
        })
        .collect();
    Ok(message)
}

#[tonic::async_trait]
impl proto::move_package_service_server::MovePackageService for PackageService {
    async fn get_package(
        &self,
        request: Request<proto::GetPackageRequest>,
    ) -> Result<Response<proto::GetPackageResponse>, Status> {
        let id = package_id(&request.get_ref().package_id)?;
        let package = match self.source(id)? {
            Source::Framework(id) => framework_package(id)?,
            Source::Object(package) => object_package(&package)?,
        };
        let mut response = proto::GetPackageResponse::default();
        response.package = Some(package);
        Ok(Response::new(response))
    }

    async fn get_datatype(
        &self,
        request: Request<proto::GetDatatypeRequest>,
    ) -> Result<Response<proto::GetDatatypeResponse>, Status> {
        let request = request.into_inner();
        let id = package_id(&request.package_id)?;
        let module = required("module_name", &request.module_name)?;
        let name = required("name", &request.name)?;
        let not_found = || Status::not_found(format!("datatype {id}::{module}::{name} not found"));
        let datatype = match self.source(id)? {
            Source::Framework(id) => {
                let d = framework_types::datatype_of(&id, module, name).ok_or_else(not_found)?;
                descriptors::datatype(&id, module, &d)
            }
            Source::Object(package) => {
                let (compiled, _) = Self::module(&package, module)?;
                let d = compiled.datatype(name).ok_or_else(not_found)?;
                descriptors::datatype(&id, module, d)
            }
        }
        .map_err(undescribable)?;
        let mut response = proto::GetDatatypeResponse::default();
        response.datatype = Some(datatype);
        Ok(Response::new(response))
    }

    async fn get_function(
        &self,
        request: Request<proto::GetFunctionRequest>,
    ) -> Result<Response<proto::GetFunctionResponse>, Status> {
        let request = request.into_inner();
        let id = package_id(&request.package_id)?;
        let module = required("module_name", &request.module_name)?;
        let name = required("name", &request.name)?;
        let not_found = || Status::not_found(format!("function {id}::{module}::{name} not found"));
        let function = match self.source(id)? {
            Source::Framework(id) => {
                let f = (id == Address::TWO).then(|| framework::function_of(module, name)).flatten();
                descriptors::function(&f.ok_or_else(not_found)?)
            }
            Source::Object(package) => {
                let (compiled, _) = Self::module(&package, module)?;
                descriptors::function(compiled.function(name).ok_or_else(not_found)?)
            }
        }
        .map_err(undescribable)?;
        let mut response = proto::GetFunctionResponse::default();
        response.function = Some(function);
        Ok(Response::new(response))
    }

    async fn list_package_versions(
        &self,
        request: Request<proto::ListPackageVersionsRequest>,
    ) -> Result<Response<proto::ListPackageVersionsResponse>, Status> {
        let id = package_id(&request.get_ref().package_id)?;
        // Packages on the devnet are never upgraded, so each has exactly one version.
        let version = match self.source(id)? {
            Source::Framework(_) => FRAMEWORK_VERSION,
            Source::Object(package) => package.version,
        };
        let mut entry = proto::PackageVersion::default();
        entry.package_id = Some(id.to_string());
        entry.version = Some(version);
        let mut response = proto::ListPackageVersionsResponse::default();
        response.versions = vec![entry];
        Ok(Response::new(response))
    }
}

//! floe's Move packages as real package objects: GetObject / BatchGetObjects return them with the
//! checked-in bytecode rewritten to their ids, and MovePackageService describes them (and the
//! natively implemented part of the Sui framework) as a full node would.

mod common;

use floe_chain::floe::packages::{FLOE, SEAL, WAL};
use floe_chain::move_bytecode::read_module;
use floe_devnet::{Devnet, FLOE_PACKAGE, SEAL_PACKAGE, WAL_PACKAGE, floe_packages, packages_with};
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::{Address, ObjectData, Owner};

use proto::open_signature::Reference;
use proto::open_signature_body::Type;

async fn start() -> (Devnet, floe_chain::ChainClient, tempfile::TempDir) {
    let alice = floe_chain::Keypair::from_secret_bytes([0xa1; 32]);
    let bob = floe_chain::Keypair::from_secret_bytes([0xb0; 32]);
    let dir = tempfile::tempdir().unwrap();
    let devnet =
        Devnet::start_with(common::config(dir.path(), &alice, &bob), packages_with(floe_packages())).await.unwrap();
    let client = floe_chain::ChainClient::new(&devnet.url()).unwrap();
    (devnet, client, dir)
}

fn function_request(package: Address, module: &str, name: &str) -> proto::GetFunctionRequest {
    let mut request = proto::GetFunctionRequest::default();
    request.package_id = Some(package.to_string());
    request.module_name = Some(module.into());
    request.name = Some(name.into());
    request
}

fn datatype_type_name(body: &proto::OpenSignatureBody) -> &str {
    assert_eq!(body.r#type, Some(Type::Datatype as i32));
    body.type_name.as_deref().unwrap()
}

#[tokio::test]
async fn package_objects_hold_the_checked_in_bytecode_at_their_ids() {
    let (devnet, client, _dir) = start().await;
    for (id, compiled) in [(WAL_PACKAGE, &WAL), (FLOE_PACKAGE, &FLOE), (SEAL_PACKAGE, &SEAL)] {
        let object = client.get_object(id).await.unwrap();
        assert_eq!(*object.owner(), Owner::Immutable);
        let ObjectData::Package(package) = object.data() else { panic!("{id} is not a package") };
        assert_eq!((package.id, package.version), (id, 1));
        assert_eq!(package.modules.len(), compiled.modules.len());
        for (name, bytes) in compiled.modules {
            let stored = package.modules.iter().find(|(n, _)| n.as_str() == *name).unwrap().1;
            // Only the module's own address differs from the checked-in bytes.
            assert_eq!(stored.len(), bytes.len());
            let module = read_module(stored).unwrap();
            assert_eq!(module.address, id);
            assert_eq!(
                floe_chain::move_bytecode::substitute_address(stored, id, Address::ZERO).unwrap(),
                bytes.to_vec(),
                "{id}::{name}"
            );
        }
    }
    // floe's linkage names wal where it lives, and its type origins name floe.
    let ObjectData::Package(floe) = client.get_object(FLOE_PACKAGE).await.unwrap().data().clone() else { panic!() };
    assert_eq!(floe.linkage_table.get(&WAL_PACKAGE).unwrap().upgraded_id, WAL_PACKAGE);
    assert!(floe.linkage_table.contains_key(&Address::TWO));
    let blob_origin = floe.type_origin_table.iter().find(|t| t.struct_name.as_str() == "Blob").unwrap();
    assert_eq!((blob_origin.module_name.as_str(), blob_origin.package), ("blob", FLOE_PACKAGE));

    // BatchGetObjects finds them too.
    let found = client.get_objects(&[WAL_PACKAGE, SEAL_PACKAGE, Address::from_static("0x5f")]).await.unwrap();
    assert!(matches!(found[0].as_ref().unwrap().data(), ObjectData::Package(p) if p.id == WAL_PACKAGE));
    assert!(matches!(found[1].as_ref().unwrap().data(), ObjectData::Package(p) if p.id == SEAL_PACKAGE));
    assert!(found[2].is_err());
    devnet.shutdown().await;
}

#[tokio::test]
async fn get_function_describes_floe_functions_from_their_bytecode() {
    let (devnet, client, _dir) = start().await;
    let mut packages = client.rpc().package_client();
    let f = packages
        .get_function(function_request(FLOE_PACKAGE, "blob", "insert_or_update_attribute"))
        .await
        .unwrap()
        .into_inner()
        .function
        .unwrap();
    assert_eq!(f.name.as_deref(), Some("insert_or_update_attribute"));
    assert_eq!(f.visibility, Some(proto::function_descriptor::Visibility::Public as i32));
    assert_eq!(f.parameters.len(), 3, "{f:?}");
    let blob = &f.parameters[0];
    assert_eq!(blob.reference, Some(Reference::Mutable as i32));
    assert_eq!(datatype_type_name(blob.body.as_ref().unwrap()), format!("{FLOE_PACKAGE}::blob::Blob"));
    for string in &f.parameters[1..] {
        assert_eq!(string.reference, None);
        assert_eq!(
            datatype_type_name(string.body.as_ref().unwrap()),
            format!("{}::string::String", Address::from_static("0x1"))
        );
    }
    assert!(f.returns.is_empty());

    // A function naming wal's type names it at wal's id; the trailing TxContext is the framework's.
    let stake = packages
        .get_function(function_request(FLOE_PACKAGE, "staking", "stake_with_pool"))
        .await
        .unwrap()
        .into_inner()
        .function
        .unwrap();
    let names: Vec<String> = stake
        .parameters
        .iter()
        .map(|p| {
            let body = p.body.as_ref().unwrap();
            let name = body.type_name.clone().unwrap_or_default();
            let args: Vec<String> =
                body.type_parameter_instantiation.iter().filter_map(|a| a.type_name.clone()).collect();
            format!("{name}<{}>", args.join(","))
        })
        .collect();
    assert!(names.iter().any(|n| n == &format!("{}::coin::Coin<{WAL_PACKAGE}::wal::WAL>", Address::TWO)), "{names:?}");
    assert_eq!(names.last().unwrap(), &format!("{}::tx_context::TxContext<>", Address::TWO));

    // Unknown names are NOT_FOUND, naming what was asked.
    let missing = packages.get_function(function_request(FLOE_PACKAGE, "blob", "no_such")).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    assert!(missing.message().contains("blob::no_such"), "{}", missing.message());
    let missing = packages.get_function(function_request(FLOE_PACKAGE, "no_module", "f")).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let missing = packages.get_function(function_request(Address::from_static("0x77"), "m", "f")).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let mut no_name = function_request(FLOE_PACKAGE, "blob", "x");
    no_name.name = None;
    let invalid = packages.get_function(no_name).await.unwrap_err();
    assert_eq!((invalid.code(), invalid.message()), (tonic::Code::InvalidArgument, "missing name"));
    devnet.shutdown().await;
}

#[tokio::test]
async fn get_datatype_and_get_package_describe_structs_and_modules() {
    let (devnet, client, _dir) = start().await;
    let mut packages = client.rpc().package_client();
    let mut request = proto::GetDatatypeRequest::default();
    request.package_id = Some(FLOE_PACKAGE.to_string());
    request.module_name = Some("blob".into());
    request.name = Some("Blob".into());
    let blob = packages.get_datatype(request).await.unwrap().into_inner().datatype.unwrap();
    assert_eq!(blob.type_name, Some(format!("{FLOE_PACKAGE}::blob::Blob")));
    assert_eq!(blob.defining_id, Some(FLOE_PACKAGE.to_string()));
    assert_eq!(blob.kind, Some(proto::datatype_descriptor::DatatypeKind::Struct as i32));
    assert_eq!(blob.abilities, vec![proto::Ability::Store as i32, proto::Ability::Key as i32]);
    // The fields in declaration order, as floe-chain's Rust mirror of Blob has them.
    let fields: Vec<&str> = blob.fields.iter().map(|f| f.name.as_deref().unwrap()).collect();
    assert_eq!(fields[0], "id");
    assert_eq!(blob.fields[0].position, Some(0));
    assert_eq!(datatype_type_name(blob.fields[0].r#type.as_ref().unwrap()), format!("{}::object::UID", Address::TWO));
    assert!(fields.contains(&"blob_id") && fields.contains(&"storage"), "{fields:?}");

    // WAL's one-time witness: drop only.
    let mut request = proto::GetDatatypeRequest::default();
    request.package_id = Some(WAL_PACKAGE.to_string());
    request.module_name = Some("wal".into());
    request.name = Some("WAL".into());
    let wal = packages.get_datatype(request).await.unwrap().into_inner().datatype.unwrap();
    assert_eq!(wal.abilities, vec![proto::Ability::Drop as i32]);

    // GetPackage: every module, with bytecode, type origins and linkage.
    let mut request = proto::GetPackageRequest::default();
    request.package_id = Some(SEAL_PACKAGE.to_string());
    let seal = packages.get_package(request).await.unwrap().into_inner().package.unwrap();
    assert_eq!(seal.storage_id, Some(SEAL_PACKAGE.to_string()));
    assert_eq!(seal.version, Some(1));
    let mut names: Vec<&str> = seal.modules.iter().map(|m| m.name.as_deref().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["allowlist", "identity", "key_server", "owner_policy", "subscription", "time_lock"]);
    let allowlist = seal.modules.iter().find(|m| m.name.as_deref() == Some("allowlist")).unwrap();
    assert_eq!(read_module(allowlist.contents.as_ref().unwrap()).unwrap().address, SEAL_PACKAGE);
    assert!(allowlist.functions.iter().any(|f| f.name.as_deref() == Some("seal_approve")));
    assert!(!seal.type_origins.is_empty() && !seal.linkage.is_empty());

    let mut request = proto::ListPackageVersionsRequest::default();
    request.package_id = Some(WAL_PACKAGE.to_string());
    let versions = packages.list_package_versions(request).await.unwrap().into_inner().versions;
    assert_eq!(versions.len(), 1);
    assert_eq!((versions[0].package_id.clone(), versions[0].version), (Some(WAL_PACKAGE.to_string()), Some(1)));
    devnet.shutdown().await;
}

#[tokio::test]
async fn the_framework_describes_its_native_functions() {
    let (devnet, client, _dir) = start().await;
    let mut packages = client.rpc().package_client();
    let split = packages
        .get_function(function_request(Address::TWO, "coin", "split"))
        .await
        .unwrap()
        .into_inner()
        .function
        .unwrap();
    assert_eq!(split.type_parameters.len(), 1);
    let kinds: Vec<(Option<i32>, Option<i32>)> =
        split.parameters.iter().map(|p| (p.reference, p.body.as_ref().unwrap().r#type)).collect();
    assert_eq!(
        kinds,
        [
            (Some(Reference::Mutable as i32), Some(Type::Datatype as i32)),
            (None, Some(Type::U64 as i32)),
            (Some(Reference::Mutable as i32), Some(Type::Datatype as i32)),
        ]
    );
    let coin = split.parameters[0].body.as_ref().unwrap();
    assert_eq!(coin.type_parameter_instantiation[0].r#type, Some(Type::Parameter as i32));
    assert_eq!(coin.type_parameter_instantiation[0].type_parameter, Some(0));

    let transfer = packages
        .get_function(function_request(Address::TWO, "transfer", "public_transfer"))
        .await
        .unwrap()
        .into_inner()
        .function
        .unwrap();
    assert_eq!(transfer.type_parameters[0].constraints, vec![proto::Ability::Store as i32, proto::Ability::Key as i32]);
    let unknown = packages.get_function(function_request(Address::TWO, "coin", "into_balance")).await.unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);

    let mut request = proto::GetPackageRequest::default();
    request.package_id = Some(Address::TWO.to_string());
    let framework = packages.get_package(request).await.unwrap().into_inner().package.unwrap();
    let coin = framework.modules.iter().find(|m| m.name.as_deref() == Some("coin")).unwrap();
    assert_eq!(coin.functions.len(), 5);
    assert_eq!(coin.datatypes[0].name.as_deref(), Some("Coin"));
    devnet.shutdown().await;
}

/// `floe deploy`'s first step, publishing wal's checked-in bytecode, reaches the devnet as a
/// well-formed Publish transaction; the devnet does not execute Publish yet and says so (before
/// any gas is spent), which is where deploying onto the devnet stops today.
#[tokio::test]
async fn deploying_onto_the_devnet_stops_at_its_missing_publish() {
    let net = common::start().await;
    let params = floe_chain::floe::calls::InitParams {
        n_shards: 10,
        epoch_duration_ms: 60_000,
        max_epochs_ahead: 10,
        max_committee_size: 4,
    };
    let before = net.client.balance(net.alice.address(), &sui_sdk_types::StructTag::sui()).await.unwrap();
    let err = floe_chain::floe::deploy::deploy(&net.client, &net.alice, &params).await.unwrap_err();
    let floe_chain::floe::deploy::DeployError::Execute(floe_chain::ExecuteError::Chain(floe_chain::ClientError::Rpc {
        status,
        ..
    })) = &err
    else {
        panic!("{err}")
    };
    assert_eq!(status.code(), tonic::Code::Unimplemented, "{err}");
    assert!(status.message().contains("Publish"), "{err}");
    let after = net.client.balance(net.alice.address(), &sui_sdk_types::StructTag::sui()).await.unwrap();
    assert_eq!(before, after, "a rejected publication costs nothing");
    net.devnet.shutdown().await;
}

//! A permissioned key server (Seal's mode for paying clients): one seed, a key per client derived
//! from it and registered as the client's own `KeyServer`, each key released only for the
//! client's listed packages.

mod common;

use common::{now_ms, ptb, start};
use floe_devnet::SEAL_PACKAGE;
use floe_keyserver::{
    FetchError, KeyServer, KeyServerConfig, KeyServerInfo, PermissionedClient, ServerMode, fetch_keys,
    register_key_server,
};
use floe_seal::MasterKey;
use floe_seal::session::SessionKey;
use sui_sdk_types::{Address, Argument, Command, Identifier, Input, MoveCall, ProgrammableTransaction};

const SEED: [u8; 32] = [0x5e; 32];
const OTHER_PACKAGE: Address = Address::from_static("0x77");

#[tokio::test]
async fn each_client_gets_its_own_key_for_its_own_packages() {
    let net = start().await;
    let packages = net.devnet.deployment().packages;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // The operator registers each client's derived public key as that client's KeyServer.
    let mut ids = Vec::new();
    for index in 0..2 {
        let public_key = MasterKey::derive_from_seed(&SEED, index).public_key();
        ids.push(
            register_key_server(&net.client, &packages, &net.alice, &format!("client-{index}"), &url, &public_key)
                .await
                .unwrap(),
        );
    }
    let clients = vec![
        PermissionedClient::derived(&SEED, 0, "client-0", ids[0], vec![SEAL_PACKAGE]),
        PermissionedClient::derived(&SEED, 1, "client-1", ids[1], vec![OTHER_PACKAGE]),
    ];
    let server =
        KeyServer::serve(listener, KeyServerConfig::with_mode(ServerMode::Permissioned(clients), net.client.clone()))
            .unwrap();
    let first = KeyServerInfo::from_chain(&net.client, ids[0]).await.unwrap();
    let second = KeyServerInfo::from_chain(&net.client, ids[1]).await.unwrap();
    assert_ne!(first.public_key, second.public_key);
    // /v1/service?service_id= proves possession of each client's key.
    first.verify_service(&net.http).await.unwrap();
    second.verify_service(&net.http).await.unwrap();
    let answer = net.http.get(format!("{url}/v1/service")).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 400, "two keys: the service id must be named");

    // Client 0's package: Bob's own key id is released under client 0's key, which verifies
    // against client 0's registration and not against client 1's.
    let approve = ptb(|tx| net.seal().owner_seal_approve(tx, net.bob.address().as_bytes()));
    let session = net.session(&net.bob);
    let keys = wait_fresh(|| fetch_keys(&net.http, std::slice::from_ref(&first), 1, &session, &approve)).await;
    assert_eq!(keys.unwrap().len(), 1);
    let mismatched = fetch_keys(&net.http, std::slice::from_ref(&second), 1, &session, &approve).await;
    assert!(matches!(mismatched, Err(FetchError::NotEnoughServers { answered: 0, .. })), "{mismatched:?}");

    // A package no client listed is refused before any check or chain call.
    let foreign = other_package_ptb(net.bob.address().as_bytes());
    let foreign_session = SessionKey::create(
        &common::wallet(&net.bob),
        net.bob.address(),
        OTHER_PACKAGE,
        10,
        now_ms(),
        &mut rand::thread_rng(),
    )
    .unwrap();
    let unlisted = ProgrammableTransaction {
        commands: vec![Command::MoveCall(MoveCall { package: Address::from_static("0x99"), ..call() })],
        ..foreign.clone()
    };
    match fetch_keys(&net.http, std::slice::from_ref(&second), 1, &foreign_session, &unlisted).await {
        Err(FetchError::NotEnoughServers { failures, .. }) => {
            assert!(
                failures[0].reason.to_string().contains("400")
                    && failures[0].reason.to_string().contains("UnsupportedPackageId"),
                "{failures:?}"
            );
        }
        other => panic!("expected UnsupportedPackageId, got {other:?}"),
    }
    server.shutdown().await;
    net.shutdown().await;
}

fn call() -> MoveCall {
    MoveCall {
        package: OTHER_PACKAGE,
        module: Identifier::from_static("owner_policy"),
        function: Identifier::from_static("seal_approve"),
        type_arguments: vec![],
        arguments: vec![Argument::Input(0)],
    }
}

fn other_package_ptb(id: &[u8]) -> ProgrammableTransaction {
    ProgrammableTransaction {
        inputs: vec![Input::Pure(bcs::to_bytes(&id.to_vec()).unwrap())],
        commands: vec![Command::MoveCall(call())],
    }
}

/// Retries while the new server has not read a checkpoint yet (it answers 503 `Failure` until
/// its first poll of the chain).
async fn wait_fresh<T, F: std::future::Future<Output = Result<T, FetchError>>>(
    attempt: impl Fn() -> F,
) -> Result<T, FetchError> {
    for _ in 0..50 {
        match attempt().await {
            Err(FetchError::NotEnoughServers { failures, .. })
                if failures.iter().any(|f| f.reason.to_string().contains("503")) =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
    attempt().await
}

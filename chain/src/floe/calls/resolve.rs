//! Completing a deployment description for calls: it names the System and Staking objects but
//! not the versions at which they became shared, which every shared input needs, so they are
//! read from the chain once.

use sui_sdk_types::Address;

use super::{FloeCalls, SharedObject, SharedObjectError};
use crate::client::{ChainClient, ClientError};
use crate::deployment::Deployment;

/// Why a shared object could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// Reading the object failed (not found, or the node could not be reached).
    #[error("reading shared object {id}: {source}")]
    Read {
        /// The object.
        id: Address,
        /// The client's error.
        source: ClientError,
    },
    /// The object exists but is not shared.
    #[error(transparent)]
    NotShared(#[from] SharedObjectError),
}

impl SharedObject {
    /// Reads the object and its initial shared version from the chain.
    pub async fn read(client: &ChainClient, id: Address) -> Result<Self, ResolveError> {
        let object = client.get_object(id).await.map_err(|source| ResolveError::Read { id, source })?;
        Ok(Self::from_object(&object)?)
    }
}

impl FloeCalls {
    /// Calls for a deployment, with its System and Staking objects resolved on `client`.
    pub async fn resolve(client: &ChainClient, deployment: &Deployment) -> Result<Self, ResolveError> {
        let system = SharedObject::read(client, deployment.system_object).await?;
        let staking = SharedObject::read(client, deployment.staking_object).await?;
        Ok(Self::new(&deployment.packages, system, staking))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use sui_rpc::proto::sui::rpc::v2 as proto;
    use sui_sdk_types::{Digest, MoveStruct, Object, ObjectData, Owner, StructTag};
    use tonic::{Request, Response, Status};

    use super::*;
    use crate::deployment::Packages;

    /// A node that knows a few objects and answers `GetObject` only.
    struct Objects(HashMap<Address, Object>);

    #[tonic::async_trait]
    impl proto::ledger_service_server::LedgerService for Objects {
        async fn get_object(
            &self,
            request: Request<proto::GetObjectRequest>,
        ) -> Result<Response<proto::GetObjectResponse>, Status> {
            let id: Address = request
                .into_inner()
                .object_id
                .unwrap_or_default()
                .parse()
                .map_err(|_| Status::invalid_argument("object id"))?;
            let object = self.0.get(&id).ok_or_else(|| Status::not_found("no such object"))?;
            let mut response = proto::GetObjectResponse::default();
            response.object = Some(proto::Object::from(object.clone()));
            Ok(Response::new(response))
        }
    }

    fn object(id: u8, owner: Owner) -> Object {
        let mut contents = vec![id; 32];
        contents.extend(1u64.to_le_bytes());
        let data = MoveStruct::new(StructTag::sui(), false, 7, contents).expect("contents start with an id");
        Object::new(ObjectData::Struct(data), owner, Digest::ZERO, 0)
    }

    async fn serve(objects: Vec<Object>) -> ChainClient {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let service = Objects(objects.into_iter().map(|object| (object.object_id(), object)).collect());
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(proto::ledger_service_server::LedgerServiceServer::new(service))
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
        );
        ChainClient::new(&url).unwrap()
    }

    fn deployment(system: u8, staking: u8) -> Deployment {
        Deployment {
            chain_id: "test".into(),
            rpc_url: String::new(),
            packages: Packages { wal: Address::new([0xa1; 32]), floe: Address::new([0xf1; 32]), seal: Address::ZERO },
            system_object: Address::new([system; 32]),
            staking_object: Address::new([staking; 32]),
        }
    }

    #[tokio::test]
    async fn resolves_the_initial_shared_versions_of_system_and_staking() {
        let client = serve(vec![object(0x51, Owner::Shared(3)), object(0x52, Owner::Shared(5))]).await;
        let calls = FloeCalls::resolve(&client, &deployment(0x51, 0x52)).await.unwrap();
        assert_eq!(calls.package, Address::new([0xf1; 32]));
        assert_eq!(calls.system, SharedObject::new(Address::new([0x51; 32]), 3));
        assert_eq!(calls.staking, SharedObject::new(Address::new([0x52; 32]), 5));
        assert_eq!(calls.clock, SharedObject::CLOCK);
    }

    #[tokio::test]
    async fn a_missing_or_owned_object_is_named_in_the_error() {
        let client = serve(vec![object(0x51, Owner::Shared(3)), object(0x52, Owner::Address(Address::ZERO))]).await;
        let err = FloeCalls::resolve(&client, &deployment(0x51, 0x52)).await.unwrap_err();
        assert!(matches!(err, ResolveError::NotShared(SharedObjectError { id, .. }) if id == Address::new([0x52; 32])));
        let err = FloeCalls::resolve(&client, &deployment(0x51, 0x53)).await.unwrap_err();
        assert!(matches!(err, ResolveError::Read { id, .. } if id == Address::new([0x53; 32])), "{err}");
    }
}

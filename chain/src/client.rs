//! A client for any Sui full node speaking gRPC API v2 (a real network or floe-devnet).

use std::time::Duration;

use prost_types::FieldMask;
use sui_rpc::field::FieldMaskUtil;
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::{Address, Digest, Object, StructTag, Transaction, TransactionEffectsV2, UserSignature};

use crate::checkpoint::{Checkpoint, CheckpointDecodeError};
use crate::executed::{Executed, ExecutionFailure, effects_v2};
use crate::keys::{KeyError, Keypair};

/// How long `execute` waits for the transaction's checkpoint.
const CHECKPOINT_WAIT: Duration = Duration::from_secs(30);
/// How often `execute` asks whether the transaction is checkpointed yet.
const CHECKPOINT_POLL: Duration = Duration::from_millis(50);
/// The fields `execute` reads from an executed transaction.
const EXECUTED_FIELDS: &[&str] = &["digest", "effects.bcs", "events.bcs", "checkpoint"];
/// Page size for listing owned objects.
const PAGE_SIZE: u32 = 500;

/// What went wrong talking to a node.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The endpoint URL is not usable.
    #[error("invalid RPC endpoint {url}: {reason}")]
    Endpoint {
        /// The URL given.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The node answered with a gRPC error.
    #[error("{call} failed: {status}")]
    Rpc {
        /// The RPC that failed.
        call: &'static str,
        /// The node's status (code and message).
        status: Box<tonic::Status>,
    },
    /// The object does not exist.
    #[error("object {0} not found")]
    ObjectNotFound(Address),
    /// The node's answer lacks a field or carries bytes that do not decode.
    #[error("malformed answer to {call}: {reason}")]
    Malformed {
        /// The RPC whose answer was malformed.
        call: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// A checkpoint did not decode.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointDecodeError),
    /// The transaction executed but failed (for example a Move abort); gas was charged.
    #[error("{0}")]
    ExecutionFailed(Box<ExecutionFailure>),
    /// The transaction executed but its checkpoint did not arrive in time.
    #[error("transaction {digest} executed but was not checkpointed within {waited:?}")]
    CheckpointTimeout {
        /// The transaction digest.
        digest: Digest,
        /// How long we waited.
        waited: Duration,
    },
    /// Signing failed.
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl ClientError {
    pub(crate) fn rpc(call: &'static str, status: tonic::Status) -> Self {
        Self::Rpc { call, status: Box::new(status) }
    }

    pub(crate) fn malformed(call: &'static str, reason: impl Into<String>) -> Self {
        Self::Malformed { call, reason: reason.into() }
    }

    /// The Move abort behind this error, if it is one.
    pub fn move_abort(&self) -> Option<crate::executed::MoveAbort> {
        match self {
            Self::ExecutionFailed(failure) => failure.move_abort(),
            _ => None,
        }
    }

    /// The gRPC status code, if the node answered with an error.
    pub fn code(&self) -> Option<tonic::Code> {
        match self {
            Self::Rpc { status, .. } => Some(status.code()),
            _ => None,
        }
    }
}

/// What `GetServiceInfo` reports about a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The chain identifier (base58 genesis checkpoint digest).
    pub chain_id: String,
    /// The chain name.
    pub chain: String,
    /// The current epoch.
    pub epoch: u64,
    /// The newest checkpoint.
    pub checkpoint_height: u64,
}

/// A cheap-to-clone client of one Sui full node.
#[derive(Clone)]
pub struct ChainClient {
    rpc: sui_rpc::Client,
    url: String,
}

impl std::fmt::Debug for ChainClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainClient").field("url", &self.url).finish()
    }
}

fn mask(paths: &[&str]) -> FieldMask {
    FieldMask::from_paths(paths.iter().copied())
}

fn parse_object(call: &'static str, object: &proto::Object) -> Result<Object, ClientError> {
    let bytes = object
        .bcs
        .as_ref()
        .and_then(|b| b.value.as_ref())
        .ok_or_else(|| ClientError::malformed(call, "object without bcs"))?;
    bcs::from_bytes(bytes).map_err(|e| ClientError::malformed(call, format!("object bcs: {e}")))
}

impl ChainClient {
    /// A client of the node at `url` (`http://` for plaintext, `https://` for TLS). Connects
    /// lazily, on the first call.
    pub fn new(url: &str) -> Result<Self, ClientError> {
        let rpc = sui_rpc::Client::new(url.to_owned())
            .map_err(|status| ClientError::Endpoint { url: url.to_owned(), reason: status.message().to_owned() })?;
        Ok(Self { rpc, url: url.to_owned() })
    }

    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The underlying `sui-rpc` client, for calls this type does not wrap.
    pub fn rpc(&self) -> sui_rpc::Client {
        self.rpc.clone()
    }

    /// Chain id, epoch and checkpoint height.
    pub async fn service_info(&self) -> Result<ServiceInfo, ClientError> {
        let info = self
            .rpc
            .clone()
            .ledger_client()
            .get_service_info(proto::GetServiceInfoRequest::default())
            .await
            .map_err(|s| ClientError::rpc("GetServiceInfo", s))?
            .into_inner();
        Ok(ServiceInfo {
            chain_id: info.chain_id.unwrap_or_default(),
            chain: info.chain.unwrap_or_default(),
            epoch: info.epoch.unwrap_or_default(),
            checkpoint_height: info.checkpoint_height.unwrap_or_default(),
        })
    }

    /// The current reference gas price.
    pub async fn reference_gas_price(&self) -> Result<u64, ClientError> {
        self.rpc.clone().get_reference_gas_price().await.map_err(|s| ClientError::rpc("GetEpoch", s))
    }

    /// The newest version of an object.
    pub async fn get_object(&self, id: Address) -> Result<Object, ClientError> {
        let request = proto::GetObjectRequest::new(&id).with_read_mask(mask(&["bcs"]));
        match self.rpc.clone().ledger_client().get_object(request).await {
            Ok(response) => {
                let object =
                    response.into_inner().object.ok_or_else(|| ClientError::malformed("GetObject", "no object"))?;
                parse_object("GetObject", &object)
            }
            Err(status) if status.code() == tonic::Code::NotFound => Err(ClientError::ObjectNotFound(id)),
            Err(status) => Err(ClientError::rpc("GetObject", status)),
        }
    }

    /// The newest versions of several objects, one result per id in order.
    pub async fn get_objects(&self, ids: &[Address]) -> Result<Vec<Result<Object, ClientError>>, ClientError> {
        let request = proto::BatchGetObjectsRequest::default()
            .with_requests(ids.iter().map(proto::GetObjectRequest::new).collect::<Vec<_>>())
            .with_read_mask(mask(&["bcs"]));
        let response = self
            .rpc
            .clone()
            .ledger_client()
            .batch_get_objects(request)
            .await
            .map_err(|s| ClientError::rpc("BatchGetObjects", s))?
            .into_inner();
        if response.objects.len() != ids.len() {
            return Err(ClientError::malformed(
                "BatchGetObjects",
                format!("{} results for {} ids", response.objects.len(), ids.len()),
            ));
        }
        Ok(response
            .objects
            .iter()
            .zip(ids)
            .map(|(result, id)| match &result.result {
                Some(proto::get_object_result::Result::Object(object)) => parse_object("BatchGetObjects", object),
                Some(proto::get_object_result::Result::Error(status))
                    if status.code == tonic::Code::NotFound as i32 =>
                {
                    Err(ClientError::ObjectNotFound(*id))
                }
                Some(proto::get_object_result::Result::Error(status)) => Err(ClientError::rpc(
                    "BatchGetObjects",
                    tonic::Status::new(status.code.into(), status.message.clone()),
                )),
                _ => Err(ClientError::malformed("BatchGetObjects", "empty result")),
            })
            .collect())
    }

    /// Every object `owner` owns whose type matches `object_type` (a struct tag without type
    /// parameters matches all instantiations), following pagination to the end.
    pub async fn owned_objects(
        &self,
        owner: Address,
        object_type: Option<&StructTag>,
    ) -> Result<Vec<Object>, ClientError> {
        let mut objects = Vec::new();
        let mut page_token = None;
        loop {
            let mut request = proto::ListOwnedObjectsRequest::default()
                .with_owner(owner.to_string())
                .with_page_size(PAGE_SIZE)
                .with_read_mask(mask(&["bcs"]));
            if let Some(t) = object_type {
                request.object_type = Some(t.to_string());
            }
            request.page_token = page_token.take();
            let page = self
                .rpc
                .clone()
                .state_client()
                .list_owned_objects(request)
                .await
                .map_err(|s| ClientError::rpc("ListOwnedObjects", s))?
                .into_inner();
            for object in &page.objects {
                objects.push(parse_object("ListOwnedObjects", object)?);
            }
            match page.next_page_token {
                Some(token) if !token.is_empty() => page_token = Some(token),
                _ => return Ok(objects),
            }
        }
    }

    /// The total balance of `coin_type` (e.g. `0x2::sui::SUI`) that `owner` holds.
    pub async fn balance(&self, owner: Address, coin_type: &StructTag) -> Result<u64, ClientError> {
        let request =
            proto::GetBalanceRequest::default().with_owner(owner.to_string()).with_coin_type(coin_type.to_string());
        let response = self
            .rpc
            .clone()
            .state_client()
            .get_balance(request)
            .await
            .map_err(|s| ClientError::rpc("GetBalance", s))?
            .into_inner();
        Ok(response.balance.and_then(|b| b.balance).unwrap_or(0))
    }

    /// Signs `transaction` with `key` and executes it; see [`ChainClient::execute`].
    pub async fn sign_and_execute(&self, transaction: &Transaction, key: &Keypair) -> Result<Executed, ClientError> {
        let signature = key.sign_transaction(transaction)?;
        self.execute(transaction, vec![signature]).await
    }

    /// Executes a signed transaction and waits until it is in a checkpoint. A transaction that
    /// executed but failed (e.g. a Move abort) is returned as [`ClientError::ExecutionFailed`].
    ///
    /// Waiting polls `GetTransaction` rather than opening a checkpoint subscription per call:
    /// thousands of short-lived subscriptions on one HTTP/2 connection trip h2's reset limit.
    pub async fn execute(
        &self,
        transaction: &Transaction,
        signatures: Vec<UserSignature>,
    ) -> Result<Executed, ClientError> {
        const CALL: &str = "ExecuteTransaction";
        let digest = transaction.digest();
        let request = proto::ExecuteTransactionRequest::default()
            .with_transaction(proto::Transaction::from(transaction.clone()))
            .with_signatures(signatures.into_iter().map(proto::UserSignature::from).collect::<Vec<_>>())
            .with_read_mask(mask(EXECUTED_FIELDS));
        let executed = self
            .rpc
            .clone()
            .execution_client()
            .execute_transaction(request)
            .await
            .map_err(|s| ClientError::rpc(CALL, s))?
            .into_inner()
            .transaction
            .ok_or_else(|| ClientError::malformed(CALL, "no transaction in the answer"))?;
        let executed = match executed.checkpoint {
            Some(_) => executed,
            None => self.wait_for_checkpoint(digest).await?,
        };
        decode_executed(CALL, &executed, digest)
    }

    /// Polls `GetTransaction` until the transaction is in a checkpoint.
    async fn wait_for_checkpoint(&self, digest: Digest) -> Result<proto::ExecutedTransaction, ClientError> {
        const CALL: &str = "GetTransaction";
        let deadline = tokio::time::Instant::now() + CHECKPOINT_WAIT;
        let mut ledger = self.rpc.clone().ledger_client();
        loop {
            let request = proto::GetTransactionRequest::new(&digest).with_read_mask(mask(EXECUTED_FIELDS));
            match ledger.get_transaction(request).await {
                Ok(response) => {
                    if let Some(executed) = response.into_inner().transaction
                        && executed.checkpoint.is_some()
                    {
                        return Ok(executed);
                    }
                }
                // Not indexed yet.
                Err(status) if status.code() == tonic::Code::NotFound => {}
                Err(status) => return Err(ClientError::rpc(CALL, status)),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClientError::CheckpointTimeout { digest, waited: CHECKPOINT_WAIT });
            }
            tokio::time::sleep(CHECKPOINT_POLL).await;
        }
    }

    /// Simulates `transaction` without a signature and without committing anything (the node's
    /// `SimulateTransaction`): its effects, or [`ClientError::ExecutionFailed`] when it would
    /// fail (e.g. a Move abort). A key server asks this to evaluate a `seal_approve*` call.
    pub async fn simulate(&self, transaction: &Transaction) -> Result<TransactionEffectsV2, ClientError> {
        const CALL: &str = "SimulateTransaction";
        let request = proto::SimulateTransactionRequest::default()
            .with_transaction(proto::Transaction::from(transaction.clone()))
            .with_read_mask(mask(&["transaction.effects.bcs"]));
        let executed = self
            .rpc
            .clone()
            .execution_client()
            .simulate_transaction(request)
            .await
            .map_err(|s| ClientError::rpc(CALL, s))?
            .into_inner()
            .transaction
            .ok_or_else(|| ClientError::malformed(CALL, "no transaction in the answer"))?;
        let effects_bcs = executed
            .effects
            .as_ref()
            .and_then(|e| e.bcs.as_ref())
            .and_then(|b| b.value.as_ref())
            .ok_or_else(|| ClientError::malformed(CALL, "no effects bcs"))?;
        let effects = bcs::from_bytes(effects_bcs)
            .ok()
            .and_then(effects_v2)
            .ok_or_else(|| ClientError::malformed(CALL, "effects bcs is not v2 effects"))?;
        if let sui_sdk_types::ExecutionStatus::Failure { error, command } = &effects.status {
            let failure = ExecutionFailure {
                digest: transaction.digest(),
                command: *command,
                error: error.clone(),
                effects: effects.clone(),
            };
            return Err(ClientError::ExecutionFailed(Box::new(failure)));
        }
        Ok(effects)
    }

    /// The chain's time: the timestamp of its newest checkpoint, which the `Clock` of the next
    /// transactions reads at least (a full node seals checkpoints every fraction of a second, the
    /// devnet at least every second, also when idle).
    pub async fn chain_time(&self) -> Result<crate::ClockTime, ClientError> {
        const CALL: &str = "GetCheckpoint";
        let request = proto::GetCheckpointRequest::default().with_read_mask(mask(&["summary.bcs"]));
        let checkpoint = self
            .rpc
            .clone()
            .ledger_client()
            .get_checkpoint(request)
            .await
            .map_err(|s| ClientError::rpc(CALL, s))?
            .into_inner()
            .checkpoint
            .ok_or_else(|| ClientError::malformed(CALL, "no checkpoint"))?;
        let summary = checkpoint
            .summary
            .as_ref()
            .and_then(|s| s.bcs.as_ref())
            .and_then(|b| b.value.as_ref())
            .ok_or_else(|| ClientError::malformed(CALL, "no summary bcs"))?;
        let summary: sui_sdk_types::CheckpointSummary =
            bcs::from_bytes(summary).map_err(|e| ClientError::malformed(CALL, format!("summary bcs: {e}")))?;
        Ok(crate::ClockTime(summary.timestamp_ms))
    }

    /// One checkpoint with its transactions, effects and events; `None` if it does not exist yet.
    pub async fn get_checkpoint(&self, sequence_number: u64) -> Result<Option<Checkpoint>, ClientError> {
        let request = proto::GetCheckpointRequest::by_sequence_number(sequence_number)
            .with_read_mask(mask(crate::checkpoint::CHECKPOINT_FIELDS));
        match self.rpc.clone().ledger_client().get_checkpoint(request).await {
            Ok(response) => {
                let checkpoint = response
                    .into_inner()
                    .checkpoint
                    .ok_or_else(|| ClientError::malformed("GetCheckpoint", "no checkpoint"))?;
                Ok(Some(Checkpoint::try_from(&checkpoint)?))
            }
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(ClientError::rpc("GetCheckpoint", status)),
        }
    }
}

/// Decodes effects and events of an executed transaction; a failed execution becomes an error.
fn decode_executed(
    call: &'static str,
    executed: &proto::ExecutedTransaction,
    digest: Digest,
) -> Result<Executed, ClientError> {
    let effects_bcs = executed
        .effects
        .as_ref()
        .and_then(|e| e.bcs.as_ref())
        .and_then(|b| b.value.as_ref())
        .ok_or_else(|| ClientError::malformed(call, "no effects bcs"))?;
    let effects = bcs::from_bytes(effects_bcs)
        .ok()
        .and_then(effects_v2)
        .ok_or_else(|| ClientError::malformed(call, "effects bcs is not v2 effects"))?;
    let events = match executed.events.as_ref().and_then(|e| e.bcs.as_ref()) {
        Some(b) => {
            let events: sui_sdk_types::TransactionEvents = bcs::from_bytes(b.value.as_deref().unwrap_or_default())
                .map_err(|e| ClientError::malformed(call, format!("events bcs: {e}")))?;
            events.0
        }
        None => Vec::new(),
    };
    if let sui_sdk_types::ExecutionStatus::Failure { error, command } = &effects.status {
        let failure = ExecutionFailure { digest, command: *command, error: error.clone(), effects: effects.clone() };
        return Err(ClientError::ExecutionFailed(Box::new(failure)));
    }
    let checkpoint = executed.checkpoint.ok_or_else(|| ClientError::malformed(call, "no checkpoint in the answer"))?;
    Ok(Executed { digest, checkpoint, effects, events })
}

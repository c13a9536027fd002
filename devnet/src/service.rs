//! The gRPC services: the subset of Sui's API v2 that floe uses, answered from the ledger.

use std::collections::VecDeque;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use sui_rpc::proto::google::rpc::Status as RpcStatus;
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_rpc::proto::timestamp_ms_to_proto;
use sui_sdk_types::{Address, Digest, StructTag, Transaction, UserSignature};
use tokio::sync::watch;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

use crate::admission::Rejection;
use crate::ledger::{ExecuteError, Ledger};
use crate::move_json::JsonRenderer;
use crate::render;

const DEFAULT_PAGE_SIZE: u32 = 50;
const MAX_PAGE_SIZE: u32 = 1000;

/// Implements the gRPC services over one ledger.
#[derive(Debug, Clone)]
pub(crate) struct DevnetService {
    pub ledger: Arc<Ledger>,
    /// Where `ExecuteTransaction` queues transactions.
    pub submitter: crate::sequencer::Submitter,
    /// Flips to `true` when the server shuts down, ending open subscriptions.
    pub closing: watch::Receiver<bool>,
    /// The checkpoints last sent to subscribers.
    pub rendered: Arc<RenderedCheckpoints>,
}

/// The checkpoints last rendered for subscribers, by sequence number and read mask. Every
/// storage node of a local network follows the chain with the same mask: rendered for each of a
/// hundred followers, a checkpoint cost the devnet more than executing its transactions.
#[derive(Debug, Default)]
pub(crate) struct RenderedCheckpoints(Mutex<VecDeque<Rendered>>);

/// A rendered checkpoint: its sequence number, the read mask's paths, and what they show.
type Rendered = (u64, Vec<String>, Arc<proto::Checkpoint>);

/// How many rendered checkpoints are kept: subscribers that lag further render their own.
const RENDERED_KEPT: usize = 16;

impl RenderedCheckpoints {
    /// Checkpoint `sequence_number` as read mask `mask` (its paths) shows it: the one rendered
    /// before for the same mask, or `render`'s, kept for the next subscriber.
    fn get_or_render(
        &self,
        sequence_number: u64,
        mask: &[String],
        render: impl FnOnce() -> proto::Checkpoint,
    ) -> proto::Checkpoint {
        let found = self.entries().iter().find(|(seq, paths, _)| *seq == sequence_number && paths == mask).cloned();
        if let Some((_, _, rendered)) = found {
            return (*rendered).clone();
        }
        // Rendered outside the lock: two subscribers may both render it; both get the same.
        let rendered = render();
        let mut entries = self.entries();
        entries.push_back((sequence_number, mask.to_vec(), Arc::new(rendered.clone())));
        if entries.len() > RENDERED_KEPT {
            entries.pop_front();
        }
        rendered
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, VecDeque<Rendered>> {
        self.0.lock().unwrap_or_else(|poison| poison.into_inner())
    }
}

fn invalid(what: &str, detail: impl std::fmt::Display) -> Status {
    Status::invalid_argument(format!("invalid {what}: {detail}"))
}

fn parse_address(field: &str, value: Option<&String>) -> Result<Address, Status> {
    let value = value.ok_or_else(|| Status::invalid_argument(format!("missing {field}")))?;
    Address::from_str(value).map_err(|e| invalid(field, format!("{value:?}: {e}")))
}

fn parse_struct_tag(field: &str, value: &str) -> Result<StructTag, Status> {
    StructTag::from_str(value).map_err(|e| invalid(field, format!("{value:?}: {e}")))
}

pub(crate) fn rejection_status(rejection: &Rejection) -> Status {
    Status::new(rejection.code(), rejection.to_string())
}

fn decode_transaction(transaction: Option<&proto::Transaction>) -> Result<Transaction, Status> {
    let transaction = transaction.ok_or_else(|| Status::invalid_argument("missing transaction"))?;
    Transaction::try_from(transaction).map_err(|e| invalid("transaction", e))
}

#[tonic::async_trait]
impl proto::ledger_service_server::LedgerService for DevnetService {
    async fn get_service_info(
        &self,
        _request: Request<proto::GetServiceInfoRequest>,
    ) -> Result<Response<proto::GetServiceInfoResponse>, Status> {
        let tip = self.ledger.tip();
        let timestamp = self.ledger.checkpoint(tip).map(|(c, _)| c.summary.timestamp_ms).unwrap_or(0);
        let mut info = proto::GetServiceInfoResponse::default();
        info.chain_id = Some(self.ledger.chain_id());
        info.chain = Some(self.ledger.chain().to_owned());
        info.epoch = Some(self.ledger.epoch());
        info.checkpoint_height = Some(tip);
        info.timestamp = Some(timestamp_ms_to_proto(timestamp));
        info.lowest_available_checkpoint = Some(0);
        info.lowest_available_checkpoint_objects = Some(0);
        info.server = Some(format!("floe-devnet/{}", env!("CARGO_PKG_VERSION")));
        Ok(Response::new(info))
    }

    async fn get_epoch(
        &self,
        request: Request<proto::GetEpochRequest>,
    ) -> Result<Response<proto::GetEpochResponse>, Status> {
        let request = request.into_inner();
        let mask = render::mask_or(request.read_mask.as_ref(), "epoch");
        let epoch = crate::epoch_info::epoch(&self.ledger, request.epoch, &mask).ok_or_else(|| {
            Status::not_found(format!(
                "epoch {} not available, current epoch is {}",
                request.epoch.unwrap_or_default(),
                self.ledger.epoch()
            ))
        })?;
        let mut response = proto::GetEpochResponse::default();
        response.epoch = Some(epoch);
        Ok(Response::new(response))
    }

    async fn get_object(
        &self,
        request: Request<proto::GetObjectRequest>,
    ) -> Result<Response<proto::GetObjectResponse>, Status> {
        let request = request.into_inner();
        let mask = render::mask_or(request.read_mask.as_ref(), "object_id,version,digest");
        let object = self.lookup(&request).map_err(|s| Status::new(s.code.into(), s.message))?;
        let mut response = proto::GetObjectResponse::default();
        response.object = Some(render::object(&object, &mask, &mut JsonRenderer::new(&self.ledger)));
        Ok(Response::new(response))
    }

    async fn batch_get_objects(
        &self,
        request: Request<proto::BatchGetObjectsRequest>,
    ) -> Result<Response<proto::BatchGetObjectsResponse>, Status> {
        let request = request.into_inner();
        let mask = render::mask_or(request.read_mask.as_ref(), "object_id,version,digest");
        let mut json = JsonRenderer::new(&self.ledger);
        let objects = request
            .requests
            .iter()
            .map(|item| match self.lookup(item) {
                Ok(object) => proto::GetObjectResult::new_object(render::object(&object, &mask, &mut json)),
                Err(status) => proto::GetObjectResult::new_error(status),
            })
            .collect();
        Ok(Response::new(proto::BatchGetObjectsResponse::new(objects)))
    }

    async fn get_transaction(
        &self,
        request: Request<proto::GetTransactionRequest>,
    ) -> Result<Response<proto::GetTransactionResponse>, Status> {
        let request = request.into_inner();
        let text = request.digest.as_deref().ok_or_else(|| Status::invalid_argument("missing digest"))?;
        let digest = Digest::from_str(text).map_err(|e| invalid("digest", format!("{text:?}: {e}")))?;
        let record = self
            .ledger
            .transaction(&digest)
            .ok_or_else(|| Status::not_found(format!("transaction {digest} not found")))?;
        let mask = render::mask_or(request.read_mask.as_ref(), "digest");
        let executed = render::executed(&record, &mask, &mut JsonRenderer::new(&self.ledger));
        Ok(Response::new(proto::GetTransactionResponse::new(executed)))
    }

    async fn get_checkpoint(
        &self,
        request: Request<proto::GetCheckpointRequest>,
    ) -> Result<Response<proto::GetCheckpointResponse>, Status> {
        let request = request.into_inner();
        let sequence_number = match &request.checkpoint_id {
            None => self.ledger.tip(),
            Some(proto::get_checkpoint_request::CheckpointId::SequenceNumber(n)) => *n,
            Some(proto::get_checkpoint_request::CheckpointId::Digest(text)) => {
                let digest =
                    Digest::from_str(text).map_err(|e| invalid("checkpoint digest", format!("{text:?}: {e}")))?;
                (0..=self.ledger.tip())
                    .rev()
                    .find(|n| self.ledger.checkpoint(*n).is_some_and(|(c, _)| c.summary.digest() == digest))
                    .ok_or_else(|| Status::not_found(format!("checkpoint {digest} not found")))?
            }
            Some(_) => return Err(Status::invalid_argument("unknown checkpoint id kind")),
        };
        let (checkpoint, transactions) = self.ledger.checkpoint(sequence_number).ok_or_else(|| {
            Status::not_found(format!("checkpoint {sequence_number} not found, the tip is {}", self.ledger.tip()))
        })?;
        let mask = render::mask_or(request.read_mask.as_ref(), "sequence_number,digest");
        let mut response = proto::GetCheckpointResponse::default();
        let mut json = JsonRenderer::new(&self.ledger);
        response.checkpoint = Some(render::checkpoint(&checkpoint, &transactions, &mask, &mut json));
        Ok(Response::new(response))
    }

    async fn list_transactions(
        &self,
        request: Request<proto::ListTransactionsRequest>,
    ) -> Result<Response<BoxStream<proto::ListTransactionsResponse>>, Status> {
        let frames = crate::ledger_query::list_transactions(&self.ledger, request.get_ref())?;
        Ok(Response::new(Box::pin(futures::stream::iter(frames.into_iter().map(Ok)))))
    }

    async fn list_events(
        &self,
        request: Request<proto::ListEventsRequest>,
    ) -> Result<Response<BoxStream<proto::ListEventsResponse>>, Status> {
        let frames = crate::ledger_query::list_events(&self.ledger, request.get_ref())?;
        Ok(Response::new(Box::pin(futures::stream::iter(frames.into_iter().map(Ok)))))
    }
}

impl DevnetService {
    fn lookup(&self, request: &proto::GetObjectRequest) -> Result<sui_sdk_types::Object, RpcStatus> {
        let status =
            |code: tonic::Code, message: String| RpcStatus { code: code as i32, message, ..Default::default() };
        let id = parse_address("object_id", request.object_id.as_ref())
            .map_err(|s| status(s.code(), s.message().to_owned()))?;
        match request.version {
            None => {
                self.ledger.object(&id).ok_or_else(|| status(tonic::Code::NotFound, format!("object {id} not found")))
            }
            Some(version) => self
                .ledger
                .object_at(&id, version)
                .map_err(|e| status(tonic::Code::Internal, e.to_string()))?
                .ok_or_else(|| status(tonic::Code::NotFound, format!("object {id} version {version} not found"))),
        }
    }
}

#[tonic::async_trait]
impl proto::state_service_server::StateService for DevnetService {
    async fn list_owned_objects(
        &self,
        request: Request<proto::ListOwnedObjectsRequest>,
    ) -> Result<Response<proto::ListOwnedObjectsResponse>, Status> {
        let request = request.into_inner();
        let owner = parse_address("owner", request.owner.as_ref())?;
        let filter = match request.object_type.as_deref() {
            Some(t) if !t.is_empty() => Some(parse_struct_tag("object_type", t)?),
            _ => None,
        };
        let page_size = request.page_size.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE) as usize;
        let after = match request.page_token.as_deref() {
            None | Some([]) => None,
            Some(token) => Some(Address::from_bytes(token).map_err(|_| invalid("page_token", "not one of ours"))?),
        };
        let (objects, more) = self.ledger.owned_objects(&owner, filter.as_ref(), after, page_size);
        let mask = render::mask_or(request.read_mask.as_ref(), "object_id,version,object_type");
        let mut response = proto::ListOwnedObjectsResponse::default();
        if more && let Some(last) = objects.last() {
            response.next_page_token = Some(last.object_id().as_bytes().to_vec().into());
        }
        let mut json = JsonRenderer::new(&self.ledger);
        response.objects = objects.iter().map(|o| render::object(o, &mask, &mut json)).collect();
        Ok(Response::new(response))
    }

    async fn get_balance(
        &self,
        request: Request<proto::GetBalanceRequest>,
    ) -> Result<Response<proto::GetBalanceResponse>, Status> {
        let request = request.into_inner();
        let owner = parse_address("owner", request.owner.as_ref())?;
        let coin_type = request.coin_type.as_deref().ok_or_else(|| Status::invalid_argument("missing coin_type"))?;
        let coin_type = parse_struct_tag("coin_type", coin_type)?;
        let total = self.ledger.balance(&owner, &coin_type);
        let mut balance = proto::Balance::default();
        balance.coin_type = Some(coin_type.to_string());
        balance.balance = Some(total);
        balance.coin_balance = Some(total);
        // Address balances do not exist on the devnet; zero keeps clients on the coin path.
        balance.address_balance = Some(0);
        let mut response = proto::GetBalanceResponse::default();
        response.balance = Some(balance);
        Ok(Response::new(response))
    }

    async fn list_balances(
        &self,
        request: Request<proto::ListBalancesRequest>,
    ) -> Result<Response<proto::ListBalancesResponse>, Status> {
        let request = request.into_inner();
        let owner = parse_address("owner", request.owner.as_ref())?;
        let page_size = request.page_size.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE) as usize;
        let after = match request.page_token.as_deref() {
            None | Some([]) => None,
            Some(token) => {
                Some(String::from_utf8(token.to_vec()).map_err(|_| invalid("page_token", "not one of ours"))?)
            }
        };
        // Ordered by coin type, as the page token is the last coin type of the page.
        let balances = self.ledger.balances(&owner);
        let mut page: Vec<_> = balances
            .into_iter()
            .filter(|(coin_type, _)| after.as_ref().is_none_or(|after| coin_type.to_string() > *after))
            .take(page_size + 1)
            .collect();
        let more = page.len() > page_size;
        page.truncate(page_size);
        let mut response = proto::ListBalancesResponse::default();
        if more && let Some((last, _)) = page.last() {
            response.next_page_token = Some(last.to_string().into_bytes().into());
        }
        response.balances = page
            .into_iter()
            .map(|(coin_type, total)| {
                let mut balance = proto::Balance::default();
                balance.coin_type = Some(coin_type.to_string());
                balance.balance = Some(total);
                balance.coin_balance = Some(total);
                balance.address_balance = Some(0);
                balance
            })
            .collect();
        Ok(Response::new(response))
    }

    async fn get_coin_info(
        &self,
        request: Request<proto::GetCoinInfoRequest>,
    ) -> Result<Response<proto::GetCoinInfoResponse>, Status> {
        let request = request.into_inner();
        let text = request.coin_type.as_deref().ok_or_else(|| Status::invalid_argument("missing coin_type"))?;
        let coin_type = parse_struct_tag("coin_type", text)?;
        let currency = crate::coin_info::currency(&coin_type)
            .ok_or_else(|| Status::not_found(format!("no metadata for coin type {coin_type}")))?;
        Ok(Response::new(crate::coin_info::coin_info(&coin_type, currency)))
    }

    async fn list_dynamic_fields(
        &self,
        request: Request<proto::ListDynamicFieldsRequest>,
    ) -> Result<Response<proto::ListDynamicFieldsResponse>, Status> {
        let request = request.into_inner();
        let parent = parse_address("parent", request.parent.as_ref())?;
        let page_size = request.page_size.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE) as usize;
        let after = match request.page_token.as_deref() {
            None | Some([]) => None,
            Some(token) => Some(Address::from_bytes(token).map_err(|_| invalid("page_token", "not one of ours"))?),
        };
        let mask = render::mask_or(request.read_mask.as_ref(), "parent,field_id");
        let mut json = JsonRenderer::new(&self.ledger);
        let mut fields: Vec<_> = self
            .ledger
            .children(&parent)
            .into_iter()
            .filter(|o| after.is_none_or(|after| o.object_id() > after))
            .filter_map(|o| {
                crate::dynamic_field_listing::dynamic_field(parent, &o, &mask, &mut json).map(|f| (o.object_id(), f))
            })
            .take(page_size + 1)
            .collect();
        let more = fields.len() > page_size;
        fields.truncate(page_size);
        let mut response = proto::ListDynamicFieldsResponse::default();
        if more && let Some((last, _)) = fields.last() {
            response.next_page_token = Some(last.as_bytes().to_vec().into());
        }
        response.dynamic_fields = fields.into_iter().map(|(_, f)| f).collect();
        Ok(Response::new(response))
    }
}

#[tonic::async_trait]
impl proto::transaction_execution_service_server::TransactionExecutionService for DevnetService {
    async fn execute_transaction(
        &self,
        request: Request<proto::ExecuteTransactionRequest>,
    ) -> Result<Response<proto::ExecuteTransactionResponse>, Status> {
        let request = request.into_inner();
        let transaction = decode_transaction(request.transaction.as_ref())?;
        let signatures = request
            .signatures
            .iter()
            .enumerate()
            .map(|(i, s)| UserSignature::try_from(s).map_err(|e| invalid(&format!("signature {i}"), e)))
            .collect::<Result<Vec<_>, _>>()?;
        // Expensive checks that need only the transaction (certificate signatures) run here, in
        // parallel across submissions, instead of on the one sequencer thread.
        let (ledger, submitted) = (self.ledger.clone(), transaction.clone());
        let _ = tokio::task::spawn_blocking(move || ledger.prepare(&submitted)).await;
        let record = self
            .submitter
            .submit(transaction, signatures)
            .await
            .ok_or_else(|| Status::unavailable("the devnet is shutting down"))?
            .map_err(|e| match e {
                ExecuteError::Rejected(rejection) => rejection_status(&rejection),
                ExecuteError::Store(e) => Status::internal(e.to_string()),
            })?;
        let mask = render::mask_or(request.read_mask.as_ref(), "effects.status,checkpoint");
        let mut response = proto::ExecuteTransactionResponse::default();
        response.transaction = Some(render::executed(&record, &mask, &mut JsonRenderer::new(&self.ledger)));
        Ok(Response::new(response))
    }

    async fn simulate_transaction(
        &self,
        request: Request<proto::SimulateTransactionRequest>,
    ) -> Result<Response<proto::SimulateTransactionResponse>, Status> {
        let ledger = self.ledger.clone();
        let request = request.into_inner();
        let response = tokio::task::spawn_blocking(move || crate::simulation::simulate(&ledger, &request))
            .await
            .map_err(|e| Status::internal(format!("simulation task failed: {e}")))??;
        Ok(Response::new(response))
    }
}

#[tonic::async_trait]
impl proto::subscription_service_server::SubscriptionService for DevnetService {
    async fn subscribe_checkpoints(
        &self,
        request: Request<proto::SubscribeCheckpointsRequest>,
    ) -> Result<Response<BoxStream<proto::SubscribeCheckpointsResponse>>, Status> {
        let request = request.into_inner();
        if request.filter.is_some() {
            return Err(Status::unimplemented("filtered checkpoint subscriptions are not supported by the devnet"));
        }
        let mask = render::mask_or(request.read_mask.as_ref(), "sequence_number,digest");
        let mut paths = request.read_mask.map(|mask| mask.paths).unwrap_or_default();
        paths.sort();
        let rendered = self.rendered.clone();
        let ledger = self.ledger.clone();
        let tip = ledger.watch_tip();
        let closing = self.closing.clone();
        // Starts with the next checkpoint; each is read from the ledger, so none is skipped
        // however far the subscriber lags.
        let next = ledger.tip() + 1;
        let stream = futures::stream::unfold(
            (ledger, tip, closing, next, (mask, paths, rendered)),
            |(ledger, mut tip, mut closing, next, (mask, paths, rendered))| async move {
                loop {
                    if *closing.borrow() {
                        return None;
                    }
                    if let Some((checkpoint, transactions)) = ledger.checkpoint(next) {
                        let mut frame = proto::SubscribeCheckpointsResponse::default();
                        frame.cursor = Some(next);
                        frame.checkpoint = Some(rendered.get_or_render(next, &paths, || {
                            render::checkpoint(&checkpoint, &transactions, &mask, &mut JsonRenderer::new(&ledger))
                        }));
                        return Some((Ok(frame), (ledger, tip, closing, next + 1, (mask, paths, rendered))));
                    }
                    tokio::select! {
                        changed = tip.changed() => if changed.is_err() { return None },
                        _ = closing.changed() => return None,
                    }
                }
            },
        );
        Ok(Response::new(Box::pin(stream)))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn checkpoint(sequence_number: u64) -> proto::Checkpoint {
        let mut checkpoint = proto::Checkpoint::default();
        checkpoint.sequence_number = Some(sequence_number);
        checkpoint
    }

    #[test]
    fn a_checkpoint_is_rendered_once_per_read_mask_while_it_is_among_the_last_rendered() {
        let rendered = RenderedCheckpoints::default();
        let renders = Cell::new(0);
        let get = |sequence_number: u64, mask: &[&str]| {
            let mask: Vec<String> = mask.iter().map(|path| (*path).to_owned()).collect();
            rendered.get_or_render(sequence_number, &mask, || {
                renders.set(renders.get() + 1);
                checkpoint(sequence_number)
            })
        };
        assert_eq!(get(7, &["digest"]).sequence_number, Some(7));
        assert_eq!(get(7, &["digest"]).sequence_number, Some(7));
        assert_eq!(renders.get(), 1, "the second subscriber got the first one's");
        get(7, &["digest", "transactions"]);
        assert_eq!(renders.get(), 2, "another mask is another rendering");
        for sequence_number in 8..8 + RENDERED_KEPT as u64 {
            get(sequence_number, &["digest"]);
        }
        let before = renders.get();
        get(7, &["digest"]);
        assert_eq!(renders.get(), before + 1, "forgotten once older than the last {RENDERED_KEPT}");
    }
}

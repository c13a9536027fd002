//! Turning ledger records into the gRPC API's messages, projected through the caller's read
//! mask (or the method's documented default).

use prost_types::FieldMask;
use sui_rpc::field::FieldMaskTree;
use sui_rpc::merge::Merge;
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_rpc::proto::timestamp_ms_to_proto;
use sui_sdk_types::Object;

use crate::move_json::JsonRenderer;
use crate::store::{CheckpointRecord, TransactionRecord};

/// The read mask to apply: the caller's, or `default` when absent or empty.
pub(crate) fn mask_or(mask: Option<&FieldMask>, default: &str) -> FieldMaskTree {
    match mask {
        Some(m) if !m.paths.is_empty() => FieldMaskTree::from_field_mask(m),
        _ => FieldMask { paths: default.split(',').map(str::to_owned).collect() }.into(),
    }
}

/// An object, with `balance` filled for coins and `json` rendered when the mask asks for it.
pub(crate) fn object(object: &Object, mask: &FieldMaskTree, json: &mut JsonRenderer<'_>) -> proto::Object {
    let mut message = proto::Object::merge_from(object.clone(), mask);
    if mask.contains(proto::Object::BALANCE_FIELD.name) {
        message.balance = sui_sdk_types::framework::Coin::try_from_object(object).map(|c| c.balance());
    }
    if mask.contains(proto::Object::JSON_FIELD.name) {
        message.json = json.object(object).map(Box::new);
    }
    message
}

/// The mask for the objects of an `ObjectSet` at `field` of a message masked by `mask`.
fn object_set_mask(mask: &FieldMaskTree, field: &str) -> FieldMaskTree {
    mask.subtree(field)
        .and_then(|set| set.subtree(proto::ObjectSet::OBJECTS_FIELD.name))
        .unwrap_or_else(FieldMaskTree::new_wildcard)
}

/// A transaction's events, with `json` rendered when `with_json`.
fn events(record: &TransactionRecord, with_json: bool, json: &mut JsonRenderer<'_>) -> proto::TransactionEvents {
    let mut message = proto::TransactionEvents::from(record.events.clone());
    if with_json {
        for (event, rendered) in record.events.0.iter().zip(message.events.iter_mut()) {
            rendered.json = json.render(&event.type_, &event.contents).map(Box::new);
        }
    }
    message
}

/// An executed transaction.
pub(crate) fn executed(
    record: &TransactionRecord,
    mask: &FieldMaskTree,
    json: &mut JsonRenderer<'_>,
) -> proto::ExecutedTransaction {
    let mut full = proto::ExecutedTransaction::default();
    full.digest = Some(record.transaction.digest().to_string());
    if mask.contains(proto::ExecutedTransaction::TRANSACTION_FIELD.name) {
        full.transaction = Some(proto::Transaction::from(record.transaction.clone()));
    }
    if mask.contains(proto::ExecutedTransaction::SIGNATURES_FIELD.name) {
        full.signatures = record.signatures.iter().cloned().map(proto::UserSignature::from).collect();
    }
    if mask.contains(proto::ExecutedTransaction::EFFECTS_FIELD.name) {
        let mut effects = proto::TransactionEffects::from(record.effects.clone());
        fill_object_types(&mut effects, record);
        full.effects = Some(effects);
    }
    if mask.contains(proto::ExecutedTransaction::BALANCE_CHANGES_FIELD.name) {
        full.balance_changes = crate::balance_changes::balance_change_messages(record);
    }
    if mask.contains(proto::ExecutedTransaction::EVENTS_FIELD.name) && !record.events.0.is_empty() {
        let with_json = mask.contains(format!(
            "{}.{}.{}",
            proto::ExecutedTransaction::EVENTS_FIELD.name,
            proto::TransactionEvents::EVENTS_FIELD.name,
            proto::Event::JSON_FIELD.name
        ));
        full.events = Some(events(record, with_json, json));
    }
    full.checkpoint = Some(record.checkpoint);
    full.timestamp = Some(timestamp_ms_to_proto(record.timestamp_ms));
    full.transaction_index = Some(record.index);
    if mask.contains(proto::ExecutedTransaction::OBJECTS_FIELD.name) {
        let object_mask = object_set_mask(mask, proto::ExecutedTransaction::OBJECTS_FIELD.name);
        let mut set = proto::ObjectSet::default();
        set.objects =
            record.input_objects.iter().chain(&record.output_objects).map(|o| object(o, &object_mask, json)).collect();
        full.objects = Some(set);
    }
    proto::ExecutedTransaction::merge_from(&full, mask)
}

/// Names each changed object's type (the effects' BCS carries none): from the object as the
/// transaction wrote it, or as it was before for deleted objects.
fn fill_object_types(effects: &mut proto::TransactionEffects, record: &TransactionRecord) {
    let type_of = |id: &str| {
        record.output_objects.iter().chain(&record.input_objects).find(|o| o.object_id().to_string() == id).map(|o| {
            match o.data() {
                sui_sdk_types::ObjectData::Struct(s) => s.object_type().to_string(),
                sui_sdk_types::ObjectData::Package(_) => "package".to_owned(),
            }
        })
    };
    for changed in effects.changed_objects.iter_mut().chain(effects.gas_object.as_mut()) {
        if let Some(id) = &changed.object_id {
            changed.object_type = type_of(id);
        }
    }
}

/// A checkpoint with its transactions.
pub(crate) fn checkpoint(
    record: &CheckpointRecord,
    transactions: &[std::sync::Arc<TransactionRecord>],
    mask: &FieldMaskTree,
    json: &mut JsonRenderer<'_>,
) -> proto::Checkpoint {
    let mut full = proto::Checkpoint::default();
    full.merge(&record.summary, &FieldMaskTree::new_wildcard());
    full.merge(record.contents.clone(), &FieldMaskTree::new_wildcard());
    if let Some(submask) = mask.subtree(proto::Checkpoint::TRANSACTIONS_FIELD.name) {
        full.transactions = transactions.iter().map(|t| executed(t, &submask, json)).collect();
    }
    if mask.subtree(proto::Checkpoint::OBJECTS_FIELD.name).is_some() {
        let object_mask = object_set_mask(mask, proto::Checkpoint::OBJECTS_FIELD.name);
        let mut objects: Vec<&Object> =
            transactions.iter().flat_map(|t| t.input_objects.iter().chain(&t.output_objects)).collect();
        objects.sort_by_key(|o| (o.object_id(), o.version()));
        objects.dedup_by_key(|o| (o.object_id(), o.version()));
        let mut set = proto::ObjectSet::default();
        set.objects = objects.into_iter().map(|o| object(o, &object_mask, json)).collect();
        full.objects = Some(set);
    }
    let mut projected = proto::Checkpoint::merge_from(&full, mask);
    // Transactions and objects were already projected with their submasks.
    projected.transactions = std::mem::take(&mut full.transactions);
    if mask.subtree(proto::Checkpoint::OBJECTS_FIELD.name).is_some() {
        projected.objects = full.objects.take();
    }
    projected
}

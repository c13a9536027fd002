//! Checks every call builder against the Move function it calls: the function exists in that
//! module's source under `move/` as `public` or `entry`, takes as many type arguments, and
//! each argument has the kind its parameter needs: pure bytes of the parameter's BCS size
//! (`u256` 32 bytes, `vector<u8>`/`String` length-prefixed), shared objects with the
//! parameter's mutability, owned objects or earlier results for everything else.

use std::path::PathBuf;

use sui_sdk_types::{Address, StructTag, TypeTag};
use sui_transaction_builder::TransactionBuilder;

use super::inspect::{Arg, Call, floe_calls, owned, packages, single};
use super::{CertificateBytes, InitParams, KeyServerRegistration, NewBlob, NodeRegistration, SealCalls};
use super::{SharedObject, WalCalls, initialize};
use crate::floe::staking_pool::VotingParams;
use crate::floe::test_vectors;

/// Types whose objects are shared: passed as shared inputs, never owned.
const SHARED_TYPES: &[&str] =
    &["System", "Staking", "SharedBlob", "Clock", "Random", "Allowlist", "Service", "ProtectedTreasury"];

/// A Move function's type-parameter count and parameter types, `TxContext` left out.
fn move_signature(call: &Call) -> (usize, Vec<String>) {
    let package_dir = if call.package == packages().wal {
        "wal"
    } else if call.package == packages().floe {
        "floe"
    } else {
        "seal"
    };
    let path: PathBuf =
        [env!("CARGO_MANIFEST_DIR"), "..", "move", package_dir, "sources", &format!("{}.move", call.module)]
            .iter()
            .collect();
    let source = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let pattern = format!("fun {}", call.function);
    let start = source
        .match_indices(&pattern)
        .map(|(i, _)| i)
        .find(|&i| {
            let after = &source[i + pattern.len()..];
            let line_start = source[..i].rfind('\n').map_or(0, |n| n + 1);
            let prefix = &source[line_start..i];
            after.starts_with(['(', '<'])
                && (prefix.contains("public") || prefix.contains("entry"))
                && !prefix.contains("public(package)")
        })
        .unwrap_or_else(|| panic!("no public or entry fun {} in {}", call.function, path.display()));
    let rest = &source[start + pattern.len()..];
    let open = rest.find('(').expect("a parameter list");
    let type_params = if rest.starts_with('<') { rest[1..rest.find('>').unwrap()].split(',').count() } else { 0 };
    let mut depth = 0;
    let mut params = Vec::new();
    let mut begin = open + 1;
    for (i, c) in rest[open..].char_indices().map(|(i, c)| (i + open, c)) {
        match c {
            '(' | '<' => depth += 1,
            '>' => depth -= 1,
            ')' if depth == 1 => {
                params.push(&rest[begin..i]);
                break;
            }
            ')' => depth -= 1,
            ',' if depth == 1 => {
                params.push(&rest[begin..i]);
                begin = i + 1;
            }
            _ => {}
        }
    }
    let types = params
        .into_iter()
        .map(str::trim)
        .filter(|param| !param.is_empty())
        .map(|param| param.split_once(':').expect("name: type").1.trim().to_owned())
        .filter(|ty| !ty.ends_with("TxContext"))
        .collect();
    (type_params, types)
}

/// Whether `arg` is what a parameter of Move type `ty` takes.
fn fits(ty: &str, arg: &Arg) -> bool {
    let pure_len = |len: usize| matches!(arg, Arg::Pure(bytes) if bytes.len() == len);
    match ty {
        "u8" => pure_len(1),
        "u16" => pure_len(2),
        "u32" => pure_len(4),
        "u64" => pure_len(8),
        "u256" => pure_len(32),
        "address" | "ID" => pure_len(32),
        "bool" => matches!(arg, Arg::Pure(bytes) if bytes.as_slice() == [0] || bytes.as_slice() == [1]),
        "String" => matches!(arg, Arg::Pure(bytes) if bcs::from_bytes::<String>(bytes).is_ok()),
        "vector<u8>" => matches!(arg, Arg::Pure(bytes) if bcs::from_bytes::<Vec<u8>>(bytes).is_ok()),
        _ => {
            let (mutable, by_ref, base) = if let Some(base) = ty.strip_prefix("&mut ") {
                (true, true, base)
            } else if let Some(base) = ty.strip_prefix('&') {
                (false, true, base)
            } else {
                (false, false, ty)
            };
            let name = base.split('<').next().unwrap_or(base).trim();
            if SHARED_TYPES.contains(&name) {
                by_ref && matches!(arg, Arg::Shared { mutable: m, .. } if *m == mutable)
            } else {
                matches!(arg, Arg::Owned(_) | Arg::Result(_) | Arg::Nested(..))
            }
        }
    }
}

fn sui() -> TypeTag {
    TypeTag::Struct(Box::new(StructTag::sui()))
}

/// One transaction per call builder, each holding exactly that call.
fn every_call() -> Vec<TransactionBuilder> {
    let floe = floe_calls();
    let seal = SealCalls::new(&packages());
    let wal = WalCalls::new(&packages(), SharedObject::new(Address::new([0x7e; 32]), 2));
    let allowlist = SharedObject::new(Address::new([0xa1; 32]), 9);
    let service = SharedObject::new(Address::new([0x5e; 32]), 9);
    let certificate = CertificateBytes {
        signature: test_vectors::certify_signature(),
        signers_bitmap: vec![7],
        message: test_vectors::certify_message(),
    };
    let blob = NewBlob {
        blob_id: test_vectors::blob_id(),
        root_hash: test_vectors::root_hash(),
        size: test_vectors::SIZE,
        encoding_type: floe_encoder::EncodingType::RS2.as_u8(),
        deletable: false,
    };
    let node = NodeRegistration {
        name: "n".into(),
        network_address: "a".into(),
        public_key: vec![1; 48],
        network_public_key: vec![4; 32],
        proof_of_possession: vec![2; 96],
        commission_rate: 1,
        voting: VotingParams { storage_price: 1, write_price: 1, node_capacity: 1 },
    };
    let server = KeyServerRegistration { name: "k".into(), url: "u".into(), key_type: 0, public_key: vec![3; 96] };
    let node_id = Address::new([0x90; 32]);
    let shared_blob = SharedObject::new(Address::new([0x5b; 32]), 9);
    let id = [1u8; 40];
    type Build<'a> = Box<dyn Fn(&mut TransactionBuilder) + 'a>;
    let builds: Vec<Build<'_>> = vec![
        Box::new(|tx| {
            let coin = owned(tx, 1);
            floe.reserve_space(tx, 1, 1, coin);
        }),
        Box::new(|tx| {
            let coin = owned(tx, 1);
            floe.reserve_space_for_epochs(tx, 1, 1, 2, coin);
        }),
        Box::new(|tx| {
            let (storage, coin) = (owned(tx, 1), owned(tx, 2));
            floe.extend_storage(tx, storage, 1, coin);
        }),
        Box::new(|tx| {
            let (storage, coin) = (owned(tx, 1), owned(tx, 2));
            floe.register_blob(tx, storage, &blob, coin);
        }),
        Box::new(|tx| {
            let b = owned(tx, 1);
            floe.certify_blob(tx, b, &certificate);
        }),
        Box::new(|tx| {
            let b = owned(tx, 1);
            floe.delete_blob(tx, b);
        }),
        Box::new(|tx| {
            let b = owned(tx, 1);
            floe.burn_expired_blob(tx, b);
        }),
        Box::new(|tx| {
            let (b, storage) = (owned(tx, 1), owned(tx, 2));
            floe.extend_blob_with_resource(tx, b, storage);
        }),
        Box::new(|tx| {
            let (b, coin) = (owned(tx, 1), owned(tx, 2));
            floe.extend_blob(tx, b, 1, coin);
        }),
        Box::new(|tx| {
            floe.invalidate_blob_id(tx, &certificate);
        }),
        Box::new(|tx| {
            let b = owned(tx, 1);
            floe.share_blob(tx, b);
        }),
        Box::new(|tx| {
            let (b, coin) = (owned(tx, 1), owned(tx, 2));
            floe.share_blob_funded(tx, b, coin);
        }),
        Box::new(|tx| {
            let coin = owned(tx, 1);
            floe.fund_shared_blob(tx, &shared_blob, coin);
        }),
        Box::new(|tx| floe.extend_shared_blob(tx, &shared_blob, 2)),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            let params = InitParams { n_shards: 1, epoch_duration_ms: 1, max_epochs_ahead: 1, max_committee_size: 1 };
            initialize(tx, packages().floe, cap, &params);
        }),
        Box::new(|tx| {
            let b = owned(tx, 1);
            floe.insert_or_update_attribute(tx, b, "k", "v");
        }),
        Box::new(|tx| {
            let b = owned(tx, 1);
            floe.remove_attribute(tx, b, "k");
        }),
        Box::new(|tx| {
            let b = owned(tx, 1);
            floe.remove_attribute_if_exists(tx, b, "k");
        }),
        Box::new(|tx| {
            let b = owned(tx, 1);
            floe.take_attributes(tx, b);
        }),
        Box::new(|tx| {
            let b = owned(tx, 1);
            floe.burn_blob(tx, b);
        }),
        Box::new(|tx| {
            let s = owned(tx, 1);
            floe.split_storage_by_epoch(tx, s, 2);
        }),
        Box::new(|tx| {
            let s = owned(tx, 1);
            floe.split_storage_by_size(tx, s, 2);
        }),
        Box::new(|tx| {
            let (s, o) = (owned(tx, 1), owned(tx, 2));
            floe.fuse_storage_periods(tx, s, o);
        }),
        Box::new(|tx| {
            let (s, o) = (owned(tx, 1), owned(tx, 2));
            floe.fuse_storage_amount(tx, s, o);
        }),
        Box::new(|tx| {
            let (s, o) = (owned(tx, 1), owned(tx, 2));
            floe.fuse_storage(tx, s, o);
        }),
        Box::new(|tx| {
            let s = owned(tx, 1);
            floe.destroy_storage(tx, s);
        }),
        Box::new(|tx| {
            floe.register_candidate(tx, &node);
        }),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            floe.set_next_commission(tx, cap, 1);
        }),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            floe.collect_commission(tx, cap);
        }),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            floe.set_storage_price_vote(tx, cap, 1);
        }),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            floe.set_write_price_vote(tx, cap, 1);
        }),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            floe.set_node_capacity_vote(tx, cap, 1);
        }),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            floe.set_network_address(tx, cap, "a");
        }),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            floe.set_network_public_key(tx, cap, &[4; 32]);
        }),
        Box::new(|tx| {
            let coin = owned(tx, 1);
            floe.stake_with_pool(tx, coin, node_id);
        }),
        Box::new(|tx| {
            let s = owned(tx, 1);
            floe.request_withdraw_stake(tx, s);
        }),
        Box::new(|tx| {
            let s = owned(tx, 1);
            floe.withdraw_stake(tx, s);
        }),
        Box::new(|tx| {
            let s = owned(tx, 1);
            floe.can_withdraw_early(tx, s);
        }),
        Box::new(|tx| floe.try_join_active_set(tx, node_id)),
        Box::new(|tx| floe.voting_end(tx)),
        Box::new(|tx| floe.open_challenge_window(tx)),
        Box::new(|tx| floe.record_challenge_outcome(tx, &certificate)),
        Box::new(|tx| floe.initiate_epoch_change(tx)),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            floe.epoch_sync_done(tx, cap, 1);
        }),
        Box::new(|tx| {
            let s = owned(tx, 1);
            floe.split_staked_wal(tx, s, 1);
        }),
        Box::new(|tx| {
            let (s, o) = (owned(tx, 1), owned(tx, 2));
            floe.join_staked_wal(tx, s, o);
        }),
        Box::new(|tx| {
            let coin = owned(tx, 1);
            wal.burn(tx, coin);
        }),
        Box::new(|tx| {
            wal.total_supply(tx);
        }),
        Box::new(|tx| {
            seal.create_allowlist(tx, "a");
        }),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            seal.allowlist_add(tx, &allowlist, cap, Address::ZERO);
        }),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            seal.allowlist_remove(tx, &allowlist, cap, Address::ZERO);
        }),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            seal.allowlist_publish(tx, &allowlist, cap, "b");
        }),
        Box::new(|tx| seal.allowlist_seal_approve(tx, &id, &allowlist)),
        Box::new(|tx| seal.owner_seal_approve(tx, &id)),
        Box::new(|tx| seal.time_lock_seal_approve(tx, &5u64.to_le_bytes())),
        Box::new(|tx| {
            seal.create_service(tx, &sui(), 1, 1, "s");
        }),
        Box::new(|tx| {
            let cap = owned(tx, 1);
            seal.set_service_fee(tx, &sui(), &service, cap, 2);
        }),
        Box::new(|tx| {
            let coin = owned(tx, 1);
            seal.subscribe(tx, &sui(), &service, coin);
        }),
        Box::new(|tx| {
            let s = owned(tx, 1);
            seal.transfer_subscription(tx, s, Address::ZERO);
        }),
        Box::new(|tx| {
            let s = owned(tx, 1);
            seal.subscription_seal_approve(tx, &sui(), &id, s, &service);
        }),
        Box::new(|tx| {
            seal.register_key_server(tx, &server);
        }),
        Box::new(|tx| seal.register_key_server_and_transfer(tx, &server)),
        Box::new(|tx| {
            let s = owned(tx, 1);
            seal.update_key_server_url(tx, s, "u");
        }),
    ];
    builds
        .into_iter()
        .map(|build| {
            let mut tx = TransactionBuilder::new();
            build(&mut tx);
            tx
        })
        .collect()
}

#[test]
fn every_builder_matches_its_move_signature() {
    let transactions = every_call();
    assert_eq!(transactions.len(), 63);
    let mut seen = std::collections::BTreeSet::new();
    for tx in transactions {
        let call = single(tx);
        let (type_params, params) = move_signature(&call);
        assert_eq!(call.type_args.len(), type_params, "{}: type arguments", call.name());
        assert_eq!(call.args.len(), params.len(), "{}: {params:?} vs {:?}", call.name(), call.args);
        for (param, arg) in params.iter().zip(&call.args) {
            assert!(fits(param, arg), "{}: parameter {param} given {arg:?}", call.name());
        }
        assert!(seen.insert(call.name()), "{} built twice", call.name());
    }
}

#[test]
fn the_signature_check_rejects_wrong_kinds() {
    assert!(!fits("u256", &Arg::Pure(vec![0; 8])));
    assert!(!fits("bool", &Arg::Pure(vec![2])));
    assert!(!fits("&mut System", &Arg::Shared { id: Address::ZERO, version: 1, mutable: false }));
    assert!(!fits("&System", &Arg::Shared { id: Address::ZERO, version: 1, mutable: true }));
    assert!(!fits("Blob", &Arg::Pure(vec![])));
    assert!(!fits("&Clock", &Arg::Owned(Address::ZERO)));
    assert!(!fits("vector<u8>", &Arg::Pure(vec![5, 1])));
    assert!(fits("&mut Service<T>", &Arg::Shared { id: Address::ZERO, version: 1, mutable: true }));
    assert!(fits("Coin<WAL>", &Arg::Result(0)));
}

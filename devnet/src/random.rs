//! Sui's on-chain randomness (`0x2::random`) as the devnet serves it: the shared `Random` object
//! at `0x8` with Sui's layout, its `RandomInner` behind a dynamic field of the `Versioned`
//! inside it, created at genesis like the Clock, and the generator `new_generator` /
//! `generate_bytes` derive from it.
//!
//! Sui refreshes the random bytes every consensus round by a system transaction, so nobody knows
//! them before the transactions of that round run. The devnet refreshes them right before each
//! transaction that takes `Random` as input executes (32 fresh OS random bytes, the next round,
//! as `update_randomness_state` would), written as part of that transaction.

use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha3::Sha3_256;
use sui_sdk_types::{Address, GenesisObject, Identifier, MoveStruct, Object, ObjectData, Owner, StructTag, TypeTag};

use crate::dynamic_field::{Field, field_id, field_type};
use crate::working_set::WorkingSet;

/// The id of the shared `0x2::random::Random` object.
pub const RANDOM: Address = Address::from_static("0x8");

/// The inner-state version of `Random` (`random::CURRENT_VERSION`), also its field's name.
const VERSION: u64 = 1;
/// Bytes of random output per round and per generator block (`random::RAND_OUTPUT_LEN`).
const RANDOM_BYTES_LEN: usize = 32;

/// The BCS layout of `0x2::versioned::Versioned`: `{ id: UID, version: u64 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionedValue {
    /// The UID the inner value hangs under, as a dynamic field named `version`.
    pub id: Address,
    /// The inner value's version.
    pub version: u64,
}

/// The BCS layout of `0x2::random::Random`: `{ id: UID, inner: Versioned }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RandomValue {
    /// Always [`RANDOM`].
    pub id: Address,
    /// The versioned inner state.
    pub inner: VersionedValue,
}

/// The BCS layout of `0x2::random::RandomInner`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RandomInner {
    /// Its version (1).
    pub version: u64,
    /// The epoch of the last update.
    pub epoch: u64,
    /// The round of the last update.
    pub randomness_round: u64,
    /// The round's random bytes (empty before the first update).
    pub random_bytes: Vec<u8>,
}

/// The struct tag `0x2::random::Random`.
pub fn random_type() -> StructTag {
    StructTag::new(Address::TWO, Identifier::from_static("random"), Identifier::from_static("Random"), vec![])
}

/// The struct tag `0x2::random::RandomInner`.
pub fn random_inner_type() -> StructTag {
    StructTag::new(Address::TWO, Identifier::from_static("random"), Identifier::from_static("RandomInner"), vec![])
}

/// The type of the field holding the inner state: `Field<u64, RandomInner>`.
fn inner_field_type() -> StructTag {
    field_type(TypeTag::U64, TypeTag::Struct(Box::new(random_inner_type())))
}

/// The id of the field holding the inner state under the `Versioned` with id `versioned`.
fn inner_field_id(versioned: Address) -> Address {
    field_id(versioned, &TypeTag::U64, &VERSION)
}

/// The genesis objects of randomness: `Random` (shared at genesis) and its inner field, with
/// `versioned` as the `Versioned`'s id. Like Sui's `random::create`, the state starts at epoch 0,
/// round 0, with no bytes; the first transaction that uses it finds it refreshed.
pub(crate) fn genesis_objects(versioned: Address, version: u64) -> [GenesisObject; 2] {
    let random = RandomValue { id: RANDOM, inner: VersionedValue { id: versioned, version: VERSION } };
    let random = bcs::to_bytes(&random).expect("Random serializes");
    let random = MoveStruct::new(random_type(), false, version, random).expect("Random starts with its id");
    let field_id = inner_field_id(versioned);
    let inner = RandomInner { version: VERSION, epoch: 0, randomness_round: 0, random_bytes: Vec::new() };
    let field = bcs::to_bytes(&Field { id: field_id, name: VERSION, value: inner }).expect("the field serializes");
    let field = MoveStruct::new(inner_field_type(), false, version, field).expect("a field starts with its id");
    [
        GenesisObject::new(ObjectData::Struct(random), Owner::Shared(version)),
        GenesisObject::new(ObjectData::Struct(field), Owner::Object(versioned)),
    ]
}

/// Refreshes the randomness for a transaction that takes `Random` (already loaded into
/// `working_set`): loads its inner field with the next round and 32 fresh OS random bytes, to be
/// written by the transaction. Nothing happens when the objects are not there or not of Sui's
/// layout (a devnet without randomness).
pub(crate) fn refresh(working_set: &mut WorkingSet, objects: &dyn Fn(&Address) -> Option<Object>) {
    let Some(random) = random_value(working_set) else {
        return;
    };
    let id = inner_field_id(random.inner.id);
    let Some(field_object) = objects(&id) else {
        return;
    };
    let Some(mut field) = field_object
        .as_struct()
        .filter(|s| s.object_type() == &inner_field_type())
        .and_then(|s| bcs::from_bytes::<Field<u64, RandomInner>>(s.contents()).ok())
    else {
        return;
    };
    let inner = &mut field.value;
    // As `update_randomness_state`: the first update is round 0, every later one the next round.
    let first = inner.randomness_round == 0 && inner.epoch == 0 && inner.random_bytes.is_empty();
    inner.randomness_round = if first { 0 } else { inner.randomness_round.saturating_add(1) };
    inner.epoch = working_set.epoch;
    let mut bytes = vec![0u8; RANDOM_BYTES_LEN];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    inner.random_bytes = bytes;
    if working_set.load(field_object, true).is_some() {
        working_set.entry_mut(&id).contents = bcs::to_bytes(&field).expect("the field serializes");
    }
}

fn random_value(working_set: &WorkingSet) -> Option<RandomValue> {
    if !working_set.is_live(&RANDOM) || working_set.entry(&RANDOM).type_ != random_type() {
        return None;
    }
    bcs::from_bytes(&working_set.entry(&RANDOM).contents).ok()
}

/// `hmac::hmac_sha3_256(key, msg)`.
fn hmac_sha3_256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha3_256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// What `random::new_generator(r, ctx)` followed by `generate_bytes(32)` returns: the seed is
/// HMAC-SHA3-256 keyed by the round's bytes over the transaction's fresh object address, and the
/// 32 bytes are the first block, HMAC-SHA3-256 keyed by the seed over the BCS of the u16
/// counter 1.
pub fn generate_32_bytes(random_bytes: &[u8], fresh_object_address: Address) -> [u8; 32] {
    let seed = hmac_sha3_256(random_bytes, fresh_object_address.as_bytes());
    hmac_sha3_256(&seed, &1u16.to_le_bytes())
}

/// Reads the inner state of the `Random` object `random` inside a call (`random::load_inner`):
/// `None` when it is missing or not of Sui's layout.
pub(crate) fn load_inner(call: &mut crate::native::MoveCallContext<'_>, random: &RandomValue) -> Option<RandomInner> {
    if random.inner.version != VERSION {
        return None;
    }
    call.field::<u64, RandomInner>(
        random.inner.id,
        TypeTag::U64,
        &VERSION,
        TypeTag::Struct(Box::new(random_inner_type())),
    )
    .ok()
    .filter(|inner| inner.version == VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_layouts_are_suis() {
        let random = RandomValue { id: RANDOM, inner: VersionedValue { id: Address::new([2; 32]), version: 1 } };
        let bytes = bcs::to_bytes(&random).unwrap();
        assert_eq!(bytes.len(), 72);
        assert_eq!(&bytes[..32], RANDOM.as_bytes());
        assert_eq!(&bytes[64..], &1u64.to_le_bytes());
        let inner = RandomInner { version: 1, epoch: 2, randomness_round: 3, random_bytes: vec![9; 32] };
        let bytes = bcs::to_bytes(&inner).unwrap();
        assert_eq!(bytes.len(), 24 + 1 + 32);
        assert_eq!(bytes[24], 32);
        assert_eq!(
            random_type().to_string(),
            "0x0000000000000000000000000000000000000000000000000000000000000002::random::Random"
        );
    }

    #[test]
    fn generated_bytes_follow_the_generator_construction() {
        let address = Address::new([7; 32]);
        let bytes = generate_32_bytes(&[1; 32], address);
        let seed = hmac_sha3_256(&[1; 32], address.as_bytes());
        assert_eq!(bytes, hmac_sha3_256(&seed, &[1, 0]));
        // Other round bytes or another transaction's address give another seed.
        assert_ne!(bytes, generate_32_bytes(&[2; 32], address));
        assert_ne!(bytes, generate_32_bytes(&[1; 32], Address::new([8; 32])));
    }
}

//! Byte compatibility with Walrus: blob ids, metadata, slivers, recovery symbols and BLS
//! signatures equal the values Walrus's own encoder printed (tests/vectors/walrus_rs2.json, see
//! tests/vectors/README.md). Any change in bytes fails here.

use floe_encoder::{
    BlobId, EncodingConfig, SliverIndex, SliverPairIndex, SliverType,
    bls::{BlsSecretKey, BlsSignature},
    encode,
    error::EncodeError,
    mapping,
    merkle::blake2b256,
    messages::{BlobPersistence, ProofOfPossessionMessage, StorageConfirmation},
    recovery,
};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/walrus_rs2.json")).expect("valid JSON")
}

fn unhex(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("hex string")).expect("valid hex")
}

fn input(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 131 + 7) % 256) as u8).collect()
}

fn digest_hex(node: &floe_encoder::merkle::Node) -> String {
    hex::encode(node.bytes())
}

#[test]
fn blob_ids_metadata_and_slivers_equal_walrus_for_all_54_cases() {
    let vectors = vectors();
    let cases = vectors["blobs"].as_array().unwrap();
    assert_eq!(cases.len(), 54);
    for case in cases {
        let n = case["n_shards"].as_u64().unwrap() as u16;
        let len = case["length"].as_u64().unwrap() as usize;
        let config = EncodingConfig::new(n).unwrap();
        let data = input(len);
        if case.get("error").is_some() {
            let max = case["max_blob_size"].as_u64().unwrap();
            assert_eq!(config.max_blob_size(), max, "n={n}");
            assert_eq!(
                encode(&config, &data),
                Err(EncodeError::BlobTooLarge { blob_len: len as u64, max_blob_size: max })
            );
            continue;
        }
        let what = format!("n={n} len={len}");
        let encoded = encode(&config, &data).unwrap();
        let metadata = encoded.metadata.metadata();
        let blob_id = encoded.metadata.blob_id();
        assert_eq!(u64::from(encoded.pairs[0].primary.symbol_size()), case["symbol_size"].as_u64().unwrap(), "{what}");
        assert_eq!(blob_id.to_string(), case["blob_id"].as_str().unwrap(), "{what}");
        assert_eq!(hex::encode(blob_id.0), case["blob_id_hex"].as_str().unwrap(), "{what}");
        assert_eq!(blob_id.to_u256_decimal(), case["blob_id_u256_decimal"].as_str().unwrap(), "{what}");
        assert_eq!(digest_hex(&metadata.root_hash()), case["root_hash_hex"].as_str().unwrap(), "{what}");
        assert_eq!(
            hex::encode(blake2b256(&metadata.to_bcs())),
            case["metadata_bcs_blake2b256_hex"].as_str().unwrap(),
            "{what}"
        );
        if let Some(primary) = case.get("primary_hashes_hex") {
            let ours: Vec<String> = metadata.hashes().iter().map(|h| digest_hex(&h.primary_hash)).collect();
            let theirs: Vec<String> =
                primary.as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_owned()).collect();
            assert_eq!(ours, theirs, "{what}");
            let ours: Vec<String> = metadata.hashes().iter().map(|h| digest_hex(&h.secondary_hash)).collect();
            let theirs: Vec<String> = case["secondary_hashes_hex"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().to_owned())
                .collect();
            assert_eq!(ours, theirs, "{what}");
        }
        if let Some(bytes) = case.get("metadata_bcs_hex") {
            assert_eq!(metadata.to_bcs(), unhex(bytes), "{what}");
        }
        if let Some(bytes) = case.get("pair0_primary_bcs_hex") {
            assert_eq!(encoded.pairs[0].primary.to_bcs(), unhex(bytes), "{what}");
            assert_eq!(encoded.pairs[0].secondary.to_bcs(), unhex(&case["pair0_secondary_bcs_hex"]), "{what}");
        }
        let last = encoded.pairs.last().unwrap();
        assert_eq!(
            hex::encode(blake2b256(&last.primary.to_bcs())),
            case["last_pair_primary_bcs_blake2b256_hex"].as_str().unwrap(),
            "{what}"
        );
        assert_eq!(
            hex::encode(blake2b256(&last.secondary.to_bcs())),
            case["last_pair_secondary_bcs_blake2b256_hex"].as_str().unwrap(),
            "{what}"
        );
        let shard = mapping::shard_for_pair(SliverPairIndex(0), blob_id, n);
        assert_eq!(u64::from(shard.0), case["shard_of_pair0"].as_u64().unwrap(), "{what}");
    }
}

fn blob_id_of_n10_len1000() -> BlobId {
    let config = EncodingConfig::new(10).unwrap();
    *encode(&config, &input(1000)).unwrap().metadata.blob_id()
}

#[test]
fn bls_keys_messages_and_signatures_equal_walrus() {
    let vectors = vectors();
    let blob_id = blob_id_of_n10_len1000();
    for (i, entry) in vectors["bls"].as_array().unwrap().iter().enumerate() {
        let key = BlsSecretKey::from_bytes(&unhex(&entry["secret_key_hex"])).unwrap();
        // Walrus derived key i with IETF KeyGen from 32 bytes of i + 1.
        assert_eq!(BlsSecretKey::from_seed(&[i as u8 + 1; 32]).to_bytes(), key.to_bytes());
        assert_eq!(key.public_key().to_bytes().to_vec(), unhex(&entry["public_key_hex"]));

        let pop = ProofOfPossessionMessage { epoch: 0, sui_address: [0x11; 32], public_key: key.public_key() };
        assert_eq!(pop.to_bytes(), unhex(&entry["proof_of_possession_message_hex"]));
        assert_eq!(key.sign(&pop.to_bytes()).to_bytes().to_vec(), unhex(&entry["proof_of_possession_signature_hex"]));

        let permanent = StorageConfirmation { epoch: 5, blob_id, persistence: BlobPersistence::Permanent };
        assert_eq!(permanent.to_bytes(), unhex(&entry["storage_confirmation_message_hex"]));
        assert_eq!(
            permanent.sign(&key).signature.to_bytes().to_vec(),
            unhex(&entry["storage_confirmation_signature_hex"])
        );

        let deletable = StorageConfirmation {
            epoch: 5,
            blob_id,
            persistence: BlobPersistence::Deletable { object_id: [0x22; 32] },
        };
        assert_eq!(deletable.to_bytes(), unhex(&entry["deletable_confirmation_message_hex"]));
        assert_eq!(
            deletable.sign(&key).signature.to_bytes().to_vec(),
            unhex(&entry["deletable_confirmation_signature_hex"])
        );
    }
    let aggregate = &vectors["bls_aggregate"];
    let message = unhex(&aggregate["message_hex"]);
    let signatures: Vec<BlsSignature> = aggregate["signers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| BlsSecretKey::from_seed(&[i.as_u64().unwrap() as u8 + 1; 32]).sign(&message))
        .collect();
    assert_eq!(
        BlsSignature::aggregate(&signatures).unwrap().to_bytes().to_vec(),
        unhex(&aggregate["aggregate_signature_hex"])
    );
}

#[test]
fn recovery_symbols_and_their_proofs_equal_walrus() {
    let vectors = vectors();
    let config = EncodingConfig::new(10).unwrap();
    let encoded = encode(&config, &input(1000)).unwrap();
    for entry in vectors["recovery"].as_array().unwrap() {
        let target = SliverIndex(entry["target_index"].as_u64().unwrap() as u16);
        let (source_axis, source) = match entry["target"].as_str().unwrap() {
            "primary" => (SliverType::Secondary, entry["from_secondary_sliver_index"].as_u64().unwrap()),
            _ => (SliverType::Primary, entry["from_primary_sliver_index"].as_u64().unwrap()),
        };
        let pair = SliverIndex(source as u16).pair_index(source_axis, 10);
        let sliver = encoded.pairs[pair.as_usize()].sliver(source_axis);
        let symbol = recovery::recovery_symbols(&config, sliver, &[target]).unwrap().remove(0);
        assert_eq!(symbol.data(), unhex(&entry["symbol_hex"]).as_slice());
        assert_eq!(bcs::to_bytes(symbol.proof()).unwrap(), unhex(&entry["proof_bcs_hex"]));
        symbol.verify(&config, &encoded.metadata).unwrap();
    }
}

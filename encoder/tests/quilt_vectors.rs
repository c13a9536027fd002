//! Byte compatibility of quilts with Walrus: for the same files, identifiers and tags, floe's
//! quilt bytes, blob id and patch ids equal what Walrus's TypeScript client builds
//! (tests/vectors/walrus_quilts.json, printed by js/tools/quilt-vectors.mjs).

use std::collections::BTreeMap;

use floe_encoder::{
    EncodingConfig, encode,
    quilt::{Quilt, QuiltFile, QuiltPatchId},
};
use serde_json::Value;

fn file_bytes(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 131 + 7 + seed * 17) % 256) as u8).collect()
}

fn files(case: &Value) -> Vec<QuiltFile> {
    case["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| {
            let tags: BTreeMap<String, String> = file
                .get("tags")
                .map(|tags| {
                    tags.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect()
                })
                .unwrap_or_default();
            let data = file_bytes(file["length"].as_u64().unwrap() as usize, file["seed"].as_u64().unwrap() as usize);
            QuiltFile::new(file["identifier"].as_str().unwrap(), data).unwrap().with_tags(tags)
        })
        .collect()
}

fn blake2b512_hex(bytes: &[u8]) -> String {
    blake2b_simd::Params::new().hash_length(64).hash(bytes).to_hex().to_string()
}

#[test]
fn quilts_blob_ids_and_patch_ids_equal_walrus() {
    let vectors: Value = serde_json::from_str(include_str!("vectors/walrus_quilts.json")).unwrap();
    let cases = vectors["quilts"].as_array().unwrap();
    assert_eq!(cases.len(), 13);
    for case in cases {
        let n = case["n_shards"].as_u64().unwrap() as u16;
        let what = format!("{} n={n}", case["name"].as_str().unwrap());
        let config = EncodingConfig::new(n).unwrap();
        let files = files(case);
        let quilt = Quilt::encode(&config, &files).unwrap();
        if let Some(expected) = case.get("quilt_hex") {
            assert_eq!(hex::encode(quilt.bytes()), expected.as_str().unwrap(), "{what}");
        }
        assert_eq!(quilt.bytes().len() as u64, case["quilt_len"].as_u64().unwrap(), "{what}");
        assert_eq!(blake2b512_hex(quilt.bytes()), case["quilt_blake2b512_hex"].as_str().unwrap(), "{what}");

        let blob_id = *encode(&config, quilt.bytes()).unwrap().metadata.blob_id();
        assert_eq!(blob_id.to_string(), case["blob_id"].as_str().unwrap(), "{what}");

        let expected = case["patches"].as_array().unwrap();
        assert_eq!(quilt.index().patches().len(), expected.len(), "{what}");
        for (patch, theirs) in quilt.index().patches().iter().zip(expected) {
            assert_eq!(patch.identifier(), theirs["identifier"].as_str().unwrap(), "{what}");
            assert_eq!(u64::from(patch.start()), theirs["start"].as_u64().unwrap(), "{what}");
            assert_eq!(u64::from(patch.end()), theirs["end"].as_u64().unwrap(), "{what}");
            let id = QuiltPatchId { quilt_id: blob_id, patch: patch.internal_id() };
            assert_eq!(id.to_string(), theirs["patch_id"].as_str().unwrap(), "{what}");
        }

        // And floe reads Walrus's quilt back into the same files.
        let read = Quilt::from_bytes(&config, quilt.bytes().to_vec()).unwrap();
        let mut sorted = files.clone();
        sorted.sort_by(|a, b| a.identifier().cmp(b.identifier()));
        assert_eq!(read.files().unwrap(), sorted, "{what}");
    }
}

//! `floe blob-id` run as a user runs it: the binary on real files.

use std::process::{Command, Output};

use floe_encoder::EncodingConfig;
use floe_encoder::encode::compute_metadata;

fn floe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_floe")).args(args).output().expect("the floe binary runs")
}

fn sample_file(len: usize) -> (tempfile::TempDir, std::path::PathBuf, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.bin");
    let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
    std::fs::write(&path, &bytes).unwrap();
    (dir, path, bytes)
}

#[test]
fn text_output_carries_the_encoders_blob_id_and_sizes() {
    let (_dir, path, bytes) = sample_file(70_001);
    let out = floe(&["blob-id", path.to_str().unwrap()]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();

    let config = EncodingConfig::new(1000).unwrap();
    let id = *compute_metadata(&config, &bytes).unwrap().blob_id();
    let encoded = config.encoded_blob_length(bytes.len() as u64).unwrap();
    assert!(stdout.contains(&format!("blob id:        {id}\n")), "{stdout}");
    assert!(stdout.contains(&id.to_u256_decimal()), "{stdout}");
    assert!(stdout.contains("size:           70001 bytes"), "{stdout}");
    assert!(stdout.contains(&format!("encoded size:   {encoded} bytes (1000 shards)")), "{stdout}");
}

#[test]
fn json_output_is_one_object_matching_the_encoder_at_the_given_shard_count() {
    let (_dir, path, bytes) = sample_file(4_321);
    let out = floe(&["blob-id", path.to_str().unwrap(), "--n-shards", "13", "--json"]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON value");

    let config = EncodingConfig::new(13).unwrap();
    let id = *compute_metadata(&config, &bytes).unwrap().blob_id();
    assert_eq!(value["blob_id"], id.to_string());
    assert_eq!(value["blob_id_u256"], id.to_u256_decimal());
    assert_eq!(value["size"], 4_321);
    assert_eq!(value["encoded_size"], config.encoded_blob_length(4_321).unwrap());
    assert_eq!(value["n_shards"], 13);
}

#[test]
fn global_json_flag_works_before_the_subcommand() {
    let (_dir, path, _) = sample_file(10);
    let out = floe(&["--json", "blob-id", path.to_str().unwrap(), "--n-shards", "4"]);
    assert!(out.status.success());
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["size"], 10);
}

#[test]
fn missing_file_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-file.txt");
    let out = floe(&["blob-id", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(missing.to_str().unwrap()) && stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn too_few_shards_fail_saying_the_minimum() {
    let (_dir, path, _) = sample_file(10);
    let out = floe(&["blob-id", path.to_str().unwrap(), "--n-shards", "3"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("pass --n-shards 4 or more"), "{stderr}");
}

#[test]
fn file_too_large_for_the_shard_count_fails_with_its_size_and_the_limit() {
    let max = EncodingConfig::new(4).unwrap().max_blob_size();
    let (_dir, path, _) = sample_file(usize::try_from(max).unwrap() + 1);
    let out = floe(&["blob-id", path.to_str().unwrap(), "--n-shards", "4"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(&(max + 1).to_string()) && stderr.contains(&max.to_string()), "{stderr}");
    assert!(stderr.contains("larger --n-shards"), "{stderr}");
}

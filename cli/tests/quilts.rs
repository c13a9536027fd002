//! Quilts through the `floe` binary: `blob-id --quilt` offline, then on a spawned localnet
//! `store-quilt`, `list-patches`, `read-quilt` by identifier, tag and all, and `read PATCH_ID`.

mod common;

use common::{Localnet, floe_command, run};
use floe_encoder::{
    EncodingConfig, encode,
    quilt::{Quilt, QuiltFile, QuiltPatchId},
};

fn write_files(dir: &std::path::Path) -> Vec<(String, std::path::PathBuf, Vec<u8>)> {
    [
        ("notes.txt", b"some notes".to_vec()),
        ("empty.bin", Vec::new()),
        ("data.bin", (0..5000u32).map(|i| (i % 251) as u8).collect()),
    ]
    .into_iter()
    .map(|(name, data)| {
        let path = dir.join(name);
        std::fs::write(&path, &data).unwrap();
        (name.to_owned(), path, data)
    })
    .collect()
}

#[test]
fn blob_id_quilt_matches_the_encoder_and_refuses_several_files_without_quilt() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(dir.path());
    let paths: Vec<&str> = files.iter().map(|(_, path, _)| path.to_str().unwrap()).collect();
    let mut args = vec!["blob-id", "--quilt"];
    args.extend(&paths);
    args.extend(["--tag", "k=v", "--identifier", "n", "--identifier", "e", "--identifier", "d", "--n-shards", "10"]);
    let report = run(floe_command(&args)).unwrap();

    let config = EncodingConfig::new(10).unwrap();
    let quilt_files: Vec<QuiltFile> = files
        .iter()
        .zip(["n", "e", "d"])
        .map(|((_, _, data), id)| QuiltFile::new(id, data.clone()).unwrap().with_tag("k", "v"))
        .collect();
    let quilt = Quilt::encode(&config, &quilt_files).unwrap();
    let id = *encode(&config, quilt.bytes()).unwrap().metadata.blob_id();
    assert_eq!(report["blob_id"], id.to_string());
    assert_eq!(report["size"], quilt.bytes().len());
    let patches = report["patches"].as_array().unwrap();
    let identifiers: Vec<&str> = patches.iter().map(|p| p["identifier"].as_str().unwrap()).collect();
    assert_eq!(identifiers, ["d", "e", "n"]);
    for (patch, ours) in patches.iter().zip(quilt.index().patches()) {
        assert_eq!(patch["patch_id"], QuiltPatchId { quilt_id: id, patch: ours.internal_id() }.to_string());
        assert_eq!(patch["tags"]["k"], "v");
    }

    let mut plain = vec!["blob-id"];
    plain.extend(&paths);
    let error = run(floe_command(&plain)).unwrap_err();
    assert!(error.contains("3 files given") && error.contains("--quilt"), "{error}");
}

#[test]
fn a_quilt_stored_with_the_cli_reads_back_by_identifier_tag_all_and_patch_id() {
    let dir = tempfile::tempdir().unwrap();
    let net = Localnet::start(&dir.path().join("net"), &[]);
    let files = write_files(dir.path());
    let mut args = vec!["store-quilt"];
    args.extend(files.iter().map(|(_, path, _)| path.to_str().unwrap()));
    args.extend(["--tag", "project=floe", "--epochs", "2"]);
    let stored = net.floe(Some(&net.key), &args).unwrap();
    let quilt_id = stored["quilt_id"].as_str().unwrap().to_owned();
    assert!(stored["outcome"]["newlyCreated"].is_object(), "{stored}");

    // The same quilt id as computed offline for the localnet's 12 shards.
    let mut offline = vec!["blob-id", "--quilt"];
    offline.extend(files.iter().map(|(_, path, _)| path.to_str().unwrap()));
    offline.extend(["--tag", "project=floe", "--n-shards", "12"]);
    assert_eq!(run(floe_command(&offline)).unwrap()["blob_id"], quilt_id.as_str());

    let listed = net.floe(None, &["list-patches", &quilt_id]).unwrap();
    assert_eq!(listed["patches"], stored["patches"]);
    let patch_of = |name: &str| {
        listed["patches"].as_array().unwrap().iter().find(|p| p["identifier"] == name).unwrap()["patch_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    let out = dir.path().join("by-identifier");
    let read =
        net.floe(None, &["read-quilt", &quilt_id, "--identifier", "data.bin", "-o", out.to_str().unwrap()]).unwrap();
    assert_eq!(read["files"].as_array().unwrap().len(), 1);
    assert_eq!(std::fs::read(out.join("data.bin")).unwrap(), files[2].2);

    let out = dir.path().join("by-tag");
    let read =
        net.floe(None, &["read-quilt", &quilt_id, "--tag", "project=floe", "-o", out.to_str().unwrap()]).unwrap();
    assert_eq!(read["files"].as_array().unwrap().len(), 3);
    for (name, _, data) in &files {
        assert_eq!(&std::fs::read(out.join(name)).unwrap(), data, "{name}");
    }
    let none =
        net.floe(None, &["read-quilt", &quilt_id, "--tag", "project=other", "-o", out.to_str().unwrap()]).unwrap();
    assert_eq!(none["files"].as_array().unwrap().len(), 0);

    let out = dir.path().join("all");
    net.floe(None, &["read-quilt", &quilt_id, "--all", "-o", out.to_str().unwrap()]).unwrap();
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), files[0].2);
    assert_eq!(std::fs::read(out.join("empty.bin")).unwrap(), files[1].2);

    let copy = dir.path().join("notes-copy.txt");
    net.floe(None, &["read", &patch_of("notes.txt"), "-o", copy.to_str().unwrap()]).unwrap();
    assert_eq!(std::fs::read(&copy).unwrap(), files[0].2);

    let error = net.floe(None, &["read-quilt", &quilt_id, "--identifier", "missing.txt"]).unwrap_err();
    assert!(error.contains("no patch with identifier \"missing.txt\""), "{error}");
    let error = net.floe(None, &["read-quilt", &quilt_id, "--all"]).unwrap_err();
    assert!(error.contains("3 files match; pass -o DIR"), "{error}");
}

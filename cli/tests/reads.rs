//! `floe read` through the binary: a blob is written out as its rows arrive (to a file under a
//! temporary name, renamed once whole, or to stdout), byte for byte what was stored, and a read
//! that fails leaves no file behind.

use std::process::Command;

use rand::{RngCore as _, SeedableRng as _, rngs::StdRng};

mod common;

use common::{Localnet, floe_command};

/// Seeded random bytes: incompressible, and (with overwhelming odds) not a Seal object.
fn bytes(len: usize) -> Vec<u8> {
    let mut data = vec![0; len];
    StdRng::seed_from_u64(7).fill_bytes(&mut data);
    data
}

/// `floe --json read ARGS --deployment D` with its raw stdout.
fn read_command(net: &Localnet, args: &[&str]) -> Command {
    let mut command = floe_command(&[&["read"], args].concat());
    command.arg("--deployment").arg(&net.deployment);
    command
}

#[test]
fn a_read_writes_the_stored_bytes_to_a_file_or_stdout_and_nothing_when_it_fails() {
    let dir = tempfile::tempdir().unwrap();
    let net = Localnet::start(&dir.path().join("net"), &[]);
    // Several rows of the message matrix (n - 2f = 6 at 12 shards, where at most 3.5 MB fit).
    let data = bytes(3 * 1024 * 1024 + 12_345);
    let file = dir.path().join("data.bin");
    std::fs::write(&file, &data).unwrap();
    // Stored through a spill file (every file from 0 MiB on), which is gone afterwards.
    let spill = dir.path().join("spill");
    std::fs::create_dir(&spill).unwrap();
    let spill_args = ["--spill-above-mib", "0", "--spill-dir", spill.to_str().unwrap()];
    let stored = net
        .floe(Some(&net.key), &[&["store", file.to_str().unwrap(), "--epochs", "2"][..], &spill_args].concat())
        .unwrap();
    let blob_id = stored["blob_id"].as_str().unwrap().to_owned();
    assert_eq!(std::fs::read_dir(&spill).unwrap().count(), 0, "floe store left a spill file");

    let copy = dir.path().join("copy.bin");
    let report = net.floe(None, &["read", &blob_id, "-o", copy.to_str().unwrap()]).unwrap();
    assert_eq!(report["size"], data.len() as u64, "{report}");
    assert!(std::fs::read(&copy).unwrap() == data, "the file differs from the stored bytes");
    assert!(!dir.path().join("copy.bin.floe-partial").exists(), "the temporary file was renamed");

    let out = read_command(&net, &[&blob_id]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout == data, "stdout ({} bytes) differs from the stored bytes", out.stdout.len());

    // A blob nobody stored: an error naming it, and neither the file nor its temporary name.
    let unknown = "M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk";
    let missing = dir.path().join("missing.bin");
    let error = net.floe(None, &["read", unknown, "-o", missing.to_str().unwrap()]).unwrap_err();
    assert!(error.contains(unknown), "{error}");
    assert!(!missing.exists() && !dir.path().join("missing.bin.floe-partial").exists());
}

/// Nodes drop an expired blob and answer for it as for one never stored; a reader whose wallet
/// holds the blob's object is told that its storage ended, and when.
#[test]
fn a_read_of_an_expired_blob_says_so_to_the_wallet_that_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let net = Localnet::start(&dir.path().join("net"), &["--epoch-secs", "4", "--key-servers", "0", "--no-demo"]);
    let file = dir.path().join("data.bin");
    std::fs::write(&file, bytes(5_000)).unwrap();
    let stored = net.floe(Some(&net.key), &["store", file.to_str().unwrap(), "--epochs", "1"]).unwrap();
    let blob_id = stored["blob_id"].as_str().unwrap().to_owned();
    let end_epoch = stored["outcome"]["newlyCreated"]["blobObject"]["storage"]["endEpoch"]
        .as_u64()
        .unwrap_or_else(|| panic!("no end epoch in {stored}"));
    let copy = dir.path().join("copy.bin");
    let copy = copy.to_str().unwrap();

    // The storage ends within an epoch or two (4 s each); the nodes then drop the blob.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let error = loop {
        match net.floe(Some(&net.key), &["read", &blob_id, "-o", copy]) {
            Err(error) => break error,
            Ok(_) if std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_secs(1)),
            Ok(read) => panic!("blob {blob_id}, stored until epoch {end_epoch}, still read after 120 s: {read}"),
        }
    };
    assert!(error.contains(&format!("blob {blob_id} has expired")), "{error}");
    assert!(error.contains(&format!("ended at epoch {end_epoch}")), "{error}");
    assert!(error.contains("does not exist"), "the nodes' answer is kept as the cause: {error}");

    // Without a wallet nothing tells an expired blob from one never stored.
    let error = net.floe(None, &["read", &blob_id, "-o", copy]).unwrap_err();
    assert!(error.contains("does not exist") && !error.contains("expired"), "{error}");
}

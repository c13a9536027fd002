//! What checking a stored sliver costs on the read path, next to what it saves.
//!
//! `cargo bench -p floe-node --bench sliver_digest` prints one line per figure, for blobs of
//! `FLOE_BENCH_BLOB_MIB` (default 1,16) MiB at n = 100 and n = 1000 shards:
//! - decode: BCS to sliver only (what a read did before slivers carried a digest);
//! - digest: the record checked against its XXH3-128 digest only (what serving a sliver costs:
//!   the BCS is sent as stored), and the same with BLAKE2b-256, the digest of store format 1;
//! - digest + decode: the record checked, then decoded (what the scrub, recovery and a
//!   confirmation do for each sliver the node's process did not store itself, see
//!   `floe_node::vouched`);
//! - store read: the same through redb (a read transaction, the copy out of the page cache);
//! - Merkle check: the sliver re-encoded and hashed against the metadata (what the scrub adds,
//!   and what a read would cost without the digest).

use std::time::{Duration, Instant};

use floe_encoder::{EncodingConfig, ShardIndex, Sliver, SliverType, encode};
use floe_node::{Store, stored_sliver};

fn blob(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1]).collect()
}

/// Runs `work` over `slivers` until at least half a second has passed; per sliver and MiB/s.
fn time(slivers: &[Sliver], mut work: impl FnMut(&Sliver)) -> (Duration, f64) {
    let bytes: usize = slivers.iter().map(|sliver| sliver.data().len()).sum();
    let (started, mut rounds) = (Instant::now(), 0u32);
    while started.elapsed() < Duration::from_millis(500) {
        slivers.iter().for_each(&mut work);
        rounds += 1;
    }
    let elapsed = started.elapsed();
    let per_sliver = elapsed / (rounds * slivers.len() as u32);
    let mib_per_sec = (bytes as f64 * f64::from(rounds)) / elapsed.as_secs_f64() / f64::from(1 << 20);
    (per_sliver, mib_per_sec)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("FLOE_BENCH_BLOB_MIB")
        .unwrap_or_else(|_| "1,16".into())
        .split(',')
        .filter_map(|size| size.trim().parse().ok())
        .collect();
    for n_shards in [100u16, 1000] {
        let config = EncodingConfig::new(n_shards).expect("a valid shard count");
        for &mib in &sizes {
            let encoded = encode(&config, &blob(mib << 20)).expect("the blob fits");
            let blob_id = *encoded.metadata.blob_id();
            // 16 slivers of each axis, as one node's share of a blob.
            let pairs = &encoded.pairs[..16];
            for axis in [SliverType::Primary, SliverType::Secondary] {
                let slivers: Vec<Sliver> = pairs.iter().map(|pair| pair.sliver(axis).clone()).collect();
                let bcs: Vec<Vec<u8>> = slivers.iter().map(Sliver::to_bcs).collect();
                let records: Vec<Vec<u8>> = slivers.iter().map(stored_sliver::seal).collect();
                let dir = tempfile::tempdir().expect("a temporary directory");
                let store = Store::open(dir.path()).expect("the store opens");
                for (i, sliver) in slivers.iter().enumerate() {
                    store.put_sliver(ShardIndex(i as u16), &blob_id, sliver).expect("stored");
                }
                let index_of = |sliver: &Sliver| slivers.iter().position(|s| s.index() == sliver.index()).unwrap_or(0);
                let size = slivers[0].data().len();
                let label = format!("n={n_shards} blob {mib} MiB {axis} sliver {size} B");
                let (decode, decode_rate) =
                    time(&slivers, |sliver| drop(Sliver::from_bcs(axis, &bcs[index_of(sliver)]).expect("decodes")));
                let (check, check_rate) = time(&slivers, |sliver| {
                    std::hint::black_box(stored_sliver::checked_bcs(&records[index_of(sliver)]).expect("intact"));
                });
                let (blake2b, blake2b_rate) = time(&slivers, |sliver| {
                    std::hint::black_box(blake2b_simd::Params::new().hash_length(32).hash(&bcs[index_of(sliver)]));
                });
                let (digest, digest_rate) = time(&slivers, |sliver| {
                    drop(stored_sliver::open(axis, &records[index_of(sliver)]).expect("intact"));
                });
                let (read, read_rate) = time(&slivers, |sliver| {
                    let shard = ShardIndex(index_of(sliver) as u16);
                    drop(store.sliver(shard, axis, &blob_id).expect("reads").expect("stored"));
                });
                let (merkle, merkle_rate) =
                    time(&slivers, |sliver| encoded.metadata.verify_sliver(&config, sliver).expect("verifies"));
                println!(
                    "{label}: decode {decode:?} ({decode_rate:.0} MiB/s); digest {check:?} ({check_rate:.0} MiB/s), \
                     BLAKE2b-256 {blake2b:?} ({blake2b_rate:.0} MiB/s); digest + decode {digest:?} \
                     ({digest_rate:.0} MiB/s); store read with digest {read:?} ({read_rate:.0} MiB/s); \
                     Merkle check {merkle:?} ({merkle_rate:.0} MiB/s)"
                );
            }
        }
    }
}

//! Encoder benchmark: prints one line per figure.
//!
//! `cargo bench -p floe-encoder --bench encoding` (add `-- --quick` for 1 and 16 MiB only,
//! `-- --small` for the 100-byte figures and the metadata's BCS only).
//! Figures: encode (slivers + metadata + blob id) and decode (from the systematic primary slivers,
//! and from a random set of n - 2f primary slivers, both with the default consistency check) for
//! n = 10, 100, 1000 and 1, 16, 128 MiB; the check of every sliver against the metadata that
//! the committee's nodes make on a store; peak memory during encode (the blob, the heap growth
//! while encoding and the slivers' mapped blocks) relative to blob + slivers;
//! recovery of one primary and one secondary sliver at n = 1000; and one Reed-Solomon codeword of
//! the n = 1000 primary code with reed-solomon-simd versus reed-solomon-erasure's GF(2^16) codec.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    hint::black_box,
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use floe_encoder::{EncodingConfig, SliverIndex, SliverType, decode::BlobDecoder, encode, recovery};

/// Counts live heap bytes and their peak, to measure the encoder's memory.
struct CountingAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const MIB: usize = 1 << 20;

fn blob(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// The best of `runs` timings of `f`. The previous run's output is dropped before the next run
/// starts, so heap peaks measure one run.
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        drop(last.take());
        let start = Instant::now();
        let out = f();
        best = best.min(start.elapsed());
        last = Some(out);
    }
    (best, last.expect("at least one run"))
}

/// Like [`best_of`], with a fresh input made by `setup` outside the timed part of each run.
fn best_of_with<I, T>(runs: usize, mut setup: impl FnMut() -> I, mut f: impl FnMut(I) -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        drop(last.take());
        let input = setup();
        let start = Instant::now();
        let out = f(input);
        best = best.min(start.elapsed());
        last = Some(out);
    }
    (best, last.expect("at least one run"))
}

fn rate(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / MIB as f64 / time.as_secs_f64()
}

fn main() {
    if std::env::args().any(|arg| arg == "--small") {
        small_blobs();
        return;
    }
    let quick = std::env::args().any(|arg| arg == "--quick");
    let sizes: &[usize] = if quick { &[1, 16] } else { &[1, 16, 128] };
    println!("threads: {}", rayon::current_num_threads());
    for n in [10u16, 100, 1000] {
        let config = EncodingConfig::new(n).unwrap();
        for &mib in sizes {
            let len = mib * MIB;
            if len as u64 > config.max_blob_size() {
                println!(
                    "n={n:<5} {mib:>4} MiB: over the maximum blob size of {} bytes, skipped",
                    config.max_blob_size()
                );
                continue;
            }
            let data = blob(len);
            let runs = if mib >= 128 { 2 } else { 3 };
            // Heap growth during encoding, on top of what was live (the blob, and process-wide
            // codec tables that are built once).
            let baseline = LIVE.load(Ordering::Relaxed);
            PEAK.store(baseline, Ordering::Relaxed);
            let (encode_time, encoded) = best_of(runs, || encode(&config, &data).unwrap());
            // The slivers' blocks are mapped, not heap (`sliver_memory`): they are taken before
            // the encoding's heap grows and live as long as its slivers, so they add to its peak.
            let peak = len + PEAK.load(Ordering::Relaxed) - baseline + floe_encoder::sliver_memory::mapped_bytes();
            let sliver_bytes: usize =
                encoded.pairs.iter().map(|p| p.primary.data().len() + p.secondary.data().len()).sum();
            println!(
                "encode  n={n:<5} {mib:>4} MiB: {:>8.1} ms {:>8.1} MiB/s   peak memory {:.2}x (blob + slivers = {} MiB)",
                encode_time.as_secs_f64() * 1e3,
                rate(len, encode_time),
                peak as f64 / (len + sliver_bytes) as f64,
                (len + sliver_bytes) / MIB,
            );
            // What a store costs the committee: every sliver checked against the metadata, a
            // tenth of the pairs per batch, as each node of a ten-member committee checks its
            // share of an upload.
            let slivers: Vec<_> = encoded.pairs.iter().flat_map(|pair| [&pair.primary, &pair.secondary]).collect();
            let share = (slivers.len() / 10).max(2);
            let (time, ()) = best_of(runs, || {
                for batch in slivers.chunks(share) {
                    assert!(encoded.metadata.verify_slivers(&config, batch).iter().all(Result::is_ok));
                }
            });
            println!(
                "check   n={n:<5} {mib:>4} MiB: {:>8.1} ms {:>8.1} MiB/s   (every sliver against the metadata, a tenth of the pairs per batch)",
                time.as_secs_f64() * 1e3,
                rate(len, time)
            );
            let decoder = BlobDecoder::new(&config, &encoded.metadata);
            let rows = usize::from(config.n_rows());
            let systematic: Vec<_> = encoded.pairs[..rows].iter().map(|p| p.primary.clone()).collect();
            let (time, out) = best_of_with(runs, || systematic.clone(), |slivers| decoder.decode(slivers).unwrap());
            assert!(out == data);
            println!(
                "decode  n={n:<5} {mib:>4} MiB: {:>8.1} ms {:>8.1} MiB/s   (systematic primary slivers, each verified)",
                time.as_secs_f64() * 1e3,
                rate(len, time)
            );
            // Every other sliver from the end: mostly parity rows, so Reed-Solomon decoding runs.
            let mixed: Vec<_> = encoded.pairs.iter().rev().step_by(2).take(rows).map(|p| p.primary.clone()).collect();
            let mixed = if mixed.len() == rows {
                mixed
            } else {
                encoded.pairs[usize::from(n) - rows..].iter().map(|p| p.primary.clone()).collect()
            };
            let (time, out) = best_of_with(runs, || mixed.clone(), |slivers| decoder.decode(slivers).unwrap());
            assert!(out == data);
            println!(
                "decode  n={n:<5} {mib:>4} MiB: {:>8.1} ms {:>8.1} MiB/s   (n-2f mostly parity primary slivers, verified, consistency check)",
                time.as_secs_f64() * 1e3,
                rate(len, time)
            );
            let verified: Vec<_> = mixed
                .iter()
                .map(|s| floe_encoder::decode::VerifiedSliver::new(&config, &encoded.metadata, s.clone()).unwrap())
                .collect();
            let (time, _) =
                best_of_with(runs, || verified.clone(), |slivers| decoder.decode_verified(slivers).unwrap());
            println!(
                "decode  n={n:<5} {mib:>4} MiB: {:>8.1} ms {:>8.1} MiB/s   (same slivers, verified on download, consistency check)",
                time.as_secs_f64() * 1e3,
                rate(len, time)
            );

            if n == 1000 {
                bench_recovery(&config, &encoded, mib);
            }
        }
    }
    small_blobs();
    compare_codecs();
}

/// A small blob's encoding is all metadata: at n = 1000 it is 2 x n^2 leaf hashes and as many
/// inner nodes whatever the size, so it sets the floor of a small store. The node side is what
/// the whole committee spends checking every sliver of that blob against its metadata.
fn small_blobs() {
    for n in [100u16, 1000] {
        let config = EncodingConfig::new(n).unwrap();
        let data = blob(100);
        let (time, encoded) = best_of(5, || encode(&config, &data).unwrap());
        let slivers: Vec<_> = encoded.pairs.iter().flat_map(|pair| [&pair.primary, &pair.secondary]).collect();
        let (verify, ()) = best_of(3, || {
            for sliver in &slivers {
                encoded.metadata.verify_sliver(&config, sliver).unwrap();
            }
        });
        // As the nodes of a committee of n / 10 check them: each node's ten shards' slivers in one
        // batch (one upload request), the batches one after the other.
        let (batched, ()) = best_of(3, || {
            for batch in slivers.chunks(20) {
                assert!(encoded.metadata.verify_slivers(&config, batch).iter().all(Result::is_ok));
            }
        });
        println!(
            "encode  n={n:<5}  100 B: {:>8.1} ms; every sliver checked against the metadata: {:>8.1} ms one at a time (one thread), {:>8.1} ms in batches of 10 pairs",
            time.as_secs_f64() * 1e3,
            verify.as_secs_f64() * 1e3,
            batched.as_secs_f64() * 1e3
        );
        metadata_bcs(n, encoded.metadata.metadata());
    }
}

/// The metadata's BCS, which every node decodes and stores on each upload: floe's direct
/// encoding and decoding against the `bcs` crate's serde path over the same pair hashes.
fn metadata_bcs(n: u16, metadata: &floe_encoder::metadata::BlobMetadata) {
    use floe_encoder::metadata::{BlobMetadata, SliverPairMetadata};
    const ROUNDS: u32 = 200;
    let bytes = metadata.to_bcs();
    let hashes = bcs::to_bytes(metadata.hashes()).unwrap();
    let per_round = |time: Duration| time.as_secs_f64() * 1e6 / f64::from(ROUNDS);
    let (encode, ()) = best_of(3, || (0..ROUNDS).for_each(|_| drop(black_box(metadata.to_bcs()))));
    let (decode, ()) = best_of(3, || (0..ROUNDS).for_each(|_| drop(black_box(BlobMetadata::from_bcs(&bytes)))));
    let (serde_encode, ()) = best_of(3, || (0..ROUNDS).for_each(|_| drop(black_box(bcs::to_bytes(metadata.hashes())))));
    let (serde_decode, ()) =
        best_of(3, || (0..ROUNDS).for_each(|_| drop(black_box(bcs::from_bytes::<Vec<SliverPairMetadata>>(&hashes)))));
    println!(
        "metadata n={n:<5} ({} B of BCS): encode {:>7.1} us, decode {:>7.1} us; through serde (bcs crate): encode {:>7.1} us, decode {:>7.1} us",
        bytes.len(),
        per_round(encode),
        per_round(decode),
        per_round(serde_encode),
        per_round(serde_decode)
    );
}

fn bench_recovery(config: &EncodingConfig, encoded: &floe_encoder::EncodedBlob, mib: usize) {
    for axis in [SliverType::Primary, SliverType::Secondary] {
        let target = SliverIndex(5);
        let source_axis = axis.orthogonal();
        let (produce, symbols) = best_of(1, || {
            encoded
                .pairs
                .iter()
                .map(|pair| recovery::recovery_symbols(config, pair.sliver(source_axis), &[target]).unwrap().remove(0))
                .collect::<Vec<_>>()
        });
        let (time, sliver) =
            best_of_with(3, || symbols.clone(), |symbols| recover_sliver(config, encoded, axis, target, symbols));
        println!(
            "recover n=1000 {mib:>4} MiB: {axis:<9} sliver ({} B) in {:>7.1} ms from {} symbols (producing one symbol: {:.2} ms per source sliver)",
            sliver.data().len(),
            time.as_secs_f64() * 1e3,
            config.sliver_symbols(axis),
            produce.as_secs_f64() * 1e3 / 1000.0,
        );
    }
}

fn recover_sliver(
    config: &EncodingConfig,
    encoded: &floe_encoder::EncodedBlob,
    axis: SliverType,
    target: SliverIndex,
    symbols: Vec<floe_encoder::recovery::RecoverySymbol>,
) -> floe_encoder::Sliver {
    recovery::recover_sliver(config, &encoded.metadata, axis, target, symbols).unwrap()
}

/// One codeword of the n = 1000 primary code (334 source symbols to 1000) at the 16 MiB symbol
/// size, with both codecs.
fn compare_codecs() {
    let (k, n, symbol) = (334usize, 1000usize, 76usize);
    let source: Vec<Vec<u8>> = (0..k).map(|i| blob(symbol + i % 3).into_iter().take(symbol).collect()).collect();
    let (simd, _) = best_of(20, || {
        let mut encoder = reed_solomon_simd::ReedSolomonEncoder::new(k, n - k, symbol).unwrap();
        for shard in &source {
            encoder.add_original_shard(shard).unwrap();
        }
        let result = encoder.encode().unwrap();
        black_box(result.recovery_iter().count())
    });
    let codec = reed_solomon_erasure::galois_16::ReedSolomon::new(k, n - k).unwrap();
    let (erasure, _) = best_of(3, || {
        let mut shards: Vec<Vec<[u8; 2]>> = source
            .iter()
            .map(|s| s.chunks_exact(2).map(|c| [c[0], c[1]]).collect())
            .chain((0..n - k).map(|_| vec![[0u8; 2]; symbol / 2]))
            .collect();
        codec.encode(&mut shards).unwrap();
        black_box(shards.len())
    });
    println!(
        "codec   k=334 n=1000 76-byte symbols: reed-solomon-simd {:.3} ms, reed-solomon-erasure GF(2^16) {:.1} ms ({:.0}x slower)",
        simd.as_secs_f64() * 1e3,
        erasure.as_secs_f64() * 1e3,
        erasure.as_secs_f64() / simd.as_secs_f64()
    );
}

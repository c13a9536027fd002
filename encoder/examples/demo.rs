//! The encoder end to end: encode a file, print its blob id, lose a third of the shards, decode
//! the file back from what is left, check the bytes, and rebuild a lost sliver.
//!
//! `cargo run -p floe-encoder --example demo -- [FILE] [N_SHARDS]` (defaults: a generated 4 MiB
//! file, 1000 shards).

use std::{process::ExitCode, time::Instant};

use floe_encoder::{EncodingConfig, SliverIndex, SliverType, decode::BlobDecoder, encode, recovery};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (name, data) = match args.next() {
        Some(path) => (path.clone(), std::fs::read(&path).map_err(|err| format!("cannot read {path}: {err}"))?),
        None => (
            "generated 4 MiB".to_owned(),
            (0..4u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect(),
        ),
    };
    let n_shards: u16 = match args.next() {
        Some(text) => text.parse().map_err(|_| format!("N_SHARDS must be a number from 4 to 65535, got {text:?}"))?,
        None => 1000,
    };
    let config = EncodingConfig::new(n_shards)?;
    println!("file        {name}: {} bytes", data.len());
    println!(
        "committee   {n_shards} shards, up to f = {} faulty; {} x {} symbol matrix",
        config.max_faulty(),
        config.n_rows(),
        config.n_columns()
    );

    let start = Instant::now();
    let encoded = encode(&config, &data)?;
    let blob_id = encoded.metadata.blob_id();
    println!(
        "encoded     in {:.0} ms: {n_shards} sliver pairs of {}-byte symbols",
        start.elapsed().as_secs_f64() * 1e3,
        encoded.pairs[0].primary.symbol_size()
    );
    println!("blob id     {blob_id}");
    println!("  as u256   {}", blob_id.to_u256_decimal());
    println!(
        "storage     {} bytes encoded (what the chain charges for)",
        config.encoded_blob_length(data.len() as u64)?
    );

    // A third of the shards fail: keep every sliver pair except the first f.
    let f = usize::from(config.max_faulty());
    let survivors = &encoded.pairs[f..];
    println!("failure     shards holding pairs 0..{f} are gone; {} pairs remain", survivors.len());

    let decoder = BlobDecoder::new(&config, &encoded.metadata);
    let start = Instant::now();
    let decoded = decoder.decode(survivors.iter().map(|pair| pair.primary.clone()))?;
    let same = decoded == data;
    println!(
        "decoded     in {:.0} ms from {} primary slivers: bytes {}",
        start.elapsed().as_secs_f64() * 1e3,
        config.n_rows(),
        if same { "identical" } else { "DIFFER" }
    );

    // A node that lost primary sliver 0 rebuilds it from one symbol per surviving secondary sliver
    // (each surviving node produces its symbol; only the rebuild is timed here).
    let symbols: Vec<_> = survivors
        .iter()
        .map(|pair| {
            recovery::recovery_symbols(&config, &pair.secondary, &[SliverIndex(0)])
                .expect("a well-formed sliver")
                .remove(0)
        })
        .collect();
    let start = Instant::now();
    let rebuilt = recovery::recover_sliver(&config, &encoded.metadata, SliverType::Primary, SliverIndex(0), symbols)?;
    let recovered = rebuilt == encoded.pairs[0].primary;
    println!(
        "recovered   primary sliver 0 ({} bytes) in {:.0} ms from {} symbols: {}",
        rebuilt.data().len(),
        start.elapsed().as_secs_f64() * 1e3,
        config.n_columns(),
        if recovered { "matches the metadata" } else { "DIFFERS" }
    );
    if same && recovered { Ok(()) } else { Err("round trip failed".into()) }
}

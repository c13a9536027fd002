//! Every fuzz target over its seeds and its corpus (`corpus/<target>/`, what `scripts/fuzz` kept
//! and the regression inputs of fixed findings), as a plain test: runs on stable Rust, without
//! libFuzzer (`cargo test --manifest-path fuzz/Cargo.toml`).

use std::path::Path;

#[test]
fn every_target_accepts_its_seeds_and_corpus_without_panicking() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, target) in floe_fuzz::TARGETS {
        let mut inputs = floe_fuzz::seeds(name);
        assert!(!inputs.is_empty(), "{name} has seeds");
        if let Ok(entries) = std::fs::read_dir(corpus.join(name)) {
            inputs.extend(entries.filter_map(Result::ok).filter_map(|e| std::fs::read(e.path()).ok()));
        }
        for input in &inputs {
            target(input);
        }
        println!("{name}: {} inputs", inputs.len());
    }
}

//! Writes every target's seeds into `fuzz/corpus/<target>/seed-<i>` (scripts/fuzz runs this
//! first, so the fuzzers start from valid encodings).

fn main() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, _) in floe_fuzz::TARGETS {
        let dir = corpus.join(name);
        std::fs::create_dir_all(&dir).expect("the corpus directory");
        for (i, seed) in floe_fuzz::seeds(name).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i}")), seed).expect("a seed file");
        }
    }
}

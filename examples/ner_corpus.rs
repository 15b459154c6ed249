//! Times the recognizer over JSON Lines corpora: `cargo run --release --example ner_corpus -- MODEL FILE...`
//! A profiling aid; the comparison with spaCy is `benches/compare_ner.py`.

use std::time::Instant;

use newstally::entities::Recognizer;
use newstally::parallel::Cancel;

fn main() {
    let mut args = std::env::args().skip(1);
    let model = args.next().expect("MODEL");
    let rec = Recognizer::from_bytes(&std::fs::read(&model).expect("read model")).expect("model");
    let mut texts: Vec<String> = Vec::new();
    for f in args {
        for line in std::fs::read_to_string(&f).expect("read corpus").lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("json");
            texts.push(v["text"].as_str().unwrap_or_default().to_owned());
        }
    }
    let words: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    for threads in [1, 2] {
        let t = Instant::now();
        let out = rec
            .predict_batch(&texts, threads, &Cancel::new())
            .expect("predict");
        let s = t.elapsed().as_secs_f64();
        let n: usize = out.iter().map(Vec::len).sum();
        println!(
            "{threads} thread(s): {:.0} words/s, {n} entities",
            words as f64 / s
        );
    }
}

//! Times the recognizer over JSON Lines corpora: `cargo run --release --example ner_corpus -- MODEL FILE...`
//! A profiling aid; the comparison with spaCy is `benches/compare_ner.py`. `NER_THREADS=1,1,1` sets the
//! thread counts of the timed runs (default `1,2`); `NER_WORDS=300000` keeps the first articles up to
//! that many words, as `benches/compare_ner.py` does; `NER_COLD=1` times each run on a freshly
//! loaded model, without the word lookups earlier runs left.

use std::hash::{Hash, Hasher};
use std::time::Instant;

use newstally::entities::Recognizer;
use newstally::parallel::Cancel;

fn main() {
    let mut args = std::env::args().skip(1);
    let model = args.next().expect("MODEL");
    let bytes = std::fs::read(&model).expect("read model");
    let mut rec = Recognizer::from_bytes(&bytes).expect("model");
    println!("{:?}", rec.model());
    let cold = std::env::var_os("NER_COLD").is_some();
    let mut texts: Vec<String> = Vec::new();
    for f in args {
        for line in std::fs::read_to_string(&f).expect("read corpus").lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("json");
            texts.push(v["text"].as_str().unwrap_or_default().to_owned());
        }
    }
    if let Ok(limit) = std::env::var("NER_WORDS") {
        let limit: usize = limit.parse().expect("NER_WORDS: a word count");
        let mut words = 0;
        let keep = texts
            .iter()
            .take_while(|t| {
                let under = words < limit;
                words += t.split_whitespace().count();
                under
            })
            .count();
        texts.truncate(keep);
    }
    let words: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    let runs: Vec<usize> = std::env::var("NER_THREADS")
        .unwrap_or_else(|_| "1,2".into())
        .split(',')
        .map(|t| {
            t.trim()
                .parse()
                .expect("NER_THREADS: comma-separated counts")
        })
        .collect();
    for threads in runs {
        if cold {
            rec = Recognizer::from_bytes(&bytes).expect("model");
        }
        let t = Instant::now();
        let out = rec
            .predict_batch(&texts, threads, &Cancel::new())
            .expect("predict");
        let s = t.elapsed().as_secs_f64();
        let n: usize = out.iter().map(Vec::len).sum();
        // A fingerprint of every span, to see at a glance that a change kept the output.
        let mut h = std::hash::DefaultHasher::new();
        out.hash(&mut h);
        println!(
            "{threads} thread(s): {:.0} words/s, {n} entities, fingerprint {:016x}",
            words as f64 / s,
            h.finish()
        );
    }
}

//! Bench corpus: JSON Lines files named by `NEWSTALLY_BENCH_CORPUS` (colon-separated), else the shared
//! news corpora beside the repository, else generated text so `cargo bench` runs anywhere.

use std::path::PathBuf;

/// The texts and their total size in bytes.
pub fn corpus() -> (Vec<String>, u64) {
    let paths: Vec<PathBuf> = match std::env::var("NEWSTALLY_BENCH_CORPUS") {
        Ok(v) => v.split(':').map(PathBuf::from).collect(),
        Err(_) => ["bbc", "reuters21578", "reuters_c50"]
            .iter()
            .map(|n| {
                PathBuf::from(format!(
                    "{}/../shared/data/news/{n}.jsonl",
                    env!("CARGO_MANIFEST_DIR")
                ))
            })
            .filter(|p| p.exists())
            .collect(),
    };
    let mut texts = Vec::new();
    for p in &paths {
        let raw = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for line in raw.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON object per line");
            texts.push(v["text"].as_str().unwrap_or_default().to_owned());
        }
    }
    if texts.is_empty() {
        eprintln!("no bench corpus found: using 20 MB of generated text");
        texts = generated(20_000_000);
    }
    let bytes = texts.iter().map(|t| t.len() as u64).sum();
    (texts, bytes)
}

fn generated(total: usize) -> Vec<String> {
    const WORDS: &[&str] = &[
        "the",
        "minister",
        "said",
        "on",
        "Monday",
        "that",
        "inflation",
        "rose",
        "to",
        "3.5",
        "percent",
        "in",
        "Berlin",
        "and",
        "Putin’s",
        "well-known",
        "talks",
        "with",
        "U.S.",
        "officials",
        "Zürich",
        "a",
    ];
    let mut state = 42u64;
    let mut out = Vec::new();
    let mut size = 0;
    while size < total {
        let mut doc = String::new();
        for i in 0..400 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            doc.push_str(WORDS[(state >> 33) as usize % WORDS.len()]);
            doc.push_str(if i % 19 == 18 { ". " } else { " " });
        }
        size += doc.len();
        out.push(doc);
    }
    out
}

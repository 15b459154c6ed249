//! Times counting over JSON Lines corpora: `cargo run --release --example count_corpus -- [--ngrams N] [--threads T] [--matrix] [--word] [--batch-mb M] [--stats] FILE...`
//! (`--word`: the word tokenizer instead of scikit-learn's pattern; `--batch-mb`: feed batches of about
//! M MB, as `newstally.count` does with 4, rather than one; `--stats`: time the
//! result tables `newstally.count` builds instead of the vectorizer's features and matrix).
//! A profiling aid; the benchmarks proper are `benches/*.rs` and `benches/compare.py`.

use std::time::Instant;

use newstally::parallel::Cancel;
use newstally::terms::{CountConfig, Counter, Pruning};
use newstally::tokenize::{TokenizerConfig, WordTokenizerConfig};

/// User + system CPU seconds of this process so far (from /proc/self/stat, 10 ms resolution): less
/// disturbed than wall time when other work shares the machine.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| {
        f.iter().filter_map(|v| v.parse::<f64>().ok()).sum()
    });
    ticks / 100.0
}

fn main() {
    let mut hi = 1;
    let mut threads = None;
    let mut matrix = false;
    let mut word = false;
    let mut stats = false;
    let mut batch_bytes = usize::MAX;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--ngrams" => {
                hi = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--ngrams N");
            }
            "--threads" => threads = args.next().and_then(|v| v.parse().ok()),
            "--matrix" => matrix = true,
            "--word" => word = true,
            "--stats" => stats = true,
            "--batch-mb" => {
                batch_bytes = args
                    .next()
                    .and_then(|v| v.parse::<usize>().ok())
                    .expect("--batch-mb M")
                    * 1_000_000;
            }
            _ => files.push(a),
        }
    }
    let mut texts: Vec<String> = Vec::new();
    for f in &files {
        for line in std::fs::read_to_string(f).expect("read corpus").lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("json");
            texts.push(v["text"].as_str().unwrap_or_default().to_owned());
        }
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    for _ in 0..3 {
        let t = Instant::now();
        let cpu0 = cpu_seconds();
        let config = CountConfig {
            ngram_range: (1, hi),
            tokenizer: if word {
                TokenizerConfig::Word(WordTokenizerConfig::default())
            } else {
                TokenizerConfig::sklearn()
            },
            ..CountConfig::default()
        };
        let mut c = Counter::new(config, threads, matrix).expect("counter");
        let mut start = 0;
        while start < texts.len() {
            let mut end = start;
            let mut size = 0;
            while end < texts.len() && size < batch_bytes {
                size += texts[end].len();
                end += 1;
            }
            c.update(&texts[start..end], &Cancel::new())
                .expect("update");
            start = end;
        }
        let t_count = t.elapsed().as_secs_f64();
        if stats {
            let s = c.into_stats(Pruning::default()).expect("stats");
            println!(
                "count {t_count:.3}s, into_stats {:.3}s ({} documents)",
                t.elapsed().as_secs_f64() - t_count,
                s.n_documents()
            );
            continue;
        }
        let f = c.features(&Cancel::new()).expect("features");
        let t_feat = t.elapsed().as_secs_f64();
        let mut nnz = 0;
        if matrix {
            let keep: Vec<usize> = (0..f.len()).collect();
            nnz = c
                .matrix(&f, &keep, &Cancel::new())
                .expect("matrix")
                .data
                .len();
        }
        let total = t.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu0;
        println!(
            "cpu {cpu:.2}s | {} docs {:.1} MB: count {t_count:.3}s features {:.3}s matrix {:.3}s => {:.1} MB/s ({} features, nnz {nnz})",
            texts.len(),
            bytes as f64 / 1e6,
            t_feat - t_count,
            total - t_feat,
            bytes as f64 / 1e6 / total,
            f.len()
        );
    }
}

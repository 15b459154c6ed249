//! Tokenize + count throughput (bytes/s): one thread and all cores, unigrams and unigrams + bigrams.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use newstally::parallel::Cancel;
use newstally::terms::{CountConfig, Counter, Pruning};
use newstally::tokenize::{TokenizerConfig, WordTokenizerConfig};

fn bench(c: &mut Criterion) {
    let (texts, bytes) = common::corpus();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut g = c.benchmark_group("count");
    g.sample_size(10).throughput(Throughput::Bytes(bytes));
    let word = TokenizerConfig::Word(WordTokenizerConfig::default());
    for (name, tokenizer) in [
        ("word", word),
        ("sklearn_pattern", TokenizerConfig::sklearn()),
    ] {
        for hi in [1, 2] {
            for threads in [1, cores] {
                let config = CountConfig {
                    tokenizer: tokenizer.clone(),
                    ngram_range: (1, hi),
                    cross_sentences: hi == 1,
                    ..CountConfig::default()
                };
                g.bench_function(format!("{name}/1-{hi}/threads={threads}"), |b| {
                    b.iter(|| {
                        let mut counter =
                            Counter::new(config.clone(), Some(threads), false).expect("config");
                        for batch in texts.chunks(20_000) {
                            counter.update(batch, &Cancel::new()).expect("update");
                        }
                        counter.stats(Pruning::default()).expect("stats")
                    });
                });
            }
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Tokenizer and sentence splitter throughput (bytes/s), single thread.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use newstally::sentence::SentenceSplitter;
use newstally::tokenize::{PatternTokenizer, WordTokenizer, WordTokenizerConfig};

fn bench(c: &mut Criterion) {
    let (texts, bytes) = common::corpus();
    let mut g = c.benchmark_group("tokenize");
    g.sample_size(10).throughput(Throughput::Bytes(bytes));
    let word = WordTokenizer::new(WordTokenizerConfig::default());
    g.bench_function("word", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in &texts {
                word.for_each_token(t, |_, _, _| n += 1);
            }
            n
        });
    });
    let pattern = PatternTokenizer::new(None, true).expect("default pattern");
    g.bench_function("sklearn_pattern", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in &texts {
                pattern.for_each_token(t, |_, _, _| n += 1);
            }
            n
        });
    });
    let splitter = SentenceSplitter::new();
    g.bench_function("sentences", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in &texts {
                splitter.for_each_sentence(t, |_| n += 1);
            }
            n
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

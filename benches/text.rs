//! Text decoding throughput (issue 14): decode + normalize of ≥ 100 MB VPC Flow Logs and ALB
//! corpora (generated here, deterministic), measured in one run beside decompression alone of
//! the same bytes. MB/s are of decompressed text (`Throughput::Bytes`). Normalizing is done by
//! the built-in sources (`aws-vpcflow`, `aws-alb`: the product's path), by minimal hand-written
//! sources (`benches/corpus/text.rs`, reading their fields through `Event::parse` as an
//! integrator's source would) and by the declarative specs in `benches/specs/`.
//! Run: `cargo bench --bench text` (`TEXT_BENCH_MB=100`, `TEXT_BENCH_SECS=10`).

// criterion_group! generates an undocumented pub fn.
#![allow(missing_docs)]

use std::hint::black_box;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

mod corpus;

use corpus::text::sources::Minimal;
use corpus::text::{text_corpus, TextKind};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use s3conn::s3conn_core::decode::{Decoder, DecoderConfig, Item, JsonDecoder};
use s3conn::s3conn_core::{Event, LogSource, ObjectContext, ObjectRef};
use s3conn::sources::DeclarativeSource;

/// Decodes `bytes` with `source`'s text format and normalizes every event; the event count.
fn decode_normalize(source: &dyn LogSource, context: &ObjectContext, bytes: &[u8]) -> u64 {
    let decoder = JsonDecoder::new(&DecoderConfig::default());
    let format = source.text_format().expect("a text source");
    let mut n = 0u64;
    let summary = decoder
        .decode_text(Box::new(bytes), format, &[], &mut |item| {
            if let Item::Event { raw, fields, .. } = item {
                let event = Event::new(raw, context, None).with_fields(fields);
                black_box(source.normalize(&event));
                n += 1;
            }
            ControlFlow::Continue(())
        })
        .expect("decodes");
    assert_eq!(summary.frames.bad, 0);
    n
}

/// Decoding alone (no normalize).
fn decode_only(source: &dyn LogSource, bytes: &[u8]) -> u64 {
    let decoder = JsonDecoder::new(&DecoderConfig::default());
    let format = source.text_format().expect("a text source");
    let mut n = 0u64;
    decoder
        .decode_text(Box::new(bytes), format, &[], &mut |item| {
            black_box(&item);
            n += 1;
            ControlFlow::Continue(())
        })
        .expect("decodes");
    n
}

/// Decompression alone (the floor).
fn gunzip(gz: &[u8]) -> u64 {
    let mut d = flate2::read::MultiGzDecoder::new(gz);
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    while let Ok(n @ 1..) = d.read(&mut buf) {
        total += n as u64;
    }
    total
}

fn bench_text(c: &mut Criterion) {
    let mb: u64 = std::env::var("TEXT_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let context = ObjectContext::new(
        ObjectRef::new("bench", "bench/object.log"),
        None,
        None,
        Some(1),
    );
    let builtin = s3conn::sources::builtin_registry();
    for kind in [TextKind::VpcFlow, TextKind::Alb] {
        let spec = DeclarativeSource::from_path(root.join(kind.spec())).expect("bench spec");
        let source = Minimal::new(kind);
        let id = match kind {
            TextKind::VpcFlow => "aws-vpcflow",
            TextKind::Alb => "aws-alb",
        };
        let real = builtin.get(id).expect("built-in source");
        let (plain, records) = text_corpus(kind, mb * 1_000_000, 42);
        let gz = corpus::gzip(&plain);
        eprintln!(
            "{kind:?}: {} bytes, {records} records, {} bytes gzip",
            plain.len(),
            gz.len()
        );
        assert_eq!(decode_normalize(&source, &context, &plain), records);
        assert_eq!(decode_normalize(real.as_ref(), &context, &plain), records);
        let mut group = c.benchmark_group(format!("text/{kind:?}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(
                std::env::var("TEXT_BENCH_SECS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(10),
            ))
            .throughput(Throughput::Bytes(plain.len() as u64));
        group.bench_function("gunzip only", |b| b.iter(|| gunzip(black_box(&gz))));
        group.bench_function("decode only plain", |b| {
            b.iter(|| decode_only(&source, black_box(&plain)))
        });
        group.bench_function(format!("decode+normalize plain, built-in {id}"), |b| {
            b.iter(|| decode_normalize(real.as_ref(), &context, black_box(&plain)))
        });
        group.bench_function(format!("gunzip+decode+normalize, built-in {id}"), |b| {
            b.iter(|| decode_normalize(real.as_ref(), &context, black_box(&gz)))
        });
        group.bench_function("decode+normalize plain, minimal Event::parse source", |b| {
            b.iter(|| decode_normalize(&source, &context, black_box(&plain)))
        });
        group.bench_function("decode+normalize plain, declarative spec", |b| {
            b.iter(|| decode_normalize(&spec, &context, black_box(&plain)))
        });
        group.finish();
    }
}

criterion_group!(benches, bench_text);
criterion_main!(benches);

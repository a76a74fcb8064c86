//! The parse path stage by stage and per log source, over the generated corpora of
//! `benches/corpus` (CloudTrail, CrowdStrike FDR, Proofpoint TAP, Teleport, generic NDJSON), gzip
//! and plain. Every benchmark has `Throughput::Bytes` of the *decompressed* input, so the stages
//! compare as MB/s of the same bytes. Group `stage/<source id>`, functions:
//!
//! - `decompress/gzip`, `decompress/plain`: the decoder's decompression stage
//!   (`SniffingDecompressor`), read to the end (plain: sniffing and a pass-through copy).
//! - `frame`: the framing stage (`JsonFramer`) over the decompressed bytes: splits the object into
//!   events. It validates each event as it splits (one pass of `json::Validator`, which also notes
//!   the top-level fields), so `frame` = split + parse.
//! - `parse`: that validation alone (`json::Validator` over every event's text, already split).
//!   `frame − parse` is the cost of splitting.
//! - `normalize`: the source's `normalize` over the events (typed partial read and mapping).
//! - `serialize`: `Record::write_ndjson` of every normalized record (the output line).
//! - `whole/gzip`, `whole/plain`: the whole path of one object in memory
//!   (`process_object_bytes`: decompress → frame → normalize → records), for comparison with the
//!   sum of the stages.
//!
//! Quick run: `cargo bench --bench pipeline -- --quick`; one source: `… -- stage/aws-cloudtrail`.

// criterion_group! generates an undocumented pub fn.
#![allow(missing_docs)]

mod corpus;

use std::hint::black_box;
use std::io::Read;
use std::ops::ControlFlow;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use s3conn::s3conn_core::decode::{
    DecoderConfig, Decompressor, FileType, Framer, Framing, JsonFramer, Limits,
    SniffingDecompressor,
};
use s3conn::s3conn_core::json::Validator;
use s3conn::s3conn_core::process::process_object_bytes;
use s3conn::s3conn_core::{Event, LogSource, ObjectContext, ObjectRef, Record};

/// Decompressed bytes per corpus: small enough for `--quick` to finish in a few minutes.
const SIZE: u64 = 4 << 20;

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// One kind's corpus, plain and gzip, with its source and the events and records it yields.
struct Input {
    source: Arc<dyn LogSource>,
    plain: Vec<u8>,
    gz: Vec<u8>,
    /// Each event's text, the top-level fields the framer noted, and its list name.
    events: Vec<corpus::Decoded>,
    records: Vec<Record>,
}

fn context() -> ObjectContext {
    ObjectContext::new(
        ObjectRef::new("bench", "bench/object.json.gz"),
        None,
        None,
        Some(0),
    )
}

fn framer() -> JsonFramer {
    JsonFramer {
        framing: Framing::Auto,
    }
}

fn input(kind: corpus::Kind, source: Arc<dyn LogSource>) -> Input {
    let (plain, _) = corpus::corpus(kind, SIZE, 7);
    let gz = corpus::gzip(&plain);
    let events = corpus::decoded_events(&plain, source.expand_fields());
    let records =
        process_object_bytes(&source, &DecoderConfig::default(), context(), &plain).records;
    Input {
        source,
        plain,
        gz,
        events,
        records,
    }
}

/// Reads a decompressed stream to the end; returns its length.
fn decompress(bytes: &[u8]) -> u64 {
    let stage = SniffingDecompressor {
        declared: FileType::Auto,
    };
    let Ok(mut d) = stage.decompress(Box::new(bytes), &Limits::default()) else {
        return 0;
    };
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    while let Ok(k) = d.reader.read(&mut buf) {
        if k == 0 {
            break;
        }
        n += k as u64;
    }
    n
}

fn bench_decompress(g: &mut Group<'_>, input: &Input) {
    g.bench_function("decompress/gzip", |b| b.iter(|| decompress(&input.gz)));
    g.bench_function("decompress/plain", |b| b.iter(|| decompress(&input.plain)));
}

fn bench_frame_and_parse(g: &mut Group<'_>, input: &Input) {
    let expand = input.source.expand_fields();
    g.bench_function("frame", |b| {
        b.iter(|| {
            framer()
                .frame(
                    &mut &input.plain[..],
                    expand,
                    &Limits::default(),
                    &mut |item| {
                        black_box(&item);
                        ControlFlow::Continue(())
                    },
                )
                .map(|s| s.events)
                .unwrap_or(0)
        })
    });
    g.bench_function("parse", |b| {
        b.iter(|| {
            let mut ok = 0u64;
            let mut validator = Validator::new();
            for (raw, _, _) in &input.events {
                ok += u64::from(validator.validate(raw.as_bytes()).is_ok());
            }
            ok
        })
    });
}

fn bench_normalize_and_serialize(g: &mut Group<'_>, input: &Input) {
    let ctx = context();
    g.bench_function("normalize", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for (raw, fields, list) in &input.events {
                let event = Event::new(raw, &ctx, list.as_deref()).with_fields(fields.as_deref());
                let f = input.source.normalize(&event);
                n += u64::from(f.timestamp_ms.is_some());
            }
            black_box(n)
        })
    });
    g.bench_function("serialize", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(input.plain.len() * 2);
            for r in &input.records {
                r.write_ndjson(&mut out);
            }
            out.len()
        })
    });
}

fn bench_whole(g: &mut Group<'_>, input: &Input) {
    let config = DecoderConfig::default();
    let ctx = context();
    for (name, bytes) in [("whole/gzip", &input.gz), ("whole/plain", &input.plain)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                process_object_bytes(&input.source, &config, ctx.clone(), bytes)
                    .records
                    .len()
            })
        });
    }
}

fn stages(c: &mut Criterion) {
    let registry = s3conn::sources::builtin_registry();
    for kind in corpus::Kind::all() {
        let Ok(source) = registry.get(kind.source_id()) else {
            continue;
        };
        let input = input(kind, source);
        eprintln!(
            "{}: {} bytes ({} gzip), {} events, {} records",
            kind.source_id(),
            input.plain.len(),
            input.gz.len(),
            input.events.len(),
            input.records.len()
        );
        let mut g = c.benchmark_group(format!("stage/{}", kind.source_id()));
        g.sample_size(10);
        g.throughput(Throughput::Bytes(input.plain.len() as u64));
        bench_decompress(&mut g, &input);
        bench_frame_and_parse(&mut g, &input);
        bench_normalize_and_serialize(&mut g, &input);
        bench_whole(&mut g, &input);
        g.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);

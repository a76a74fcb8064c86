//! Per-source throughput: decode + normalize of a ~1 MiB object (MB/s, `Throughput::Bytes`), and
//! normalize alone over the decoded events (records/s, `Throughput::Elements`), next to the cost
//! of fully parsing the same events into `serde_json::Value` (the baseline the typed partial
//! readers avoid).
//!
//! The corpus of each source is the real published samples in `shared/samples/<folder>/` when
//! that folder exists beside the workspace (read at run time, never copied), else the crate's own
//! fixtures; either is repeated up to about 1 MiB. Quick run:
//! `cargo bench --bench sources -- --warm-up-time 1 --measurement-time 2`.

// criterion_group! generates an undocumented pub fn.
#![allow(missing_docs)]

use std::hint::black_box;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

mod corpus;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use s3conn_core::decode::{Decoder, DecoderConfig, Item, JsonDecoder};
use s3conn_core::testing::files_under;
use s3conn_core::{Event, LogSource, ObjectContext, ObjectRef};

const TARGET_BYTES: usize = 1 << 20;

/// The bench corpus of one source and where it came from.
fn corpus(source_id: &str, samples_folder: &str) -> (Vec<u8>, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let samples = [
        root.join("../shared/samples"),
        root.join("../../shared/samples"),
    ]
    .into_iter()
    .map(|p| p.join(samples_folder))
    .find(|p| p.is_dir());
    let (dir, origin) = match samples {
        Some(d) => (d.clone(), format!("samples {}", d.display())),
        None => {
            let d = root.join("s3conn-sources/tests/fixtures").join(source_id);
            (d.clone(), format!("fixtures {}", d.display()))
        }
    };
    let mut one = Vec::new();
    for f in files_under(&dir) {
        let name = f.to_string_lossy();
        let skip = name.ends_with(".md")
            || name.ends_with(".golden.ndjson")
            || name.ends_with(".gz")
            || name.contains("CloudTrail-Digest")
            || name.contains("robustness");
        if skip {
            continue;
        }
        if let Ok(bytes) = std::fs::read(&f) {
            one.extend_from_slice(&bytes);
            one.push(b'\n');
        }
    }
    let mut all = Vec::with_capacity(TARGET_BYTES + one.len());
    while !one.is_empty() && all.len() < TARGET_BYTES {
        all.extend_from_slice(&one);
    }
    (all, origin)
}

fn decode_all(source: &Arc<dyn LogSource>, bytes: &[u8]) -> Vec<corpus::Decoded> {
    corpus::decoded_events(bytes, source.expand_fields())
}

fn bench_sources(c: &mut Criterion) {
    let registry = s3conn_sources::builtin_registry();
    let ctx = ObjectContext::new(
        ObjectRef::new("bench", "bench/object.json"),
        None,
        None,
        Some(1),
    );
    let mut sources: Vec<(String, Arc<dyn LogSource>, &str, &str)> = Vec::new();
    for (id, folder) in [
        ("aws-cloudtrail", "cloudtrail"),
        ("crowdstrike", "crowdstrike"),
        ("generic", "generic"),
        ("proofpoint", "proofpoint"),
        ("teleport", "teleport"),
    ] {
        if let Ok(source) = registry.get(id) {
            sources.push((id.to_owned(), source, id, folder));
        }
    }
    // The declarative twin of `teleport`, to show what a spec costs against Rust code.
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("s3conn-sources/specs/teleport.toml");
    if let Ok(s) = s3conn_sources::DeclarativeSource::from_path(spec) {
        sources.push((
            "teleport-spec".to_owned(),
            Arc::new(s),
            "teleport",
            "teleport",
        ));
    }
    for (id, source, fixtures, folder) in sources {
        let (bytes, origin) = corpus(fixtures, folder);
        let events = decode_all(&source, &bytes);
        eprintln!(
            "{id}: {} bytes, {} events, from {origin}",
            bytes.len(),
            events.len()
        );
        if events.is_empty() {
            continue;
        }
        let mut g = c.benchmark_group(format!("source/{id}"));
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("decode+normalize", |b| {
            let decoder = JsonDecoder::new(&DecoderConfig::default());
            b.iter(|| {
                let mut n = 0u64;
                let _ = decoder.decode(Box::new(&bytes[..]), source.expand_fields(), &mut |item| {
                    if let Item::Event { raw, list, .. } = item {
                        let f = source.normalize(&Event::new(raw, &ctx, list));
                        n += u64::from(f.timestamp_ms.is_some());
                    }
                    ControlFlow::Continue(())
                });
                black_box(n)
            });
        });
        g.throughput(Throughput::Elements(events.len() as u64));
        g.bench_function("normalize", |b| {
            b.iter(|| {
                let mut n = 0u64;
                for (raw, fields, list) in &events {
                    let f = source.normalize(
                        &Event::new(raw, &ctx, list.as_deref()).with_fields(fields.as_deref()),
                    );
                    n += u64::from(f.timestamp_ms.is_some());
                }
                black_box(n)
            });
        });
        // Baseline: what a full `serde_json::Value` parse of the same events costs.
        g.bench_function("baseline-full-value-parse", |b| {
            b.iter(|| {
                let mut n = 0u64;
                for (raw, _, _) in &events {
                    let v: serde_json::Value =
                        serde_json::from_str(raw).unwrap_or(serde_json::Value::Null);
                    n += u64::from(v.is_object());
                }
                black_box(n)
            });
        });
        g.finish();
    }
}

criterion_group!(benches, bench_sources);
criterion_main!(benches);

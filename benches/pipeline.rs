//! The parse path stage by stage, over generated corpora (see `benches/corpus`), with
//! `Throughput::Bytes` of decompressed input so the stages compare as MB/s:
//! decompress → frame → frame + validate → normalize (whole parse path) → serialize.

// criterion_group! generates an undocumented pub fn.
#![allow(missing_docs)]

mod corpus;

use std::io::Read;
use std::ops::ControlFlow;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use s3conn::core::decode::{Decoder, DecoderConfig, Item, JsonDecoder};
use s3conn::core::process::process_object_bytes;
use s3conn::core::{ObjectContext, ObjectRef};

const SIZE: u64 = 8 << 20;

fn stages(c: &mut Criterion) {
    let registry = s3conn::sources::builtin_registry();
    for kind in [corpus::Kind::CloudTrail, corpus::Kind::Fdr] {
        let (plain, _records) = corpus::corpus(kind, SIZE, 7);
        let gz = corpus::gzip(&plain);
        let Ok(source) = registry.get(kind.source_id()) else {
            continue;
        };
        let expand = source.expand_fields().to_vec();
        let mut group = c.benchmark_group(format!("parse_path/{}", kind.source_id()));
        group.sample_size(10);
        group.throughput(Throughput::Bytes(plain.len() as u64));
        group.bench_function("decompress", |b| {
            b.iter(|| {
                let mut d = flate2::read::MultiGzDecoder::new(&gz[..]);
                let mut buf = vec![0u8; 256 * 1024];
                let mut n = 0;
                while let Ok(k) = d.read(&mut buf) {
                    if k == 0 {
                        break;
                    }
                    n += k;
                }
                n
            })
        });
        let decoder = JsonDecoder::new(&DecoderConfig::default());
        group.bench_function("decompress+frame+validate", |b| {
            b.iter(|| {
                let mut events = 0u64;
                let _ = decoder.decode(Box::new(&gz[..]), &expand, &mut |item| {
                    if let Item::Event { .. } = item {
                        events += 1;
                    }
                    ControlFlow::Continue(())
                });
                events
            })
        });
        let ctx = ObjectContext::new(
            ObjectRef::new("bench", "object.json.gz"),
            None,
            None,
            Some(0),
        );
        let source: Arc<dyn s3conn::core::LogSource> = source.clone();
        group.bench_function("decompress+frame+normalize", |b| {
            b.iter(|| {
                process_object_bytes(&source, &DecoderConfig::default(), ctx.clone(), &gz)
                    .records
                    .len()
            })
        });
        let records =
            process_object_bytes(&source, &DecoderConfig::default(), ctx.clone(), &gz).records;
        group.bench_function("serialize", |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(plain.len() * 2);
                for r in &records {
                    r.write_ndjson(&mut out);
                }
                out.len()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);

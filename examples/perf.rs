//! Benchmark helper for `benches/compare.sh`: generate corpora and time the decompress-only floor.
//!
//! - `perf gen KIND MEGABYTES OUT [--gzip] [--objects N]`: deterministic corpus (see `benches/corpus`).
//! - `perf gen-text vpcflow|alb MEGABYTES OUT [--gzip]`: a text corpus (`benches/corpus/text.rs`).
//! - `perf text vpcflow|alb|SOURCE-ID|SPEC FILE`: decode + normalize of a text object, no output,
//!   with a minimal hand-written source (`benches/corpus/text.rs`), a built-in source
//!   (`aws-vpcflow`, `aws-alb`) or a spec's.
//! - `perf gunzip FILE`: our own decompress-only pass (the floor the parse path is compared to).

#[path = "../benches/corpus/mod.rs"]
mod corpus;

use std::io::{BufWriter, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

fn gen(args: &[String]) -> Result<(), String> {
    let [kind, mb, out, rest @ ..] = args else {
        return Err("usage: perf gen KIND MEGABYTES OUT [--gzip] [--objects N]".into());
    };
    let kind = corpus::Kind::parse(kind).ok_or_else(|| format!("unknown kind {kind}"))?;
    let mb: f64 = mb.parse().map_err(|e| format!("megabytes: {e}"))?;
    let gzip = rest.iter().any(|a| a == "--gzip");
    let objects: u64 = rest
        .iter()
        .position(|a| a == "--objects")
        .and_then(|i| rest.get(i + 1))
        .map(|n| n.parse().unwrap_or(1))
        .unwrap_or(1);
    let per_object = (mb * 1e6) as u64 / objects.max(1);
    let mut total = 0;
    for o in 0..objects {
        let path = if objects == 1 {
            out.clone()
        } else {
            format!("{out}/part-{o:05}.json{}", if gzip { ".gz" } else { "" })
        };
        if let Some(parent) = std::path::Path::new(&path).parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let file = std::fs::File::create(&path).map_err(|e| format!("{path}: {e}"))?;
        let n = if gzip {
            let mut enc =
                flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default());
            let n = corpus::write_corpus(kind, per_object, 42 + o, &mut enc)
                .map_err(|e| e.to_string())?;
            enc.finish()
                .and_then(|mut w| w.flush())
                .map_err(|e| e.to_string())?;
            n
        } else {
            let mut w = BufWriter::new(file);
            let n = corpus::write_corpus(kind, per_object, 42 + o, &mut w)
                .map_err(|e| e.to_string())?;
            w.flush().map_err(|e| e.to_string())?;
            n
        };
        total += n;
    }
    println!("{total}");
    Ok(())
}

fn gen_text(args: &[String]) -> Result<(), String> {
    let [kind, mb, out, rest @ ..] = args else {
        return Err("usage: perf gen-text vpcflow|alb MEGABYTES OUT [--gzip]".into());
    };
    let kind = corpus::text::TextKind::parse(kind).ok_or_else(|| format!("unknown kind {kind}"))?;
    let bytes = (mb.parse::<f64>().map_err(|e| format!("megabytes: {e}"))? * 1e6) as u64;
    let file = std::fs::File::create(out).map_err(|e| format!("{out}: {e}"))?;
    let mut w: Box<dyn Write> = if rest.iter().any(|a| a == "--gzip") {
        Box::new(flate2::write::GzEncoder::new(
            BufWriter::new(file),
            flate2::Compression::default(),
        ))
    } else {
        Box::new(BufWriter::new(file))
    };
    let n = corpus::text::write_text_corpus(kind, bytes, 42, &mut w).map_err(|e| e.to_string())?;
    w.flush().map_err(|e| e.to_string())?;
    drop(w);
    println!("{n}");
    Ok(())
}

fn text(args: &[String]) -> Result<(), String> {
    use s3conn::s3conn_core::decode::{Decoder, DecoderConfig, Item, JsonDecoder};
    use s3conn::s3conn_core::{Event, LogSource, ObjectContext, ObjectRef};
    let [spec, path] = args else {
        return Err("usage: perf text vpcflow|alb|SOURCE-ID|SPEC FILE".into());
    };
    // `vpcflow` / `alb`: the minimal hand-written bench sources; a built-in source id
    // (`aws-vpcflow`, `aws-alb`): the real source; anything else: a spec path.
    let builtin = s3conn::sources::builtin_registry();
    let source: std::sync::Arc<dyn LogSource> = match corpus::text::TextKind::parse(spec) {
        Some(kind) => std::sync::Arc::new(corpus::text::sources::Minimal::new(kind)),
        None => match builtin.get(spec) {
            Ok(source) => source,
            Err(_) => std::sync::Arc::new(
                s3conn::sources::DeclarativeSource::from_path(spec).map_err(|e| e.to_string())?,
            ),
        },
    };
    let format = source.text_format().ok_or("not a text source")?;
    let context = ObjectContext::new(ObjectRef::new("perf", path), None, None, Some(1));
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let started = Instant::now();
    let (mut events, mut bad) = (0u64, 0u64);
    let summary = JsonDecoder::new(&DecoderConfig::default())
        .decode_text(Box::new(file), format, &[], &mut |item| {
            match item {
                Item::Event { raw, fields, .. } => {
                    let event = Event::new(raw, &context, None).with_fields(fields);
                    std::hint::black_box(source.normalize(&event));
                    events += 1;
                }
                Item::Bad { .. } => bad += 1,
            }
            std::ops::ControlFlow::Continue(())
        })
        .map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    println!("{} {events} {bad} {secs:.3}", summary.decompressed_bytes);
    Ok(())
}

fn gunzip(args: &[String]) -> Result<(), String> {
    let [path] = args else {
        return Err("usage: perf gunzip FILE".into());
    };
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let started = Instant::now();
    let mut dec =
        flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(256 * 1024, file));
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = dec.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("{total} {secs:.3}");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("gen") => gen(&args[1..]),
        Some("gen-text") => gen_text(&args[1..]),
        Some("text") => text(&args[1..]),
        Some("gunzip") => gunzip(&args[1..]),
        _ => Err("usage: perf gen|gunzip ...".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("perf: {e}");
            ExitCode::FAILURE
        }
    }
}

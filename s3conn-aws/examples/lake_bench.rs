//! Benchmark of the S3 data-lake sink (`benches/lake.sh` runs it under `/usr/bin/time -v`).
//!
//! - `lake_bench encode MB [ROLL_MB]`: encodes MB of CloudTrail records (measured as their NDJSON
//!   bytes) into Parquet objects of ROLL_MB (default 64) on one thread; prints MB/s.
//! - `lake_bench upload MB ROLL_MB`: starts moto and delivers MB of records through `LakeSink`
//!   (Parquet, `roll_bytes` = ROLL_MB) from 4 concurrent writers, as the pipeline would; prints
//!   MB/s and objects. Records are made batch by batch, so peak RSS is the sink's, not the input's
//!   (set `MOTO_ENDPOINT` to a moto started apart, or moto's own memory counts as a child's).
//!
//! The records are the CloudTrail events of `examples/data/cloudtrail`, each copy given its own
//! `eventID`, time and source address so that compression sees realistic variety.
#![allow(missing_docs)]

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use s3conn_aws::lake::{encode_object, LakeFormat, LakeSettings, LakeSink};
use s3conn_aws::testing::{unique, Moto};
use s3conn_core::json::RawJson;
use s3conn_core::{Normalized, ObjectContext, ObjectRef, Record, Sink, SourceInfo};

const BATCH: usize = 1000;

/// The example CloudTrail events, as JSON text.
fn templates() -> Result<Vec<serde_json::Value>, String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/cloudtrail");
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().contains("_CloudTrail_") {
                let mut text = String::new();
                let file = std::fs::File::open(&path).map_err(|e| e.to_string())?;
                flate2::read::MultiGzDecoder::new(file)
                    .read_to_string(&mut text)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let doc: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| e.to_string())?;
                if let Some(records) = doc["Records"].as_array() {
                    out.extend(records.iter().cloned());
                }
            }
        }
    }
    if out.is_empty() {
        return Err("no CloudTrail records under examples/data/cloudtrail".into());
    }
    Ok(out)
}

/// Makes batches of records, copy `n` of a template made unique.
struct Generator {
    templates: Vec<serde_json::Value>,
    source: Arc<SourceInfo>,
    context: Arc<ObjectContext>,
    rng: fastrand::Rng,
    next: u64,
}

impl Generator {
    fn new() -> Result<Self, String> {
        let mut object = ObjectRef::new(
            "cloudtrail-logs",
            "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/26/bench.json.gz",
        );
        object.etag = Some("9b2cf535f27731c974343645a3985328".into());
        Ok(Generator {
            templates: templates()?,
            source: Arc::new(SourceInfo::new(
                "aws-cloudtrail",
                "AWS CloudTrail (JSON)",
                "AWS Events",
                "aws_cloudtrail",
                "aws",
            )),
            context: Arc::new(ObjectContext::new(
                object,
                Some("acme".into()),
                Some("bench".into()),
                Some(1_764_144_000_000),
            )),
            rng: fastrand::Rng::with_seed(42),
            next: 0,
        })
    }

    /// A batch of `n` records; returns it and its NDJSON bytes.
    fn batch(&mut self, n: usize) -> (Vec<Record>, usize) {
        let mut bytes = 0;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let i = self.next;
            self.next += 1;
            let mut event = self.templates[i as usize % self.templates.len()].clone();
            let ts = 1_764_144_000_000 + (i as i64 * 37) % 3_600_000;
            event["eventID"] = format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                self.rng.u32(..),
                self.rng.u16(..),
                self.rng.u16(..0x1000),
                self.rng.u16(..0x1000),
                self.rng.u64(..1 << 48)
            )
            .into();
            event["sourceIPAddress"] = format!(
                "{}.{}.{}.{}",
                self.rng.u8(1..224),
                self.rng.u8(..),
                self.rng.u8(..),
                self.rng.u8(1..255)
            )
            .into();
            event["eventTime"] = format!(
                "2026-11-26T08:{:02}:{:02}Z",
                ts / 60_000 % 60,
                ts / 1000 % 60
            )
            .into();
            let text = event.to_string();
            let record = Record {
                source: self.source.clone(),
                context: self.context.clone(),
                ordinal: i,
                timestamp_ms: ts,
                fields: Normalized {
                    timestamp_ms: Some(ts),
                    event_name: event["eventName"].as_str().map(Into::into),
                    event_type: event["eventType"].as_str().map(Into::into),
                    user: event["userIdentity"]["arn"].as_str().map(Into::into),
                    src_ip: event["sourceIPAddress"].as_str().map(Into::into),
                    ..Normalized::default()
                },
                event: match RawJson::new(&text) {
                    Ok(raw) => raw,
                    Err(_) => continue,
                },
            };
            bytes += record.to_json().len() + 1;
            out.push(record);
        }
        (out, bytes)
    }
}

fn mb(arg: Option<&String>, default: usize) -> Result<usize, String> {
    match arg {
        None => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .map_err(|e| format!("{s}: not a number of MB: {e}")),
    }
}

fn encode(args: &[String]) -> Result<(), String> {
    let total = mb(args.first(), 256)? * 1_000_000;
    let roll = mb(args.get(1), 64)? * 1_000_000;
    let mut generator = Generator::new()?;
    // Make the records first: only encoding is timed.
    let mut objects: Vec<(Vec<Record>, usize)> = Vec::new();
    let mut made = 0;
    while made < total {
        let mut records = Vec::new();
        let mut bytes = 0;
        while bytes < roll && made + bytes < total {
            let (batch, b) = generator.batch(BATCH);
            records.extend(batch);
            bytes += b;
        }
        made += bytes;
        objects.push((records, bytes));
    }
    let started = Instant::now();
    let mut out_bytes = 0;
    let mut rows = 0;
    for (records, _) in &objects {
        out_bytes += encode_object(LakeFormat::Parquet, records)
            .map_err(|e| e.to_string())?
            .len();
        rows += records.len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "encode: {rows} records, {:.1} MB of NDJSON -> {} Parquet objects, {:.1} MB ({:.1}x) in {secs:.2} s on one thread: {:.0} MB/s",
        made as f64 / 1e6,
        objects.len(),
        out_bytes as f64 / 1e6,
        made as f64 / out_bytes.max(1) as f64,
        made as f64 / 1e6 / secs
    );
    Ok(())
}

async fn upload(args: &[String]) -> Result<(), String> {
    let total = mb(args.first(), 256)? * 1_000_000;
    let roll = mb(args.get(1), 16)? << 20;
    // An external moto (`MOTO_ENDPOINT`) keeps its memory out of this process's peak RSS.
    let moto = match std::env::var("MOTO_ENDPOINT") {
        Ok(endpoint) => Moto::attach(&endpoint),
        Err(_) => Moto::start(),
    };
    let clients = moto.clients().await;
    let bucket = unique("lake-bench");
    moto.create_bucket(&clients, &bucket).await;
    let mut settings = LakeSettings::new(&bucket);
    settings.prefix = "bench".into();
    settings.roll_bytes = roll;
    let sink = Arc::new(LakeSink::new(clients.s3.clone(), settings).map_err(|e| e.to_string())?);
    let generator = Arc::new(std::sync::Mutex::new(Generator::new()?));
    let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (sink, generator, made) = (sink.clone(), generator.clone(), made.clone());
            tokio::spawn(async move {
                loop {
                    if made.load(std::sync::atomic::Ordering::Relaxed) >= total {
                        return Ok::<(), String>(());
                    }
                    let (batch, bytes) = {
                        let mut g = generator.lock().map_err(|e| e.to_string())?;
                        g.batch(BATCH)
                    };
                    made.fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
                    sink.deliver(&batch).await.map_err(|e| e.to_string())?;
                }
            })
        })
        .collect();
    for w in writers {
        w.await.map_err(|e| e.to_string())??;
    }
    let secs = started.elapsed().as_secs_f64();
    let made = made.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "upload: {:.1} MB of NDJSON through LakeSink (roll {} MiB) into moto: {} objects, {:.1} MB written, {secs:.2} s: {:.1} MB/s",
        made as f64 / 1e6,
        roll >> 20,
        sink.objects_written(),
        sink.bytes_written() as f64 / 1e6,
        made as f64 / 1e6 / secs
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("encode") => encode(&args[1..]),
        Some("upload") => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|rt| rt.block_on(upload(&args[1..]))),
        _ => Err("usage: lake_bench encode MB [ROLL_MB] | upload MB ROLL_MB".into()),
    };
    if let Err(e) = result {
        eprintln!("lake_bench: {e}");
        std::process::exit(1);
    }
}

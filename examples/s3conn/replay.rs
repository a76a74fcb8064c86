//! `s3conn replay`: local files through the production pipeline (memory queue, local store).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use s3conn::core::decode::DecoderConfig;
use s3conn::core::local::LocalObjectStore;
use s3conn::core::memory::MemoryQueue;
use s3conn::core::notification::s3_event_body;
use s3conn::core::sink::{DirectoryDeadLetter, NdjsonSink};
use s3conn::core::{Pipeline, PipelineConfig, StatsSnapshot};
use tokio_util::sync::CancellationToken;

use crate::SourceArgs;

/// Arguments of `s3conn replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Directory for dead-lettered items (NDJSON), created only when something is dead-lettered.
    #[arg(long, value_name = "DIR", default_value = "s3conn-dead-letters")]
    dead_letter: PathBuf,
    /// Write the counters as JSON to this file when done.
    #[arg(long, value_name = "FILE")]
    stats: Option<PathBuf>,
    /// Tenant written into every record.
    #[arg(long)]
    tenant: Option<String>,
    /// Connector name written into every record.
    #[arg(long)]
    connector: Option<String>,
    /// Objects decoded at once (default: the number of cores plus one, so a core never waits while an object starts)
    #[arg(long)]
    concurrency: Option<usize>,
    /// Files or directories (read recursively) to replay.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, root, out)?;
        } else if kind.is_file() {
            if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(())
}

/// One object to replay: bucket, key and size.
type Planned = (String, String, u64);

/// Every object to replay, and the store serving them.
fn plan(paths: &[PathBuf]) -> Result<(LocalObjectStore, Vec<Planned>), String> {
    let mut store = LocalObjectStore::new();
    let mut objects = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let bucket = format!("replay-{i}");
        let md = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (root, keys) = if md.is_dir() {
            let mut keys = Vec::new();
            walk(path, path, &mut keys).map_err(|e| format!("{}: {e}", path.display()))?;
            (path.clone(), keys)
        } else {
            let root = path
                .parent()
                .map(Path::to_path_buf)
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or_else(|| PathBuf::from("."));
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| format!("{}: not a file name", path.display()))?;
            (root, vec![name])
        };
        for key in keys {
            let size = std::fs::metadata(root.join(&key))
                .map(|m| m.len())
                .unwrap_or(0);
            objects.push((bucket.clone(), key, size));
        }
        store = store.with_bucket(bucket, root);
    }
    Ok((store, objects))
}

fn progress(
    stats: Arc<s3conn::core::Stats>,
    total: u64,
    stop: CancellationToken,
) -> Option<std::thread::JoinHandle<()>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(std::thread::spawn(move || {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} objects {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        while !stop.is_cancelled() {
            let s = stats.snapshot();
            bar.set_position(done_objects(&s));
            bar.set_message(format!("{} records", s.records_delivered));
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    }))
}

fn done_objects(s: &StatsSnapshot) -> u64 {
    s.objects_processed
        + s.objects_gone
        + s.objects_changed
        + s.objects_skipped_by_source
        + s.objects_dead_lettered
        + s.ignored_empty_objects
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Runs `s3conn replay`.
pub fn main(args: ReplayArgs) -> ExitCode {
    let source = match args.source.source() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("s3conn replay: {e}");
            return ExitCode::from(2);
        }
    };
    let (store, objects) = match plan(&args.paths) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("s3conn replay: {e}");
            return ExitCode::from(2);
        }
    };
    let queue = Arc::new(MemoryQueue::new());
    for (bucket, key, size) in &objects {
        queue.send(s3_event_body(bucket, key, *size, None));
    }
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let config = PipelineConfig {
        decoder: DecoderConfig {
            file_type: args.source.file_type,
            framing: args.source.framing(),
            ..DecoderConfig::default()
        },
        tenant: args.tenant.clone(),
        connector: args.connector.clone(),
        max_objects_in_flight: args.concurrency.unwrap_or(cores + 1).max(1),
        max_messages_in_flight: args.concurrency.unwrap_or(cores + 1).max(1) * 2,
        receive_wait: Duration::from_millis(20),
        visibility_timeout: Duration::from_secs(300),
        max_receive_count: Some(1),
        drain: true,
        ..PipelineConfig::default()
    };
    let dead = Arc::new(DirectoryDeadLetter::new(&args.dead_letter));
    let pipeline = Pipeline::builder(
        queue.clone(),
        Arc::new(store),
        source,
        Arc::new(NdjsonSink::stdout()),
    )
    .dead_letter(dead.clone())
    .config(config)
    .build();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores.max(2))
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("s3conn replay: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let stop_progress = CancellationToken::new();
    let bar = progress(
        pipeline.stats(),
        objects.len() as u64,
        stop_progress.clone(),
    );
    let result = runtime.block_on(pipeline.run(CancellationToken::new()));
    stop_progress.cancel();
    if let Some(bar) = bar {
        let _ = bar.join();
    }
    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
    let stats = match result {
        Ok(report) => report.stats,
        // Kept objects are reported below, from the queue.
        Err(s3conn::core::PipelineError::Incomplete(report)) => report.stats,
        Err(e) => {
            eprintln!("s3conn replay: {e}");
            return ExitCode::from(2);
        }
    };
    eprintln!(
        "s3conn replay: {} objects ({} processed, {} skipped by the source, {} empty), {} records delivered, {} dead-lettered, {} filtered, {} with fallback timestamps",
        objects.len(),
        stats.objects_processed,
        stats.objects_skipped_by_source,
        stats.ignored_empty_objects,
        stats.records_delivered,
        stats.records_dead_lettered + stats.objects_dead_lettered,
        stats.records_filtered,
        stats.records_timestamp_fallback,
    );
    eprintln!(
        "s3conn replay: read {:.1} MB, decoded {:.1} MB in {:.2} s ({:.1} MB/s decoded, {:.0} records/s)",
        mb(stats.bytes_read),
        mb(stats.bytes_decoded),
        elapsed,
        mb(stats.bytes_decoded) / elapsed,
        stats.records_delivered as f64 / elapsed
    );
    if let Some(path) = dead.path() {
        eprintln!(
            "s3conn replay: dead-lettered items are in {}",
            path.display()
        );
    }
    if let Some(path) = &args.stats {
        let json = serde_json::to_string_pretty(&stats).unwrap_or_default();
        if let Err(e) = std::fs::write(path, json) {
            eprintln!("s3conn replay: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if !queue.is_empty() {
        eprintln!(
            "s3conn replay: {} objects could not be processed (see the warnings above); nothing was written for them",
            queue.len()
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

//! `s3conn backfill`: the objects already in a bucket, through the connector's pipeline (records
//! on stdout or in `--output`, dead letters and exit codes as `collect`), or handed to `collect`
//! workers through an SQS queue (`--to-queue`). With `--checkpoint`, a killed run resumes after
//! the last position everything before which was delivered or accounted for.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use s3conn::aws::listing::{
    forward_to_queue, CheckpointFile, CheckpointWriter, KeyDateLayout, Lister, ListingCounts,
    ListingError, ListingQueue, Selection, TimeBound,
};
use s3conn::aws::{QueueUrl, RequestCounts, SqsQueue};
use s3conn::serde_json::{self, json};
use s3conn::tokio;
use s3conn::{
    CancellationToken, ConnectorJob, DeadLetterDestination, NdjsonSink, RunStatus, Sink,
    StatsSnapshot,
};

use crate::closed_stdout::CLOSED_STDOUT_EXIT_CODE;
use crate::summary::collect_status;

/// Arguments of `s3conn backfill`.
#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// The connector configuration (TOML): credentials, source, filters, sink settings. Its queue
    /// is not used (`sqs_queue_url` may be left out); --to-queue names the queue to fill.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The bucket to list.
    #[arg(long)]
    bucket: String,
    /// List only keys under this prefix (repeatable; default: the whole bucket).
    #[arg(long, value_name = "P")]
    prefix: Vec<String>,
    /// List only keys after this one.
    #[arg(long, value_name = "KEY")]
    start_after: Option<String>,
    /// Objects from this date (YYYY-MM-DD, inclusive) or RFC 3339 time on.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Objects up to this date (YYYY-MM-DD, inclusive) or RFC 3339 time.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// How keys carry their date: awslogs (AWSLogs/<account>/<service>/<region>/YYYY/MM/DD/),
    /// none (select by LastModified), or a template under each prefix such as '*/%Y/%m/%d/'.
    #[arg(long, value_name = "LAYOUT", default_value = "awslogs")]
    key_date: String,
    /// Record the listing position in this file and resume from it.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Ignore an existing checkpoint and start over (it is overwritten).
    #[arg(long, requires = "checkpoint")]
    restart: bool,
    /// Send each listed object as an S3 event notification to this SQS queue (for collect
    /// workers) instead of reading it here.
    #[arg(long, value_name = "QUEUE_URL")]
    to_queue: Option<String>,
    /// Write records into this directory (one NDJSON file per run) instead of stdout.
    #[arg(long, value_name = "DIR", conflicts_with = "to_queue")]
    output: Option<PathBuf>,
    /// Directory for dead-lettered items.
    #[arg(long, value_name = "DIR", default_value = "s3conn-dead-letters")]
    dead_letter: PathBuf,
    /// Send dead-lettered items to this SQS queue instead of a directory.
    #[arg(long, value_name = "QUEUE_URL", conflicts_with = "dead_letter")]
    dead_letter_queue: Option<String>,
    /// Write the counters as JSON to this file when done.
    #[arg(long, value_name = "FILE")]
    stats: Option<PathBuf>,
    /// Seconds between status lines on stderr (0: none).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    status_interval: u64,
    /// Keys per ListObjectsV2 page (1-1000).
    #[arg(long, value_name = "N", default_value_t = 1000, hide = true)]
    page_size: i32,
}

const NAME: &str = "s3conn backfill";

/// A failure and its exit code: 2 for usage and configuration, 1 for a failed run.
struct Failure(u8, String);

fn usage(e: impl std::fmt::Display) -> Failure {
    Failure(2, e.to_string())
}

fn selection(args: &BackfillArgs) -> Result<Selection, ListingError> {
    let since = args.since.as_deref().map(TimeBound::since).transpose()?;
    let until = args.until.as_deref().map(TimeBound::until).transpose()?;
    let key_date: KeyDateLayout = args.key_date.parse()?;
    Ok(Selection::new(
        &args.bucket,
        &args.prefix,
        args.start_after.clone(),
        since,
        until,
        key_date,
    )?
    .with_page_size(args.page_size))
}

/// Where the records go, as for `collect`: `--output DIR`, else the configuration's `[sink]`
/// (stdout when it has none). Also says whether that is stdout.
fn sink(args: &BackfillArgs, job: &ConnectorJob) -> Result<(Arc<dyn Sink>, bool), Failure> {
    let (sink, to_stdout): (Arc<dyn Sink>, bool) = match &args.output {
        None => {
            let connector = job.connector();
            let built =
                s3conn::sink_from_config(&connector.config().sink, Some(&connector.clients().s3))
                    .map_err(|e| usage(format!("{}: {e}", args.config.display())))?;
            (built.sink, built.is_stdout)
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| usage(format!("{}: {e}", dir.display())))?;
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            let file = dir.join(format!("records-{stamp}-{}.ndjson", std::process::id()));
            let sink =
                NdjsonSink::file(&file).map_err(|e| usage(format!("{}: {e}", file.display())))?;
            (Arc::new(sink), false)
        }
    };
    Ok((
        crate::test_hooks::with_test_hooks(sink).map_err(usage)?,
        to_stdout,
    ))
}

fn skipped(counts: &ListingCounts) -> String {
    if counts.skipped.is_empty() {
        return "none skipped".into();
    }
    let parts: Vec<String> = counts
        .skipped
        .iter()
        .map(|(why, n)| format!("{why} {n}"))
        .collect();
    format!("skipped: {}", parts.join(", "))
}

fn listing_line(counts: &ListingCounts, list_requests: u64) -> String {
    format!(
        "listed {} objects ({} selected, {}) with {list_requests} ListObjectsV2 requests",
        counts.listed,
        counts.selected,
        skipped(counts)
    )
}

fn write_stats(path: &PathBuf, value: serde_json::Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    std::fs::write(path, text).map_err(|e| Failure(1, format!("{}: {e}", path.display())))
}

async fn signals(token: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            eprintln!("{NAME}: shutting down (finishing in-flight work; the checkpoint keeps the position)");
            token.cancel();
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("{NAME}: shutting down");
    token.cancel();
}

/// Runs `s3conn backfill`.
pub fn backfill(args: BackfillArgs) -> ExitCode {
    match run(args) {
        Ok(code) => code,
        Err(Failure(code, message)) => {
            eprintln!("{NAME}: {message}");
            ExitCode::from(code)
        }
    }
}

fn run(args: BackfillArgs) -> Result<ExitCode, Failure> {
    let selection = selection(&args).map_err(usage)?;
    let checkpoint_file = args.checkpoint.clone().map(CheckpointFile::new);
    let checkpoint =
        CheckpointWriter::open(checkpoint_file, &selection, args.restart).map_err(usage)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| usage(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async move {
        let mut job = ConnectorJob::from_config_file_without_queue(&args.config)
            .await
            .map_err(usage)?;
        let resumed = checkpoint.current().clone();
        if resumed.complete {
            eprintln!(
                "{NAME}: checkpoint {}: this backfill is complete ({} objects); nothing to do (--restart to start over)",
                args.checkpoint.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                resumed.objects_done
            );
            return Ok(ExitCode::SUCCESS);
        }
        if let Some(p) = &resumed.position {
            eprintln!("{NAME}: resuming after '{p}' ({} objects done before)", resumed.objects_done);
        }
        let clients = job.connector().clients().clone();
        let region = job.connector().config().region.clone();
        let mut lister = Lister::new(clients.s3.clone(), selection.clone(), resumed.position.clone());
        let allowed = &job.connector().config().buckets;
        if !allowed.is_empty() && !allowed.contains(&selection.bucket) {
            return Err(usage(format!(
                "bucket '{}' is not in the connector's buckets ({}): add it to `buckets` in {}",
                selection.bucket,
                allowed.join(", "),
                args.config.display()
            )));
        }
        // Fail early, naming the bucket and the permission, when the bucket cannot be listed.
        lister.probe().await.map_err(|e| Failure(1, e.to_string()))?;
        let nothing = |counts: &ListingCounts| {
            if counts.listed == 0 && resumed.position.is_none() {
                eprintln!(
                    "{NAME}: bucket '{}' has no objects under {}{}: nothing to backfill",
                    selection.bucket,
                    prefixes(&selection),
                    if selection.has_time_range() || selection.start_after.is_some() {
                        " in the selected range"
                    } else {
                        ""
                    }
                );
            }
        };
        let shutdown = CancellationToken::new();
        tokio::spawn(signals(shutdown.clone()));

        if let Some(url) = &args.to_queue {
            let url = QueueUrl::parse(url).map_err(|e| usage(format!("--to-queue: {e}")))?;
            let target = SqsQueue::new(clients.sqs.clone(), url.api_url());
            let mut checkpoint = checkpoint;
            let result = forward_to_queue(&mut lister, &target, &region, &mut checkpoint, &shutdown).await;
            let requests = target.requests().plus(&lister.requests());
            let counts = lister.counts().clone();
            nothing(&counts);
            eprintln!("{NAME}: {}; sent {} messages to {} with {} SendMessageBatch requests",
                listing_line(&counts, requests.list_objects_v2),
                result.as_ref().map(|r| r.sent).unwrap_or(0),
                target.queue_url(),
                requests.send_message_batch);
            if let Some(path) = &args.stats {
                write_stats(path, json!({
                    "listing": counts,
                    "sent": result.as_ref().map(|r| r.sent).unwrap_or(0),
                    "requests": requests,
                    "checkpoint": checkpoint.current(),
                }))?;
            }
            let report = result.map_err(|e| Failure(1, e.to_string()))?;
            if let Some(e) = checkpoint.error() {
                return Err(Failure(1, e.to_owned()));
            }
            if !report.complete {
                return Err(Failure(1, "interrupted before the listing was done; rerun with the same --checkpoint to resume".into()));
            }
            return Ok(ExitCode::SUCCESS);
        }

        let (sink, to_stdout) = sink(&args, &job)?;
        let dead_letter = match &args.dead_letter_queue {
            Some(url) => DeadLetterDestination::Queue(url.clone()),
            None => DeadLetterDestination::Directory(args.dead_letter.clone()),
        };
        let config = job.pipeline_config_mut();
        config.drain = true;
        config.receive_wait = Duration::from_secs(1);
        let queue = Arc::new(ListingQueue::new(lister, region, checkpoint));
        let pipeline = job
            .pipeline_from(queue.clone(), sink, &dead_letter)
            .map_err(usage)?;
        let job = Arc::new(job);
        let status = |s: &StatsSnapshot, q: &ListingQueue, job: &ConnectorJob| {
            let requests: RequestCounts = job.connector().requests().plus(&q.requests());
            format!(
                "{}; {}",
                listing_line(&q.counts(), requests.list_objects_v2),
                collect_status(s, &requests, job.connector().retries() + q.list_retries())
            )
        };
        if args.status_interval > 0 {
            let (stats, q, job) = (pipeline.stats(), queue.clone(), job.clone());
            let every = Duration::from_secs(args.status_interval);
            let stop = shutdown.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(every) => eprintln!("{NAME}: {}", status(&stats.snapshot(), &q, &job)),
                        _ = stop.cancelled() => return,
                    }
                }
            });
        }
        let result = pipeline.run(shutdown.clone()).await;
        let interrupted = shutdown.is_cancelled();
        shutdown.cancel();
        let checkpoint = queue.flush_checkpoint();
        let report = match result {
            Ok(report) => report,
            Err(s3conn::PipelineError::Incomplete(report)) => *report,
            Err(s3conn::PipelineError::OutputClosed(_)) if to_stdout => {
                return Ok(ExitCode::from(CLOSED_STDOUT_EXIT_CODE));
            }
            // Refused sink credentials: a configuration error, nothing acknowledged.
            Err(e @ s3conn::PipelineError::SinkConfiguration(_)) => return Err(usage(e)),
            Err(e) => return Err(Failure(1, e.to_string())),
        };
        let stats = report.stats;
        nothing(&queue.counts());
        eprintln!("{NAME}: done: {}", status(&stats, &queue, &job));
        if let Some(path) = &args.stats {
            let mut value = serde_json::to_value(stats).unwrap_or_default();
            if let Some(map) = value.as_object_mut() {
                map.insert("requests".into(), serde_json::to_value(job.connector().requests().plus(&queue.requests())).unwrap_or_default());
                map.insert("listing".into(), serde_json::to_value(queue.counts()).unwrap_or_default());
                map.insert("checkpoint".into(), serde_json::to_value(&checkpoint).unwrap_or_default());
            }
            write_stats(path, value)?;
        }
        if let Some(e) = queue.checkpoint_error() {
            return Err(Failure(1, e));
        }
        if let RunStatus::Kept(_) = report.status {
            return Err(Failure(1, format!("{} (see the warnings above); rerun with the same --checkpoint to retry them", report.status)));
        }
        if interrupted || !checkpoint.complete && !queue.exhausted() {
            return Err(Failure(1, "interrupted before the listing was done; rerun with the same --checkpoint to resume".into()));
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn prefixes(s: &Selection) -> String {
    if s.prefixes == [String::new()] {
        "any prefix".into()
    } else {
        s.prefixes
            .iter()
            .map(|p| format!("'{p}'"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

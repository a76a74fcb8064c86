//! `s3conn collect` and `s3conn test`: a connector against SQS and S3.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use s3conn::aws::{Connector, ConnectorConfig, QueueUrl, SqsDeadLetter, SqsQueue};
use s3conn::core::sink::{DirectoryDeadLetter, NdjsonSink};
use s3conn::core::{DeadLetterSink, LogSource, Sink, StatsSnapshot};
use tokio_util::sync::CancellationToken;

/// Arguments of `s3conn collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The connector configuration (TOML).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Exit 0 once every message is handled and the queue stays empty for one long poll.
    #[arg(long)]
    drain: bool,
    /// Long-poll wait in seconds (SQS allows at most 20).
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    poll_wait: u64,
    /// Write records into this directory (one NDJSON file per run) instead of stdout.
    #[arg(long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Directory for dead-lettered items.
    #[arg(long, value_name = "DIR", default_value = "s3conn-dead-letters")]
    dead_letter: PathBuf,
    /// Send dead-lettered items to this SQS queue (one JSON message each) instead of a directory.
    #[arg(long, value_name = "QUEUE_URL", conflicts_with = "dead_letter")]
    dead_letter_queue: Option<String>,
    /// Seconds between status lines on stderr (0: none).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    status_interval: u64,
    /// Write the counters as JSON to this file when done.
    #[arg(long, value_name = "FILE")]
    stats: Option<PathBuf>,
}

/// Arguments of `s3conn test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The connector configuration (TOML).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// The log source a configuration names: a registered id or a path to a declarative spec.
pub fn resolve_source(name: &str, base: &Path) -> Result<Arc<dyn LogSource>, String> {
    let registry = s3conn::sources::builtin_registry();
    if let Ok(source) = registry
        .get(name)
        .or_else(|_| registry.get(&name.replace('_', "-")))
    {
        return Ok(source);
    }
    let path = base.join(name);
    if name.ends_with(".toml") || name.ends_with(".json") || path.exists() {
        let spec = s3conn::sources::DeclarativeSource::from_path(&path)
            .map_err(|e| format!("log_source {}: {e}", path.display()))?;
        return Ok(Arc::new(spec));
    }
    registry.get(name).map_err(|e| format!("log_source: {e}"))
}

fn load(path: &Path) -> Result<ConnectorConfig, String> {
    ConnectorConfig::from_file(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Where dead-lettered items go: the `--dead-letter-queue` (on the connector's SQS client and
/// endpoint) or the `--dead-letter` directory.
fn dead_letter(
    args: &CollectArgs,
    connector: &Connector,
) -> Result<Arc<dyn DeadLetterSink>, String> {
    let Some(url) = &args.dead_letter_queue else {
        return Ok(Arc::new(DirectoryDeadLetter::new(&args.dead_letter)));
    };
    let url = QueueUrl::parse(url).map_err(|e| format!("--dead-letter-queue: {e}"))?;
    let queue = SqsQueue::new(connector.clients().sqs.clone(), url.api_url());
    Ok(Arc::new(SqsDeadLetter::new(Arc::new(queue))))
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

fn status_line(s: &StatsSnapshot, backend: &Connector) -> String {
    let requests = backend.requests();
    let per_message = requests.sqs_total() as f64 / s.messages_received.max(1) as f64;
    format!(
        "messages {} (acked {}, kept {}), objects {}, records {} (dead-lettered {}), {:.1} MB read, lag {:.1} s, failures {}/{}/{} (retryable/permanent/config), retries {} (+{} SQS/S3 request retries), requests: {requests}, {per_message:.3} SQS requests per message",
        s.messages_received,
        s.messages_acknowledged,
        s.messages_kept,
        s.objects_processed,
        s.records_delivered,
        s.records_dead_lettered + s.objects_dead_lettered + s.messages_dead_lettered,
        s.bytes_read as f64 / 1e6,
        s.lag_ms as f64 / 1e3,
        s.failures_retryable,
        s.failures_permanent,
        s.failures_configuration,
        s.retries,
        backend.retries(),
    )
}

/// The final `--stats` JSON: the pipeline's counters plus the SQS and S3 requests by API.
fn stats_json(s: &StatsSnapshot, backend: &Connector) -> String {
    let mut value = serde_json::to_value(s).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "requests".into(),
            serde_json::to_value(backend.requests()).unwrap_or_default(),
        );
    }
    serde_json::to_string_pretty(&value).unwrap_or_default()
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
            eprintln!("s3conn collect: shutting down (finishing in-flight work)");
            token.cancel();
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("s3conn collect: shutting down (finishing in-flight work)");
    token.cancel();
}

/// Runs `s3conn collect`.
pub fn collect(args: CollectArgs) -> ExitCode {
    let result = (|| -> Result<ExitCode, String> {
        let config = load(&args.config)?;
        let base = args
            .config
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let source = resolve_source(&config.log_source, &base)?;
        let sink: Arc<dyn Sink> = match &args.output {
            None => Arc::new(NdjsonSink::stdout()),
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0);
                let file = dir.join(format!("records-{stamp}-{}.ndjson", std::process::id()));
                Arc::new(NdjsonSink::file(&file).map_err(|e| format!("{}: {e}", file.display()))?)
            }
        };
        let sink = crate::test_hooks::with_test_hooks(sink)?;
        let rt = runtime()?;
        rt.block_on(async {
            let connector = Connector::new(config).await.map_err(|e| e.to_string())?;
            let mut pipeline_config = connector.pipeline_config();
            pipeline_config.drain = args.drain;
            pipeline_config.receive_wait = Duration::from_secs(args.poll_wait.min(20));
            let pipeline = connector
                .pipeline(source, sink)
                .config(pipeline_config)
                .dead_letter(dead_letter(&args, &connector)?)
                .build();
            let shutdown = CancellationToken::new();
            tokio::spawn(signals(shutdown.clone()));
            let backend = Arc::new(connector.clone());
            if args.status_interval > 0 {
                let stats = pipeline.stats();
                let backend = backend.clone();
                let every = Duration::from_secs(args.status_interval);
                let stop = shutdown.clone();
                tokio::spawn(async move {
                    loop {
                        tokio::select! {
                            _ = tokio::time::sleep(every) => eprintln!("s3conn collect: {}", status_line(&stats.snapshot(), &backend)),
                            _ = stop.cancelled() => return,
                        }
                    }
                });
            }
            let result = pipeline.run(shutdown.clone()).await;
            shutdown.cancel();
            let stats = match result {
                Ok(report) => report.stats,
                // Kept messages are reported below.
                Err(s3conn::core::PipelineError::Incomplete(report)) => report.stats,
                Err(e) => return Err(e.to_string()),
            };
            eprintln!("s3conn collect: done: {}", status_line(&stats, &backend));
            if let Some(path) = &args.stats {
                std::fs::write(path, stats_json(&stats, &backend)).map_err(|e| format!("{}: {e}", path.display()))?;
            }
            if args.drain && stats.messages_kept > 0 {
                eprintln!("s3conn collect: {} messages were kept for redelivery (see the warnings above)", stats.messages_kept);
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        })
    })();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("s3conn collect: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs `s3conn test`.
pub fn test(args: TestArgs) -> ExitCode {
    let result = (|| -> Result<ExitCode, String> {
        let config = load(&args.config)?;
        let rt = runtime()?;
        let report = rt.block_on(async {
            let connector = Connector::new(config).await.map_err(|e| e.to_string())?;
            Ok::<_, String>(connector.test().await)
        })?;
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
        } else {
            println!("{report}");
        }
        Ok(if report.success {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("s3conn test: {e}");
            ExitCode::from(2)
        }
    }
}

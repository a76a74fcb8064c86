//! `s3conn collect` and `s3conn test`: a connector against SQS and S3.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use s3conn::tokio;
use s3conn::{
    CancellationToken, ConnectorConfig, ConnectorJob, DeadLetterDestination, NdjsonSink, RunStatus,
    Sink, StatsSnapshot,
};

use crate::closed_stdout::CLOSED_STDOUT_EXIT_CODE;
use crate::summary::collect_status;

/// Arguments of `s3conn collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// A connector configuration (TOML), or a directory of them (`*.toml`). Repeat it to run
    /// several connectors in one process.
    #[arg(long, value_name = "FILE|DIR", required = true)]
    pub(crate) config: Vec<PathBuf>,
    /// Exit 0 once every message is handled and the queue stays empty for one long poll.
    #[arg(long)]
    pub(crate) drain: bool,
    /// Long-poll wait in seconds (SQS allows at most 20).
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    pub(crate) poll_wait: u64,
    /// Write records into this directory (one NDJSON file per run) instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub(crate) output: Option<PathBuf>,
    /// Directory for dead-lettered items.
    #[arg(long, value_name = "DIR", default_value = "s3conn-dead-letters")]
    pub(crate) dead_letter: PathBuf,
    /// Send dead-lettered items to this SQS queue (one JSON message each) instead of a directory.
    #[arg(long, value_name = "QUEUE_URL", conflicts_with = "dead_letter")]
    pub(crate) dead_letter_queue: Option<String>,
    /// Seconds between status lines on stderr (0: none).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub(crate) status_interval: u64,
    /// Write the counters as JSON to this file when done.
    #[arg(long, value_name = "FILE")]
    pub(crate) stats: Option<PathBuf>,
    /// Serve /metrics (Prometheus text), /healthz and /readyz on this address (port 0: any free
    /// port; the address served is printed on stderr).
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) metrics_addr: Option<String>,
    /// With --metrics-addr: poll the queue depth into s3conn_queue_messages (GetQueueAttributes
    /// every 30 s; needs sqs:GetQueueAttributes). Also `queue_depth_metrics = true` in the config.
    #[arg(long, requires = "metrics_addr")]
    pub(crate) queue_depth_metrics: bool,
    /// /readyz reports the connector degraded once every delivery to the output has failed for
    /// this long (receiving: once it has failed for three poll waits).
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    pub(crate) delivery_failing_for: u64,
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

fn load(path: &Path) -> Result<ConnectorConfig, String> {
    ConnectorConfig::from_file(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Where dead-lettered items go: the `--dead-letter-queue` or the `--dead-letter` directory.
pub(crate) fn dead_letter(args: &CollectArgs) -> DeadLetterDestination {
    match &args.dead_letter_queue {
        Some(url) => DeadLetterDestination::Queue(url.clone()),
        None => DeadLetterDestination::Directory(args.dead_letter.clone()),
    }
}

/// What the command line sets on every connector's pipeline: drain, receive wait, health rules.
pub(crate) fn run_settings(args: &CollectArgs, job: &mut ConnectorJob) {
    let config = job.pipeline_config_mut();
    config.drain = args.drain;
    config.receive_wait = Duration::from_secs(args.poll_wait.min(20));
    config.health = Some(s3conn::HealthRules {
        delivery_failing_for: Duration::from_secs(args.delivery_failing_for),
        ..s3conn::HealthRules::for_receive_wait(config.receive_wait)
    });
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

pub(crate) fn status_line(s: &StatsSnapshot, job: &ConnectorJob) -> String {
    let connector = job.connector();
    collect_status(s, &connector.requests(), connector.retries())
}

/// The final `--stats` JSON: the pipeline's counters plus the SQS and S3 requests by API.
pub(crate) fn stats_value(s: &StatsSnapshot, job: &ConnectorJob) -> s3conn::serde_json::Value {
    use s3conn::serde_json;
    let mut value = serde_json::to_value(s).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "requests".into(),
            serde_json::to_value(job.connector().requests()).unwrap_or_default(),
        );
    }
    value
}

fn stats_json(s: &StatsSnapshot, job: &ConnectorJob) -> String {
    s3conn::serde_json::to_string_pretty(&stats_value(s, job)).unwrap_or_default()
}

pub(crate) async fn signals(token: CancellationToken) {
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

/// Runs `s3conn collect`: one connector, or several in one process (see `collect_many`).
pub fn collect(args: CollectArgs) -> ExitCode {
    let configs = match crate::collect_many::config_files(&args.config) {
        Ok(configs) => configs,
        Err(e) => {
            eprintln!("s3conn collect: {e}");
            return ExitCode::from(2);
        }
    };
    if let [config] = configs.as_slice() {
        collect_one(&args, config)
    } else {
        crate::collect_many::collect_many(&args, &configs)
    }
}

/// The records' destination: stdout, or a new NDJSON file in `dir` (named after the connector
/// when several share the directory).
pub(crate) fn output_sink(
    dir: Option<&Path>,
    connector: Option<&str>,
) -> Result<Arc<dyn Sink>, String> {
    let Some(dir) = dir else {
        return Ok(Arc::new(NdjsonSink::stdout()));
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let name = match connector {
        Some(name) => format!("records-{name}-{stamp}-{}.ndjson", std::process::id()),
        None => format!("records-{stamp}-{}.ndjson", std::process::id()),
    };
    let file = dir.join(name);
    let sink = NdjsonSink::file(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(Arc::new(sink))
}

/// Where a connector's records go: `--output DIR` when given (a file named after the
/// connector when several share it), else the configuration's `[sink]` (stdout when it has
/// none). Also says whether that is stdout.
pub(crate) fn job_sink(
    args: &CollectArgs,
    job: &ConnectorJob,
    config: &Path,
    file_name: Option<&str>,
) -> Result<(Arc<dyn Sink>, bool), String> {
    if let Some(dir) = &args.output {
        return Ok((output_sink(Some(dir), file_name)?, false));
    }
    let connector = job.connector();
    let built = s3conn::sink_from_config(&connector.config().sink, Some(&connector.clients().s3))
        .map_err(|e| format!("{}: {e}", config.display()))?;
    Ok((built.sink, built.is_stdout))
}

/// Runs one connector.
fn collect_one(args: &CollectArgs, config: &Path) -> ExitCode {
    let result = (|| -> Result<ExitCode, String> {
        let rt = runtime()?;
        // Before any pipeline is built: their metric handles resolve when built.
        let metrics = crate::serve::recorder(args.metrics_addr.as_deref())?;
        rt.block_on(async {
            let mut job = ConnectorJob::from_config_file(config)
                .await
                .map_err(|e| e.to_string())?;
            let (sink, to_stdout) = job_sink(args, &job, config, None)?;
            let sink = crate::test_hooks::with_test_hooks(sink)?;
            run_settings(args, &mut job);
            let pipeline = job.pipeline(sink, &dead_letter(args)).map_err(|e| e.to_string())?;
            let shutdown = CancellationToken::new();
            tokio::spawn(signals(shutdown.clone()));
            // The endpoints answer until the run is over, through the shutdown grace period.
            let served = CancellationToken::new();
            let _serving = served.clone().drop_guard();
            if let Some(metrics) = metrics {
                metrics.serve(&job, &pipeline, args.queue_depth_metrics, served).await?;
            }
            let job = Arc::new(job);
            if args.status_interval > 0 {
                let stats = pipeline.stats();
                let job = job.clone();
                let every = Duration::from_secs(args.status_interval);
                let stop = shutdown.clone();
                tokio::spawn(async move {
                    loop {
                        tokio::select! {
                            _ = tokio::time::sleep(every) => eprintln!("s3conn collect: {}", status_line(&stats.snapshot(), &job)),
                            _ = stop.cancelled() => return,
                        }
                    }
                });
            }
            let span = tracing::error_span!("connector", connector = %job.connector().config().name);
            let result = tracing::Instrument::instrument(pipeline.run(shutdown.clone()), span).await;
            shutdown.cancel();
            let report = match result {
                Ok(report) => report,
                // A drain that kept messages: reported below.
                Err(s3conn::PipelineError::Incomplete(report)) => *report,
                // A closed stdout (`| head`): quiet, as a Unix tool killed by SIGPIPE.
                Err(s3conn::PipelineError::OutputClosed(_)) if to_stdout => {
                    return Ok(ExitCode::from(CLOSED_STDOUT_EXIT_CODE));
                }
                // Refused credentials: a configuration error, nothing acknowledged.
                Err(e @ s3conn::PipelineError::SinkConfiguration(_)) => return Err(e.to_string()),
                Err(e) => {
                    eprintln!("s3conn collect: {e}");
                    return Ok(ExitCode::FAILURE);
                }
            };
            let stats = report.stats;
            eprintln!("s3conn collect: done: {}", status_line(&stats, &job));
            if let Some(path) = &args.stats {
                std::fs::write(path, stats_json(&stats, &job)).map_err(|e| format!("{}: {e}", path.display()))?;
            }
            // Kept messages are redelivered later (to this or another worker), but a run that had
            // to keep any did not do all it received: say why and exit 1, in either mode.
            if let RunStatus::Kept(_) = report.status {
                eprintln!("s3conn collect: {} (see the warnings above)", report.status);
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
        let (report, sink_checks) = rt.block_on(async {
            let connector = s3conn::Connector::new(config)
                .await
                .map_err(|e| e.to_string())?;
            let report = connector.test().await;
            let sink_checks = crate::sink_check::check(&connector).await;
            Ok::<_, String>((report, sink_checks))
        })?;
        if args.json {
            let mut value = s3conn::serde_json::to_value(&report).unwrap_or_default();
            if let Some(map) = value.as_object_mut() {
                map.insert(
                    "sink".into(),
                    s3conn::serde_json::to_value(&sink_checks).unwrap_or_default(),
                );
            }
            println!(
                "{}",
                s3conn::serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        } else {
            println!("{report}");
            for check in &sink_checks {
                println!("{check}");
            }
        }
        Ok(if report.success && sink_checks.iter().all(|c| c.ok) {
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

//! [`ConnectorJob`]: a connector run from its configuration file — the file read, its
//! `log_source` (or each of its `[[routes]]`) resolved relative to the file, the SDK clients
//! built — into a sink, with an explicit dead-letter destination. The library side of
//! `s3conn collect`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use s3conn_aws::{
    ConfigError, Connector, ConnectorConfig, QueueUrl, SharedHttpClient, SqsDeadLetterSink,
    SqsQueue,
};
use s3conn_core::route::Router;
use s3conn_core::sink::DirectoryDeadLetterSink;
use s3conn_core::{ByteBudget, RunReport};
use s3conn_core::{
    DeadLetterSink, LogSource, Pipeline, PipelineConfig, PipelineError, Queue, Sink,
};
use tokio_util::sync::CancellationToken;

use s3conn_sources::ResolveError;

use crate::routing::resolve_router;

/// Where dead-lettered items (bad records, objects, messages) go. There is no default: a run
/// names one.
#[derive(Debug, Clone)]
pub enum DeadLetterDestination {
    /// NDJSON files in this directory (created only when something is dead-lettered).
    Directory(PathBuf),
    /// An SQS queue (one JSON message per item), reached with the connector's SQS client.
    Queue(String),
    /// A dead-letter sink of your own.
    Sink(Arc<dyn DeadLetterSink>),
}

/// Why a connector job could not be set up or run.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorJobError {
    /// The configuration file cannot be read or is invalid.
    #[error("{path}: {source}")]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong with it.
        source: ConfigError,
    },
    /// The configuration's `log_source` names no source.
    #[error(transparent)]
    Source(#[from] ResolveError),
    /// A route's `log_source` names no source.
    #[error("{route}: {source}")]
    Route {
        /// The route, by index and pattern (`route 2 (key_regex = "^crowdstrike/")`).
        route: String,
        /// Why its source could not be resolved.
        source: ResolveError,
    },
    /// The dead-letter queue URL is invalid.
    #[error("dead-letter queue: {0}")]
    DeadLetterQueue(ConfigError),
    /// The pipeline stopped with an error.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

/// A connector with its log source and pipeline settings, ready to run into a sink.
#[derive(Debug, Clone)]
pub struct ConnectorJob {
    connector: Connector,
    router: Router,
    config: PipelineConfig,
    budget: Option<ByteBudget>,
}

impl ConnectorJob {
    /// Reads the configuration file, resolves its `log_source` or its routes' (registered id,
    /// `_` alias, or a spec path relative to the file) and builds the SDK clients.
    pub async fn from_config_file(path: impl AsRef<Path>) -> Result<Self, ConnectorJobError> {
        Self::from_config_file_on(path, None).await
    }

    /// [`Self::from_config_file`] with the SDK clients on an HTTP client shared with other
    /// connectors ([`s3conn_aws::shared_http_client`]), or the SDK's own when `None`.
    pub async fn from_config_file_on(
        path: impl AsRef<Path>,
        http: Option<SharedHttpClient>,
    ) -> Result<Self, ConnectorJobError> {
        let path = path.as_ref();
        Self::from_loaded(ConnectorConfig::from_file(path), path, http).await
    }

    /// [`Self::from_config_file`] for a job that reads no queue (a backfill): the file may leave
    /// `sqs_queue_url` out (see [`ConnectorConfig::from_file_without_queue`]).
    pub async fn from_config_file_without_queue(
        path: impl AsRef<Path>,
    ) -> Result<Self, ConnectorJobError> {
        let path = path.as_ref();
        Self::from_loaded(ConnectorConfig::from_file_without_queue(path), path, None).await
    }

    /// The job of the configuration `loaded` from the file at `path` (spec paths are relative
    /// to it).
    async fn from_loaded(
        loaded: Result<ConnectorConfig, ConfigError>,
        path: &Path,
        http: Option<SharedHttpClient>,
    ) -> Result<Self, ConnectorJobError> {
        let config_error = |source| ConnectorJobError::Config {
            path: path.to_path_buf(),
            source,
        };
        let config = loaded.map_err(config_error)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let router = resolve_router(&config, &base)?;
        let connector = match http {
            Some(http) => Connector::on_http_client(config, http).await,
            None => Connector::new(config).await,
        }
        .map_err(config_error)?;
        Ok(Self::with_router(connector, router))
    }

    /// A job from a connector and a log source, with the connector's pipeline settings.
    pub fn new(connector: Connector, source: Arc<dyn LogSource>) -> Self {
        Self::with_router(connector, Router::single(source))
    }

    /// A job from a connector and routes by key (see [`resolve_router`](crate::resolve_router)),
    /// with the connector's pipeline settings.
    pub fn with_router(connector: Connector, router: Router) -> Self {
        let config = connector.pipeline_config();
        ConnectorJob {
            connector,
            router,
            config,
            budget: None,
        }
    }

    /// The connector (its queue, store, clients and request counters).
    pub fn connector(&self) -> &Connector {
        &self.connector
    }

    /// The resolved log source of a single-source job; `None` when it routes by key.
    pub fn source(&self) -> Option<&Arc<dyn LogSource>> {
        self.router.single_source()
    }

    /// The routes: which source and decoding each object gets by its key.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The pipeline settings.
    pub fn pipeline_config(&self) -> &PipelineConfig {
        &self.config
    }

    /// The pipeline settings, to adjust before running (e.g. `drain`, `receive_wait`).
    pub fn pipeline_config_mut(&mut self) -> &mut PipelineConfig {
        &mut self.config
    }

    /// Draw in-flight bytes from a budget shared with other connectors (one bound on memory for
    /// the process) instead of the pipeline's own `max_in_flight_bytes`.
    pub fn byte_budget(mut self, budget: ByteBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Stop once the queue is empty and nothing is in flight (batch jobs, tests).
    pub fn drain(mut self, drain: bool) -> Self {
        self.config.drain = drain;
        self
    }

    /// The dead-letter sink a destination names, on this connector's SQS client for a queue.
    pub fn dead_letter(
        &self,
        destination: &DeadLetterDestination,
    ) -> Result<Arc<dyn DeadLetterSink>, ConnectorJobError> {
        Ok(match destination {
            DeadLetterDestination::Directory(dir) => Arc::new(DirectoryDeadLetterSink::new(dir)),
            DeadLetterDestination::Sink(sink) => sink.clone(),
            DeadLetterDestination::Queue(url) => {
                let url = QueueUrl::parse(url).map_err(ConnectorJobError::DeadLetterQueue)?;
                let queue = SqsQueue::new(self.connector.clients().sqs.clone(), url.api_url());
                Arc::new(SqsDeadLetterSink::new(Arc::new(queue)))
            }
        })
    }

    /// The pipeline from the connector's queue to `sink` (run it with [`Pipeline::run`]; its
    /// [`Pipeline::stats`] are live).
    pub fn pipeline(
        &self,
        sink: Arc<dyn Sink>,
        dead_letter: &DeadLetterDestination,
    ) -> Result<Pipeline, ConnectorJobError> {
        self.pipeline_from(self.connector.queue(), sink, dead_letter)
    }

    /// The pipeline from another queue (a backfill's listing) to `sink`, with this job's source,
    /// store, filters and settings: the connector's source resolution is shared.
    pub fn pipeline_from(
        &self,
        queue: Arc<dyn Queue>,
        sink: Arc<dyn Sink>,
        dead_letter: &DeadLetterDestination,
    ) -> Result<Pipeline, ConnectorJobError> {
        let mut builder = self
            .connector
            .pipeline_from(queue, self.router.clone(), sink)
            .config(self.config.clone())
            .dead_letter(self.dead_letter(dead_letter)?);
        if let Some(budget) = &self.budget {
            builder = builder.byte_budget(budget.clone());
        }
        Ok(builder.build())
    }

    /// Runs until `shutdown` is cancelled (or, in drain mode, until the queue is empty). A drain
    /// that had to keep messages, or could not reach the queue, is an error
    /// ([`PipelineError::Incomplete`] carries the report).
    pub async fn run(
        &self,
        sink: Arc<dyn Sink>,
        dead_letter: &DeadLetterDestination,
        shutdown: CancellationToken,
    ) -> Result<RunReport, ConnectorJobError> {
        Ok(self.pipeline(sink, dead_letter)?.run(shutdown).await?)
    }
}

/// Runs the connector of a configuration file into `sink` until `shutdown` is cancelled: the
/// one-call form of [`ConnectorJob::from_config_file`] and [`ConnectorJob::run`].
pub async fn run_connector(
    config_file: impl AsRef<Path>,
    sink: Arc<dyn Sink>,
    dead_letter: DeadLetterDestination,
    shutdown: CancellationToken,
) -> Result<RunReport, ConnectorJobError> {
    ConnectorJob::from_config_file(config_file)
        .await?
        .run(sink, &dead_letter, shutdown)
        .await
}

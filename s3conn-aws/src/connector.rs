//! [`Connector`]: a [`ConnectorConfig`] wired to SQS, S3 and the core pipeline.
//!
//! ```no_run
//! # async fn run(source: std::sync::Arc<dyn s3conn_core::LogSource>) -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use s3conn_aws::{Connector, ConnectorConfig};
//! use s3conn_core::sink::NdjsonSink;
//!
//! let config = ConnectorConfig::from_file("connector.toml")?;
//! let connector = Connector::new(config).await?;
//! println!("{}", connector.test().await);
//! let pipeline = connector.pipeline(source, Arc::new(NdjsonSink::stdout())).build();
//! pipeline.run(tokio_util::sync::CancellationToken::new()).await?;
//! # Ok(()) }
//! ```
//!
//! The log source (or each route's) is resolved by the caller (`s3conn-sources` knows the
//! registered ids and the declarative specs); everything else comes from the configuration.

use std::sync::Arc;

use s3conn_core::filter::RecordFilters;
use s3conn_core::pipeline::PipelineBuilder;
use s3conn_core::{LogSource, Pipeline, PipelineConfig, Queue, Router, Sink};

use crate::config::{AwsClients, ConfigError, ConnectorConfig};
use crate::http_client::SharedHttpClient;
use crate::connectivity::{check_connectivity_on, ConnectivityReport};
use crate::requests::RequestCounts;
use crate::s3::S3ObjectStore;
use crate::sqs::SqsQueue;

/// A configured connector: its SDK clients, queue and store.
#[derive(Debug, Clone)]
pub struct Connector {
    config: ConnectorConfig,
    clients: AwsClients,
    queue: Arc<SqsQueue>,
    store: Arc<S3ObjectStore>,
    filters: RecordFilters,
}

impl Connector {
    /// Builds the SDK clients (credentials, region, endpoint, assumed role) for a configuration.
    pub async fn new(config: ConnectorConfig) -> Result<Self, ConfigError> {
        let clients = config.clients().await;
        Self::with_clients(config, clients)
    }

    /// Like [`Self::new`], on an HTTP client shared with other connectors (one connection pool
    /// per process; see [`crate::http_client::shared_http_client`]).
    pub async fn on_http_client(
        config: ConnectorConfig,
        http: SharedHttpClient,
    ) -> Result<Self, ConfigError> {
        let clients = config.clients_on(Some(http)).await;
        Self::with_clients(config, clients)
    }

    /// A connector on given clients (tests, or clients shared between connectors).
    pub fn with_clients(config: ConnectorConfig, clients: AwsClients) -> Result<Self, ConfigError> {
        let filters =
            RecordFilters::new(&config.log_filters).map_err(|e| ConfigError::Invalid {
                field: "log_filters",
                reason: e.to_string(),
            })?;
        let queue = Arc::new(config.queue(&clients).with_connector(&config.name));
        let store = Arc::new(config.store(&clients).with_connector(&config.name));
        Ok(Connector {
            config,
            clients,
            queue,
            store,
            filters,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ConnectorConfig {
        &self.config
    }

    /// The SDK clients.
    pub fn clients(&self) -> &AwsClients {
        &self.clients
    }

    /// The SQS queue.
    pub fn queue(&self) -> Arc<SqsQueue> {
        self.queue.clone()
    }

    /// The S3 object store (allow-list applied).
    pub fn store(&self) -> Arc<S3ObjectStore> {
        self.store.clone()
    }

    /// Retries made by the queue and the store so far (the SDK-level retries of this crate).
    pub fn retries(&self) -> u64 {
        self.queue.retries() + self.store.retries()
    }

    /// SQS and S3 requests sent by the queue and the store so far, by API (every attempt counts;
    /// the connection test's requests are not included).
    pub fn requests(&self) -> RequestCounts {
        self.queue.requests().plus(&self.store.requests())
    }

    /// With `queue_depth_metrics` set, a task polling the queue depth into the
    /// `s3conn_queue_messages` gauge until `stop` (see [`crate::queue_depth`]); else `None`.
    pub fn watch_queue_depth(
        &self,
        stop: tokio_util::sync::CancellationToken,
    ) -> Option<tokio::task::JoinHandle<()>> {
        self.config.queue_depth_metrics.then(|| {
            tokio::spawn(crate::queue_depth::watch_queue_depth(
                self.queue.as_ref().clone(),
                self.config.name.clone(),
                crate::queue_depth::QUEUE_DEPTH_INTERVAL,
                stop,
            ))
        })
    }

    /// The connection test (changes nothing; see [`crate::connectivity`]).
    pub async fn test(&self) -> ConnectivityReport {
        check_connectivity_on(&self.config, &self.clients.sqs, self.store.bucket_clients()).await
    }

    /// The pipeline settings this configuration implies (production defaults otherwise).
    pub fn pipeline_config(&self) -> PipelineConfig {
        let c = &self.config;
        PipelineConfig {
            decoder: c.decoder_config(),
            objects: c.object_filter(),
            tenant: c.tenant.clone(),
            connector: Some(c.name.clone()),
            max_objects_in_flight: c.concurrency,
            max_messages_in_flight: s3conn_core::concurrency::messages_in_flight(c.concurrency),
            receive_batch: crate::sqs::SQS_BATCH_MAX,
            receive_wait: crate::sqs::SQS_MAX_WAIT,
            idle_interval: c.idle_interval,
            visibility_timeout: c.visibility_timeout,
            max_receive_count: c.max_receive_count,
            ..PipelineConfig::default()
        }
    }

    /// A pipeline builder from this connector's queue and store to `sink`, configured and with
    /// the log filters; set a dead-letter destination or adjust the settings before `build`.
    pub fn pipeline(&self, source: Arc<dyn LogSource>, sink: Arc<dyn Sink>) -> PipelineBuilder {
        self.routed_pipeline(Router::single(source), sink)
    }

    /// A pipeline builder like [`Connector::pipeline`] whose objects are routed by key (the
    /// configuration's `[[routes]]`, resolved by the caller into `router`).
    pub fn routed_pipeline(&self, router: Router, sink: Arc<dyn Sink>) -> PipelineBuilder {
        self.pipeline_from(self.queue.clone(), router, sink)
    }

    /// The same from another queue (a backfill's [`crate::listing::ListingQueue`]): this
    /// connector's store, filters and settings.
    pub fn pipeline_from(
        &self,
        queue: Arc<dyn Queue>,
        router: Router,
        sink: Arc<dyn Sink>,
    ) -> PipelineBuilder {
        Pipeline::routed_builder(queue, self.store.clone(), router, sink)
            .filters(self.filters.clone())
            .config(self.pipeline_config())
    }
}

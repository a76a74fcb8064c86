//! s3conn: collect logs from Amazon S3 through SQS notifications, as a library.
//!
//! Every record is normalized for its log source and handed to your [`Sink`]; the SQS message is
//! deleted only once the sink has it. The root and the [`prelude`] hold the types of the
//! embedding story; the modules of the engine ([`pipeline`], [`sink`], [`source`], [`decode`],
//! [`replay`]…) are re-exported as they are, with [`sources`] (the built-in log sources) and
//! [`aws`] (SQS, S3 and the connector) behind their features.
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `sources` | via the source features | the registry, declarative sources, [`resolve_source`] |
//! | `cloudtrail`, `crowdstrike`, `generic`, `proofpoint`, `teleport`, `alb`, `awsconfig`, `cloudfront`, `guardduty`, `route53-resolver`, `s3-access`, `vpcflow`, `waf` | yes | one built-in source each (each turns on `sources`) |
//! | `aws` | yes | [`Connector`], [`ConnectorConfig`], [`ConnectorJob`] (with `sources`), [`aws`], [`aws_sdk_s3`], [`aws_sdk_sqs`] |
//! | `cli` | yes | the `s3conn` binary (clap, indicatif, tracing-subscriber; turns on `aws` and `sources`) |
//! | `testing` | no | `s3conn::testing`: the moto launcher, a scripted HTTP server, the fault proxy |
//!
//! Crates in the normal dependency tree (`cargo tree -e normal`, s3conn included):
//!
//! | features | crates |
//! |---|---|
//! | `--no-default-features` (the engine alone) | 50 |
//! | `--no-default-features --features generic` (one source; any number of sources is the same) | 60 |
//! | `--no-default-features --features aws` | 188 |
//! | `--no-default-features --features aws,cloudtrail,crowdstrike,generic,proofpoint,teleport` (the library, no CLI) | 189 |
//! | default (`aws`, all sources, `cli`) | 215 |
//!
//! `cargo build --no-default-features` builds the engine alone: no AWS SDK, no log source (bring
//! your own [`LogSource`], or add `--features generic` for one built-in source).
//!
//! # The library
//!
#![doc = include_str!("library.md")]
//!
//! # Examples on the items
//!
//! Each trait and entry point carries a runnable example, compiled and run with the tests:
//!
//! - [`Pipeline`]: a drain over [`MemoryQueue`] and [`MemoryObjectStore`] into a [`MemorySink`]
//!   and a [`MemoryDeadLetterSink`], checking the [`RunReport`];
//! - [`Sink`]: a sink of your own that counts records per event name;
//! - [`LogSource`]: a source of your own that reads its fields with [`Event::parse`];
//! - [`Event::parse`]: a view that borrows its strings from the event, and owns the escaped ones;
#![cfg_attr(
    feature = "aws",
    doc = "- [`ConnectorConfig::builder`] ([`aws::config::ConnectorConfigBuilder`]): a configuration for a local S3/SQS emulator, built and read back without network."
)]
#![cfg_attr(
    not(feature = "aws"),
    doc = "- `ConnectorConfig::builder` (feature `aws`): a configuration for a local S3/SQS emulator, built and read back without network."
)]

#[cfg(all(feature = "aws", feature = "sources"))]
mod connector_job;
#[cfg(feature = "metrics-server")]
pub mod metrics_server;
pub mod prelude;
#[cfg(all(feature = "aws", feature = "sources"))]
mod routing;
#[cfg(feature = "sinks")]
mod sink_from_config;
#[cfg(all(feature = "aws", feature = "sources"))]
mod supervisor;

// The engine's modules, as they are (no alias named `core`: it would shadow Rust's own).
/// The engine crate itself, for the items its modules do not list here (benches, internals).
#[doc(hidden)]
pub use s3conn_core;
pub use s3conn_core::{
    concurrency, decode, error, filter, health, local, memory, notification, pipeline, queue,
    record, replay, route, sink, source, stats, store, telemetry, time,
};
pub use s3conn_core::{ConnectorHealth, Health, HealthReport, HealthRules, Readiness};

/// The built-in log sources, their registry and declarative sources.
#[cfg(feature = "sources")]
pub use s3conn_sources as sources;

/// SQS, S3, the connector configuration and the connection test.
#[cfg(feature = "aws")]
pub use s3conn_aws as aws;

/// HTTP batch sinks and their presets (Elasticsearch/OpenSearch, Splunk HEC, ClickHouse, NDJSON).
#[cfg(feature = "sinks")]
pub use s3conn_sinks as http_sinks;

/// The sink a connector's `[sink]` table names (shared by `collect`, `replay --config` and
/// `backfill`).
#[cfg(feature = "sinks")]
pub use sink_from_config::{sink_from_config, ConfiguredSink, SinkFromConfigError};

/// Test support: the contract suites every `Queue`, `ObjectStore`, `Sink` and `DeadLetterSink`
/// must pass (run them on your own backends), the moto launcher, a scripted HTTP server and a
/// fault-injecting proxy.
#[cfg(feature = "testing")]
pub mod testing {
    pub use s3conn_aws::testing::*;
    pub use s3conn_core::testing::*;
    pub use s3conn_sinks::testing::{ClickHouseServer, HttpServer};
}

// The embedding story, flat.
#[cfg(all(feature = "aws", feature = "sources"))]
pub use connector_job::{run_connector, ConnectorJob, ConnectorJobError, DeadLetterDestination};
#[cfg(all(feature = "aws", feature = "sources"))]
pub use routing::resolve_router;
#[cfg(feature = "aws")]
pub use s3conn_aws::{AwsClients, ConfigError, ConnectivityReport, Connector, ConnectorConfig};
pub use s3conn_core::local::LocalObjectStore;
pub use s3conn_core::memory::{MemoryObjectStore, MemoryQueue};
pub use s3conn_core::replay::{ReplayObject, ReplayRun};
pub use s3conn_core::sink::{
    DirectoryDeadLetterSink, MemoryDeadLetterSink, MemorySink, NdjsonSink,
};
pub use s3conn_core::{
    CompactString, DeadLetter, DeadLetterSink, Event, KeyVerdict, LogSource, Normalized,
    ObjectContext, ObjectStore, Pipeline, PipelineConfig, PipelineError, Queue, Record, Replay,
    ReplayError, ReplayOutcome, Router, Sink, SinkError, SourceInfo, SourceRegistry, Stats,
    Unmatched,
};
/// What a run did: counters ([`StatsSnapshot`]) and a status that says whether everything was
/// delivered or accounted for, or what was kept and why.
pub use s3conn_core::{KeepReason, KeptMessages, RunReport, RunStatus, StatsSnapshot};
/// The log source a `log_source` setting names: a registered id, the id with `_` for `-`, or a
/// declarative spec path relative to `base_dir` (see [`sources::resolve`]).
#[cfg(feature = "sources")]
pub use s3conn_sources::resolve as resolve_source;
#[cfg(feature = "sources")]
pub use s3conn_sources::ResolveError;
#[cfg(feature = "sources")]
pub use s3conn_sources::{builtin_registry, DeclarativeSource};
#[cfg(all(feature = "aws", feature = "sources"))]
pub use supervisor::{
    ConnectorOutcome, ConnectorState, ConnectorStates, Supervisor, SupervisorError,
    SupervisorReport,
};

// What the public API's signatures and traits need from other crates.
/// Implements [`Sink`], [`DeadLetterSink`], [`Queue`] and [`ObjectStore`]: `#[async_trait]`.
pub use async_trait::async_trait;
/// The AWS SDK for S3 ([`AwsClients::s3`]).
#[cfg(feature = "aws")]
pub use aws_sdk_s3;
/// The AWS SDK for SQS ([`AwsClients::sqs`]).
#[cfg(feature = "aws")]
pub use aws_sdk_sqs;
/// Bytes of objects ([`store::GetResult`]).
pub use bytes::{self, Bytes};
/// Streams of object bodies ([`store::GetResult`]).
pub use futures;
/// Derive `Deserialize` for [`Event::parse`] with `#[serde(crate = "s3conn::serde")]`.
pub use serde::{self, Deserialize};
/// JSON values of records and events.
pub use serde_json;
/// The runtime: `#[s3conn::tokio::main(crate = "s3conn::tokio")]`.
pub use tokio;
/// Stops a [`Pipeline::run`].
pub use tokio_util::sync::CancellationToken;

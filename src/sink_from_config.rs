//! The sink a `[sink]` table names, built in the library so `collect`, `replay --config` and
//! `backfill` share one mapping: stdout, a directory, the HTTP presets, or the S3 data lake.

use std::sync::Arc;

use s3conn_aws::config::{LakeSinkConfig, SinkAuth, SinkConfig, SinkKind};
use s3conn_core::sink::NdjsonSink;
use s3conn_core::Sink;
use s3conn_sinks::presets::clickhouse::ClickHouse;
use s3conn_sinks::presets::elasticsearch::{Bulk, Flavor};
use s3conn_sinks::presets::ndjson::Ndjson;
use s3conn_sinks::presets::splunk_hec::{Hec, HecSettings};
use s3conn_sinks::{Auth, Check, Encoder, HttpSettings, HttpSink, IndexTemplate};

/// A `[sink]` table that cannot be turned into a sink (a configuration error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkFromConfigError {
    /// A setting of an HTTP sink is invalid.
    #[error(transparent)]
    Http(#[from] s3conn_sinks::BuildError),
    /// The output directory cannot be created or written.
    #[error("sink.path {path}: {message}")]
    Directory {
        /// The directory or file.
        path: String,
        /// The I/O error.
        message: String,
    },
    /// The data-lake settings are unusable (or Parquet is not built in).
    #[error("sink type s3: {0}")]
    Lake(String),
    /// This sink type is not available in this build.
    #[error("sink type {kind}: {message}")]
    NotAvailable {
        /// The type.
        kind: &'static str,
        /// Why.
        message: &'static str,
    },
}

/// A sink built from configuration, with what `s3conn test` needs to check it.
#[derive(Debug, Clone)]
pub struct ConfiguredSink {
    /// The sink to give the pipeline.
    pub sink: Arc<dyn Sink>,
    /// The HTTP sink behind it, for [`ConfiguredSink::check`].
    pub http: Option<HttpSink>,
    /// What it writes to, e.g. `clickhouse http://127.0.0.1:8123`.
    pub description: String,
    /// Whether it writes to standard output.
    pub is_stdout: bool,
}

impl ConfiguredSink {
    /// Checks the destination: reachable, credentials accepted, writable (HTTP sinks; stdout and
    /// directories have nothing to check beyond being built).
    pub async fn check(&self) -> Vec<Check> {
        match &self.http {
            Some(h) => h.probe().await,
            None => vec![Check::pass("writable", self.description.clone())],
        }
    }
}

/// Builds the sink `config` names. `connector_s3` is the connector's S3 client, which the `s3`
/// sink uses unless its table gives an endpoint or keys of its own.
pub fn sink_from_config(
    config: &SinkConfig,
    connector_s3: Option<&aws_sdk_s3::Client>,
) -> Result<ConfiguredSink, SinkFromConfigError> {
    let kind = config.kind;
    let plain = |sink: Arc<dyn Sink>, description: String, is_stdout: bool| ConfiguredSink {
        sink,
        http: None,
        description,
        is_stdout,
    };
    match kind {
        SinkKind::Stdout => Ok(plain(Arc::new(NdjsonSink::stdout()), "stdout".into(), true)),
        SinkKind::Directory => {
            let dir = config.path.clone().unwrap_or_default();
            let err = |p: &std::path::Path, e: std::io::Error| SinkFromConfigError::Directory {
                path: p.display().to_string(),
                message: e.to_string(),
            };
            std::fs::create_dir_all(&dir).map_err(|e| err(&dir, e))?;
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            let file = dir.join(format!("records-{stamp}-{}.ndjson", std::process::id()));
            let sink = NdjsonSink::file(&file).map_err(|e| err(&file, e))?;
            Ok(plain(
                Arc::new(sink),
                format!("directory {}", dir.display()),
                false,
            ))
        }
        SinkKind::S3 => {
            let lake = config
                .lake
                .as_ref()
                .ok_or(SinkFromConfigError::NotAvailable {
                    kind: "s3",
                    message: "no bucket",
                })?;
            let sink = lake_sink(lake, connector_s3)?;
            Ok(plain(
                sink,
                format!("s3://{}/{}", lake.bucket, lake.prefix),
                false,
            ))
        }
        _ => {
            let http = http_sink(config)?;
            Ok(ConfiguredSink {
                sink: Arc::new(http.clone()),
                description: format!("{} {}", http.preset(), config.url.as_deref().unwrap_or("")),
                http: Some(http),
                is_stdout: false,
            })
        }
    }
}

/// The S3 data-lake sink of `type = "s3"`: on the connector's S3 client, with the table's own
/// endpoint, region or keys where it names them (a client of its own when there is no connector,
/// as for `replay --config`: then it needs keys).
fn lake_sink(
    lake: &LakeSinkConfig,
    connector_s3: Option<&aws_sdk_s3::Client>,
) -> Result<Arc<dyn Sink>, SinkFromConfigError> {
    use s3conn_aws::lake::{LakeFormat, LakeSettings, LakeSink};
    let mut config = match connector_s3 {
        Some(client) => client.config().to_builder(),
        None => aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(
                lake.region.clone().unwrap_or_else(|| "us-east-1".into()),
            )),
    };
    if let Some(region) = &lake.region {
        config = config.region(aws_sdk_s3::config::Region::new(region.clone()));
    }
    if let Some(endpoint) = &lake.endpoint_url {
        config = config.endpoint_url(endpoint).force_path_style(true);
    }
    match (&lake.access_key_id, &lake.secret_access_key) {
        (Some(id), Some(secret)) => {
            config = config.credentials_provider(aws_sdk_s3::config::Credentials::new(
                id.clone(),
                secret.expose().to_owned(),
                None,
                None,
                "s3conn-sink",
            ));
        }
        _ if connector_s3.is_none() => {
            return Err(SinkFromConfigError::NotAvailable {
                kind: "s3",
                message: "without a connector (replay --config), the s3 sink needs access_key_id and secret_access_key in [sink]",
            });
        }
        _ => {}
    }
    let mut settings = LakeSettings::new(lake.bucket.clone());
    settings.prefix = lake.prefix.clone();
    settings.format = match lake.format {
        s3conn_aws::config::LakeFormat::NdjsonGz => LakeFormat::NdjsonGz,
        _ => LakeFormat::Parquet,
    };
    settings.roll_bytes = usize::try_from(lake.roll_bytes).unwrap_or(usize::MAX);
    settings.roll_age = lake.roll_age;
    let client = aws_sdk_s3::Client::from_conf(config.build());
    let sink = LakeSink::new(client, settings).map_err(|e| SinkFromConfigError::Lake(e.to_string()))?;
    Ok(Arc::new(sink))
}

/// The HTTP settings and preset of an HTTP sink type.
fn http_sink(config: &SinkConfig) -> Result<HttpSink, SinkFromConfigError> {
    let kind = config.kind;
    let mut s = HttpSettings::new(config.url.clone().unwrap_or_default());
    s.auth = match &config.auth {
        SinkAuth::Basic { user, password } => Auth::Basic {
            user: user.clone(),
            password: password.expose().to_owned(),
        },
        SinkAuth::Token(t) if kind == SinkKind::SplunkHec => Auth::Splunk(t.expose().to_owned()),
        SinkAuth::Token(t) => Auth::Bearer(t.expose().to_owned()),
        SinkAuth::ApiKey(k) => Auth::ApiKey(k.expose().to_owned()),
        SinkAuth::Header { name, value } => Auth::Header {
            name: name.clone(),
            value: value.expose().to_owned(),
        },
        _ => Auth::None,
    };
    s.headers = config.headers.clone();
    s.ca_file = config.ca_file.clone();
    s.gzip = config.gzip.unwrap_or(s.gzip);
    s.max_records = config.batch_records.unwrap_or(s.max_records);
    s.max_bytes = config.batch_bytes.unwrap_or(s.max_bytes);
    s.linger = config.linger.unwrap_or(s.linger);
    s.max_concurrent_requests = config.concurrency.unwrap_or(s.max_concurrent_requests);
    s.request_timeout = config.timeout.unwrap_or(s.request_timeout);
    s.connect_timeout = config.connect_timeout.unwrap_or(s.connect_timeout);
    s.max_retries = config.max_retries.unwrap_or(s.max_retries);
    let index = config
        .index
        .as_deref()
        .map(IndexTemplate::parse)
        .transpose()?
        .unwrap_or_default();
    let encoder: Arc<dyn Encoder> = match kind {
        SinkKind::Elasticsearch => Arc::new(Bulk::new(Flavor::Elasticsearch, index)),
        SinkKind::Opensearch => Arc::new(Bulk::new(Flavor::OpenSearch, index)),
        SinkKind::SplunkHec => Arc::new(Hec::new(HecSettings {
            index: Some(index),
            host: config.host.clone(),
            ack_channel: config.ack_channel.clone(),
            ..HecSettings::default()
        })),
        SinkKind::Clickhouse => Arc::new(ClickHouse::new(
            config.table.as_deref().unwrap_or("s3conn_logs"),
            config.create_table.unwrap_or(true),
        )?),
        _ => Arc::new(Ndjson),
    };
    Ok(HttpSink::new(s, encoder)?)
}

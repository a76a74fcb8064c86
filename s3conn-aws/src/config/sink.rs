//! The `[sink]` table: where records go (stdout, a directory, an HTTP destination, an S3 data
//! lake), as written and validated. Building the sink from it is the facade's job
//! (`s3conn::sink_from_config`), so this crate needs no HTTP client.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::error::{invalid, ConfigError};
use super::raw::DurationValue;
use super::secret::Secret;

/// Which destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SinkKind {
    /// NDJSON on standard output (the default).
    #[default]
    Stdout,
    /// NDJSON files in a directory (`path`).
    Directory,
    /// NDJSON POSTed to `url` (Vector, Logstash, Cribl HTTP inputs).
    HttpNdjson,
    /// Elasticsearch `_bulk`.
    Elasticsearch,
    /// OpenSearch `_bulk`.
    Opensearch,
    /// Splunk HTTP Event Collector.
    SplunkHec,
    /// ClickHouse `INSERT … FORMAT JSONEachRow`.
    Clickhouse,
    /// Objects in an S3 data lake (Parquet or gzip NDJSON).
    S3,
}

impl SinkKind {
    /// Whether records go to an HTTP destination.
    pub fn is_http(self) -> bool {
        matches!(
            self,
            SinkKind::HttpNdjson
                | SinkKind::Elasticsearch
                | SinkKind::Opensearch
                | SinkKind::SplunkHec
                | SinkKind::Clickhouse
        )
    }
}

/// How an HTTP sink authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SinkAuth {
    /// Nothing.
    #[default]
    None,
    /// `user` + `password`: HTTP Basic.
    Basic {
        /// User.
        user: String,
        /// Password.
        password: Secret,
    },
    /// `token`: `Authorization: Bearer` (`Splunk` for `splunk-hec`).
    Token(Secret),
    /// `api_key`: `Authorization: ApiKey` (Elasticsearch).
    ApiKey(Secret),
    /// `auth_header` + `auth_value`: any header.
    Header {
        /// Header name.
        name: String,
        /// Header value.
        value: Secret,
    },
}

/// File format of the S3 data-lake sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub enum LakeFormat {
    /// Apache Parquet (the default).
    #[default]
    #[serde(rename = "parquet")]
    Parquet,
    /// Gzip-compressed NDJSON.
    #[serde(rename = "ndjson.gz")]
    NdjsonGz,
}

/// Settings of `type = "s3"` (the data lake; the connector's credentials and endpoint unless
/// given).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LakeSinkConfig {
    /// Bucket written to.
    pub bucket: String,
    /// Key prefix (default `s3conn`).
    pub prefix: String,
    /// File format.
    pub format: LakeFormat,
    /// An object is closed at this size (default 128 MiB).
    pub roll_bytes: u64,
    /// An object is closed this long after its first record (default 5 min).
    pub roll_age: Duration,
    /// Endpoint of an S3-compatible service, if not the connector's.
    pub endpoint_url: Option<String>,
    /// Region of the bucket, if not the connector's.
    pub region: Option<String>,
    /// Keys of their own, if not the connector's.
    pub access_key_id: Option<String>,
    /// Secret key that goes with `access_key_id`.
    pub secret_access_key: Option<Secret>,
}

/// The validated `[sink]` table.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct SinkConfig {
    /// Which destination.
    pub kind: SinkKind,
    /// Base URL of an HTTP destination.
    pub url: Option<String>,
    /// Directory of `type = "directory"`.
    pub path: Option<PathBuf>,
    /// Credentials of an HTTP destination.
    pub auth: SinkAuth,
    /// Extra headers of every request.
    pub headers: Vec<(String, String)>,
    /// PEM file of extra CA certificates.
    pub ca_file: Option<PathBuf>,
    /// Gzip request bodies (default true).
    pub gzip: Option<bool>,
    /// Records per request (default 5000).
    pub batch_records: Option<usize>,
    /// Body bytes per request before gzip (default 10 MiB).
    pub batch_bytes: Option<usize>,
    /// Longest wait for a request to fill (default 1 s).
    pub linger: Option<Duration>,
    /// Requests in flight (default 4).
    pub concurrency: Option<usize>,
    /// Time for one request (default 60 s).
    pub timeout: Option<Duration>,
    /// Time to connect (default 10 s).
    pub connect_timeout: Option<Duration>,
    /// Retries inside the sink before the pipeline's own (default 5).
    pub max_retries: Option<u32>,
    /// Index template (`elasticsearch`, `opensearch`, `splunk-hec`; default `{index}`).
    pub index: Option<String>,
    /// ClickHouse table, `NAME` or `DATABASE.NAME` (default `s3conn_logs`).
    pub table: Option<String>,
    /// Create the ClickHouse table when missing (default true).
    pub create_table: Option<bool>,
    /// HEC `host` of records that name none.
    pub host: Option<String>,
    /// HEC indexer acknowledgement channel (a GUID); unset: no acknowledgement.
    pub ack_channel: Option<String>,
    /// The data lake (`type = "s3"`).
    pub lake: Option<LakeSinkConfig>,
}

/// The `[sink]` table as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSink {
    #[serde(rename = "type")]
    kind: Option<SinkKind>,
    url: Option<String>,
    path: Option<PathBuf>,
    user: Option<String>,
    password: Option<Secret>,
    token: Option<Secret>,
    api_key: Option<Secret>,
    auth_header: Option<String>,
    auth_value: Option<Secret>,
    headers: Option<std::collections::BTreeMap<String, String>>,
    ca_file: Option<PathBuf>,
    gzip: Option<bool>,
    batch_records: Option<usize>,
    batch_bytes: Option<usize>,
    linger: Option<DurationValue>,
    concurrency: Option<usize>,
    timeout: Option<DurationValue>,
    connect_timeout: Option<DurationValue>,
    max_retries: Option<u32>,
    index: Option<String>,
    table: Option<String>,
    create_table: Option<bool>,
    host: Option<String>,
    ack_channel: Option<String>,
    bucket: Option<String>,
    prefix: Option<String>,
    format: Option<LakeFormat>,
    roll_bytes: Option<u64>,
    roll_age: Option<DurationValue>,
    endpoint_url: Option<String>,
    region: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<Secret>,
}

/// A document read only for its `[sink]` table (`replay --config`).
#[derive(Deserialize)]
struct SinkOnly {
    sink: Option<RawSink>,
}

impl SinkConfig {
    /// The `[sink]` table of a TOML document, ignoring everything else (stdout when absent).
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let doc: SinkOnly = toml::from_str(text).map_err(|e| ConfigError::Parse {
            line: e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0),
            message: e.message().to_string(),
        })?;
        doc.sink.unwrap_or_default().validate()
    }

    /// The `[sink]` table of a TOML file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text)
    }
}

fn positive<T: PartialOrd + Default>(
    v: Option<T>,
    field: &'static str,
) -> Result<Option<T>, ConfigError> {
    match v {
        Some(n) if n <= T::default() => Err(invalid(field, "must be at least 1")),
        v => Ok(v),
    }
}

impl RawSink {
    /// Checks the table; fields of another sink type are refused, not silently ignored.
    pub(super) fn validate(self) -> Result<SinkConfig, ConfigError> {
        let kind = self.kind.unwrap_or_default();
        let http = kind.is_http();
        let name = |k: SinkKind| format!("{k:?}").to_lowercase();
        let only = |set: bool, field: &'static str, ok: bool| {
            if set && !ok {
                Err(invalid(
                    field,
                    format!("is not a setting of sink type {}", name(kind)),
                ))
            } else {
                Ok(())
            }
        };
        only(self.url.is_some(), "sink.url", http)?;
        only(
            self.path.is_some(),
            "sink.path",
            kind == SinkKind::Directory,
        )?;
        only(
            self.table.is_some() || self.create_table.is_some(),
            "sink.table",
            kind == SinkKind::Clickhouse,
        )?;
        only(
            self.index.is_some(),
            "sink.index",
            matches!(
                kind,
                SinkKind::Elasticsearch | SinkKind::Opensearch | SinkKind::SplunkHec
            ),
        )?;
        only(
            self.host.is_some() || self.ack_channel.is_some(),
            "sink.host",
            kind == SinkKind::SplunkHec,
        )?;
        let lake_fields = self.bucket.is_some()
            || self.prefix.is_some()
            || self.format.is_some()
            || self.roll_bytes.is_some()
            || self.roll_age.is_some()
            || self.endpoint_url.is_some()
            || self.region.is_some()
            || self.access_key_id.is_some()
            || self.secret_access_key.is_some();
        only(lake_fields, "sink.bucket", kind == SinkKind::S3)?;
        let auth_set = self.user.is_some()
            || self.password.is_some()
            || self.token.is_some()
            || self.api_key.is_some()
            || self.auth_header.is_some();
        only(auth_set, "sink.auth", http)?;
        if http {
            match &self.url {
                None => {
                    return Err(invalid(
                        "sink.url",
                        format!("is required for sink type {}", name(kind)),
                    ))
                }
                Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                    return Err(invalid(
                        "sink.url",
                        format!("{u:?}: use http:// or https://"),
                    ))
                }
                Some(_) => {}
            }
        }
        if kind == SinkKind::Directory && self.path.is_none() {
            return Err(invalid("sink.path", "is required for sink type directory"));
        }
        let auth = match (
            self.user,
            self.password,
            self.token,
            self.api_key,
            self.auth_header,
            self.auth_value,
        ) {
            (None, None, None, None, None, None) => SinkAuth::None,
            (Some(user), Some(password), None, None, None, None) => {
                SinkAuth::Basic { user, password }
            }
            (None, None, Some(t), None, None, None) => SinkAuth::Token(t),
            (None, None, None, Some(k), None, None) => SinkAuth::ApiKey(k),
            (None, None, None, None, Some(name), Some(value)) => SinkAuth::Header { name, value },
            (Some(_), None, ..) | (None, Some(_), ..) => {
                return Err(invalid("sink.user", "user and password go together"))
            }
            (.., Some(_), None) | (.., None, Some(_)) => {
                return Err(invalid(
                    "sink.auth_header",
                    "auth_header and auth_value go together",
                ))
            }
            _ => {
                return Err(invalid(
                    "sink.auth",
                    "set one of user + password, token, api_key, auth_header + auth_value",
                ))
            }
        };
        let duration =
            |v: Option<DurationValue>, field: &'static str| v.map(|d| d.resolve(field)).transpose();
        let lake = if kind == SinkKind::S3 {
            let bucket = self
                .bucket
                .filter(|b| !b.trim().is_empty())
                .ok_or_else(|| invalid("sink.bucket", "is required for sink type s3"))?;
            if self.access_key_id.is_some() != self.secret_access_key.is_some() {
                return Err(invalid(
                    "sink.access_key_id",
                    "access_key_id and secret_access_key go together",
                ));
            }
            Some(LakeSinkConfig {
                bucket,
                prefix: self.prefix.unwrap_or_else(|| "s3conn".into()),
                format: self.format.unwrap_or_default(),
                roll_bytes: positive(self.roll_bytes, "sink.roll_bytes")?.unwrap_or(128 << 20),
                roll_age: duration(self.roll_age, "sink.roll_age")?
                    .unwrap_or(Duration::from_secs(300)),
                endpoint_url: self.endpoint_url,
                region: self.region,
                access_key_id: self.access_key_id,
                secret_access_key: self.secret_access_key,
            })
        } else {
            None
        };
        Ok(SinkConfig {
            kind,
            url: self.url,
            path: self.path,
            auth,
            headers: self.headers.unwrap_or_default().into_iter().collect(),
            ca_file: self.ca_file,
            gzip: self.gzip,
            batch_records: positive(self.batch_records, "sink.batch_records")?,
            batch_bytes: positive(self.batch_bytes, "sink.batch_bytes")?,
            linger: duration(self.linger, "sink.linger")?,
            concurrency: positive(self.concurrency, "sink.concurrency")?,
            timeout: duration(self.timeout, "sink.timeout")?,
            connect_timeout: duration(self.connect_timeout, "sink.connect_timeout")?,
            max_retries: self.max_retries,
            index: self.index,
            table: self.table,
            create_table: self.create_table,
            host: self.host,
            ack_channel: self.ack_channel,
            lake,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<SinkConfig, ConfigError> {
        SinkConfig::from_toml_str(t)
    }

    #[test]
    fn no_table_is_stdout_and_other_tables_are_ignored() {
        let c = parse("name = \"x\"\n[other]\na = 1\n").unwrap_or_default();
        assert_eq!(c.kind, SinkKind::Stdout);
    }

    #[test]
    fn clickhouse_with_basic_auth() {
        let c = parse(
            "[sink]\ntype = \"clickhouse\"\nurl = \"http://127.0.0.1:8123\"\ntable = \"logs.t\"\nuser = \"default\"\npassword = \"pw\"\nlinger = \"250ms\"\n",
        );
        let c = c.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.kind, SinkKind::Clickhouse);
        assert_eq!(c.table.as_deref(), Some("logs.t"));
        assert_eq!(c.linger, Some(Duration::from_millis(250)));
        assert!(matches!(c.auth, SinkAuth::Basic { ref user, .. } if user == "default"));
        assert!(!format!("{c:?}").contains("pw"));
    }

    #[test]
    fn mistakes_name_their_field() {
        let err = |t: &str| parse(t).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err("[sink]\ntype = \"clickhouse\"\n").contains("sink.url"));
        assert!(err("[sink]\ntype = \"elasticsearch\"\nurl = \"ftp://x\"\n").contains("sink.url"));
        assert!(err("[sink]\ntype = \"stdout\"\ntable = \"t\"\n").contains("sink.table"));
        assert!(err("[sink]\ntype = \"s3\"\n").contains("sink.bucket"));
        assert!(
            err("[sink]\ntype = \"http-ndjson\"\nurl = \"http://h\"\nuser = \"u\"\n")
                .contains("password")
        );
        assert!(err("[sink]\ntype = \"kafka\"\n").contains("unknown variant"));
        assert!(
            err("[sink]\ntype = \"clickhouse\"\nurl = \"http://h\"\nbatch_records = 0\n")
                .contains("batch_records")
        );
    }

    #[test]
    fn s3_lake_defaults() {
        let c = parse("[sink]\ntype = \"s3\"\nbucket = \"lake\"\nformat = \"ndjson.gz\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let lake = c.lake.unwrap_or_else(|| panic!("no lake"));
        assert_eq!(lake.bucket, "lake");
        assert_eq!(lake.prefix, "s3conn");
        assert_eq!(lake.format, LakeFormat::NdjsonGz);
        assert_eq!(lake.roll_age, Duration::from_secs(300));
    }
}

#[cfg(test)]
mod example {
    use super::*;

    /// The `## ` block of `example.toml`, uncommented (only `key = value` lines).
    fn example_block() -> String {
        include_str!("example.toml")
            .lines()
            .filter_map(|l| l.strip_prefix("## "))
            .filter(|l| {
                let setting = l.split(" #").next().unwrap_or(l);
                l.starts_with('[')
                    || setting.split_once(" = ").is_some_and(|(k, v)| {
                        k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                            && !v.contains("\": ")
                    })
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_documented_sink_example_is_valid() {
        let text = example_block();
        assert!(text.starts_with("[sink]\ntype = \"clickhouse\""), "{text}");
        // Index, host and channel belong to other types: the example lists every setting, so
        // check the ClickHouse ones, then the others with their type.
        let clickhouse: String = text
            .lines()
            .filter(|l| {
                !l.starts_with("index") && !l.starts_with("host") && !l.starts_with("ack_channel")
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c =
            SinkConfig::from_toml_str(&clickhouse).unwrap_or_else(|e| panic!("{e}\n{clickhouse}"));
        assert_eq!(c.kind, SinkKind::Clickhouse);
        assert_eq!(c.batch_records, Some(5000));
        assert_eq!(
            c.headers,
            vec![("X-Scope".to_owned(), "security".to_owned())]
        );
        let hec = text
            .replace("type = \"clickhouse\"", "type = \"splunk-hec\"")
            .lines()
            .filter(|l| !l.starts_with("table"))
            .collect::<Vec<_>>()
            .join("\n");
        let c = SinkConfig::from_toml_str(&hec).unwrap_or_else(|e| panic!("{e}\n{hec}"));
        assert_eq!(
            c.ack_channel.as_deref(),
            Some("FE0ECFAD-13D5-401B-847D-77833BD77131")
        );
    }
}

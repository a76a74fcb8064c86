//! HTTP batch sinks of s3conn: one [`HttpSink`] (batches by records, bytes and linger; gzip;
//! auth; TLS with a custom CA; timeouts; bounded concurrent requests; status classes and
//! `Retry-After`) and thin [`Encoder`] presets for Elasticsearch/OpenSearch `_bulk`, Splunk HEC,
//! ClickHouse and plain NDJSON.
//!
//! A record is reported delivered only once the destination accepted it; records the
//! destination rejects for good come back as [`s3conn_core::SinkError::PartlyRejected`] (the
//! pipeline dead-letters them); refused credentials as
//! [`s3conn_core::SinkError::Configuration`] (the pipeline stops).

pub mod auth;
pub mod client;
pub mod encoder;
pub mod error;
pub mod http_sink;
pub mod index_template;
pub mod presets;
pub mod probe;
pub mod settings;
#[cfg(feature = "testing")]
pub mod testing;

pub use auth::Auth;
pub use encoder::{Answer, Encoder, Verdict};
pub use error::BuildError;
pub use http_sink::HttpSink;
pub use index_template::{index_name, IndexTemplate};
pub use probe::Check;
pub use settings::HttpSettings;

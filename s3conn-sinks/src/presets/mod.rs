//! The presets: thin encoders on the HTTP batch sink, one file each.

pub mod clickhouse;
pub mod elasticsearch;
pub mod ndjson;
pub mod splunk_hec;

//! s3conn: collect logs from Amazon S3 through SQS notifications, as a library.
//!
//! This facade re-exports the three crates: [`core`] (traits, decoding, pipeline, local backends),
//! [`sources`] (the built-in log sources and declarative sources) and [`aws`] (SQS and S3).

pub use s3conn_aws as aws;
pub use s3conn_core as core;
pub use s3conn_sources as sources;

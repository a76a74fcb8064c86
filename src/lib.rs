//! s3conn facade
pub use s3conn_core as core;

//! How an HTTP sink batches, authenticates, connects and retries: one plain settings struct.

use std::path::PathBuf;
use std::time::Duration;

use crate::auth::Auth;

/// Settings shared by every HTTP sink (the presets add their own).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HttpSettings {
    /// Base URL of the destination (`http://` or `https://`); presets append their path.
    pub url: String,
    /// How requests authenticate.
    pub auth: Auth,
    /// Extra headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// A PEM file of CA certificates trusted in addition to the system's.
    pub ca_file: Option<PathBuf>,
    /// Gzip request bodies (`Content-Encoding: gzip`; default on).
    pub gzip: bool,
    /// A request closes once it holds this many records (default 5000).
    pub max_records: usize,
    /// A request closes once its body (before gzip) reaches this many bytes (default 10 MiB).
    pub max_bytes: usize,
    /// A request that is not full is sent this long after its first record (default 1 s).
    pub linger: Duration,
    /// Requests in flight at once (default 4); when all are busy, `deliver` waits.
    pub max_concurrent_requests: usize,
    /// Time to connect (default 10 s).
    pub connect_timeout: Duration,
    /// Time for one whole request and its answer (default 60 s).
    pub request_timeout: Duration,
    /// Retries of a retryable failure inside the sink before the batch is reported retryable to
    /// the pipeline (default 5).
    pub max_retries: u32,
    /// First retry delay (doubles each time, with jitter; default 500 ms).
    pub retry_base: Duration,
    /// Longest retry delay, and the cap on a `Retry-After` (default 30 s).
    pub retry_max: Duration,
}

impl HttpSettings {
    /// Settings for `url` with every default.
    pub fn new(url: impl Into<String>) -> Self {
        HttpSettings {
            url: url.into(),
            auth: Auth::None,
            headers: Vec::new(),
            ca_file: None,
            gzip: true,
            max_records: 5000,
            max_bytes: 10 << 20,
            linger: Duration::from_secs(1),
            max_concurrent_requests: 4,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_retries: 5,
            retry_base: Duration::from_millis(500),
            retry_max: Duration::from_secs(30),
        }
    }
}

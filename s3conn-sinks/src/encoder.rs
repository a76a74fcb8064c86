//! What a preset adds to the HTTP batch sink: how records become a request body, where it is
//! sent, and how the destination's answer is read (per item or for the whole request).

use std::fmt::Debug;

use async_trait::async_trait;
use s3conn_core::Record;

use crate::client::{HttpClient, Response};
use crate::probe::Check;

/// The destination's verdict on one item (or on every item of a request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Durably accepted.
    Accepted,
    /// Not accepted this time; send it again (the reason is logged).
    Retry(String),
    /// Rejected for good: dead-letter it with this reason.
    Rejected(String),
}

/// How a request's answer is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The same verdict for every item of the request.
    All(Verdict),
    /// One verdict per item, in the order sent.
    Items(Vec<Verdict>),
    /// The destination refuses the credentials or permissions: stop, do not retry.
    Configuration(String),
}

/// A preset: the body format, path and answer of one destination's batch API.
#[async_trait]
pub trait Encoder: Send + Sync + Debug + 'static {
    /// The preset's name, e.g. `elasticsearch`.
    fn name(&self) -> &'static str;

    /// Path and query appended to the base URL, e.g. `/_bulk`.
    fn path(&self) -> &str;

    /// The body's `Content-Type`.
    fn content_type(&self) -> &'static str;

    /// Extra headers of every batch request.
    fn headers(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Appends one record to the body (self-delimited: the body is the concatenation of items).
    fn encode(&self, record: &Record, out: &mut Vec<u8>);

    /// Reads the answer to a request of `items` items (default: by status class).
    fn answer(&self, response: &Response, items: usize) -> Answer {
        let _ = items;
        answer_by_status(response)
    }

    /// Confirms a request answered as accepted (e.g. Splunk's indexer acknowledgement).
    async fn confirm(&self, client: &HttpClient, response: &Response) -> Verdict {
        let _ = (client, response);
        Verdict::Accepted
    }

    /// Runs once before the first batch (e.g. creates a missing table); a failure is retried.
    async fn prepare(&self, client: &HttpClient) -> Result<(), Answer> {
        let _ = client;
        Ok(())
    }

    /// Checks that the destination is reachable, accepts the credentials and is writable.
    async fn probe(&self, client: &HttpClient) -> Vec<Check>;
}

/// The status classes: 2xx accepted; 408, 429, 5xx retryable; 401/403 a configuration error;
/// any other status rejected, with an excerpt of the answer.
pub fn answer_by_status(response: &Response) -> Answer {
    let status = response.status;
    let why = || format!("HTTP {status}: {}", response.excerpt());
    match status {
        200..=299 => Answer::All(Verdict::Accepted),
        401 | 403 => Answer::Configuration(why()),
        408 | 429 | 500..=599 => Answer::All(Verdict::Retry(why())),
        _ => Answer::All(Verdict::Rejected(why())),
    }
}

/// Whether a status is retryable (408, 429 or 5xx).
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599)
}

//! A `Sink` of your own: POSTs every batch as NDJSON to an HTTP endpoint and acknowledges only
//! after a 2xx answer (a 4xx other than 408/429 rejects the batch: its records are
//! dead-lettered; anything else is retried with backoff). A minimal HTTP/1.1 client over std's
//! `TcpStream`, run in `spawn_blocking`; only the `s3conn` facade and std are used, so this file
//! compiles unchanged in a crate that depends on `s3conn`.
//!
//! `cargo run --example http_sink -- http://127.0.0.1:8080/ingest aws-cloudtrail examples/data/cloudtrail`

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use s3conn::prelude::*;

/// Where batches are POSTed: `http://HOST[:PORT][/PATH]`.
#[derive(Debug, Clone)]
struct Endpoint {
    host: String,
    port: u16,
    path: String,
}

impl Endpoint {
    fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: only http:// URLs"))?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|e| format!("{url}: port: {e}"))?),
            None => (authority, 80),
        };
        Ok(Endpoint {
            host: host.to_owned(),
            port,
            path: format!("/{path}"),
        })
    }

    /// POSTs `body` and returns the status code.
    fn post(&self, body: &[u8]) -> std::io::Result<u16> {
        let mut stream = TcpStream::connect((self.host.as_str(), self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_write_timeout(Some(Duration::from_secs(30)))?;
        write!(
            stream,
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.path,
            self.host,
            body.len()
        )?;
        stream.write_all(body)?;
        stream.flush()?;
        let mut status_line = String::new();
        BufReader::new(stream).read_line(&mut status_line)?;
        // "HTTP/1.1 204 No Content"
        status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))
    }
}

/// Delivers each batch with one POST.
#[derive(Debug)]
struct HttpNdjsonSink {
    endpoint: Endpoint,
}

#[async_trait]
impl Sink for HttpNdjsonSink {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        let mut body = Vec::with_capacity(batch.len() * 512);
        for record in batch {
            record.write_ndjson(&mut body);
        }
        let endpoint = self.endpoint.clone();
        let status = s3conn::tokio::task::spawn_blocking(move || endpoint.post(&body))
            .await
            .map_err(|e| SinkError::Retryable(format!("POST task: {e}")))?
            .map_err(|e| SinkError::Retryable(format!("POST: {e}")))?;
        match status {
            200..=299 => Ok(()),
            408 | 429 => Err(SinkError::Retryable(format!("HTTP {status}"))),
            400..=499 => Err(SinkError::Rejected(format!("HTTP {status}"))),
            _ => Err(SinkError::Retryable(format!("HTTP {status}"))),
        }
    }
}

#[s3conn::tokio::main(crate = "s3conn::tokio")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: http_sink URL SOURCE PATH...";
    let endpoint = Endpoint::parse(&args.next().ok_or(usage)?)?;
    let source = resolve_source(&args.next().ok_or(usage)?, Path::new("."))?;
    let paths: Vec<String> = args.collect();
    if paths.is_empty() {
        return Err(usage.into());
    }
    let sink = Arc::new(HttpNdjsonSink { endpoint });
    let dead_letter = Arc::new(DirectoryDeadLetterSink::new("dead-letters"));
    let outcome = Replay::from_paths(&paths)?
        .run(source, sink, dead_letter, Replay::config(None))
        .await?;
    eprintln!(
        "{} records POSTed from {} objects",
        outcome.stats.records_delivered, outcome.objects
    );
    if !outcome.is_complete() {
        return Err(format!("{} objects could not be delivered", outcome.unprocessed).into());
    }
    Ok(())
}

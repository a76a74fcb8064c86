//! An integrator's own log source, written in Rust, end to end.
//!
//! The source below reads JSON access logs of a fictional web gateway ("Acme Gateway"), which
//! writes gzip NDJSON objects to S3 such as:
//!
//! ```json
//! {"@t":"2024-05-01T12:00:00.250+02:00","route":"GET /login","client":"198.51.100.7:40122","who":{"login":"maria"},"status":401,"node":"gw-3"}
//! ```
//!
//! It is registered next to the built-in sources, an object is run through
//! `process_object_bytes` (the pipeline's decode + normalize path: gzip sniffed from the bytes,
//! NDJSON framing, one `Record` per event), and the records are printed as NDJSON, the way a sink
//! would receive them. Run it with `cargo run --example custom_source`.

use std::borrow::Cow;
use std::io::Write;
use std::sync::Arc;

use s3conn_core::decode::DecoderConfig;
use s3conn_core::process::process_object_bytes;
use s3conn_core::time::parse_rfc3339;
use s3conn_core::{
    Event, KeyVerdict, LogSource, Normalized, ObjectContext, ObjectRef, Outcome, SourceInfo,
    SourceRegistry,
};
use serde::Deserialize;

/// The Acme Gateway access-log source.
#[derive(Debug)]
struct AcmeGateway {
    info: Arc<SourceInfo>,
}

impl AcmeGateway {
    fn new() -> Self {
        AcmeGateway {
            info: Arc::new(SourceInfo::new(
                "acme-gateway",
                "Acme Gateway (JSON)",
                "Syslog",
                "generic_s3_acme_gateway_log",
                "acme",
            )),
        }
    }
}

/// Only the fields the source needs, borrowed from the event text (no full parse).
#[derive(Deserialize)]
struct AccessLine<'a> {
    #[serde(rename = "@t", borrow)]
    t: Option<Cow<'a, str>>,
    #[serde(borrow)]
    route: Option<Cow<'a, str>>,
    #[serde(borrow)]
    client: Option<Cow<'a, str>>,
    #[serde(borrow)]
    who: Option<Who<'a>>,
    status: Option<u16>,
    #[serde(borrow)]
    node: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Who<'a> {
    #[serde(borrow)]
    login: Option<Cow<'a, str>>,
}

impl LogSource for AcmeGateway {
    fn info(&self) -> &Arc<SourceInfo> {
        &self.info
    }

    fn accept_key(&self, key: &str) -> KeyVerdict {
        // The gateway also writes health snapshots next to its logs: not events.
        if key.ends_with("/health.json") {
            KeyVerdict::Skip("acme health snapshot")
        } else {
            KeyVerdict::Accept
        }
    }

    fn normalize(&self, event: &Event<'_>) -> Normalized {
        // Never fail: an event that does not have the expected shape keeps the object's time.
        let Ok(line) = event.parse::<AccessLine<'_>>() else {
            return Normalized {
                fallback_reason: Some("not an Acme access line".to_owned()),
                ..Normalized::default()
            };
        };
        let timestamp_ms = line.t.as_deref().and_then(parse_rfc3339);
        Normalized {
            timestamp_ms,
            fallback_reason: timestamp_ms.is_none().then(|| "no usable @t".to_owned()),
            event_name: line.route.map(Cow::into_owned),
            event_type: Some("access".to_owned()),
            user: line.who.and_then(|w| w.login).map(Cow::into_owned),
            src_ip: line
                .client
                .as_deref()
                .map(|c| c.rsplit_once(':').map_or(c, |(ip, _)| ip).to_owned()),
            host: line.node.map(Cow::into_owned),
            outcome: line.status.map(|s| {
                if s < 400 {
                    Outcome::Success
                } else {
                    Outcome::Failure
                }
            }),
        }
    }
}

/// A gzip NDJSON object as the gateway would upload it (one line is not an access line).
fn sample_object() -> Vec<u8> {
    let lines = concat!(
        r#"{"@t":"2024-05-01T12:00:00.250+02:00","route":"GET /login","client":"198.51.100.7:40122","who":{"login":"maria"},"status":401,"node":"gw-3"}"#,
        "\n",
        r#"{"@t":"2024-05-01T10:00:01Z","route":"POST /login","client":"198.51.100.7:40123","who":{"login":"maria"},"status":302,"node":"gw-3"}"#,
        "\n",
        r#""gateway restarted""#,
        "\n",
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(lines.as_bytes());
    gz.finish().unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A registry with the built-in sources and ours.
    let mut registry = SourceRegistry::new();
    s3conn_sources::register_builtin(&mut registry)?;
    registry.register(Arc::new(AcmeGateway::new()))?;
    eprint!("{}", s3conn_sources::catalog_table(&registry));

    // 2. One object, decoded with the standard decoder (gzip is sniffed from the bytes).
    let source = registry.get("acme-gateway")?;
    let key = "acme/gw-3/2024/05/01/access-1200.json.gz";
    if let KeyVerdict::Skip(reason) = source.accept_key(key) {
        eprintln!("skipped {key}: {reason}");
        return Ok(());
    }
    let bytes = sample_object();
    let ctx = ObjectContext::new(
        ObjectRef::new("acme-logs", key),
        Some(Arc::from("tenant-a")),
        Some(Arc::from("acme-prod")),
        Some(1_714_564_800_000),
    );
    // 3. Decode and normalize through the pipeline's own path, then write what a sink receives.
    let output = process_object_bytes(&source, &DecoderConfig::default(), ctx, &bytes);
    let mut out = Vec::new();
    for record in &output.records {
        record.write_ndjson(&mut out);
    }
    std::io::stdout().write_all(&out)?;
    for dead in &output.dead_letters {
        eprintln!("dead letter: {}", dead.reason);
    }
    let summary = output.result?;
    eprintln!(
        "{} records from {} compressed bytes ({} decompressed)",
        output.records.len(),
        summary.compressed_bytes,
        summary.decompressed_bytes
    );
    Ok(())
}

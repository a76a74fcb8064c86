//! An integrator's own log source, written in Rust, end to end — using nothing but the `s3conn`
//! facade, so this file compiles unchanged in another crate that depends on `s3conn`.
//!
//! The source below reads JSON access logs of a fictional web gateway ("Acme Gateway"), which
//! writes NDJSON objects to S3 such as:
//!
//! ```json
//! {"@t":"2024-05-01T12:00:00.250+02:00","route":"GET /login","client":"198.51.100.7:40122","who":{"login":"maria"},"status":401,"node":"gw-3"}
//! ```
//!
//! It is registered next to the built-in sources, a directory of sample objects is replayed
//! through the whole pipeline (the same decode → normalize → sink path as production), and the
//! records are printed as NDJSON, the way a sink receives them. Run it with
//! `cargo run --example custom_source`.

use std::borrow::Cow;
use std::io::Write;
use std::sync::Arc;

use s3conn::prelude::*;
use s3conn::record::Outcome;
use s3conn::source::KeyVerdict;
use s3conn::time::parse_rfc3339;
use s3conn::Deserialize;

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
#[serde(crate = "s3conn::serde")]
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
#[serde(crate = "s3conn::serde")]
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
                fallback_reason: Some("not an Acme access line".into()),
                ..Normalized::default()
            };
        };
        let timestamp_ms = line.t.as_deref().and_then(parse_rfc3339);
        Normalized {
            timestamp_ms,
            fallback_reason: timestamp_ms.is_none().then(|| "no usable @t".into()),
            event_name: line.route.as_deref().map(Into::into),
            event_type: Some("access".into()),
            user: line.who.and_then(|w| w.login).as_deref().map(Into::into),
            src_ip: line
                .client
                .as_deref()
                .map(|c| c.rsplit_once(':').map_or(c, |(ip, _)| ip).into()),
            host: line.node.as_deref().map(Into::into),
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

/// The objects the gateway would upload: one access log (one line is not an access line) and
/// a health snapshot the source skips.
fn write_samples(dir: &std::path::Path) -> std::io::Result<()> {
    let lines = concat!(
        r#"{"@t":"2024-05-01T12:00:00.250+02:00","route":"GET /login","client":"198.51.100.7:40122","who":{"login":"maria"},"status":401,"node":"gw-3"}"#,
        "\n",
        r#"{"@t":"2024-05-01T10:00:01Z","route":"POST /login","client":"198.51.100.7:40123","who":{"login":"maria"},"status":302,"node":"gw-3"}"#,
        "\n",
        r#""gateway restarted""#,
        "\n",
    );
    let logs = dir.join("acme/gw-3/2024/05/01");
    std::fs::create_dir_all(&logs)?;
    std::fs::write(logs.join("access-1200.json"), lines)?;
    std::fs::write(logs.join("health.json"), r#"{"ok":true}"#)
}

#[s3conn::tokio::main(crate = "s3conn::tokio")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A registry with the built-in sources and ours.
    let mut registry = builtin_registry();
    registry.register(Arc::new(AcmeGateway::new()))?;
    eprint!("{}", s3conn::sources::catalog_table(&registry));

    // 2. A directory of objects, replayed through the pipeline with our source.
    let dir = std::env::temp_dir().join(format!("acme-gateway-{}", std::process::id()));
    write_samples(&dir)?;
    let sink = Arc::new(MemorySink::new());
    let dead_letter = Arc::new(MemoryDeadLetterSink::new());
    let mut config = Replay::config(None);
    config.tenant = Some("tenant-a".to_owned());
    config.connector = Some("acme-prod".to_owned());
    let outcome = Replay::from_paths(&[&dir])?
        .run(
            registry.get("acme-gateway")?,
            sink.clone(),
            dead_letter.clone(),
            config,
        )
        .await?;
    std::fs::remove_dir_all(&dir)?;

    // 3. What a sink receives.
    let mut out = Vec::new();
    for record in sink.records() {
        record.write_ndjson(&mut out);
    }
    std::io::stdout().write_all(&out)?;
    for dead in dead_letter.items() {
        eprintln!("dead letter: {}", dead.reason);
    }
    eprintln!(
        "{} records from {} objects ({} skipped by the source)",
        sink.len(),
        outcome.objects,
        outcome.stats.objects_skipped_by_source
    );
    Ok(())
}

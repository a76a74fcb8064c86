//! Deterministic text corpora for the text-decoding benches: VPC Flow Logs (v2 default format,
//! header line first) and ALB access logs (the 30 documented fields, quoted).

use std::io::{self, Write};

use super::Rng;

/// The text corpora.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// VPC Flow Logs, default (version 2) format.
    VpcFlow,
    /// ALB access logs.
    Alb,
}

impl TextKind {
    /// Parses a kind name.
    pub fn parse(s: &str) -> Option<TextKind> {
        match s {
            "vpcflow" => Some(TextKind::VpcFlow),
            "alb" => Some(TextKind::Alb),
            _ => None,
        }
    }

    /// The spec (in `benches/specs/`) of the minimal source that reads this kind.
    pub fn spec(self) -> &'static str {
        match self {
            TextKind::VpcFlow => "benches/specs/vpcflow.toml",
            TextKind::Alb => "benches/specs/alb.toml",
        }
    }
}

const VPC_HEADER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n";

fn ip(rng: &mut Rng, a: u64) -> String {
    format!(
        "{a}.{}.{}.{}",
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    )
}

/// One VPC Flow Logs record (no newline).
pub fn vpcflow_record(rng: &mut Rng, i: u64) -> String {
    let start = 1_764_460_800 + i / 50;
    if rng.below(50) == 0 {
        return format!(
            "2 123456789012 eni-{:017x} - - - - - - - {start} {} - NODATA",
            rng.below(1 << 60),
            start + 60
        );
    }
    format!(
        "2 123456789012 eni-{:017x} {} {} {} {} {} {} {} {start} {} {} OK",
        rng.below(64),
        ip(rng, 10),
        ip(rng, 172),
        1024 + rng.below(64000),
        [22, 80, 443, 3306, 5432, 53][rng.below(6) as usize],
        [6, 17, 1][rng.below(3) as usize],
        1 + rng.below(500),
        40 + rng.below(900_000),
        start + 60,
        if rng.below(5) == 0 {
            "REJECT"
        } else {
            "ACCEPT"
        },
    )
}

/// One ALB access log record (no newline).
pub fn alb_record(rng: &mut Rng, i: u64) -> String {
    let secs = i / 100;
    let time = format!(
        "2026-11-30T{:02}:{:02}:{:02}.{:06}Z",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60,
        rng.below(1_000_000)
    );
    let client = ip(rng, 192);
    let status = [200, 200, 200, 301, 404, 502][rng.below(6) as usize];
    let path = ["/", "/index.html", "/api/v1/users?id=42", "/static/app.js"][rng.below(4) as usize];
    let agent = [
        "curl/7.46.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        "aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5",
    ][rng.below(3) as usize];
    format!(
        "https {time} app/my-loadbalancer/50dc6c495c0c9188 {client}:{} 10.0.0.1:80 0.{:03} 0.{:03} 0.000 {status} {status} {} {} \
\"GET https://www.example.com:443{path} HTTP/1.1\" \"{agent}\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 \
arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \
\"Root=1-58337281-{:024x}\" \"www.example.com\" \"arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012\" \
1 {time} \"authenticate,forward\" \"-\" \"-\" \"10.0.0.1:80\" \"{status}\" \"-\" \"-\" TID_{:032x}",
        1024 + rng.below(64000),
        rng.below(1000),
        rng.below(1000),
        100 + rng.below(2000),
        200 + rng.below(100_000),
        rng.below(1 << 60),
        rng.below(1 << 60),
    )
}

/// Writes about `target_bytes` of one kind; returns the number of records written.
pub fn write_text_corpus(
    kind: TextKind,
    target_bytes: u64,
    seed: u64,
    out: &mut dyn Write,
) -> io::Result<u64> {
    let mut rng = Rng::new(seed);
    let mut written = 0u64;
    if kind == TextKind::VpcFlow {
        out.write_all(VPC_HEADER.as_bytes())?;
        written += VPC_HEADER.len() as u64;
    }
    let mut n = 0u64;
    while written < target_bytes {
        let mut r = match kind {
            TextKind::VpcFlow => vpcflow_record(&mut rng, n),
            TextKind::Alb => alb_record(&mut rng, n),
        };
        r.push('\n');
        out.write_all(r.as_bytes())?;
        written += r.len() as u64;
        n += 1;
    }
    Ok(n)
}

/// A text corpus in memory.
pub fn text_corpus(kind: TextKind, target_bytes: u64, seed: u64) -> (Vec<u8>, u64) {
    let mut buf = Vec::with_capacity(target_bytes as usize + 4096);
    let n = write_text_corpus(kind, target_bytes, seed, &mut buf).unwrap_or(0);
    (buf, n)
}

/// Minimal hand-written sources for the benches (the built-in AWS sources are the real ones):
/// each reads its time and a few common fields through `Event::parse`, as a built-in does.
pub mod sources {
    use std::borrow::Cow;
    use std::sync::Arc;

    use s3conn::s3conn_core::decode::text::{ExtraFields, Field, TextFormat, Variant};
    use s3conn::s3conn_core::{CompactString, Event, LogSource, Normalized, SourceInfo};
    use serde::Deserialize;

    use super::TextKind;

    /// A bench source of one text kind.
    #[derive(Debug)]
    pub struct Minimal {
        info: Arc<SourceInfo>,
        kind: TextKind,
        format: TextFormat,
    }

    #[derive(Deserialize)]
    struct Flow<'a> {
        end: Option<i64>,
        #[serde(borrow, default)]
        action: Cow<'a, str>,
        #[serde(borrow, default)]
        srcaddr: Cow<'a, str>,
        #[serde(borrow, default, rename = "interface-id")]
        interface: Cow<'a, str>,
    }

    #[derive(Deserialize)]
    struct Alb<'a> {
        #[serde(borrow, default)]
        time: Cow<'a, str>,
        #[serde(borrow, default)]
        request: Cow<'a, str>,
        #[serde(borrow, default, rename = "client:port")]
        client: Cow<'a, str>,
        #[serde(borrow, default)]
        domain_name: Cow<'a, str>,
    }

    fn some(s: Cow<'_, str>) -> Option<CompactString> {
        (!s.is_empty()).then(|| s.as_ref().into())
    }

    impl Minimal {
        /// The bench source of `kind`.
        pub fn new(kind: TextKind) -> Self {
            let format = match kind {
                TextKind::VpcFlow => {
                    TextFormat::header_line("VPC Flow Logs", b' ', "VPC Flow Logs header line")
                        .expect_any(&["version", "interface-id", "srcaddr", "action"])
                        .with_types(
                            [
                                "version", "srcport", "dstport", "protocol", "packets", "bytes",
                                "start", "end",
                            ]
                            .into_iter()
                            .map(Field::integer)
                            .collect(),
                        )
                }
                TextKind::Alb => {
                    let text = |n: &str| Field::text(n);
                    let int = |n: &str| Field::integer(n);
                    let num = |n: &str| Field::number(n);
                    let fields = vec![
                        text("type"),
                        text("time"),
                        text("elb"),
                        text("client:port"),
                        text("target:port"),
                        num("request_processing_time"),
                        num("target_processing_time"),
                        num("response_processing_time"),
                        int("elb_status_code"),
                        int("target_status_code"),
                        int("received_bytes"),
                        int("sent_bytes"),
                        text("request"),
                        text("user_agent"),
                        text("ssl_cipher"),
                        text("ssl_protocol"),
                        text("target_group_arn"),
                        text("trace_id"),
                        text("domain_name"),
                        text("chosen_cert_arn"),
                        int("matched_rule_priority"),
                        text("request_creation_time"),
                        text("actions_executed"),
                        text("redirect_url"),
                        text("error_reason"),
                        text("target:port_list"),
                        text("target_status_code_list"),
                        text("classification"),
                        text("classification_reason"),
                        text("conn_trace_id"),
                    ];
                    TextFormat::quoted_variants("ALB", vec![Variant::new(fields).min_fields(25)])
                        .with_extra(ExtraFields::Ignore)
                }
            };
            let id = format!("bench-{kind:?}").to_lowercase();
            Minimal {
                info: Arc::new(SourceInfo::new(&id, &id, "Syslog", &id, "aws")),
                kind,
                format,
            }
        }
    }

    impl LogSource for Minimal {
        fn info(&self) -> &Arc<SourceInfo> {
            &self.info
        }

        fn text_format(&self) -> Option<&TextFormat> {
            Some(&self.format)
        }

        fn normalize(&self, event: &Event<'_>) -> Normalized {
            let fallback = |e: serde_json::Error| Normalized {
                fallback_reason: Some(e.to_string().into()),
                ..Normalized::default()
            };
            match self.kind {
                TextKind::VpcFlow => match event.parse::<Flow<'_>>() {
                    Ok(v) => Normalized {
                        timestamp_ms: v.end.map(|s| s * 1000),
                        event_name: some(v.action),
                        src_ip: some(v.srcaddr),
                        host: some(v.interface),
                        ..Normalized::default()
                    },
                    Err(e) => fallback(e),
                },
                TextKind::Alb => match event.parse::<Alb<'_>>() {
                    Ok(v) => Normalized {
                        timestamp_ms: s3conn::s3conn_core::time::parse_rfc3339(&v.time),
                        event_name: some(v.request),
                        src_ip: v.client.rsplit_once(':').map(|(ip, _)| ip.into()),
                        host: some(v.domain_name),
                        ..Normalized::default()
                    },
                    Err(e) => fallback(e),
                },
            }
        }
    }
}

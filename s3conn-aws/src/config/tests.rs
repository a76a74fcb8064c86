//! Tests of the TOML form and its validation, and of the example in the module docs.

use std::time::Duration;

use s3conn_core::filter::ObjectRejection;

use super::raw::parse_duration;
use super::*;

const MINIMAL: &str = r#"
name = "trail"
sqs_queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/trail-events"
log_source = "aws-cloudtrail"
"#;

#[test]
fn minimal_file_takes_defaults() {
    let c = ConnectorConfig::from_toml_str(MINIMAL).expect("valid");
    assert_eq!(c.region, "eu-west-1");
    assert_eq!(c.credentials, CredentialsConfig::DefaultChain);
    assert_eq!(c.file_type, FileType::Auto);
    assert_eq!(c.concurrency, DEFAULT_CONCURRENCY);
    assert_eq!(c.visibility_timeout, DEFAULT_VISIBILITY_TIMEOUT);
    assert_eq!(c.idle_interval, Duration::ZERO);
    assert!(c.buckets.is_empty());
    assert_eq!(c.sqs_endpoint(), None);
    assert_eq!(
        c.queue_url.api_url(),
        "https://sqs.eu-west-1.amazonaws.com/123456789012/trail-events"
    );
}

#[test]
fn full_file() {
    let text = r#"
name = "trail"
tenant = "acme"
access_key_id = "AKIAIOSFODNN7EXAMPLE"
secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
session_token = "tok"
role_arn = "arn:aws:iam::123456789012:role/reader"
region = "us-east-2"
sqs_queue_url = "https://us-east-2.queue.amazonaws.com/123456789012/q.fifo"
file_type = "gzip"
multiple_logs_per_file = true
log_source = "/etc/s3conn/spec.toml"
log_filters = [{ field = "eventName", action = "drop", equals = "GetObject" }]
max_receive_count = 5
concurrency = 8
visibility_timeout = "10m"
idle_interval = 300
buckets = ["a-bucket", "b-bucket", "a-bucket"]
key_prefix = "AWSLogs/"
key_suffix = ".gz"
"#;
    let c = ConnectorConfig::from_toml_str(text).expect("valid");
    assert_eq!(c.tenant.as_deref(), Some("acme"));
    assert_eq!(c.queue_url.form, QueueUrlForm::Legacy);
    assert_eq!(c.file_type, FileType::Gzip);
    assert!(c.multiple_logs_per_file);
    assert_eq!(c.framing, Framing::Lines);
    assert_eq!(c.log_filters.len(), 1);
    assert_eq!(c.max_receive_count, Some(5));
    assert_eq!(c.visibility_timeout, Duration::from_secs(600));
    assert_eq!(c.idle_interval, Duration::from_secs(300));
    assert_eq!(c.buckets, vec!["a-bucket", "b-bucket"]);
    // The prefix, the suffix and the allow-list, as the pipeline applies them.
    let objects = c.object_filter();
    assert_eq!(objects.check("a-bucket", "AWSLogs/x.gz"), Ok(()));
    assert_eq!(
        objects.check("a-bucket", "AWSLogs/x.json"),
        Err(ObjectRejection::KeyFiltered)
    );
    assert_eq!(
        objects.check("a-bucket", "other/x.gz"),
        Err(ObjectRejection::KeyFiltered)
    );
    assert_eq!(objects.check("b-bucket", "AWSLogs/x.gz"), Ok(()));
    assert_eq!(
        objects.check("c-bucket", "AWSLogs/x.gz"),
        Err(ObjectRejection::BucketNotAllowed)
    );
    assert_eq!(
        c.queue_url.api_url(),
        "https://sqs.us-east-2.amazonaws.com/123456789012/q.fifo"
    );
}

#[test]
fn region_contradicting_the_url_is_a_clear_error() {
    let text = format!("{MINIMAL}region = \"us-east-1\"\n");
    let e = ConnectorConfig::from_toml_str(&text).expect_err("mismatch");
    assert_eq!(
        e,
        ConfigError::RegionMismatch {
            configured: "us-east-1".into(),
            in_url: "eu-west-1".into()
        }
    );
    assert!(e.to_string().contains("eu-west-1"));
}

#[test]
fn custom_endpoint_needs_region_and_allow_http() {
    let base = ConnectorConfig::builder()
        .name("t")
        .log_source("x")
        .sqs_queue_url("http://127.0.0.1:5000/123456789012/q");
    let e = base.clone().build().expect_err("no region");
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                field: "region",
                ..
            }
        ),
        "{e}"
    );
    let e = base.clone().region("us-east-1").build().expect_err("http");
    assert!(e.to_string().contains("allow_http"), "{e}");
    let c = base
        .region("us-east-1")
        .allow_http(true)
        .build()
        .expect("valid");
    assert_eq!(c.sqs_endpoint().as_deref(), Some("http://127.0.0.1:5000"));
    assert_eq!(c.s3_endpoint().as_deref(), Some("http://127.0.0.1:5000"));

    let e = ConnectorConfig::builder()
        .name("t")
        .log_source("x")
        .sqs_queue_url("https://sqs.us-east-1.amazonaws.com/123456789012/q")
        .endpoint_url("http://minio:9000")
        .build()
        .expect_err("http endpoint");
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                field: "endpoint_url",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn name_must_be_ascii() {
    let e = ConnectorConfig::from_toml_str(&MINIMAL.replace("\"trail\"", "\"träil\""))
        .expect_err("non-ascii");
    assert!(
        matches!(e, ConfigError::Invalid { field: "name", .. }),
        "{e}"
    );
    let e = ConnectorConfig::from_toml_str(&MINIMAL.replace("\"trail\"", "\"a\\u0007b\""))
        .expect_err("control");
    assert!(
        matches!(e, ConfigError::Invalid { field: "name", .. }),
        "{e}"
    );
}

#[test]
fn credentials_rules() {
    let with = |extra: &str| ConnectorConfig::from_toml_str(&format!("{MINIMAL}{extra}"));
    assert!(with("access_key_id = \"AKIA1\"\n").is_err());
    assert!(with("secret_access_key = \"s\"\n").is_err());
    assert!(with("session_token = \"t\"\n").is_err());
    // Empty keys mean "not set": the default chain.
    let c = with("access_key_id = \"\"\nsecret_access_key = \"\"\n").expect("valid");
    assert_eq!(c.credentials, CredentialsConfig::DefaultChain);
    assert!(with("role_arn = \"not-an-arn\"\n").is_err());
}

#[test]
fn secrets_never_show() {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let text = format!(
        "{MINIMAL}access_key_id = \"AKIAIOSFODNN7EXAMPLE\"\nsecret_access_key = \"{secret}\"\nsession_token = \"SESSIONTOKENVALUE\"\n"
    );
    let c = ConnectorConfig::from_toml_str(&text).expect("valid");
    let debug = format!("{c:?}");
    assert!(!debug.contains(secret), "{debug}");
    assert!(!debug.contains("SESSIONTOKENVALUE"), "{debug}");
    assert!(!debug.contains("AKIAIOSFODNN7EXAMPLE"), "{debug}");
    assert!(debug.contains("***MPLE"), "{debug}");
    let b = ConnectorConfig::builder().static_credentials("AKIA", secret);
    assert!(!format!("{b:?}").contains(secret));
    assert_eq!(Secret::new(secret).to_string(), "***");

    // A mistyped secret is not echoed in the parse error, nor are other lines of the file.
    let text = format!("{MINIMAL}secret_access_key = 123456789\nconcurrency = \"{secret}x\"\n");
    let e = ConnectorConfig::from_toml_str(&text).expect_err("bad type");
    assert!(!e.to_string().contains("123456789"), "{e}");
    let text = format!("{MINIMAL}secret_access_key = \"{secret}\"\nunknown_field = 1\n");
    let e = ConnectorConfig::from_toml_str(&text).expect_err("unknown field");
    assert!(!e.to_string().contains(secret), "{e}");
    assert!(e.to_string().contains("line 6"), "{e}");
}

#[test]
fn durations() {
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    assert!(parse_duration("5 parsecs").is_err());
    assert!(parse_duration("-5s").is_err());
    let with = |extra: &str| ConnectorConfig::from_toml_str(&format!("{MINIMAL}{extra}"));
    assert!(with("visibility_timeout = 0\n").is_err());
    assert!(with("visibility_timeout = \"13h\"\n").is_err());
    assert!(with("idle_interval = \"2h\"\n").is_err());
    let c = ConnectorConfig::builder()
        .name("t")
        .log_source("x")
        .sqs_queue_url("https://sqs.us-east-1.amazonaws.com/123456789012/q")
        .visibility_timeout(Duration::from_millis(1500))
        .idle_interval(Duration::from_secs(5))
        .build()
        .expect("valid");
    assert_eq!(c.visibility_timeout, Duration::from_millis(1500));
    assert_eq!(c.idle_interval, Duration::from_secs(5));
}

#[test]
fn unknown_fields_and_bad_values_are_refused() {
    let with = |extra: &str| ConnectorConfig::from_toml_str(&format!("{MINIMAL}{extra}"));
    assert!(with("sqs_url = \"x\"\n").is_err());
    assert!(with("file_type = \"zip\"\n").is_err());
    assert!(with("framing = \"xml\"\n").is_err());
    assert!(with("multiple_logs_per_file = true\nframing = \"single\"\n").is_err());
    assert!(with("max_receive_count = 0\n").is_err());
    assert!(with("log_filters = [{ field = \"a\", action = \"keep\" }]\n").is_err());
    assert!(with("log_filters = [{ field = \"a\", action = \"keep\", regex = \"(\" }]\n").is_err());
    let c = with("file_type = \"zstd\"\nframing = \"single\"\n").expect("valid");
    assert_eq!((c.file_type, c.framing), (FileType::Zstd, Framing::Single));
    assert!(with("concurrency = 0\n").is_err());
    assert!(with("buckets = [\"a/b\"]\n").is_err());
    assert!(ConnectorConfig::from_toml_str("name = \"x\"\n").is_err());
}

/// The example of the module docs, as rendered there.
pub(super) const DOC_EXAMPLE: &str = include_str!("example.toml");

/// The first line of the example's commented `[[routes]]` block.
pub(super) const ROUTES_BLOCK: &str = "# Routes by key";

/// The `key = value` lines of the example, and whether each is commented out (up to the
/// routes block, which replaces `log_source` and is tested in `routes_tests.rs`).
fn example_settings() -> Vec<(bool, &'static str)> {
    DOC_EXAMPLE
        .lines()
        .take_while(|line| !line.starts_with(ROUTES_BLOCK))
        .filter_map(|line| match line.strip_prefix("# ") {
            Some(rest) if rest.contains(" = ") => Some((true, rest)),
            Some(_) => None,
            None => line.contains(" = ").then_some((false, line)),
        })
        .collect()
}

/// The value of a `key = value  # comment` line, without the comment.
fn setting(line: &str) -> &str {
    line.split(" #").next().unwrap_or(line).trim_end()
}

#[test]
fn doc_example_is_valid_and_names_a_registered_source() {
    let c = ConnectorConfig::from_toml_str(DOC_EXAMPLE).expect("the documented example is valid");
    assert_eq!(c.name, "cloudtrail-prod");
    assert_eq!(c.region, "us-east-1");
    assert_eq!(c.queue_url.form, QueueUrlForm::Standard);
    assert!(matches!(c.credentials, CredentialsConfig::Static { .. }));
    assert_eq!(c.log_filters.len(), 1);
    assert_eq!(c.buckets, vec!["my-trail-bucket"]);
    assert!(
        s3conn_sources::builtin_registry()
            .get(&c.log_source)
            .is_ok(),
        "log_source {:?} is not a registered source id",
        c.log_source
    );
}

#[test]
fn doc_example_states_the_defaults() {
    let c = ConnectorConfig::from_toml_str(DOC_EXAMPLE).expect("valid");
    assert_eq!(c.file_type, FileType::Auto);
    assert_eq!(c.framing, Framing::Auto);
    assert!(!c.multiple_logs_per_file);
    assert_eq!(c.concurrency, DEFAULT_CONCURRENCY);
    assert_eq!(c.concurrency, 4);
    assert_eq!(c.visibility_timeout, DEFAULT_VISIBILITY_TIMEOUT);
    assert_eq!(c.visibility_timeout, Duration::from_secs(60));
    assert_eq!(c.idle_interval, Duration::ZERO);

    // Every line whose comment says "default" sets the default: without it, nothing changes.
    let defaults: Vec<&str> = example_settings()
        .into_iter()
        .filter(|(commented, line)| !commented && line.contains("# default"))
        .map(|(_, line)| line)
        .collect();
    assert!(defaults.len() >= 6, "{defaults:?}");
    for line in defaults {
        let without = DOC_EXAMPLE.replace(line, "");
        let d = ConnectorConfig::from_toml_str(&without).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(d, c, "`{}` is not the default", setting(line));
    }
}

#[test]
fn doc_example_optional_lines_are_valid() {
    let optional: Vec<&str> = example_settings()
        .into_iter()
        .filter(|(commented, _)| *commented)
        .map(|(_, line)| line)
        .collect();
    assert!(optional.len() >= 8, "{optional:?}");
    let all = format!("{DOC_EXAMPLE}{}\n", optional.join("\n"));
    let c = ConnectorConfig::from_toml_str(&all).expect("every optional line together is valid");
    assert_eq!(c.max_receive_count, Some(5));
    assert_eq!(
        c.role_session_name.as_deref(),
        Some("s3conn-cloudtrail-prod")
    );
    assert_eq!(c.key_prefix.as_deref(), Some("AWSLogs/"));
    assert_eq!(c.sqs_endpoint().as_deref(), Some("http://127.0.0.1:5000"));
}

#[test]
fn a_file_for_a_command_without_a_queue_may_leave_the_queue_out() {
    let text = "name = \"archive\"\nlog_source = \"generic\"\n";
    let e = ConnectorConfig::from_toml_str(text).expect_err("collect needs a queue");
    assert!(e.to_string().contains("sqs_queue_url"), "{e}");
    let c = ConnectorConfig::from_toml_str_without_queue(text).expect("valid without a queue");
    assert_eq!(c.region, "us-east-1");
    assert_eq!(
        c.queue_url.api_url(),
        NO_QUEUE_URL.replace("{region}", "us-east-1")
    );
    let c =
        ConnectorConfig::from_toml_str_without_queue(&format!("{text}region = \"eu-west-3\"\n"))
            .expect("valid");
    assert_eq!(c.region, "eu-west-3");
    // A queue URL given is taken as it is, and still checked.
    let c = ConnectorConfig::from_toml_str_without_queue(MINIMAL).expect("valid");
    assert_eq!(c.region, "eu-west-1");
    assert!(ConnectorConfig::from_toml_str_without_queue(&format!(
        "{text}sqs_queue_url = \"not a url\"\n"
    ))
    .is_err());
}

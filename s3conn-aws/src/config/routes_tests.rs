//! Tests of `[[routes]]` and `unmatched`: the documented example, conflicts, and bad routes
//! named by index and pattern.

use s3conn_core::decode::{FileType, Framing};
use s3conn_core::route::{KeyPattern, Unmatched};

use super::super::tests::{DOC_EXAMPLE, ROUTES_BLOCK};
use super::super::{ConfigError, ConnectorConfig};

const HEAD: &str = r#"
name = "archive"
sqs_queue_url = "https://sqs.eu-west-1.amazonaws.com/123456789012/log-archive"
"#;

fn with(extra: &str) -> Result<ConnectorConfig, ConfigError> {
    ConnectorConfig::from_toml_str(&format!("{HEAD}{extra}"))
}

fn route_error(extra: &str) -> (usize, String, String) {
    match with(extra) {
        Err(ConfigError::Route {
            index,
            pattern,
            reason,
        }) => (index, pattern, reason),
        other => panic!("expected a route error, got {other:?}"),
    }
}

#[test]
fn routes_parse_in_order_with_their_own_decoding() {
    let c = with(
        r#"
file_type = "gzip"
unmatched = "keep"
[[routes]]
key_glob = "AWSLogs/*/CloudTrail/**"
log_source = "aws-cloudtrail"
[[routes]]
key_regex = "^crowdstrike/"
log_source = "specs/fdr.toml"
multiple_logs_per_file = true
[[routes]]
key_glob = "tap/**"
log_source = "proofpoint"
file_type = "text"
framing = "single"
"#,
    )
    .expect("valid");
    assert_eq!(c.log_source, "");
    assert_eq!(c.unmatched, Unmatched::Keep);
    assert_eq!(c.routes.len(), 3);
    assert_eq!(
        c.routes[0].pattern,
        KeyPattern::glob("AWSLogs/*/CloudTrail/**").unwrap()
    );
    assert!(c.routes[0].decode.is_empty(), "unset: the connector's");
    assert_eq!(c.routes[1].log_source, "specs/fdr.toml");
    assert_eq!(c.routes[1].decode.framing, Some(Framing::Lines));
    assert_eq!(c.routes[2].decode.file_type, Some(FileType::Text));
    assert_eq!(c.routes[2].decode.framing, Some(Framing::Single));
    assert_eq!(
        c.routes[1].describe(1),
        "route 2 (key_regex = \"^crowdstrike/\")"
    );
    assert_eq!(c.file_type, FileType::Gzip, "the connector's own stays");
}

#[test]
fn unmatched_defaults_to_dead_letter() {
    let c = with("[[routes]]\nkey_glob = \"**\"\nlog_source = \"generic\"\n").expect("valid");
    assert_eq!(c.unmatched, Unmatched::DeadLetter);
    let single = with("log_source = \"generic\"\n").expect("valid");
    assert!(single.routes.is_empty());
    assert_eq!(single.log_source, "generic");
}

#[test]
fn log_source_and_routes_together_is_a_conflict() {
    let e =
        with("log_source = \"generic\"\n[[routes]]\nkey_glob = \"**\"\nlog_source = \"generic\"\n")
            .unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                field: "routes",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(text.contains("either a top-level `log_source`"), "{text}");
    assert!(text.contains("not both"), "{text}");
}

#[test]
fn neither_log_source_nor_routes_is_the_missing_log_source_error() {
    let e = with("").unwrap_err();
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                field: "log_source",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("is required"), "{e}");
}

#[test]
fn unmatched_without_routes_is_refused() {
    let e = with("log_source = \"generic\"\nunmatched = \"ack\"\n").unwrap_err();
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                field: "unmatched",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(with(
        "unmatched = \"drop\"\n[[routes]]\nkey_glob = \"**\"\nlog_source = \"generic\"\n"
    )
    .is_err());
}

#[test]
fn bad_routes_are_named_by_index_and_pattern() {
    let ok = "[[routes]]\nkey_glob = \"a/**\"\nlog_source = \"generic\"\n";
    let (index, pattern, reason) = route_error(&format!(
        "{ok}[[routes]]\nkey_regex = \"^(cs\"\nlog_source = \"crowdstrike\"\n"
    ));
    assert_eq!((index, pattern.as_str()), (2, "key_regex = \"^(cs\""));
    assert!(reason.contains("unclosed group"), "{reason}");
    let e = with(&format!(
        "{ok}[[routes]]\nkey_regex = \"^(cs\"\nlog_source = \"crowdstrike\"\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("invalid route 2 (key_regex = \"^(cs\"): "),
        "{e}"
    );

    let (index, pattern, reason) = route_error(
        "[[routes]]\nkey_glob = \"a/**\"\nkey_regex = \"^a/\"\nlog_source = \"generic\"\n",
    );
    assert_eq!(index, 1);
    assert_eq!(pattern, "key_glob = \"a/**\", key_regex = \"^a/\"");
    assert!(reason.contains("not both"), "{reason}");

    let (_, pattern, reason) = route_error("[[routes]]\nlog_source = \"generic\"\n");
    assert_eq!(pattern, "no pattern");
    assert!(reason.contains("needs key_glob or key_regex"), "{reason}");

    let (_, _, reason) = route_error("[[routes]]\nkey_glob = \"a/[b\"\nlog_source = \"generic\"\n");
    assert!(reason.contains("unclosed"), "{reason}");

    let (_, _, reason) = route_error("[[routes]]\nkey_glob = \"a/**\"\n");
    assert!(reason.contains("log_source is required"), "{reason}");

    let (_, _, reason) = route_error(
        "[[routes]]\nkey_glob = \"a/**\"\nlog_source = \"generic\"\nmultiple_logs_per_file = true\nframing = \"single\"\n",
    );
    assert!(reason.contains("contradicts"), "{reason}");

    // Unknown settings in a route are refused by name (a typo must not pass silently).
    let e = with("[[routes]]\nkey_prefix = \"a/\"\nlog_source = \"generic\"\n").unwrap_err();
    assert!(e.to_string().contains("key_prefix"), "{e}");
}

#[test]
fn doc_example_routes_block_is_valid_and_names_registered_sources() {
    let (head, block) = DOC_EXAMPLE
        .split_once(ROUTES_BLOCK)
        .expect("the example documents [[routes]]");
    let head: String = head
        .lines()
        .filter(|l| !l.starts_with("log_source = "))
        .map(|l| format!("{l}\n"))
        .collect();
    let block: String = block
        .lines()
        .skip(1)
        .map(|l| format!("{}\n", l.strip_prefix("# ").unwrap_or(l)))
        .collect();
    let c = ConnectorConfig::from_toml_str(&format!("{head}{block}"))
        .expect("the documented routes are valid");
    assert_eq!(c.unmatched, Unmatched::DeadLetter);
    assert_eq!(c.routes.len(), 2);
    assert_eq!(c.routes[1].decode.framing, Some(Framing::Lines));
    let registry = s3conn_sources::builtin_registry();
    for r in &c.routes {
        assert!(registry.get(&r.log_source).is_ok(), "{}", r.log_source);
    }
    // Without the `unmatched` line (it states the default) nothing changes.
    let without = format!("{head}{block}").replace("unmatched = \"dead_letter\"", "");
    assert_eq!(ConnectorConfig::from_toml_str(&without).expect("valid"), c);
}

//! Declarative sources: the shipped `specs/teleport.toml` reproduces the built-in `teleport`
//! source exactly, and bad specs are rejected with errors naming the field.

#![cfg_attr(not(feature = "teleport"), allow(dead_code, unused_imports))]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{files_under, fixtures_dir, key_of, run, samples_folder};
use s3conn_core::{KeyVerdict, LogSource};
use s3conn_sources::{DeclarativeSource, SpecError};

fn spec_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/teleport.toml")
}

#[cfg(feature = "teleport")]
fn both() -> (Arc<dyn LogSource>, Arc<dyn LogSource>) {
    let spec = DeclarativeSource::from_path(spec_path()).expect("teleport spec loads");
    (Arc::new(s3conn_sources::Teleport::new()), Arc::new(spec))
}

fn assert_same(
    builtin: &Arc<dyn LogSource>,
    spec: &Arc<dyn LogSource>,
    key: &str,
    bytes: &[u8],
) -> usize {
    let a = run(builtin, key, bytes);
    let b = run(spec, key, bytes);
    assert_eq!(a.records().len(), b.records().len(), "{key}: record count");
    for (x, y) in a.records().iter().zip(b.records()) {
        assert_eq!(x.fields, y.fields, "{key}#{}: {}", x.ordinal, x.event.get());
    }
    assert_eq!(a.to_ndjson(), b.to_ndjson(), "{key}: serialized records");
    a.records().len()
}

#[cfg(feature = "teleport")]
#[test]
fn teleport_spec_matches_builtin_on_fixtures_and_edge_cases() {
    let (builtin, spec) = both();
    assert_eq!(spec.info().msg_class, builtin.info().msg_class);
    assert_eq!(spec.info().index, builtin.info().index);
    assert_eq!(spec.info().vendor, builtin.info().vendor);
    assert_eq!(spec.info().display_name, builtin.info().display_name);
    let root = fixtures_dir().join("teleport");
    let mut n = 0;
    for f in files_under(&root) {
        if f.to_string_lossy().ends_with(".golden.ndjson") {
            continue;
        }
        let bytes = std::fs::read(&f).expect("fixture");
        n += assert_same(&builtin, &spec, &key_of(&root, &f), &bytes);
    }
    assert!(n >= 10);
    // Edge cases: odd types everywhere.
    let edge = br#"{"time":1714564800,"event":42,"code":"t1000e","user":["", "x"],"addr.remote":":22","identity":{"client_ip":"[::1]:3"}}
{"time":1714564800.5,"event":"","code":null,"user":{"user":""},"updated_by":"u","success":"false","error":""}
{"time":"2024-05-01T12:00:00Z","time":"junk","user":"dup-key"}
{"time":-5,"code":"T1I","error":["","boom"],"server_hostname":7,"cluster_name":"c"}
{"time":{"nested":1},"user":true,"identity":"not an object","addr.remote":"1.2.3.4"}
{"time":"2024-05-01T12:00:00Z","success":true,"code":"T1000W","error":"x"}
[1,"two",null]
"#;
    assert_same(&builtin, &spec, "edge/cases.ndjson", edge);
}

/// Thousands of random events built from the fields Teleport reads and values of every JSON
/// type: the spec and the built-in source agree on every one.
#[cfg(feature = "teleport")]
#[test]
fn teleport_spec_matches_builtin_on_random_events() {
    let keys = [
        "time",
        "event",
        "code",
        "user",
        "updated_by",
        "identity",
        "addr.remote",
        "server_hostname",
        "cluster_name",
        "success",
        "error",
        "other",
    ];
    let values = [
        "null",
        "true",
        "false",
        "0",
        "7",
        "-3",
        "2.5",
        "1714564800",
        "1714564800123",
        "\"\"",
        "\"x\"",
        "\"T1000W\"",
        "\"T2000I\"",
        "\"t3002e\"",
        "\"2024-05-01T12:00:00Z\"",
        "\"2024-05-01 12:00:00.5\"",
        "\"198.51.100.5:22\"",
        "\"[2001:db8::1]:22\"",
        "\"2001:db8:::43026\"",
        "\":22\"",
        "[]",
        "[\"\",\"a\"]",
        "[1]",
        "{}",
        "{\"user\":\"u\"}",
        "{\"user\":\"\",\"client_ip\":\"1.2.3.4:5\"}",
        "{\"client_ip\":[\"10.0.0.1\"]}",
        "{\"user\":7}",
    ];
    // A small deterministic generator (xorshift64*).
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: usize| -> usize {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    };
    let mut text = String::new();
    for _ in 0..4000 {
        let count = next(keys.len() + 1);
        let fields: Vec<String> = (0..count)
            .map(|_| {
                format!(
                    "\"{}\":{}",
                    keys[next(keys.len())],
                    values[next(values.len())]
                )
            })
            .collect();
        text.push_str(&format!("{{{}}}\n", fields.join(",")));
    }
    let (builtin, spec) = both();
    assert_eq!(
        assert_same(&builtin, &spec, "random.ndjson", text.as_bytes()),
        4000
    );
}

#[cfg(feature = "teleport")]
#[test]
fn teleport_spec_matches_builtin_on_samples() {
    let dir = samples_folder("teleport");
    let (builtin, spec) = both();
    let mut n = 0;
    for f in files_under(&dir) {
        if f.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&f).expect("sample");
        n += assert_same(&builtin, &spec, &key_of(&dir, &f), &bytes);
    }
    assert!(n > 200, "compared {n} events");
}

#[test]
fn json_spec_and_list_name() {
    let src = DeclarativeSource::from_json_str(
        r#"{"id":"acme","display_name":"Acme (JSON)","index":"Syslog","msg_class":"generic_s3_acme_log",
            "vendor":"acme","expand_fields":["items"],"skip_keys":["/digest/"],
            "timestamp":{"fields":["/meta/at","when"],"formats":["epoch_ms","rfc3339"]},
            "fields":{"event_type":"$list","event_name":{"from":"/action","transform":"lowercase"},
                      "user":{"from":["/actor/arn"],"transform":"arn_last"},
                      "src_ip":{"from":"/client","transform":"ip_only"},"host":"host.name"},
            "outcome":[{"pointer":"/status","equals":["denied",403],"result":"failure"},
                       {"pointer":"/status","present":true,"result":"success"}]}"#,
    )
    .expect("valid JSON spec");
    let src: Arc<dyn LogSource> = Arc::new(src);
    assert_eq!(src.expand_fields(), ["items".to_owned()]);
    assert!(matches!(
        src.accept_key("x/digest/y.json"),
        KeyVerdict::Skip(_)
    ));
    let doc = br#"{"items":[
        {"meta":{"at":"1714564800123"},"action":"LOGIN","actor":{"arn":"arn:aws:iam::1:user/zed"},"client":"198.51.100.1, 10.0.0.1","host.name":"h1","status":403},
        {"when":"2024-05-01T12:00:00+02:00","action":"Read","client":"AWS Internal","status":"ok"},
        {"when":"yesterday"}
    ]}"#;
    let out = run(&src, "acme/2024/05/01.json", doc);
    let r = out.records();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].fields.timestamp_ms, Some(1_714_564_800_123));
    assert_eq!(r[0].fields.event_type.as_deref(), Some("items"));
    assert_eq!(r[0].fields.event_name.as_deref(), Some("login"));
    assert_eq!(r[0].fields.user.as_deref(), Some("zed"));
    assert_eq!(r[0].fields.src_ip.as_deref(), Some("198.51.100.1"));
    assert_eq!(r[0].fields.host.as_deref(), Some("h1"));
    assert_eq!(r[0].fields.outcome, Some(s3conn_core::Outcome::Failure));
    assert_eq!(r[1].fields.timestamp_ms, Some(1_714_557_600_000));
    assert_eq!(r[1].fields.src_ip, None);
    assert_eq!(r[1].fields.outcome, Some(s3conn_core::Outcome::Success));
    assert_eq!(
        r[2].fields.fallback_reason.as_deref(),
        Some("no usable time field")
    );
    assert_eq!(r[2].fields.outcome, None);
}

#[test]
fn time_formats_are_strict_when_asked() {
    let spec = |formats: &str| {
        DeclarativeSource::from_toml_str(&format!(
            "id='t'\ndisplay_name='T'\nindex='Syslog'\nmsg_class='m'\nvendor='v'\n[timestamp]\nfields=['t']\nformats={formats}\n"
        ))
        .expect("spec")
    };
    let cases: &[(&str, &str, Option<i64>)] = &[
        (
            "['epoch_s']",
            r#"{"t":1714564800.5}"#,
            Some(1_714_564_800_500),
        ),
        (
            "['epoch_s']",
            r#"{"t":"1714564800"}"#,
            Some(1_714_564_800_000),
        ),
        (
            "['epoch_ms']",
            r#"{"t":1714564800123}"#,
            Some(1_714_564_800_123),
        ),
        (
            "['epoch_us']",
            r#"{"t":1714564800123456}"#,
            Some(1_714_564_800_123),
        ),
        (
            "['epoch_ns']",
            r#"{"t":"1714564800123456789"}"#,
            Some(1_714_564_800_123),
        ),
        (
            "['filetime']",
            r#"{"t":133590386030000000}"#,
            Some(1_714_565_003_000),
        ),
        ("['epoch']", r#"{"t":"2024-05-01T12:00:00Z"}"#, None),
        ("['rfc3339']", r#"{"t":1714564800}"#, None),
        (
            "['rfc3339', 'epoch']",
            r#"{"t":1714564800}"#,
            Some(1_714_564_800_000),
        ),
        (
            "['auto']",
            r#"{"t":"2024-05-01T12:00:00.5-0100"}"#,
            Some(1_714_568_400_500),
        ),
    ];
    for (formats, doc, want) in cases {
        let s: Arc<dyn LogSource> = Arc::new(spec(formats));
        let out = run(&s, "k", doc.as_bytes());
        assert_eq!(
            out.records()[0].fields.timestamp_ms,
            *want,
            "{formats} {doc}"
        );
    }
}

fn err_of(toml_text: &str) -> String {
    match DeclarativeSource::from_toml_str(toml_text) {
        Ok(_) => panic!("spec should be rejected:\n{toml_text}"),
        Err(e) => e.to_string(),
    }
}

const HEAD: &str = "id='x'\ndisplay_name='X'\nindex='Syslog'\nmsg_class='m'\nvendor='v'\n";

/// The declarative source of `HEAD` followed by `rest`.
fn spec_source(rest: &str) -> Arc<dyn LogSource> {
    Arc::new(DeclarativeSource::from_toml_str(&format!("{HEAD}{rest}")).expect("spec"))
}

#[test]
fn bad_specs_name_the_field() {
    // Each rejected spec, and the words its error must contain.
    let cases: [(String, &[&str]); 12] = [
        (
            "display_name='X'\nindex='Syslog'\nmsg_class='m'\nvendor='v'\n[timestamp]\nfields=['t']\n"
                .to_owned(),
            &["id"],
        ),
        (HEAD.to_owned(), &["timestamp"]),
        (
            format!("{HEAD}[timestamp]\nfields=[]\n"),
            &["timestamp.fields"],
        ),
        (
            format!("{HEAD}[timestamp]\nfields=['t']\nformats=['strftime']\n"),
            &["strftime", "formats"],
        ),
        (
            format!("{HEAD}[timestamp]\nfields=['t']\n[fields]\nuser=['/a','']\n"),
            &["fields.user[1]"],
        ),
        (
            format!("{HEAD}[timestamp]\nfields=['t']\n[fields]\nhots='/h'\n"),
            &["hots"],
        ),
        (
            format!("{HEAD}[timestamp]\nfields=['t']\n[fields]\nsrc_ip={{from='/a', transform='nope'}}\n"),
            &["nope"],
        ),
        (
            format!("{HEAD}[timestamp]\nfields=['t']\n[[outcome]]\npointer='/s'\nresult='failure'\n"),
            &["outcome[0]"],
        ),
        (
            format!("{HEAD}[timestamp]\nfields=['t']\n[[outcome]]\npointer='/s'\npresent=true\nresult='maybe'\n"),
            &["maybe"],
        ),
        (
            format!("{HEAD}[timestamp]\nfields=['$list']\n"),
            &["timestamp.fields[0]"],
        ),
        (
            format!(
                "{}[timestamp]\nfields=['t']\n",
                HEAD.replace("id='x'", "id='Bad Id'")
            ),
            &["`id`"],
        ),
        (
            format!(
                "{}[timestamp]\nfields=['t']\n",
                HEAD.replace("vendor='v'", "vendor=' '")
            ),
            &["vendor"],
        ),
    ];
    for (spec, words) in cases {
        let e = err_of(&spec);
        for word in words {
            assert!(e.contains(word), "{e}");
        }
    }
    match DeclarativeSource::from_path("/nonexistent/spec.toml") {
        Err(SpecError::Io { path, .. }) => assert!(path.contains("nonexistent")),
        other => panic!("expected Io error, got {other:?}"),
    }
}

/// The example in `specs/README.md` loads and behaves as documented.
#[test]
fn readme_example_spec_works() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/README.md"))
            .expect("specs/README.md");
    let start = readme.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let len = readme[start..].find("```").expect("block end");
    let src = DeclarativeSource::from_toml_str(&readme[start..start + len]).expect("example loads");
    let src: Arc<dyn LogSource> = Arc::new(src);
    let doc = br#"{"entries":[{"meta":{"created":"2024-05-01T12:00:00Z"},"action":"delete","actor":{"arn":"arn:aws:iam::1:user/ann"},"client":"198.51.100.1:443","host":"h","status":"denied"},{"ts":1714564800123,"status":"ok"},{"status":""}]}"#;
    let out = run(&src, "acme/1.json", doc);
    let r = out.records();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].fields.event_type.as_deref(), Some("entries"));
    assert_eq!(r[0].fields.user.as_deref(), Some("ann"));
    assert_eq!(r[0].fields.src_ip.as_deref(), Some("198.51.100.1"));
    assert_eq!(r[0].fields.outcome, Some(s3conn_core::Outcome::Failure));
    assert_eq!(r[1].fields.timestamp_ms, Some(1_714_564_800_123));
    assert_eq!(r[1].fields.outcome, Some(s3conn_core::Outcome::Success));
    assert_eq!(r[2].fields.outcome, None);
    assert!(r[2].fields.fallback_reason.is_some());
    // Mixed-type `equals` in TOML compares as JSON values.
    let mixed = spec_source(
        "[timestamp]\nfields=['t']\n[[outcome]]\npointer='/s'\nequals=[false, 'no', 403]\nresult='failure'\n",
    );
    let out = run(
        &mixed,
        "k",
        b"{\"s\":403}\n{\"s\":false}\n{\"s\":\"no\"}\n{\"s\":404}\n",
    );
    let o: Vec<_> = out.records().iter().map(|r| r.fields.outcome).collect();
    let fail = Some(s3conn_core::Outcome::Failure);
    assert_eq!(o, [fail, fail, fail, None]);
}

/// JSON pointers follow RFC 6901: `~1` is `/`, `~0` is `~`, array indices have no leading zero.
#[test]
fn pointer_tokens() {
    let src = spec_source(
        "[timestamp]\nfields=['/a~1b/0']\n[fields]\nuser='/m~0n/list/1'\nhost='/arr/01'\n",
    );
    let out = run(
        &src,
        "k",
        br#"{"a/b":["2024-05-01T12:00:00Z"],"m~n":{"list":["x","y"]},"arr":["p","q"]}"#,
    );
    let f = &out.records()[0].fields;
    assert_eq!(f.timestamp_ms, Some(1_714_564_800_000));
    assert_eq!(f.user.as_deref(), Some("y"));
    assert_eq!(f.host, None, "leading zero is not an index");
}

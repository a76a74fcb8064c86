//! Declarative sources reading text: the example in `specs/README.md` ("Text logs") loads and
//! decodes the sample shown beside it; bad `[format]` tables are rejected naming the field.

use std::path::Path;
use std::sync::Arc;

use s3conn_core::process::process_object_bytes;
use s3conn_core::{LogSource, ObjectContext, ObjectRef, Outcome};
use s3conn_sources::{DeclarativeSource, SpecError};

/// The body of the first ```` ```lang ```` block after `heading` in the specs README.
fn block_after(heading: &str, lang: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/README.md"))
            .expect("specs/README.md");
    let section = &readme[readme.find(heading).expect("the section")..];
    let fence = format!("```{lang}\n");
    let start = section.find(&fence).expect("a block") + fence.len();
    let len = section[start..].find("```").expect("block end");
    section[start..start + len].to_owned()
}

#[test]
fn readme_text_example_spec_decodes_its_sample() {
    let spec = DeclarativeSource::from_toml_str(&block_after("## Text logs", "toml"))
        .expect("the example loads");
    let source: Arc<dyn LogSource> = Arc::new(spec);
    // The README shows the tab-separated sample with tabs.
    let sample = block_after("## Text logs", "text");
    assert!(sample.contains('\t'));
    let context = ObjectContext::new(ObjectRef::new("logs", "cdn/1.log"), None, None, None);
    let out = process_object_bytes(&source, &Default::default(), context, sample.as_bytes());
    out.result.expect("decodes");
    assert!(out.dead_letters.is_empty(), "{:?}", out.dead_letters);
    let r = &out.records;
    assert_eq!(r.len(), 2);
    assert_eq!(
        r[0].event.get(),
        r#"{"timestamp":"2024-05-01T12:00:00Z","c-ip":"198.51.100.7","cs-method":"GET","cs(Host)":"cdn.example.com","cs-uri-stem":"/index.html","sc-status":200,"sc-bytes":5120,"time-taken":0.012}"#
    );
    assert_eq!(r[0].fields.timestamp_ms, Some(1_714_564_800_000));
    assert_eq!(r[0].fields.event_name.as_deref(), Some("GET"));
    assert_eq!(r[0].fields.src_ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(r[0].fields.host.as_deref(), Some("cdn.example.com"));
    assert_eq!(r[0].fields.user, None);
    assert_eq!(r[0].fields.outcome, None);
    assert_eq!(r[1].fields.user.as_deref(), Some("ann"));
    assert_eq!(r[1].fields.src_ip.as_deref(), Some("2001:db8::7"));
    assert_eq!(r[1].fields.outcome, Some(Outcome::Failure));
    // Without its #Fields: line the object is undecodable, the reason naming the header.
    let headless = sample.lines().skip(2).collect::<Vec<_>>().join("\n");
    let context = ObjectContext::new(ObjectRef::new("logs", "cdn/2.log"), None, None, None);
    let out = process_object_bytes(&source, &Default::default(), context, headless.as_bytes());
    assert!(out.records.is_empty());
    let err = out.result.expect_err("no header");
    assert!(err.to_string().contains("#Fields: header"), "{err}");
}

fn spec_with(format: &str) -> Result<DeclarativeSource, SpecError> {
    DeclarativeSource::from_toml_str(&format!(
        "id='t'\ndisplay_name='T'\nindex='Syslog'\nmsg_class='c'\nvendor='v'\n[timestamp]\nfields=['time']\n[format]\n{format}"
    ))
}

#[test]
fn quoted_csv_and_header_line_specs_decode() {
    let quoted =
        spec_with("kind='quoted'\nfields=['time','who','request']\nmin_fields=2\n").expect("loads");
    let source: Arc<dyn LogSource> = Arc::new(quoted);
    let data = b"[01/May/2024:12:00:00 +0000] ann \"GET / HTTP/1.1\"\n[01/May/2024:12:00:01 +0000] bob\nx\n";
    let context = ObjectContext::new(ObjectRef::new("b", "k"), None, None, None);
    let out = process_object_bytes(&source, &Default::default(), context.clone(), data);
    assert_eq!(out.records.len(), 2);
    assert_eq!(
        out.records[1].event.get(),
        r#"{"time":"01/May/2024:12:00:01 +0000","who":"bob"}"#
    );
    assert_eq!(out.dead_letters.len(), 1);
    assert_eq!(out.dead_letters[0].line, Some(3));

    let csv = spec_with("kind='csv'\nintegers=['n']\n").expect("loads");
    let source: Arc<dyn LogSource> = Arc::new(csv);
    let out = process_object_bytes(
        &source,
        &Default::default(),
        context.clone(),
        b"time,n,note\n2024-05-01T12:00:00Z,7,\"a, b\"\n",
    );
    assert_eq!(
        out.records[0].event.get(),
        r#"{"time":"2024-05-01T12:00:00Z","n":7,"note":"a, b"}"#
    );
    assert_eq!(out.records[0].fields.timestamp_ms, Some(1_714_564_800_000));

    let flow =
        spec_with("kind='header_line'\ndelimiter=','\nexpect_any=['time']\n").expect("loads");
    let source: Arc<dyn LogSource> = Arc::new(flow);
    let out = process_object_bytes(
        &source,
        &Default::default(),
        context,
        b"time,x\n2024-05-01T12:00:00Z,1\n",
    );
    assert_eq!(
        out.records[0].event.get(),
        r#"{"time":"2024-05-01T12:00:00Z","x":"1"}"#
    );
}

#[test]
fn bad_format_tables_are_rejected_naming_the_field() {
    for (format, field) in [
        ("kind='quoted'\n", "format.fields"),
        ("kind='csv'\nfields=['a']\n", "format.fields"),
        ("kind='header_line'\ndelimiter='ab'\n", "format.delimiter"),
        ("kind='w3c'\ndelimiter=','\n", "format.delimiter"),
        (
            "kind='quoted'\nfields=['a']\nmin_fields=2\n",
            "format.min_fields",
        ),
        (
            "kind='w3c'\nmultiline_start='('\n",
            "format.multiline_start",
        ),
    ] {
        let err = spec_with(format).expect_err(format);
        assert!(
            err.to_string().contains(&format!("field `{field}`")),
            "{format}: {err}"
        );
    }
    let err = spec_with("kind='xml'\n").expect_err("unknown kind");
    assert!(err.to_string().contains("unknown variant"), "{err}");
}

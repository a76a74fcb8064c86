//! `Event::parse` on escaped strings (issue 11): a typed view with `Cow` fields borrows where it
//! can and owns where it must; one with `&str` fields gets an error naming the field instead of
//! silently losing the event's fields.

#![allow(clippy::unwrap_used)]

mod common;

use std::borrow::Cow;
use std::sync::Arc;

use common::FnSource;
use s3conn_core::decode::{DecoderConfig, Framing};
use s3conn_core::process::process_object_bytes;
use s3conn_core::source::{Event, LogSource, SourceInfo};
use s3conn_core::{Normalized, ObjectContext, ObjectRef};
use serde::Deserialize;

/// The documented way: strings as `Cow` with `#[serde(borrow)]`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CowView<'a> {
    #[serde(borrow)]
    event_name: Cow<'a, str>,
    /// `Option<Cow>` always owns (serde borrows a bare `Cow` only); `default` reads a missing
    /// field as empty.
    #[serde(borrow, default)]
    user: Cow<'a, str>,
}

/// Strings as `&str`: fine until a string has an escape.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StrView<'a> {
    event_name: Option<&'a str>,
    user: Option<&'a str>,
}

/// A source that reads `eventName` and `user` through one of the views; a parse error becomes
/// the fallback reason.
fn user_source(borrow_only: bool) -> Arc<dyn LogSource> {
    FnSource::shared(
        SourceInfo::new("users", "Users", "Syslog", "users", "test"),
        &["Records"],
        move |event| {
            let read = if borrow_only {
                event
                    .parse::<StrView<'_>>()
                    .map(|v| (v.event_name.map(str::to_owned), v.user.map(str::to_owned)))
            } else {
                event
                    .parse::<CowView<'_>>()
                    .map(|v| (Some(v.event_name.into_owned()), Some(v.user.into_owned())))
            };
            match read {
                Ok((event_name, user)) => Normalized {
                    event_name: event_name.map(Into::into),
                    user: user.map(Into::into),
                    fallback_reason: Some("no time".into()),
                    ..Normalized::default()
                },
                Err(e) => Normalized {
                    fallback_reason: Some(e.to_string().into()),
                    ..Normalized::default()
                },
            }
        },
    )
}

const ESCAPED: &str = r#"{"eventName":"ConsoleLogin","user":"bob \"the builder\""}"#;

/// The object laid out three ways: one event per line, a `Records` list, pretty-printed.
fn objects() -> Vec<(Framing, String)> {
    vec![
        (Framing::Lines, format!("{ESCAPED}\n{ESCAPED}\n")),
        (
            Framing::Auto,
            format!("{{\"Records\":[{ESCAPED},{ESCAPED}]}}"),
        ),
        (
            Framing::Auto,
            format!("{{\"Records\":[\n  {ESCAPED}\n, {ESCAPED}\n]}}\n"),
        ),
    ]
}

fn normalize_all(borrow_only: bool, framing: Framing, object: &str) -> Vec<Normalized> {
    let config = DecoderConfig {
        framing,
        ..DecoderConfig::default()
    };
    let context = ObjectContext::new(ObjectRef::new("bucket", "key"), None, None, Some(0));
    let out = process_object_bytes(
        &user_source(borrow_only),
        &config,
        context,
        object.as_bytes(),
    );
    assert!(out.dead_letters.is_empty());
    out.records.into_iter().map(|r| r.fields).collect()
}

/// Normalizes each layout of the object (through the `&str` view when `borrow_only`, else the
/// `Cow` one), asserts it gives two events, and checks each with the object's text.
fn for_each_event(borrow_only: bool, check: impl Fn(&str, Normalized)) {
    for (framing, object) in objects() {
        let fields = normalize_all(borrow_only, framing, &object);
        assert_eq!(fields.len(), 2, "{object}");
        for f in fields {
            check(&object, f);
        }
    }
}

#[test]
fn an_escaped_user_name_reaches_the_record_through_a_cow_view() {
    for_each_event(false, |object, f| {
        assert_eq!(f.user.as_deref(), Some(r#"bob "the builder""#), "{object}");
        assert_eq!(f.event_name.as_deref(), Some("ConsoleLogin"));
    });
}

#[test]
fn a_str_view_meeting_an_escape_names_the_field() {
    for_each_event(true, |_, f| {
        let reason = f.fallback_reason.unwrap();
        assert!(reason.starts_with("field `user`: invalid type"), "{reason}");
        assert!(reason.contains("Cow<str>"), "{reason}");
    });
}

#[test]
fn an_event_without_noted_fields_names_the_field_too() {
    let context = ObjectContext::new(ObjectRef::new("bucket", "key"), None, None, None);
    let event = Event::new(ESCAPED, &context, None);
    let error = event.parse::<StrView<'_>>().err().unwrap();
    assert!(
        error.to_string().starts_with("field `user`: invalid type"),
        "{error}"
    );
    let view: CowView<'_> = event.parse().unwrap();
    assert!(matches!(view.event_name, Cow::Borrowed("ConsoleLogin")));
    assert!(matches!(view.user, Cow::Owned(ref u) if u == r#"bob "the builder""#));
    // Not an object: serde_json's own error.
    let event = Event::new("[1]", &context, None);
    assert!(event.parse::<StrView<'_>>().is_err());
}

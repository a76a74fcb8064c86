//! The validator accepts exactly what `serde_json` accepts (below serde_json's recursion limit),
//! a valid value's prefix ends where the value ends, and the field-skipping deserializer reads an
//! object as `serde_json` does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3conn_core::json::{TopLevel, Validator};
use serde::Deserialize;
use serde_json::value::RawValue;

fuzz_target!(|data: &[u8]| {
    let mut v = Validator::new();
    let ours = v.validate(data);
    let theirs = serde_json::from_slice::<&RawValue>(data);
    if let Err(e) = &theirs {
        if e.to_string().contains("recursion limit") {
            return;
        }
    }
    assert_eq!(ours.is_ok(), theirs.is_ok(), "ours {ours:?}, serde_json {theirs:?}");
    let Ok(text) = ours else { return };
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r']);
    if trimmed.starts_with('{') {
        let fields = v.fields().to_vec();
        let via_fields = serde_json::Value::deserialize(TopLevel::new(text, &fields));
        let direct = serde_json::from_str::<serde_json::Value>(text);
        if let (Ok(a), Ok(b)) = (&via_fields, &direct) {
            assert_eq!(a, b);
        }
    }
    if trimmed.starts_with(['{', '[']) {
        let lead = text.len() - trimmed.len();
        let end = v.validate_prefix(trimmed.as_bytes()).expect("a valid value is a valid prefix");
        assert!(text[lead + end..].trim().is_empty());
    }
});

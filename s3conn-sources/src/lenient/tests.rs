use serde::Deserialize;

use super::*;

#[test]
fn lenient_types() {
    #[derive(Deserialize)]
    struct T<'a> {
        #[serde(borrow, default)]
        a: Text<'a>,
        #[serde(borrow, default)]
        b: TimeVal<'a>,
        #[serde(default)]
        c: Obj<Inner>,
        #[serde(default)]
        d: Flag,
    }
    #[derive(Deserialize)]
    struct Inner {
        x: u8,
    }
    let t: T<'_> =
        serde_json::from_str(r#"{"a":{"k":[1]},"b":[1,2],"c":"s","d":"true"}"#).expect("lenient");
    assert_eq!(t.a.get(), None);
    assert!(!t.b.is_some());
    assert!(t.c.get().is_none());
    assert_eq!(t.d.0, None);
    let t: T<'_> =
        serde_json::from_str(r#"{"a":["",7,"z"],"b":1625677521162,"c":{"x":3},"d":false}"#)
            .expect("lenient");
    assert_eq!(t.a.get(), Some("7"));
    assert_eq!(t.b.to_ms(), Some(1_625_677_521_162));
    assert_eq!(t.c.get().map(|i| i.x), Some(3));
    assert_eq!(t.d.0, Some(false));
}

#[test]
fn filetime() {
    let t = TimeVal::U64(133_433_951_380_000_000);
    assert_eq!(t.to_ms_filetime_aware(), Some(1_698_921_538_000));
    assert_eq!(
        TimeVal::U64(1_698_921_538_000).to_ms_filetime_aware(),
        Some(1_698_921_538_000)
    );
}

#[test]
fn text_borrows_plain_strings_and_owns_escaped_ones() {
    use std::borrow::Cow;
    let plain: Text<'_> = serde_json::from_str(r#""alice""#).expect("plain");
    assert!(matches!(plain.0, Some(Cow::Borrowed("alice"))));
    let escaped: Text<'_> =
        serde_json::from_str(r#""bob \"the builder\" C:\\tmp""#).expect("escaped");
    assert_eq!(escaped.get(), Some(r#"bob "the builder" C:\tmp"#));
    assert!(matches!(escaped.0, Some(Cow::Owned(_))));
    let time: TimeVal<'_> = serde_json::from_str(r#""2021-10-02T10:17:44Z""#).expect("time");
    assert!(matches!(time, TimeVal::Str(Cow::Borrowed(_))));
}

#[test]
fn key_scan_finds_escaped_keys_and_reads_escaped_values() {
    use serde::de::DeserializeSeed;
    let want = |k: &str| (k == "time").then_some(0);
    let scan = KeyScan {
        want: &want,
        slots: 1,
    };
    let mut de = serde_json::Deserializer::from_str(
        r#"{"n\"ote":"a\\b","ti\u006de":"2024-05-01T12:00:00\u002e123Z"}"#,
    );
    let found = scan.deserialize(&mut de).expect("scan");
    assert_eq!(found[0].to_ms(), Some(1_714_564_800_123));
}

#[test]
fn list_reads_arrays_and_nothing_else() {
    #[derive(Deserialize)]
    struct Item<'a> {
        #[serde(borrow, default)]
        name: Text<'a>,
    }
    #[derive(Deserialize)]
    struct T<'a> {
        #[serde(borrow, default)]
        a: List<Obj<Item<'a>>>,
        #[serde(borrow, default)]
        b: List<Obj<Item<'a>>>,
    }
    let t: T<'_> =
        serde_json::from_str(r#"{"a":[{"name":"x"},7,{"name":["y"]}],"b":{"name":"z"}}"#)
            .expect("lenient");
    let names: Vec<_> =
        t.a.items()
            .iter()
            .map(|o| o.get().and_then(|i| i.name.get()))
            .collect();
    assert_eq!(names, [Some("x"), None, Some("y")]);
    assert!(t.b.items().is_empty());
}

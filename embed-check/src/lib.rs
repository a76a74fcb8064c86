//! Proof from outside: this crate depends on the `s3conn` facade only (no s3conn-core, tokio,
//! serde or async-trait of its own) and embeds it the way a service would; see `tests/`.

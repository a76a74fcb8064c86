//! Text log decoding: records of a [`TextFormat`] become JSON events with named fields.
//!
//! # The API for sources
//! A [`LogSource`](crate::LogSource) whose objects are text returns its format from
//! [`LogSource::text_format`](crate::LogSource::text_format) (default `None`: JSON only). The
//! pipeline (and [`process_object_bytes`](crate::process::process_object_bytes)) then decodes
//! that source's objects with [`Decoder::decode_text`](crate::decode::Decoder::decode_text): each
//! text record becomes a JSON object such as
//! `{"version":2,"account-id":"123456789010","srcaddr":"172.31.16.139",...}` (absent `-` fields
//! left out, numbers typed where the format says) handed to the source's `normalize` as an
//! ordinary [`Event`](crate::Event), with its top-level fields noted, so `Event::parse` reads
//! only the fields asked for. Sources, filters and sinks work on it unchanged.
//!
//! Formats ([`TextFormat`] constructors):
//! - [`TextFormat::header_line`]: the first line names the fields, single-byte delimited (VPC
//!   Flow Logs v2–v8, custom field orders included);
//! - [`TextFormat::w3c`]: `#Version:`/`#Fields:` directives, tab-separated (CloudFront);
//! - [`TextFormat::csv`]: CSV/TSV with a header row, RFC 4180 quoting (quoted newlines too);
//! - [`TextFormat::quoted`] / [`TextFormat::quoted_variants`]: space-separated with `"..."` and
//!   `[...]` fields and fixed field lists (ALB/ELB/NLB, S3 server access logs);
//! - [`TextFormat::with_multiline_start`]: a record spans lines up to the next start line.
//!
//! # Sniffing order
//! 1. Compression, by magic bytes (gzip `1f 8b`, every member; zstd `28 b5 2f fd`; else plain).
//! 2. The decompressed start: a first non-blank byte `{` or `[` followed by valid JSON (as far
//!    as the first 64 KiB go) is JSON, framed as for any JSON source, so Firehose's back-to-back
//!    `{..}{..}` objects are one record each; anything else (`[06/Feb/2019:00:00:38 +0000] …`
//!    included) is text of the source's format.
//! 3. Text must look like text: a NUL byte or invalid UTF-8 in the first 64 KiB makes the object
//!    undecodable ([`DecodeError::NotText`](crate::decode::DecodeError::NotText)), so binary junk
//!    is never delivered as records; it is not cut into lines of garbage.
//!
//! # Bad input
//! A record with the wrong number of fields, or not UTF-8, is dead-lettered with its line and
//! byte offset and the rest delivered; a record longer than `max_record_bytes` is dead-lettered
//! as too large (like a JSON line); a header-driven object without its header is undecodable
//! (`MissingHeader` names the header). Memory is bounded by the largest record, whatever the
//! object's size.

mod columns;
mod format;
mod framer;
mod numbers;
mod reader;
mod record;
mod sniff;
mod split;

pub use format::{Columns, ExtraFields, Field, FieldType, Split, TextFormat, Variant};
pub use framer::TextFramer;
pub(crate) use sniff::{sniff, Content};

//! A closed standard output (`s3conn replay … | head`): the library's `NdjsonSink` reports the
//! broken pipe as `SinkError::Closed`, the pipeline stops at once with
//! `PipelineError::OutputClosed` (nothing retried, nothing undelivered acknowledged), and the
//! command exits quietly with 141 (128 + SIGPIPE), as a shell reports a Unix tool killed by
//! SIGPIPE.

/// The exit code after stdout was closed.
pub const CLOSED_STDOUT_EXIT_CODE: u8 = 141;

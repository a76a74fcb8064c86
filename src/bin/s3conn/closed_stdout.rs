//! Standard output that ends the process when its reader is gone (`s3conn replay … | head`):
//! a write failing with `BrokenPipe` is never reported as delivered and never retried — the
//! process exits at once with 141 (128 + SIGPIPE, what a shell reports for a Unix tool killed by
//! SIGPIPE), leaving what was not delivered un-acknowledged.

use std::io::{BufWriter, ErrorKind, Stdout, Write};

use s3conn::NdjsonSink;

/// The exit code after stdout was closed.
pub const CLOSED_STDOUT_EXIT_CODE: i32 = 141;

/// Standard output that exits the process on `BrokenPipe`.
#[derive(Debug)]
pub struct ClosedStdoutExits(Stdout);

fn exit_if_closed(e: std::io::Error) -> std::io::Error {
    if e.kind() == ErrorKind::BrokenPipe {
        std::process::exit(CLOSED_STDOUT_EXIT_CODE);
    }
    e
}

impl Write for ClosedStdoutExits {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(exit_if_closed)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf).map_err(exit_if_closed)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(exit_if_closed)
    }
}

/// The NDJSON sink of the command line: records to stdout, exiting when stdout is closed.
pub fn stdout_sink() -> NdjsonSink<BufWriter<ClosedStdoutExits>> {
    NdjsonSink::new(BufWriter::with_capacity(
        16 << 10,
        ClosedStdoutExits(std::io::stdout()),
    ))
}

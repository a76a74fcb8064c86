//! The blocking `Read` the decoder thread reads an object through, fed by the async fetch.

use std::io::{self, Read};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::decode::SourceReadError;
use crate::store::StoreError;

/// A blocking `Read` over the chunks the async side fetches; a download that ends short of the
/// object's size is an error, not the end of the object.
pub(super) struct ChannelReader {
    rx: mpsc::Receiver<Result<Bytes, StoreError>>,
    current: Bytes,
    received: u64,
    expected: Option<u64>,
}

impl ChannelReader {
    /// Reads the chunks of `rx`, expecting `expected` bytes in all when known.
    pub(super) fn new(
        rx: mpsc::Receiver<Result<Bytes, StoreError>>,
        expected: Option<u64>,
    ) -> Self {
        ChannelReader {
            rx,
            current: Bytes::new(),
            received: 0,
            expected,
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.received += chunk.len() as u64;
                    self.current = chunk;
                }
                Some(Err(e)) => return Err(io::Error::other(SourceReadError(e.to_string()))),
                None => {
                    if let Some(expected) = self.expected {
                        if self.received < expected {
                            return Err(io::Error::other(SourceReadError(format!(
                                "download ended after {} of {expected} bytes",
                                self.received
                            ))));
                        }
                    }
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

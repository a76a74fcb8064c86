//! A reader that hands out its bytes a few at a time, to cross every buffer boundary of a decoder.

use std::io::Read;

/// Reads from `data` at most `step` bytes per call (a `step` of 1 exercises every boundary).
#[derive(Debug)]
pub struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl<'a> Trickle<'a> {
    /// A reader over `data` handing out at most `step` bytes per read (at least 1).
    pub fn new(data: &'a [u8], step: usize) -> Self {
        Trickle {
            data,
            step: step.max(1),
        }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

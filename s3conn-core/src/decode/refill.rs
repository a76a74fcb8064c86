//! The sliding read buffer both framers read through: more input is read after the bytes held,
//! and the bytes no longer needed are dropped from the front first, so memory follows the
//! longest record, not the object.

use std::io::{ErrorKind, Read};

use super::DecodeError;

/// How much is read at a time, and the buffer's first size.
pub(super) const READ_CHUNK: usize = 256 * 1024;

/// A buffer of input: `buf[..end]` holds what was read, `base` is the object offset of `buf[0]`.
pub(super) struct Window<'r> {
    input: &'r mut dyn Read,
    pub(super) buf: Vec<u8>,
    pub(super) end: usize,
    pub(super) base: u64,
    pub(super) eof: bool,
}

impl<'r> Window<'r> {
    /// An empty window over `input`.
    pub(super) fn new(input: &'r mut dyn Read) -> Self {
        Window {
            input,
            buf: vec![0; READ_CHUNK],
            end: 0,
            base: 0,
            eof: false,
        }
    }

    /// Reads more after `end`, first moving `buf[keep..end]` to the front when that frees room
    /// (the caller moves its own positions back by the returned shift). `more` is false at end
    /// of input.
    pub(super) fn fill(&mut self, keep: usize) -> Result<Filled, DecodeError> {
        if self.eof {
            return Ok(Filled {
                more: false,
                shift: 0,
            });
        }
        let mut shift = 0;
        if keep > 0 && (self.end == self.buf.len() || keep >= self.buf.len() / 2) {
            self.buf.copy_within(keep..self.end, 0);
            self.base += keep as u64;
            self.end -= keep;
            shift = keep;
        }
        if self.end == self.buf.len() {
            let grown = (self.buf.len() * 2).max(self.buf.len() + READ_CHUNK);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(Filled { more: false, shift });
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(Filled { more: true, shift });
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(DecodeError::from_io(e, self.base + self.end as u64)),
            }
        }
    }
}

/// What [`Window::fill`] did.
pub(super) struct Filled {
    /// More input was read.
    pub(super) more: bool,
    /// How far the kept bytes moved towards the front.
    pub(super) shift: usize,
}

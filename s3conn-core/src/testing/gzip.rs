//! Gzip compression of test data.

use std::io::Write;

/// `data` as one gzip member, at the fastest compression level.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    gzip_level(data, 1)
}

/// `data` as one gzip member at compression `level` (0 = stored … 9 = best).
pub fn gzip_level(data: &[u8], level: u32) -> Vec<u8> {
    let mut encoder =
        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level.min(9)));
    encoder
        .write_all(data)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    #[test]
    fn round_trips_at_every_level() {
        for level in [0, 1, 6, 9, 42] {
            let packed = super::gzip_level(b"hello hello hello", level);
            assert_eq!(&packed[..2], b"\x1f\x8b");
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&packed[..])
                .read_to_end(&mut out)
                .expect("valid gzip");
            assert_eq!(out, b"hello hello hello");
        }
        assert_eq!(super::gzip(b"x"), super::gzip_level(b"x", 1));
    }
}

//! Exponential backoff with "equal jitter", the one backoff of every retry loop (the pipeline's
//! and s3conn-aws's request retries).
//!
//! The ceiling doubles per retry up to a cap; the delay is half the ceiling plus a uniformly random
//! part of up to the other half. Unlike "full jitter" (anywhere from zero to the ceiling) the delay
//! is never below half the ceiling, so a loop of failures never spins, while concurrent workers
//! still spread out.

use std::time::Duration;

/// The delay before a retry: ceiling `base · 2^exponent` (exponent capped at 20), at most `max`;
/// the delay lies between half the ceiling and the ceiling ("equal jitter").
pub fn equal_jitter(base: Duration, max: Duration, exponent: u32) -> Duration {
    let ceiling = base.saturating_mul(1u32 << exponent.min(20)).min(max);
    let half = ceiling / 2;
    let jitter_ns = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(fastrand::u64(0..=jitter_ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_jitter_stays_between_half_the_ceiling_and_the_ceiling() {
        let ms = Duration::from_millis;
        for _ in 0..200 {
            let d0 = equal_jitter(ms(100), ms(2000), 0);
            assert!(d0 >= ms(50) && d0 <= ms(100), "{d0:?}");
            let d3 = equal_jitter(ms(100), ms(2000), 3);
            assert!(d3 >= ms(400) && d3 <= ms(800), "{d3:?}");
            let capped = equal_jitter(ms(100), ms(2000), 40);
            assert!(capped >= ms(1000) && capped <= ms(2000), "{capped:?}");
        }
        assert_eq!(equal_jitter(Duration::ZERO, ms(10), 5), Duration::ZERO);
        // Saturates instead of overflowing.
        assert!(equal_jitter(Duration::MAX, Duration::MAX, 20) >= Duration::MAX / 2);
    }
}

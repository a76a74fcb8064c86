//! [`ByteBudget`]: bytes of decoded records waiting for the sink, bounded across objects — and,
//! when one budget is handed to several pipelines, across every connector of a process.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// Bytes are counted in units of this size (a semaphore counts at most `u32::MAX` permits at once).
const UNIT: usize = 1024;

/// A budget of in-flight bytes: a batch of decoded records holds its size from this budget until
/// the sink has it, so memory stays bounded whatever the objects' sizes. Cloning shares the budget.
///
/// A pipeline makes its own from `max_in_flight_bytes` unless
/// [`PipelineBuilder::byte_budget`](crate::pipeline::PipelineBuilder::byte_budget) gives it one; a
/// process running several connectors gives them all the same budget.
#[derive(Debug, Clone)]
pub struct ByteBudget {
    units: Arc<Semaphore>,
    total_units: usize,
}

impl ByteBudget {
    /// A budget of `bytes` (at least one unit of 1 KiB).
    pub fn new(bytes: usize) -> Self {
        let total_units = (bytes / UNIT).clamp(1, Semaphore::MAX_PERMITS);
        ByteBudget {
            units: Arc::new(Semaphore::new(total_units)),
            total_units,
        }
    }

    /// The budget's size in bytes.
    pub fn bytes(&self) -> usize {
        self.total_units.saturating_mul(UNIT)
    }

    /// Bytes not held by any batch right now.
    pub fn available_bytes(&self) -> usize {
        self.units.available_permits().saturating_mul(UNIT)
    }

    /// The units a batch of `bytes` holds: its size in KiB, at least one, and never more than the
    /// whole budget (a batch larger than the budget waits until it has the budget to itself).
    pub(crate) fn units_for(&self, bytes: usize) -> u32 {
        let units = (bytes / UNIT).clamp(1, self.total_units);
        u32::try_from(units).unwrap_or(u32::MAX)
    }

    /// The semaphore the units are taken from.
    pub(crate) fn semaphore(&self) -> &Arc<Semaphore> {
        &self.units
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_bounded_by_the_budget() {
        let budget = ByteBudget::new(64 * 1024);
        assert_eq!(budget.bytes(), 64 * 1024);
        assert_eq!(budget.units_for(0), 1);
        assert_eq!(budget.units_for(10 * 1024), 10);
        assert_eq!(budget.units_for(1 << 30), 64);
        assert_eq!(ByteBudget::new(0).bytes(), 1024);
    }

    #[tokio::test]
    async fn clones_share_one_budget() {
        let a = ByteBudget::new(4 * 1024);
        let b = a.clone();
        let held = a.semaphore().clone().acquire_many_owned(3).await;
        assert!(held.is_ok());
        assert_eq!(b.available_bytes(), 1024);
        drop(held);
        assert_eq!(b.available_bytes(), 4 * 1024);
    }
}

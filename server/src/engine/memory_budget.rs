//! The process's budget for message bodies in flight. Each fetched transaction holds its bytes
//! from before the FETCH until the destination has taken it, so any number of mailboxes at once
//! stays within the budget (plus the one message each is parsing), whatever their message sizes.

use std::sync::{Arc, OnceLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Room for the pipelines of eight mailboxes of ordinary mail (transactions of ~1 MB), or one
/// 20 MB message beside a few of them. (32 MiB measured no faster and took 104 MiB of peak RSS
/// for four mailboxes with two folder lanes each, against 81 MiB.)
pub const DEFAULT_MIB: u32 = 24;

/// Permits count units of 64 KiB (a semaphore holds at most `u32::MAX` permits per acquire).
const UNIT: u64 = 64 * 1024;

pub struct MemoryBudget {
    semaphore: Arc<Semaphore>,
    units: u32,
}

static PROCESS: OnceLock<MemoryBudget> = OnceLock::new();

/// Bytes held for one transaction; given back when dropped.
pub struct Reservation {
    _permit: Option<OwnedSemaphorePermit>,
}

impl MemoryBudget {
    pub fn new(mib: u32) -> MemoryBudget {
        let units = (u64::from(mib.max(1)) * 1024 * 1024 / UNIT) as u32;
        MemoryBudget {
            semaphore: Arc::new(Semaphore::new(units as usize)),
            units,
        }
    }

    /// Sets the process's budget; only the first call counts (at start-up, from the
    /// configuration).
    pub fn configure(mib: u32) {
        let _ = PROCESS.set(MemoryBudget::new(mib));
    }

    /// The process's budget ([`DEFAULT_MIB`] unless configured).
    pub fn process() -> &'static MemoryBudget {
        PROCESS.get_or_init(|| MemoryBudget::new(DEFAULT_MIB))
    }

    /// Waits until `bytes` fit (first come, first served). A transaction bigger than the whole
    /// budget takes all of it, so it runs alone instead of never.
    pub async fn reserve(&self, bytes: u64) -> Reservation {
        let units = bytes.div_ceil(UNIT).clamp(1, u64::from(self.units)) as u32;
        Reservation {
            _permit: self.semaphore.clone().acquire_many_owned(units).await.ok(),
        }
    }

    /// Bytes free right now.
    #[cfg(test)]
    fn available_bytes(&self) -> u64 {
        self.semaphore.available_permits() as u64 * UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reservations_wait_for_room_and_oversized_ones_take_everything() {
        let budget = MemoryBudget::new(1);
        let half = budget.reserve(512 * 1024).await;
        assert_eq!(budget.available_bytes(), 512 * 1024);
        let whole = budget.reserve(100 * 1024 * 1024);
        tokio::pin!(whole);
        assert!(
            futures::poll!(whole.as_mut()).is_pending(),
            "waits while half is held"
        );
        drop(half);
        let held = whole.await;
        assert_eq!(
            budget.available_bytes(),
            0,
            "an oversized transaction takes it all"
        );
        drop(held);
        assert_eq!(budget.available_bytes(), 1024 * 1024);
    }
}

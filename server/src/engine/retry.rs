//! Bounded, jittered, capped back-off between reconnects.

use std::time::Duration;

use rand::Rng;

#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts after the first failure before the error is final.
    pub retries: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 6,
            base: Duration::from_secs(2),
            cap: Duration::from_secs(80),
        }
    }
}

impl RetryPolicy {
    /// The pause before retry `attempt` (1-based): base × 2^(attempt-1), capped, ±25 % jitter;
    /// a server-suggested back-off wins when it is longer.
    pub fn delay(&self, attempt: u32, suggested: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.cap);
        let jitter = rand::thread_rng().gen_range(0.75..=1.25);
        let delay = exp.mul_f64(jitter).min(self.cap);
        suggested.map_or(delay, |s| s.max(delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_caps() {
        let policy = RetryPolicy {
            retries: 5,
            base: Duration::from_secs(2),
            cap: Duration::from_secs(80),
        };
        let d1 = policy.delay(1, None);
        assert!(
            d1 >= Duration::from_millis(1500) && d1 <= Duration::from_millis(2500),
            "{d1:?}"
        );
        let d3 = policy.delay(3, None);
        assert!(
            d3 >= Duration::from_secs(6) && d3 <= Duration::from_secs(10),
            "{d3:?}"
        );
        assert!(policy.delay(30, None) <= Duration::from_secs(80));
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(60))),
            Duration::from_secs(60)
        );
    }
}

//! Per-caller rate limiting: a token bucket per key (credential, or peer address for public routes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Token buckets keyed by caller.
#[derive(Clone)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Arc<Mutex<HashMap<String, (f64, Instant)>>>,
}

impl RateLimiter {
    /// `per_second` sustained requests with bursts of `burst`; `per_second <= 0` disables limiting.
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self {
            per_second,
            burst: burst.max(1.0),
            buckets: Arc::default(),
        }
    }

    /// Takes one request from `key`'s bucket; `false` when it is empty.
    pub fn allow(&self, key: &str) -> bool {
        if self.per_second <= 0.0 {
            return true;
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        let now = Instant::now();
        if buckets.len() > 100_000 {
            buckets.retain(|_, (_, at)| now.duration_since(*at).as_secs() < 60);
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RateLimiter;

    #[test]
    fn buckets_empty_then_refill_per_key() {
        let limiter = RateLimiter::new(1.0, 3.0);
        assert_eq!((0..5).filter(|_| limiter.allow("a")).count(), 3);
        assert!(limiter.allow("b"), "keys are independent");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(limiter.allow("a"));
        assert!(RateLimiter::new(0.0, 1.0).allow("x"));
    }
}

//! A per-user request budget, so that one token (stolen, or a runaway script) cannot take the
//! service from everyone else. Each server process keeps its own buckets; behind a load
//! balancer the effective limit is this one times the number of processes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// A token bucket per user: `per_minute` requests, refilled continuously.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

/// How many users' buckets are kept before idle ones are dropped.
const MAX_TRACKED_USERS: usize = 100_000;

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `user` may make a request now (taking one from their bucket if so).
    pub fn allow(&self, user: &str, now: Instant) -> bool {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = match self.buckets.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= MAX_TRACKED_USERS && !buckets.contains_key(user) {
            // Full buckets carry no information: forget them first.
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.refilled_at).as_secs_f64() * per_second < capacity
            });
        }
        let bucket = buckets.entry(user.to_owned()).or_insert(Bucket {
            tokens: capacity,
            refilled_at: now,
        });
        let elapsed = now
            .saturating_duration_since(bucket.refilled_at)
            .as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_user_gets_their_budget_then_waits_for_the_refill() {
        let limiter = RateLimiter::new(3);
        let start = Instant::now();
        assert!(limiter.allow("a", start));
        assert!(limiter.allow("a", start));
        assert!(limiter.allow("a", start));
        assert!(
            !limiter.allow("a", start),
            "the fourth request in the minute"
        );
        assert!(
            limiter.allow("b", start),
            "another user has their own budget"
        );
        assert!(
            limiter.allow("a", start + Duration::from_secs(20)),
            "one request back after 20 s"
        );
        assert!(!limiter.allow("a", start + Duration::from_secs(21)));
    }
}

//! A per-user request budget, so that one token (stolen, or a runaway script) cannot take the
//! service from everyone else. Each server process keeps its own budgets; behind a load
//! balancer the effective limit is this one times the number of processes.

use std::num::NonZeroU32;

use governor::Quota;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;

type Keyed<C> = governor::RateLimiter<
    String,
    DefaultKeyedStateStore<String>,
    C,
    NoOpMiddleware<<C as Clock>::Instant>,
>;

/// `per_minute` requests per user, a whole minute's worth at once and then one back every
/// sixtieth of a minute (governor's GCRA: a token bucket refilled continuously).
#[derive(Debug)]
pub struct RateLimiter<C: Clock = DefaultClock> {
    /// `None` for a budget of nothing (`--requests-per-minute 0`): every request is refused,
    /// as it always was, where governor would need a quota of at least one.
    keyed: Option<Keyed<C>>,
}

/// How many users' budgets are kept before the idle ones are dropped.
const MAX_TRACKED_USERS: usize = 100_000;

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock> RateLimiter<C> {
    pub fn with_clock(per_minute: u32, clock: C) -> Self {
        Self {
            keyed: NonZeroU32::new(per_minute)
                .map(|n| governor::RateLimiter::dashmap_with_clock(Quota::per_minute(n), clock)),
        }
    }

    /// Whether `user` may make a request now (taking one from their budget if so).
    pub fn allow(&self, user: &str) -> bool {
        let Some(keyed) = &self.keyed else {
            return false;
        };
        if keyed.len() >= MAX_TRACKED_USERS {
            // A full budget carries no information: forget those first.
            keyed.retain_recent();
        }
        keyed.check_key(&user.to_owned()).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    #[test]
    fn a_user_gets_their_budget_then_waits_for_the_refill() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(3, clock.clone());
        assert!(limiter.allow("a"));
        assert!(limiter.allow("a"));
        assert!(limiter.allow("a"));
        assert!(!limiter.allow("a"), "the fourth request in the minute");
        assert!(limiter.allow("b"), "another user has their own budget");
        clock.advance(Duration::from_secs(20));
        assert!(limiter.allow("a"), "one request back after 20 s");
        clock.advance(Duration::from_secs(1));
        assert!(!limiter.allow("a"));
    }

    #[test]
    fn a_budget_refills_to_a_minute_s_worth_and_no_more() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(2, clock.clone());
        assert!(limiter.allow("a"));
        clock.advance(Duration::from_secs(3600));
        assert!(limiter.allow("a"));
        assert!(limiter.allow("a"));
        assert!(!limiter.allow("a"), "an idle hour saves up one minute only");
    }

    #[test]
    fn a_budget_of_nothing_refuses_every_request() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(0, clock.clone());
        assert!(!limiter.allow("a"));
        clock.advance(Duration::from_secs(3600));
        assert!(!limiter.allow("a"));
    }
}

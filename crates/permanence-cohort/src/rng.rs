//! The generator's own pseudo-random numbers, so that a seed gives the same cohort on every
//! platform and with every version of every dependency.
//!
//! The generator is SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
//! generators", OOPSLA 2014; the constants are those of `java.util.SplittableRandom` and of
//! Vigna's reference C code): a 64-bit counter advanced by the golden-ratio increment and
//! passed through a bijective mixing function. It is not cryptographic and need not be; it
//! passes BigCrush, it is a few lines, and its output is pinned by a test below.
//!
//! Only integer arithmetic and exact floating-point operations (`+`, `-`, `*` on values
//! built from 53-bit integers) are used: no `ln`, `exp` or `cos`, whose last bits may differ
//! between platforms' maths libraries. Normal deviates are therefore Irwin–Hall sums of
//! twelve uniforms, and skewed durations are built piecewise from them.

/// The golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's finaliser: a bijection of 64-bit values that mixes every input bit into
/// every output bit. Also used to derive independent streams and stable identifiers.
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A SplitMix64 stream.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// An independent stream for item `index` of a run seeded with `seed`: child `index`'s
    /// history does not depend on how many children come before or after it.
    pub const fn stream(seed: u64, index: u64) -> Self {
        Self::new(mix64(seed ^ mix64(index.wrapping_add(GAMMA))))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix64(self.state)
    }

    /// A whole number in `0..n` (0 when `n` is 0), by Lemire's multiply-shift; the bias is
    /// below 2^-40 for the ranges used here.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A whole number in `lo..=hi` (`lo` when `hi < lo`).
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = hi.abs_diff(lo).saturating_add(1);
        lo.wrapping_add_unsigned(self.below(span))
    }

    /// A uniform number in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An approximately standard normal deviate (Irwin–Hall: the sum of twelve uniforms,
    /// less six), bounded to ±6.
    pub fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }

    /// A right-skewed duration in days around `median`: below the median it spreads by
    /// `median * low` per standard deviation, above it by `median * high`, so that a few
    /// cases take much longer than most (as stage durations do). Never below `min`.
    pub fn skewed(&mut self, median: f64, low: f64, high: f64, min: i64) -> i64 {
        let z = self.normal();
        let factor = if z < 0.0 { low } else { high };
        let days = median * (1.0 + z * factor);
        (days.round() as i64).max(min)
    }

    /// One of `items`, with probability proportional to its weight.
    pub fn pick<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut ticket = self.below(total);
        for (item, weight) in items {
            let weight = u64::from(*weight);
            if ticket < weight {
                return *item;
            }
            ticket -= weight;
        }
        // Unreachable with a positive total; the last item keeps the function total.
        items.last().map(|(item, _)| *item).unwrap_or_else(|| {
            // An empty list is a programming error in a table of this crate.
            panic_empty()
        })
    }
}

#[allow(clippy::panic)]
fn panic_empty() -> ! {
    panic!("pick from an empty table")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_output() {
        // Vigna's splitmix64.c seeded with 0 (the first outputs are well known).
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(rng.next_u64(), 0x06c4_5d18_8009_454f);
    }

    #[test]
    fn ranges_hold() {
        let mut rng = SplitMix64::new(42);
        for _ in 0..10_000 {
            let x = rng.between(-3, 7);
            assert!((-3..=7).contains(&x));
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
            assert!(rng.skewed(100.0, 0.3, 0.6, 10) >= 10);
        }
        assert_eq!(rng.between(5, 5), 5);
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn pick_follows_the_weights() {
        let mut rng = SplitMix64::new(7);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[rng.pick(&[(0usize, 1), (1, 2), (2, 0)])] += 1;
        }
        assert_eq!(counts[2], 0);
        assert!((9_000..11_000).contains(&counts[0]), "{counts:?}");
    }
}

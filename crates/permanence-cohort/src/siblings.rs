//! Sibling groups in a cohort: some children still in care are brothers and sisters, with a
//! decision to place them together, apart or some together.
//!
//! Groups are drawn after the children's scripts, from a stream of their own (salted by
//! "siblings", one per child), so that no child's history changes: a group is a record beside
//! the children's cases, not a command of any of them, and the national return has no sibling
//! fields, so the SSDA903 export stays as it was. Only children in care on `today` are
//! grouped (a child who has left care cannot join a group), and only with children of the
//! same authority who come after them in the cohort and are not grouped yet.

use crate::rng::SplitMix64;
use crate::{ChildScript, CohortConfig};
use chrono::{Days, NaiveDate};
use permanence_domain::siblings::{ApartReason, Placing};

/// A sibling group to record once the children's cases are open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiblingGroupScript {
    /// The children, by their index in the cohort (the first is the eldest in the group).
    pub members: Vec<usize>,
    pub placing: Placing,
    pub reason: Option<ApartReason>,
    /// For some together: the sets of children placed together, by index.
    pub placed_together: Vec<Vec<usize>>,
    pub decided_on: NaiveDate,
}

/// The share of children in care who begin a sibling group with children after them.
const GROUP_RATE: f64 = 0.12;
/// Salts the seed of the sibling groups' own stream ("siblings").
const SIBLINGS_STREAM: u64 = 0x7369_626c_696e_6773;

/// The cohort's sibling groups, in the order of their first member.
pub fn sibling_groups(config: &CohortConfig, scripts: &[ChildScript]) -> Vec<SiblingGroupScript> {
    // The children in care on `today`, with the day their current period began.
    let in_care: Vec<(usize, NaiveDate)> = scripts
        .iter()
        .enumerate()
        .filter_map(|(i, script)| {
            let last = script.periods.last()?;
            last.closed()
                .is_none()
                .then_some((i, last.enter.entered_care_on))
        })
        .collect();
    let mut grouped = vec![false; scripts.len()];
    let mut out = Vec::new();
    for (at, &(first, entered)) in in_care.iter().enumerate() {
        if grouped[first] {
            continue;
        }
        let mut rng = SplitMix64::stream(config.seed ^ SIBLINGS_STREAM, first as u64);
        if !rng.chance(GROUP_RATE) {
            continue;
        }
        let size = rng.pick(&[(2usize, 70), (3, 25), (4, 5)]);
        let authority = &scripts[first].child.local_authority;
        let mut members = vec![first];
        let mut latest = entered;
        for &(other, other_entered) in &in_care[at + 1..] {
            if members.len() == size {
                break;
            }
            if !grouped[other] && scripts[other].child.local_authority == *authority {
                members.push(other);
                latest = latest.max(other_entered);
            }
        }
        if members.len() < 2 {
            continue;
        }
        for m in &members {
            grouped[*m] = true;
        }
        let placing = if members.len() > 2 {
            rng.pick(&[
                (Placing::Together, 55),
                (Placing::Apart, 25),
                (Placing::SomeTogether, 20),
            ])
        } else {
            rng.pick(&[(Placing::Together, 65), (Placing::Apart, 35)])
        };
        let reason = (placing != Placing::Together).then(|| {
            rng.pick(&[
                (ApartReason::NoCarersForGroup, 40),
                (ApartReason::AssessedNeeds, 30),
                (ApartReason::WishesAndFeelings, 10),
                (ApartReason::CourtDecision, 10),
                (ApartReason::SafetyOfAChild, 10),
            ])
        });
        // Some together: the eldest two together, the others apart.
        let placed_together = if placing == Placing::SomeTogether {
            vec![members[..2].to_vec()]
        } else {
            vec![]
        };
        let after = u64::try_from(rng.between(7, 60)).unwrap_or(7);
        let decided_on = latest
            .checked_add_days(Days::new(after))
            .unwrap_or(latest)
            .min(config.today);
        out.push(SiblingGroupScript {
            members,
            placing,
            reason,
            placed_together,
            decided_on,
        });
    }
    out
}

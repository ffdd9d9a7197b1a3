//! Children who live at home with the Public Law Outline under way or behind them (DOMAIN.md
//! §2), beside the cohort of children in care: the legal gateway meeting's decision to enter
//! pre-proceedings, the letter and the meeting, then a step down, or proceedings issued and
//! ended with a supervision order or no order (a care or placement order would make the
//! child looked after, and children in care are the cohort's). Some rounds are still under
//! way, and some of those past their 16 weeks, so that the drift board has something to show.
//!
//! Each child is drawn from a stream of its own, apart from every child in care's, so that
//! adding them changed no history of the cohort and the national return stays as it was
//! (children at home are not in it).

use crate::generate::{ETHNICITY, add_days};
use crate::rng::SplitMix64;
use crate::{CohortConfig, DEFAULT_LOCAL_AUTHORITY, DEFAULT_TEAMS};
use chrono::NaiveDate;
use permanence_domain::child::{ChildFacts, NewChild};
use permanence_domain::codes::Sex;
use permanence_domain::legal::{FinalOrder, LegalStep};

/// One child at home for this many children in care.
const CHILDREN_IN_CARE_PER_CHILD_AT_HOME: usize = 25;
/// Keeps the children at home's streams apart from the children in care's.
const AT_HOME_STREAM: u64 = 0x6174_686f_6d65; // "athome"

/// A child at home and the legal steps to record for them, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtHomeScript {
    pub child: NewChild,
    /// The team that holds the child's case.
    pub team: String,
    pub steps: Vec<(NaiveDate, LegalStep)>,
}

/// The children at home that go with a cohort of `config.children` in care.
pub fn children_at_home(config: &CohortConfig) -> Vec<AtHomeScript> {
    (0..config.children / CHILDREN_IN_CARE_PER_CHILD_AT_HOME)
        .map(|index| child_at_home(config, index))
        .collect()
}

fn child_at_home(config: &CohortConfig, index: usize) -> AtHomeScript {
    let mut rng = SplitMix64::stream(config.seed ^ AT_HOME_STREAM, index as u64);
    let today = config.today;
    let pick = |rng: &mut SplitMix64, from: &[String], default: &[&str]| {
        if from.is_empty() {
            default[rng.below(default.len() as u64) as usize].to_owned()
        } else {
            from[rng.below(from.len() as u64) as usize].clone()
        }
    };
    let local_authority = pick(
        &mut rng,
        &config.local_authorities,
        &[DEFAULT_LOCAL_AUTHORITY],
    );
    let team = pick(&mut rng, &config.teams, DEFAULT_TEAMS);
    // Rounds begun in the last eighteen months, for children from a month old to fifteen.
    let started = add_days(today, -rng.between(14, 540));
    let birth_date = add_days(started, -rng.between(30, 15 * 365));
    let sex = if rng.chance(0.52) {
        Sex::Male
    } else {
        Sex::Female
    };
    let ethnicity = rng.pick(ETHNICITY).to_owned();
    let letter = add_days(started, rng.between(1, 7));
    let meeting = add_days(letter, rng.between(3, 10));
    let mut steps = vec![
        (started, LegalStep::PreProceedingsStarted),
        (letter, LegalStep::LetterBeforeProceedingsSent),
        (meeting, LegalStep::PreProceedingsMeetingHeld),
    ];
    // About two in five step down, a third go to court, and a quarter stay in
    // pre-proceedings, many of those past their sixteen weeks.
    let outcome = rng.unit();
    if outcome < 0.4 {
        // Enough changed at home: stepped down after 8 to 24 weeks.
        let down = add_days(started, rng.between(8 * 7, 24 * 7)).max(meeting);
        steps.push((down, LegalStep::PreProceedingsSteppedDown));
    } else if outcome < 0.75 {
        let issued = add_days(started, rng.between(10 * 7, 20 * 7)).max(meeting);
        let hearing = add_days(issued, rng.between(12, 18));
        steps.push((issued, LegalStep::ProceedingsIssued));
        steps.push((hearing, LegalStep::CaseManagementHearingHeld));
        if rng.chance(0.7) {
            let order = if rng.chance(0.7) {
                FinalOrder::SupervisionOrder
            } else {
                FinalOrder::NoOrder
            };
            let final_on = add_days(issued, rng.between(150, 200));
            steps.push((final_on, LegalStep::FinalHearingHeld { order }));
        }
    }
    // Nothing after today: a round that runs past it stops where it reached.
    steps.retain(|(on, _)| *on <= today);
    AtHomeScript {
        child: NewChild {
            local_authority,
            reference: format!("H{:07}", index + 1),
            birth_date,
            sex,
            ethnicity,
            name: None,
            facts: ChildFacts::default(),
        },
        team,
        steps,
    }
}

//! The national return's facts of a generated cohort: postcodes, Ofsted URNs, categories of
//! need, reasons for placement changes, review participation, pupil numbers and motherhood.
//!
//! They are filled in after a child's history is generated, from hashes of the seed, the
//! child and the carer rather than from the child's random stream, so that adding them left
//! every generated history (and the cohort's statistics) as it was. A carer has one postcode
//! and one registration whoever they look after, as in life. Postcodes are real (the
//! national validator looks them up in the ONS postcode directory): the authority's own for
//! its own provision, and a neighbour's for some placements made by others.

use crate::ChildScript;
use crate::age::age_on;
use crate::rng::mix64;
use chrono::{Datelike, Days, NaiveDate};
use permanence_domain::case::Command;
use permanence_domain::child::ChildFacts;
use permanence_domain::codes::{
    AdopterLegalStatus as Lsa, AdopterSex as Sa, CategoryOfNeed as Cin,
    PlacementChangeReason as Why, PlacementProvider as Pr, PlacementType as Pt,
    ReviewParticipation as Pn, Sex,
};
use permanence_domain::panel::PanelPurpose;
use permanence_domain::return_facts::{Adopters, PlacementDetails};

mod postcodes;
pub use postcodes::{IN_AREA, NEARBY};

/// Categories of need of children looked after (DfE, 31 March 2023), per mille.
const NEEDS: &[(Cin, u32)] = &[
    (Cin::N1, 650),
    (Cin::N2, 30),
    (Cin::N3, 30),
    (Cin::N4, 80),
    (Cin::N5, 140),
    (Cin::N6, 10),
    (Cin::N7, 5),
    (Cin::N8, 55),
];

/// Why a placement ended when the child moved for a reason other than the plan.
const MOVES: &[(Why, u32)] = &[
    (Why::Carpl, 40),
    (Why::Creqb, 15),
    (Why::Creqo, 14),
    (Why::Child, 8),
    (Why::Lareq, 10),
    (Why::Stand, 4),
    (Why::Alleg, 3),
    (Why::Close, 2),
    (Why::Other, 4),
];

/// How children aged 4 and over took part in their reviews.
const PARTICIPATION: &[(Pn, u32)] = &[
    (Pn::Pn1, 35),
    (Pn::Pn2, 8),
    (Pn::Pn3, 7),
    (Pn::Pn4, 10),
    (Pn::Pn5, 15),
    (Pn::Pn6, 15),
    (Pn::Pn7, 10),
];

/// Who adopts children from care (DfE: about one in eight adoptions is by a single
/// adopter, about one in six by a same-sex couple).
const ADOPTERS: &[((Sa, Lsa), u32)] = &[
    ((Sa::Mf, Lsa::L11), 58),
    ((Sa::Mf, Lsa::L3), 6),
    ((Sa::Mf, Lsa::L2), 2),
    ((Sa::Mm, Lsa::L12), 5),
    ((Sa::Ff, Lsa::L12), 4),
    ((Sa::Mm, Lsa::L2), 3),
    ((Sa::Ff, Lsa::L2), 3),
    ((Sa::Mm, Lsa::L4), 2),
    ((Sa::Ff, Lsa::L4), 2),
    ((Sa::F1, Lsa::L0), 12),
    ((Sa::M1, Lsa::L0), 3),
];

/// Independent fostering and adoption agencies the authority uses (PR4, PR5 and PR2).
const AGENCIES: u64 = 12;

/// A stable hash of the seed and some parts (FNV-1a over the bytes, then SplitMix).
fn hash(seed: u64, parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ mix64(seed);
    for part in parts {
        for byte in *part {
            h = (h ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
        h = mix64(h ^ 0x2f);
    }
    mix64(h)
}

fn pick<T: Copy>(h: u64, items: &[(T, u32)]) -> T {
    let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
    let mut at = h % total.max(1);
    for (item, weight) in items {
        if at < u64::from(*weight) {
            return *item;
        }
        at -= u64::from(*weight);
    }
    items[items.len() - 1].0
}

fn from<'a>(list: &[&'a str], h: u64) -> &'a str {
    list[(h % list.len() as u64) as usize]
}

/// An Ofsted URN of a children's social care provider: SC and six digits.
fn urn(h: u64) -> String {
    format!("SC{:06}", 100_000 + h % 900_000)
}

/// Whether the placement's provider is registered with Ofsted, so that the return carries
/// its URN (SSDA903 rule 218 lists the placements that have none).
fn has_urn(placement: Pt) -> bool {
    !matches!(
        placement,
        Pt::P1
            | Pt::P2
            | Pt::P3
            | Pt::R1
            | Pt::R2
            | Pt::R5
            | Pt::T0
            | Pt::T1
            | Pt::T2
            | Pt::T3
            | Pt::T4
            | Pt::Z1
    )
}

/// Fills in the return's facts of one generated child.
pub(crate) fn enrich(script: &mut ChildScript, seed: u64, today: NaiveDate) {
    let reference = script.child.reference.clone();
    let who = reference.as_bytes();
    let child = &mut script.child;
    let la = child.local_authority.as_bytes().to_vec();
    child.facts = child_facts(
        seed,
        who,
        child.sex,
        child.birth_date,
        today,
        &script.periods,
    );
    let birth = child.birth_date;
    for (p, period) in script.periods.iter_mut().enumerate() {
        let period_no = [u8::try_from(p).unwrap_or(u8::MAX)];
        let home = from(IN_AREA, hash(seed, &[who, b"home", &period_no])).to_owned();
        let need = pick(hash(seed, &[who, b"need", &period_no]), NEEDS);
        let mut carer = period.enter.carer.clone();
        let (postcode, registration) = place_of(
            seed,
            &la,
            &home,
            period.enter.placement,
            period.enter.provider,
            carer.as_deref(),
            None,
        );
        let mut last_postcode = Some(postcode.clone());
        period.enter.details = PlacementDetails {
            home_postcode: Some(home.clone()),
            placement_postcode: Some(postcode),
            urn: registration,
            need: Some(need),
            previous_placement_ended: None,
            reason_new_episode: None,
        };
        // Indexed without the visits (drawn apart, and never in the return), so that the
        // facts drawn for every other command are what they were before visits were recorded.
        let commands = period
            .commands
            .iter_mut()
            .filter(|c| !matches!(c, Command::RecordVisit { .. }));
        for (i, command) in commands.enumerate() {
            let index = i.to_le_bytes();
            match command {
                Command::RecordEpisode {
                    placement: new_placement,
                    provider,
                    carer: new_carer,
                    details,
                    ..
                } => {
                    let Some(next) = *new_placement else {
                        continue;
                    };
                    let next_carer = new_carer.clone().or_else(|| carer.clone());
                    let same_carer = next_carer == carer;
                    let moved_from = if same_carer {
                        None
                    } else {
                        last_postcode.as_deref()
                    };
                    let (postcode, registration) = place_of(
                        seed,
                        &la,
                        &home,
                        next,
                        *provider,
                        next_carer.as_deref(),
                        moved_from,
                    );
                    last_postcode = Some(postcode.clone());
                    let why = if let Some(broke_down) = details.previous_placement_ended {
                        // A placement breakdown says why it ended.
                        broke_down
                    } else if same_carer || next.is_placed_for_adoption() || next == Pt::P1 {
                        // The plan moved the child on (or only the placement's status changed).
                        if same_carer { Why::Place } else { Why::Carpl }
                    } else {
                        pick(hash(seed, &[who, b"move", &period_no, &index]), MOVES)
                    };
                    *details = PlacementDetails {
                        home_postcode: None,
                        placement_postcode: Some(postcode),
                        urn: registration,
                        need: None,
                        previous_placement_ended: Some(why),
                        reason_new_episode: None,
                    };
                    carer = next_carer;
                }
                Command::RecordReview { on, participation } => {
                    *participation = Some(if age_on(birth, *on) < 4 {
                        Pn::Pn0
                    } else {
                        pick(
                            hash(seed, &[who, b"review", &index, &period_no]),
                            PARTICIPATION,
                        )
                    });
                }
                _ => {}
            }
        }
        // The adopters are recorded with each match decision (a match after a placement
        // breakdown is with new adopters), the last first so that the positions hold.
        let matched: Vec<usize> = period
            .commands
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                matches!(
                    c,
                    Command::RecordAgencyDecision {
                        purpose: PanelPurpose::AdoptionMatch,
                        agrees: true,
                        ..
                    }
                )
            })
            .map(|(at, _)| at)
            .collect();
        for (n, at) in matched.into_iter().enumerate().rev() {
            let Command::RecordAgencyDecision { on, .. } = period.commands[at] else {
                continue;
            };
            // The first match's adopters draw as they always have; later ones their own.
            let again = u8::try_from(n).unwrap_or(u8::MAX).to_le_bytes();
            let key: &[&[u8]] = if n == 0 {
                &[who, b"adopters", &period_no]
            } else {
                &[who, b"adopters", &period_no, &again]
            };
            let (sex, legal_status) = pick(hash(seed, key), ADOPTERS);
            period.commands.insert(
                at + 1,
                Command::RecordAdopters {
                    on,
                    adopters: Adopters { sex, legal_status },
                },
            );
        }
    }
}

/// Where a placement is: its postcode (the carer's or the home's own for a child placed with
/// parents) and its Ofsted registration.
fn place_of(
    seed: u64,
    la: &[u8],
    home: &str,
    placement: Pt,
    provider: Option<Pr>,
    carer: Option<&str>,
    moved_from: Option<&str>,
) -> (String, Option<String>) {
    if placement == Pt::P1 {
        return (home.to_owned(), None);
    }
    let carer = carer.unwrap_or("none").as_bytes();
    let h = hash(seed, &[b"carer", carer]);
    // The authority's own provision is within its boundary (SSDA903 rule 1015); others place
    // some children with neighbours.
    let list = match provider {
        Some(Pr::PR2) => NEARBY,
        Some(Pr::PR4 | Pr::PR5) if h % 10 < 3 => NEARBY,
        _ => IN_AREA,
    };
    // Two carers can share a postcode, but a move must show in the return: the placement
    // postcode differs from the home's (rule 392d) and from the carer moved from (rule 435).
    let mut at = h >> 8;
    let mut postcode = from(list, at);
    while postcode == home || Some(postcode) == moved_from {
        at = at.wrapping_add(1);
        postcode = from(list, at);
    }
    let registration = has_urn(placement).then(|| {
        if placement.is_foster() || placement.is_placed_for_adoption() {
            // Foster carers and adopters are approved by a fostering or adoption service.
            match provider {
                Some(Pr::PR1) | None => urn(hash(seed, &[b"service", la])),
                _ => urn(hash(seed, &[b"agency", &[(h % AGENCIES) as u8]])),
            }
        } else {
            urn(h)
        }
    });
    (postcode.to_owned(), registration)
}

/// A pupil number with its check letter (DfE: LA number, school, year, serial), and whether
/// a girl is a mother.
fn child_facts(
    seed: u64,
    who: &[u8],
    sex: Sex,
    birth: NaiveDate,
    today: NaiveDate,
    periods: &[crate::PeriodScript],
) -> ChildFacts {
    let h = hash(seed, &[who, b"upn"]);
    let school = 2000 + h % 1000;
    let year = (birth.year() + 5).rem_euclid(100);
    let serial = (h >> 20) % 1000;
    let body = format!("873{school:04}{year:02}{serial:03}");
    let upn = format!("{}{body}", upn_check_letter(&body));
    let mut facts = ChildFacts {
        upn: Some(upn),
        mother: None,
        first_child_born_on: None,
    };
    if sex == Sex::Female {
        facts.mother = Some(false);
        let entered = periods.last().map(|p| p.enter.entered_care_on);
        let m = hash(seed, &[who, b"mother"]);
        if let Some(entered) = entered
            && age_on(birth, entered) >= 15
            && m % 100 < 6
        {
            let born = entered + Days::new(30 + (m >> 8) % 300);
            if born <= today {
                facts.mother = Some(true);
                facts.first_child_born_on = Some(born);
            }
        }
    }
    facts
}

/// The check letter of a unique pupil number: the weighted sum of the 12 digits (weights 2
/// to 13) modulo 23, as a letter of A–Z without I, O and S.
pub fn upn_check_letter(digits: &str) -> char {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRTUVWXYZ";
    let sum: u32 = digits
        .bytes()
        .zip(2u32..)
        .map(|(b, weight)| u32::from(b.wrapping_sub(b'0')) * weight)
        .sum();
    LETTERS[(sum % 23) as usize] as char
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_are_written_as_postcodes() {
        for postcode in IN_AREA.iter().chain(NEARBY) {
            let written = permanence_domain::return_facts::normalise_postcode(postcode, "p")
                .expect("a valid postcode");
            assert_eq!(&written, postcode);
        }
    }

    #[test]
    fn upns_carry_their_check_letter() {
        let upn = permanence_domain::return_facts::check_upn(&format!(
            "{}873200119001",
            upn_check_letter("873200119001")
        ))
        .expect("valid");
        assert_eq!(upn.len(), 13);
    }
}

//! The generator: one child at a time, one period of care at a time.
//!
//! A period is built as separate tracks (the route plans, the legal track, placements and
//! legal statuses, the care-planning spine), each in date order, then merged by date. The
//! tracks only depend on each other through dates that are worked out before they are
//! written (the placement order is the final hearing's date and the E1 episode's), so the
//! merged script is accepted by the domain, and so is every prefix of it: cutting the
//! script at `today` leaves a case open at the step it reached.
//!
//! Figures (DfE, children looked after in England, and the adoption scorecard) that the
//! tables and durations aim at:
//! - age at entry: under 1 about 18%, 1–4 16%, 5–9 17%, 10–15 34%, 16 and over 15%;
//! - leavers: about 9% adopted, 12% special guardianship, 4% child arrangements order,
//!   a third home to parents or family, the rest at 18 or for other reasons;
//! - entering care to the SHOBPA decision about 6 months, the decision to the match about
//!   8 months, entering care to moving in with adopters (A1) about 15 months (the national
//!   average for 2015–18 was 486 days);
//! - care proceedings planned around 23 weeks, but the route's own pace (an adoption
//!   decision before the placement order, a special guardianship assessment) pushes about
//!   half past 26 weeks, with 8-week extensions as the law allows;
//! - sex: 56% male.
//! - adoptive placements that break down before the order (disruptions): a few percent
//!   (research puts it at 2–9%); the child moves to foster carers and is matched again.

use crate::age::{age_band, age_on};
use crate::rng::{SplitMix64, mix64};
use crate::{ChildScript, CohortConfig, DEFAULT_LOCAL_AUTHORITY, DEFAULT_TEAMS, Drift};
use crate::{EnterCareFacts, PeriodScript};
use chrono::{Datelike, Days, Months, NaiveDate};
use permanence_domain::Route;
use permanence_domain::calendar::add_working_days;
use permanence_domain::case::{Command, FinalOrder, LegalStep, PlanRole};
use permanence_domain::child::NewChild;
use permanence_domain::codes::{
    LegalStatus as Ls, PlacementChangeReason as Why, PlacementProvider as Pr, PlacementType as Pt,
    ReasonCeased as Rc, ReversalReason, Sex,
};
use permanence_domain::panel::{PanelOutcome, PanelPurpose};
use permanence_domain::route::steps;

/// Generates the cohort: `config.children` children, each from its own random stream.
pub fn generate(config: &CohortConfig) -> Vec<ChildScript> {
    (0..config.children)
        .map(|index| {
            let mut script = child_script(config, index);
            crate::return_facts::enrich(&mut script, config.seed, config.today);
            script
        })
        .collect()
}

/// Age bands at entry (DfE): under 1, 1–4, 5–9, 10–15, 16 and over.
const AGE_BANDS: &[(usize, u32)] = &[(0, 19), (1, 16), (2, 17), (3, 33), (4, 15)];

/// SSDA903 ethnicity of children looked after in England (DfE, 31 March 2023), per mille.
pub(crate) const ETHNICITY: &[(&str, u32)] = &[
    ("WBRI", 640),
    ("WIRI", 4),
    ("WIRT", 4),
    ("WROM", 6),
    ("WOTH", 56),
    ("MWBC", 42),
    ("MWBA", 14),
    ("MWAS", 10),
    ("MOTH", 36),
    ("AIND", 6),
    ("APKN", 12),
    ("ABAN", 5),
    ("AOTH", 26),
    ("BCRB", 16),
    ("BAFR", 34),
    ("BOTH", 20),
    ("CHNE", 1),
    ("OOTH", 46),
    ("REFU", 2),
    ("NOBT", 20),
];

/// Where a period of care is heading when it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// Placement order, match, placement, adoption order.
    Adoption,
    /// A relinquished baby: panel recommendation, decision and placement with consent.
    AdoptionConsent,
    /// An adoption decision that is later reversed (RD1–RD4).
    AdoptionReversed,
    SpecialGuardianship,
    Reunification,
    LongTermFostering,
    ChildArrangements,
    /// No order ends the period: the young person stays until 18.
    StayTo18,
    /// Leaves before 18 for another reason (home unplanned, to family, another authority...).
    LeaveEarly,
}

/// Plans by age band at entry. Tuned so that the leavers of a ten-year cohort come out near
/// the national proportions (adoption about 9%, special guardianship about 12%).
fn plans_for(band: usize) -> &'static [(Plan, u32)] {
    match band {
        0 => &[
            (Plan::Adoption, 38),
            (Plan::AdoptionConsent, 2),
            (Plan::AdoptionReversed, 11),
            (Plan::SpecialGuardianship, 17),
            (Plan::Reunification, 17),
            (Plan::LongTermFostering, 6),
            (Plan::ChildArrangements, 4),
            (Plan::LeaveEarly, 8),
        ],
        1 => &[
            (Plan::Adoption, 18),
            (Plan::AdoptionReversed, 9),
            (Plan::SpecialGuardianship, 18),
            (Plan::Reunification, 21),
            (Plan::LongTermFostering, 14),
            (Plan::ChildArrangements, 5),
            (Plan::LeaveEarly, 13),
        ],
        2 => &[
            (Plan::Adoption, 2),
            (Plan::AdoptionReversed, 2),
            (Plan::SpecialGuardianship, 13),
            (Plan::Reunification, 26),
            (Plan::LongTermFostering, 30),
            (Plan::ChildArrangements, 5),
            (Plan::LeaveEarly, 22),
        ],
        3 => &[
            (Plan::SpecialGuardianship, 4),
            (Plan::Reunification, 23),
            (Plan::LongTermFostering, 26),
            (Plan::ChildArrangements, 2),
            (Plan::StayTo18, 10),
            (Plan::LeaveEarly, 35),
        ],
        _ => &[
            (Plan::Reunification, 12),
            (Plan::StayTo18, 60),
            (Plan::LeaveEarly, 28),
        ],
    }
}

/// 31 March of the collection year (1 April to 31 March) that `day` falls in.
fn end_of_collection_year(day: NaiveDate) -> NaiveDate {
    let ending = if day.month() >= 4 {
        day.year() + 1
    } else {
        day.year()
    };
    NaiveDate::from_ymd_opt(ending, 3, 31).unwrap_or(day)
}

pub(crate) fn add_days(day: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        day.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        day.checked_sub_days(Days::new(days.unsigned_abs()))
    }
    .unwrap_or(day)
}

fn add_months(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_add_months(Months::new(months)).unwrap_or(day)
}

fn days_from(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

/// What stays the same across a child's periods of care.
struct Child<'a> {
    config: &'a CohortConfig,
    reference: String,
    birth: NaiveDate,
    eighteen: NaiveDate,
    team: String,
}

fn child_script(config: &CohortConfig, index: usize) -> ChildScript {
    let mut rng = SplitMix64::stream(config.seed, index as u64);
    let today = config.today;
    let start = config.start.min(today);
    let local_authority = if config.local_authorities.is_empty() {
        DEFAULT_LOCAL_AUTHORITY.to_owned()
    } else {
        config.local_authorities[rng.below(config.local_authorities.len() as u64) as usize].clone()
    };
    let team = if config.teams.is_empty() {
        DEFAULT_TEAMS[rng.below(DEFAULT_TEAMS.len() as u64) as usize].to_owned()
    } else {
        config.teams[rng.below(config.teams.len() as u64) as usize].clone()
    };
    let entered = add_days(start, rng.between(0, days_from(start, today)));
    let band = rng.pick(AGE_BANDS);
    let age_days = match band {
        // Many babies are removed at birth.
        0 if rng.chance(0.45) => rng.between(0, 7),
        0 => rng.between(8, 364),
        1 => rng.between(365, 5 * 365),
        2 => rng.between(5 * 365 + 2, 10 * 365 + 1),
        3 => rng.between(10 * 365 + 3, 16 * 365 + 2),
        _ => rng.between(16 * 365 + 4, 17 * 365 + 300),
    };
    let mut birth = add_days(entered, -age_days);
    // Keep the band exact whatever leap days fall between.
    while age_band(age_on(birth, entered)) > band {
        birth = add_days(birth, 1);
    }
    while age_band(age_on(birth, entered)) < band {
        birth = add_days(birth, -1);
    }
    let eighteen = add_months(birth, 18 * 12);
    let sex = if rng.chance(0.56) {
        Sex::Male
    } else {
        Sex::Female
    };
    let ethnicity = rng.pick(ETHNICITY).to_owned();
    let reference = format!("C{:07}", index + 1);
    let child = Child {
        config,
        reference: reference.clone(),
        birth,
        eighteen,
        team,
    };
    let mut periods = Vec::new();
    let plan = rng.pick(plans_for(band));
    let (first, left) = Period::build(&mut rng, &child, entered, plan, false);
    periods.push(first);
    // Some children who go home come back into care (about 5% of all children).
    if let Some((left_on, reason)) = left
        && reason.is_return_home()
        && rng.chance(0.25)
    {
        let back = add_days(left_on, rng.skewed(300.0, 0.6, 0.9, 30));
        let age = age_on(birth, back);
        if back <= today && age <= 16 {
            let plan = loop {
                let plan = rng.pick(plans_for(age_band(age)));
                // A second try at going home is less likely than the first.
                if plan != Plan::Reunification || rng.chance(0.4) {
                    break plan;
                }
            };
            let (second, _) = Period::build(&mut rng, &child, back, plan, true);
            periods.push(second);
        }
    }
    ChildScript {
        child: NewChild {
            local_authority,
            reference,
            birth_date: birth,
            sex,
            ethnicity,
            name: None,
            facts: Default::default(),
        },
        periods,
    }
}

/// How a period of care ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leaving {
    Reason(Rc),
    /// At 18: staying put with foster carers (E17) when in foster care, otherwise E8.
    AtEighteen,
}

#[derive(Clone, Debug)]
struct Item {
    on: NaiveDate,
    seq: u32,
    command: Command,
}

#[derive(Clone, Debug)]
enum Change {
    Legal(Ls),
    Move {
        placement: Pt,
        provider: Pr,
        carer: String,
    },
    /// The child is in foster care by now (a long-term match needs a foster carer).
    EnsureFoster,
    /// The long-term match is confirmed with the current carer: U6 → U4, U3 → U1.
    LongTermConfirmed,
    /// Placed for adoption: with the current carer when they are approved adopters
    /// (U5 → A5, or A3 by consent), otherwise with new adopters (A6, or A4 by consent).
    PlacedForAdoption {
        order: bool,
    },
    /// Placed with parents (P1, PR0); not for a child accommodated under section 20.
    WithParents,
    /// The adoptive placement broke down: the child moves to foster carers (U6).
    Disrupted {
        provider: Pr,
        carer: String,
        reason: Why,
    },
}

#[derive(Clone, Debug)]
struct EpisodeIntent {
    on: NaiveDate,
    seq: u32,
    change: Change,
    /// Belongs to a route step: dropped when the route stalls before it.
    linked: bool,
}

#[derive(Clone, Copy, Debug)]
struct Proceedings {
    issued: NaiveDate,
    planned_final: NaiveDate,
    final_hearing: Option<(NaiveDate, FinalOrder)>,
}

/// A point where a route can stall with an overdue follow-through after a panel.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    /// Index of the route item after which the route stops.
    index: usize,
    on: NaiveDate,
    route: Route,
    step: &'static str,
}

struct Period<'a, 'c> {
    rng: &'a mut SplitMix64,
    child: &'a Child<'c>,
    entered: NaiveDate,
    seq: u32,
    route: Vec<Item>,
    /// The route track's latest date: route commands never go back in time.
    cursor: NaiveDate,
    episodes: Vec<EpisodeIntent>,
    pre_proceedings: Option<(NaiveDate, NaiveDate, NaiveDate)>,
    stepped_down: Option<NaiveDate>,
    proceedings: Option<Proceedings>,
    candidates: Vec<Candidate>,
    /// From this day the child's placement belongs to the route: no other moves.
    anchor: NaiveDate,
    close: Option<(NaiveDate, Leaving)>,
    enter: EnterCareFacts,
    /// A second period of care: the child came back.
    reentry: bool,
}

impl<'a, 'c> Period<'a, 'c> {
    /// Builds a period of care; answers with its script and, when it ended by `today`, how.
    fn build(
        rng: &'a mut SplitMix64,
        child: &'a Child<'c>,
        entered: NaiveDate,
        plan: Plan,
        reentry: bool,
    ) -> (PeriodScript, Option<(NaiveDate, Rc)>) {
        let team = child.team.clone();
        let worker = worker_name(rng, &team);
        let period = Period {
            rng,
            child,
            entered,
            seq: 0,
            route: Vec::new(),
            cursor: entered,
            episodes: Vec::new(),
            pre_proceedings: None,
            stepped_down: None,
            proceedings: None,
            candidates: Vec::new(),
            anchor: NaiveDate::MAX,
            reentry,
            close: None,
            enter: EnterCareFacts {
                entered_care_on: entered,
                legal_status: Ls::V2,
                placement: Pt::U6,
                provider: Some(Pr::PR1),
                carer: None,
                team: Some(team),
                allocated_worker: Some(worker),
                details: Default::default(),
            },
        };
        period.run(plan)
    }

    fn next_seq(&mut self) -> u32 {
        self.seq += 1;
        self.seq
    }

    fn age(&self) -> i32 {
        age_on(self.child.birth, self.entered)
    }

    fn today(&self) -> NaiveDate {
        self.child.config.today
    }

    // ----- the route track ------------------------------------------------------------------

    fn push_route(
        &mut self,
        on: NaiveDate,
        command: impl FnOnce(NaiveDate) -> Command,
    ) -> NaiveDate {
        let on = on.max(self.cursor);
        self.cursor = on;
        let seq = self.next_seq();
        self.route.push(Item {
            on,
            seq,
            command: command(on),
        });
        on
    }

    fn set_plan(&mut self, route: Route, role: PlanRole, on: NaiveDate) -> NaiveDate {
        self.push_route(on, |on| Command::SetRoutePlan { route, role, on })
    }

    fn step(&mut self, route: Route, step: &str, on: NaiveDate) -> NaiveDate {
        let step = step.to_owned();
        self.push_route(on, |on| Command::RecordRouteStep { route, step, on })
    }

    fn panel(&mut self, purpose: PanelPurpose, on: NaiveDate) -> NaiveDate {
        self.push_route(on, |on| Command::RecordPanelOutcome {
            purpose,
            outcome: PanelOutcome::Recommended,
            on,
        })
    }

    fn deferral(&mut self, purpose: PanelPurpose, on: NaiveDate, reason: &str) -> NaiveDate {
        let weeks = self.rng.between(4, 8);
        let reason = reason.to_owned();
        self.push_route(on, |on| Command::RecordPanelOutcome {
            purpose,
            outcome: PanelOutcome::Deferred {
                reason,
                return_by: add_days(on, weeks * 7),
            },
            on,
        })
    }

    fn decision(&mut self, purpose: PanelPurpose, on: NaiveDate) -> NaiveDate {
        self.push_route(on, |on| Command::RecordAgencyDecision {
            purpose,
            agrees: true,
            on,
        })
    }

    fn reverse(&mut self, on: NaiveDate, reason: ReversalReason) -> NaiveDate {
        self.push_route(on, |on| Command::ReverseAdoptionDecision { on, reason })
    }

    /// Marks the route item just pushed as a point where the case may be left drifting.
    fn may_stall(&mut self, route: Route, step: &'static str) {
        if let Some(last) = self.route.last() {
            self.candidates.push(Candidate {
                index: self.route.len() - 1,
                on: last.on,
                route,
                step,
            });
        }
    }

    fn episode(&mut self, on: NaiveDate, change: Change, linked: bool) {
        let seq = self.next_seq();
        self.episodes.push(EpisodeIntent {
            on,
            seq,
            change,
            linked,
        });
    }

    fn anchor_at(&mut self, on: NaiveDate) {
        self.anchor = self.anchor.min(on);
    }

    fn leave(&mut self, on: NaiveDate, how: Leaving) {
        self.close = Some((on, how));
    }

    /// A plan "at a review" in the first weeks or months.
    fn plan_day(&mut self, lo: i64, hi: i64) -> NaiveDate {
        add_days(self.entered, self.rng.between(lo, hi))
    }

    /// The final hearing still to come, when the court can still make the order a route
    /// needs: proceedings without a final order yet, or with only a care order pencilled in
    /// for a later day. `None` without proceedings.
    fn pending_final(&self) -> Option<NaiveDate> {
        let p = self.proceedings?;
        match p.final_hearing {
            None => Some(p.planned_final),
            Some((on, FinalOrder::CareOrder)) if on > self.cursor => Some(on),
            Some(_) => None,
        }
    }

    fn set_final(&mut self, on: NaiveDate, order: FinalOrder) {
        if let Some(p) = self.proceedings.as_mut()
            && p.final_hearing
                .is_none_or(|(_, pencilled)| pencilled == FinalOrder::CareOrder)
        {
            p.final_hearing = Some((on, order));
        }
    }

    // ----- the whole period -----------------------------------------------------------------

    fn run(mut self, plan: Plan) -> (PeriodScript, Option<(NaiveDate, Rc)>) {
        self.setup_entry(plan);
        match plan {
            Plan::Adoption => self.adoption(false),
            Plan::AdoptionConsent => self.adoption_by_consent(),
            Plan::AdoptionReversed => self.adoption(true),
            Plan::SpecialGuardianship => self.special_guardianship(None),
            Plan::Reunification => self.reunification(),
            Plan::LongTermFostering => self.long_term_fostering(None),
            Plan::ChildArrangements => self.child_arrangements(),
            Plan::StayTo18 => self.stay_to_eighteen(),
            Plan::LeaveEarly => self.leave_early(),
        }
        let drift = self.maybe_stall();
        // Nobody is looked after beyond their 18th birthday.
        let eighteen = self.child.eighteen;
        if drift.is_none() && self.close.is_none_or(|(on, _)| on > eighteen) {
            self.cut_route_after(eighteen);
            self.close = Some((eighteen, Leaving::AtEighteen));
        }
        self.finish(drift)
    }

    /// Proceedings, the legal status and placement on entering care.
    fn setup_entry(&mut self, plan: Plan) {
        let age = self.age();
        let in_proceedings = match plan {
            Plan::Adoption | Plan::AdoptionReversed => true,
            Plan::AdoptionConsent | Plan::StayTo18 | Plan::LeaveEarly => false,
            Plan::SpecialGuardianship => self.rng.chance(0.8),
            Plan::ChildArrangements => self.rng.chance(0.7),
            Plan::LongTermFostering => age < 16 && self.rng.chance(0.6),
            Plan::Reunification if age >= 16 => false,
            Plan::Reunification if age >= 10 => self.rng.chance(0.25),
            Plan::Reunification => self.rng.chance(0.5),
        };
        let entered = self.entered;
        let (status, issued) = if in_proceedings {
            match self.rng.pick(&[(0u8, 45), (1, 25), (2, 10), (3, 20)]) {
                // Interim care order at the first hearing, then removal.
                0 => (Ls::C1, entered),
                // Emergency protection order, then proceedings within days.
                1 => (Ls::L2, add_days(entered, self.rng.between(1, 7))),
                // Police protection, then proceedings.
                2 => (Ls::L1, add_days(entered, self.rng.between(1, 3))),
                // Accommodated first; proceedings follow.
                _ => (Ls::V2, add_days(entered, self.rng.between(14, 120))),
            }
        } else if age < 16 && self.rng.chance(0.12) {
            (Ls::L1, entered)
        } else {
            (Ls::V2, entered)
        };
        // Police protection or an emergency protection order again on coming back into care
        // is left out: the national validator joins two separate ones of a child in a year
        // into one longer than the law allows (SSDA903 rules 361 and 362). Accommodation
        // comes first instead. (Only the recorded status changes, so that the period's
        // random draws stay as they were.)
        self.enter.legal_status = if self.reentry && matches!(status, Ls::L1 | Ls::L2) {
            Ls::V2
        } else {
            status
        };
        if in_proceedings {
            let planned_final = add_days(issued, self.rng.skewed(160.0, 0.12, 0.25, 90));
            self.proceedings = Some(Proceedings {
                issued,
                planned_final,
                final_hearing: None,
            });
            if status != Ls::C1 {
                self.episode(issued, Change::Legal(Ls::C1), false);
            }
            // Pre-proceedings for most cases that were not emergencies.
            if matches!(status, Ls::C1 | Ls::V2) && self.rng.chance(0.6) {
                let started = add_days(issued, -self.rng.between(40, 130));
                let started = started.max(self.child.birth);
                let letter = add_days(started, self.rng.between(0, 7));
                let meeting = add_days(letter, self.rng.between(3, 14));
                if meeting < issued {
                    self.pre_proceedings = Some((started, letter, meeting));
                }
            }
        } else if status == Ls::L1 {
            let on = add_days(entered, self.rng.between(1, 3));
            self.episode(on, Change::Legal(Ls::V2), false);
        }
        // Some children accommodated under section 20 go through pre-proceedings in care
        // and step down without proceedings.
        if !in_proceedings && (1..16).contains(&age) && self.rng.chance(0.15) {
            let started = add_days(entered, self.rng.between(20, 150));
            let letter = add_days(started, self.rng.between(0, 7));
            let meeting = add_days(letter, self.rng.between(3, 14));
            self.pre_proceedings = Some((started, letter, meeting));
            self.stepped_down = Some(add_days(started, self.rng.between(56, 112)));
        }
        let (placement, provider, carer) = self.first_placement();
        self.enter.placement = placement;
        self.enter.provider = Some(provider);
        self.enter.carer = Some(carer);
    }

    fn first_placement(&mut self) -> (Pt, Pr, String) {
        let age = self.age();
        let kind = match age {
            0 => self.rng.pick(&[(Pt::U6, 78), (Pt::U3, 14), (Pt::R3, 8)]),
            1..=9 => self.rng.pick(&[(Pt::U6, 78), (Pt::U3, 18), (Pt::K2, 4)]),
            10..=15 => self.rng.pick(&[(Pt::U6, 60), (Pt::U3, 12), (Pt::K2, 28)]),
            _ => self.rng.pick(&[(Pt::U6, 50), (Pt::U3, 10), (Pt::K2, 40)]),
        };
        self.placement_of(kind)
    }

    fn placement_of(&mut self, kind: Pt) -> (Pt, Pr, String) {
        match kind {
            Pt::U3 | Pt::U1 => (kind, Pr::PR1, carer(self.rng, "RC", 900)),
            Pt::U5 | Pt::U2 => (
                kind,
                self.rng.pick(&[(Pr::PR1, 6), (Pr::PR2, 2), (Pr::PR5, 2)]),
                carer(self.rng, "FA", 200),
            ),
            Pt::K2 => (
                kind,
                self.rng.pick(&[(Pr::PR4, 75), (Pr::PR1, 25)]),
                carer(self.rng, "CH", 60),
            ),
            Pt::R3 => (
                kind,
                self.rng.pick(&[(Pr::PR4, 6), (Pr::PR1, 4)]),
                carer(self.rng, "FU", 20),
            ),
            _ => (
                kind,
                self.rng.pick(&[(Pr::PR1, 60), (Pr::PR4, 40)]),
                carer(self.rng, "FC", 600),
            ),
        }
    }

    // ----- routes ---------------------------------------------------------------------------

    /// Reunification first, with `route` in parallel, then `route` becomes the plan once
    /// the parents' assessment is done (twin-track planning). Answers the promotion date.
    fn twin_track(&mut self, route: Route, plan_on: NaiveDate) -> NaiveDate {
        let primary = self.set_plan(Route::Reunification, PlanRole::Primary, plan_on);
        let parallel = add_days(primary, self.rng.between(0, 21));
        self.set_plan(route, PlanRole::Parallel, parallel);
        let assessed = add_days(self.cursor, self.rng.skewed(45.0, 0.4, 0.6, 14));
        self.step(Route::Reunification, steps::PARENT_ASSESSMENT, assessed);
        let promoted = add_days(self.cursor, self.rng.between(7, 40));
        self.set_plan(route, PlanRole::Primary, promoted)
    }

    /// An adoption with a placement order; `reversed` turns it away from adoption.
    fn adoption(&mut self, reversed: bool) {
        let entered = self.entered;
        // Early permanence: babies placed with carers approved to foster and adopt.
        let early_permanence = !reversed && self.age() == 0 && self.rng.chance(0.15);
        if early_permanence {
            let (placement, provider, carer) = self.placement_of(Pt::U5);
            self.enter.placement = placement;
            self.enter.provider = Some(provider);
            self.enter.carer = Some(carer);
            self.anchor_at(entered);
        }
        let plan_on = self.plan_day(14, 100);
        if self.rng.chance(0.3) {
            self.twin_track(Route::Adoption, plan_on);
        } else {
            self.set_plan(Route::Adoption, PlanRole::Primary, plan_on);
        }
        // Entering care to the SHOBPA decision: about six months.
        let target = add_days(entered, self.rng.skewed(172.0, 0.3, 0.45, 45));
        let decided = self.step(
            Route::Adoption,
            steps::SHOBPA_DECISION,
            target.max(add_days(self.cursor, 7)),
        );
        let planned_final = self.pending_final().unwrap_or(decided);
        let final_on = planned_final.max(add_days(decided, self.rng.between(10, 50)));
        let reversal = reversed.then(|| {
            self.rng.pick(&[
                (ReversalReason::RD1, 25),
                (ReversalReason::RD2, 30),
                (ReversalReason::RD3, 35),
                (ReversalReason::RD4, 10),
            ])
        });
        // RD1 and RD4 come at any time after the decision; the others have their moment.
        let early_reversal = match reversal {
            Some(reason @ (ReversalReason::RD1 | ReversalReason::RD4)) => {
                let on = add_days(decided, self.rng.between(20, 240));
                (on < final_on).then_some((on, reason))
            }
            _ => None,
        };
        if let Some((on, reason)) = early_reversal {
            if self.rng.chance(0.5) {
                let found = add_days(decided, self.rng.between(3, 30));
                if found < on {
                    self.step(Route::Adoption, steps::FAMILY_FINDING, found);
                }
            }
            let on = self.reverse(on, reason);
            self.set_final(final_on, FinalOrder::CareOrder);
            return self.after_reversal(on);
        }
        if reversal == Some(ReversalReason::RD2) {
            // The court did not make a placement order.
            self.set_final(final_on, FinalOrder::CareOrder);
            let on = self.reverse(final_on, ReversalReason::RD2);
            return self.after_reversal(on);
        }
        let search_first = days_from(decided, final_on) > 10 && self.rng.chance(0.5);
        if search_first {
            let found = add_days(
                decided,
                self.rng
                    .between(3, days_from(decided, final_on).min(40) - 1),
            );
            self.step(Route::Adoption, steps::FAMILY_FINDING, found);
        }
        let ordered = self.step(Route::Adoption, steps::PLACEMENT_ORDER, final_on);
        self.set_final(ordered, FinalOrder::PlacementOrder);
        if !search_first {
            let found = add_days(ordered, self.rng.between(0, 30));
            self.step(Route::Adoption, steps::FAMILY_FINDING, found);
        }
        if let Some(reason) = reversal {
            // No adopters found (RD3), or the child's needs changed after the order.
            let on = add_days(self.cursor, self.rng.skewed(300.0, 0.4, 0.5, 60));
            let on = self.reverse(on, reason);
            // The placement order is revoked and the care order revives, within the collection
            // year of the reversal: the national return refuses a placement order (E1) in a
            // year that has no standing decision to place for adoption (SSDA903 rules 553 and
            // 118 together).
            let revoked = add_days(on, self.rng.between(30, 120)).min(end_of_collection_year(on));
            self.episode(revoked, Change::Legal(Ls::C2), false);
            return self.after_reversal(on);
        }
        // The SHOBPA decision to the match: about eight months.
        let matched = add_days(decided, self.rng.skewed(235.0, 0.3, 0.5, 60));
        let searched = self.cursor;
        let panel_on = add_days(matched, -self.rng.between(2, 9)).max(add_days(searched, 14));
        if self.rng.chance(0.06) {
            let deferred_on =
                add_days(panel_on, -self.rng.between(28, 56)).max(add_days(searched, 1));
            self.deferral(
                PanelPurpose::AdoptionMatch,
                deferred_on,
                "further information needed on the adoption support plan",
            );
        }
        let recommended = self.panel(PanelPurpose::AdoptionMatch, panel_on);
        self.may_stall(Route::Adoption, steps::MATCHING_PANEL_RECOMMENDATION);
        let decision_days = if self.rng.chance(0.1) {
            self.rng.between(12, 40)
        } else {
            self.rng.between(1, 9)
        };
        let matched = self.decision(
            PanelPurpose::AdoptionMatch,
            add_days(recommended, decision_days),
        );
        self.may_stall(Route::Adoption, steps::MATCH_DECISION);
        let introductions = if self.rng.chance(0.08) {
            self.rng.between(40, 90)
        } else {
            self.rng.between(7, 35)
        };
        let placed = self.step(
            Route::Adoption,
            steps::PLACED_FOR_ADOPTION,
            add_days(matched, introductions),
        );
        self.episode(placed, Change::PlacedForAdoption { order: true }, true);
        self.anchor_at(placed);
        let placed = self.maybe_break_down(placed);
        let dispensed = self.rng.chance(0.3);
        self.finish_adoption(placed, dispensed);
    }

    /// A few adoptive placements break down before the order (DOMAIN.md §3.1): the child
    /// moves to foster carers, the decision to place for adoption stands, and family finding
    /// starts again to a new match and placement. Answers the day of the placement that
    /// lasts. Its draws come from a stream of their own, so that every other child's history
    /// (and this child's, but for the breakdown) is what it was without breakdowns.
    fn maybe_break_down(&mut self, placed: NaiveDate) -> NaiveDate {
        let who = self
            .child
            .reference
            .bytes()
            .fold(0u64, |h, b| mix64(h ^ u64::from(b)));
        let mut side = SplitMix64::stream(self.child.config.seed ^ BREAKDOWN_STREAM, who);
        if !side.chance(BREAKDOWN_RATE) {
            return placed;
        }
        let reason = side.pick(&[
            (Why::Creqb, 40),
            (Why::Creqo, 30),
            (Why::Child, 10),
            (Why::Lareq, 10),
            (Why::Other, 10),
        ]);
        let broke = add_days(placed, side.between(14, 180));
        let broke = self.push_route(broke, |on| Command::RecordPlacementBreakdown {
            route: Route::Adoption,
            on,
            reason,
        });
        let provider = side.pick(&[(Pr::PR1, 60), (Pr::PR4, 40)]);
        let carer = carer(&mut side, "FC", 600);
        self.episode(
            broke,
            Change::Disrupted {
                provider,
                carer,
                reason,
            },
            true,
        );
        let recommended = self.panel(
            PanelPurpose::AdoptionMatch,
            add_days(broke, side.between(60, 240)),
        );
        self.may_stall(Route::Adoption, steps::MATCHING_PANEL_RECOMMENDATION);
        let matched = self.decision(
            PanelPurpose::AdoptionMatch,
            add_days(recommended, side.between(1, 9)),
        );
        self.may_stall(Route::Adoption, steps::MATCH_DECISION);
        let placed = self.step(
            Route::Adoption,
            steps::PLACED_FOR_ADOPTION,
            add_days(matched, side.between(7, 35)),
        );
        self.episode(placed, Change::PlacedForAdoption { order: true }, true);
        placed
    }

    /// Application and order; closes the period as adopted.
    fn finish_adoption(&mut self, placed: NaiveDate, dispensed: bool) {
        let applied = add_days(placed, 70 + self.rng.skewed(45.0, 0.5, 0.8, 0));
        let applied = self.step(Route::Adoption, steps::ADOPTION_APPLICATION, applied);
        let ordered = add_days(applied, self.rng.skewed(90.0, 0.4, 0.6, 21));
        let ordered = self.step(Route::Adoption, steps::ADOPTION_ORDER, ordered);
        let reason = if dispensed { Rc::E12 } else { Rc::E11 };
        self.leave(ordered, Leaving::Reason(reason));
    }

    /// A baby relinquished for adoption: no proceedings, the panel recommends and the
    /// agency decision maker decides, and the child is placed with parental consent.
    fn adoption_by_consent(&mut self) {
        if self.rng.chance(0.25) {
            let (placement, provider, carer) = self.placement_of(Pt::U5);
            self.enter.placement = placement;
            self.enter.provider = Some(provider);
            self.enter.carer = Some(carer);
            self.anchor_at(self.entered);
        }
        let plan_on = self.plan_day(10, 60);
        let planned = self.set_plan(Route::Adoption, PlanRole::Primary, plan_on);
        let on = add_days(planned, self.rng.between(20, 70));
        let recommended = self.panel(PanelPurpose::ShobpaConsent, on);
        let on = add_days(recommended, self.rng.between(1, 9));
        let decided = self.decision(PanelPurpose::ShobpaConsent, on);
        let on = add_days(decided, self.rng.between(3, 30));
        self.step(Route::Adoption, steps::FAMILY_FINDING, on);
        let matched = add_days(decided, self.rng.skewed(150.0, 0.35, 0.5, 40));
        let on = add_days(matched, -self.rng.between(2, 9)).max(add_days(self.cursor, 14));
        let recommended = self.panel(PanelPurpose::AdoptionMatch, on);
        let on = add_days(recommended, self.rng.between(1, 9));
        let matched = self.decision(PanelPurpose::AdoptionMatch, on);
        let on = add_days(matched, self.rng.between(7, 30));
        let placed = self.step(Route::Adoption, steps::PLACED_FOR_ADOPTION, on);
        self.episode(placed, Change::PlacedForAdoption { order: false }, true);
        self.anchor_at(placed);
        self.finish_adoption(placed, false);
    }

    /// After an adoption decision is reversed: special guardianship for some young children,
    /// otherwise long-term fostering.
    fn after_reversal(&mut self, reversed_on: NaiveDate) {
        let age = age_on(self.child.birth, reversed_on);
        if age < 10 && self.rng.chance(0.35) {
            self.special_guardianship(Some(reversed_on));
        } else {
            self.long_term_fostering(Some(reversed_on));
        }
    }

    /// Special guardianship; `after` is the day a previous plan ended.
    fn special_guardianship(&mut self, after: Option<NaiveDate>) {
        let reason = if after.is_some() {
            self.rng.pick(&[(Rc::E46, 50), (Rc::E47, 50)])
        } else {
            self.rng
                .pick(&[(Rc::E45, 40), (Rc::E46, 12), (Rc::E47, 43), (Rc::E48, 5)])
        };
        if after.is_none() {
            match reason {
                // Placed with the relatives as connected-person foster carers from the start.
                Rc::E45 if self.rng.chance(0.6) => {
                    let (placement, provider, carer) = self.placement_of(Pt::U3);
                    self.enter.placement = placement;
                    self.enter.provider = Some(provider);
                    self.enter.carer = Some(carer);
                    self.anchor_at(self.entered);
                }
                // The foster carers become special guardians: a foster placement.
                Rc::E46 if self.enter.placement != Pt::U6 => {
                    let (placement, provider, carer) = self.placement_of(Pt::U6);
                    self.enter.placement = placement;
                    self.enter.provider = Some(provider);
                    self.enter.carer = Some(carer);
                }
                _ => {}
            }
        }
        match after {
            Some(on) => {
                let on = add_days(on, self.rng.between(0, 30));
                self.set_plan(Route::SpecialGuardianship, PlanRole::Primary, on);
            }
            None => {
                let plan_on = self.plan_day(20, 120);
                if self.rng.chance(0.35) {
                    self.twin_track(Route::SpecialGuardianship, plan_on);
                } else {
                    self.set_plan(Route::SpecialGuardianship, PlanRole::Primary, plan_on);
                }
            }
        }
        let started = add_days(self.cursor, self.rng.between(0, 30));
        let started = self.step(
            Route::SpecialGuardianship,
            steps::ASSESSMENT_STARTED,
            started,
        );
        match reason {
            Rc::E45 => {
                if self.enter.placement != Pt::U3 || self.anchor > started {
                    let (placement, provider, carer) = self.placement_of(Pt::U3);
                    self.episode(
                        started,
                        Change::Move {
                            placement,
                            provider,
                            carer,
                        },
                        false,
                    );
                }
                self.anchor_at(started);
            }
            Rc::E46 => {
                self.episode(started, Change::EnsureFoster, false);
                self.anchor_at(started);
            }
            _ => {}
        }
        let reported = add_days(started, self.rng.skewed(75.0, 0.35, 0.5, 21));
        self.step(
            Route::SpecialGuardianship,
            steps::SGO_REPORT_COMPLETED,
            reported,
        );
        let agreed = add_days(self.cursor, self.rng.between(5, 30));
        self.step(
            Route::SpecialGuardianship,
            steps::SUPPORT_PLAN_AGREED,
            agreed,
        );
        if self.rng.chance(0.5) {
            let recommended = add_days(self.cursor, self.rng.between(10, 45));
            self.panel(PanelPurpose::SpecialGuardianshipPlan, recommended);
            self.may_stall(Route::SpecialGuardianship, steps::PANEL_RECOMMENDATION);
            let days = if self.rng.chance(0.1) {
                self.rng.between(12, 40)
            } else {
                self.rng.between(1, 9)
            };
            let decided = add_days(self.cursor, days);
            self.decision(PanelPurpose::SpecialGuardianshipPlan, decided);
        }
        let ready = add_days(self.cursor, self.rng.between(3, 30));
        let granted = match self.pending_final() {
            Some(planned) => {
                let granted = self.step(
                    Route::SpecialGuardianship,
                    steps::SGO_GRANTED,
                    ready.max(planned),
                );
                self.set_final(granted, FinalOrder::SpecialGuardianshipOrder);
                granted
            }
            None => {
                let granted = add_days(ready, self.rng.between(14, 90));
                self.step(Route::SpecialGuardianship, steps::SGO_GRANTED, granted)
            }
        };
        self.anchor_at(granted);
        self.leave(granted, Leaving::Reason(reason));
    }

    fn reunification(&mut self) {
        let plan_on = self.plan_day(10, 90);
        let planned = self.set_plan(Route::Reunification, PlanRole::Primary, plan_on);
        let assessed = add_days(planned, self.rng.skewed(50.0, 0.4, 0.6, 10));
        let assessed = self.step(Route::Reunification, steps::PARENT_ASSESSMENT, assessed);
        let approved = if self.rng.chance(0.25) {
            let on = add_days(assessed, self.rng.between(10, 40));
            let recommended = self.panel(PanelPurpose::ReunificationPlan, on);
            self.may_stall(Route::Reunification, steps::PANEL_RECOMMENDATION);
            let on = add_days(recommended, self.rng.between(1, 9));
            self.decision(PanelPurpose::ReunificationPlan, on)
        } else {
            let on = add_days(assessed, self.rng.between(5, 40));
            self.step(Route::Reunification, steps::RETURN_HOME_APPROVED, on)
        };
        self.may_stall(Route::Reunification, steps::RETURN_HOME_APPROVED);
        let wait = if self.rng.chance(0.1) {
            self.rng.between(29, 90)
        } else {
            self.rng.between(0, 28)
        };
        let home_on = add_days(approved, wait);
        let returned = match self.pending_final() {
            // Home during proceedings: the court makes a supervision order or no order.
            Some(planned) if home_on < planned => {
                let placed = self.step(Route::Reunification, steps::PLACED_WITH_PARENTS, home_on);
                self.episode(placed, Change::WithParents, true);
                self.anchor_at(placed);
                let concluded = planned.max(add_days(placed, 14));
                let returned = self.step(Route::Reunification, steps::RETURNED_HOME, concluded);
                let order = self
                    .rng
                    .pick(&[(FinalOrder::SupervisionOrder, 6), (FinalOrder::NoOrder, 4)]);
                self.set_final(returned, order);
                returned
            }
            // Home under a care order, which is discharged months later.
            Some(planned) => {
                self.set_final(planned, FinalOrder::CareOrder);
                let placed = self.step(Route::Reunification, steps::PLACED_WITH_PARENTS, home_on);
                self.episode(placed, Change::WithParents, true);
                self.anchor_at(placed);
                let discharged = add_days(placed, self.rng.skewed(120.0, 0.4, 0.6, 28));
                self.step(Route::Reunification, steps::RETURNED_HOME, discharged)
            }
            // Accommodated children go home the day they stop being looked after (a
            // placement with parents is not for section 20).
            None => {
                let placed = self.step(Route::Reunification, steps::PLACED_WITH_PARENTS, home_on);
                self.anchor_at(placed);
                self.step(Route::Reunification, steps::RETURNED_HOME, placed)
            }
        };
        self.leave(returned, Leaving::Reason(Rc::E4A));
    }

    /// Long-term fostering; the child stays until 18. `after` is the day a previous plan ended.
    fn long_term_fostering(&mut self, after: Option<NaiveDate>) {
        match after {
            Some(on) => {
                let on = add_days(on, self.rng.between(0, 30));
                self.set_plan(Route::LongTermFostering, PlanRole::Primary, on);
            }
            None if self.rng.chance(0.3) => {
                // Reunification was tried first and ruled out.
                let planned = self.plan_day(15, 90);
                let planned = self.set_plan(Route::Reunification, PlanRole::Primary, planned);
                let assessed = add_days(planned, self.rng.skewed(50.0, 0.4, 0.6, 10));
                self.step(Route::Reunification, steps::PARENT_ASSESSMENT, assessed);
                let changed = add_days(self.cursor, self.rng.between(14, 120));
                self.set_plan(Route::LongTermFostering, PlanRole::Primary, changed);
            }
            None => {
                // By the second review.
                let planned = self.plan_day(60, 200);
                self.set_plan(Route::LongTermFostering, PlanRole::Primary, planned);
            }
        }
        let identified = add_days(self.cursor, self.rng.skewed(90.0, 0.5, 0.8, 14));
        let identified = self.step(
            Route::LongTermFostering,
            steps::CARER_IDENTIFIED,
            identified,
        );
        self.episode(identified, Change::EnsureFoster, false);
        self.anchor_at(identified);
        let recommended = add_days(identified, self.rng.skewed(60.0, 0.5, 0.8, 10));
        let recommended = self.panel(PanelPurpose::LongTermFosterMatch, recommended);
        self.may_stall(Route::LongTermFostering, steps::PANEL_RECOMMENDATION);
        let days = if self.rng.chance(0.1) {
            self.rng.between(14, 45)
        } else {
            self.rng.between(1, 10)
        };
        let approved = self.decision(
            PanelPurpose::LongTermFosterMatch,
            add_days(recommended, days),
        );
        self.may_stall(Route::LongTermFostering, steps::MATCH_APPROVED);
        let days = if self.rng.chance(0.1) {
            self.rng.between(60, 150)
        } else {
            self.rng.between(7, 50)
        };
        // The placement becomes long-term fostering (U1, U4) before the match is confirmed
        // for it: the domain refuses a confirmation while the child is in another placement.
        let confirmed = add_days(approved, days).max(self.cursor);
        self.episode(confirmed, Change::LongTermConfirmed, true);
        self.step(Route::LongTermFostering, steps::MATCH_CONFIRMED, confirmed);
        self.leave(self.child.eighteen, Leaving::AtEighteen);
    }

    fn child_arrangements(&mut self) {
        let plan_on = self.plan_day(20, 120);
        let planned = self.set_plan(Route::ChildArrangementsOrder, PlanRole::Primary, plan_on);
        let granted = match self.pending_final() {
            Some(final_on) => {
                let granted = self.step(
                    Route::ChildArrangementsOrder,
                    steps::CAO_GRANTED,
                    final_on.max(add_days(planned, 14)),
                );
                self.set_final(granted, FinalOrder::ChildArrangementsOrder);
                granted
            }
            None => {
                let granted = add_days(planned, self.rng.skewed(120.0, 0.4, 0.6, 30));
                self.step(Route::ChildArrangementsOrder, steps::CAO_GRANTED, granted)
            }
        };
        self.anchor_at(granted);
        self.leave(granted, Leaving::Reason(Rc::E41));
    }

    /// Older young people with no order in view: a long-term plan, and care until 18.
    fn stay_to_eighteen(&mut self) {
        let planned = self.plan_day(60, 200);
        self.set_plan(Route::LongTermFostering, PlanRole::Primary, planned);
        self.leave(self.child.eighteen, Leaving::AtEighteen);
    }

    /// Leaves before 18: home unplanned, to family, to another authority, abroad, or to
    /// independent living at 16 or 17.
    fn leave_early(&mut self) {
        let age = self.age();
        let mut reasons: Vec<(Rc, u32)> = vec![
            (Rc::E4B, 12),
            (Rc::E13, 14),
            (Rc::E3, 12),
            (Rc::E8, 36),
            (Rc::E16, 5),
        ];
        if age >= 16 {
            reasons.push((Rc::E5, 30));
        }
        let reason = self.rng.pick(&reasons);
        let left = add_days(self.entered, self.rng.skewed(150.0, 0.6, 1.2, 7));
        if left > add_days(self.entered, 60) && self.rng.chance(0.6) {
            let planned = self.plan_day(10, 60).min(add_days(left, -1));
            self.set_plan(Route::Reunification, PlanRole::Primary, planned);
        }
        self.anchor_at(left);
        self.leave(left, Leaving::Reason(reason));
    }

    // ----- drift, cuts and the merge --------------------------------------------------------

    /// Leaves some cases stalled after a panel or decision, open today with the
    /// follow-through overdue.
    fn maybe_stall(&mut self) -> Option<Drift> {
        let today = self.today();
        if self.child.eighteen <= add_days(today, 30) {
            return None;
        }
        let eligible: Vec<Candidate> = self
            .candidates
            .iter()
            .copied()
            .filter(|c| c.on >= add_days(today, -600) && c.on <= add_days(today, -70))
            .collect();
        if eligible.is_empty() || !self.rng.chance(0.35) {
            return None;
        }
        // Any of them: a recommendation awaiting its decision, or a decision awaiting the
        // match, placement or confirmation that should follow it.
        let candidate = eligible[self.rng.below(eligible.len() as u64) as usize];
        self.route.truncate(candidate.index + 1);
        self.episodes.retain(|e| !(e.linked && e.on > candidate.on));
        self.close = None;
        // A court order that would have ended the period is not made: the care order stands.
        if let Some(p) = self.proceedings.as_mut()
            && let Some((on, order)) = p.final_hearing
            && on > candidate.on
            && !matches!(order, FinalOrder::CareOrder | FinalOrder::PlacementOrder)
        {
            p.final_hearing = Some((on, FinalOrder::CareOrder));
        }
        Some(Drift {
            route: candidate.route,
            step: candidate.step,
            since: candidate.on,
        })
    }

    fn cut_route_after(&mut self, last: NaiveDate) {
        self.route.retain(|item| item.on <= last);
    }

    fn finish(mut self, drift: Option<Drift>) -> (PeriodScript, Option<(NaiveDate, Rc)>) {
        let today = self.today();
        let end = self.close.map_or(today, |(on, _)| on);
        // Every route item after the end goes (the route track is in date order, so this
        // keeps a prefix of it).
        self.cut_route_after(end);
        let legal = self.legal_items(end);
        let (episodes, placement_at_end) = self.resolve_episodes(end);
        let spine = self.spine(end.min(today));
        let visits = self.visits(&episodes, end.min(today));
        let mut items: Vec<Item> = Vec::new();
        items.append(&mut self.route);
        items.extend(legal);
        items.extend(episodes);
        items.extend(spine);
        items.extend(visits);
        let mut left = None;
        if let Some((on, how)) = self.close {
            let reason = match how {
                Leaving::Reason(reason) => reason,
                Leaving::AtEighteen if placement_at_end.is_foster() && self.rng.chance(0.6) => {
                    Rc::E17
                }
                Leaving::AtEighteen => Rc::E8,
            };
            let seq = self.next_seq();
            items.push(Item {
                on,
                seq,
                command: Command::CloseCase { on, reason },
            });
            if on <= today {
                left = Some((on, reason));
            }
        }
        items.retain(|item| item.on <= today);
        items.sort_by_key(|item| (item.on, item.seq));
        let script = PeriodScript {
            enter: self.enter,
            commands: items.into_iter().map(|item| item.command).collect(),
            drift,
        };
        (script, left)
    }

    /// The legal track: pre-proceedings, proceedings, hearings, extensions, the final order.
    /// Adds the legal statuses the orders bring to the episode intents.
    fn legal_items(&mut self, end: NaiveDate) -> Vec<Item> {
        let mut steps: Vec<(NaiveDate, LegalStep)> = Vec::new();
        if let Some((started, letter, meeting)) = self.pre_proceedings {
            steps.push((started, LegalStep::PreProceedingsStarted));
            steps.push((letter, LegalStep::LetterBeforeProceedingsSent));
            steps.push((meeting, LegalStep::PreProceedingsMeetingHeld));
            if let Some(down) = self.stepped_down {
                steps.push((down.max(meeting), LegalStep::PreProceedingsSteppedDown));
            }
        }
        if let Some(mut p) = self.proceedings {
            let (final_on, order) = p
                .final_hearing
                .unwrap_or((p.planned_final, FinalOrder::CareOrder));
            p.final_hearing = Some((final_on, order));
            self.proceedings = Some(p);
            let issued = p.issued;
            steps.push((issued, LegalStep::ProceedingsIssued));
            let cmh = add_days(issued, self.rng.between(12, 18));
            steps.push((cmh, LegalStep::CaseManagementHearingHeld));
            let irh = add_days(issued, self.rng.between(100, 150))
                .min(add_days(final_on, -self.rng.between(7, 28)))
                .max(cmh);
            steps.push((irh, LegalStep::IssuesResolutionHearingHeld));
            // Proceedings finish within 26 weeks unless the court extends them, 8 weeks at a time.
            let mut deadline = add_days(issued, 182);
            while deadline < final_on {
                let granted = add_days(deadline, -self.rng.between(3, 20)).max(irh);
                steps.push((granted, LegalStep::ExtensionGranted { weeks: 8 }));
                deadline = add_days(deadline, 56);
            }
            steps.push((final_on, LegalStep::FinalHearingHeld { order }));
            match order {
                FinalOrder::CareOrder => self.episode(final_on, Change::Legal(Ls::C2), false),
                FinalOrder::PlacementOrder => self.episode(final_on, Change::Legal(Ls::E1), false),
                _ => {}
            }
        }
        // In date order (stable: same-day steps keep the order above).
        steps.sort_by_key(|(on, _)| *on);
        let mut items = Vec::new();
        for (on, step) in steps {
            if on > end {
                break;
            }
            let seq = self.next_seq();
            items.push(Item {
                on,
                seq,
                command: Command::RecordLegalStep { on, step },
            });
        }
        items
    }

    /// Placement moves before the route takes over, then every intent in date order,
    /// turned into episodes that change something and keep the national rules.
    fn resolve_episodes(&mut self, end: NaiveDate) -> (Vec<Item>, Pt) {
        let free_until = self.anchor.min(end).min(self.today());
        let moves = self.rng.pick(&[(0usize, 52), (1, 28), (2, 13), (3, 7)]);
        let first = add_days(self.entered, 7);
        if free_until > first {
            let span = days_from(first, free_until);
            for _ in 0..moves {
                let on = add_days(first, self.rng.between(0, span - 1));
                let age = age_on(self.child.birth, on);
                let kind = match age {
                    0..=9 => self.rng.pick(&[(Pt::U6, 85), (Pt::U3, 15)]),
                    _ => self.rng.pick(&[(Pt::U6, 60), (Pt::U3, 10), (Pt::K2, 30)]),
                };
                let (placement, provider, carer) = self.placement_of(kind);
                self.episode(
                    on,
                    Change::Move {
                        placement,
                        provider,
                        carer,
                    },
                    false,
                );
            }
        }
        let mut intents: Vec<EpisodeIntent> = self
            .episodes
            .iter()
            .filter(|e| e.on <= end)
            .cloned()
            .collect();
        intents.sort_by_key(|e| (e.on, e.seq));
        let mut status = self.enter.legal_status;
        let mut placement = self.enter.placement;
        let mut provider = self.enter.provider.unwrap_or(Pr::PR1);
        let mut carer_ref = self.enter.carer.clone();
        let mut items = Vec::new();
        for intent in intents {
            let on = intent.on;
            let mut next_status = status;
            let mut next = (placement, provider, carer_ref.clone());
            let mut ended = None;
            match intent.change {
                Change::Legal(to) => {
                    // A child placed with parents is not accommodated under section 20
                    // (SSDA903 rule 378).
                    if !(to == Ls::V2 && placement == Pt::P1) {
                        next_status = to;
                    }
                }
                Change::Move {
                    placement: p,
                    provider: pr,
                    carer: c,
                } => {
                    if !placement.is_placed_for_adoption() {
                        next = (p, pr, Some(c));
                    }
                }
                Change::EnsureFoster => {
                    if !placement.is_foster() {
                        let (p, pr, c) = self.placement_of(Pt::U6);
                        next = (p, pr, Some(c));
                    }
                }
                Change::LongTermConfirmed => match placement {
                    Pt::U3 | Pt::U2 | Pt::U1 => next.0 = Pt::U1,
                    Pt::U6 | Pt::U5 | Pt::U4 => next.0 = Pt::U4,
                    // Not in foster care (a move the route did not expect): new long-term carers.
                    _ => {
                        let (_, pr, c) = self.placement_of(Pt::U6);
                        next = (Pt::U4, pr, Some(c));
                    }
                },
                Change::PlacedForAdoption { order } => {
                    if placement.is_early_permanence() {
                        next.0 = if order { Pt::A5 } else { Pt::A3 };
                    } else {
                        let agency = self
                            .rng
                            .pick(&[(Pr::PR1, 35), (Pr::PR2, 40), (Pr::PR5, 25)]);
                        let adopters = carer(self.rng, "AD", 9000);
                        next = (if order { Pt::A6 } else { Pt::A4 }, agency, Some(adopters));
                    }
                }
                Change::Disrupted {
                    provider: pr,
                    carer: c,
                    reason,
                } => {
                    next = (Pt::U6, pr, Some(c));
                    ended = Some(reason);
                }
                Change::WithParents => {
                    if status != Ls::V2 {
                        next = (
                            Pt::P1,
                            Pr::PR0,
                            Some(format!("PA-{}", self.child.reference)),
                        );
                    }
                }
            }
            let unchanged = next_status == status
                && next.0 == placement
                && next.1 == provider
                && next.2 == carer_ref;
            if unchanged {
                continue;
            }
            let placement_changed =
                next.0 != placement || next.1 != provider || next.2 != carer_ref;
            // The intent's own sequence: a same-day episode keeps its place among the route's
            // steps as the script wrote them (the long-term placement before the match
            // confirmed for it).
            items.push(Item {
                on,
                seq: intent.seq,
                command: Command::RecordEpisode {
                    on,
                    legal_status: (next_status != status).then_some(next_status),
                    placement: placement_changed.then_some(next.0),
                    provider: placement_changed.then_some(next.1),
                    carer: if placement_changed {
                        next.2.clone()
                    } else {
                        None
                    },
                    // Filled in by `return_facts::enrich`, keeping a breakdown's reason.
                    details: permanence_domain::return_facts::PlacementDetails {
                        previous_placement_ended: ended,
                        ..Default::default()
                    },
                },
            });
            status = next_status;
            (placement, provider, carer_ref) = next;
        }
        (items, placement)
    }

    /// Reviews, health assessments and changes of worker, up to `end`.
    fn spine(&mut self, end: NaiveDate) -> Vec<Item> {
        let mut items = Vec::new();
        let entered = self.entered;
        // Statutory reviews: 20 working days, then 3 months, then every 6 months.
        let mut due = add_working_days(entered, 20);
        let mut previous: Option<NaiveDate> = None;
        let mut held = 0;
        loop {
            let early = match held {
                0 => 10,
                1 => 21,
                _ => 30,
            };
            let on = if self.rng.chance(0.06) {
                add_days(due, self.rng.between(1, 30))
            } else {
                add_days(due, -self.rng.between(0, early))
            };
            let on = on.max(previous.map_or(add_days(entered, 3), |p| add_days(p, 1)));
            if on > end {
                break;
            }
            let seq = self.next_seq();
            items.push(Item {
                on,
                seq,
                command: Command::RecordReview {
                    on,
                    participation: None,
                },
            });
            previous = Some(on);
            due = add_months(on, if held == 0 { 3 } else { 6 });
            held += 1;
        }
        // Health: the initial assessment before the first review, then every 6 months
        // under five and every 12 from five.
        let mut due = add_working_days(entered, 20);
        let mut previous: Option<NaiveDate> = None;
        loop {
            let on = if self.rng.chance(0.15) {
                add_days(due, self.rng.between(1, 60))
            } else {
                add_days(
                    due,
                    -self
                        .rng
                        .between(0, if previous.is_none() { 15 } else { 30 }),
                )
            };
            let on = on.max(previous.map_or(entered, |p| add_days(p, 1)));
            if on > end {
                break;
            }
            let seq = self.next_seq();
            items.push(Item {
                on,
                seq,
                command: Command::RecordHealthAssessment { on },
            });
            previous = Some(on);
            let months = if age_on(self.child.birth, on) < 5 {
                6
            } else {
                12
            };
            due = add_months(on, months);
        }
        // Social workers change now and then; rarely the team.
        let mut on = add_days(entered, self.rng.skewed(300.0, 0.5, 0.8, 60));
        while on <= end {
            if self.rng.chance(0.6) {
                let team = if self.rng.chance(0.05) && !self.child.config.teams.is_empty() {
                    let teams = &self.child.config.teams;
                    teams[self.rng.below(teams.len() as u64) as usize].clone()
                } else {
                    self.enter.team.clone().unwrap_or_default()
                };
                let worker = worker_name(self.rng, &team);
                let seq = self.next_seq();
                items.push(Item {
                    on,
                    seq,
                    command: Command::AllocateCase {
                        on,
                        team: Some(team),
                        allocated_worker: Some(worker),
                    },
                });
            }
            on = add_days(on, self.rng.skewed(365.0, 0.4, 0.6, 60));
        }
        items
    }
}

impl Period<'_, '_> {
    /// The social worker's statutory visits (CPPCR 2010 reg 28), up to `end`, in each
    /// placement in force during the year before today: the first within a week of the
    /// placement starting, then about six-weekly, three-monthly after the first year of a
    /// long-term foster placement; most on time, some late. Only the visits of the last two
    /// years are recorded, so that the demo stays small: a long-running placement shows
    /// its chain on track, and the visits-on-time measure of earlier years counts its first
    /// recorded visit as late (earlier placements have none recorded at all). None during a
    /// placement for adoption (its visits are the Adoption Agencies Regulations'). Drawn
    /// from a stream of their own, so that every other part of the child's history is what
    /// it was without visits.
    fn visits(&mut self, episodes: &[Item], end: NaiveDate) -> Vec<Item> {
        let who = self.child.reference.bytes().fold(
            mix64(u64::from(self.entered.num_days_from_ce().unsigned_abs())),
            |h, b| mix64(h ^ u64::from(b)),
        );
        let mut side = SplitMix64::stream(self.child.config.seed ^ VISITS_STREAM, who);
        let today = self.today();
        let since = add_months_back(today, 12);
        let recorded_since = add_months_back(today, VISITS_RECORDED_MONTHS);
        let placements = placements(&self.enter, episodes);
        let mut items = Vec::new();
        for (i, codes) in placements.iter().enumerate() {
            let Some(&(began, _)) = codes.first() else {
                continue;
            };
            let ended = placements
                .get(i + 1)
                .and_then(|next| next.first())
                .map_or(add_days(end, 1), |(next, _)| *next);
            if ended <= since {
                continue;
            }
            // The placement's code on a day.
            let code_on = |day: NaiveDate| {
                codes
                    .iter()
                    .rev()
                    .find(|(from, _)| *from <= day)
                    .map_or(codes[0].1, |(_, code)| *code)
            };
            let mut last: Option<NaiveDate> = None;
            loop {
                let due = match last {
                    None => add_days(began, 7),
                    Some(last)
                        if last < add_months(began, 12) || !code_on(last).is_long_term_foster() =>
                    {
                        add_days(last, 42)
                    }
                    Some(last) => add_months(last, 3),
                };
                let on = if side.chance(VISIT_LATE_RATE) {
                    add_days(due, side.between(1, 21))
                } else {
                    add_days(due, -side.between(0, if last.is_none() { 5 } else { 14 }))
                };
                let on = on.max(last.map_or(began, |l| add_days(l, 1)));
                // A visit belongs to the placement in force that day: none on the day the
                // next one begins, nor after the child left care.
                if on >= ended || on > end {
                    break;
                }
                last = Some(on);
                if on < recorded_since || code_on(on).is_placed_for_adoption() {
                    continue;
                }
                let seq = self.next_seq();
                items.push(Item {
                    on,
                    seq,
                    command: Command::RecordVisit {
                        on,
                        seen_alone: Some(side.chance(0.7)),
                    },
                });
            }
        }
        items
    }
}

/// Each placement of a period (time with the same carer, as the domain reads it): its
/// placement codes, each with the day it began (the first is the day the placement began).
fn placements(enter: &EnterCareFacts, episodes: &[Item]) -> Vec<Vec<(NaiveDate, Pt)>> {
    let mut out = vec![vec![(enter.entered_care_on, enter.placement)]];
    let mut carer = enter.carer.clone();
    let mut code = enter.placement;
    for item in episodes {
        if let Command::RecordEpisode {
            on,
            placement,
            carer: new_carer,
            ..
        } = &item.command
        {
            code = placement.unwrap_or(code);
            if new_carer.is_some() && *new_carer != carer {
                carer.clone_from(new_carer);
                out.push(vec![(*on, code)]);
            } else if placement.is_some()
                && let Some(current) = out.last_mut()
            {
                // The same carers, a new code (a long-term match confirmed): the same placement.
                current.push((*on, code));
            }
        }
    }
    out
}

/// The same day `months` months earlier.
fn add_months_back(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_sub_months(Months::new(months)).unwrap_or(day)
}

/// Visits are recorded in the last this many months: a long-running placement's whole
/// chain would make the demo much larger.
const VISITS_RECORDED_MONTHS: u32 = 24;
/// The share of visits made after their due date.
const VISIT_LATE_RATE: f64 = 0.08;
/// Salts the seed of the visits' own stream ("visits").
const VISITS_STREAM: u64 = 0x0000_7669_7369_7473;

/// The share of adoptive placements (after a placement order) that break down.
const BREAKDOWN_RATE: f64 = 0.04;
/// Salts the seed of the breakdowns' own stream ("breakdow").
const BREAKDOWN_STREAM: u64 = 0x6272_6561_6b64_6f77;

/// A carer's reference from a pool (carers look after several children over the years).
fn carer(rng: &mut SplitMix64, prefix: &str, pool: u64) -> String {
    format!("{prefix}-{:04}", rng.below(pool) + 1)
}

fn worker_name(rng: &mut SplitMix64, team: &str) -> String {
    let team: String = team
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    format!("sw.{team}.{:02}", rng.below(12) + 1)
}

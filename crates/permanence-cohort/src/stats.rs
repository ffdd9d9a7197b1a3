//! What a generated cohort holds, counted from its scripts: to compare with the national
//! figures and to print at the end of a demo run.

use crate::ChildScript;
use crate::age::{age_band, age_on};
use chrono::NaiveDate;
use permanence_domain::Route;
use permanence_domain::case::{Command, PlanRole};
use permanence_domain::codes::ReasonCeased;
use permanence_domain::panel::PanelPurpose;
use permanence_domain::route::steps;
use std::collections::BTreeMap;
use std::fmt;

/// Days between two kinds of event over the periods that have both.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DurationSummary {
    pub count: usize,
    pub mean_days: f64,
    pub median_days: f64,
}

impl DurationSummary {
    fn of(mut days: Vec<i64>) -> Self {
        if days.is_empty() {
            return Self::default();
        }
        days.sort_unstable();
        let n = days.len();
        let median = if n % 2 == 1 {
            days[n / 2] as f64
        } else {
            (days[n / 2 - 1] + days[n / 2]) as f64 / 2.0
        };
        Self {
            count: n,
            mean_days: days.iter().sum::<i64>() as f64 / n as f64,
            median_days: median,
        }
    }
}

impl fmt::Display for DurationSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mean {:.0} days ({:.1} months), median {:.0} days, over {}",
            self.mean_days,
            self.mean_days / 30.44,
            self.median_days,
            self.count
        )
    }
}

/// Counts over a cohort. Leavers are periods of care that ended on or before `today`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CohortStats {
    pub children: usize,
    pub periods: usize,
    /// Commands to record, counting each period's opening and each child's registration.
    pub commands: usize,
    /// Periods of care by the child's age on entering: under 1, 1–4, 5–9, 10–15, 16+.
    pub entries_by_age_band: [usize; 5],
    pub leavers: usize,
    /// E11, E12.
    pub adopted: usize,
    /// E45–E48.
    pub special_guardianship: usize,
    /// E41.
    pub child_arrangements: usize,
    /// E4A, E4B, E13.
    pub returned_home: usize,
    /// Left on their 18th birthday (E17 staying put, or E8).
    pub at_eighteen: usize,
    pub other_leavers: usize,
    /// Periods still open today.
    pub open: usize,
    /// Decisions that a child should be placed for adoption.
    pub adoption_decisions: usize,
    /// Those decisions reversed (A5).
    pub reversals: usize,
    /// Children placed for adoption (each placement, including those that broke down).
    pub adoptive_placements: usize,
    /// Adoptive placements that broke down before the order (disruptions).
    pub adoption_breakdowns: usize,
    /// Statutory visits by the social worker.
    pub visits: usize,
    /// Children with more than one period of care.
    pub re_entries: usize,
    /// Periods left drifting after a panel or a decision.
    pub drifting: usize,
    /// Those periods by the route and step they stalled at ("adoption: match_decision").
    pub drifting_at: BTreeMap<String, usize>,
    /// Periods with a parallel plan (twin-track or concurrent planning).
    pub twin_track: usize,
    /// Periods with an E1 episode after a placement order.
    pub placement_orders: usize,
    pub proceedings_issued: usize,
    pub proceedings_extended: usize,
    pub entry_to_adoption_decision: DurationSummary,
    pub adoption_decision_to_match: DurationSummary,
    /// A1 over the adopted: entering care to moving in with the adoptive family.
    pub entry_to_adoptive_placement: DurationSummary,
}

const AT_EIGHTEEN_MONTHS: u32 = 18 * 12;

impl CohortStats {
    pub fn of(scripts: &[ChildScript]) -> Self {
        let mut s = CohortStats {
            children: scripts.len(),
            ..CohortStats::default()
        };
        let mut to_decision = Vec::new();
        let mut to_match = Vec::new();
        let mut to_placement = Vec::new();
        for script in scripts {
            s.commands += script.command_count() + 1;
            if script.periods.len() > 1 {
                s.re_entries += 1;
            }
            let birth = script.child.birth_date;
            let eighteen = birth
                .checked_add_months(chrono::Months::new(AT_EIGHTEEN_MONTHS))
                .unwrap_or(NaiveDate::MAX);
            for period in &script.periods {
                s.periods += 1;
                let entered = period.enter.entered_care_on;
                s.entries_by_age_band[age_band(age_on(birth, entered))] += 1;
                if let Some(drift) = &period.drift {
                    s.drifting += 1;
                    *s.drifting_at
                        .entry(format!("{}: {}", drift.route.label(), drift.step))
                        .or_default() += 1;
                }
                let mut decided = None;
                let mut matched = None;
                let mut placed = None;
                let mut parallel = false;
                let mut extended = false;
                for command in &period.commands {
                    let on = command.occurred_on();
                    match command {
                        Command::RecordRouteStep {
                            route: Route::Adoption,
                            step,
                            ..
                        } => match step.as_str() {
                            steps::SHOBPA_DECISION => decided = Some(on),
                            steps::MATCH_DECISION => matched = Some(on),
                            steps::PLACED_FOR_ADOPTION => {
                                placed = Some(on);
                                s.adoptive_placements += 1;
                            }
                            _ => {}
                        },
                        Command::RecordAgencyDecision {
                            purpose: PanelPurpose::ShobpaConsent,
                            agrees: true,
                            ..
                        } => decided = Some(on),
                        Command::RecordAgencyDecision {
                            purpose: PanelPurpose::AdoptionMatch,
                            agrees: true,
                            ..
                        } => matched = Some(on),
                        Command::SetRoutePlan {
                            role: PlanRole::Parallel,
                            ..
                        } => parallel = true,
                        Command::ReverseAdoptionDecision { .. } => s.reversals += 1,
                        Command::RecordPlacementBreakdown {
                            route: Route::Adoption,
                            ..
                        } => s.adoption_breakdowns += 1,
                        Command::RecordVisit { .. } => s.visits += 1,
                        Command::RecordEpisode {
                            legal_status: Some(permanence_domain::codes::LegalStatus::E1),
                            ..
                        } => s.placement_orders += 1,
                        Command::RecordLegalStep { step, .. } => match step {
                            permanence_domain::case::LegalStep::ProceedingsIssued => {
                                s.proceedings_issued += 1
                            }
                            permanence_domain::case::LegalStep::ExtensionGranted { .. } => {
                                extended = true
                            }
                            _ => {}
                        },
                        _ => {}
                    }
                }
                if parallel {
                    s.twin_track += 1;
                }
                if extended {
                    s.proceedings_extended += 1;
                }
                if let Some(decided) = decided {
                    s.adoption_decisions += 1;
                    to_decision.push((decided - entered).num_days());
                    if let Some(matched) = matched {
                        to_match.push((matched - decided).num_days());
                    }
                }
                match period.closed() {
                    None => s.open += 1,
                    Some((on, reason)) => {
                        s.leavers += 1;
                        if reason.is_adoption() {
                            s.adopted += 1;
                            if let Some(placed) = placed {
                                to_placement.push((placed - entered).num_days());
                            }
                        } else if reason.is_special_guardianship() {
                            s.special_guardianship += 1;
                        } else if reason == ReasonCeased::E41 {
                            s.child_arrangements += 1;
                        } else if reason.is_return_home() {
                            s.returned_home += 1;
                        } else if on == eighteen {
                            s.at_eighteen += 1;
                        } else {
                            s.other_leavers += 1;
                        }
                    }
                }
            }
        }
        s.entry_to_adoption_decision = DurationSummary::of(to_decision);
        s.adoption_decision_to_match = DurationSummary::of(to_match);
        s.entry_to_adoptive_placement = DurationSummary::of(to_placement);
        s
    }

    /// `part` as a percentage of `whole` (0 when `whole` is 0).
    pub fn percent(part: usize, whole: usize) -> f64 {
        if whole == 0 {
            0.0
        } else {
            part as f64 * 100.0 / whole as f64
        }
    }

    /// Each age band's share of entries, in percent.
    pub fn entry_age_shares(&self) -> [f64; 5] {
        self.entries_by_age_band
            .map(|n| Self::percent(n, self.periods))
    }
}

impl fmt::Display for CohortStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |n| Self::percent(n, self.leavers);
        let ages = self.entry_age_shares();
        writeln!(
            f,
            "{} children, {} periods of care, {} commands",
            self.children, self.periods, self.commands
        )?;
        writeln!(
            f,
            "age at entry: under 1 {:.1}%, 1-4 {:.1}%, 5-9 {:.1}%, 10-15 {:.1}%, 16+ {:.1}%",
            ages[0], ages[1], ages[2], ages[3], ages[4]
        )?;
        writeln!(
            f,
            "leavers {}: adopted {:.1}%, special guardianship {:.1}%, child arrangements {:.1}%, \
             home {:.1}%, at 18 {:.1}%, other {:.1}%; still in care {}",
            self.leavers,
            pct(self.adopted),
            pct(self.special_guardianship),
            pct(self.child_arrangements),
            pct(self.returned_home),
            pct(self.at_eighteen),
            pct(self.other_leavers),
            self.open
        )?;
        writeln!(
            f,
            "adoption decisions {} ({} reversed, {:.1}% of children); adoptive placements {} ({} broke down, {:.1}%); \
             re-entries {} ({:.1}% of children); twin-track {}; drifting {}; visits {}",
            self.adoption_decisions,
            self.reversals,
            Self::percent(self.reversals, self.children),
            self.adoptive_placements,
            self.adoption_breakdowns,
            Self::percent(self.adoption_breakdowns, self.adoptive_placements),
            self.re_entries,
            Self::percent(self.re_entries, self.children),
            self.twin_track,
            self.drifting,
            self.visits
        )?;
        if !self.drifting_at.is_empty() {
            let at: Vec<String> = self
                .drifting_at
                .iter()
                .map(|(step, n)| format!("{step} {n}"))
                .collect();
            writeln!(f, "drifting at: {}", at.join(", "))?;
        }
        writeln!(
            f,
            "care proceedings {} ({} extended); placement orders {}",
            self.proceedings_issued, self.proceedings_extended, self.placement_orders
        )?;
        writeln!(
            f,
            "entering care to SHOBPA decision: {}",
            self.entry_to_adoption_decision
        )?;
        writeln!(
            f,
            "SHOBPA decision to match: {}",
            self.adoption_decision_to_match
        )?;
        write!(
            f,
            "entering care to moving in with adopters (A1): {}",
            self.entry_to_adoptive_placement
        )
    }
}

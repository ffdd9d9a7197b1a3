//! Building a year's return from the engine's records.
//!
//! A child is in the return when one of their episodes was open at some time in the year
//! (it began on or before 31 March and had not ended before 1 April); only those children's
//! reviews, adoptions and decisions to place for adoption are written. The return is as
//! things stood on 31 March: an episode that ended after the year is written as still open.

use crate::csv::date;
use crate::table::{Table, TableKind};
use crate::year::CollectionYear;
use chrono::NaiveDate;
use permanence_domain::CaseState;
use permanence_domain::case::Episode;
use permanence_domain::child::ChildFacts;
use permanence_domain::codes::{PlacementChangeReason, ReviewParticipation, Sex};
use permanence_domain::route::Route;
use permanence_domain::route::steps;
use std::collections::BTreeMap;

/// A child as the return needs them, with their periods of care.
#[derive(Clone, Debug)]
pub struct ReturnChild {
    /// SSDA903 CHILD: the authority's reference.
    pub reference: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub ethnicity: String,
    pub facts: ChildFacts,
    /// The child's periods of care, in any order.
    pub periods: Vec<CaseState>,
}

/// Something the export wrote that this year's return does not accept, so that the
/// authority can correct the record. Names the child by their reference only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportWarning {
    pub child: String,
    pub table: TableKind,
    pub column: &'static str,
    pub reason: String,
}

/// A year's return: its tables, in the order they are written.
#[derive(Clone, Debug)]
pub struct Return {
    pub year: CollectionYear,
    pub tables: Vec<Table>,
    pub warnings: Vec<ExportWarning>,
}

impl Return {
    pub fn table(&self, kind: TableKind) -> Option<&Table> {
        self.tables.iter().find(|t| t.kind == kind)
    }
}

/// One episode as the return writes it.
#[derive(Clone, Debug)]
struct EpisodeRow<'a> {
    episode: &'a Episode,
    rne: &'static str,
    ends: Option<(NaiveDate, String)>,
    /// Why the placement ended, when the next episode moved the child.
    place_change: Option<&'static str>,
}

/// Builds the return of `year` for these children (their order does not matter: rows are
/// written in order of the child's reference, then of date).
pub fn build_return(year: CollectionYear, children: &[ReturnChild]) -> Return {
    let mut sorted: Vec<&ReturnChild> = children.iter().collect();
    sorted.sort_by(|a, b| a.reference.cmp(&b.reference));
    let mut tables: BTreeMap<TableKind, Table> = TableKind::EXPORTED
        .iter()
        .map(|k| (*k, Table::new(*k)))
        .collect();
    let mut warnings = Vec::new();
    for child in sorted {
        add_child(year, child, &mut tables, &mut warnings);
    }
    Return {
        year,
        tables: TableKind::EXPORTED
            .iter()
            .filter_map(|k| tables.remove(k))
            .collect(),
        warnings,
    }
}

fn table(tables: &mut BTreeMap<TableKind, Table>, kind: TableKind) -> &mut Table {
    tables.entry(kind).or_insert_with(|| Table::new(kind))
}

fn add_child(
    year: CollectionYear,
    child: &ReturnChild,
    tables: &mut BTreeMap<TableKind, Table>,
    warnings: &mut Vec<ExportWarning>,
) {
    let mut periods: Vec<&CaseState> = child.periods.iter().collect();
    periods.sort_by_key(|p| (p.entered_care_on, p.id));
    // The periods with an episode open in the year, and those episodes.
    let mut in_year: Vec<(&CaseState, Vec<EpisodeRow<'_>>)> = Vec::new();
    for period in periods {
        let rows: Vec<EpisodeRow<'_>> = episode_rows(period)
            .into_iter()
            .filter(|row| {
                row.episode.starts_on <= year.end()
                    && row.ends.as_ref().is_none_or(|(on, _)| *on >= year.start())
            })
            .map(|mut row| {
                // As things stood on 31 March: an end after the year is not yet known.
                if row.ends.as_ref().is_some_and(|(on, _)| *on > year.end()) {
                    row.ends = None;
                    row.place_change = None;
                }
                row
            })
            .collect();
        if !rows.is_empty() {
            in_year.push((period, rows));
        }
    }
    if in_year.is_empty() {
        return;
    }
    let reference = child.reference.as_str();
    let dob = date(child.birth_date);
    let last_end = in_year
        .last()
        .and_then(|(_, rows)| rows.last())
        .and_then(|row| row.ends.as_ref().map(|(on, _)| *on));
    table(tables, TableKind::Header)
        .rows
        .push(header_row(year, child, last_end));
    for (period, rows) in &in_year {
        for row in rows {
            if !year.has_placement(row.episode.placement) {
                warnings.push(ExportWarning {
                    child: reference.to_owned(),
                    table: TableKind::Episodes,
                    column: "PLACE",
                    reason: format!(
                        "placement {} is not a code of the {year} return",
                        row.episode.placement
                    ),
                });
            }
            table(tables, TableKind::Episodes)
                .rows
                .push(episode_values(reference, row));
        }
        for review in period.reviews.iter().filter(|on| year.contains(**on)) {
            let code = review_code(period, *review, child.birth_date);
            table(tables, TableKind::Reviews).rows.push(vec![
                reference.to_owned(),
                dob.clone(),
                date(*review),
                code.map(|c| c.code().to_owned()).unwrap_or_default(),
            ]);
        }
        for row in placed_for_adoption(year, period) {
            let mut values = vec![reference.to_owned(), dob.clone()];
            values.extend(row);
            table(tables, TableKind::PlacedAdoption).rows.push(values);
        }
        if let Some(row) = adoption(year, period) {
            let mut values = vec![reference.to_owned(), dob.clone()];
            values.extend(row);
            table(tables, TableKind::Ad1).rows.push(values);
        }
    }
}

/// The Header row. MOTHER and MC_DOB as they stood at the end of the year (or when the
/// child left care in it): a first child born later is not in this year's return.
fn header_row(
    year: CollectionYear,
    child: &ReturnChild,
    left_on: Option<NaiveDate>,
) -> Vec<String> {
    let as_of = left_on.map_or(year.end(), |left| left.min(year.end()));
    let (mother, first_child) = match (child.sex, child.facts.mother) {
        (Sex::Female, Some(true)) => match child.facts.first_child_born_on {
            Some(born) if born <= as_of => ("1".to_owned(), date(born)),
            Some(_) => ("0".to_owned(), String::new()),
            None => ("1".to_owned(), String::new()),
        },
        (Sex::Female, Some(false)) => ("0".to_owned(), String::new()),
        _ => (String::new(), String::new()),
    };
    vec![
        child.reference.clone(),
        year.sex_code(child.sex).to_owned(),
        date(child.birth_date),
        child.ethnicity.clone(),
        child.facts.upn.clone().unwrap_or_default(),
        mother,
        first_child,
    ]
}

fn episode_values(reference: &str, row: &EpisodeRow<'_>) -> Vec<String> {
    let e = row.episode;
    let d = &e.details;
    let (dec, rec) = row
        .ends
        .as_ref()
        .map_or((String::new(), String::new()), |(on, why)| {
            (date(*on), why.clone())
        });
    vec![
        reference.to_owned(),
        date(e.starts_on),
        row.rne.to_owned(),
        e.legal_status.code().to_owned(),
        d.need.map(|n| n.code().to_owned()).unwrap_or_default(),
        e.placement.code().to_owned(),
        e.provider.map(|p| p.code().to_owned()).unwrap_or_default(),
        dec,
        rec,
        row.place_change.map(str::to_owned).unwrap_or_default(),
        d.home_postcode.clone().unwrap_or_default(),
        d.placement_postcode.clone().unwrap_or_default(),
        d.urn.clone().unwrap_or_default(),
    ]
}

/// The episodes of a period with their reasons for starting and ending. An episode that
/// another replaced on the day it began lasted no time and is not written: the return's
/// episodes last at least a day.
fn episode_rows(period: &CaseState) -> Vec<EpisodeRow<'_>> {
    // With each episode kept, why the placement before it ended: a move recorded in two
    // steps on one day (a new placement, then a new legal status) keeps the move's reason.
    let mut kept: Vec<&Episode> = Vec::new();
    let mut reasons: Vec<Option<PlacementChangeReason>> = Vec::new();
    for episode in &period.episodes {
        let mut reason = episode.details.previous_placement_ended;
        if kept
            .last()
            .is_some_and(|last| last.starts_on == episode.starts_on)
        {
            kept.pop();
            reason = reason.or(reasons.pop().flatten());
        }
        kept.push(episode);
        reasons.push(reason);
    }
    let mut rows: Vec<EpisodeRow<'_>> = Vec::with_capacity(kept.len());
    for (i, episode) in kept.iter().enumerate() {
        let previous = i.checked_sub(1).map(|p| kept[p]);
        // A period imported from a year's return may begin, for the engine, part-way through
        // (its earlier episodes were in earlier returns): its first episode keeps its RNE.
        let rne = match previous {
            Some(prev) => reason_new_episode(prev, episode),
            None => episode.details.reason_new_episode.map_or("S", |r| r.code()),
        };
        let next = kept.get(i + 1);
        let ends = match next {
            Some(next) => Some((next.starts_on, "X1".to_owned())),
            None => period.closed.map(|c| (c.on, c.reason.code().to_owned())),
        };
        let place_change = next.and_then(|next| {
            let moved = reason_new_episode(episode, next) != "L";
            let temporary =
                episode.placement.code().starts_with('T') || next.placement.code().starts_with('T');
            if moved && !temporary {
                reasons[i + 1]
                    .or_else(|| broke_down(period, episode, next))
                    .map(|r| r.code())
            } else {
                None
            }
        });
        rows.push(EpisodeRow {
            episode,
            rne,
            ends,
            place_change,
        });
    }
    rows
}

/// Why a placement the child left ended, when a breakdown recorded on a plan says so and the
/// new episode did not: the breakdown dated from the placement's start to the move.
/// (A breakdown is a change of placement in the return: the decision to place for adoption
/// stays open, with no DATE_PLACED_CEASED and no RD reason, rules 557, 558 and 563.)
fn broke_down(
    period: &CaseState,
    episode: &Episode,
    next: &Episode,
) -> Option<PlacementChangeReason> {
    period
        .plans
        .iter()
        .flat_map(|p| &p.breakdowns)
        .find(|b| episode.starts_on < b.on && b.on <= next.starts_on)
        .map(|b| b.reason)
}

/// SSDA903 RNE for an episode that follows another in the same period of care:
/// L legal status only; P placement and carer; T placement, same carer; B legal status,
/// placement and carer; U legal status and placement, same carer.
pub fn reason_new_episode(previous: &Episode, next: &Episode) -> &'static str {
    let status_changed = previous.legal_status != next.legal_status;
    let place_details_changed = previous.placement != next.placement
        || previous.provider != next.provider
        || previous.details.placement_postcode != next.details.placement_postcode
        || previous.details.urn != next.details.urn;
    // Without a carer's reference on both, a different placement is taken to be a new carer.
    let carer_changed = match (&previous.carer, &next.carer) {
        (Some(a), Some(b)) => a != b,
        (None, None) => place_details_changed,
        _ => true,
    };
    match (
        status_changed,
        place_details_changed || carer_changed,
        carer_changed,
    ) {
        (_, false, _) => "L",
        (false, true, true) => "P",
        (false, true, false) => "T",
        (true, true, true) => "B",
        (true, true, false) => "U",
    }
}

/// REVIEW_CODE as recorded; a child under 4 at the review is PN0 whether recorded or not.
fn review_code(
    period: &CaseState,
    review: NaiveDate,
    birth: NaiveDate,
) -> Option<ReviewParticipation> {
    let under_four = birth
        .checked_add_months(chrono::Months::new(48))
        .is_some_and(|four| review < four);
    if under_four {
        Some(ReviewParticipation::Pn0)
    } else {
        period.review_participation.get(&review).copied()
    }
}

/// The PlacedAdoption rows of a period: each decision that the child should be placed for
/// adoption standing at some time in the year (DATE_PLACED, DATE_PLACED_CEASED,
/// REASON_PLACED_CEASED).
fn placed_for_adoption(year: CollectionYear, period: &CaseState) -> Vec<Vec<String>> {
    period
        .plans
        .iter()
        .filter(|p| p.route == Route::Adoption)
        .filter_map(|plan| {
            let decided = plan.taken(steps::SHOBPA_DECISION)?;
            if decided > year.end() {
                return None;
            }
            let ceased = plan.reversal.filter(|r| r.on <= year.end());
            if ceased.is_some_and(|r| r.on < year.start()) {
                return None;
            }
            Some(vec![
                date(decided),
                ceased.map(|r| date(r.on)).unwrap_or_default(),
                ceased
                    .map(|r| r.reason.code().to_owned())
                    .unwrap_or_default(),
            ])
        })
        .collect()
}

/// The AD1 row of a period that ended in adoption during the year: the decision that the
/// child should be placed (DATE_INT), the match, and whether the adopters were the child's
/// foster carers (`measures::adopted_by_foster_carers`), and who the adopters are (blank when not recorded).
fn adoption(year: CollectionYear, period: &CaseState) -> Option<Vec<String>> {
    let closed = period.closed?;
    if !closed.reason.is_adoption() || !year.contains(closed.on) {
        return None;
    }
    let plan = period
        .plans
        .iter()
        .rev()
        .find(|p| p.route == Route::Adoption && p.taken(steps::ADOPTION_ORDER).is_some())?;
    let adopters = period.adopters;
    // The same rule as A10's foster-carer adjustment, so the return and the measure agree.
    let with_foster_carers = permanence_domain::measures::adopted_by_foster_carers(period);
    Some(vec![
        plan.taken(steps::SHOBPA_DECISION)
            .map(date)
            .unwrap_or_default(),
        plan.taken(steps::MATCH_DECISION)
            .map(date)
            .unwrap_or_default(),
        if with_foster_carers { "1" } else { "0" }.to_owned(),
        adopters.map(|a| a.count().to_string()).unwrap_or_default(),
        adopters
            .map(|a| a.sex.code().to_owned())
            .unwrap_or_default(),
        adopters
            .map(|a| a.legal_status.code().to_owned())
            .unwrap_or_default(),
    ])
}

#[cfg(test)]
mod tests;

//! From a child's rows to what a social worker would have recorded: the child, their
//! periods of care, and each period's dated commands in the order they are to be applied.

use super::read::{ChildRows, DecisionRow, Ended, EpisodeRow};
use super::{ImportError, Origin};
use chrono::NaiveDate;
use permanence_domain::case::{Command, Episode, PlanRole};
use permanence_domain::child::{ChildFacts, NewChild};
use permanence_domain::codes::{
    LegalStatus, PlacementChangeReason, PlacementProvider, PlacementType, ReasonCeased,
    ReasonNewEpisode,
};
use permanence_domain::history::ImportedHistory;
use permanence_domain::return_facts::PlacementDetails;
use permanence_domain::route::Route;
use permanence_domain::route::steps;
use permanence_domain::timescales::ADOPTION_APPLICATION_RESIDENCE;

/// A command to record, where it came from, and a key stable across imports of the same
/// facts (the caller derives the command id from it).
#[derive(Clone, Debug)]
pub struct PlannedCommand {
    pub key: String,
    pub origin: Origin,
    /// The column whose value dated or caused the command, for reporting a refusal.
    pub column: &'static str,
    pub command: Command,
}

/// A period of care: how it began, and what was recorded in it.
#[derive(Clone, Debug)]
pub struct ImportedPeriod {
    pub key: String,
    pub origin: Origin,
    pub entered_care_on: NaiveDate,
    pub legal_status: LegalStatus,
    pub placement: PlacementType,
    pub provider: Option<PlacementProvider>,
    pub carer: Option<String>,
    pub details: PlacementDetails,
    /// What the return held for the period besides its episodes.
    pub history: ImportedHistory,
    pub commands: Vec<PlannedCommand>,
}

#[derive(Clone, Debug)]
pub struct ImportedChild {
    pub origin: Origin,
    pub child: NewChild,
    pub periods: Vec<ImportedPeriod>,
}

/// The order of commands on one day: episodes, then reviews, then route steps (in the order
/// the route takes them), then leaving care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Episode,
    Review,
    Route,
    Leaving,
}

struct Dated {
    on: NaiveDate,
    rank: Rank,
    seq: usize,
    planned: PlannedCommand,
}

fn error(origin: &Origin, column: &str, reason: impl Into<String>) -> ImportError {
    ImportError {
        file: origin.file.clone(),
        table: Some(origin.table),
        row: origin.row,
        column: column.to_owned(),
        reason: reason.into(),
        child: None,
    }
}

/// The carer of an imported episode: the return has no carers, only whether a new episode
/// changed them (RNE P and B) or not; a reference per carer within the period keeps that.
fn carer_reference(n: usize) -> String {
    format!("{CARER_PREFIX}{n}")
}

const CARER_PREFIX: &str = "imported-carer-";

/// The key of a period of care that began on `first_day`, from which the ids of its case
/// and its commands are derived.
pub fn period_key(first_day: NaiveDate) -> String {
    format!("period:{first_day}")
}

/// Plans one child's history for the authority `local_authority`, from a return that held
/// `history` besides episodes.
pub fn plan_child(
    rows: &ChildRows,
    local_authority: &str,
    history: ImportedHistory,
) -> Result<ImportedChild, Vec<ImportError>> {
    let mut errors = Vec::new();
    let child = NewChild {
        local_authority: local_authority.to_owned(),
        reference: rows.reference.clone(),
        birth_date: rows.birth_date,
        sex: rows.sex,
        ethnicity: rows.ethnicity.clone(),
        name: None,
        facts: ChildFacts {
            upn: rows.upn.clone(),
            mother: rows.mother,
            first_child_born_on: rows.first_child_born_on,
        },
    };
    let groups = split_periods(&rows.episodes, &mut errors);
    let mut periods = Vec::with_capacity(groups.len());
    for group in &groups {
        periods.push(plan_period(rows, group, history));
    }
    for review in &rows.reviews {
        let home = periods.iter_mut().zip(&groups).find(|(_, group)| {
            period_start(group).is_none_or(|start| start <= review.on)
                && period_end(group).is_none_or(|end| review.on <= end)
        });
        match home {
            Some((period, _)) => period.commands.push(PlannedCommand {
                key: format!("review:{}", review.on),
                origin: review.origin.clone(),
                column: "REVIEW",
                command: Command::RecordReview {
                    on: review.on,
                    participation: review.participation,
                },
            }),
            None => errors.push(error(
                &review.origin,
                "REVIEW",
                "is not within a period of care of this child in the Episodes table",
            )),
        }
    }
    for decision in &rows.decisions {
        let inside = groups.iter().any(|g| {
            period_start(g).is_none_or(|start| start <= decision.decided_on)
                && period_end(g).is_none_or(|end| decision.decided_on <= end)
        });
        if !inside {
            errors.push(error(
                &decision.origin,
                "DATE_PLACED",
                "is not within a period of care of this child in the Episodes table",
            ));
        }
    }
    // Reviews were added after the rest: put every period's commands in order.
    for period in &mut periods {
        order(&mut period.commands);
    }
    if errors.is_empty() {
        Ok(ImportedChild {
            origin: rows.origin.clone(),
            child,
            periods,
        })
    } else {
        for e in &mut errors {
            e.child = Some(rows.reference.clone());
        }
        Err(errors)
    }
}

/// Sorts by date, keeping the order of each day as planned (episodes, reviews, route steps,
/// leaving care).
fn order(commands: &mut Vec<PlannedCommand>) {
    let rank = |c: &Command| match c {
        Command::RecordEpisode { .. } => Rank::Episode,
        Command::RecordReview { .. } => Rank::Review,
        Command::CloseCase { .. } => Rank::Leaving,
        _ => Rank::Route,
    };
    let mut dated: Vec<Dated> = commands
        .drain(..)
        .enumerate()
        .map(|(seq, planned)| Dated {
            on: planned.command.occurred_on(),
            rank: rank(&planned.command),
            seq,
            planned,
        })
        .collect();
    dated.sort_by_key(|d| (d.on, d.rank, d.seq));
    commands.extend(dated.into_iter().map(|d| d.planned));
}

/// The day the period began, when the return says it did (its first episode is S): a
/// period whose first episode followed others began before it, on a day not known.
fn period_start(group: &[&EpisodeRow]) -> Option<NaiveDate> {
    group
        .first()
        .filter(|e| e.rne == ReasonNewEpisode::S)
        .map(|e| e.starts_on)
}

/// The day the period ended, when the return says it did.
fn period_end(group: &[&EpisodeRow]) -> Option<NaiveDate> {
    group.last().and_then(|e| match e.ends {
        Some((on, Ended::Left(_))) => Some(on),
        _ => None,
    })
}

/// Splits a child's episodes (in date order) into periods of care: a period ends with an
/// episode that ended for a reason other than X1.
fn split_periods<'a>(
    episodes: &'a [EpisodeRow],
    errors: &mut Vec<ImportError>,
) -> Vec<Vec<&'a EpisodeRow>> {
    let mut periods: Vec<Vec<&EpisodeRow>> = Vec::new();
    for episode in episodes {
        let previous = periods.last().and_then(|p| p.last()).copied();
        match previous.map(|p| p.ends) {
            None | Some(Some((_, Ended::Left(_)))) => {
                // A period after the first begins with S: the child came back into care. The
                // first may begin part-way, its earlier episodes being in earlier returns.
                if previous.is_some() && episode.rne != ReasonNewEpisode::S {
                    errors.push(error(
                        &episode.origin,
                        "RNE",
                        "must be S: the episode before it ended the period of care",
                    ));
                }
                if let Some((left_on, _)) = previous.and_then(|p| p.ends)
                    && episode.starts_on <= left_on
                {
                    errors.push(error(
                        &episode.origin,
                        "DECOM",
                        "must be after the day the child left care",
                    ));
                }
                periods.push(vec![episode]);
            }
            Some(Some((ended_on, Ended::X1))) => {
                if episode.rne == ReasonNewEpisode::S {
                    errors.push(error(
                        &episode.origin,
                        "RNE",
                        "cannot be S: the episode before it ended with X1, within the period",
                    ));
                }
                if episode.starts_on != ended_on {
                    errors.push(error(
                        &episode.origin,
                        "DECOM",
                        "must be the day the episode before it ended (X1)",
                    ));
                }
                if let Some(period) = periods.last_mut() {
                    period.push(episode);
                }
            }
            Some(None) => {
                if let Some(previous) = previous {
                    errors.push(error(
                        &previous.origin,
                        "DEC",
                        "is required: another episode of this child begins after it",
                    ));
                }
                periods.push(vec![episode]);
            }
        }
    }
    if let Some(last) = periods.last().and_then(|p| p.last())
        && matches!(last.ends, Some((_, Ended::X1)))
    {
        errors.push(error(
            &last.origin,
            "REC",
            "is X1 but no episode of this child begins that day",
        ));
    }
    periods
}

fn details(episode: &EpisodeRow) -> PlacementDetails {
    PlacementDetails {
        home_postcode: episode.home_postcode.clone(),
        placement_postcode: episode.placement_postcode.clone(),
        urn: episode.urn.clone(),
        need: episode.need,
        previous_placement_ended: None,
        reason_new_episode: None,
    }
}

fn plan_period(
    rows: &ChildRows,
    group: &[&EpisodeRow],
    history: ImportedHistory,
) -> ImportedPeriod {
    let first = group[0];
    let mut commands = Vec::new();
    let mut carer = 1;
    for pair in group.windows(2) {
        let (before, episode) = (pair[0], pair[1]);
        if matches!(episode.rne, ReasonNewEpisode::P | ReasonNewEpisode::B) {
            carer += 1;
        }
        commands.push(PlannedCommand {
            key: format!("episode:{}", episode.starts_on),
            origin: episode.origin.clone(),
            column: "DECOM",
            command: Command::RecordEpisode {
                on: episode.starts_on,
                legal_status: Some(episode.legal_status),
                placement: Some(episode.placement),
                provider: episode.provider,
                carer: Some(carer_reference(carer)),
                details: PlacementDetails {
                    previous_placement_ended: before.place_change,
                    ..details(episode)
                },
            },
        });
    }
    let last = group[group.len() - 1];
    let left = match last.ends {
        Some((on, Ended::Left(reason))) => Some((on, reason)),
        _ => None,
    };
    let end = left.map(|(on, _)| on);
    let decisions: Vec<&DecisionRow> = rows
        .decisions
        .iter()
        .filter(|d| {
            period_start(group).is_none_or(|start| start <= d.decided_on)
                && end.is_none_or(|end| d.decided_on <= end)
        })
        .collect();
    let mut route = Vec::new();
    let mut adoption_until: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for (i, decision) in decisions.iter().enumerate() {
        let last_decision = i + 1 == decisions.len();
        plan_adoption(
            rows,
            group,
            decision,
            left.filter(|_| last_decision),
            &mut route,
        );
        let until = decision
            .ceased
            .map(|(on, _)| on)
            .or(end)
            .unwrap_or(NaiveDate::MAX);
        adoption_until.push((decision.decided_on, until));
    }
    // A long-term foster placement (U1, U4) confirms a long-term fostering plan, unless an
    // adoption decision stands then.
    if let Some(long_term) = group.iter().find(|e| e.placement.is_long_term_foster())
        && !adoption_until
            .iter()
            .any(|(from, until)| *from <= long_term.starts_on && long_term.starts_on <= *until)
    {
        let steps = [
            steps::CARER_IDENTIFIED,
            steps::PANEL_RECOMMENDATION,
            steps::MATCH_APPROVED,
            steps::MATCH_CONFIRMED,
        ];
        plan_route(
            Route::LongTermFostering,
            long_term.starts_on,
            &steps,
            &long_term.origin,
            "PLACE",
            &mut route,
        );
    }
    if let Some((on, reason)) = left {
        let orders: Option<(Route, &[&str])> = if reason.is_special_guardianship() {
            Some((
                Route::SpecialGuardianship,
                &[
                    steps::ASSESSMENT_STARTED,
                    steps::SGO_REPORT_COMPLETED,
                    steps::SUPPORT_PLAN_AGREED,
                    steps::SGO_GRANTED,
                ],
            ))
        } else if reason == ReasonCeased::E41 {
            Some((Route::ChildArrangementsOrder, &[steps::CAO_GRANTED]))
        } else {
            None
        };
        if let Some((order_route, steps)) = orders {
            plan_route(order_route, on, steps, &last.origin, "REC", &mut route);
        }
        route.push(PlannedCommand {
            key: format!("close:{on}"),
            origin: last.origin.clone(),
            column: "REC",
            command: Command::CloseCase { on, reason },
        });
    }
    commands.extend(route);
    ImportedPeriod {
        key: period_key(first.starts_on),
        origin: first.origin.clone(),
        entered_care_on: first.starts_on,
        legal_status: first.legal_status,
        placement: first.placement,
        provider: first.provider,
        carer: Some(carer_reference(1)),
        details: PlacementDetails {
            reason_new_episode: (first.rne != ReasonNewEpisode::S).then_some(first.rne),
            ..details(first)
        },
        history,
        commands,
    }
}

/// A plan for `route` set on `on` and its steps taken the same day (a court order that the
/// return records only as the reason the child left care).
fn plan_route(
    route: Route,
    on: NaiveDate,
    steps: &[&str],
    origin: &Origin,
    column: &'static str,
    out: &mut Vec<PlannedCommand>,
) {
    out.push(PlannedCommand {
        key: format!("plan:{}:{on}", route.key()),
        origin: origin.clone(),
        column,
        command: Command::SetRoutePlan {
            route,
            role: PlanRole::Primary,
            on,
        },
    });
    for step in steps {
        out.push(step_command(route, step, on, origin, column));
    }
}

fn step_command(
    route: Route,
    step: &str,
    on: NaiveDate,
    origin: &Origin,
    column: &'static str,
) -> PlannedCommand {
    PlannedCommand {
        key: format!("step:{}:{step}:{on}", route.key()),
        origin: origin.clone(),
        column,
        command: Command::RecordRouteStep {
            route,
            step: step.to_owned(),
            on,
        },
    }
}

/// The adoption route a decision to place for adoption implies: the decision (after the
/// adoption panel in a consent case: no placement order follows), the placement order (the
/// first E1 or D1 episode), the match (AD1), the placement (the first A3 to A6 episode), and
/// the adoption order when the period ends in adoption (`left`); or the reversal.
fn plan_adoption(
    rows: &ChildRows,
    group: &[&EpisodeRow],
    decision: &DecisionRow,
    left: Option<(NaiveDate, ReasonCeased)>,
    out: &mut Vec<PlannedCommand>,
) {
    let decided = decision.decided_on;
    let origin = &decision.origin;
    let until = decision
        .ceased
        .map(|(on, _)| on)
        .or(left.map(|(on, _)| on))
        .unwrap_or(NaiveDate::MAX);
    let within = |e: &&&EpisodeRow| e.starts_on >= decided && e.starts_on <= until;
    // The placement order: the episode whose legal status became E1 (or D1). When the
    // return's first episode of the period already has it, the order came before, on a day
    // the return does not hold: the decision's own day is taken.
    let order_index = group.iter().position(|e| {
        matches!(e.legal_status, LegalStatus::E1 | LegalStatus::D1) && e.starts_on <= until
    });
    let ordered: Option<(NaiveDate, &EpisodeRow)> = order_index.map(|i| {
        let e = group[i];
        let became = i > 0 || e.rne == ReasonNewEpisode::S;
        let on = if became && e.starts_on >= decided {
            e.starts_on
        } else {
            decided
        };
        (on, e)
    });
    out.push(PlannedCommand {
        key: format!("plan:adoption:{decided}"),
        origin: origin.clone(),
        column: "DATE_PLACED",
        command: Command::SetRoutePlan {
            route: Route::Adoption,
            role: PlanRole::Primary,
            on: decided,
        },
    });
    if ordered.is_none() {
        out.push(step_command(
            Route::Adoption,
            steps::ADOPTION_PANEL_RECOMMENDATION,
            decided,
            origin,
            "DATE_PLACED",
        ));
    }
    out.push(step_command(
        Route::Adoption,
        steps::SHOBPA_DECISION,
        decided,
        origin,
        "DATE_PLACED",
    ));
    if let Some((on, order)) = ordered {
        out.push(step_command(
            Route::Adoption,
            steps::PLACEMENT_ORDER,
            on,
            &order.origin,
            "LS",
        ));
        // Family finding had begun by the match: a child matched before the order was made
        // (which A2 counts as 0 days) was being linked with adopters before it.
        let matched_first = rows
            .adoption
            .as_ref()
            .and_then(|a| a.matched_on)
            .filter(|m| decision.ceased.is_none() && *m >= decided && *m < on);
        out.push(step_command(
            Route::Adoption,
            steps::FAMILY_FINDING,
            matched_first.unwrap_or(on),
            &order.origin,
            "LS",
        ));
    }
    if let Some((on, reason)) = decision.ceased {
        out.push(PlannedCommand {
            key: format!("reverse:{on}"),
            origin: origin.clone(),
            column: "DATE_PLACED_CEASED",
            command: Command::ReverseAdoptionDecision { on, reason },
        });
        return;
    }
    let matched_on = rows
        .adoption
        .as_ref()
        .and_then(|a| a.matched_on)
        .filter(|on| *on >= decided && *on <= until);
    let broken = broken_placements(group, decided, until, matched_on);
    // Family finding had begun by the first match, whichever it was.
    let mut finding = ordered.is_some();
    for (placed, ended_on, reason) in &broken {
        let on = placed.starts_on;
        if !finding {
            out.push(step_command(
                Route::Adoption,
                steps::FAMILY_FINDING,
                on,
                &placed.origin,
                "PLACE",
            ));
            finding = true;
        }
        // The return dates no match but the last: the match of a placement that broke
        // down is taken to be the day it began.
        for step in [
            steps::MATCHING_PANEL_RECOMMENDATION,
            steps::MATCH_DECISION,
            steps::PLACED_FOR_ADOPTION,
        ] {
            out.push(step_command(
                Route::Adoption,
                step,
                on,
                &placed.origin,
                "PLACE",
            ));
        }
        out.push(PlannedCommand {
            key: format!("breakdown:{ended_on}"),
            origin: placed.origin.clone(),
            column: "REASON_PLACE_CHANGE",
            command: Command::RecordPlacementBreakdown {
                route: Route::Adoption,
                on: *ended_on,
                reason: *reason,
            },
        });
    }
    let Some(adoption) = &rows.adoption else {
        return;
    };
    let Some(matched) = matched_on else {
        return;
    };
    let ad1 = &adoption.origin;
    if !finding {
        out.push(step_command(
            Route::Adoption,
            steps::FAMILY_FINDING,
            matched,
            ad1,
            "DATE_MATCH",
        ));
    }
    out.push(step_command(
        Route::Adoption,
        steps::MATCHING_PANEL_RECOMMENDATION,
        matched,
        ad1,
        "DATE_MATCH",
    ));
    out.push(step_command(
        Route::Adoption,
        steps::MATCH_DECISION,
        matched,
        ad1,
        "DATE_MATCH",
    ));
    if let Some(adopters) = adoption.adopters {
        out.push(PlannedCommand {
            key: format!("adopters:{matched}"),
            origin: ad1.clone(),
            column: "SEX_ADOPTR",
            command: Command::RecordAdopters {
                on: matched,
                adopters,
            },
        });
    }
    let Some(placed) = group
        .iter()
        .filter(within)
        .find(|e| e.starts_on >= matched && e.placement.is_placed_for_adoption())
    else {
        return;
    };
    out.push(step_command(
        Route::Adoption,
        steps::PLACED_FOR_ADOPTION,
        placed.starts_on,
        &placed.origin,
        "PLACE",
    ));
    if let Some((adopted_on, reason)) = left
        && reason.is_adoption()
    {
        let last = group[group.len() - 1];
        // The application is not in the return: the earliest day the law allows it, or the
        // order's own day.
        let applied = ADOPTION_APPLICATION_RESIDENCE
            .after(placed.starts_on)
            .min(adopted_on)
            .max(placed.starts_on);
        out.push(step_command(
            Route::Adoption,
            steps::ADOPTION_APPLICATION,
            applied,
            &last.origin,
            "DEC",
        ));
        out.push(step_command(
            Route::Adoption,
            steps::ADOPTION_ORDER,
            adopted_on,
            &last.origin,
            "DEC",
        ));
    }
}

/// The adoptive placements of a decision's span that broke down while the decision stood
/// (DOMAIN.md §3.1): an A3 to A6 episode followed, within the period, by a placement that is
/// neither one nor temporary, before the match that the AD1 table dates (the match of the family who adopted).
/// Each with the day it ended and why (REASON_PLACE_CHANGE; OTHER when the return gave none).
fn broken_placements<'a>(
    group: &[&'a EpisodeRow],
    decided: NaiveDate,
    until: NaiveDate,
    matched: Option<NaiveDate>,
) -> Vec<(&'a EpisodeRow, NaiveDate, PlacementChangeReason)> {
    group
        .windows(2)
        .filter(|pair| {
            let (placed, next) = (pair[0], pair[1]);
            // A temporary placement (T codes: respite, hospital) is a pause, not an end.
            placed.placement.is_placed_for_adoption()
                && !next.placement.is_placed_for_adoption()
                && !next.placement.code().starts_with('T')
                && placed.starts_on >= decided
                && next.starts_on < until
                && matched.is_none_or(|m| next.starts_on <= m)
        })
        .map(|pair| {
            let reason = pair[0].place_change.unwrap_or(PlacementChangeReason::Other);
            (pair[0], pair[1].starts_on, reason)
        })
        .collect()
}

impl Origin {
    /// Where an imported event came from, as its note says.
    pub fn note(&self) -> String {
        format!("imported from {} row {}", self.file, self.row)
    }
}

/// A period of care the engine already holds, as an earlier import of an earlier collection
/// year's return recorded it.
#[derive(Clone, Copy, Debug)]
pub struct HeldPeriod<'a> {
    pub entered_care_on: NaiveDate,
    pub episodes: &'a [Episode],
}

/// Makes `period`, read from a later collection year's return, the continuation of `held`:
/// a return holds the episodes of its year, so a period of care that runs across the year's
/// start begins, in the later return, at the episode then running (which the earlier return
/// had too) rather than at the day the child entered care.
///
/// The period takes the held period's key, so that its case and its commands get the ids an
/// import of both years at once would give them: the facts both returns hold (that episode,
/// a decision, a match) are recognised as recorded, and only the later ones are added. Its
/// first episode is added as a change of episode if the held period does not have it. Carers
/// are numbered on from the held period's: the carer of the later return's first episode is
/// the held carer of that day, and each later change of carer a new reference.
pub fn continue_period(period: &mut ImportedPeriod, held: HeldPeriod<'_>) {
    period.key = period_key(held.entered_care_on);
    let carer_then = held
        .episodes
        .iter()
        .rfind(|e| e.starts_on <= period.entered_care_on)
        .and_then(|e| e.carer.clone());
    let last_imported_carer = held
        .episodes
        .iter()
        .filter_map(|e| e.carer.as_deref()?.strip_prefix(CARER_PREFIX)?.parse().ok())
        .max()
        .unwrap_or(0);
    let carer = |file_carer: Option<&str>| -> Option<String> {
        let n: usize = file_carer?.strip_prefix(CARER_PREFIX)?.parse().ok()?;
        if n <= 1 {
            carer_then.clone()
        } else {
            Some(carer_reference(n - 1 + last_imported_carer))
        }
    };
    for planned in &mut period.commands {
        if let Command::RecordEpisode { carer: c, .. } = &mut planned.command {
            *c = carer(c.as_deref());
        }
    }
    if !held
        .episodes
        .iter()
        .any(|e| e.starts_on == period.entered_care_on)
    {
        period.commands.insert(
            0,
            PlannedCommand {
                key: format!("episode:{}", period.entered_care_on),
                origin: period.origin.clone(),
                column: "DECOM",
                command: Command::RecordEpisode {
                    on: period.entered_care_on,
                    legal_status: Some(period.legal_status),
                    placement: Some(period.placement),
                    provider: period.provider,
                    carer: carer(period.carer.as_deref()),
                    details: period.details.clone(),
                },
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{SourceFile, read_return};

    const HEADER: &str = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nK1,M,01/02/2015,WBRI,UN4,,\n";
    const COLUMNS: &str = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n";

    fn plan(episodes: &str) -> Result<ImportedChild, Vec<ImportError>> {
        let files = [
            SourceFile {
                name: "header.csv".into(),
                text: HEADER.into(),
            },
            SourceFile {
                name: "episodes.csv".into(),
                text: format!("{COLUMNS}{episodes}"),
            },
        ];
        let data = read_return(&files)?;
        plan_child(&data.children[0], "E10000003", ImportedHistory::default())
    }

    fn carers(period: &ImportedPeriod) -> Vec<String> {
        std::iter::once(period.carer.clone().unwrap_or_default())
            .chain(period.commands.iter().filter_map(|c| match &c.command {
                Command::RecordEpisode { carer, .. } => carer.clone(),
                _ => None,
            }))
            .collect()
    }

    #[test]
    fn carers_change_where_the_reason_for_a_new_episode_says_so() {
        let child = plan(
            "K1,01/05/2025,L,C2,N1,U6,PR1,01/06/2025,X1,,PE13 2HH,CB7 9BR,SC100001\n\
             K1,01/06/2025,P,C2,N1,U6,PR1,01/07/2025,X1,PLACE,PE13 2HH,CB2 1TN,SC100001\n\
             K1,01/07/2025,T,C2,N1,U4,PR1,01/08/2025,X1,,PE13 2HH,CB2 1TN,SC100001\n\
             K1,01/08/2025,L,E1,N1,U4,PR1,01/09/2025,E8,,PE13 2HH,CB2 1TN,SC100001\n",
        )
        .expect("planned");
        assert_eq!(child.periods.len(), 1);
        let period = &child.periods[0];
        assert_eq!(
            carers(period),
            [
                "imported-carer-1",
                "imported-carer-2",
                "imported-carer-2",
                "imported-carer-2"
            ]
        );
        // The period began before its first episode in the return.
        assert_eq!(period.details.reason_new_episode, Some(ReasonNewEpisode::L));
        let Command::RecordEpisode { details, .. } = &period.commands[0].command else {
            panic!("an episode first");
        };
        assert_eq!(details.previous_placement_ended, None);
        let Command::RecordEpisode { details, .. } = &period.commands[1].command else {
            panic!("an episode second");
        };
        assert_eq!(
            details.previous_placement_ended,
            Some(permanence_domain::codes::PlacementChangeReason::Place)
        );
        assert!(matches!(
            period.commands.last().map(|c| &c.command),
            Some(Command::CloseCase {
                reason: ReasonCeased::E8,
                ..
            })
        ));
        assert_eq!(
            period.commands[0].origin.note(),
            "imported from episodes.csv row 3"
        );
    }

    #[test]
    fn episodes_that_do_not_chain_are_reported() {
        let errors = plan(
            "K1,01/05/2025,S,C2,N1,U6,PR1,01/06/2025,X1,,PE13 2HH,CB7 9BR,SC100001\n\
             K1,02/06/2025,P,C2,N1,U6,PR1,01/07/2025,E8,,PE13 2HH,CB2 1TN,SC100001\n\
             K1,01/08/2025,P,C2,N1,U6,PR1,,,,PE13 2HH,CB2 1TN,SC100001\n",
        )
        .expect_err("refused");
        let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(found, [(3, "DECOM"), (4, "RNE")]);
    }

    fn held_episode(on: &str, legal_status: LegalStatus, carer: &str) -> Episode {
        Episode {
            starts_on: on.parse().expect("date"),
            legal_status,
            placement: PlacementType::U4,
            provider: Some(PlacementProvider::PR1),
            carer: Some(carer.to_owned()),
            details: PlacementDetails::default(),
        }
    }

    #[test]
    fn a_later_years_period_continues_the_held_one_with_its_carers() {
        // Held from the earlier return: entered care in January 2024, a change of carer in
        // June, a placement order in February 2025 (the episode running on 1 April 2025).
        let held = [
            held_episode("2024-01-10", LegalStatus::C2, "imported-carer-1"),
            held_episode("2024-06-01", LegalStatus::C2, "imported-carer-2"),
            held_episode("2025-02-01", LegalStatus::E1, "imported-carer-2"),
        ];
        let later = |episodes: &str| {
            let mut child = plan(episodes).expect("planned");
            let mut period = child.periods.remove(0);
            continue_period(
                &mut period,
                HeldPeriod {
                    entered_care_on: "2024-01-10".parse().expect("date"),
                    episodes: &held,
                },
            );
            period
        };
        let period = later(
            "K1,01/02/2025,L,E1,N1,U4,PR1,01/06/2025,X1,,PE13 2HH,CB7 9BR,SC100001\n\
             K1,01/06/2025,P,E1,N1,U4,PR1,01/08/2025,X1,PLACE,PE13 2HH,CB2 1TN,SC100001\n\
             K1,01/08/2025,L,E1,N1,U4,PR1,,,,PE13 2HH,CB2 1TN,SC100001\n",
        );
        assert_eq!(period.key, "period:2024-01-10");
        let episodes: Vec<(String, Option<String>)> = period
            .commands
            .iter()
            .filter_map(|c| match &c.command {
                Command::RecordEpisode { on, carer, .. } => Some((on.to_string(), carer.clone())),
                _ => None,
            })
            .collect();
        // The running episode is held already; the new carer is the third.
        assert_eq!(
            episodes,
            [
                ("2025-06-01".into(), Some("imported-carer-3".into())),
                ("2025-08-01".into(), Some("imported-carer-3".into())),
            ]
        );

        // A first episode the held period does not have is added, with the carer of its day.
        let period = later("K1,01/03/2025,L,E1,N1,U4,PR1,,,,PE13 2HH,CB7 9BR,SC100001\n");
        assert_eq!(period.commands[0].key, "episode:2025-03-01");
        assert!(matches!(
            &period.commands[0].command,
            Command::RecordEpisode { carer: Some(carer), legal_status: Some(LegalStatus::E1), .. }
                if carer == "imported-carer-2"
        ));
    }
}

//! Deciding a command: `decide` and `decide_with` send each command to the module of its
//! concern, which checks it against the case and the rules.

mod adoption;
mod allocation;
mod breakdown;
mod checks;
mod close;
mod episode;
mod imported;
mod legal;
mod open;
mod panel;
mod plan;
mod records;
mod step;

pub use open::is_local_authority_code;

use crate::DomainError;
use crate::case::recorded::LiveRules;
use crate::case::{CaseState, Command, DecisionContext, Event};
use episode::EpisodeChange;

type Decision = Result<Vec<Event>, DomainError>;

/// Checks a command against the case and the rules; answers with the events to record.
pub fn decide(state: Option<&CaseState>, command: &Command, ctx: &DecisionContext<'_>) -> Decision {
    decide_with(state, command, ctx, &mut LiveRules::live())
}

/// `decide`, with the rules of live work applied as `rules` says: refusing (new work) or
/// noting (recorded history, `crate::history::decide_recorded`).
pub(crate) fn decide_with(
    state: Option<&CaseState>,
    command: &Command,
    ctx: &DecisionContext<'_>,
    rules: &mut LiveRules,
) -> Decision {
    let Some(case) = state else {
        return match command {
            Command::OpenCase(open) => open::decide_open(open, ctx, rules),
            _ => Err(DomainError::not_allowed("the case has not been opened")),
        };
    };
    if let Command::OpenCase(_) = command {
        return Err(DomainError::not_allowed("the case is already open"));
    }
    if case.closed.is_some() {
        return Err(DomainError::not_allowed(
            "the case is closed: the child has left care",
        ));
    }
    match command {
        Command::OpenCase(_) => Err(DomainError::not_allowed("the case is already open")),
        Command::AllocateCase {
            on,
            team,
            allocated_worker,
        } => allocation::decide_allocation(case, *on, team, allocated_worker, ctx),
        Command::RecordEpisode {
            on,
            legal_status,
            placement,
            provider,
            carer,
            details,
        } => episode::decide_episode(
            case,
            EpisodeChange {
                on: *on,
                legal_status: *legal_status,
                placement: *placement,
                provider: *provider,
                carer,
                details,
            },
            ctx,
            rules,
        ),
        Command::RecordReview { on, participation } => {
            records::decide_review(case, *on, *participation, ctx)
        }
        Command::RecordHealthAssessment { on } => records::decide_health_assessment(case, *on, ctx),
        Command::RecordVisit { on, seen_alone } => {
            records::decide_visit(case, *on, *seen_alone, ctx)
        }
        Command::SetRoutePlan { route, role, on } => {
            plan::decide_set_plan(case, *route, *role, *on, ctx, rules)
        }
        Command::EndParallelPlan { on } => plan::decide_end_parallel(case, *on, ctx),
        Command::RecordRouteStep { route, step, on } => {
            step::decide_step(case, *route, step, *on, ctx, rules)
        }
        Command::ReverseAdoptionDecision { on, reason } => {
            adoption::decide_reversal(case, *on, *reason, ctx, rules)
        }
        Command::RecordPlacementBreakdown { route, on, reason } => {
            breakdown::decide_breakdown(case, *route, *on, *reason, ctx, rules)
        }
        Command::RecordLegalStep { on, step } => legal::decide_legal(case, *on, *step, ctx, rules),
        Command::CloseCase { on, reason } => close::decide_close(case, *on, *reason, ctx, rules),
        Command::RecordPanelOutcome {
            purpose,
            outcome,
            on,
        } => panel::decide_panel_outcome(case, *purpose, outcome, *on, ctx),
        Command::RecordAgencyDecision {
            purpose,
            agrees,
            on,
        } => panel::decide_agency_decision(case, *purpose, *agrees, *on, ctx),
        Command::RecordAdopters { on, adopters } => {
            adoption::decide_adopters(case, *on, *adopters, ctx)
        }
        Command::RecordImportedHistory { on, history } => {
            imported::decide_imported_history(case, *on, *history, rules)
        }
    }
}

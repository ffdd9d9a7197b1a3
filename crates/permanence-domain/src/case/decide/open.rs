//! Deciding the opening of a case: a child entering care.

use super::Decision;
use super::checks::{check_adoption_decision, check_postcodes, check_provider, check_reference};
use crate::DomainError;
use crate::case::recorded::{DataQualityKind, LiveRules};
use crate::case::{DecisionContext, Event, OpenCase};

pub(super) fn decide_open(
    open: &OpenCase,
    ctx: &DecisionContext<'_>,
    rules: &mut LiveRules,
) -> Decision {
    if !is_local_authority_code(&open.local_authority) {
        return Err(DomainError::validation(
            "localAuthority",
            "must be an ONS code for an English authority: E followed by 8 digits",
        ));
    }
    if open.entered_care_on > ctx.today {
        return Err(DomainError::validation(
            "enteredCareOn",
            "cannot be in the future",
        ));
    }
    if open.entered_care_on < open.child_birth_date {
        return Err(DomainError::validation(
            "enteredCareOn",
            "cannot be before the child's date of birth",
        ));
    }
    check_reference(open.team.as_deref(), "team")?;
    check_reference(open.allocated_worker.as_deref(), "allocatedWorker")?;
    check_reference(open.carer.as_deref(), "carer")?;
    check_provider(open.placement, open.provider)?;
    let details = open.details.normalised()?;
    if details.reason_new_episode == Some(crate::codes::ReasonNewEpisode::S) {
        return Err(DomainError::validation(
            "reasonNewEpisode",
            "is given only for a period whose first episode followed earlier ones (not S)",
        ));
    }
    if details.previous_placement_ended.is_some() {
        return Err(DomainError::validation(
            "placementChangeReason",
            "is given when a placement ends, not when the child enters care",
        ));
    }
    check_postcodes(open.placement, &details)?;
    // A child entering care has no plan yet, so no decision to place for adoption. A period
    // of recorded history imported part-way is the exception: its decision was made before
    // its first held episode, in a year the import does not hold, and is recorded after the
    // opening (`CaseState::care_known_from`), so nothing is known against it here.
    let part_way = rules.is_history() && details.reason_new_episode.is_some();
    if !part_way {
        rules.check(
            open.entered_care_on,
            DataQualityKind::AdoptionPlacementWithoutDecision,
            check_adoption_decision(
                None,
                open.entered_care_on,
                Some(open.placement),
                Some(open.legal_status),
            ),
        )?;
    }
    let mut events = vec![Event::CaseOpened {
        case_id: open.case_id,
        child_id: open.child_id,
        local_authority: open.local_authority.clone(),
        child_birth_date: open.child_birth_date,
        entered_care_on: open.entered_care_on,
        legal_status: open.legal_status,
        placement: open.placement,
        provider: open.provider,
        carer: open.carer.clone(),
        team: open.team.clone(),
        allocated_worker: open.allocated_worker.clone(),
        details,
    }];
    // The round goes on here as it stood at home: its steps, each as the track took them.
    if let Some(round) = &open.legal_round_from_home {
        events.extend(
            round
                .steps()
                .into_iter()
                .map(|(on, step)| Event::LegalStepRecorded { on, step }),
        );
    }
    Ok(events)
}

/// An ONS code of an English local authority: `E` and 8 digits (E10000003).
pub fn is_local_authority_code(code: &str) -> bool {
    code.len() == 9 && code.starts_with('E') && code[1..].bytes().all(|b| b.is_ascii_digit())
}

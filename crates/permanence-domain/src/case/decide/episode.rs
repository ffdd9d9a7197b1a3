//! Deciding a new episode: a change of placement, carer or legal status.

use super::Decision;
use super::checks::{
    check_adoption_decision, check_date, check_not_before, check_postcodes, check_provider,
    check_reference,
};
use crate::DomainError;
use crate::case::recorded::{DataQualityKind, LiveRules};
use crate::case::{CaseState, DecisionContext, Episode, Event};
use crate::codes::{LegalStatus, PlacementProvider, PlacementType};
use crate::return_facts::PlacementDetails;
use chrono::NaiveDate;

/// A change of placement, carer or legal status as the social worker gave it.
pub(super) struct EpisodeChange<'a> {
    pub(super) on: NaiveDate,
    pub(super) legal_status: Option<LegalStatus>,
    pub(super) placement: Option<PlacementType>,
    pub(super) provider: Option<PlacementProvider>,
    pub(super) carer: &'a Option<String>,
    pub(super) details: &'a PlacementDetails,
}

pub(super) fn decide_episode(
    case: &CaseState,
    change: EpisodeChange<'_>,
    ctx: &DecisionContext<'_>,
    rules: &mut LiveRules,
) -> Decision {
    let EpisodeChange {
        on,
        legal_status,
        placement,
        provider,
        carer,
        details,
    } = change;
    check_date(case, on, ctx, "occurredOn")?;
    check_reference(carer.as_deref(), "carer")?;
    let given = details.normalised()?;
    let current = case
        .current_episode()
        .ok_or_else(|| DomainError::not_allowed("the case has no placement yet"))?;
    check_not_before(on, current.starts_on, "occurredOn", "the current placement")?;
    if legal_status.is_none()
        && placement.is_none()
        && provider.is_none()
        && carer.is_none()
        && given.placement_postcode.is_none()
        && given.urn.is_none()
    {
        return Err(DomainError::validation(
            "legalStatus",
            "give at least one of legal status, placement, provider, carer, placement postcode or URN",
        ));
    }
    let placement_changed = placement.is_some_and(|p| p != current.placement);
    let carer_changed = carer
        .as_ref()
        .is_some_and(|c| Some(c) != current.carer.as_ref());
    // A new placement or carer is somewhere else: its postcode and registration are new too.
    let moved = placement_changed || carer_changed;
    let carried = |new: &Option<String>, old: &Option<String>| {
        new.clone()
            .or_else(|| if moved { None } else { old.clone() })
    };
    let next = Episode {
        starts_on: on,
        legal_status: legal_status.unwrap_or(current.legal_status),
        placement: placement.unwrap_or(current.placement),
        // A new placement type means a new provider: do not carry the old one over.
        provider: provider.or(if placement_changed {
            None
        } else {
            current.provider
        }),
        carer: carer.clone().or_else(|| current.carer.clone()),
        details: PlacementDetails {
            home_postcode: given
                .home_postcode
                .clone()
                .or_else(|| current.details.home_postcode.clone()),
            placement_postcode: carried(
                &given.placement_postcode,
                &current.details.placement_postcode,
            ),
            urn: carried(&given.urn, &current.details.urn),
            need: given.need.or(current.details.need),
            previous_placement_ended: given.previous_placement_ended,
            // Only a period's first episode can have begun before the period as recorded.
            reason_new_episode: None,
        },
    };
    let placement_same = next.placement == current.placement
        && next.provider == current.provider
        && next.carer == current.carer
        && next.details.placement_postcode == current.details.placement_postcode
        && next.details.urn == current.details.urn;
    if next.legal_status == current.legal_status && placement_same {
        return Err(DomainError::validation(
            "legalStatus",
            "nothing changed: the placement, provider, carer and legal status are already these",
        ));
    }
    if placement_same && next.details.previous_placement_ended.is_some() {
        return Err(DomainError::validation(
            "placementChangeReason",
            "is only given when the placement changes",
        ));
    }
    check_provider(next.placement, next.provider)?;
    check_postcodes(next.placement, &next.details)?;
    rules.check(
        on,
        DataQualityKind::AdoptionPlacementWithoutDecision,
        check_adoption_decision(
            Some(case),
            on,
            (next.placement != current.placement).then_some(next.placement),
            (next.legal_status != current.legal_status).then_some(next.legal_status),
        ),
    )?;
    Ok(vec![Event::EpisodeStarted {
        on,
        legal_status: next.legal_status,
        placement: next.placement,
        provider: next.provider,
        carer: next.carer,
        details: next.details,
        // Only an import's history: a cohort recorded in batches is decided as history too,
        // but it is live work in every other respect and must come out event for event the
        // same as one recorded command by command.
        from_history: rules.is_history() && case.imported.is_some(),
    }])
}

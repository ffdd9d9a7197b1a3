//! The checks and refusals that several commands share: dates, references, providers,
//! postcodes and a standing decision to place for adoption.

use crate::DomainError;
use crate::case::{CaseState, DecisionContext, MAX_REFERENCE_LEN};
use crate::codes::{LegalStatus, PlacementProvider, PlacementType};
use crate::return_facts::PlacementDetails;
use crate::route::steps;
use chrono::NaiveDate;

/// A placement for adoption (A3–A6) or a placement order (legal status E1) that an episode
/// begins needs a standing decision that the child should be placed for adoption, made on or
/// before the episode begins (DOMAIN.md §3.1; the national validator's rule 551). A
/// placement order made at a final hearing is recorded as an E1 episode like any other
/// change of legal status, so it meets the same rule. `placement` and `legal_status` are
/// given only when the episode changes them: a placement order carried over to a move made
/// after the decision was reversed still stands until the court revokes it, and the
/// decision it needed was made.
pub(super) fn check_adoption_decision(
    case: Option<&CaseState>,
    on: NaiveDate,
    placement: Option<PlacementType>,
    legal_status: Option<LegalStatus>,
) -> Result<(), DomainError> {
    let decided = case.is_some_and(|case| {
        case.plans.iter().any(|p| {
            p.has_open_adoption_decision()
                && p.taken(steps::SHOBPA_DECISION).is_some_and(|d| d <= on)
        })
    });
    if decided {
        return Ok(());
    }
    if let Some(placement) = placement.filter(|p| p.is_placed_for_adoption()) {
        return Err(DomainError::validation(
            "placement",
            format!(
                "a placement for adoption ({placement}) needs a standing decision that the child should be placed for adoption: record the decision on the adoption plan first"
            ),
        ));
    }
    if legal_status == Some(LegalStatus::E1) {
        return Err(DomainError::validation(
            "legalStatus",
            "a placement order (E1) needs a standing decision that the child should be placed for adoption: record the decision on the adoption plan first",
        ));
    }
    Ok(())
}

/// The home and placement postcodes differ unless the child is placed with parents
/// (SSDA903 rule 392d).
pub(super) fn check_postcodes(
    placement: PlacementType,
    details: &PlacementDetails,
) -> Result<(), DomainError> {
    if placement != PlacementType::P1
        && details.home_postcode.is_some()
        && details.home_postcode == details.placement_postcode
    {
        return Err(DomainError::validation(
            "placementPostcode",
            "must differ from the home postcode unless the child is placed with parents (P1)",
        ));
    }
    Ok(())
}

pub(super) fn open_adoption_decision() -> DomainError {
    DomainError::not_allowed(
        "the decision that the child should be placed for adoption still stands: reverse it first, with a date and a reason (RD1 to RD4)",
    )
}

pub(super) fn check_date(
    case: &CaseState,
    on: NaiveDate,
    ctx: &DecisionContext<'_>,
    field: &str,
) -> Result<(), DomainError> {
    if on > ctx.today {
        return Err(DomainError::validation(field, "cannot be in the future"));
    }
    if on < case.care_known_from() {
        return Err(DomainError::validation(
            field,
            "cannot be before the child entered care",
        ));
    }
    Ok(())
}

pub(super) fn check_not_before(
    on: NaiveDate,
    earlier: NaiveDate,
    field: &str,
    what: &str,
) -> Result<(), DomainError> {
    if on < earlier {
        Err(DomainError::validation(
            field,
            format!("cannot be dated before {what}"),
        ))
    } else {
        Ok(())
    }
}

pub(super) fn check_reference(value: Option<&str>, field: &str) -> Result<(), DomainError> {
    match value {
        Some(v) if v.trim().is_empty() => Err(DomainError::validation(field, "cannot be blank")),
        Some(v) if v.chars().count() > MAX_REFERENCE_LEN => Err(DomainError::validation(
            field,
            format!("must be at most {MAX_REFERENCE_LEN} characters"),
        )),
        _ => Ok(()),
    }
}

/// PLACE_PROVIDER PR0 (a parent) goes with placement P1 and only with it (SSDA903 rule).
pub(super) fn check_provider(
    placement: PlacementType,
    provider: Option<PlacementProvider>,
) -> Result<(), DomainError> {
    let with_parents = placement == PlacementType::P1;
    match provider {
        Some(PlacementProvider::PR0) if !with_parents => Err(DomainError::validation(
            "provider",
            "PR0 (parent) is only for placements with parents (P1)",
        )),
        Some(p) if with_parents && p != PlacementProvider::PR0 => Err(DomainError::validation(
            "provider",
            "a placement with parents (P1) has provider PR0",
        )),
        _ => Ok(()),
    }
}

//! What the panel's pages and forms share: opening a meeting the person may open, the
//! children of the cases listed, the links to a meeting and its forms, and the words for
//! the panel's kinds, purposes, items and documents.

use crate::error::PageError;
use crate::{WebState, format};
use permanence_auth::view::{self, Personal};
use permanence_auth::{Access, Action, Principal, Target, authorize};
use permanence_domain::ids::PanelMeetingId;
use permanence_domain::panel::{PanelItemStatus, PanelKind, PanelPurpose};
use permanence_engine::panel::DocumentChecklist;
use permanence_engine::store::{CaseRecord, ChildRecord, PanelItemRecord, PanelMeetingRecord};
use std::collections::HashMap;
use uuid::Uuid;

/// The child a row is about: their reference (a link to the case), and their name unless
/// the reader sees pseudonymised records.
pub(crate) struct ChildCell {
    pub case_id: String,
    pub reference: String,
    pub name: Option<String>,
}

impl ChildCell {
    pub fn new(case: &CaseRecord, child: Option<&ChildRecord>, access: Access) -> Self {
        Self {
            case_id: case.id.to_string(),
            reference: child.map_or_else(String::new, |c| c.reference.clone()),
            name: view::personal(access, Personal::Name, child.and_then(|c| c.name.clone())),
        }
    }
}

/// A form the person may use: its link and its words.
pub(crate) struct FormLink {
    pub href: String,
    pub title: String,
}

/// The meeting with this id (as typed in the path), if the person may do `action` in its
/// authority; a meeting of another authority is "page not found", as a missing one is.
pub(crate) async fn open_meeting(
    state: &WebState,
    principal: &Principal,
    id: &str,
    action: Action,
) -> Result<PanelMeetingRecord, PageError> {
    let Ok(id) = Uuid::parse_str(id).map(PanelMeetingId) else {
        return Err(PageError::NotFound);
    };
    let meeting = state
        .engine
        .store()
        .panel_meeting(id)
        .await?
        .ok_or(PageError::NotFound)?;
    if !may_in_authority(principal, action, &meeting.local_authority) {
        return Err(PageError::NotFound);
    }
    Ok(meeting)
}

pub(crate) fn may_in_authority(principal: &Principal, action: Action, authority: &str) -> bool {
    authorize(principal, action, Target::Authority(authority)).is_ok()
}

pub(crate) async fn children_of(
    state: &WebState,
    cases: impl Iterator<Item = &CaseRecord>,
) -> Result<HashMap<permanence_domain::ChildId, ChildRecord>, PageError> {
    let ids: Vec<_> = cases.map(|c| c.child_id).collect();
    Ok(state.engine.store().children_by_ids(&ids).await?)
}

pub(crate) fn meeting_path(id: PanelMeetingId) -> String {
    format!("/panel/meetings/{}", id.0)
}

/// "Panel on 3 September 2026".
pub(crate) fn meeting_heading(meeting: &PanelMeetingRecord) -> String {
    format!("Panel on {}", format::date(meeting.sits_on))
}

/// Maps what the engine refuses on a page that only reads.
pub(crate) fn engine_error(e: permanence_engine::EngineError) -> PageError {
    match e {
        permanence_engine::EngineError::NotFound(_) => PageError::NotFound,
        other => PageError::Internal(other.to_string()),
    }
}

pub(crate) fn purpose_label(purpose: PanelPurpose) -> String {
    format::capitalised(purpose.label())
}

pub(crate) fn kind_label(kind: PanelKind) -> &'static str {
    match kind {
        PanelKind::Combined => "Combined panel",
        PanelKind::Adoption => "Adoption panel",
        PanelKind::Permanence => "Permanence panel",
        PanelKind::Fostering => "Fostering panel",
    }
}

pub(crate) fn item_status(item: &PanelItemRecord) -> (String, &'static str) {
    match item.status {
        PanelItemStatus::Scheduled => ("To be heard".into(), "govuk-tag--blue"),
        PanelItemStatus::Recommended => (
            "Recommended: waiting for the agency decision".into(),
            "govuk-tag--yellow",
        ),
        PanelItemStatus::NotRecommended => ("Not recommended".into(), "govuk-tag--grey"),
        PanelItemStatus::Deferred => ("Deferred".into(), "govuk-tag--orange"),
        PanelItemStatus::Decided => match item.decision_agrees {
            Some(false) => (
                "Decided: the agency decision maker did not agree".into(),
                "govuk-tag--grey",
            ),
            _ => (
                "Decided: the agency decision maker agreed".into(),
                "govuk-tag--green",
            ),
        },
        PanelItemStatus::Withdrawn => ("Withdrawn".into(), "govuk-tag--grey"),
    }
}

/// What a document the panel needs is called.
pub(crate) fn document_label(key: &str) -> String {
    known_document(key).map_or_else(
        || format::capitalised(&key.replace('_', " ")),
        str::to_owned,
    )
}

fn known_document(key: &str) -> Option<&'static str> {
    Some(match key {
        "child_permanence_report" => "Child's permanence report",
        "medical_report" => "Medical report",
        "legal_advice" => "Legal advice",
        "adoption_placement_report" => "Adoption placement report",
        "prospective_adopter_report" => "Prospective adopter's report",
        "adoption_support_plan" => "Adoption support plan",
        "long_term_match_report" => "Long-term match report",
        "carer_assessment" => "Carer's assessment",
        "support_plan" => "Support plan",
        "special_guardianship_report" => "Special guardianship report",
        "parenting_assessment" => "Parenting assessment",
        "reunification_plan" => "Reunification plan",
        _ => return None,
    })
}

/// "2 of 3 received".
pub(crate) fn documents_summary(documents: &DocumentChecklist) -> String {
    format!("{} of {} received", documents.ready, documents.required)
}

pub(crate) fn missing_documents(documents: &DocumentChecklist) -> Vec<String> {
    documents
        .documents
        .iter()
        .filter(|d| !d.ready)
        .map(|d| document_label(d.document))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_a_purpose_needs_has_a_name() {
        for purpose in PanelPurpose::ALL {
            for document in purpose.documents() {
                assert!(known_document(document).is_some(), "{document}");
            }
        }
    }
}

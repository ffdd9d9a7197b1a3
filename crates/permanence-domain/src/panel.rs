//! The permanence panel: what a case goes to panel for, what each purpose needs, and the
//! outcomes a panel and an agency decision maker record.
//!
//! A panel's recommendation and the decision that follows are steps of the case's route, so
//! a purpose is a mapping onto the route definitions: which step the recommendation records
//! and which step the decision records. The route's transition table then refuses, for
//! example, a match decision without a matching panel recommendation.

use crate::DomainError;
use crate::route::{Route, steps};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Longest deferral reason kept.
pub const MAX_REASON_LEN: usize = 500;

/// The kind of panel a meeting is. An authority may run one combined panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PanelKind {
    Adoption,
    Permanence,
    Fostering,
    Combined,
}

impl PanelKind {
    pub const ALL: &'static [PanelKind] = &[
        PanelKind::Adoption,
        PanelKind::Permanence,
        PanelKind::Fostering,
        PanelKind::Combined,
    ];

    pub fn key(self) -> &'static str {
        match self {
            PanelKind::Adoption => "ADOPTION",
            PanelKind::Permanence => "PERMANENCE",
            PanelKind::Fostering => "FOSTERING",
            PanelKind::Combined => "COMBINED",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.key() == key)
    }

    /// Whether a meeting of this kind may hear an item with this purpose.
    pub fn hears(self, purpose: PanelPurpose) -> bool {
        match self {
            PanelKind::Combined => true,
            PanelKind::Adoption => matches!(
                purpose,
                PanelPurpose::ShobpaConsent | PanelPurpose::AdoptionMatch
            ),
            PanelKind::Permanence => !matches!(purpose, PanelPurpose::AdoptionMatch),
            PanelKind::Fostering => matches!(purpose, PanelPurpose::LongTermFosterMatch),
        }
    }
}

/// Why a case goes to panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PanelPurpose {
    /// Should the child be placed for adoption, in a consent case (AAR reg 18).
    ShobpaConsent,
    /// Placing the child with particular adopters (AAR reg 32).
    AdoptionMatch,
    /// A long-term foster match.
    LongTermFosterMatch,
    SpecialGuardianshipPlan,
    ReunificationPlan,
}

impl PanelPurpose {
    pub const ALL: &'static [PanelPurpose] = &[
        PanelPurpose::ShobpaConsent,
        PanelPurpose::AdoptionMatch,
        PanelPurpose::LongTermFosterMatch,
        PanelPurpose::SpecialGuardianshipPlan,
        PanelPurpose::ReunificationPlan,
    ];

    pub fn key(self) -> &'static str {
        match self {
            PanelPurpose::ShobpaConsent => "SHOBPA_CONSENT",
            PanelPurpose::AdoptionMatch => "ADOPTION_MATCH",
            PanelPurpose::LongTermFosterMatch => "LONG_TERM_FOSTER_MATCH",
            PanelPurpose::SpecialGuardianshipPlan => "SPECIAL_GUARDIANSHIP_PLAN",
            PanelPurpose::ReunificationPlan => "REUNIFICATION_PLAN",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            PanelPurpose::ShobpaConsent => "decision to place for adoption (consent case)",
            PanelPurpose::AdoptionMatch => "adoption match",
            PanelPurpose::LongTermFosterMatch => "long-term foster match",
            PanelPurpose::SpecialGuardianshipPlan => "special guardianship plan",
            PanelPurpose::ReunificationPlan => "reunification plan",
        }
    }

    pub fn route(self) -> Route {
        match self {
            PanelPurpose::ShobpaConsent | PanelPurpose::AdoptionMatch => Route::Adoption,
            PanelPurpose::LongTermFosterMatch => Route::LongTermFostering,
            PanelPurpose::SpecialGuardianshipPlan => Route::SpecialGuardianship,
            PanelPurpose::ReunificationPlan => Route::Reunification,
        }
    }

    /// The route step a recommendation records.
    pub fn recommendation_step(self) -> &'static str {
        match self {
            PanelPurpose::ShobpaConsent => steps::ADOPTION_PANEL_RECOMMENDATION,
            PanelPurpose::AdoptionMatch => steps::MATCHING_PANEL_RECOMMENDATION,
            PanelPurpose::LongTermFosterMatch
            | PanelPurpose::SpecialGuardianshipPlan
            | PanelPurpose::ReunificationPlan => steps::PANEL_RECOMMENDATION,
        }
    }

    /// The route step the agency decision maker's (or nominated officer's) agreement records.
    pub fn decision_step(self) -> &'static str {
        match self {
            PanelPurpose::ShobpaConsent => steps::SHOBPA_DECISION,
            PanelPurpose::AdoptionMatch => steps::MATCH_DECISION,
            PanelPurpose::LongTermFosterMatch => steps::MATCH_APPROVED,
            PanelPurpose::SpecialGuardianshipPlan => steps::ADM_DECISION,
            PanelPurpose::ReunificationPlan => steps::RETURN_HOME_APPROVED,
        }
    }

    /// The purpose whose recommendation is this route step, if any.
    pub fn for_step(route: Route, step: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.route() == route && p.recommendation_step() == step)
    }

    /// The documents the item needs before panel.
    pub fn documents(self) -> &'static [&'static str] {
        match self {
            PanelPurpose::ShobpaConsent => {
                &["child_permanence_report", "medical_report", "legal_advice"]
            }
            PanelPurpose::AdoptionMatch => &[
                "child_permanence_report",
                "adoption_placement_report",
                "prospective_adopter_report",
                "medical_report",
                "adoption_support_plan",
            ],
            PanelPurpose::LongTermFosterMatch => {
                &["long_term_match_report", "carer_assessment", "support_plan"]
            }
            PanelPurpose::SpecialGuardianshipPlan => {
                &["special_guardianship_report", "support_plan"]
            }
            PanelPurpose::ReunificationPlan => &["parenting_assessment", "reunification_plan"],
        }
    }
}

/// What the panel recommended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PanelOutcome {
    Recommended,
    NotRecommended,
    /// Deferred: back to the queue with a reason and the date to return by.
    Deferred {
        reason: String,
        return_by: NaiveDate,
    },
}

impl PanelOutcome {
    /// Checks what the outcome says of itself (a deferral's reason), before anything about
    /// the meeting is known.
    pub fn validate_text(&self) -> Result<(), DomainError> {
        if let PanelOutcome::Deferred { reason, .. } = self {
            if reason.trim().is_empty() {
                return Err(DomainError::validation(
                    "deferralReason",
                    "a deferral needs a reason",
                ));
            }
            if reason.chars().count() > MAX_REASON_LEN {
                return Err(DomainError::validation(
                    "deferralReason",
                    format!("must be at most {MAX_REASON_LEN} characters"),
                ));
            }
        }
        Ok(())
    }

    pub fn validate(&self, sat_on: NaiveDate) -> Result<(), DomainError> {
        self.validate_text()?;
        if let PanelOutcome::Deferred { return_by, .. } = self
            && *return_by <= sat_on
        {
            return Err(DomainError::validation(
                "returnBy",
                "the date to return to panel must be after the panel",
            ));
        }
        Ok(())
    }
}

/// Where a panel meeting stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PanelMeetingStatus {
    /// Its agenda can still change.
    Planned,
    /// It sat: at least one outcome is recorded.
    Held,
    Cancelled,
}

impl PanelMeetingStatus {
    pub const ALL: &'static [PanelMeetingStatus] = &[
        PanelMeetingStatus::Planned,
        PanelMeetingStatus::Held,
        PanelMeetingStatus::Cancelled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            PanelMeetingStatus::Planned => "PLANNED",
            PanelMeetingStatus::Held => "HELD",
            PanelMeetingStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.key() == key)
    }
}

/// Where an item on a panel agenda stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PanelItemStatus {
    /// On the agenda, not yet heard.
    Scheduled,
    /// The panel recommended; the agency decision is awaited.
    Recommended,
    NotRecommended,
    /// Heard and deferred: the case is back in the queue.
    Deferred,
    /// The agency decision maker decided (agreeing or not).
    Decided,
    /// Taken off the agenda before it was heard.
    Withdrawn,
}

impl PanelItemStatus {
    pub const ALL: &'static [PanelItemStatus] = &[
        PanelItemStatus::Scheduled,
        PanelItemStatus::Recommended,
        PanelItemStatus::NotRecommended,
        PanelItemStatus::Deferred,
        PanelItemStatus::Decided,
        PanelItemStatus::Withdrawn,
    ];

    pub fn key(self) -> &'static str {
        match self {
            PanelItemStatus::Scheduled => "SCHEDULED",
            PanelItemStatus::Recommended => "RECOMMENDED",
            PanelItemStatus::NotRecommended => "NOT_RECOMMENDED",
            PanelItemStatus::Deferred => "DEFERRED",
            PanelItemStatus::Decided => "DECIDED",
            PanelItemStatus::Withdrawn => "WITHDRAWN",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.key() == key)
    }

    /// The item still holds the case's place: on an agenda, or waiting for a decision.
    /// A case with an open item is not in the queue.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            PanelItemStatus::Scheduled | PanelItemStatus::Recommended
        )
    }

    /// The status an item takes when the panel's outcome is recorded.
    pub fn after(outcome: &PanelOutcome) -> Self {
        match outcome {
            PanelOutcome::Recommended => PanelItemStatus::Recommended,
            PanelOutcome::NotRecommended => PanelItemStatus::NotRecommended,
            PanelOutcome::Deferred { .. } => PanelItemStatus::Deferred,
        }
    }
}

/// A panel outcome kept on the case, so that the case's history and deadlines know it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelOutcomeEntry {
    pub purpose: PanelPurpose,
    pub on: NaiveDate,
    pub outcome: PanelOutcome,
    /// The agency decision that followed: its date and whether it agreed.
    pub decision: Option<(NaiveDate, bool)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RouteCatalog;
    use crate::route::StepKind;

    #[test]
    fn every_purpose_maps_onto_real_panel_and_decision_steps() {
        let catalog = RouteCatalog::standard().expect("valid");
        for purpose in PanelPurpose::ALL {
            let def = catalog.current(purpose.route());
            let rec = def
                .step(purpose.recommendation_step())
                .expect("recommendation step exists");
            assert_eq!(rec.kind, StepKind::PanelRecommendation, "{purpose:?}");
            let decision = def
                .step(purpose.decision_step())
                .expect("decision step exists");
            assert!(
                decision.after.contains(&rec.key),
                "{purpose:?}: decision follows recommendation"
            );
            assert_eq!(PanelPurpose::from_key(purpose.key()), Some(*purpose));
            assert_eq!(
                PanelPurpose::for_step(purpose.route(), rec.key),
                Some(*purpose)
            );
        }
    }

    #[test]
    fn deferral_needs_reason_and_later_date() {
        let on = NaiveDate::from_ymd_opt(2025, 3, 3).expect("date");
        let later = NaiveDate::from_ymd_opt(2025, 4, 7).expect("date");
        let ok = PanelOutcome::Deferred {
            reason: "medical report missing".into(),
            return_by: later,
        };
        assert!(ok.validate(on).is_ok());
        let no_reason = PanelOutcome::Deferred {
            reason: " ".into(),
            return_by: later,
        };
        assert!(no_reason.validate(on).is_err());
        let same_day = PanelOutcome::Deferred {
            reason: "x".into(),
            return_by: on,
        };
        assert!(same_day.validate(on).is_err());
    }

    #[test]
    fn panel_kinds_hear_their_purposes() {
        assert!(PanelKind::Adoption.hears(PanelPurpose::AdoptionMatch));
        assert!(!PanelKind::Fostering.hears(PanelPurpose::AdoptionMatch));
        assert!(PanelKind::Combined.hears(PanelPurpose::ReunificationPlan));
    }
}

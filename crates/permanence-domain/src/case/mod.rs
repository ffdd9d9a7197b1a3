//! A case: one period of care of one child, as a decider.
//!
//! `decide` checks a command against the case's state and the rules, and answers with the
//! events that record what happened, or with a refusal a social worker can act on.
//! `evolve` applies an event to the state and never fails: history that was accepted once
//! is never rejected on replay, even after a rule changes. `replay` folds `evolve`.

mod command;
mod decide;
mod event;
mod evolve;
pub(crate) mod placement;
pub(crate) mod recorded;
mod state;

pub use crate::legal::{
    FinalOrder, LegalRound, LegalStep, LegalTrack, PreProceedings, PreProceedingsOutcome,
    Proceedings,
};
pub use command::{Command, DecisionContext, OpenCase};
pub(crate) use decide::decide_with;
pub use decide::{decide, is_local_authority_code};
pub use event::Event;
pub use evolve::{evolve, replay};
pub use state::{
    Breakdown, CaseState, Closure, Episode, HealthAssessment, HealthAssessmentKind,
    MAX_REFERENCE_LEN, PlanEnd, PlanEndReason, PlanRole, Reversal, RoutePlan, TakenStep, Visit,
};

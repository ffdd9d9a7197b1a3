//! Shared given/when/then helpers for the domain's integration tests.
//!
//! A [`Case`] is built the way the engine builds one: every command goes through `decide`,
//! and only the events `decide` answers with are applied with `evolve`. The helpers panic
//! with the refusal when a "given" command is refused, so a broken precondition shows the
//! domain's own message rather than a later, confusing assertion.

#![allow(dead_code)]

use chrono::NaiveDate;
use permanence_domain::case::{DecisionContext, OpenCase, PlanRole};
use permanence_domain::codes::{LegalStatus, PlacementProvider, PlacementType};
use permanence_domain::{
    CaseId, CaseState, ChildId, Command, DomainError, Event, Route, RouteCatalog, decide, evolve,
};
use std::sync::OnceLock;
use uuid::Uuid;

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

pub fn catalog() -> &'static RouteCatalog {
    static CATALOG: OnceLock<RouteCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| RouteCatalog::standard().expect("the standard catalog is valid"))
}

/// A valid local authority (an ONS code: E and 8 digits).
pub const LA: &str = "E10000003";

/// The facts of a child entering care in an ordinary foster placement.
pub fn open_case(entered_care_on: NaiveDate) -> OpenCase {
    OpenCase {
        case_id: CaseId(Uuid::from_u128(1)),
        child_id: ChildId(Uuid::from_u128(2)),
        local_authority: LA.to_owned(),
        child_birth_date: d(2020, 3, 14),
        entered_care_on,
        legal_status: LegalStatus::C1,
        placement: PlacementType::U6,
        provider: Some(PlacementProvider::PR1),
        carer: Some("carer-1".to_owned()),
        team: Some("team-a".to_owned()),
        allocated_worker: Some("worker-1".to_owned()),
        details: Default::default(),
        legal_round_from_home: None,
    }
}

/// A case as the engine would hold it: state, history, and the date `decide` sees as today.
#[derive(Debug)]
pub struct Case {
    pub today: NaiveDate,
    pub state: Option<CaseState>,
    pub events: Vec<Event>,
}

impl Case {
    /// No case yet; `decide` sees `today`.
    pub fn empty(today: NaiveDate) -> Self {
        Self {
            today,
            state: None,
            events: vec![],
        }
    }

    /// Given a child who entered care on `entered_care_on`, seen from `today`.
    pub fn opened(entered_care_on: NaiveDate, today: NaiveDate) -> Self {
        let mut case = Self::empty(today);
        case.given(Command::OpenCase(open_case(entered_care_on)));
        case
    }

    pub fn ctx(&self) -> DecisionContext<'static> {
        DecisionContext {
            today: self.today,
            catalog: catalog(),
        }
    }

    /// What `decide` answers, without changing the case.
    pub fn when(&self, command: &Command) -> Result<Vec<Event>, DomainError> {
        decide(self.state.as_ref(), command, &self.ctx())
    }

    /// Decides and, when accepted, applies the events.
    pub fn try_apply(&mut self, command: Command) -> Result<Vec<Event>, DomainError> {
        let events = self.when(&command)?;
        for event in &events {
            self.state = evolve(self.state.take(), event);
        }
        self.events.extend(events.iter().cloned());
        Ok(events)
    }

    /// A precondition: the command must be accepted.
    pub fn given(&mut self, command: Command) -> &mut Self {
        let shown = format!("{command:?}");
        if let Err(e) = self.try_apply(command) {
            panic!("given {shown} was refused: {e:?}");
        }
        self
    }

    /// A precondition of recorded history (an import's fact): decided by
    /// `decide_recorded`, which must accept it.
    pub fn recorded(&mut self, command: Command) -> &mut Self {
        let shown = format!("{command:?}");
        let events = permanence_domain::history::decide_recorded(
            self.state.as_ref(),
            &command,
            &self.ctx(),
            Some("imported from a test"),
        )
        .unwrap_or_else(|e| panic!("recorded {shown} was refused: {e:?}"));
        for event in &events {
            self.state = evolve(self.state.take(), event);
        }
        self.events.extend(events);
        self
    }

    pub fn plan(&mut self, route: Route, on: NaiveDate) -> &mut Self {
        self.given(set_plan(route, PlanRole::Primary, on))
    }

    pub fn parallel(&mut self, route: Route, on: NaiveDate) -> &mut Self {
        self.given(set_plan(route, PlanRole::Parallel, on))
    }

    pub fn step(&mut self, route: Route, step: &str, on: NaiveDate) -> &mut Self {
        self.given(record_step(route, step, on))
    }

    /// Records the steps in order, one a day from `from`.
    pub fn steps(&mut self, route: Route, steps: &[&str], from: NaiveDate) -> &mut Self {
        let mut on = from;
        for step in steps {
            self.step(route, step, on);
            on = on.succ_opt().expect("a later date");
        }
        self
    }

    /// The child moves to a placement of type `placement` (provided by the authority) on `on`.
    pub fn placed(&mut self, placement: PlacementType, on: NaiveDate) -> &mut Self {
        self.given(move_to(placement, on))
    }

    pub fn state(&self) -> &CaseState {
        self.state.as_ref().expect("the case is open")
    }
}

pub fn set_plan(route: Route, role: PlanRole, on: NaiveDate) -> Command {
    Command::SetRoutePlan { route, role, on }
}

/// A move to a placement of type `placement`, provided by the authority, with a new carer.
pub fn move_to(placement: PlacementType, on: NaiveDate) -> Command {
    Command::RecordEpisode {
        on,
        legal_status: None,
        placement: Some(placement),
        provider: Some(PlacementProvider::PR1),
        carer: Some(format!("carer-{}", placement.code().to_lowercase())),
        details: Default::default(),
    }
}

pub fn record_step(route: Route, step: &str, on: NaiveDate) -> Command {
    Command::RecordRouteStep {
        route,
        step: step.to_owned(),
        on,
    }
}

/// The refusal's message when it is `TransitionNotAllowed`; panics otherwise.
pub fn not_allowed(result: Result<Vec<Event>, DomainError>) -> String {
    match result {
        Err(DomainError::TransitionNotAllowed(message)) => message,
        other => panic!("expected TransitionNotAllowed, got {other:?}"),
    }
}

/// The field and reason when it is `Validation`; panics otherwise.
pub fn invalid(result: Result<Vec<Event>, DomainError>) -> (String, String) {
    match result {
        Err(DomainError::Validation { field, reason }) => (field, reason),
        other => panic!("expected Validation, got {other:?}"),
    }
}

/// The steps of a route from `plan_endorsed` (exclusive) to its final step, by the path
/// DOMAIN.md describes.
pub fn full_path(route: Route) -> &'static [&'static str] {
    match route {
        Route::Adoption => &[
            "shobpa_decision",
            "placement_order",
            "family_finding",
            "matching_panel_recommendation",
            "match_decision",
            "placed_for_adoption",
            "adoption_application",
            "adoption_order",
        ],
        Route::SpecialGuardianship => &[
            "assessment_started",
            "sgo_report_completed",
            "support_plan_agreed",
            "panel_recommendation",
            "adm_decision",
            "sgo_granted",
        ],
        Route::Reunification => &[
            "parent_assessment",
            "return_home_approved",
            "placed_with_parents",
            "returned_home",
        ],
        Route::LongTermFostering => &[
            "carer_identified",
            "panel_recommendation",
            "match_approved",
            "match_confirmed",
        ],
        Route::ChildArrangementsOrder => &["cao_granted"],
    }
}

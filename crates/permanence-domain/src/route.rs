//! Route definitions: the steps of each route to permanence, which step may follow which,
//! who records each, and the deadline rules that run between them.
//!
//! A definition is data, so that the engine, the API (`routes`) and the tests all read the
//! same table, and a change of practice is a change of data with a new version number.
//! Every definition is validated when the catalog is loaded: a route with an unreachable
//! step or a dead end would strand real cases.

use crate::DomainError;
use crate::timescales::{Basis, Setting};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A route to permanence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Route {
    Adoption,
    SpecialGuardianship,
    Reunification,
    LongTermFostering,
    ChildArrangementsOrder,
}

impl Route {
    pub const ALL: &'static [Route] = &[
        Route::Adoption,
        Route::SpecialGuardianship,
        Route::Reunification,
        Route::LongTermFostering,
        Route::ChildArrangementsOrder,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Route::Adoption => "adoption",
            Route::SpecialGuardianship => "special guardianship",
            Route::Reunification => "reunification",
            Route::LongTermFostering => "long-term fostering",
            Route::ChildArrangementsOrder => "child arrangements order",
        }
    }

    /// A stable machine name, used in storage and the API.
    pub fn key(self) -> &'static str {
        match self {
            Route::Adoption => "ADOPTION",
            Route::SpecialGuardianship => "SPECIAL_GUARDIANSHIP",
            Route::Reunification => "REUNIFICATION",
            Route::LongTermFostering => "LONG_TERM_FOSTERING",
            Route::ChildArrangementsOrder => "CHILD_ARRANGEMENTS_ORDER",
        }
    }

    pub fn from_key(key: &str) -> Option<Route> {
        Route::ALL.iter().copied().find(|r| r.key() == key)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What kind of step it is; the panel queue and drift reports select on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepKind {
    /// The plan for permanence is endorsed: every route starts here.
    PlanEndorsed,
    Assessment,
    PanelRecommendation,
    Decision,
    CourtOrder,
    Placement,
    Other,
}

/// Who records a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    SocialWorker,
    PanelChair,
    AgencyDecisionMaker,
    NominatedOfficer,
    TeamManager,
}

/// One step of a route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepDefinition {
    /// Stable machine name (`match_decision`).
    pub key: &'static str,
    /// What a social worker calls it; used in messages ("the match decision ...").
    pub label: &'static str,
    pub kind: StepKind,
    pub recorded_by: Role,
    /// The steps this one may directly follow (the transition table's rows into this step).
    pub after: &'static [&'static str],
    /// At least one of these must have been recorded earlier on the route (empty: none needed).
    pub requires_any: &'static [&'static str],
    /// Reaching this step achieves permanence on the route.
    pub is_final: bool,
    /// The SSDA903 data this step maps to, for the reader of the definition.
    pub note: &'static str,
}

/// A deadline that opens when `starts_at` is recorded and closes when any of `met_by` is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeadlineRule {
    pub key: &'static str,
    /// What is due, as a sentence ("agency decision maker's decision after the panel recommendation").
    pub label: &'static str,
    pub starts_at: &'static str,
    pub met_by: &'static [&'static str],
    pub setting: Setting,
    pub basis: Basis,
    /// Where the timescale comes from (regulation or guidance), for the social worker and the inspector.
    pub reference: &'static str,
    /// The deadline follows a panel recommendation or decision: the drift inspections keep finding.
    pub after_panel: bool,
}

/// How a route's placement can break down before permanence (a disruption, DOMAIN.md §3.1):
/// where the plan may be when it does, and what it goes back to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BreakdownRule {
    /// What breaks down, in words ("adoptive placement").
    pub label: &'static str,
    /// The step at which the child moves in: placements begun are counted by it (the
    /// disruption rate's denominator).
    pub placement_step: &'static str,
    /// The steps the plan may be at (its current step) when the placement breaks down.
    pub at: &'static [&'static str],
    /// The steps a breakdown takes back off the route, to be taken again with the next
    /// carers: the plan is back where it stood before them (family finding on adoption).
    /// They stay in the plan's history of breakdowns.
    pub undoes: &'static [&'static str],
}

/// A route's definition at one version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteDefinition {
    pub route: Route,
    pub version: u32,
    pub steps: Vec<StepDefinition>,
    pub deadline_rules: Vec<DeadlineRule>,
    /// `None`: the route has no placement that can break down (a child arrangements order).
    pub breakdown: Option<BreakdownRule>,
}

/// The national routes' step keys, for code that names a step (a measure, an import rule,
/// the generator of demonstration data): the definitions below are where each step is
/// defined, and these constants are the only way other code names one (a test fails on a
/// step's key written as a string anywhere else).
pub mod steps {
    /// Every route's first step.
    pub const PLAN_ENDORSED: &str = "plan_endorsed";
    // Adoption.
    pub const ADOPTION_PANEL_RECOMMENDATION: &str = "adoption_panel_recommendation";
    pub const SHOBPA_DECISION: &str = "shobpa_decision";
    /// A final hearing that makes a placement order records it (`crate::legal`).
    pub const PLACEMENT_ORDER: &str = "placement_order";
    pub const FAMILY_FINDING: &str = "family_finding";
    pub const MATCHING_PANEL_RECOMMENDATION: &str = "matching_panel_recommendation";
    pub const MATCH_DECISION: &str = "match_decision";
    pub const PLACED_FOR_ADOPTION: &str = "placed_for_adoption";
    pub const ADOPTION_APPLICATION: &str = "adoption_application";
    pub const ADOPTION_ORDER: &str = "adoption_order";
    // Special guardianship.
    pub const ASSESSMENT_STARTED: &str = "assessment_started";
    pub const SGO_REPORT_COMPLETED: &str = "sgo_report_completed";
    pub const SUPPORT_PLAN_AGREED: &str = "support_plan_agreed";
    /// The panel's recommendation on special guardianship, reunification and long-term
    /// fostering (one key on each of those routes).
    pub const PANEL_RECOMMENDATION: &str = "panel_recommendation";
    pub const ADM_DECISION: &str = "adm_decision";
    /// A final hearing that makes a special guardianship order records it.
    pub const SGO_GRANTED: &str = "sgo_granted";
    // Reunification.
    pub const PARENT_ASSESSMENT: &str = "parent_assessment";
    pub const RETURN_HOME_APPROVED: &str = "return_home_approved";
    pub const PLACED_WITH_PARENTS: &str = "placed_with_parents";
    pub const RETURNED_HOME: &str = "returned_home";
    // Long-term fostering.
    pub const CARER_IDENTIFIED: &str = "carer_identified";
    pub const MATCH_APPROVED: &str = "match_approved";
    pub const MATCH_CONFIRMED: &str = "match_confirmed";
    // Child arrangements order.
    /// A final hearing that makes a child arrangements order records it.
    pub const CAO_GRANTED: &str = "cao_granted";

    /// Every key above.
    pub const ALL: &[&str] = &[
        PLAN_ENDORSED,
        ADOPTION_PANEL_RECOMMENDATION,
        SHOBPA_DECISION,
        PLACEMENT_ORDER,
        FAMILY_FINDING,
        MATCHING_PANEL_RECOMMENDATION,
        MATCH_DECISION,
        PLACED_FOR_ADOPTION,
        ADOPTION_APPLICATION,
        ADOPTION_ORDER,
        ASSESSMENT_STARTED,
        SGO_REPORT_COMPLETED,
        SUPPORT_PLAN_AGREED,
        PANEL_RECOMMENDATION,
        ADM_DECISION,
        SGO_GRANTED,
        PARENT_ASSESSMENT,
        RETURN_HOME_APPROVED,
        PLACED_WITH_PARENTS,
        RETURNED_HOME,
        CARER_IDENTIFIED,
        MATCH_APPROVED,
        MATCH_CONFIRMED,
        CAO_GRANTED,
    ];
}

pub use steps::{CAO_GRANTED, PLACEMENT_ORDER, PLAN_ENDORSED, SGO_GRANTED};

impl RouteDefinition {
    pub fn step(&self, key: &str) -> Option<&StepDefinition> {
        self.steps.iter().find(|s| s.key == key)
    }

    /// The transition table: every (from, to) pair the route allows.
    pub fn transitions(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.steps
            .iter()
            .flat_map(|s| s.after.iter().map(move |from| (*from, s.key)))
    }

    /// The steps that may directly follow `from`.
    pub fn next_steps(&self, from: &str) -> Vec<&StepDefinition> {
        self.steps
            .iter()
            .filter(|s| s.after.contains(&from))
            .collect()
    }

    pub fn label_of<'a>(&'a self, key: &'a str) -> &'a str {
        self.step(key).map_or(key, |s| s.label)
    }

    /// Checks the definition is coherent: one start, every reference known, every step
    /// reachable from the start, and a way forward from every step that is not final.
    pub fn validate(&self) -> Result<(), DomainError> {
        let fail = |what: String| {
            Err(DomainError::InvalidDefinition(format!(
                "{} route v{}: {what}",
                self.route.label(),
                self.version
            )))
        };
        let keys: BTreeSet<&str> = self.steps.iter().map(|s| s.key).collect();
        if keys.len() != self.steps.len() {
            return fail("two steps share a key".into());
        }
        let starts: Vec<_> = self.steps.iter().filter(|s| s.after.is_empty()).collect();
        if starts.len() != 1 || starts[0].key != PLAN_ENDORSED {
            return fail(format!(
                "the only step without a predecessor must be {PLAN_ENDORSED}"
            ));
        }
        for step in &self.steps {
            for referenced in step.after.iter().chain(step.requires_any) {
                if !keys.contains(referenced) {
                    return fail(format!(
                        "step {} refers to unknown step {referenced}",
                        step.key
                    ));
                }
            }
            if step.is_final && !self.next_steps(step.key).is_empty() {
                return fail(format!("final step {} has a step after it", step.key));
            }
            if !step.is_final && self.next_steps(step.key).is_empty() {
                return fail(format!("step {} has no way forward", step.key));
            }
        }
        let mut reached: BTreeSet<&str> = BTreeSet::from([PLAN_ENDORSED]);
        let mut frontier = vec![PLAN_ENDORSED];
        while let Some(from) = frontier.pop() {
            for next in self.next_steps(from) {
                if reached.insert(next.key) {
                    frontier.push(next.key);
                }
            }
        }
        if let Some(unreached) = self.steps.iter().find(|s| !reached.contains(s.key)) {
            return fail(format!("step {} cannot be reached", unreached.key));
        }
        if !self.steps.iter().any(|s| s.is_final) {
            return fail("no final step".into());
        }
        for rule in &self.deadline_rules {
            if !keys.contains(rule.starts_at) || rule.met_by.iter().any(|k| !keys.contains(k)) {
                return fail(format!(
                    "deadline rule {} refers to an unknown step",
                    rule.key
                ));
            }
            if rule.met_by.is_empty() {
                return fail(format!("deadline rule {} can never be met", rule.key));
            }
        }
        if let Some(rule) = &self.breakdown {
            let unknown = std::iter::once(&rule.placement_step)
                .chain(rule.at)
                .chain(rule.undoes)
                .find(|k| !keys.contains(*k) || **k == PLAN_ENDORSED);
            if let Some(step) = unknown {
                return fail(format!("the breakdown rule refers to step {step}"));
            }
            if !rule.undoes.contains(&rule.placement_step) || rule.at.is_empty() {
                return fail("a breakdown must take back the placement it ends".into());
            }
        }
        Ok(())
    }
}

/// The route definitions an engine runs, by route and version.
#[derive(Clone, Debug)]
pub struct RouteCatalog {
    definitions: BTreeMap<(Route, u32), RouteDefinition>,
}

impl RouteCatalog {
    /// Loads definitions, refusing any that is incoherent.
    pub fn new(definitions: Vec<RouteDefinition>) -> Result<Self, DomainError> {
        let mut map = BTreeMap::new();
        for definition in definitions {
            definition.validate()?;
            let key = (definition.route, definition.version);
            if map.insert(key, definition).is_some() {
                return Err(DomainError::InvalidDefinition(format!(
                    "{} route v{} is defined twice",
                    key.0.label(),
                    key.1
                )));
            }
        }
        for route in Route::ALL {
            if !map.keys().any(|(r, _)| r == route) {
                return Err(DomainError::InvalidDefinition(format!(
                    "no definition of the {} route",
                    route.label()
                )));
            }
        }
        Ok(Self { definitions: map })
    }

    /// The definitions of DOMAIN.md §3, version 1.
    pub fn standard() -> Result<Self, DomainError> {
        Self::new(standard_definitions())
    }

    /// The newest version of a route: new plans start on it.
    pub fn current(&self, route: Route) -> &RouteDefinition {
        self.definitions
            .range((route, 0)..=(route, u32::MAX))
            .next_back()
            .map(|(_, d)| d)
            .unwrap_or_else(|| unreachable_route(route))
    }

    /// A specific version: a case keeps the version its plan started on.
    pub fn get(&self, route: Route, version: u32) -> Option<&RouteDefinition> {
        self.definitions.get(&(route, version))
    }

    pub fn all(&self) -> impl Iterator<Item = &RouteDefinition> {
        self.definitions.values()
    }
}

#[allow(clippy::panic)]
fn unreachable_route(route: Route) -> ! {
    // `RouteCatalog::new` refuses a catalog without every route, so this cannot happen.
    panic!("route catalog has no definition of {route}")
}

macro_rules! step {
    ($key:literal, $label:literal, $kind:ident, $role:ident, after [$($after:literal),*] $(, requires [$($req:literal),*])? $(, final $final:literal)? ; $note:literal) => {
        StepDefinition {
            key: $key,
            label: $label,
            kind: StepKind::$kind,
            recorded_by: Role::$role,
            after: &[$($after),*],
            requires_any: &[$($($req),*)?],
            is_final: false $(|| $final)?,
            note: $note,
        }
    };
}

fn standard_definitions() -> Vec<RouteDefinition> {
    let adm_rule = |key, starts_at, met_by, label| DeadlineRule {
        key,
        label,
        starts_at,
        met_by,
        setting: Setting::AdmDecision,
        basis: Basis::Guidance,
        reference: "statutory guidance on adoption: decision within 7 working days of the panel",
        after_panel: true,
    };
    // The 7 working days are adoption's statutory guidance only; other routes' decisions
    // after panel keep the same setting by local practice, and say so.
    let local_decision_rule = |key, starts_at, met_by, label| DeadlineRule {
        key,
        label,
        starts_at,
        met_by,
        setting: Setting::AdmDecision,
        basis: Basis::LocalSetting,
        reference: "local practice: decision within the working days set for adoption's agency decision maker",
        after_panel: true,
    };
    vec![
        RouteDefinition {
            route: Route::Adoption,
            version: 1,
            steps: vec![
                step!("plan_endorsed", "adoption plan endorsed", PlanEndorsed, SocialWorker, after []; "plan for permanence recorded at a review"),
                step!("adoption_panel_recommendation", "adoption panel recommendation", PanelRecommendation, PanelChair, after ["plan_endorsed"]; "consent cases only (AAR reg 18)"),
                step!("shobpa_decision", "decision that the child should be placed for adoption", Decision, AgencyDecisionMaker, after ["plan_endorsed", "adoption_panel_recommendation"]; "PlacedAdoption.DATE_PLACED"),
                step!("placement_order", "placement order", CourtOrder, SocialWorker, after ["shobpa_decision", "family_finding"]; "legal status E1 (older cases D1)"),
                step!("family_finding", "family finding", Other, SocialWorker, after ["shobpa_decision", "placement_order"]; "linking with approved adopters"),
                step!("matching_panel_recommendation", "matching panel recommendation", PanelRecommendation, PanelChair, after ["family_finding", "placement_order"], requires ["family_finding"]; "AAR reg 32"),
                step!("match_decision", "match decision", Decision, AgencyDecisionMaker, after ["matching_panel_recommendation"], requires ["placement_order", "adoption_panel_recommendation"]; "AD1.DATE_MATCH"),
                step!("placed_for_adoption", "placement for adoption", Placement, SocialWorker, after ["match_decision"]; "placement codes A3 to A6"),
                step!("adoption_application", "adoption application", CourtOrder, SocialWorker, after ["placed_for_adoption"]; "not before 10 weeks' residence (ACA s42)"),
                step!("adoption_order", "adoption order", CourtOrder, SocialWorker, after ["adoption_application"], final true; "leaves care E11 or E12"),
            ],
            deadline_rules: vec![
                DeadlineRule {
                    key: "case_to_adm",
                    label: "adoption plan to the agency decision maker",
                    starts_at: "plan_endorsed",
                    met_by: &["adoption_panel_recommendation", "shobpa_decision"],
                    setting: Setting::CaseToAdm,
                    basis: Basis::LocalSetting,
                    reference: "local practice: child's permanence report to the agency decision maker",
                    after_panel: false,
                },
                adm_rule(
                    "adm_shobpa_decision",
                    "adoption_panel_recommendation",
                    &["shobpa_decision"],
                    "agency decision maker's decision after the adoption panel recommendation",
                ),
                DeadlineRule {
                    key: "match_after_placement_order",
                    label: "match within the A2 threshold of the placement order",
                    starts_at: "placement_order",
                    met_by: &["match_decision"],
                    setting: Setting::MatchAfterPlacementOrder,
                    basis: Basis::Guidance,
                    reference: "adoption scorecard A2 threshold (121 days)",
                    after_panel: false,
                },
                adm_rule(
                    "adm_match_decision",
                    "matching_panel_recommendation",
                    &["match_decision"],
                    "agency decision maker's match decision after the matching panel",
                ),
                DeadlineRule {
                    key: "placement_after_match",
                    label: "child placed with the adopters after the match decision",
                    starts_at: "match_decision",
                    met_by: &["placed_for_adoption"],
                    setting: Setting::PlacementAfterMatch,
                    basis: Basis::LocalSetting,
                    reference: "local practice: a placement not started after the match is drift",
                    after_panel: true,
                },
            ],
            breakdown: Some(BreakdownRule {
                label: "adoptive placement",
                placement_step: "placed_for_adoption",
                at: &["placed_for_adoption", "adoption_application"],
                undoes: &[
                    "matching_panel_recommendation",
                    "match_decision",
                    "placed_for_adoption",
                    "adoption_application",
                ],
            }),
        },
        RouteDefinition {
            route: Route::SpecialGuardianship,
            version: 1,
            steps: vec![
                step!("plan_endorsed", "special guardianship plan endorsed", PlanEndorsed, SocialWorker, after []; "plan for permanence recorded at a review"),
                step!("assessment_started", "special guardian assessment started", Assessment, SocialWorker, after ["plan_endorsed"]; "connected-person viability or full assessment"),
                step!("sgo_report_completed", "special guardianship report", Assessment, SocialWorker, after ["assessment_started"]; "Special Guardianship Regulations 2005, schedule"),
                step!("support_plan_agreed", "special guardianship support plan", Other, SocialWorker, after ["sgo_report_completed"]; "support needs assessed, plan agreed"),
                step!("panel_recommendation", "permanence panel recommendation", PanelRecommendation, PanelChair, after ["support_plan_agreed"]; "local practice"),
                step!("adm_decision", "agency decision maker's decision", Decision, AgencyDecisionMaker, after ["panel_recommendation"]; "local practice"),
                step!("sgo_granted", "special guardianship order", CourtOrder, SocialWorker, after ["support_plan_agreed", "adm_decision"], final true; "leaves care E45 to E48"),
            ],
            deadline_rules: vec![
                DeadlineRule {
                    key: "special_guardianship_order",
                    label: "special guardianship order after the plan was endorsed",
                    starts_at: "plan_endorsed",
                    met_by: &["sgo_granted"],
                    setting: Setting::SpecialGuardianshipOrder,
                    basis: Basis::LocalSetting,
                    reference: "local practice: no law or guidance sets a time from the plan to the order",
                    after_panel: false,
                },
                local_decision_rule(
                    "adm_special_guardianship_decision",
                    "panel_recommendation",
                    &["adm_decision"],
                    "agency decision maker's decision after the panel recommendation",
                ),
            ],
            // The route holds no placement step: the child lives with the prospective
            // special guardians while they are assessed, so a breakdown may come at any
            // step before the order, and a new carer needs a new assessment.
            breakdown: Some(BreakdownRule {
                label: "placement with the prospective special guardians",
                placement_step: "assessment_started",
                at: &[
                    "assessment_started",
                    "sgo_report_completed",
                    "support_plan_agreed",
                    "panel_recommendation",
                    "adm_decision",
                ],
                undoes: &[
                    "assessment_started",
                    "sgo_report_completed",
                    "support_plan_agreed",
                    "panel_recommendation",
                    "adm_decision",
                ],
            }),
        },
        RouteDefinition {
            route: Route::Reunification,
            version: 1,
            steps: vec![
                step!("plan_endorsed", "reunification plan endorsed", PlanEndorsed, SocialWorker, after []; "plan for permanence recorded at a review"),
                step!("parent_assessment", "assessment of the parent", Assessment, SocialWorker, after ["plan_endorsed"]; "CPPCR reg 17"),
                step!("panel_recommendation", "permanence panel recommendation", PanelRecommendation, PanelChair, after ["parent_assessment"]; "local practice"),
                step!("return_home_approved", "approval of the return home", Decision, NominatedOfficer, after ["parent_assessment", "panel_recommendation"]; "CPPCR reg 18"),
                step!("placed_with_parents", "placement with parents", Placement, SocialWorker, after ["return_home_approved"]; "placement P1, provider PR0"),
                step!("returned_home", "return home completed", Other, SocialWorker, after ["placed_with_parents"], final true; "leaves care E4A, E4B or E13; order discharged"),
            ],
            deadline_rules: vec![
                // Before panel: without these, a reunification plan drifts unseen until a
                // panel is held (and many returns home go to none).
                DeadlineRule {
                    key: "parent_assessment_after_plan",
                    label: "assessment of the parent after the reunification plan",
                    starts_at: PLAN_ENDORSED,
                    met_by: &["parent_assessment"],
                    setting: Setting::ParentAssessmentAfterPlan,
                    basis: Basis::LocalSetting,
                    reference: "local practice: CPPCR reg 17 requires the assessment before the return, not a time for it",
                    after_panel: false,
                },
                DeadlineRule {
                    key: "return_home_after_plan",
                    label: "return home after the reunification plan",
                    starts_at: PLAN_ENDORSED,
                    met_by: &["placed_with_parents", "returned_home"],
                    setting: Setting::ReturnHomeAfterPlan,
                    basis: Basis::LocalSetting,
                    reference: "local practice: return home by the next statutory review after the plan",
                    after_panel: false,
                },
                local_decision_rule(
                    "adm_return_home_decision",
                    "panel_recommendation",
                    &["return_home_approved"],
                    "approval of the return home after the panel recommendation",
                ),
                DeadlineRule {
                    key: "return_home_after_approval",
                    label: "return home after its approval",
                    starts_at: "return_home_approved",
                    met_by: &["placed_with_parents"],
                    setting: Setting::ReturnHomeAfterApproval,
                    basis: Basis::LocalSetting,
                    reference: "local practice: CPPCR reg 18 requires the approval, not a time after it",
                    after_panel: true,
                },
            ],
            // A return home that breaks down goes back to the parent's assessment: the
            // approval was of the return that failed.
            breakdown: Some(BreakdownRule {
                label: "return home",
                placement_step: "placed_with_parents",
                at: &["placed_with_parents"],
                undoes: &[
                    "panel_recommendation",
                    "return_home_approved",
                    "placed_with_parents",
                ],
            }),
        },
        RouteDefinition {
            route: Route::LongTermFostering,
            version: 1,
            steps: vec![
                step!("plan_endorsed", "long-term fostering plan endorsed", PlanEndorsed, SocialWorker, after []; "by the second review"),
                step!("carer_identified", "long-term carer identified", Other, SocialWorker, after ["plan_endorsed"]; "match proposed"),
                step!("panel_recommendation", "permanence panel recommendation", PanelRecommendation, PanelChair, after ["carer_identified"]; "local practice"),
                step!("match_approved", "long-term match approval", Decision, NominatedOfficer, after ["panel_recommendation"]; "nominated officer or agency decision maker"),
                step!("match_confirmed", "long-term match confirmation", Placement, SocialWorker, after ["match_approved"], final true; "CPPCR reg 22B conditions met; placement U1 or U4"),
            ],
            deadline_rules: vec![
                // Before panel: the time to find a carer and approve the match, which the
                // panel's own deadlines cannot see.
                DeadlineRule {
                    key: "long_term_match_after_plan",
                    label: "long-term foster match approved after the long-term fostering plan",
                    starts_at: PLAN_ENDORSED,
                    met_by: &["match_approved", "match_confirmed"],
                    setting: Setting::LongTermMatchAfterPlan,
                    basis: Basis::LocalSetting,
                    reference: "local practice: match approved by the next statutory review after the plan",
                    after_panel: false,
                },
                local_decision_rule(
                    "adm_long_term_match_approval",
                    "panel_recommendation",
                    &["match_approved"],
                    "approval of the long-term match after the panel recommendation",
                ),
                DeadlineRule {
                    key: "long_term_match_confirmed",
                    label: "long-term foster match confirmed after the panel recommendation",
                    starts_at: "panel_recommendation",
                    met_by: &["match_confirmed"],
                    setting: Setting::LongTermMatchConfirmed,
                    basis: Basis::LocalSetting,
                    reference: "local practice: CPPCR reg 22B sets what confirmation needs, not when",
                    after_panel: true,
                },
            ],
            // A confirmed match that ends is matched again from the start: a new carer.
            breakdown: Some(BreakdownRule {
                label: "long-term foster placement",
                placement_step: "match_confirmed",
                at: &["match_confirmed"],
                undoes: &[
                    "carer_identified",
                    "panel_recommendation",
                    "match_approved",
                    "match_confirmed",
                ],
            }),
        },
        RouteDefinition {
            route: Route::ChildArrangementsOrder,
            version: 1,
            steps: vec![
                step!("plan_endorsed", "child arrangements plan endorsed", PlanEndorsed, SocialWorker, after []; "plan for permanence recorded at a review"),
                step!("cao_granted", "child arrangements order", CourtOrder, SocialWorker, after ["plan_endorsed"], final true; "leaves care E41"),
            ],
            deadline_rules: vec![],
            breakdown: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The step constants are exactly the steps the national definitions define: a key
    /// mistyped in either fails here.
    #[test]
    fn the_step_constants_are_the_defined_steps() {
        let catalog = RouteCatalog::standard().expect("valid");
        let defined: BTreeSet<&str> = catalog
            .all()
            .flat_map(|def| def.steps.iter().map(|s| s.key))
            .collect();
        let named: BTreeSet<&str> = steps::ALL.iter().copied().collect();
        assert_eq!(named.len(), steps::ALL.len(), "a constant is listed twice");
        assert_eq!(defined, named);
    }

    #[test]
    fn standard_catalog_is_valid() {
        let catalog = RouteCatalog::standard().expect("valid");
        assert_eq!(catalog.all().count(), Route::ALL.len());
        let adoption = catalog.current(Route::Adoption);
        assert!(
            adoption
                .transitions()
                .any(|t| t == ("family_finding", "matching_panel_recommendation"))
        );
    }

    #[test]
    fn unreachable_step_is_refused() {
        let mut defs = standard_definitions();
        defs[4]
            .steps
            .push(step!("orphan", "orphan", Other, SocialWorker, after ["orphan"], final true; ""));
        let err = RouteCatalog::new(defs).expect_err("refused");
        assert!(err.to_string().contains("orphan"), "{err}");
    }

    #[test]
    fn dead_end_is_refused() {
        let mut defs = standard_definitions();
        defs[4]
            .steps
            .push(step!("limbo", "limbo", Other, SocialWorker, after ["plan_endorsed"]; ""));
        let err = RouteCatalog::new(defs).expect_err("refused");
        assert!(err.to_string().contains("no way forward"), "{err}");
    }

    #[test]
    fn missing_route_is_refused() {
        let mut defs = standard_definitions();
        defs.pop();
        assert!(RouteCatalog::new(defs).is_err());
    }

    #[test]
    fn route_keys_round_trip() {
        for route in Route::ALL {
            assert_eq!(Route::from_key(route.key()), Some(*route));
        }
    }

    /// Only adoption's decision after panel and the A2 threshold have a national source; every
    /// other route's timescale is the authority's own, and its reference must say so.
    #[test]
    fn every_rule_outside_adoption_is_labelled_local_practice() {
        let catalog = RouteCatalog::standard().expect("routes");
        for def in catalog.all().filter(|d| d.route != Route::Adoption) {
            for rule in &def.deadline_rules {
                assert_eq!(rule.basis, Basis::LocalSetting, "{}", rule.key);
                assert!(rule.reference.starts_with("local practice"), "{}", rule.key);
            }
        }
    }

    #[test]
    fn only_adoption_calls_the_decision_after_panel_statutory_guidance() {
        let catalog = RouteCatalog::standard().expect("routes");
        for def in catalog.all() {
            for rule in def
                .deadline_rules
                .iter()
                .filter(|r| r.setting == Setting::AdmDecision)
            {
                if def.route == Route::Adoption {
                    assert_eq!(rule.basis, Basis::Guidance, "{}", rule.key);
                    assert!(rule.reference.starts_with("statutory guidance on adoption"));
                } else {
                    assert_eq!(rule.basis, Basis::LocalSetting, "{}", rule.key);
                    assert!(rule.reference.starts_with("local practice"), "{}", rule.key);
                }
            }
        }
    }
}

//! What a social worker (or manager, chair, decision maker) can record on a case from its
//! page: one form per engine command, each saying what it asks and turning what was typed
//! into the command, field by field, with messages a social worker understands.
//!
//! This module decides nothing about the case: the engine's rules refuse what cannot happen
//! and the access policy refuses who may not do it. It only offers what is worth offering
//! (the steps that can come next on each plan, the reasons in the national return's list).

use crate::form::{Choice, Control, Field, FieldError, Values, take};
use crate::placement_fields;
use permanence_auth::{Action, StepRecorder};
use permanence_domain::case::{CaseState, Command, FinalOrder, LegalStep, PlanRole};
use permanence_domain::codes::{
    LegalStatus, PlacementChangeReason, PlacementType, ReasonCeased, ReversalReason,
    ReviewParticipation,
};
use permanence_domain::return_facts::PlacementDetails;
use permanence_domain::route::Role as StepRole;
use permanence_domain::{Route, RouteCatalog};

/// A form on a case's page; its slug names it in the path (`/cases/{id}/record/review`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CaseForm {
    RouteStep,
    Review,
    HealthAssessment,
    Visit,
    PlacementChange,
    LegalStep,
    Allocation,
    Plan,
    EndParallelPlan,
    AdoptionDecisionReversal,
    PlacementBreakdown,
    LeavingCare,
}

/// What a form needs to know of the case and of the person.
pub(crate) struct CaseContext<'a> {
    pub state: &'a CaseState,
    pub catalog: &'a RouteCatalog,
    /// Whether the person may do an action on this case (the access policy's answer).
    pub may: &'a (dyn Fn(Action) -> bool + Sync),
}

impl CaseForm {
    pub const ALL: &'static [CaseForm] = &[
        CaseForm::RouteStep,
        CaseForm::Review,
        CaseForm::HealthAssessment,
        CaseForm::Visit,
        CaseForm::PlacementChange,
        CaseForm::LegalStep,
        CaseForm::Allocation,
        CaseForm::Plan,
        CaseForm::EndParallelPlan,
        CaseForm::AdoptionDecisionReversal,
        CaseForm::PlacementBreakdown,
        CaseForm::LeavingCare,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            CaseForm::RouteStep => "route-step",
            CaseForm::Review => "review",
            CaseForm::HealthAssessment => "health-assessment",
            CaseForm::Visit => "visit",
            CaseForm::PlacementChange => "placement-change",
            CaseForm::LegalStep => "legal-step",
            CaseForm::Allocation => "allocation",
            CaseForm::Plan => "plan",
            CaseForm::EndParallelPlan => "end-parallel-plan",
            CaseForm::AdoptionDecisionReversal => "adoption-decision-reversal",
            CaseForm::PlacementBreakdown => "placement-breakdown",
            CaseForm::LeavingCare => "leaving-care",
        }
    }

    pub fn from_slug(slug: &str) -> Option<CaseForm> {
        CaseForm::ALL.iter().copied().find(|f| f.slug() == slug)
    }

    /// The page's heading, and the link's words on the case page.
    pub fn title(self) -> &'static str {
        match self {
            CaseForm::RouteStep => "Record a step of the plan",
            CaseForm::Review => "Record a review",
            CaseForm::HealthAssessment => "Record a health assessment",
            CaseForm::Visit => "Record a visit to the child",
            CaseForm::PlacementChange => "Record a change of placement or legal status",
            CaseForm::LegalStep => "Record a step in court proceedings",
            CaseForm::Allocation => "Allocate the case",
            CaseForm::Plan => "Set the plan for permanence",
            CaseForm::EndParallelPlan => "End the parallel plan",
            CaseForm::AdoptionDecisionReversal => {
                "Reverse the decision that the child should be placed for adoption"
            }
            CaseForm::PlacementBreakdown => "Record that a placement broke down",
            CaseForm::LeavingCare => "Record that the child left care",
        }
    }

    /// What the success banner says once it is recorded.
    pub fn done(self) -> &'static str {
        match self {
            CaseForm::RouteStep => "Step recorded",
            CaseForm::Review => "Review recorded",
            CaseForm::HealthAssessment => "Health assessment recorded",
            CaseForm::Visit => "Visit recorded",
            CaseForm::PlacementChange => "Change of placement or legal status recorded",
            CaseForm::LegalStep => "Court step recorded",
            CaseForm::Allocation => "Case allocated",
            CaseForm::Plan => "Plan for permanence set",
            CaseForm::EndParallelPlan => "Parallel plan ended",
            CaseForm::AdoptionDecisionReversal => "Decision reversed",
            CaseForm::PlacementBreakdown => "Placement breakdown recorded",
            CaseForm::LeavingCare => "The child's leaving care is recorded",
        }
    }

    /// The button's words.
    pub fn button(self) -> &'static str {
        match self {
            CaseForm::Allocation => "Allocate",
            CaseForm::Plan => "Set the plan",
            CaseForm::EndParallelPlan => "End the parallel plan",
            CaseForm::AdoptionDecisionReversal => "Reverse the decision",
            _ => "Record",
        }
    }

    /// The action the access policy is asked about. A route step's own action depends on
    /// the step (a manager's step, a panel's, a decision maker's): see [`step_action`].
    fn action(self) -> Action {
        match self {
            CaseForm::RouteStep => Action::RecordRouteStep,
            CaseForm::Review => Action::RecordReview,
            CaseForm::HealthAssessment => Action::RecordHealthAssessment,
            CaseForm::Visit => Action::RecordVisit,
            CaseForm::PlacementChange => Action::RecordPlacementChange,
            CaseForm::LegalStep => Action::RecordLegalStep,
            CaseForm::Allocation => Action::AllocateCase,
            CaseForm::Plan => Action::SetRoutePlan,
            CaseForm::EndParallelPlan => Action::EndParallelPlan,
            CaseForm::AdoptionDecisionReversal => Action::ReverseAdoptionDecision,
            // Recorded by those who record the route's placement steps.
            CaseForm::PlacementBreakdown => Action::RecordRouteStep,
            CaseForm::LeavingCare => Action::CloseCase,
        }
    }

    /// Whether the form is offered on this case to this person: the policy allows it and the
    /// case is at a point where it means something.
    pub fn offered(self, ctx: &CaseContext<'_>) -> bool {
        if ctx.state.closed.is_some() {
            return false;
        }
        match self {
            CaseForm::RouteStep => !next_steps(ctx).is_empty(),
            CaseForm::EndParallelPlan => {
                (ctx.may)(self.action())
                    && active_plans(ctx.state).any(|p| p.role == PlanRole::Parallel)
            }
            CaseForm::AdoptionDecisionReversal => {
                (ctx.may)(self.action())
                    && active_plans(ctx.state).any(|p| p.route == Route::Adoption)
            }
            CaseForm::PlacementBreakdown => (ctx.may)(self.action()) && !breakable(ctx).is_empty(),
            _ => (ctx.may)(self.action()),
        }
    }

    /// The field a refusal without a field of its own is shown beside.
    pub fn main_field(self) -> &'static str {
        match self {
            CaseForm::RouteStep => "step",
            CaseForm::LegalStep => "legal_step",
            CaseForm::Plan => "route",
            CaseForm::LeavingCare
            | CaseForm::AdoptionDecisionReversal
            | CaseForm::PlacementBreakdown => "reason",
            CaseForm::Allocation => "team",
            CaseForm::PlacementChange => "placement",
            _ => "on",
        }
    }

    pub fn fields(self, ctx: &CaseContext<'_>) -> Vec<Field> {
        let on = |label: &str| Field::date("on", label.to_owned());
        let mut fields = match self {
            CaseForm::RouteStep => vec![
                Field::new(
                    "step",
                    "Step",
                    Control::Select {
                        choices: next_steps(ctx)
                            .into_iter()
                            .map(|s| Choice::new(s.value(), s.label))
                            .collect(),
                    },
                )
                .hint("The steps that can come next on the child's plans"),
                on("Date of the step"),
            ],
            CaseForm::Review => vec![
                on("Date of the review"),
                Field::new(
                    "participation",
                    "How the child took part (optional)",
                    Control::Select {
                        choices: Choice::codes(
                            ReviewParticipation::ALL,
                            ReviewParticipation::code,
                            ReviewParticipation::label,
                        ),
                    },
                ),
            ],
            CaseForm::HealthAssessment => vec![on("Date of the health assessment")],
            CaseForm::Visit => vec![
                on("Date of the visit"),
                Field::new(
                    "seen_alone",
                    "Was the child seen alone? (optional)",
                    Control::Radios {
                        choices: vec![Choice::new("yes", "Yes"), Choice::new("no", "No")],
                    },
                )
                .hint("The next visit falls due from this one: within 6 weeks in the placement's first year, then 3 months for a long-term placement"),
            ],
            CaseForm::PlacementChange => placement_change_fields(),
            CaseForm::LegalStep => legal_step_fields(),
            CaseForm::Allocation => vec![
                Field::new(
                    "team",
                    "Team",
                    Control::Text {
                        width: "govuk-input--width-20",
                    },
                )
                .hint("Leave empty to keep the current team"),
                Field::new(
                    "allocated_worker",
                    "Social worker's username",
                    Control::Text {
                        width: "govuk-input--width-20",
                    },
                )
                .hint("Leave empty to keep the current social worker"),
                on("Date of the allocation"),
            ],
            CaseForm::Plan => vec![
                Field::new(
                    "route",
                    "Route to permanence",
                    Control::Radios {
                        choices: Route::ALL
                            .iter()
                            .map(|r| Choice::new(r.key(), crate::format::capitalised(r.label())))
                            .collect(),
                    },
                ),
                Field::new(
                    "role",
                    "Is this the main plan or a parallel plan?",
                    Control::Radios {
                        choices: vec![
                            Choice::new("PRIMARY", "The plan for permanence"),
                            Choice::new("PARALLEL", "A parallel plan beside it"),
                        ],
                    },
                ),
                on("Date the plan was endorsed"),
            ],
            CaseForm::EndParallelPlan => vec![on("Date the parallel plan ended")],
            CaseForm::AdoptionDecisionReversal => vec![
                Field::new(
                    "reason",
                    "Reason",
                    Control::Select {
                        choices: Choice::codes(
                            ReversalReason::ALL,
                            ReversalReason::code,
                            ReversalReason::label,
                        ),
                    },
                ),
                on("Date of the decision"),
            ],
            CaseForm::PlacementBreakdown => vec![
                Field::new(
                    "route",
                    "Which placement broke down",
                    Control::Radios {
                        choices: breakable(ctx)
                            .into_iter()
                            .map(|(route, label)| {
                                Choice::new(route.key(), crate::format::capitalised(label))
                            })
                            .collect(),
                    },
                )
                .hint("The route goes back to finding a family (or its equivalent); on adoption the decision to place for adoption stays"),
                Field::new(
                    "reason",
                    "Why the placement ended",
                    Control::Select {
                        choices: Choice::codes(
                            BREAKDOWN_REASONS,
                            PlacementChangeReason::code,
                            PlacementChangeReason::label,
                        ),
                    },
                ),
                on("Date the placement broke down"),
            ],
            CaseForm::LeavingCare => vec![
                Field::new(
                    "reason",
                    "Reason the child left care",
                    Control::Select {
                        choices: Choice::codes(
                            ReasonCeased::ALL,
                            ReasonCeased::code,
                            ReasonCeased::label,
                        ),
                    },
                ),
                on("Date the child left care"),
            ],
        };
        fields.push(Field::note());
        fields
    }

    /// The command the values make, with the action it is authorised as; every field's
    /// problem at once when they do not make one.
    pub fn command(
        self,
        values: &Values,
        ctx: &CaseContext<'_>,
    ) -> Result<(Command, Action), Vec<FieldError>> {
        let mut errors = Vec::new();
        let on = take(&mut errors, values.date("on", self.date_words()));
        let made = match self {
            CaseForm::RouteStep => {
                let step = take(
                    &mut errors,
                    values.choice("step", "Choose the step", |v| {
                        next_steps(ctx).into_iter().find(|s| s.value() == v)
                    }),
                );
                step.zip(on).map(|(step, on)| {
                    (
                        Command::RecordRouteStep {
                            route: step.route,
                            step: step.key.to_owned(),
                            on,
                        },
                        step.action,
                    )
                })
            }
            CaseForm::Review => {
                let participation = take(
                    &mut errors,
                    values.optional_choice("participation", ReviewParticipation::parse),
                );
                on.zip(participation)
                    .map(|(on, participation)| Command::RecordReview { on, participation })
                    .map(|c| (c, self.action()))
            }
            CaseForm::HealthAssessment => on
                .map(|on| Command::RecordHealthAssessment { on })
                .map(|c| (c, self.action())),
            CaseForm::Visit => {
                let seen_alone = take(
                    &mut errors,
                    values.optional_choice("seen_alone", |v| match v {
                        "yes" => Some(true),
                        "no" => Some(false),
                        _ => None,
                    }),
                );
                on.zip(seen_alone)
                    .map(|(on, seen_alone)| Command::RecordVisit { on, seen_alone })
                    .map(|c| (c, self.action()))
            }
            CaseForm::PlacementChange => {
                let legal_status = take(
                    &mut errors,
                    values.optional_choice("legal_status", LegalStatus::parse),
                );
                let placement = take(
                    &mut errors,
                    values.optional_choice("placement", PlacementType::parse),
                );
                let ended = take(
                    &mut errors,
                    values.optional_choice("placement_change_reason", PlacementChangeReason::parse),
                );
                let sent = placement_fields::read(values, &mut errors);
                match (on, legal_status, placement, ended, sent) {
                    (Some(on), Some(legal_status), Some(placement), Some(ended), Some(sent)) => {
                        Some((
                            Command::RecordEpisode {
                                on,
                                legal_status,
                                placement,
                                provider: sent.provider,
                                carer: sent.carer,
                                details: PlacementDetails {
                                    previous_placement_ended: ended,
                                    ..sent.details
                                },
                            },
                            self.action(),
                        ))
                    }
                    _ => None,
                }
            }
            CaseForm::LegalStep => {
                let step = take(&mut errors, legal_step(values));
                step.zip(on)
                    .map(|(step, on)| (Command::RecordLegalStep { on, step }, self.action()))
            }
            CaseForm::Allocation => on.map(|on| {
                (
                    Command::AllocateCase {
                        on,
                        team: values.text("team"),
                        allocated_worker: values.text("allocated_worker"),
                    },
                    self.action(),
                )
            }),
            CaseForm::Plan => {
                let route = take(
                    &mut errors,
                    values.choice("route", "Choose the route", Route::from_key),
                );
                let role = take(
                    &mut errors,
                    values.choice(
                        "role",
                        "Choose whether this is the plan for permanence or a parallel plan",
                        |v| match v {
                            "PRIMARY" => Some(PlanRole::Primary),
                            "PARALLEL" => Some(PlanRole::Parallel),
                            _ => None,
                        },
                    ),
                );
                match (route, role, on) {
                    (Some(route), Some(role), Some(on)) => {
                        Some((Command::SetRoutePlan { route, role, on }, self.action()))
                    }
                    _ => None,
                }
            }
            CaseForm::EndParallelPlan => on
                .map(|on| Command::EndParallelPlan { on })
                .map(|c| (c, self.action())),
            CaseForm::AdoptionDecisionReversal => {
                let reason = take(
                    &mut errors,
                    values.choice("reason", "Choose the reason", ReversalReason::parse),
                );
                reason.zip(on).map(|(reason, on)| {
                    (
                        Command::ReverseAdoptionDecision { on, reason },
                        self.action(),
                    )
                })
            }
            CaseForm::PlacementBreakdown => {
                let route = take(
                    &mut errors,
                    values.choice("route", "Choose which placement broke down", |v| {
                        breakable(ctx)
                            .into_iter()
                            .map(|(route, _)| route)
                            .find(|route| route.key() == v)
                    }),
                );
                let reason = take(
                    &mut errors,
                    values.choice("reason", "Choose why the placement ended", |v| {
                        PlacementChangeReason::parse(v).filter(|r| BREAKDOWN_REASONS.contains(r))
                    }),
                );
                match (route, reason, on) {
                    (Some(route), Some(reason), Some(on)) => Some((
                        Command::RecordPlacementBreakdown { route, on, reason },
                        self.action(),
                    )),
                    _ => None,
                }
            }
            CaseForm::LeavingCare => {
                let reason = take(
                    &mut errors,
                    values.choice(
                        "reason",
                        "Choose the reason the child left care",
                        ReasonCeased::parse,
                    ),
                );
                reason
                    .zip(on)
                    .map(|(reason, on)| (Command::CloseCase { on, reason }, self.action()))
            }
        };
        match made {
            Some(made) if errors.is_empty() => Ok(made),
            _ => Err(errors),
        }
    }

    /// How the date is named in messages ("Enter the date of the review").
    fn date_words(self) -> &'static str {
        match self {
            CaseForm::RouteStep => "the date of the step",
            CaseForm::Review => "the date of the review",
            CaseForm::HealthAssessment => "the date of the health assessment",
            CaseForm::Visit => "the date of the visit",
            CaseForm::PlacementChange => "the date of the change",
            CaseForm::LegalStep => "the date",
            CaseForm::Allocation => "the date of the allocation",
            CaseForm::Plan => "the date the plan was endorsed",
            CaseForm::EndParallelPlan => "the date the parallel plan ended",
            CaseForm::AdoptionDecisionReversal => "the date of the decision",
            CaseForm::PlacementBreakdown => "the date the placement broke down",
            CaseForm::LeavingCare => "the date the child left care",
        }
    }
}

fn placement_change_fields() -> Vec<Field> {
    let select = |name, label: &str, choices| {
        Field::new(name, label.to_owned(), Control::Select { choices })
    };
    let mut fields = vec![
        Field::date("on", "Date of the change"),
        select(
            "placement",
            "New placement type (optional)",
            Choice::codes(
                PlacementType::ALL,
                PlacementType::code,
                PlacementType::label,
            ),
        )
        .hint("Leave as it is when only the legal status changed"),
        select(
            "legal_status",
            "New legal status (optional)",
            Choice::codes(LegalStatus::ALL, LegalStatus::code, LegalStatus::label),
        ),
        select(
            "placement_change_reason",
            "Why the previous placement ended (optional)",
            Choice::codes(
                PlacementChangeReason::ALL,
                PlacementChangeReason::code,
                PlacementChangeReason::label,
            ),
        ),
    ];
    fields.extend(placement_fields::fields());
    fields
}

/// The legal track's steps, as the form offers them.
const LEGAL_STEPS: &[(&str, &str)] = &[
    (
        "pre_proceedings_started",
        "Pre-proceedings started (the legal gateway meeting decided)",
    ),
    (
        "letter_before_proceedings_sent",
        "Letter before proceedings sent",
    ),
    (
        "pre_proceedings_meeting_held",
        "Pre-proceedings meeting held",
    ),
    (
        "pre_proceedings_stepped_down",
        "Pre-proceedings stepped down",
    ),
    ("proceedings_issued", "Care proceedings issued"),
    (
        "case_management_hearing_held",
        "Case management hearing held",
    ),
    (
        "issues_resolution_hearing_held",
        "Issues resolution hearing held",
    ),
    ("extension_granted", "Extension of the 26 weeks granted"),
    ("final_hearing_held", "Final hearing held"),
];

/// The orders a final hearing can make, as the form offers them (its values name the order,
/// not a route's step).
const FINAL_ORDERS: &[(&str, FinalOrder, &str)] = &[
    ("care", FinalOrder::CareOrder, "Care order"),
    ("placement", FinalOrder::PlacementOrder, "Placement order"),
    (
        "special_guardianship",
        FinalOrder::SpecialGuardianshipOrder,
        "Special guardianship order",
    ),
    (
        "child_arrangements",
        FinalOrder::ChildArrangementsOrder,
        "Child arrangements order",
    ),
    (
        "supervision",
        FinalOrder::SupervisionOrder,
        "Supervision order",
    ),
    ("none", FinalOrder::NoOrder, "No order"),
];

/// The legal track's form fields: the step, its date, an extension's weeks and a final
/// hearing's order (on a case, and for a child at home).
pub(crate) fn legal_step_fields() -> Vec<Field> {
    vec![
        Field::new(
            "legal_step",
            "Step",
            Control::Select {
                choices: LEGAL_STEPS
                    .iter()
                    .map(|(value, label)| Choice::new(*value, *label))
                    .collect(),
            },
        ),
        Field::date("on", "Date".to_owned()),
        Field::new(
            "extension_weeks",
            "Weeks of extension (for an extension only)",
            Control::Text {
                width: "govuk-input--width-2",
            },
        )
        .hint("Between 1 and 8"),
        Field::new(
            "final_order",
            "Order made (for a final hearing only)",
            Control::Select {
                choices: FINAL_ORDERS
                    .iter()
                    .map(|(value, _, label)| Choice::new(*value, *label))
                    .collect(),
            },
        ),
    ]
}

/// The step the legal track's fields name.
pub(crate) fn legal_step(values: &Values) -> Result<LegalStep, FieldError> {
    let key = values.choice("legal_step", "Choose the step", |v| {
        LEGAL_STEPS.iter().find(|(k, _)| *k == v).map(|(k, _)| *k)
    })?;
    Ok(match key {
        "pre_proceedings_started" => LegalStep::PreProceedingsStarted,
        "letter_before_proceedings_sent" => LegalStep::LetterBeforeProceedingsSent,
        "pre_proceedings_meeting_held" => LegalStep::PreProceedingsMeetingHeld,
        "pre_proceedings_stepped_down" => LegalStep::PreProceedingsSteppedDown,
        "proceedings_issued" => LegalStep::ProceedingsIssued,
        "case_management_hearing_held" => LegalStep::CaseManagementHearingHeld,
        "issues_resolution_hearing_held" => LegalStep::IssuesResolutionHearingHeld,
        "extension_granted" => {
            let weeks = values.text("extension_weeks").ok_or_else(|| {
                FieldError::new("extension_weeks", "Enter the weeks of extension")
            })?;
            let weeks = weeks.parse::<u32>().map_err(|_| {
                FieldError::new(
                    "extension_weeks",
                    "Weeks of extension must be a whole number between 1 and 8",
                )
            })?;
            LegalStep::ExtensionGranted { weeks }
        }
        _ => {
            let order = values.choice(
                "final_order",
                "Choose the order made at the final hearing",
                |v| {
                    FINAL_ORDERS
                        .iter()
                        .find(|(k, _, _)| *k == v)
                        .map(|(_, o, _)| *o)
                },
            )?;
            LegalStep::FinalHearingHeld { order }
        }
    })
}

/// Why a placement that broke down ended: every reason for a change of placement but PLACE
/// (a change in the placement's status only).
const BREAKDOWN_REASONS: &[PlacementChangeReason] = &[
    PlacementChangeReason::Creqb,
    PlacementChangeReason::Creqo,
    PlacementChangeReason::Child,
    PlacementChangeReason::Lareq,
    PlacementChangeReason::Alleg,
    PlacementChangeReason::Stand,
    PlacementChangeReason::Apprr,
    PlacementChangeReason::Close,
    PlacementChangeReason::Carpl,
    PlacementChangeReason::Custod,
    PlacementChangeReason::Other,
];

/// The active plans whose placement can break down now (the route's breakdown rule names
/// the step the plan is at), with what would break down ("adoptive placement").
fn breakable(ctx: &CaseContext<'_>) -> Vec<(Route, &'static str)> {
    active_plans(ctx.state)
        .filter_map(|plan| {
            let rule = ctx
                .catalog
                .get(plan.route, plan.version)?
                .breakdown
                .as_ref()?;
            rule.at
                .contains(&plan.current_step())
                .then_some((plan.route, rule.label))
        })
        .collect()
}

fn active_plans(state: &CaseState) -> impl Iterator<Item = &permanence_domain::case::RoutePlan> {
    state.plans.iter().filter(|p| p.is_active())
}

/// A step that can come next on one of the case's plans.
pub(crate) struct NextStep {
    pub route: Route,
    pub key: &'static str,
    pub label: String,
    pub action: Action,
}

impl NextStep {
    /// How the form names it: the route and the step.
    fn value(&self) -> String {
        format!("{}:{}", self.route.key(), self.key)
    }
}

/// The action recording a step is, by who its route definition says records it.
pub(crate) fn step_action(recorded_by: StepRole) -> Action {
    Action::record_route_step(match recorded_by {
        StepRole::SocialWorker => StepRecorder::SocialWorker,
        StepRole::TeamManager => StepRecorder::TeamManager,
        StepRole::PanelChair => StepRecorder::PanelChair,
        StepRole::AgencyDecisionMaker => StepRecorder::AgencyDecisionMaker,
        StepRole::NominatedOfficer => StepRecorder::NominatedOfficer,
    })
}

/// The steps the transition table allows next on each active plan, by the version of the
/// route each plan runs on, that this person may record.
fn next_steps(ctx: &CaseContext<'_>) -> Vec<NextStep> {
    let mut out = Vec::new();
    for plan in active_plans(ctx.state) {
        let Some(definition) = ctx.catalog.get(plan.route, plan.version) else {
            continue;
        };
        for step in definition.next_steps(plan.current_step()) {
            let action = step_action(step.recorded_by);
            if (ctx.may)(action) {
                out.push(NextStep {
                    route: plan.route,
                    key: step.key,
                    label: format!(
                        "{}: {}",
                        crate::format::capitalised(plan.route.label()),
                        step.label
                    ),
                    action,
                });
            }
        }
    }
    out
}

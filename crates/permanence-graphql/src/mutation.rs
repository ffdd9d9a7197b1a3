//! Mutations: each is one engine command, in one transaction.
//!
//! Every case mutation takes the date the step happened (`occurredOn`), an optional note,
//! an optional `expectedVersion` (refused with VERSION_CONFLICT when the case has moved on)
//! and an optional `commandId` (the same id twice records once).

use crate::context::engine;
use crate::error::{ApiResult, internal, validation};
use crate::guard;
use crate::scalars::Date;
use crate::types::{
    CaseNode, ChildNode, FinalOrder, PlanRole, RouteKind, Sex, TimelineEventNode, final_order,
};
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use permanence_auth::Action;
use permanence_domain::CaseId;
use permanence_domain::case::{Command, LegalStep};
use permanence_domain::child::NewChild;
use permanence_domain::codes::{
    AdopterLegalStatus, AdopterSex, CategoryOfNeed, LegalStatus, PlacementChangeReason,
    PlacementProvider, PlacementType, ReasonCeased, ReversalReason, ReviewParticipation,
};
use permanence_domain::return_facts::PlacementDetails;
use permanence_engine::{Actor, CaseOutcome, CommandMeta, EnterCare};
use uuid::Uuid;

#[derive(Default)]
pub struct CaseMutation;

/// What a case mutation answers.
#[derive(SimpleObject)]
pub struct CasePayload {
    /// The case as it stands after the command.
    case: CaseNode,
    /// The events this command recorded (empty when `duplicate`).
    recorded: Vec<TimelineEventNode>,
    /// The command id had been seen before: nothing new was recorded.
    duplicate: bool,
}

impl From<CaseOutcome> for CasePayload {
    fn from(o: CaseOutcome) -> Self {
        Self {
            recorded: TimelineEventNode::all_of(&o.case.state, o.recorded),
            case: CaseNode::new(o.case),
            duplicate: o.duplicate,
        }
    }
}

#[derive(SimpleObject)]
pub struct RegisterChildPayload {
    child: ChildNode,
}

#[derive(InputObject)]
pub struct RegisterChildInput {
    /// ONS code of the local authority (E10000003).
    local_authority: String,
    /// The authority's reference for the child (SSDA903 CHILD, up to 10 letters or digits).
    reference: String,
    birth_date: Date,
    sex: Sex,
    /// SSDA903 ethnicity code (WBRI, ...).
    ethnicity: String,
    name: Option<String>,
    /// SSDA903 UPN: the unique pupil number, or UN1 to UN5 when it is not known.
    upn: Option<String>,
    /// SSDA903 MOTHER: whether the child is a mother (girls only).
    mother: Option<bool>,
    /// SSDA903 MC_DOB: the date of birth of the child's first child.
    first_child_born_on: Option<Date>,
    command_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct EnterCareInput {
    child_id: Uuid,
    entered_care_on: Date,
    /// SSDA903 LS (C1, C2, E1, V2, ...).
    legal_status: String,
    /// SSDA903 PLACE (U3, U6, K2, P1, ...).
    placement: String,
    /// SSDA903 PLACE_PROVIDER (PR0 to PR5).
    provider: Option<String>,
    /// The carer's reference (not a name).
    carer: Option<String>,
    team: Option<String>,
    allocated_worker: Option<String>,
    /// SSDA903 HOME_POST: the postcode of the home the child lived in (CB2 1TN).
    home_postcode: Option<String>,
    /// SSDA903 PL_POST: the postcode of the placement.
    placement_postcode: Option<String>,
    /// SSDA903 URN: the Ofsted URN of the placement's provider (SC123456, or XXXXXXX).
    urn: Option<String>,
    /// SSDA903 CIN: the category of need (N1 to N8).
    category_of_need: Option<String>,
    note: Option<String>,
    command_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct AllocateCaseInput {
    case_id: Uuid,
    occurred_on: Date,
    team: Option<String>,
    allocated_worker: Option<String>,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

/// A change of placement, carer or legal status; fields left out carry over.
#[derive(InputObject)]
pub struct RecordPlacementChangeInput {
    case_id: Uuid,
    occurred_on: Date,
    legal_status: Option<String>,
    placement: Option<String>,
    provider: Option<String>,
    carer: Option<String>,
    /// SSDA903 HOME_POST; carries over when left out.
    home_postcode: Option<String>,
    /// SSDA903 PL_POST; carries over when left out, unless the placement or carer changes.
    placement_postcode: Option<String>,
    /// SSDA903 URN; carries over when left out, unless the placement or carer changes.
    urn: Option<String>,
    /// SSDA903 CIN (N1 to N8); carries over when left out.
    category_of_need: Option<String>,
    /// SSDA903 REASON_PLACE_CHANGE: why the previous placement ended (CARPL, CREQB, ...).
    placement_change_reason: Option<String>,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

/// Who adopts the child, once the match is decided (SSDA903 AD1).
#[derive(InputObject)]
pub struct RecordAdoptersInput {
    case_id: Uuid,
    occurred_on: Date,
    /// SSDA903 SEX_ADOPTR: M1, F1 (a single adopter), MM, FF or MF (a couple).
    sex: String,
    /// SSDA903 LS_ADOPTR: L0 (single), L11, L12 (married), L2 (civil partners), L3, L4
    /// (unmarried couple).
    legal_status: String,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

/// A dated event on a case with nothing more to say (a review held, a health assessment).
#[derive(InputObject)]
pub struct RecordDatedInput {
    case_id: Uuid,
    occurred_on: Date,
    /// For a review only: how the child took part (SSDA903 REVIEW_CODE, PN0 to PN7).
    participation: Option<String>,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

/// A statutory visit by the social worker (CPPCR 2010 reg 28).
#[derive(InputObject)]
pub struct RecordVisitInput {
    case_id: Uuid,
    /// The day of the visit.
    occurred_on: Date,
    /// Whether the worker saw the child alone; left out when not recorded.
    seen_alone: Option<bool>,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct SetRoutePlanInput {
    case_id: Uuid,
    route: RouteKind,
    #[graphql(default_with = "PlanRole::Primary")]
    role: PlanRole,
    /// The date the plan was endorsed (at a review).
    occurred_on: Date,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct RecordRouteStepInput {
    case_id: Uuid,
    route: RouteKind,
    /// The step's key, as `routes` lists it (`match_decision`).
    step: String,
    occurred_on: Date,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct ReverseAdoptionDecisionInput {
    case_id: Uuid,
    occurred_on: Date,
    /// SSDA903 REASON_PLACED_CEASED: RD1 to RD4.
    reason: String,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct RecordPlacementBreakdownInput {
    case_id: Uuid,
    /// The route of the plan whose placement broke down.
    route: RouteKind,
    occurred_on: Date,
    /// SSDA903 REASON_PLACE_CHANGE: why the placement ended (CREQB, CHILD, LAREQ, ...).
    reason: String,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegalStepKind {
    PreProceedingsStarted,
    LetterBeforeProceedingsSent,
    PreProceedingsMeetingHeld,
    PreProceedingsSteppedDown,
    ProceedingsIssued,
    CaseManagementHearingHeld,
    IssuesResolutionHearingHeld,
    /// Needs `extensionWeeks` (1 to 8).
    ExtensionGranted,
    /// Needs `finalOrder`.
    FinalHearingHeld,
}

#[derive(InputObject)]
pub struct RecordLegalStepInput {
    case_id: Uuid,
    step: LegalStepKind,
    occurred_on: Date,
    extension_weeks: Option<i32>,
    final_order: Option<FinalOrder>,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct CloseCaseInput {
    case_id: Uuid,
    occurred_on: Date,
    /// SSDA903 REC: E11, E12 (adopted), E41 (CAO), E45 to E48 (SGO), E4A, E4B, E13, ...
    reason: String,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

fn parse_code<T>(field: &str, value: &str, parse: fn(&str) -> Option<T>, what: &str) -> Result<T> {
    parse(value)
        // The value is not repeated: a detail typed into the wrong field may be a child's.
        .ok_or_else(|| validation(field, format!("is not an SSDA903 {what} code")))
}

fn parse_optional<T>(
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    what: &str,
) -> Result<Option<T>> {
    value.map(|v| parse_code(field, v, parse, what)).transpose()
}

fn actor(ctx: &Context<'_>) -> Result<Actor> {
    ctx.data::<Actor>()
        .cloned()
        .map_err(|_| internal("request has no actor"))
}

/// The envelope of a command from this request: its actor, id, expected version and note.
pub(crate) fn meta(
    ctx: &Context<'_>,
    note: Option<String>,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
) -> Result<CommandMeta> {
    if let Some(v) = expected_version
        && v < 0
    {
        return Err(validation("expectedVersion", "cannot be negative"));
    }
    Ok(CommandMeta {
        actor: actor(ctx)?,
        command_id,
        expected_version,
        note,
    })
}

/// The action a route step is, by the role its route definition says records it.
fn route_step_action(
    ctx: &Context<'_>,
    route: permanence_domain::Route,
    step: &str,
) -> Result<Action> {
    use permanence_auth::StepRecorder;
    use permanence_domain::route::Role as StepRole;
    let recorded_by = engine(ctx)?
        .catalog()
        .current(route)
        .step(step)
        .map(|s| s.recorded_by);
    Ok(match recorded_by {
        Some(StepRole::SocialWorker) | None => Action::RecordRouteStep,
        Some(StepRole::TeamManager) => Action::record_route_step(StepRecorder::TeamManager),
        Some(StepRole::PanelChair) => Action::record_route_step(StepRecorder::PanelChair),
        Some(StepRole::AgencyDecisionMaker) => {
            Action::record_route_step(StepRecorder::AgencyDecisionMaker)
        }
        Some(StepRole::NominatedOfficer) => {
            Action::record_route_step(StepRecorder::NominatedOfficer)
        }
    })
}

/// Runs a command on a case the user may do `action` on.
async fn run(
    ctx: &Context<'_>,
    action: Action,
    case_id: Uuid,
    meta: CommandMeta,
    command: Command,
) -> Result<CasePayload> {
    guard::case_for(ctx, action, CaseId(case_id)).await?;
    let outcome = engine(ctx)?
        .execute(&meta, CaseId(case_id), command)
        .await
        .api()?;
    Ok(outcome.into())
}

/// The legal step an input names, with its extension's weeks or its final order.
pub(crate) fn legal_step(
    kind: LegalStepKind,
    extension_weeks: Option<i32>,
    order: Option<FinalOrder>,
) -> Result<LegalStep> {
    Ok(match kind {
        LegalStepKind::PreProceedingsStarted => LegalStep::PreProceedingsStarted,
        LegalStepKind::LetterBeforeProceedingsSent => LegalStep::LetterBeforeProceedingsSent,
        LegalStepKind::PreProceedingsMeetingHeld => LegalStep::PreProceedingsMeetingHeld,
        LegalStepKind::PreProceedingsSteppedDown => LegalStep::PreProceedingsSteppedDown,
        LegalStepKind::ProceedingsIssued => LegalStep::ProceedingsIssued,
        LegalStepKind::CaseManagementHearingHeld => LegalStep::CaseManagementHearingHeld,
        LegalStepKind::IssuesResolutionHearingHeld => LegalStep::IssuesResolutionHearingHeld,
        LegalStepKind::ExtensionGranted => {
            let weeks = extension_weeks
                .ok_or_else(|| validation("extensionWeeks", "is required for an extension"))?;
            let weeks = u32::try_from(weeks)
                .map_err(|_| validation("extensionWeeks", "must be between 1 and 8"))?;
            LegalStep::ExtensionGranted { weeks }
        }
        LegalStepKind::FinalHearingHeld => LegalStep::FinalHearingHeld {
            order: final_order(
                order.ok_or_else(|| validation("finalOrder", "is required for a final hearing"))?,
            ),
        },
    })
}

/// Refuses a child's participation on a dated step other than a review.
fn no_participation(input: &RecordDatedInput, step: &str) -> Result<()> {
    match input.participation {
        Some(_) => Err(validation(
            "participation",
            format!("is recorded with a review, not {step}"),
        )),
        None => Ok(()),
    }
}

/// Runs a command that needs only its date.
async fn run_dated(
    ctx: &Context<'_>,
    action: Action,
    input: RecordDatedInput,
    command: impl FnOnce(chrono::NaiveDate) -> Command,
) -> Result<CasePayload> {
    let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
    run(
        ctx,
        action,
        input.case_id,
        meta,
        command(input.occurred_on.0),
    )
    .await
}

#[Object]
impl CaseMutation {
    /// Registers a child with the engine.
    async fn register_child(
        &self,
        ctx: &Context<'_>,
        input: RegisterChildInput,
    ) -> Result<RegisterChildPayload> {
        let meta = meta(ctx, None, None, input.command_id)?;
        let child = NewChild {
            local_authority: input.local_authority,
            reference: input.reference,
            birth_date: input.birth_date.0,
            sex: input.sex.into(),
            ethnicity: input.ethnicity,
            name: input.name,
            facts: permanence_domain::child::ChildFacts {
                upn: input.upn,
                mother: input.mother,
                first_child_born_on: input.first_child_born_on.map(|d| d.0),
            },
        };
        guard::in_authority(ctx, Action::RegisterChild, &child.local_authority)?;
        let record = engine(ctx)?.register_child(&meta, child).await.api()?;
        Ok(RegisterChildPayload {
            child: ChildNode(record),
        })
    }

    /// The child becomes looked after: opens a case (a period of care).
    async fn enter_care(&self, ctx: &Context<'_>, input: EnterCareInput) -> Result<CasePayload> {
        let meta = meta(ctx, input.note, None, input.command_id)?;
        let enter = EnterCare {
            child_id: input.child_id.into(),
            entered_care_on: input.entered_care_on.0,
            legal_status: parse_code(
                "legalStatus",
                &input.legal_status,
                LegalStatus::parse,
                "legal status",
            )?,
            placement: parse_code(
                "placement",
                &input.placement,
                PlacementType::parse,
                "placement type",
            )?,
            provider: parse_optional(
                "provider",
                input.provider.as_deref(),
                PlacementProvider::parse,
                "placement provider",
            )?,
            carer: input.carer,
            team: input.team,
            // A social worker who opens a case without naming a worker keeps it: otherwise
            // they could not see the case they have just opened.
            allocated_worker: input.allocated_worker.or_else(|| {
                guard::principal(ctx)
                    .ok()
                    .filter(|p| p.role == permanence_auth::Role::SocialWorker)
                    .map(|p| p.user_id.clone())
            }),
            details: PlacementDetails {
                home_postcode: input.home_postcode,
                placement_postcode: input.placement_postcode,
                urn: input.urn,
                need: parse_optional(
                    "categoryOfNeed",
                    input.category_of_need.as_deref(),
                    CategoryOfNeed::parse,
                    "category of need",
                )?,
                previous_placement_ended: None,
                reason_new_episode: None,
            },
        };
        // Entering care is an act within the child's authority; an unknown child is refused
        // the same way as one in another authority.
        let child = crate::context::loaders(ctx)?
            .children
            .load_one(enter.child_id)
            .await
            .map_err(internal)?;
        match &child {
            Some(child) => guard::in_authority(ctx, Action::EnterCare, &child.local_authority)?,
            None => return Err(guard::missing(Action::EnterCare)),
        };
        let outcome = engine(ctx)?.enter_care(&meta, enter).await.api()?;
        Ok(outcome.into())
    }

    /// Allocates the case to a team and worker.
    async fn allocate_case(
        &self,
        ctx: &Context<'_>,
        input: AllocateCaseInput,
    ) -> Result<CasePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        let command = Command::AllocateCase {
            on: input.occurred_on.0,
            team: input.team,
            allocated_worker: input.allocated_worker,
        };
        run(ctx, Action::AllocateCase, input.case_id, meta, command).await
    }

    /// Records a change of placement, carer or legal status (a new SSDA903 episode).
    async fn record_placement_change(
        &self,
        ctx: &Context<'_>,
        input: RecordPlacementChangeInput,
    ) -> Result<CasePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        let command = Command::RecordEpisode {
            on: input.occurred_on.0,
            legal_status: parse_optional(
                "legalStatus",
                input.legal_status.as_deref(),
                LegalStatus::parse,
                "legal status",
            )?,
            placement: parse_optional(
                "placement",
                input.placement.as_deref(),
                PlacementType::parse,
                "placement type",
            )?,
            provider: parse_optional(
                "provider",
                input.provider.as_deref(),
                PlacementProvider::parse,
                "placement provider",
            )?,
            carer: input.carer,
            details: PlacementDetails {
                home_postcode: input.home_postcode,
                placement_postcode: input.placement_postcode,
                urn: input.urn,
                need: parse_optional(
                    "categoryOfNeed",
                    input.category_of_need.as_deref(),
                    CategoryOfNeed::parse,
                    "category of need",
                )?,
                previous_placement_ended: parse_optional(
                    "placementChangeReason",
                    input.placement_change_reason.as_deref(),
                    PlacementChangeReason::parse,
                    "reason for the placement change",
                )?,
                reason_new_episode: None,
            },
        };
        run(
            ctx,
            Action::RecordPlacementChange,
            input.case_id,
            meta,
            command,
        )
        .await
    }

    /// Records a statutory review held.
    async fn record_review(
        &self,
        ctx: &Context<'_>,
        input: RecordDatedInput,
    ) -> Result<CasePayload> {
        let participation = parse_optional(
            "participation",
            input.participation.as_deref(),
            ReviewParticipation::parse,
            "review participation",
        )?;
        run_dated(ctx, Action::RecordReview, input, |on| {
            Command::RecordReview { on, participation }
        })
        .await
    }

    /// Records who adopts the child (their number, sex and legal status), once the match is
    /// decided: the national return's AD1 table needs them.
    async fn record_adopters(
        &self,
        ctx: &Context<'_>,
        input: RecordAdoptersInput,
    ) -> Result<CasePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        let command = Command::RecordAdopters {
            on: input.occurred_on.0,
            adopters: permanence_domain::return_facts::Adopters {
                sex: parse_code("sex", &input.sex, AdopterSex::parse, "sex of the adopters")?,
                legal_status: parse_code(
                    "legalStatus",
                    &input.legal_status,
                    AdopterLegalStatus::parse,
                    "legal status of the adopters",
                )?,
            },
        };
        // Part of recording the adoption route: the same people may record it.
        run(ctx, Action::RecordRouteStep, input.case_id, meta, command).await
    }

    /// Records a health assessment (the first is the initial assessment).
    async fn record_health_assessment(
        &self,
        ctx: &Context<'_>,
        input: RecordDatedInput,
    ) -> Result<CasePayload> {
        no_participation(&input, "a health assessment")?;
        run_dated(ctx, Action::RecordHealthAssessment, input, |on| {
            Command::RecordHealthAssessment { on }
        })
        .await
    }

    /// Records a statutory visit by the social worker: the next visit falls due from it
    /// (CPPCR 2010 reg 28).
    async fn record_visit(
        &self,
        ctx: &Context<'_>,
        input: RecordVisitInput,
    ) -> Result<CasePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        let command = Command::RecordVisit {
            on: input.occurred_on.0,
            seen_alone: input.seen_alone,
        };
        run(ctx, Action::RecordVisit, input.case_id, meta, command).await
    }

    /// Sets the plan for permanence (PRIMARY), or a parallel plan beside it (PARALLEL).
    async fn set_route_plan(
        &self,
        ctx: &Context<'_>,
        input: SetRoutePlanInput,
    ) -> Result<CasePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        let command = Command::SetRoutePlan {
            route: input.route.into(),
            role: input.role.into(),
            on: input.occurred_on.0,
        };
        run(ctx, Action::SetRoutePlan, input.case_id, meta, command).await
    }

    /// Ends the parallel plan.
    async fn end_parallel_plan(
        &self,
        ctx: &Context<'_>,
        input: RecordDatedInput,
    ) -> Result<CasePayload> {
        no_participation(&input, "the end of a parallel plan")?;
        run_dated(ctx, Action::EndParallelPlan, input, |on| {
            Command::EndParallelPlan { on }
        })
        .await
    }

    /// Records a step of a route, such as a panel recommendation or a match decision.
    async fn record_route_step(
        &self,
        ctx: &Context<'_>,
        input: RecordRouteStepInput,
    ) -> Result<CasePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        let step_action = route_step_action(ctx, input.route.into(), &input.step)?;
        let command = Command::RecordRouteStep {
            route: input.route.into(),
            step: input.step,
            on: input.occurred_on.0,
        };
        run(ctx, step_action, input.case_id, meta, command).await
    }

    /// Reverses the decision that the child should be placed for adoption (ends the adoption plan).
    async fn reverse_adoption_decision(
        &self,
        ctx: &Context<'_>,
        input: ReverseAdoptionDecisionInput,
    ) -> Result<CasePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        let command = Command::ReverseAdoptionDecision {
            on: input.occurred_on.0,
            reason: parse_code(
                "reason",
                &input.reason,
                ReversalReason::parse,
                "reversal reason",
            )?,
        };
        run(
            ctx,
            Action::ReverseAdoptionDecision,
            input.case_id,
            meta,
            command,
        )
        .await
    }

    /// Records that the placement on a route plan broke down before permanence (a
    /// disruption): the route goes back to family finding (or its equivalent); on adoption
    /// the decision to place for adoption stays open. Recorded by the social worker, as the
    /// route's placement steps are.
    async fn record_placement_breakdown(
        &self,
        ctx: &Context<'_>,
        input: RecordPlacementBreakdownInput,
    ) -> Result<CasePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        let command = Command::RecordPlacementBreakdown {
            route: input.route.into(),
            on: input.occurred_on.0,
            reason: parse_code(
                "reason",
                &input.reason,
                PlacementChangeReason::parse,
                "reason for the placement change",
            )?,
        };
        run(ctx, Action::RecordRouteStep, input.case_id, meta, command).await
    }

    /// Records a step of the legal track (pre-proceedings, care proceedings).
    async fn record_legal_step(
        &self,
        ctx: &Context<'_>,
        input: RecordLegalStepInput,
    ) -> Result<CasePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        let step = legal_step(input.step, input.extension_weeks, input.final_order)?;
        run(
            ctx,
            Action::RecordLegalStep,
            input.case_id,
            meta,
            Command::RecordLegalStep {
                on: input.occurred_on.0,
                step,
            },
        )
        .await
    }

    /// The child leaves care: closes the case with its SSDA903 reason.
    async fn close_case(&self, ctx: &Context<'_>, input: CloseCaseInput) -> Result<CasePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        let command = Command::CloseCase {
            on: input.occurred_on.0,
            reason: parse_code(
                "reason",
                &input.reason,
                ReasonCeased::parse,
                "reason episode ceased",
            )?,
        };
        run(ctx, Action::CloseCase, input.case_id, meta, command).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_that_is_not_a_code_is_not_repeated() {
        let typed = "Amelia Smith, born 14/03/2019";
        let err = parse_code("legalStatus", typed, LegalStatus::parse, "legal status")
            .expect_err("not a code");
        assert_eq!(
            err.message,
            "legalStatus: is not an SSDA903 legal status code"
        );
    }
}

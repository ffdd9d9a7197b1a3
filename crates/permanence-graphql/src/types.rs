//! The API's object types: thin views over the store's records and the domain's state.

mod legal_at_home;
mod sibling_group;

pub use legal_at_home::LegalAtHomeNode;
pub use sibling_group::{SiblingApartReason, SiblingGroupNode, SiblingPlacing};

use crate::context::{engine, loaders};
use crate::error::internal;
use crate::read_ahead::ReadAhead;
use crate::scalars::Date;
use async_graphql::{Context, Enum, Json, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use permanence_auth::view::{self, Personal};
use permanence_domain::case::{self, RoutePlan};
use permanence_domain::deadlines::{self, DeadlineCategory};
use permanence_domain::route::{self, RouteDefinition};
use permanence_domain::timescales::{Basis, Period};
use permanence_domain::{CaseId, Deadline};
use permanence_engine::store::{CaseRecord, ChildRecord, StoredEvent};
use uuid::Uuid;

/// A route to permanence.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    Adoption,
    SpecialGuardianship,
    Reunification,
    LongTermFostering,
    ChildArrangementsOrder,
}

impl From<route::Route> for RouteKind {
    fn from(value: route::Route) -> Self {
        match value {
            route::Route::Adoption => Self::Adoption,
            route::Route::SpecialGuardianship => Self::SpecialGuardianship,
            route::Route::Reunification => Self::Reunification,
            route::Route::LongTermFostering => Self::LongTermFostering,
            route::Route::ChildArrangementsOrder => Self::ChildArrangementsOrder,
        }
    }
}

impl From<RouteKind> for route::Route {
    fn from(value: RouteKind) -> Self {
        match value {
            RouteKind::Adoption => Self::Adoption,
            RouteKind::SpecialGuardianship => Self::SpecialGuardianship,
            RouteKind::Reunification => Self::Reunification,
            RouteKind::LongTermFostering => Self::LongTermFostering,
            RouteKind::ChildArrangementsOrder => Self::ChildArrangementsOrder,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanRole {
    /// The plan for permanence.
    Primary,
    /// Twin-track or concurrent planning beside the primary plan.
    Parallel,
}

impl From<case::PlanRole> for PlanRole {
    fn from(value: case::PlanRole) -> Self {
        match value {
            case::PlanRole::Primary => Self::Primary,
            case::PlanRole::Parallel => Self::Parallel,
        }
    }
}

impl From<PlanRole> for case::PlanRole {
    fn from(value: PlanRole) -> Self {
        match value {
            PlanRole::Primary => Self::Primary,
            PlanRole::Parallel => Self::Parallel,
        }
    }
}

/// How a deadline stands on a date.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriftStatus {
    OnTrack,
    DueSoon,
    Overdue,
    /// The engine holds no fact the due date follows from: a period of care brought in by
    /// an import whose return did not carry the chain (no Reviews table, no dated health
    /// assessments, or a period that began before the return's history), until a worker
    /// records its next link. Never overdue or due soon.
    NotKnownFromReturn,
}

impl From<deadlines::DriftStatus> for DriftStatus {
    fn from(value: deadlines::DriftStatus) -> Self {
        match value {
            deadlines::DriftStatus::OnTrack => Self::OnTrack,
            deadlines::DriftStatus::DueSoon => Self::DueSoon,
            deadlines::DriftStatus::Overdue => Self::Overdue,
            deadlines::DriftStatus::NotKnownFromReturn => Self::NotKnownFromReturn,
        }
    }
}

impl From<DriftStatus> for deadlines::DriftStatus {
    fn from(value: DriftStatus) -> Self {
        match value {
            DriftStatus::OnTrack => Self::OnTrack,
            DriftStatus::DueSoon => Self::DueSoon,
            DriftStatus::Overdue => Self::Overdue,
            DriftStatus::NotKnownFromReturn => Self::NotKnownFromReturn,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseStatus {
    /// The child is in care.
    Open,
    /// The child has left care.
    Closed,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimescaleBasis {
    Law,
    Guidance,
    LocalSetting,
}

impl From<Basis> for TimescaleBasis {
    fn from(value: Basis) -> Self {
        match value {
            Basis::Law => Self::Law,
            Basis::Guidance => Self::Guidance,
            Basis::LocalSetting => Self::LocalSetting,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadlineKind {
    CarePlanning,
    Legal,
    Route,
}

impl From<DeadlineCategory> for DeadlineKind {
    fn from(value: DeadlineCategory) -> Self {
        match value {
            DeadlineCategory::CarePlanning => Self::CarePlanning,
            DeadlineCategory::Legal => Self::Legal,
            DeadlineCategory::Route => Self::Route,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
    Unknown,
}

impl From<permanence_domain::codes::Sex> for Sex {
    fn from(value: permanence_domain::codes::Sex) -> Self {
        use permanence_domain::codes::Sex as S;
        match value {
            S::Male => Self::Male,
            S::Female => Self::Female,
            S::Unknown => Self::Unknown,
        }
    }
}

impl From<Sex> for permanence_domain::codes::Sex {
    fn from(value: Sex) -> Self {
        match value {
            Sex::Male => Self::Male,
            Sex::Female => Self::Female,
            Sex::Unknown => Self::Unknown,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // the names of the orders, as the court makes them
pub enum FinalOrder {
    CareOrder,
    PlacementOrder,
    SpecialGuardianshipOrder,
    ChildArrangementsOrder,
    SupervisionOrder,
    NoOrder,
}

pub(crate) fn final_order_name(o: case::FinalOrder) -> FinalOrder {
    match o {
        case::FinalOrder::CareOrder => FinalOrder::CareOrder,
        case::FinalOrder::PlacementOrder => FinalOrder::PlacementOrder,
        case::FinalOrder::SpecialGuardianshipOrder => FinalOrder::SpecialGuardianshipOrder,
        case::FinalOrder::ChildArrangementsOrder => FinalOrder::ChildArrangementsOrder,
        case::FinalOrder::SupervisionOrder => FinalOrder::SupervisionOrder,
        case::FinalOrder::NoOrder => FinalOrder::NoOrder,
    }
}

pub(crate) fn final_order(o: FinalOrder) -> case::FinalOrder {
    match o {
        FinalOrder::CareOrder => case::FinalOrder::CareOrder,
        FinalOrder::PlacementOrder => case::FinalOrder::PlacementOrder,
        FinalOrder::SpecialGuardianshipOrder => case::FinalOrder::SpecialGuardianshipOrder,
        FinalOrder::ChildArrangementsOrder => case::FinalOrder::ChildArrangementsOrder,
        FinalOrder::SupervisionOrder => case::FinalOrder::SupervisionOrder,
        FinalOrder::NoOrder => case::FinalOrder::NoOrder,
    }
}

/// A child known to the engine.
pub struct ChildNode(pub ChildRecord);

#[Object(name = "Child")]
impl ChildNode {
    async fn id(&self) -> Uuid {
        self.0.id.0
    }
    /// ONS code of the local authority (E10000003).
    async fn local_authority(&self) -> &str {
        &self.0.local_authority
    }
    /// The authority's reference for the child (SSDA903 CHILD).
    async fn reference(&self) -> &str {
        &self.0.reference
    }
    /// Not shown to leaders, who see `birthMonth`.
    async fn birth_date(&self, ctx: &Context<'_>) -> Option<Date> {
        view::birth_date(crate::guard::access(ctx), self.0.birth_date).map(Date)
    }
    /// Year and month of birth (YYYY-MM).
    async fn birth_month(&self) -> String {
        view::birth_month(self.0.birth_date)
    }
    async fn sex(&self) -> Sex {
        self.0.sex.into()
    }
    /// SSDA903 ethnicity code.
    async fn ethnicity(&self) -> &str {
        &self.0.ethnicity
    }
    /// The child's legal track while they live at home (the Public Law Outline before or
    /// between periods of care); null when nothing has been recorded.
    async fn legal_at_home(&self, ctx: &Context<'_>) -> Result<Option<LegalAtHomeNode>> {
        // Through the request's loader: a page of children reads their records in one query.
        Ok(loaders(ctx)?
            .legal_at_home
            .load_one(self.0.id)
            .await
            .map_err(internal)?
            .map(LegalAtHomeNode))
    }
    /// Not shown to leaders.
    async fn name(&self, ctx: &Context<'_>) -> Option<&str> {
        view::personal(
            crate::guard::access(ctx),
            Personal::Name,
            self.0.name.as_deref(),
        )
    }
    /// The child's periods of care that the user may read, oldest first.
    async fn cases(&self, ctx: &Context<'_>) -> Result<Vec<CaseNode>> {
        let found = loaders(ctx)?
            .cases_of_child
            .load_one(self.0.id)
            .await
            .map_err(internal)?
            .unwrap_or_default();
        let mut readable = Vec::with_capacity(found.len());
        for case in found {
            if crate::guard::may_read_case(ctx, &case).await? {
                crate::guard::audit(
                    ctx,
                    permanence_auth::Action::ReadCase,
                    crate::guard::CASE_RECORD,
                    case.id.to_string(),
                );
                readable.push(CaseNode::new(case));
            }
        }
        Ok(readable)
    }
}

/// One period of care of one child, and its route to permanence; with its child and
/// deadlines when the list it is on read them ahead (`read_ahead`).
pub struct CaseNode(pub CaseRecord, pub ReadAhead);

impl CaseNode {
    /// A case whose child and deadlines its fields load when asked.
    pub fn new(record: CaseRecord) -> Self {
        Self(record, ReadAhead::default())
    }
}

#[Object(name = "Case")]
impl CaseNode {
    async fn id(&self) -> Uuid {
        self.0.id.0
    }
    /// Increases by one with every recorded event; send it back as `expectedVersion`.
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn child(&self, ctx: &Context<'_>) -> Result<ChildNode> {
        if let Some(child) = &self.1.child {
            return Ok(ChildNode(child.clone()));
        }
        loaders(ctx)?
            .children
            .load_one(self.0.child_id)
            .await
            .map_err(internal)?
            .map(ChildNode)
            .ok_or_else(|| internal("case without child"))
    }
    async fn local_authority(&self) -> &str {
        &self.0.state.local_authority
    }
    async fn team(&self) -> Option<&str> {
        self.0.state.team.as_deref()
    }
    async fn allocated_worker(&self) -> Option<&str> {
        self.0.state.allocated_worker.as_deref()
    }
    async fn status(&self) -> CaseStatus {
        if self.0.state.is_open() {
            CaseStatus::Open
        } else {
            CaseStatus::Closed
        }
    }
    async fn entered_care_on(&self) -> Date {
        self.0.state.entered_care_on.into()
    }
    async fn left_care_on(&self) -> Option<Date> {
        self.0.state.closed.map(|c| c.on.into())
    }
    /// SSDA903 reason the period of care ended (E11, E45, ...).
    async fn reason_ceased(&self) -> Option<&'static str> {
        self.0.state.closed.map(|c| c.reason.code())
    }
    /// The date the plan for permanence was first recorded.
    async fn permanence_plan_on(&self) -> Option<Date> {
        self.0.state.permanence_plan_on().map(Date)
    }
    /// The plan for permanence now in force.
    async fn primary_plan(&self) -> Option<RoutePlanNode> {
        self.0.state.primary_plan().cloned().map(RoutePlanNode)
    }
    /// A parallel plan (twin-track or concurrent planning), if any.
    async fn parallel_plan(&self) -> Option<RoutePlanNode> {
        self.0.state.parallel_plan().cloned().map(RoutePlanNode)
    }
    /// Every route plan of the case, including ended ones.
    async fn plans(&self) -> Vec<RoutePlanNode> {
        self.0
            .state
            .plans
            .iter()
            .cloned()
            .map(RoutePlanNode)
            .collect()
    }
    /// Placements and legal statuses over time (the SSDA903 episodes).
    async fn placements(&self, ctx: &Context<'_>) -> Vec<PlacementNode> {
        let access = crate::guard::access(ctx);
        self.0
            .state
            .episodes
            .iter()
            .map(|e| PlacementNode {
                starts_on: e.starts_on.into(),
                legal_status: e.legal_status.code(),
                placement: e.placement.code(),
                provider: e.provider.map(|p| p.code()),
                carer: view::personal(access, Personal::CarerReference, e.carer.clone()),
            })
            .collect()
    }
    /// Dates of statutory reviews held.
    async fn reviews(&self) -> Vec<Date> {
        self.0.state.reviews.iter().copied().map(Date).collect()
    }
    /// Dates of health assessments (the first is the initial assessment).
    async fn health_assessments(&self) -> Vec<Date> {
        self.0
            .state
            .health_assessments
            .iter()
            .map(|h| Date(h.on))
            .collect()
    }
    /// The social worker's statutory visits (CPPCR 2010 reg 28), oldest first.
    async fn visits(&self) -> Vec<VisitNode> {
        self.0
            .state
            .visits
            .iter()
            .map(|v| VisitNode {
                occurred_on: Date(v.on),
                seen_alone: v.seen_alone,
            })
            .collect()
    }
    /// The sibling group the child's case is in, if any: the decision whether the brothers
    /// and sisters are placed together, and those of them the reader may see.
    async fn sibling_group(&self, ctx: &Context<'_>) -> Result<Option<SiblingGroupNode>> {
        sibling_group::group_of_case(ctx, self.0.id).await
    }
    /// The legal track's current (latest) round: pre-proceedings, proceedings, or both.
    async fn legal_track(&self) -> LegalTrackNode {
        LegalTrackNode::of(&self.0.state.legal.current_round())
    }
    /// Every time the child has been through the Public Law Outline in this period, oldest
    /// first: a round ends when pre-proceedings step down or proceedings conclude, and the
    /// last is the current one (`legalTrack`), empty when none has begun.
    async fn legal_rounds(&self) -> Vec<LegalTrackNode> {
        self.0
            .state
            .legal
            .rounds()
            .map(|round| LegalTrackNode::of(&round))
            .collect()
    }
    /// Open deadlines, soonest first, with their drift status on `asOf` (default today).
    async fn deadlines(&self, ctx: &Context<'_>, as_of: Option<Date>) -> Result<Vec<DeadlineNode>> {
        let engine = engine(ctx)?;
        let as_of = as_of.map_or_else(|| engine.today(), |d| d.0);
        let found = match &self.1.deadlines {
            Some(read) => read.clone(),
            None => loaders(ctx)?
                .deadlines
                .load_one(self.0.id)
                .await
                .map_err(internal)?
                .unwrap_or_default(),
        };
        let soon = engine.timescales().due_soon_days;
        Ok(found
            .into_iter()
            .map(|d| DeadlineNode::new(d, as_of, soon))
            .collect())
    }
    /// Facts of imported history that the rules of live work would have refused, recorded
    /// as the return has them.
    async fn data_quality_notes(&self) -> Vec<crate::data_quality::DataQualityNoteNode> {
        self.0.state.data_quality.iter().map(Into::into).collect()
    }
    /// The period began before the first placement the engine holds (an imported return
    /// began part-way through it): its real start, and what is measured from it, are not
    /// known.
    async fn began_before_its_history(&self) -> bool {
        self.0.state.began_before_its_history()
    }
    /// Everything recorded on the case, in order.
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<TimelineEventNode>> {
        let found = loaders(ctx)?
            .events
            .load_one(self.0.id)
            .await
            .map_err(internal)?
            .unwrap_or_default();
        Ok(TimelineEventNode::all_of(&self.0.state, found))
    }
}

/// A placement and legal status from a date (an SSDA903 episode).
#[derive(SimpleObject)]
#[graphql(name = "Placement")]
pub struct PlacementNode {
    starts_on: Date,
    /// SSDA903 LS.
    legal_status: &'static str,
    /// SSDA903 PLACE.
    placement: &'static str,
    /// SSDA903 PLACE_PROVIDER.
    provider: Option<&'static str>,
    /// The carer's reference: not shown to leaders.
    carer: Option<String>,
}

/// A statutory visit by the social worker.
#[derive(SimpleObject)]
#[graphql(name = "Visit")]
pub struct VisitNode {
    occurred_on: Date,
    /// Whether the worker saw the child alone; null when not recorded.
    seen_alone: Option<bool>,
}

#[derive(SimpleObject)]
#[graphql(name = "LegalTrack")]
pub struct LegalTrackNode {
    pre_proceedings_started_on: Option<Date>,
    letter_before_proceedings_on: Option<Date>,
    pre_proceedings_meeting_on: Option<Date>,
    pre_proceedings_ended_on: Option<Date>,
    /// SteppedDown or ProceedingsIssued.
    pre_proceedings_outcome: Option<String>,
    proceedings_issued_on: Option<Date>,
    case_management_hearing_on: Option<Date>,
    issues_resolution_hearing_on: Option<Date>,
    /// Total weeks of extensions granted.
    extension_weeks: i32,
    final_hearing_on: Option<Date>,
    final_order: Option<FinalOrder>,
    /// For a round begun while the child lived at home: the day they entered care with it
    /// under way, after which it went on on the period of care's case (`continuedOnCase`).
    continued_in_care_on: Option<Date>,
    /// The period of care's case the round went on on.
    continued_on_case: Option<Uuid>,
}

impl LegalTrackNode {
    pub(crate) fn of(round: &permanence_domain::legal::LegalRound) -> Self {
        let pre = round.pre_proceedings.as_ref();
        let pro = round.proceedings.as_ref();
        LegalTrackNode {
            continued_in_care_on: round.continued_in_care.map(|(on, _)| Date(on)),
            continued_on_case: round.continued_in_care.map(|(_, case)| case.0),
            pre_proceedings_started_on: pre.and_then(|p| p.started_on).map(Date),
            letter_before_proceedings_on: pre.and_then(|p| p.letter_on).map(Date),
            pre_proceedings_meeting_on: pre.and_then(|p| p.meeting_on).map(Date),
            pre_proceedings_ended_on: pre.and_then(|p| p.ended).map(|(d, _)| Date(d)),
            pre_proceedings_outcome: pre.and_then(|p| p.ended).map(|(_, o)| format!("{o:?}")),
            proceedings_issued_on: pro.map(|p| Date(p.issued_on)),
            case_management_hearing_on: pro.and_then(|p| p.case_management_hearing_on).map(Date),
            issues_resolution_hearing_on: pro
                .and_then(|p| p.issues_resolution_hearing_on)
                .map(Date),
            extension_weeks: pro.map_or(0, |p| p.extensions.iter().map(|(_, w)| *w as i32).sum()),
            final_hearing_on: pro.and_then(|p| p.concluded).map(|(d, _)| Date(d)),
            final_order: pro
                .and_then(|p| p.concluded)
                .map(|(_, o)| final_order_name(o)),
        }
    }
}

/// One route plan of a case.
pub struct RoutePlanNode(pub RoutePlan);

#[Object(name = "RoutePlan")]
impl RoutePlanNode {
    async fn id(&self) -> i32 {
        i32::try_from(self.0.id).unwrap_or(i32::MAX)
    }
    async fn route(&self) -> RouteKind {
        self.0.route.into()
    }
    async fn role(&self) -> PlanRole {
        self.0.role.into()
    }
    /// The version of the route definition the plan runs on.
    async fn definition_version(&self) -> i32 {
        i32::try_from(self.0.version).unwrap_or(i32::MAX)
    }
    async fn started_on(&self) -> Date {
        self.0.started_on.into()
    }
    async fn current_step(&self) -> &str {
        self.0.current_step()
    }
    async fn current_step_label(&self, ctx: &Context<'_>) -> Result<String> {
        let engine = engine(ctx)?;
        Ok(engine
            .catalog()
            .get(self.0.route, self.0.version)
            .map_or_else(
                || self.0.current_step().to_owned(),
                |d| d.label_of(self.0.current_step()).to_owned(),
            ))
    }
    /// Steps recorded, in order, starting with the plan's endorsement.
    async fn steps(&self, ctx: &Context<'_>) -> Result<Vec<StepTakenNode>> {
        let engine = engine(ctx)?;
        let def = engine.catalog().get(self.0.route, self.0.version);
        let label = |k: &str| def.map_or_else(|| k.to_owned(), |d| d.label_of(k).to_owned());
        let mut out = vec![StepTakenNode {
            step: route::PLAN_ENDORSED.to_owned(),
            label: label(route::PLAN_ENDORSED),
            occurred_on: self.0.started_on.into(),
        }];
        out.extend(self.0.steps.iter().map(|s| StepTakenNode {
            step: s.step.clone(),
            label: label(&s.step),
            occurred_on: s.on.into(),
        }));
        Ok(out)
    }
    /// The steps the route allows next.
    async fn next_steps(&self, ctx: &Context<'_>) -> Result<Vec<StepDefinitionNode>> {
        if !self.0.is_active() || self.0.achieved {
            return Ok(vec![]);
        }
        let engine = engine(ctx)?;
        Ok(engine
            .catalog()
            .get(self.0.route, self.0.version)
            .map(|d| {
                d.next_steps(self.0.current_step())
                    .into_iter()
                    .map(StepDefinitionNode::from)
                    .collect()
            })
            .unwrap_or_default())
    }
    /// Reached the route's final step.
    async fn achieved(&self) -> bool {
        self.0.achieved
    }
    async fn ended_on(&self) -> Option<Date> {
        self.0.ended.map(|e| e.on.into())
    }
    /// RouteChanged, ParallelEnded, DecisionReversed or CaseClosed.
    async fn end_reason(&self) -> Option<String> {
        self.0.ended.map(|e| format!("{:?}", e.reason))
    }
    /// The reversal of the decision that the child should be placed for adoption.
    async fn reversed_on(&self) -> Option<Date> {
        self.0.reversal.map(|r| r.on.into())
    }
    /// SSDA903 REASON_PLACED_CEASED (RD1 to RD4).
    async fn reversal_reason(&self) -> Option<&'static str> {
        self.0.reversal.map(|r| r.reason.code())
    }
    /// Placements on the plan that broke down before permanence, oldest first. On
    /// adoption the decision to place for adoption stays open (no reversal).
    async fn breakdowns(&self, ctx: &Context<'_>) -> Result<Vec<PlacementBreakdownNode>> {
        let engine = engine(ctx)?;
        let def = engine.catalog().get(self.0.route, self.0.version);
        let label = |k: &str| def.map_or_else(|| k.to_owned(), |d| d.label_of(k).to_owned());
        Ok(self
            .0
            .breakdowns
            .iter()
            .map(|b| PlacementBreakdownNode {
                occurred_on: b.on.into(),
                reason: b.reason.code(),
                reason_label: b.reason.label(),
                stage: b.stage.clone(),
                stage_label: label(&b.stage),
                undone_steps: b
                    .undone
                    .iter()
                    .map(|s| StepTakenNode {
                        step: s.step.clone(),
                        label: label(&s.step),
                        occurred_on: s.on.into(),
                    })
                    .collect(),
            })
            .collect())
    }
}

/// A placement that broke down (a disruption).
#[derive(SimpleObject)]
#[graphql(name = "PlacementBreakdown")]
pub struct PlacementBreakdownNode {
    occurred_on: Date,
    /// SSDA903 REASON_PLACE_CHANGE (CREQB, CHILD, ...).
    reason: &'static str,
    reason_label: &'static str,
    /// The step the plan was at when it broke down.
    stage: String,
    stage_label: String,
    /// The steps the breakdown took back off the route, as they had been taken: they are
    /// taken again with the next carers.
    undone_steps: Vec<StepTakenNode>,
}

#[derive(SimpleObject)]
#[graphql(name = "StepTaken")]
pub struct StepTakenNode {
    step: String,
    label: String,
    occurred_on: Date,
}

/// A step in a route's definition.
#[derive(SimpleObject, Clone)]
#[graphql(name = "StepDefinition")]
pub struct StepDefinitionNode {
    key: String,
    label: String,
    /// PlanEndorsed, Assessment, PanelRecommendation, Decision, CourtOrder, Placement or Other.
    kind: String,
    /// The role that records it.
    recorded_by: String,
    /// Steps this one may directly follow.
    after: Vec<String>,
    /// At least one of these must have been recorded first.
    requires_any: Vec<String>,
    is_final: bool,
    note: String,
}

impl From<&route::StepDefinition> for StepDefinitionNode {
    fn from(s: &route::StepDefinition) -> Self {
        Self {
            key: s.key.to_owned(),
            label: s.label.to_owned(),
            kind: format!("{:?}", s.kind),
            recorded_by: format!("{:?}", s.recorded_by),
            after: s.after.iter().map(|k| (*k).to_owned()).collect(),
            requires_any: s.requires_any.iter().map(|k| (*k).to_owned()).collect(),
            is_final: s.is_final,
            note: s.note.to_owned(),
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "Transition")]
pub struct TransitionNode {
    from: String,
    to: String,
}

#[derive(SimpleObject)]
#[graphql(name = "DeadlineRule")]
pub struct DeadlineRuleNode {
    key: String,
    label: String,
    starts_at: String,
    met_by: Vec<String>,
    /// The timescale in force, in words ("7 working days").
    timescale: String,
    basis: TimescaleBasis,
    reference: String,
    after_panel: bool,
}

/// A route's definition, so that a client can draw it.
pub struct RouteNode {
    pub definition: RouteDefinition,
    pub rules: Vec<DeadlineRuleNode>,
}

impl RouteNode {
    pub fn new(definition: &RouteDefinition, timescales: &permanence_domain::Timescales) -> Self {
        let rules = definition
            .deadline_rules
            .iter()
            .map(|r| DeadlineRuleNode {
                key: r.key.to_owned(),
                label: r.label.to_owned(),
                starts_at: r.starts_at.to_owned(),
                met_by: r.met_by.iter().map(|k| (*k).to_owned()).collect(),
                timescale: timescales.period(r.setting).describe(),
                basis: r.basis.into(),
                reference: r.reference.to_owned(),
                after_panel: r.after_panel,
            })
            .collect();
        Self {
            definition: definition.clone(),
            rules,
        }
    }
}

#[Object(name = "Route")]
impl RouteNode {
    async fn route(&self) -> RouteKind {
        self.definition.route.into()
    }
    async fn label(&self) -> &str {
        self.definition.route.label()
    }
    async fn version(&self) -> i32 {
        i32::try_from(self.definition.version).unwrap_or(i32::MAX)
    }
    async fn steps(&self) -> Vec<StepDefinitionNode> {
        self.definition
            .steps
            .iter()
            .map(StepDefinitionNode::from)
            .collect()
    }
    /// Every allowed (from, to) pair.
    async fn transitions(&self) -> Vec<TransitionNode> {
        self.definition
            .transitions()
            .map(|(from, to)| TransitionNode {
                from: from.to_owned(),
                to: to.to_owned(),
            })
            .collect()
    }
    async fn deadline_rules(&self) -> &[DeadlineRuleNode] {
        &self.rules
    }
}

/// Something due on a case, and how it stands on the date asked about.
pub struct DeadlineNode {
    deadline: Deadline,
    as_of: NaiveDate,
    drift: deadlines::Drift,
}

impl DeadlineNode {
    pub fn new(deadline: Deadline, as_of: NaiveDate, due_soon_days: u32) -> Self {
        let drift = deadline.drift(as_of, due_soon_days);
        Self {
            deadline,
            as_of,
            drift,
        }
    }
}

#[Object(name = "Deadline")]
impl DeadlineNode {
    /// Unique within the case.
    async fn key(&self) -> &str {
        &self.deadline.key
    }
    /// The rule that set it.
    async fn rule(&self) -> &str {
        &self.deadline.rule
    }
    /// What is due.
    async fn label(&self) -> &str {
        &self.deadline.label
    }
    async fn kind(&self) -> DeadlineKind {
        self.deadline.category.into()
    }
    async fn route(&self) -> Option<RouteKind> {
        self.deadline.route.map(Into::into)
    }
    /// The date of the event that started the clock (for a panel deadline, the panel date;
    /// for one not known from the return, the period's first day the engine holds).
    async fn started_on(&self) -> Date {
        self.deadline.started_on.into()
    }
    /// Null when the deadline is not known from the return (status `NOT_KNOWN_FROM_RETURN`).
    async fn due_on(&self) -> Option<Date> {
        self.deadline.known_due_on().map(Into::into)
    }
    /// The timescale in words ("7 working days").
    async fn timescale(&self) -> String {
        describe_period(self.deadline.period)
    }
    async fn basis(&self) -> TimescaleBasis {
        self.deadline.basis.into()
    }
    /// The regulation or guidance behind the timescale.
    async fn reference(&self) -> &str {
        &self.deadline.reference
    }
    /// Follows a panel recommendation or decision.
    async fn after_panel(&self) -> bool {
        self.deadline.after_panel
    }
    /// The date the status is computed for.
    async fn as_of(&self) -> Date {
        self.as_of.into()
    }
    async fn status(&self) -> DriftStatus {
        self.drift.status.into()
    }
    /// Calendar days past the due date.
    async fn days_overdue(&self) -> i64 {
        self.drift.days_overdue
    }
    /// Working days past the due date.
    async fn working_days_overdue(&self) -> i64 {
        self.drift.working_days_overdue
    }
    /// Calendar days left until the due date.
    async fn days_until_due(&self) -> i64 {
        self.drift.days_until_due
    }
}

fn describe_period(period: Period) -> String {
    period.describe()
}

/// A recorded event with its envelope.
/// One event of a case, with the case as it stands (which names its steps and plans).
pub struct TimelineEventNode {
    pub stored: StoredEvent,
    pub case: std::sync::Arc<case::CaseState>,
}

impl TimelineEventNode {
    /// The events of `case`, each with the case.
    pub fn all_of(case: &case::CaseState, events: Vec<StoredEvent>) -> Vec<Self> {
        let case = std::sync::Arc::new(case.clone());
        events
            .into_iter()
            .map(|stored| Self {
                stored,
                case: case.clone(),
            })
            .collect()
    }
}

#[Object(name = "TimelineEvent")]
impl TimelineEventNode {
    async fn id(&self) -> Uuid {
        self.stored.id
    }
    /// Gap-free per case, from 1.
    async fn sequence(&self) -> i64 {
        self.stored.sequence
    }
    /// The event's name (RouteStepRecorded, ReviewHeld, ...).
    async fn kind(&self) -> &'static str {
        self.stored.event.kind()
    }
    /// What happened, in words: which step, which placement, which order ("Placement
    /// order", "Left care: adopted, application for an adoption order unopposed (E11)").
    /// Never free text or a carer's reference.
    async fn label(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(permanence_domain::timeline::describe(
            &self.stored.event,
            &self.case,
            engine(ctx)?.catalog(),
        ))
    }
    /// The date it happened in the world.
    async fn occurred_on(&self) -> Date {
        self.stored.occurred_on.into()
    }
    /// When it was entered.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.stored.recorded_at
    }
    /// Who entered it.
    async fn actor(&self) -> &str {
        &self.stored.actor
    }
    async fn command_id(&self) -> Uuid {
        self.stored.command_id
    }
    /// Free text: not shown to leaders.
    async fn note(&self, ctx: &Context<'_>) -> Option<&str> {
        view::personal(
            crate::guard::access(ctx),
            Personal::FreeText,
            self.stored.note.as_deref(),
        )
    }
    /// The event's fields. Leaders see only the fields each kind of event allows them
    /// (codes and dates; the month of birth, never the date; no postcodes, carers or
    /// free text).
    async fn data(&self, ctx: &Context<'_>) -> Result<Json<serde_json::Value>> {
        let data = serde_json::to_value(&self.stored.event).map_err(internal)?;
        Ok(Json(view::event_data(crate::guard::access(ctx), data)))
    }
}

/// A case with one of its deadlines, in the drift list.
pub struct DriftItemNode {
    pub case_id: CaseId,
    /// The case, when the page read its cases in one query (see `Query::drift`).
    pub case: Option<CaseRecord>,
    /// The case's child and deadlines, when the page read them ahead.
    pub read_ahead: ReadAhead,
    pub deadline: DeadlineNode,
}

#[Object(name = "DriftItem")]
impl DriftItemNode {
    async fn case(&self, ctx: &Context<'_>) -> Result<CaseNode> {
        self.read_case(ctx)
            .await?
            .map(|case| CaseNode(case, self.read_ahead.clone()))
            .ok_or_else(|| internal("deadline without case"))
    }
    async fn deadline(&self) -> &DeadlineNode {
        &self.deadline
    }
    /// For a deadline on a route: the date of the latest panel recommendation on that plan.
    async fn panel_on(&self, ctx: &Context<'_>) -> Result<Option<Date>> {
        self.latest_step_of_kind(ctx, route::StepKind::PanelRecommendation)
            .await
    }
    /// For a deadline on a route: the date of the latest decision on that plan.
    async fn decision_on(&self, ctx: &Context<'_>) -> Result<Option<Date>> {
        self.latest_step_of_kind(ctx, route::StepKind::Decision)
            .await
    }
    /// Days since the clock started (since the panel or decision, for a deadline after panel).
    async fn days_stalled(&self) -> i64 {
        (self.deadline.as_of - self.deadline.deadline.started_on)
            .num_days()
            .max(0)
    }
}

impl DriftItemNode {
    async fn read_case(&self, ctx: &Context<'_>) -> Result<Option<CaseRecord>> {
        match &self.case {
            Some(case) => Ok(Some(case.clone())),
            None => loaders(ctx)?
                .cases
                .load_one(self.case_id)
                .await
                .map_err(internal),
        }
    }

    async fn latest_step_of_kind(
        &self,
        ctx: &Context<'_>,
        kind: route::StepKind,
    ) -> Result<Option<Date>> {
        let Some(plan_id) = self.deadline.deadline.plan_id else {
            return Ok(None);
        };
        let Some(case) = self.read_case(ctx).await? else {
            return Ok(None);
        };
        let engine = engine(ctx)?;
        let Some(plan) = case.state.plans.iter().find(|p| p.id == plan_id) else {
            return Ok(None);
        };
        let Some(def) = engine.catalog().get(plan.route, plan.version) else {
            return Ok(None);
        };
        Ok(plan
            .steps
            .iter()
            .rev()
            .find(|s| def.step(&s.step).is_some_and(|d| d.kind == kind))
            .map(|s| Date(s.on)))
    }
}

//! The permanence panel over GraphQL: meetings, agendas, the queue, recommendations and
//! decisions. Recording an outcome advances the case's route in the same transaction.

use crate::context::{engine, loaders};
use crate::error::{ApiResult, validation};
use crate::guard;
use crate::mutation::meta;
use crate::scalars::Date;
use crate::types::{CaseNode, RouteKind, TimelineEventNode};
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use permanence_auth::Action;
use permanence_auth::view::{self, Personal};
use permanence_domain::CaseId;
use permanence_domain::ids::{PanelItemId, PanelMeetingId};
use permanence_domain::panel as domain;
use permanence_engine::panel::{
    AwaitingDecision, DocumentChecklist, PanelAgenda, PanelItemOutcome, QueuedCase, ScheduleMeeting,
};
use permanence_engine::store::{PanelItemRecord, PanelMeetingRecord};
use uuid::Uuid;

/// Declares a GraphQL enum mirroring a domain enum, with conversions both ways.
macro_rules! mirror_enum {
    ($(#[$doc:meta])* $name:ident <=> $domain:path { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                use $domain as D;
                match value { $(D::$variant => Self::$variant),+ }
            }
        }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                use $domain as D;
                match value { $($name::$variant => D::$variant),+ }
            }
        }
    };
}
pub(crate) use mirror_enum;

mirror_enum!(
    /// The kind of panel a meeting is; a combined panel hears every purpose.
    PanelKind <=> domain::PanelKind { Adoption, Permanence, Fostering, Combined }
);
mirror_enum!(
    /// Why a case goes to panel.
    PanelPurpose <=> domain::PanelPurpose {
        ShobpaConsent, AdoptionMatch, LongTermFosterMatch, SpecialGuardianshipPlan, ReunificationPlan
    }
);
mirror_enum!(
    PanelMeetingStatus <=> domain::PanelMeetingStatus { Planned, Held, Cancelled }
);
mirror_enum!(
    PanelItemStatus <=> domain::PanelItemStatus {
        Scheduled, Recommended, NotRecommended, Deferred, Decided, Withdrawn
    }
);

/// What the panel recommended.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelRecommendation {
    Recommended,
    NotRecommended,
    /// Needs `deferralReason` and `returnBy`.
    Deferred,
}

pub struct PanelMeetingNode(pub PanelMeetingRecord);

#[Object(name = "PanelMeeting")]
impl PanelMeetingNode {
    async fn id(&self) -> Uuid {
        self.0.id.0
    }
    async fn local_authority(&self) -> &str {
        &self.0.local_authority
    }
    async fn kind(&self) -> PanelKind {
        self.0.kind.into()
    }
    async fn sits_on(&self) -> Date {
        self.0.sits_on.into()
    }
    /// The chair's user id: they record the panel's recommendations and read its agenda.
    async fn chair(&self) -> &str {
        &self.0.chair
    }
    /// The user ids of those who sit on the meeting besides its chair: each reads the cases
    /// on its agenda until they are decided.
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(loaders(ctx)?
            .panel_members
            .load_one(self.0.id)
            .await
            .map_err(crate::error::internal)?
            .unwrap_or_default())
    }
    /// Free text: not shown to leaders.
    async fn quorum_notes(&self, ctx: &Context<'_>) -> Option<&str> {
        view::personal(
            guard::access(ctx),
            Personal::FreeText,
            self.0.quorum_notes.as_deref(),
        )
    }
    async fn status(&self) -> PanelMeetingStatus {
        self.0.status.into()
    }
    /// Send it back as `expectedVersion` to cancel or hold the meeting.
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// The agenda, in order (withdrawn items left out).
    /// Items whose case the user may not read are left out.
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Vec<AgendaItemNode>> {
        let agenda = engine(ctx)?.panel_agenda(self.0.id).await.api()?;
        readable_agenda_items(ctx, agenda).await
    }
}

pub struct PanelItemNode(pub PanelItemRecord);

#[Object(name = "PanelItem")]
impl PanelItemNode {
    async fn id(&self) -> Uuid {
        self.0.id.0
    }
    async fn meeting_id(&self) -> Uuid {
        self.0.meeting_id.0
    }
    async fn case(&self, ctx: &Context<'_>) -> Result<CaseNode> {
        let case = loaders(ctx)?
            .cases
            .load_one(self.0.case_id)
            .await
            .map_err(crate::error::internal)?
            .ok_or_else(|| crate::error::internal("panel item without case"))?;
        // Lists of items are narrowed to readable cases before they get here; this is the
        // last line, so that an item reached some other way never carries a case out of reach.
        if !guard::may_read_case(ctx, &case).await? {
            return Err(guard::forbidden(permanence_auth::Denied {
                action: Action::ReadCase,
                reason: permanence_auth::DenialReason::OutOfScope,
            }));
        }
        guard::audit(
            ctx,
            Action::ReadCase,
            guard::CASE_RECORD,
            case.id.to_string(),
        );
        Ok(CaseNode::new(case))
    }
    async fn purpose(&self) -> PanelPurpose {
        self.0.purpose.into()
    }
    /// Its place on the agenda, from 1.
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn status(&self) -> PanelItemStatus {
        self.0.status.into()
    }
    /// The date the panel heard it, whatever it recommended.
    async fn heard_on(&self) -> Option<Date> {
        self.0.recommendation_on.map(Date)
    }
    /// Free text: not shown to leaders.
    async fn deferral_reason(&self, ctx: &Context<'_>) -> Option<&str> {
        view::personal(
            guard::access(ctx),
            Personal::FreeText,
            self.0.deferral_reason.as_deref(),
        )
    }
    async fn return_by(&self) -> Option<Date> {
        self.0.return_by.map(Date)
    }
    /// Whether the agency decision maker agreed with the recommendation.
    async fn decision_agrees(&self) -> Option<bool> {
        self.0.decision_agrees
    }
    async fn decision_on(&self) -> Option<Date> {
        self.0.decision_on.map(Date)
    }
    /// Send it back as `expectedVersion` when recording an outcome or a decision.
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// The documents the item needs, and which are ready.
    async fn documents(&self, ctx: &Context<'_>) -> Result<DocumentChecklistNode> {
        let checklist = engine(ctx)?
            .document_checklist(self.0.case_id, self.0.purpose)
            .await
            .api()?;
        Ok(checklist.into())
    }
}

#[derive(SimpleObject)]
pub struct DocumentNode {
    document: String,
    ready: bool,
}

#[derive(SimpleObject)]
#[graphql(name = "DocumentChecklist")]
pub struct DocumentChecklistNode {
    purpose: PanelPurpose,
    documents: Vec<DocumentNode>,
    required: usize,
    ready: usize,
    all_ready: bool,
}

impl From<DocumentChecklist> for DocumentChecklistNode {
    fn from(c: DocumentChecklist) -> Self {
        Self {
            purpose: c.purpose.into(),
            all_ready: c.all_ready(),
            required: c.required,
            ready: c.ready,
            documents: c
                .documents
                .into_iter()
                .map(|d| DocumentNode {
                    document: d.document.to_owned(),
                    ready: d.ready,
                })
                .collect(),
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "AgendaItem")]
pub struct AgendaItemNode {
    item: PanelItemNode,
    documents: DocumentChecklistNode,
    /// False when the case has moved on and the panel can no longer hear it.
    hearable: bool,
    /// Set when a brother or sister is on the agenda for the same purpose: the sibling group
    /// they are heard as one item for (`recordSiblingGroupPanelRecommendation`).
    sibling_group_id: Option<Uuid>,
}

/// Whether the user may read the case an item is about.
async fn may_read_item(ctx: &Context<'_>, item: &PanelItemRecord) -> Result<bool> {
    match loaders(ctx)?
        .cases
        .load_one(item.case_id)
        .await
        .map_err(crate::error::internal)?
    {
        Some(case) => guard::may_read_case(ctx, &case).await,
        None => Ok(false),
    }
}

/// The items of an agenda whose case the user may read: every meeting of the authority is
/// listed, but a panel member reads only the cases of the meetings they sit on, and a social
/// worker only those allocated to them.
async fn readable_agenda_items(
    ctx: &Context<'_>,
    agenda: PanelAgenda,
) -> Result<Vec<AgendaItemNode>> {
    let mut items = Vec::with_capacity(agenda.items.len());
    for i in agenda.items {
        if may_read_item(ctx, &i.item).await? {
            items.push(AgendaItemNode {
                item: PanelItemNode(i.item),
                documents: i.documents.into(),
                hearable: i.hearable,
                sibling_group_id: i.sibling_group.map(|g| g.0),
            });
        }
    }
    Ok(items)
}

#[derive(SimpleObject)]
#[graphql(name = "PanelAgenda")]
pub struct PanelAgendaNode {
    meeting: PanelMeetingNode,
    items: Vec<AgendaItemNode>,
}

/// A case at a step that needs panel, not yet on an agenda.
#[derive(SimpleObject)]
#[graphql(name = "QueuedCase")]
pub struct QueuedCaseNode {
    case: CaseNode,
    purpose: PanelPurpose,
    route: RouteKind,
    /// The step the case is at.
    step: String,
    waiting_since: Date,
    days_waited: i64,
    documents: DocumentChecklistNode,
    /// Set when the panel deferred it: the date to return by.
    return_by: Option<Date>,
    /// The route allows the next step without panel (a non-consent adoption, a return home).
    panel_optional: bool,
    /// Set when a brother or sister also waits for panel for the same purpose: the sibling
    /// group the panel hears them as one item for.
    sibling_group_id: Option<Uuid>,
    /// The cases of the brothers and sisters waiting for panel for the same purpose.
    siblings_waiting: Vec<Uuid>,
}

impl From<QueuedCase> for QueuedCaseNode {
    fn from(q: QueuedCase) -> Self {
        Self {
            case: CaseNode::new(q.case),
            purpose: q.purpose.into(),
            route: q.route.into(),
            step: q.step,
            waiting_since: q.waiting_since.into(),
            days_waited: q.days_waited,
            documents: q.documents.into(),
            return_by: q.return_by.map(Date),
            panel_optional: q.panel_optional,
            sibling_group_id: q.sibling_group.map(|g| g.0),
            siblings_waiting: q.siblings_waiting.into_iter().map(|c| c.0).collect(),
        }
    }
}

/// A recommendation still waiting for the agency decision.
#[derive(SimpleObject)]
#[graphql(name = "AwaitingDecision")]
pub struct AwaitingDecisionNode {
    item: PanelItemNode,
    recommended_on: Date,
    working_days_elapsed: i64,
    /// The timescale: 7 working days unless the authority set another.
    working_days_allowed: u32,
    decision_due_on: Date,
    overdue: bool,
}

impl From<AwaitingDecision> for AwaitingDecisionNode {
    fn from(a: AwaitingDecision) -> Self {
        Self {
            item: PanelItemNode(a.item),
            recommended_on: a.recommended_on.into(),
            working_days_elapsed: a.working_days_elapsed,
            working_days_allowed: a.working_days_allowed,
            decision_due_on: a.decision_due_on.into(),
            overdue: a.overdue,
        }
    }
}

/// The panel's one queue: cases waiting for panel (oldest wait first), the agendas of
/// upcoming meetings, and recommendations waiting for a decision.
#[derive(SimpleObject)]
#[graphql(name = "PanelQueue")]
pub struct PanelQueueNode {
    as_of: Date,
    waiting: Vec<QueuedCaseNode>,
    waiting_total: u64,
    agendas: Vec<PanelAgendaNode>,
    awaiting_decision: Vec<AwaitingDecisionNode>,
    awaiting_decision_total: u64,
}

pub(crate) async fn panel_queue(
    ctx: &Context<'_>,
    local_authority: String,
    as_of: Option<Date>,
    first: Option<i32>,
) -> Result<PanelQueueNode> {
    let engine = engine(ctx)?;
    let first = match first {
        None => 50,
        Some(n) if (1..=crate::MAX_PAGE_SIZE as i32).contains(&n) => n as u64,
        Some(_) => {
            return Err(validation(
                "first",
                format!("must be between 1 and {}", crate::MAX_PAGE_SIZE),
            ));
        }
    };
    let as_of = as_of.map_or_else(|| engine.today(), |d| d.0);
    let reach = guard::reach(ctx, Action::ReadPanelQueue)?;
    if !reach
        .local_authorities
        .as_ref()
        .is_some_and(|las| las.contains(&local_authority))
    {
        guard::in_authority(ctx, Action::ListPanelMeetings, &local_authority)?;
    }
    let mut queue = engine
        .panel_queue(&local_authority, as_of, first)
        .await
        .api()?;
    // Cases the user may not read are left out of the waiting list; those listed are read
    // (their step, their wait, their documents) and go in the audit log.
    let mut readable = Vec::with_capacity(queue.waiting.len());
    for entry in std::mem::take(&mut queue.waiting) {
        if guard::may_read_case(ctx, &entry.case).await? {
            guard::audit(
                ctx,
                Action::ReadCase,
                guard::CASE_RECORD,
                entry.case.id.to_string(),
            );
            readable.push(entry);
        }
    }
    queue.waiting = readable;
    let mut agendas = Vec::with_capacity(queue.agendas.len());
    for agenda in queue.agendas {
        agendas.push(PanelAgendaNode {
            meeting: PanelMeetingNode(agenda.meeting.clone()),
            items: readable_agenda_items(ctx, agenda).await?,
        });
    }
    let mut awaiting_decision = Vec::with_capacity(queue.awaiting_decision.len());
    for awaiting in queue.awaiting_decision {
        if may_read_item(ctx, &awaiting.item).await? {
            awaiting_decision.push(awaiting.into());
        }
    }
    Ok(PanelQueueNode {
        as_of: queue.as_of.into(),
        waiting: queue.waiting.into_iter().map(Into::into).collect(),
        waiting_total: queue.waiting_total,
        agendas,
        awaiting_decision,
        awaiting_decision_total: queue.awaiting_decision_total,
    })
}

pub(crate) async fn panel_meeting(ctx: &Context<'_>, id: Uuid) -> Result<Option<PanelMeetingNode>> {
    let found = engine(ctx)?
        .store()
        .panel_meetings_by_ids(&[PanelMeetingId(id)])
        .await
        .api()?;
    match found.into_values().next() {
        Some(meeting) => {
            guard::in_authority(ctx, Action::ListPanelMeetings, &meeting.local_authority)?;
            Ok(Some(PanelMeetingNode(meeting)))
        }
        None => Err(guard::missing(Action::ListPanelMeetings)),
    }
}

#[derive(InputObject)]
pub struct SchedulePanelMeetingInput {
    local_authority: String,
    kind: PanelKind,
    sits_on: Date,
    /// The chair's user id.
    chair: String,
    quorum_notes: Option<String>,
    /// The user ids of those who sit on it besides the chair.
    #[graphql(default)]
    members: Vec<String>,
    command_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct SetPanelMembersInput {
    meeting_id: Uuid,
    /// Everyone who sits on the meeting besides its chair (the list replaces the old one).
    members: Vec<String>,
    expected_version: Option<i64>,
}

#[derive(InputObject)]
pub struct AddAgendaItemInput {
    meeting_id: Uuid,
    case_id: Uuid,
    purpose: PanelPurpose,
    /// Its place on the agenda, from 1; at the end when left out.
    position: Option<i32>,
    command_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct SetDocumentReadinessInput {
    case_id: Uuid,
    purpose: PanelPurpose,
    /// A document the purpose needs (see `documents` on a queued case or agenda item).
    document: String,
    ready: bool,
}

#[derive(InputObject)]
pub struct RecordPanelRecommendationInput {
    item_id: Uuid,
    recommendation: PanelRecommendation,
    deferral_reason: Option<String>,
    return_by: Option<Date>,
    note: Option<String>,
    /// The item's version.
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct RecordAgencyDecisionInput {
    item_id: Uuid,
    agrees: bool,
    occurred_on: Date,
    note: Option<String>,
    /// The item's version.
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct PanelItemCommandInput {
    item_id: Uuid,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct PanelMeetingCommandInput {
    meeting_id: Uuid,
    expected_version: Option<i64>,
    command_id: Option<Uuid>,
}

/// What recording a recommendation or decision answers.
#[derive(SimpleObject)]
pub struct PanelOutcomePayload {
    item: PanelItemNode,
    meeting: PanelMeetingNode,
    /// The case, advanced along its route in the same transaction.
    case: CaseNode,
    recorded: Vec<TimelineEventNode>,
    duplicate: bool,
}

impl From<PanelItemOutcome> for PanelOutcomePayload {
    fn from(o: PanelItemOutcome) -> Self {
        Self {
            item: PanelItemNode(o.item),
            meeting: PanelMeetingNode(o.meeting),
            recorded: TimelineEventNode::all_of(&o.case.state, o.recorded),
            case: CaseNode::new(o.case),
            duplicate: o.duplicate,
        }
    }
}

/// The case an agenda item is about, if the user may do `action` on it.
async fn item_case(ctx: &Context<'_>, action: Action, item: Uuid) -> Result<()> {
    let found = engine(ctx)?
        .store()
        .panel_items_by_ids(&[PanelItemId(item)])
        .await
        .api()?;
    let case_id = found
        .into_values()
        .next()
        .map(|i| i.case_id)
        // An unknown item is refused as one out of reach: the answer says nothing of it.
        .unwrap_or(CaseId(Uuid::nil()));
    guard::case_for(ctx, action, case_id).await?;
    Ok(())
}

/// A meeting's authority, if the user may do `action` there.
async fn meeting_authority(ctx: &Context<'_>, action: Action, meeting: Uuid) -> Result<()> {
    let found = engine(ctx)?
        .store()
        .panel_meetings_by_ids(&[PanelMeetingId(meeting)])
        .await
        .api()?;
    match found.into_values().next() {
        Some(m) => guard::in_authority(ctx, action, &m.local_authority).map(|_| ()),
        None => Err(guard::missing(action)),
    }
}

/// The panel's outcome from a recommendation and, for a deferral only, its reason and date.
pub(crate) fn outcome_of(
    recommendation: PanelRecommendation,
    deferral_reason: Option<String>,
    return_by: Option<Date>,
) -> Result<domain::PanelOutcome> {
    if recommendation != PanelRecommendation::Deferred {
        if deferral_reason.is_some() {
            return Err(validation("deferralReason", "only a deferral has a reason"));
        }
        if return_by.is_some() {
            return Err(validation(
                "returnBy",
                "only a deferral has a date to return by",
            ));
        }
    }
    Ok(match recommendation {
        PanelRecommendation::Recommended => domain::PanelOutcome::Recommended,
        PanelRecommendation::NotRecommended => domain::PanelOutcome::NotRecommended,
        PanelRecommendation::Deferred => domain::PanelOutcome::Deferred {
            reason: deferral_reason
                .ok_or_else(|| validation("deferralReason", "a deferral needs a reason"))?,
            return_by: return_by
                .ok_or_else(|| validation("returnBy", "a deferral needs the date to return by"))?
                .0,
        },
    })
}

#[derive(Default)]
pub struct PanelMutation;

#[Object]
impl PanelMutation {
    /// Schedules a panel meeting.
    async fn schedule_panel_meeting(
        &self,
        ctx: &Context<'_>,
        input: SchedulePanelMeetingInput,
    ) -> Result<PanelMeetingNode> {
        let meta = meta(ctx, None, None, input.command_id)?;
        guard::in_authority(ctx, Action::SchedulePanelMeeting, &input.local_authority)?;
        let meeting = engine(ctx)?
            .schedule_meeting(
                &meta,
                ScheduleMeeting {
                    local_authority: input.local_authority,
                    kind: input.kind.into(),
                    sits_on: input.sits_on.0,
                    chair: input.chair,
                    quorum_notes: input.quorum_notes,
                    members: input.members,
                },
            )
            .await
            .api()?;
        Ok(PanelMeetingNode(meeting))
    }

    /// Puts a case on a meeting's agenda for a purpose.
    async fn add_agenda_item(
        &self,
        ctx: &Context<'_>,
        input: AddAgendaItemInput,
    ) -> Result<PanelItemNode> {
        let meta = meta(ctx, None, None, input.command_id)?;
        let position = input
            .position
            .map(|p| u32::try_from(p).map_err(|_| validation("position", "must be 1 or more")))
            .transpose()?;
        meeting_authority(ctx, Action::ListPanelMeetings, input.meeting_id).await?;
        guard::case_for(ctx, Action::AddAgendaItem, CaseId(input.case_id)).await?;
        let item = engine(ctx)?
            .add_agenda_item(
                &meta,
                PanelMeetingId(input.meeting_id),
                CaseId(input.case_id),
                input.purpose.into(),
                position,
            )
            .await
            .api()?;
        Ok(PanelItemNode(item))
    }

    /// Marks a document the panel needs as ready (or not).
    async fn set_document_readiness(
        &self,
        ctx: &Context<'_>,
        input: SetDocumentReadinessInput,
    ) -> Result<DocumentChecklistNode> {
        guard::case_for(ctx, Action::AddAgendaItem, CaseId(input.case_id)).await?;
        let checklist = engine(ctx)?
            .set_document_readiness(
                CaseId(input.case_id),
                input.purpose.into(),
                &input.document,
                input.ready,
            )
            .await
            .api()?;
        Ok(checklist.into())
    }

    /// Records the panel's recommendation on an agenda item, dated the day the panel sat.
    async fn record_panel_recommendation(
        &self,
        ctx: &Context<'_>,
        input: RecordPanelRecommendationInput,
    ) -> Result<PanelOutcomePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        let outcome = outcome_of(input.recommendation, input.deferral_reason, input.return_by)?;
        item_case(ctx, Action::RecordPanelRecommendation, input.item_id).await?;
        let result = engine(ctx)?
            .record_panel_outcome(&meta, PanelItemId(input.item_id), outcome)
            .await
            .api()?;
        Ok(result.into())
    }

    /// Records the agency decision maker's (or nominated officer's) decision on a recommendation.
    async fn record_agency_decision(
        &self,
        ctx: &Context<'_>,
        input: RecordAgencyDecisionInput,
    ) -> Result<PanelOutcomePayload> {
        let meta = meta(ctx, input.note, input.expected_version, input.command_id)?;
        item_case(ctx, Action::RecordAgencyDecision, input.item_id).await?;
        let result = engine(ctx)?
            .record_agency_decision(
                &meta,
                PanelItemId(input.item_id),
                input.agrees,
                input.occurred_on.0,
            )
            .await
            .api()?;
        Ok(result.into())
    }

    /// Takes an item off the agenda before it is heard.
    async fn withdraw_agenda_item(
        &self,
        ctx: &Context<'_>,
        input: PanelItemCommandInput,
    ) -> Result<PanelItemNode> {
        let meta = meta(ctx, None, input.expected_version, input.command_id)?;
        item_case(ctx, Action::AddAgendaItem, input.item_id).await?;
        let item = engine(ctx)?
            .withdraw_item(&meta, PanelItemId(input.item_id))
            .await
            .api()?;
        Ok(PanelItemNode(item))
    }

    /// Sets who sits on a planned meeting besides its chair.
    async fn set_panel_members(
        &self,
        ctx: &Context<'_>,
        input: SetPanelMembersInput,
    ) -> Result<PanelMeetingNode> {
        let meta = meta(ctx, None, input.expected_version, None)?;
        meeting_authority(ctx, Action::SchedulePanelMeeting, input.meeting_id).await?;
        let meeting = engine(ctx)?
            .set_panel_members(&meta, PanelMeetingId(input.meeting_id), &input.members)
            .await
            .api()?;
        Ok(PanelMeetingNode(meeting))
    }

    /// Cancels a meeting; its unheard items go back to the queue.
    async fn cancel_panel_meeting(
        &self,
        ctx: &Context<'_>,
        input: PanelMeetingCommandInput,
    ) -> Result<PanelMeetingNode> {
        let meta = meta(ctx, None, input.expected_version, input.command_id)?;
        meeting_authority(ctx, Action::SchedulePanelMeeting, input.meeting_id).await?;
        let meeting = engine(ctx)?
            .cancel_meeting(&meta, PanelMeetingId(input.meeting_id))
            .await
            .api()?;
        Ok(PanelMeetingNode(meeting))
    }

    /// Marks a meeting as held.
    async fn hold_panel_meeting(
        &self,
        ctx: &Context<'_>,
        input: PanelMeetingCommandInput,
    ) -> Result<PanelMeetingNode> {
        let meta = meta(ctx, None, input.expected_version, input.command_id)?;
        meeting_authority(ctx, Action::SchedulePanelMeeting, input.meeting_id).await?;
        let meeting = engine(ctx)?
            .hold_meeting(&meta, PanelMeetingId(input.meeting_id))
            .await
            .api()?;
        Ok(PanelMeetingNode(meeting))
    }
}

//! What an operation is and how a refusal of one is told: the vocabulary the policy, the
//! error type and the callers share.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Every operation of the API. The resolver of an operation names its action; nothing else
/// decides access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    // Global: no authority's data.
    ReadRoutes,
    ReadOwnProfile,
    // Reads of case content.
    ReadChild,
    ListChildren,
    ReadCase,
    ListCases,
    ReadTimeline,
    ReadDrift,
    ReadPanelQueue,
    // Casework.
    RegisterChild,
    EnterCare,
    RecordPlacementChange,
    RecordReview,
    RecordHealthAssessment,
    RecordVisit,
    RecordSiblingGroup,
    SetRoutePlan,
    EndParallelPlan,
    RecordRouteStep,
    RecordLegalStep,
    /// A legal step for a child who lives at home (not in care).
    RecordLegalStepAtHome,
    CloseCase,
    // Management and panels.
    RecordManagerStep,
    AllocateCase,
    SchedulePanelMeeting,
    ListPanelMeetings,
    AddAgendaItem,
    RecordPanelRecommendation,
    RecordAgencyDecision,
    ReverseAdoptionDecision,
    // Reports: figures and references, never names.
    ReadTimeliness,
    ReadChildrenWaiting,
    ExportReport,
    // Administration: users and settings, not case content.
    ReadSettings,
    ManageSettings,
    ListUsers,
    ManageUsers,
    ReadAudit,
    // Escalations: each user's own notifications, and the webhook's deliveries.
    ReadNotifications,
    AcknowledgeNotification,
    ReadWebhookDeliveries,
}

/// What an action is done to, which decides the [`Target`](crate::Target) it is authorised
/// against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// Nobody's data: the route definitions, the user's own profile. Target:
    /// [`Target::None`](crate::Target::None).
    Global,
    /// Something within one local authority but no particular case (register a child, a
    /// report, a user). Target: [`Target::Authority`](crate::Target::Authority); over all the
    /// user's authorities at once, use [`list_scope`](crate::list_scope).
    Authority,
    /// One child's record. Target: [`Target::Child`](crate::Target::Child).
    Child,
    /// One case, read or written. Target: [`Target::Case`](crate::Target::Case).
    Case,
    /// A list of cases or children: authorise with [`list_scope`](crate::list_scope) and apply
    /// its filter in the query (or with [`Target::None`](crate::Target::None) for the role
    /// check alone).
    List,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::ReadRoutes,
        Action::ReadOwnProfile,
        Action::ReadChild,
        Action::ListChildren,
        Action::ReadCase,
        Action::ListCases,
        Action::ReadTimeline,
        Action::ReadDrift,
        Action::ReadPanelQueue,
        Action::RegisterChild,
        Action::EnterCare,
        Action::RecordPlacementChange,
        Action::RecordReview,
        Action::RecordHealthAssessment,
        Action::RecordVisit,
        Action::RecordSiblingGroup,
        Action::SetRoutePlan,
        Action::EndParallelPlan,
        Action::RecordRouteStep,
        Action::RecordLegalStep,
        Action::RecordLegalStepAtHome,
        Action::CloseCase,
        Action::RecordManagerStep,
        Action::AllocateCase,
        Action::SchedulePanelMeeting,
        Action::ListPanelMeetings,
        Action::AddAgendaItem,
        Action::RecordPanelRecommendation,
        Action::RecordAgencyDecision,
        Action::ReverseAdoptionDecision,
        Action::ReadTimeliness,
        Action::ReadChildrenWaiting,
        Action::ExportReport,
        Action::ReadSettings,
        Action::ManageSettings,
        Action::ListUsers,
        Action::ManageUsers,
        Action::ReadAudit,
        Action::ReadNotifications,
        Action::AcknowledgeNotification,
        Action::ReadWebhookDeliveries,
    ];

    /// Stable key, written to the audit (`READ_CASE`).
    pub fn key(self) -> &'static str {
        use Action::*;
        match self {
            ReadRoutes => "READ_ROUTES",
            ReadOwnProfile => "READ_OWN_PROFILE",
            ReadChild => "READ_CHILD",
            ListChildren => "LIST_CHILDREN",
            ReadCase => "READ_CASE",
            ListCases => "LIST_CASES",
            ReadTimeline => "READ_TIMELINE",
            ReadDrift => "READ_DRIFT",
            ReadPanelQueue => "READ_PANEL_QUEUE",
            RegisterChild => "REGISTER_CHILD",
            EnterCare => "ENTER_CARE",
            RecordPlacementChange => "RECORD_PLACEMENT_CHANGE",
            RecordReview => "RECORD_REVIEW",
            RecordHealthAssessment => "RECORD_HEALTH_ASSESSMENT",
            RecordVisit => "RECORD_VISIT",
            RecordSiblingGroup => "RECORD_SIBLING_GROUP",
            SetRoutePlan => "SET_ROUTE_PLAN",
            EndParallelPlan => "END_PARALLEL_PLAN",
            RecordRouteStep => "RECORD_ROUTE_STEP",
            RecordLegalStep => "RECORD_LEGAL_STEP",
            RecordLegalStepAtHome => "RECORD_LEGAL_STEP_AT_HOME",
            CloseCase => "CLOSE_CASE",
            RecordManagerStep => "RECORD_MANAGER_STEP",
            AllocateCase => "ALLOCATE_CASE",
            SchedulePanelMeeting => "SCHEDULE_PANEL_MEETING",
            ListPanelMeetings => "LIST_PANEL_MEETINGS",
            AddAgendaItem => "ADD_AGENDA_ITEM",
            RecordPanelRecommendation => "RECORD_PANEL_RECOMMENDATION",
            RecordAgencyDecision => "RECORD_AGENCY_DECISION",
            ReverseAdoptionDecision => "REVERSE_ADOPTION_DECISION",
            ReadTimeliness => "READ_TIMELINESS",
            ReadChildrenWaiting => "READ_CHILDREN_WAITING",
            ExportReport => "EXPORT_REPORT",
            ReadSettings => "READ_SETTINGS",
            ManageSettings => "MANAGE_SETTINGS",
            ListUsers => "LIST_USERS",
            ManageUsers => "MANAGE_USERS",
            ReadAudit => "READ_AUDIT",
            ReadNotifications => "READ_NOTIFICATIONS",
            AcknowledgeNotification => "ACKNOWLEDGE_NOTIFICATION",
            ReadWebhookDeliveries => "READ_WEBHOOK_DELIVERIES",
        }
    }

    /// What a person calls it, after "not allowed to".
    pub fn label(self) -> &'static str {
        use Action::*;
        match self {
            ReadRoutes => "read the route definitions",
            ReadOwnProfile => "read your profile",
            ReadChild => "read a child's record",
            ListChildren => "list children",
            ReadCase => "read a case",
            ListCases => "list cases",
            ReadTimeline => "read a case's timeline",
            ReadDrift => "read drift",
            ReadPanelQueue => "read the panel queue",
            RegisterChild => "register a child",
            EnterCare => "record a child entering care",
            RecordPlacementChange => "record a placement change",
            RecordReview => "record a review",
            RecordHealthAssessment => "record a health assessment",
            RecordVisit => "record a visit",
            RecordSiblingGroup => "record a sibling group",
            SetRoutePlan => "set a route plan",
            EndParallelPlan => "end a parallel plan",
            RecordRouteStep => "record a route step",
            RecordLegalStep => "record a legal step",
            RecordLegalStepAtHome => "record a legal step for a child at home",
            CloseCase => "close a case",
            RecordManagerStep => "record a manager's step",
            AllocateCase => "allocate a case",
            SchedulePanelMeeting => "schedule a panel meeting",
            ListPanelMeetings => "list panel meetings",
            AddAgendaItem => "add a case to a panel agenda",
            RecordPanelRecommendation => "record a panel recommendation",
            RecordAgencyDecision => "record an agency decision",
            ReverseAdoptionDecision => "reverse an adoption decision",
            ReadTimeliness => "read timeliness figures",
            ReadChildrenWaiting => "read children waiting",
            ExportReport => "export a report",
            ReadSettings => "read settings",
            ManageSettings => "change settings",
            ListUsers => "list users",
            ManageUsers => "manage users",
            ReadAudit => "read the audit",
            ReadNotifications => "read notifications",
            AcknowledgeNotification => "acknowledge a notification",
            ReadWebhookDeliveries => "read the webhook's deliveries",
        }
    }

    pub fn from_key(key: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.key() == key)
    }

    pub fn kind(self) -> ActionKind {
        use Action::*;
        match self {
            ReadRoutes | ReadOwnProfile | ReadNotifications | AcknowledgeNotification => {
                ActionKind::Global
            }
            ReadChild => ActionKind::Child,
            ListChildren | ListCases | ReadDrift | ReadPanelQueue => ActionKind::List,
            ReadCase
            | ReadTimeline
            | RecordPlacementChange
            | RecordReview
            | RecordHealthAssessment
            | RecordVisit
            | RecordSiblingGroup
            | SetRoutePlan
            | EndParallelPlan
            | RecordRouteStep
            | RecordLegalStep
            | CloseCase
            | RecordManagerStep
            | AllocateCase
            | AddAgendaItem
            | RecordPanelRecommendation
            | RecordAgencyDecision
            | ReverseAdoptionDecision => ActionKind::Case,
            RegisterChild
            | EnterCare
            | RecordLegalStepAtHome
            | SchedulePanelMeeting
            | ListPanelMeetings
            | ReadTimeliness
            | ReadChildrenWaiting
            | ExportReport
            | ReadSettings
            | ManageSettings
            | ListUsers
            | ManageUsers
            | ReadAudit
            | ReadWebhookDeliveries => ActionKind::Authority,
        }
    }

    /// Changes something (as opposed to reading).
    pub fn is_write(self) -> bool {
        use Action::*;
        !matches!(
            self,
            ReadRoutes
                | ReadOwnProfile
                | ReadChild
                | ListChildren
                | ReadCase
                | ListCases
                | ReadTimeline
                | ReadDrift
                | ReadPanelQueue
                | ListPanelMeetings
                | ReadTimeliness
                | ReadChildrenWaiting
                | ExportReport
                | ReadSettings
                | ListUsers
                | ReadAudit
                | ReadNotifications
                | ReadWebhookDeliveries
        )
    }

    /// Touches a child's or a case's record, so each record it reads or writes gets an audit
    /// row (a list: one row per record returned).
    pub fn is_audited(self) -> bool {
        matches!(
            self.kind(),
            ActionKind::Child | ActionKind::Case | ActionKind::List
        )
    }

    /// The action that records a step of a route, from the role the route definition says
    /// records it (`permanence_domain::route::Role`, mirrored by [`StepRecorder`]).
    pub fn record_route_step(recorded_by: StepRecorder) -> Action {
        match recorded_by {
            StepRecorder::SocialWorker => Action::RecordRouteStep,
            StepRecorder::TeamManager => Action::RecordManagerStep,
            StepRecorder::PanelChair => Action::RecordPanelRecommendation,
            StepRecorder::AgencyDecisionMaker | StepRecorder::NominatedOfficer => {
                Action::RecordAgencyDecision
            }
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Who a route definition says records a step. Mirrors the domain's step roles without
/// depending on the domain crate; a nominated officer's approval is recorded by an agency
/// decision maker (the same senior officer role in this service).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepRecorder {
    SocialWorker,
    TeamManager,
    PanelChair,
    AgencyDecisionMaker,
    NominatedOfficer,
}

/// Why a request was refused. Deliberately does not tell a missing record from one out of
/// scope, so that even a log of refusals leaks nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenialReason {
    /// The role may never do this action, wherever.
    RoleNotPermitted,
    /// The record is outside the user's authorities or caseload, or does not exist.
    OutOfScope,
    /// The caller authorised the action against the wrong kind of target: a bug in the caller,
    /// refused so that a mistake fails closed.
    WrongTarget,
}

/// A refusal: answer `FORBIDDEN`. The message is the same whatever the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("not allowed to {}: it is outside your role or caseload", action.label())]
pub struct Denied {
    pub action: Action,
    pub reason: DenialReason,
}

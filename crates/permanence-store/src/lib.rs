//! Storage of children, case events and the projections built from them, on SQLite or
//! PostgreSQL.
//!
//! The store owns the transaction of every command: it locks and loads the case, lets the
//! engine decide, then appends the events, updates the case and deadline projections and
//! records the command id, all in one transaction. sea-orm stays inside this crate: no
//! sea-orm type and no `DbErr` crosses its public API. It knows nothing of GraphQL or HTTP.

mod access;
mod audit_records;
mod bulk;
mod case_rows;
mod case_states;
mod cases;
mod children;
mod connection;
mod connection_release;
mod credential_changes;
mod deadlines;
mod drift;
mod entities;
mod error;
mod events;
mod form_drafts;
mod legal_at_home;
mod notifications;
mod panel;
mod processed;
mod records;
mod report_facts;
mod rows;
mod several_cases;
mod siblings;
mod sign_in;
mod sqlite_url;
mod ssda903;

pub use access::{AuditRow, NewAuditEntry, NewUser, TokenRecord, UserRecord};
pub use cases::CasesFingerprint;
pub use connection::{Backend, Store};
pub use credential_changes::{CREDENTIALS_CHANNEL, CredentialChange, CredentialListener};
pub use drift::DriftCursor;
pub use error::{RunError, StoreError};
pub use events::{CaseCommandKey, EVENT_SCHEMA_VERSION};
pub use legal_at_home::{
    AtHomeOutcome, ContinuesFromHome, LegalAtHomeRecord, NewAtHomeEvent, RECORD_AT_HOME_KIND,
    StoredAtHomeEvent,
};
pub use notifications::{
    DeliveryAttempt, DeliveryStatus, EscalationCounts, NotificationAudience, NotificationRecord,
    SweepBatch, WebhookDelivery,
};
pub use panel::{
    ADD_AGENDA_ITEM_KIND, AwaitingDecisionCursor, NewPanelItem, NewPanelMeeting,
    PanelDocumentRecord, PanelHearing, PanelItemChange, PanelItemRecord, PanelMeetingCursor,
    PanelMeetingFilter, PanelMeetingRecord, PanelPoint, PanelQueueCursor, ProcessedCommand,
    SCHEDULE_PANEL_MEETING_KIND,
};
pub use records::{
    CaseFilter, CaseOrder, CaseRecord, Changes, ChildRecord, CommandOutcome, DriftFilter, DriftRow,
    NewEvent, Reach, StoredEvent,
};
pub use report_facts::ReportFacts;
pub use several_cases::{SeveralCasesCommandKey, SeveralCasesOutcome};
pub use siblings::{
    RECORD_SIBLING_GROUP_KIND, SiblingGroupEventRecord, SiblingGroupRecord, SiblingGroupWrite,
    SiblingWriteOutcome,
};
pub use sign_in::{SessionRecord, SignInCandidate, SingleSignOnUser};
pub use ssda903::{ImportedCaseWrite, ImportedChildCorrection, ImportedChildWrite};
